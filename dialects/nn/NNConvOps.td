//===- NNConvOps.td - nn dialect: convolution, products, quantisation -*- tablegen -*-===//
//
// Included from NNOps.td. N-D convolution and its transpose, einsum
// contractions, and the linear (de)quantisation ops that ONNX's integer and
// QLinear ops are imported to. MLIR integers are signless: the ops that read
// or write 8-bit quantised data say whether it is unsigned (`is_unsigned`).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_NN_CONV_OPS
#define KILN_NN_CONV_OPS

def NN_ConvElementTensor : RankedTensorOf<[AnyFloat, I32]>;
def NN_I8Tensor : RankedTensorOf<[I8]>;
def NN_QuantTensor : RankedTensorOf<[I8, I32]>;

def NN_ConvOp : NN_InferredOp<"conv"> {
  let summary = "N-D convolution (ONNX Conv): 1 to 3 spatial dims, grouped";
  let description = [{
    `input` is NxCxD1x..xDn, `filter` is Fx(C/group)xK1x..xKn, `bias`
    (optional) is F; n is 1, 2 or 3. `strides` and `dilations` have n
    entries, `pads` 2n (all begins, then all ends); auto_pad is resolved on
    import. The element type is a float type, or i32 (ConvInteger: the
    operands are already widened and have their zero points subtracted).

    With `channels_last` (2-D only; set by the layout pass, kiln-layout) the
    channels are the innermost dim: `input` is NxHxWxC, `filter` is
    KHxKWx(C/group)xF and the result NxOHxOWxF; attributes keep their
    meaning.
  }];
  let arguments = (ins NN_ConvElementTensor:$input,
                   NN_ConvElementTensor:$filter,
                   Optional<NN_ConvElementTensor>:$bias,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                   DenseI64ArrayAttr:$dilations, I64Attr:$group,
                   UnitAttr:$channels_last);
  let results = (outs NN_ConvElementTensor:$result);
}

def NN_ConvTransposeOp : NN_InferredOp<"conv_transpose"> {
  let summary = "N-D transposed convolution (ONNX ConvTranspose)";
  let description = [{
    `input` is NxCxD1x..xDn, `filter` is Cx(F/group)xK1x..xKn, `bias`
    (optional) is F; n is 1, 2 or 3. Output size per spatial dim:
    `strides * (D - 1) + output_padding + (K - 1) * dilations + 1 - pad_begin
    - pad_end`. `pads` (all begins, then all ends) may be negative: a
    negative pad extends the result with zeros (an ONNX `output_shape` larger
    than the full result). output_shape and auto_pad are resolved to pads on
    import.
  }];
  let arguments = (ins NN_FloatTensor:$input, NN_FloatTensor:$filter,
                   Optional<NN_FloatTensor>:$bias,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                   DenseI64ArrayAttr:$dilations,
                   DenseI64ArrayAttr:$output_padding, I64Attr:$group);
  let results = (outs NN_FloatTensor:$result);
}

def NN_EinsumOp : NN_InferredOp<"einsum"> {
  let summary = "a sum of products over index letters (ONNX Einsum)";
  let description = [{
    Each operand dim and each result dim is named by an index (a small
    integer). `operand_indices` holds one array per operand, `result_indices`
    the result's. An index has the same size wherever it appears; repeated
    within one operand it reads that operand's diagonal (`ii` is the
    elements x[i, i]). The result is the product of the operands summed over
    the indices the result lacks (so `ii -> ()` is a trace).
  }];
  let arguments = (ins Variadic<NN_FloatTensor>:$inputs,
                   TypedArrayAttrBase<DenseI64ArrayAttr,
                                      "one index array per operand">:$operand_indices,
                   DenseI64ArrayAttr:$result_indices);
  let results = (outs NN_FloatTensor:$result);
}

def NN_QuantizeLinearOp : NN_InferredOp<"quantize_linear"> {
  let summary = "saturate(round_half_even(x / scale) + zero_point) to 8 bits";
  let description = [{
    ONNX QuantizeLinear. `scale` (float) and `zero_point` (i8) are both
    scalars (rank 0: per tensor) or both 1-D with the size of `input`'s dim
    `axis` (per axis). `is_unsigned`: the 8-bit values are uint8 (saturate to
    [0, 255]), else int8 ([-128, 127]).
  }];
  let arguments = (ins NN_FloatTensor:$input, NN_FloatTensor:$scale,
                   NN_I8Tensor:$zero_point, I64Attr:$axis,
                   BoolAttr:$is_unsigned);
  let results = (outs NN_I8Tensor:$result);
}

def NN_DequantizeLinearOp : NN_InferredOp<"dequantize_linear"> {
  let summary = "(x - zero_point) * scale as f32";
  let description = [{
    ONNX DequantizeLinear. `input` and `zero_point` are i8 (uint8 when
    `is_unsigned`) or i32 (then `is_unsigned` must be false). `scale` (f32)
    and `zero_point` are both scalars (rank 0) or both 1-D with the size of
    `input`'s dim `axis`.
  }];
  let arguments = (ins NN_QuantTensor:$input, NN_FloatTensor:$scale,
                   NN_QuantTensor:$zero_point, I64Attr:$axis,
                   BoolAttr:$is_unsigned);
  let results = (outs RankedTensorOf<[F32]>:$result);
}

def NN_SubtractZeroPointOp : NN_InferredOp<"subtract_zero_point"> {
  let summary = "widen 8-bit values to i32 and subtract their zero point";
  let description = [{
    The integer half of MatMulInteger, ConvInteger and the QLinear ops:
    `result = ext(input) - ext(zero_point)` in i32, with zero extension when
    `is_unsigned` (uint8) and sign extension otherwise. `zero_point` is a
    scalar (rank 0) or 1-D with the size of `input`'s dim `axis`.
  }];
  let arguments = (ins NN_I8Tensor:$input, NN_I8Tensor:$zero_point,
                   I64Attr:$axis, BoolAttr:$is_unsigned);
  let results = (outs RankedTensorOf<[I32]>:$result);
}

def NN_DynamicQuantizeLinearOp : NN_InferredOp<"dynamic_quantize_linear"> {
  let summary = "uint8 quantisation with a scale and zero point from the data";
  let description = [{
    ONNX DynamicQuantizeLinear: with lo = min(0, min(x)), hi = max(0,
    max(x)): `scale = (hi - lo) / 255`, `zero_point = saturate(
    round_half_even(-lo / scale))` and `result = saturate(round_half_even(x /
    scale) + zero_point)`, saturating to [0, 255] (uint8). `scale` and
    `zero_point` are scalars.
  }];
  let arguments = (ins RankedTensorOf<[F32]>:$input);
  let results = (outs NN_I8Tensor:$result, 0DTensorOf<[F32]>:$scale,
                  0DTensorOf<[I8]>:$zero_point);
}

#endif // KILN_NN_CONV_OPS
