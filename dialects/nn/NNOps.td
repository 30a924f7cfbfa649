//===- NNOps.td - nn dialect operations --------------------*- tablegen -*-===//
//
// Conventions shared by all ops:
//  * tensors are ranked; activations are NCHW as in ONNX;
//  * spatial pads are listed as ONNX does: all begins, then all ends;
//  * result types are inferred (InferTypeOpInterface), and the inference is
//    the shape verifier: an op whose result type disagrees does not verify.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_NN_OPS
#define KILN_NN_OPS

include "dialects/nn/NNDialect.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def NN_FloatTensor : RankedTensorOf<[AnyFloat]>;
def NN_Tensor : RankedTensorOf<[AnyFloat, AnySignlessInteger]>;
// Values that max pooling orders: floats, or integers compared as signed.
def NN_PoolMaxTensor : RankedTensorOf<[AnyFloat, I32, I64]>;

class NN_InferredOp<string mnemonic, list<Trait> traits = []>
    : NN_Op<mnemonic, !listconcat([Pure, InferTypeOpAdaptor], traits)> {
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
}

//===----------------------------------------------------------------------===//
// Constants and plumbing
//===----------------------------------------------------------------------===//

def NN_ConstantOp : NN_Op<"constant", [ConstantLike, Pure]> {
  let summary = "a constant tensor (weights are dense_resource blobs)";
  let arguments = (ins ElementsAttr:$value);
  let results = (outs NN_Tensor:$result);
  // Printed like arith.constant: the value carries the type.
  let hasCustomAssemblyFormat = 1;
  let hasFolder = 1;
  let hasVerifier = 1;
}

def NN_IdentityOp : NN_Op<"identity", [Pure, SameOperandsAndResultType]> {
  let summary = "ONNX Identity, and Dropout at inference";
  let arguments = (ins NN_Tensor:$input);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
  let hasFolder = 1;
}

