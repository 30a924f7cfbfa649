//===- NNFusedOps.td - nn dialect: fused groups ------------*- tablegen -*-===//
//
// Included from NNOps.td. A fused group is the graph passes' decision, in the
// IR, that a few ops run as one kernel: `nn.fused` holds them in its region
// and says which kind of kernel they make, and the lowering emits that kernel
// (docs/passes.md).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_NN_FUSED_OPS
#define KILN_NN_FUSED_OPS

include "mlir/IR/EnumAttr.td"

def NN_FusedKind : I32EnumAttr<"FusedKind", "the kind of kernel a fused group is", [
    I32EnumAttrCase<"ConvEpilogue", 0, "conv_epilogue">,
    I32EnumAttrCase<"GemmEpilogue", 1, "gemm_epilogue">,
    I32EnumAttrCase<"Elementwise", 2, "elementwise">]> {
  let cppNamespace = "::kiln::nn";
  let genSpecializedAttr = 0;
}

def NN_FusedKindAttr : EnumAttr<NN_Dialect, NN_FusedKind, "fused_kind">;

def NN_FusedOp : NN_Op<"fused", [Pure, IsolatedFromAbove]> {
  let summary = "ops fused into one kernel";
  let description = [{
    The region's block has one argument per operand and yields the result.
    Every op of the region is a float elementwise op that can be fused (the
    list is in docs/passes.md) whose result has the group's shape, except,
    for `conv_epilogue`, one `nn.conv` and, for `gemm_epilogue`, one
    `nn.gemm` or `nn.matmul` (the anchor), which reads only block arguments.
    `elementwise` holds at least two ops; an epilogue holds the anchor and
    at least one elementwise op. Every value defined in the region is used
    in it, so the yielded value is the only one that leaves the group.

    ```mlir
    %r = nn.fused conv_epilogue (%x, %w, %b) : (...) -> tensor<1x8x4x4xf32> {
    ^bb0(%a: tensor<1x3x4x4xf32>, %f: tensor<8x3x1x1xf32>, %c: tensor<8xf32>):
      %0 = nn.conv %a, %f, %c {...} : ...
      %1 = nn.relu %0 : tensor<1x8x4x4xf32>
      nn.yield %1 : tensor<1x8x4x4xf32>
    }
    ```
  }];
  let arguments = (ins Variadic<NN_Tensor>:$inputs, NN_FusedKindAttr:$kind);
  let results = (outs NN_FloatTensor:$result);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $kind `(` $inputs `)` attr-dict `:` functional-type($inputs, $result)
    $body
  }];
  let hasVerifier = 1;
  let hasRegionVerifier = 1;
  let extraClassDeclaration = [{
    /// The conv, gemm or matmul of an epilogue group; null for elementwise.
    ::mlir::Operation *getAnchor();
  }];
}

def NN_YieldOp : NN_Op<"yield", [Pure, Terminator, HasParent<"FusedOp">]> {
  let summary = "the result of a fused group";
  let arguments = (ins NN_FloatTensor:$value);
  let assemblyFormat = "$value attr-dict `:` type($value)";
}

#endif // KILN_NN_FUSED_OPS
