//===- NNElementwiseOps.td - nn elementwise math, logic --*- tablegen -*-===//
//
// Elementwise ops beyond the basic arithmetic and activations of NNOps.td:
// unary math, more activations, numpy-broadcast binary ops, comparisons,
// logic on i1 and Where. Included from NNOps.td.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_NN_ELEMENTWISE_OPS
#define KILN_NN_ELEMENTWISE_OPS

def NN_BoolTensor : RankedTensorOf<[I1]>;

//===----------------------------------------------------------------------===//
// Unary floating-point math (result type = operand type)
//===----------------------------------------------------------------------===//

def NN_AbsOp : NN_UnaryOp<"abs", "|x|">;
def NN_NegOp : NN_UnaryOp<"neg", "-x">;
def NN_CeilOp : NN_UnaryOp<"ceil", "smallest integer >= x">;
def NN_FloorOp : NN_UnaryOp<"floor", "largest integer <= x">;
def NN_RoundOp : NN_UnaryOp<"round", "nearest integer, halves to even">;
def NN_ExpOp : NN_UnaryOp<"exp", "e^x">;
def NN_LogOp : NN_UnaryOp<"log", "natural logarithm">;
def NN_SqrtOp : NN_UnaryOp<"sqrt", "square root">;
def NN_ReciprocalOp : NN_UnaryOp<"reciprocal", "1 / x">;
def NN_ErfOp : NN_UnaryOp<"erf", "the error function">;
def NN_TanhOp : NN_UnaryOp<"tanh", "hyperbolic tangent">;
def NN_SignOp : NN_UnaryOp<"sign", "-1, 0 or 1 by the sign of x">;
def NN_SoftplusOp : NN_UnaryOp<"softplus", "log(1 + exp(x))">;
def NN_SoftsignOp : NN_UnaryOp<"softsign", "x / (1 + |x|)">;
def NN_SinOp : NN_UnaryOp<"sin", "sine">;
def NN_CosOp : NN_UnaryOp<"cos", "cosine">;
def NN_TanOp : NN_UnaryOp<"tan", "tangent">;
def NN_AsinOp : NN_UnaryOp<"asin", "arcsine">;
def NN_AcosOp : NN_UnaryOp<"acos", "arccosine">;
def NN_AtanOp : NN_UnaryOp<"atan", "arctangent">;
def NN_SinhOp : NN_UnaryOp<"sinh", "hyperbolic sine">;
def NN_CoshOp : NN_UnaryOp<"cosh", "hyperbolic cosine">;
def NN_AsinhOp : NN_UnaryOp<"asinh", "inverse hyperbolic sine">;
def NN_AcoshOp : NN_UnaryOp<"acosh", "inverse hyperbolic cosine">;
def NN_AtanhOp : NN_UnaryOp<"atanh", "inverse hyperbolic tangent">;

def NN_EluOp : NN_UnaryOp<"elu", "x < 0 ? alpha * (exp(x) - 1) : x",
                          (ins F32Attr:$alpha)>;
def NN_CeluOp : NN_UnaryOp<"celu",
    "max(0, x) + min(0, alpha * (exp(x / alpha) - 1))", (ins F32Attr:$alpha)> {
  let hasVerifier = 1;
}
def NN_SeluOp : NN_UnaryOp<"selu",
    "gamma * (x <= 0 ? alpha * (exp(x) - 1) : x)",
    (ins F32Attr:$alpha, F32Attr:$gamma)>;
def NN_ThresholdedReluOp : NN_UnaryOp<"thresholded_relu", "x > alpha ? x : 0",
                                      (ins F32Attr:$alpha)>;
def NN_ShrinkOp : NN_UnaryOp<"shrink",
    "x < -lambd ? x + bias : (x > lambd ? x - bias : 0)",
    (ins F32Attr:$lambd, F32Attr:$bias)> {
  let hasVerifier = 1;
}

def NN_IsNaNOp : NN_InferredOp<"is_nan"> {
  let summary = "true where x is NaN";
  let arguments = (ins NN_FloatTensor:$input);
  let results = (outs NN_BoolTensor:$result);
}

def NN_IsInfOp : NN_InferredOp<"is_inf"> {
  let summary = "true where x is +inf (if detect_positive) or -inf (if "
                "detect_negative)";
  let arguments = (ins NN_FloatTensor:$input, BoolAttr:$detect_positive,
                   BoolAttr:$detect_negative);
  let results = (outs NN_BoolTensor:$result);
}

