//===- NNReductionOps.td - nn reductions, normalisation, top-k -*- tablegen -*-===//
//
// Reductions over axes (ONNX Reduce*), arg-reductions (ArgMax/ArgMin),
// LogSoftmax, TopK, InstanceNormalization, LRN, MaxPool with indices and
// LpPool.
// Included from NNOps.td.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_NN_REDUCTION_OPS
#define KILN_NN_REDUCTION_OPS

def NN_ReduceOp : NN_InferredOp<"reduce"> {
  let summary = "reduction over `axes` (ONNX ReduceSum/Max/Min/Prod/L1/L2/...)";
  let description = [{
    `kind` is one of `sum`, `max`, `min`, `prod`, `l1` (sum of |x|), `l2`
    (sqrt of the sum of squares), `sum_square`, `log_sum` (log of the sum) and
    `log_sum_exp` (log of the sum of exp, computed stably by subtracting the
    maximum). `l2`, `log_sum` and `log_sum_exp` need a float input. `axes`
    are distinct, normalised and not empty; with `keepdims` the reduced dims
    stay as size 1, otherwise they are dropped. ONNX ReduceMean is
    `nn.reduce_mean`.
  }];
  let arguments = (ins NN_Tensor:$input, StrAttr:$kind,
                   DenseI64ArrayAttr:$axes, BoolAttr:$keepdims);
  let results = (outs NN_Tensor:$result);
}

class NN_ArgReduceOp<string mnemonic, string what> : NN_InferredOp<mnemonic> {
  let summary = "index (i64) of the " # what # " along `axis`";
  let description = [{
    Ties resolve to the first index, or to the last with
    `select_last_index`. With `keepdims` the axis stays as size 1.
  }];
  let arguments = (ins NN_Tensor:$input, I64Attr:$axis, BoolAttr:$keepdims,
                   BoolAttr:$select_last_index);
  let results = (outs RankedTensorOf<[I64]>:$result);
}

def NN_ArgMaxOp : NN_ArgReduceOp<"arg_max", "maximum">;
def NN_ArgMinOp : NN_ArgReduceOp<"arg_min", "minimum">;

def NN_LogSoftmaxOp : NN_InferredOp<"log_softmax"> {
  let summary = "log of softmax along one axis (ONNX LogSoftmax, opset 13 semantics)";
  let description = [{ Computed as x - max - log(sum(exp(x - max))). }];
  let arguments = (ins NN_FloatTensor:$input, I64Attr:$axis);
  let results = (outs NN_FloatTensor:$result);
}

def NN_TopKOp : NN_InferredOp<"top_k"> {
  let summary = "the `k` largest (or smallest) entries along `axis`, sorted";
  let description = [{
    Results: the values and their i64 indices along `axis`, both with `axis`
    of size `k`. Entries are ordered from the largest (with `largest`) or the
    smallest; equal values keep the lower index first.
  }];
  let arguments = (ins NN_Tensor:$input, I64Attr:$k, I64Attr:$axis,
                   BoolAttr:$largest);
  let results = (outs NN_Tensor:$values, RankedTensorOf<[I64]>:$indices);
}

def NN_InstanceNormOp : NN_InferredOp<"instance_norm"> {
  let summary = "instance normalisation over the spatial dims of N x C x ...";
  let description = [{
    y = scale[c] * (x - mean) / sqrt(var + epsilon) + bias[c], with the mean
    and (biased) variance taken per (n, c) over dims 2 and up.
  }];
  let arguments = (ins NN_FloatTensor:$input, NN_FloatTensor:$scale,
                   NN_FloatTensor:$bias, F32Attr:$epsilon);
  let results = (outs NN_FloatTensor:$result);
}

def NN_LRNOp : NN_InferredOp<"lrn"> {
  let summary = "local response normalisation across channels (ONNX LRN)";
  let description = [{
    y = x / (bias + alpha / size * sum(x[c']^2))^beta, the sum over the
    channels c' from c - floor((size - 1) / 2) to c + ceil((size - 1) / 2)
    that exist.
  }];
  let arguments = (ins NN_FloatTensor:$input, I64Attr:$size, F32Attr:$alpha,
                   F32Attr:$beta, F32Attr:$bias);
  let results = (outs NN_FloatTensor:$result);
}

def NN_MaxPoolWithIndicesOp : NN_InferredOp<"max_pool_with_indices"> {
  let summary = "max pooling that also returns where each maximum is (ONNX "
                "MaxPool with its Indices output)";
  let description = [{
    Attributes and values as `nn.max_pool`. `indices` (i64) holds, for each
    output, the flat position of its maximum in the (unpadded) input: over
    all of N x C x spatial..., the spatial dims row-major or, with
    `storage_order`, column-major (the first spatial dim fastest). The first
    maximum in the window (row-major scan) wins.
  }];
  let arguments = (ins NN_PoolMaxTensor:$input, DenseI64ArrayAttr:$kernel_shape,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                   DenseI64ArrayAttr:$dilations, BoolAttr:$ceil_mode,
                   BoolAttr:$storage_order);
  let results = (outs NN_PoolMaxTensor:$result, RankedTensorOf<[I64]>:$indices);
}

def NN_LpPoolOp : NN_InferredOp<"lp_pool"> {
  let summary = "Lp pooling: (sum of |x|^p over each window)^(1/p) (ONNX LpPool)";
  let description = [{
    Windows as `nn.avg_pool` (no dilation, no ceil_mode); the padding adds
    zeros. `p` is an integer >= 1.
  }];
  let arguments = (ins NN_FloatTensor:$input, DenseI64ArrayAttr:$kernel_shape,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                   I64Attr:$p);
  let results = (outs NN_FloatTensor:$result);
}

#endif // KILN_NN_REDUCTION_OPS
