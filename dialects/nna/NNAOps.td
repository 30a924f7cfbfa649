//===- NNAOps.td - nna dialect operations ------------------*- tablegen -*-===//
#ifndef KILN_NNA_OPS
#define KILN_NNA_OPS

include "dialects/nna/NNADialect.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def NNA_Cube : 3DTensorOf<[I8]>;

def NNA_RequantAttr : NNA_Attr<"Requant", "requant"> {
  let summary = "an int8 quantised add: two requantised inputs, one output";
  let description = [{
    The parameters of TFLite's quantised add as docs/nna.md defines it
    (stage 2 of a conv's SDP, or the SDP's own add): with L = 20,
    `u = mulq((a - a_zero) * 2^L, a_mult, a_shift) + mulq((b - b_zero) * 2^L,
    b_mult, b_shift)`, `out = clamp(mulq(u, o_mult, o_shift) + o_zero, lo,
    hi)`. For a conv, `a` is its requantised result and `a_zero` its
    `out_zero`.
  }];
  let parameters = (ins "int64_t":$a_zero, "int64_t":$a_mult,
                    "int64_t":$a_shift, "int64_t":$b_zero, "int64_t":$b_mult,
                    "int64_t":$b_shift, "int64_t":$o_mult, "int64_t":$o_shift,
                    "int64_t":$o_zero, "int64_t":$lo, "int64_t":$hi);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def NNA_ConvOp : NNA_Op<"conv", [Pure]> {
  let summary = "int8 convolution with its SDP stages (requantise, add, clamp)";
  let description = [{
    `input` is HxWxC, `weights` KxKHxKWxCg (Cg = C; with `depthwise`,
    Cg = 1 and K = C), `params` Kx3: per output channel the int32 bias,
    multiplier and shift of the requantisation. `pads` are top, left,
    bottom, right; padding reads `in_zero`. The result is
    `clamp(mulq(acc, mult, shift) + out_zero, clamp[0], clamp[1])`, then,
    with `addend` and `add`, the quantised add of the addend (docs/nna.md).
  }];
  let arguments = (ins NNA_Cube:$input, 4DTensorOf<[I8]>:$weights,
                   2DTensorOf<[I32]>:$params, Optional<NNA_Cube>:$addend,
                   DenseI64ArrayAttr:$kernel, DenseI64ArrayAttr:$strides,
                   DenseI64ArrayAttr:$pads, UnitAttr:$depthwise,
                   I64Attr:$in_zero, I64Attr:$out_zero,
                   DenseI64ArrayAttr:$clamp,
                   OptionalAttr<NNA_RequantAttr>:$add);
  let results = (outs NNA_Cube:$result);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def NNA_AddOp : NNA_Op<"add", [Pure]> {
  let summary = "int8 quantised add of two tensors (the SDP)";
  let arguments = (ins NNA_Cube:$lhs, NNA_Cube:$rhs, NNA_RequantAttr:$add);
  let results = (outs NNA_Cube:$result);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def NNA_PoolOp : NNA_Op<"pool", [Pure]> {
  let summary = "int8 max or average pooling (the PDP)";
  let description = [{
    `mode` is "max" (padding ignored) or "avg" (rounded as docs/nna.md
    says; with `count_include_pad` the padded taps count as `in_zero`). The
    result keeps the input's scale and zero point.
  }];
  let arguments = (ins NNA_Cube:$input, StrAttr:$mode,
                   DenseI64ArrayAttr:$kernel, DenseI64ArrayAttr:$strides,
                   DenseI64ArrayAttr:$pads, UnitAttr:$count_include_pad,
                   I64Attr:$in_zero);
  let results = (outs NNA_Cube:$result);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

#endif // KILN_NNA_OPS