//===----------------------------------------------------------------------===//
// Binary with numpy broadcasting
//===----------------------------------------------------------------------===//

// MLIR integers are signless: `is_unsigned` orders integers as unsigned
// (ONNX UINT8 to UINT64), else they order as signed.
class NN_OrderOp<string mnemonic, string what> : NN_InferredOp<mnemonic> {
  let summary = "elementwise " # what # " with numpy broadcasting";
  let arguments = (ins NN_Tensor:$lhs, NN_Tensor:$rhs,
                   DefaultValuedAttr<BoolAttr, "false">:$is_unsigned);
  let results = (outs NN_Tensor:$result);
}

def NN_MaxOp : NN_OrderOp<"max", "maximum">;
def NN_MinOp : NN_OrderOp<"min", "minimum">;

def NN_PowOp : NN_InferredOp<"pow"> {
  let summary = "lhs ^ rhs with numpy broadcasting";
  let description = [{
    The result has the base's element type. A floating-point base takes an
    exponent of its own type or an integer one. A signed integer base
    takes an integer or any floating-point exponent: an integral
    exponent gives the exact (wrapping) integer power, where a negative one
    gives 1 / x^n truncated (0 unless x is 1 or -1); any other exponent
    gives the floating-point power truncated toward zero. An integer
    exponent is signed unless `unsigned_exponent` (ONNX UINT8 to UINT64).
  }];
  let arguments = (ins NN_Tensor:$lhs, NN_Tensor:$rhs,
                   DefaultValuedAttr<BoolAttr, "false">:$unsigned_exponent);
  let results = (outs NN_Tensor:$result);
}

def NN_ModOp : NN_InferredOp<"mod"> {
  let summary = "signed integer remainder with numpy broadcasting";
  let description = [{
    With `fmod` the result has the sign of the dividend (C's %), without it
    the sign of the divisor (Python's %). x mod 0 is 0, as in numpy.
  }];
  let arguments = (ins RankedTensorOf<[I32, I64]>:$lhs,
                   RankedTensorOf<[I32, I64]>:$rhs, BoolAttr:$fmod);
  let results = (outs RankedTensorOf<[I32, I64]>:$result);
}

def NN_PReluOp : NN_InferredOp<"prelu"> {
  let summary = "x < 0 ? slope * x : x; slope broadcasts to x's shape";
  let arguments = (ins NN_FloatTensor:$input, NN_FloatTensor:$slope);
  let results = (outs NN_FloatTensor:$result);
}

class NN_CompareOp<string mnemonic, string what> : NN_InferredOp<mnemonic> {
  let summary = what # " with numpy broadcasting, an i1 result "
                "(signed for integers)";
  let arguments = (ins NN_Tensor:$lhs, NN_Tensor:$rhs);
  let results = (outs NN_BoolTensor:$result);
}

def NN_EqualOp : NN_CompareOp<"equal", "lhs == rhs">;
def NN_GreaterOp : NN_CompareOp<"greater", "lhs > rhs">;
def NN_GreaterEqualOp : NN_CompareOp<"greater_equal", "lhs >= rhs">;
def NN_LessOp : NN_CompareOp<"less", "lhs < rhs">;
def NN_LessEqualOp : NN_CompareOp<"less_equal", "lhs <= rhs">;

class NN_LogicalOp<string mnemonic, string what> : NN_InferredOp<mnemonic> {
  let summary = what # " of i1 tensors with numpy broadcasting";
  let arguments = (ins NN_BoolTensor:$lhs, NN_BoolTensor:$rhs);
  let results = (outs NN_BoolTensor:$result);
}

def NN_AndOp : NN_LogicalOp<"and", "logical and">;
def NN_OrOp : NN_LogicalOp<"or", "logical or">;
def NN_XorOp : NN_LogicalOp<"xor", "logical exclusive or">;

def NN_NotOp : NN_Op<"not", [Pure, SameOperandsAndResultType]> {
  let summary = "logical not of an i1 tensor";
  let arguments = (ins NN_BoolTensor:$input);
  let results = (outs NN_BoolTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def NN_WhereOp : NN_InferredOp<"where"> {
  let summary = "condition ? lhs : rhs, all three broadcast together";
  let arguments = (ins NN_BoolTensor:$condition, NN_Tensor:$lhs,
                   NN_Tensor:$rhs);
  let results = (outs NN_Tensor:$result);
}

#endif // KILN_NN_ELEMENTWISE_OPS
