//===- NNDataMovementOps.td - nn data movement ops ---------*- tablegen -*-===//
//
// Data movement ops beyond the basic set in NNOps.td: gathers and
// broadcasts. Included from NNOps.td (it uses NN_InferredOp and NN_Tensor).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_NN_DATA_MOVEMENT_OPS
#define KILN_NN_DATA_MOVEMENT_OPS

def NN_IndexTensor : RankedTensorOf<[I32, I64]>;

def NN_GatherOp : NN_InferredOp<"gather"> {
  let summary = "take slices of `input` along `axis` at `indices` (ONNX Gather)";
  let description = [{
    The result has shape `input.shape[:axis] + indices.shape +
    input.shape[axis+1:]`: `result[o..., i..., r...] = input[o...,
    indices[i...], r...]`. A negative index counts from the end of the axis;
    an index still out of range after that is clamped into it (ONNX leaves
    it undefined; clamping keeps every read inside the tensor).
  }];
  let arguments = (ins NN_Tensor:$input, NN_IndexTensor:$indices,
                   I64Attr:$axis);
  let results = (outs NN_Tensor:$result);
}

def NN_GatherElementsOp : NN_InferredOp<"gather_elements"> {
  let summary = "pick one element of `input` per index (ONNX GatherElements)";
  let description = [{
    `indices` has the rank of `input` and, outside `axis`, no dimension
    larger than the input's; the result has the shape of `indices`:
    `result[i..., j, k...] = input[i..., indices[i..., j, k...], k...]`
    with `j` at position `axis`. Negative and out-of-range indices are
    handled as in `nn.gather`.
  }];
  let arguments = (ins NN_Tensor:$input, NN_IndexTensor:$indices,
                   I64Attr:$axis);
  let results = (outs NN_Tensor:$result);
}

def NN_ExpandOp : NN_InferredOp<"expand"> {
  let summary = "broadcast to a shape (ONNX Expand)";
  let description = [{
    The result shape is the numpy broadcast of the input's shape and `shape`
    (so a 1 in `shape` keeps the input's dimension, as in ONNX).
  }];
  let arguments = (ins NN_Tensor:$input, DenseI64ArrayAttr:$shape);
  let results = (outs NN_Tensor:$result);
}

#endif // KILN_NN_DATA_MOVEMENT_OPS