def NN_CastOp : NN_Op<"cast", [Pure, SameOperandsAndResultShape]> {
  let summary = "element type conversion (ONNX Cast of a run-time tensor)";
  let description = [{
    Floats widen exactly and narrow to nearest; float to integer truncates
    toward zero (out-of-range values are undefined, as in ONNX); anything to
    bool (i1) is `x != 0`; bool to a number is 0 or 1. MLIR integers are
    signless, so `unsigned_input` / `unsigned_result` mark an integer side
    that is unsigned in ONNX (UINT8): it extends and converts as unsigned.
  }];
  let arguments = (ins NN_Tensor:$input,
                   DefaultValuedAttr<BoolAttr, "false">:$unsigned_input,
                   DefaultValuedAttr<BoolAttr, "false">:$unsigned_result);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `to` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Convolution and matrix products
//===----------------------------------------------------------------------===//

include "dialects/nn/NNConvOps.td"

def NN_GemmOp : NN_InferredOp<"gemm"> {
  let summary = "alpha * op(A) * op(B) + beta * C (ONNX Gemm)";
  let arguments = (ins NN_FloatTensor:$a, NN_FloatTensor:$b,
                   Optional<NN_FloatTensor>:$c, F32Attr:$alpha, F32Attr:$beta,
                   BoolAttr:$trans_a, BoolAttr:$trans_b);
  let results = (outs NN_FloatTensor:$result);
}

def NN_MatMulOp : NN_InferredOp<"matmul"> {
  let summary = "numpy matmul with broadcast batch dimensions (ONNX MatMul)";
  let description = [{
    Float operands, or i32 ones (MatMulInteger, after widening).
  }];
  let arguments = (ins NN_ConvElementTensor:$lhs, NN_ConvElementTensor:$rhs);
  let results = (outs NN_ConvElementTensor:$result);
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

class NN_BinaryOp<string mnemonic, string what>
    : NN_InferredOp<mnemonic> {
  let summary = what # " with numpy broadcasting";
  let arguments = (ins NN_Tensor:$lhs, NN_Tensor:$rhs);
  let results = (outs NN_Tensor:$result);
}

def NN_AddOp : NN_BinaryOp<"add", "elementwise sum">;
def NN_SubOp : NN_BinaryOp<"sub", "elementwise difference">;
def NN_MulOp : NN_BinaryOp<"mul", "elementwise product">;
def NN_DivOp : NN_BinaryOp<"div", "elementwise quotient">;

class NN_UnaryOp<string mnemonic, string what, dag attrs = (ins)>
    : NN_Op<mnemonic, [Pure, SameOperandsAndResultType]> {
  let summary = what;
  let arguments = !con((ins NN_FloatTensor:$input), attrs);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def NN_ReluOp : NN_UnaryOp<"relu", "max(x, 0)">;
def NN_SigmoidOp : NN_UnaryOp<"sigmoid", "1 / (1 + exp(-x))">;
def NN_HardSwishOp : NN_UnaryOp<"hard_swish", "x * max(0, min(1, x / 6 + 0.5))">;
def NN_ClipOp : NN_UnaryOp<"clip", "min(max(x, min), max)",
                           (ins F32Attr:$min, F32Attr:$max)> {
  let hasVerifier = 1;
}
def NN_HardSigmoidOp : NN_UnaryOp<"hard_sigmoid",
    "max(0, min(1, alpha * x + beta))", (ins F32Attr:$alpha, F32Attr:$beta)>;
def NN_LeakyReluOp : NN_UnaryOp<"leaky_relu", "x < 0 ? alpha * x : x",
                                (ins F32Attr:$alpha)>;

def NN_BatchNormOp : NN_InferredOp<"batch_norm"> {
  let summary = "inference BatchNormalization over dimension 1";
  let arguments = (ins NN_FloatTensor:$input, NN_FloatTensor:$scale,
                   NN_FloatTensor:$bias, NN_FloatTensor:$mean,
                   NN_FloatTensor:$variance, F32Attr:$epsilon);
  let results = (outs NN_FloatTensor:$result);
}

def NN_SoftmaxOp : NN_InferredOp<"softmax"> {
  let summary = "softmax along one axis (ONNX Softmax, opset 13 semantics)";
  let arguments = (ins NN_FloatTensor:$input, I64Attr:$axis);
  let results = (outs NN_FloatTensor:$result);
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

def NN_MaxPoolOp : NN_InferredOp<"max_pool"> {
  let summary = "max pooling over N x C x spatial... (ONNX MaxPool, 1-D and up)";
  let description = [{
    Floats, or i32 / i64 compared as signed (ONNX INT8 and UINT8 are widened
    to i32 by the importer); the padding never wins. With `channels_last`
    (2-D only, from kiln-layout) the input and result are NxHxWxC.
  }];
  let arguments = (ins NN_PoolMaxTensor:$input, DenseI64ArrayAttr:$kernel_shape,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                   DenseI64ArrayAttr:$dilations, BoolAttr:$ceil_mode,
                   UnitAttr:$channels_last);
  let results = (outs NN_PoolMaxTensor:$result);
}

def NN_AvgPoolOp : NN_InferredOp<"avg_pool"> {
  let summary = "average pooling over N x C x spatial... (ONNX AveragePool, 1-D and up)";
  let description = [{
    With `channels_last` (2-D only, from kiln-layout) the input and result
    are NxHxWxC.
  }];
  let arguments = (ins NN_FloatTensor:$input, DenseI64ArrayAttr:$kernel_shape,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                   BoolAttr:$ceil_mode, BoolAttr:$count_include_pad,
                   UnitAttr:$channels_last);
  let results = (outs NN_FloatTensor:$result);
}

def NN_GlobalAvgPoolOp : NN_InferredOp<"global_avg_pool"> {
  let summary = "mean over all spatial dimensions, kept as size 1";
  let arguments = (ins NN_FloatTensor:$input);
  let results = (outs NN_FloatTensor:$result);
}

def NN_ReduceMeanOp : NN_InferredOp<"reduce_mean"> {
  let summary = "mean over `axes` (ONNX ReduceMean)";
  let arguments = (ins NN_FloatTensor:$input, DenseI64ArrayAttr:$axes,
                   BoolAttr:$keepdims);
  let results = (outs NN_FloatTensor:$result);
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

def NN_ConcatOp : NN_InferredOp<"concat"> {
  let summary = "concatenation along one axis";
  let arguments = (ins Variadic<NN_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs NN_Tensor:$result);
}

def NN_ReshapeOp : NN_Op<"reshape", [Pure]> {
  let summary = "reshape to the result type (ONNX Reshape with a known shape)";
  let arguments = (ins NN_Tensor:$input);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type($input, $result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def NN_FlattenOp : NN_InferredOp<"flatten"> {
  let summary = "collapse to 2-D at `axis` (ONNX Flatten)";
  let arguments = (ins NN_Tensor:$input, I64Attr:$axis);
  let results = (outs NN_Tensor:$result);
}

def NN_TransposeOp : NN_InferredOp<"transpose"> {
  let summary = "permute dimensions: result dim i is input dim perm[i]";
  let arguments = (ins NN_Tensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs NN_Tensor:$result);
}

def NN_PadOp : NN_InferredOp<"pad"> {
  let summary = "padding (ONNX Pad: constant, reflect and edge modes)";
  let description = [{
    `pads` lists all begins, then all ends, per dim; none is negative (ONNX's
    negative pads are imported as a slice). `mode` is `constant` (the new
    elements are `value`, converted to the element type), `reflect` (mirror
    without repeating the border element: pads must be smaller than the
    dimension) or `edge` (repeat the border element).
  }];
  let arguments = (ins NN_Tensor:$input, DenseI64ArrayAttr:$pads,
                   F32Attr:$value,
                   DefaultValuedStrAttr<StrAttr, "constant">:$mode);
  let results = (outs NN_Tensor:$result);
}

def NN_SliceOp : NN_InferredOp<"slice"> {
  let summary = "strided slice with static, normalised bounds";
  let description = [{
    One entry per dimension: `size` elements are taken, at offset,
    offset+step, ...; a negative step walks backwards from `offset`. A size
    of 0 is an empty slice, whose offset may be anywhere in [0, dim]. ONNX
    Slice and Split are imported to this.
  }];
  let arguments = (ins NN_Tensor:$input, DenseI64ArrayAttr:$offsets,
                   DenseI64ArrayAttr:$sizes, DenseI64ArrayAttr:$steps);
  let results = (outs NN_Tensor:$result);
}

include "dialects/nn/NNReductionOps.td"
include "dialects/nn/NNDataMovementOps.td"
include "dialects/nn/NNElementwiseOps.td"
include "dialects/nn/NNResizeOps.td"
include "dialects/nn/NNFusedOps.td"

#endif // KILN_NN_OPS
