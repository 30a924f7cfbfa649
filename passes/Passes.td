//===- Passes.td - Kiln graph and buffer passes ------------*- tablegen -*-===//
#ifndef KILN_PASSES
#define KILN_PASSES

include "mlir/Pass/PassBase.td"

def PlanMemory : Pass<"kiln-plan-memory", "mlir::func::FuncOp"> {
  let summary = "Place every buffer of a function in one arena argument";
  let description = [{
    Runs on bufferized code. Every `memref.alloc` of the function's entry
    block becomes a `memref.view` into a new trailing argument
    `memref<Nxi8>` (the arena the runtime allocates once per session).
    Offsets come from a greedy, liveness-aware placement: a buffer is live
    from its allocation to the last use of it or of any view of it, and
    buffers whose lifetimes do not overlap share space. Larger buffers are
    placed first, each at the lowest 64-byte-aligned offset that does not
    collide with a placed buffer live at the same time. The arena size is
    recorded as `kiln.arena_size` on the function.

    Aliases are followed conservatively: views, any memref computed from
    an alias, and the results of region ops that yield one. Dynamically
    shaped allocations, allocations inside nested regions or in
    multi-block functions, and buffers the function returns cannot be
    planned statically and are refused. Deallocations of planned buffers
    (and of their aliases) are erased.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::memref::MemRefDialect"];
}

def FuseConvEpilogue : Pass<"kiln-fuse-conv-epilogue", "mlir::func::FuncOp"> {
  let summary = "Fuse conv, gemm and matmul with the elementwise ops after "
                "them (bias, activation, residual add)";
  let description = [{
    Each group becomes one `nn.fused` of kind `conv_epilogue` (anchor
    `nn.conv`) or `gemm_epilogue` (anchor `nn.gemm` or `nn.matmul`). A group
    grows backwards from an elementwise op through producers that are float
    elementwise ops (`nn::isFusibleElementwise`) or the one anchor, taking a
    producer only when all its users are already in the group (so no
    intermediate value is needed outside it) and its result has the
    anchor's shape (so every other operand broadcasts into the anchor's
    result, never the result into a larger one). A group without an anchor
    is left for `kiln-fuse-elementwise`. Integer (ConvInteger,
    MatMulInteger) anchors are not fused.
  }];
  let dependentDialects = ["kiln::nn::NNDialect"];
}

def FuseElementwise : Pass<"kiln-fuse-elementwise", "mlir::func::FuncOp"> {
  let summary = "Fuse groups of float elementwise ops into one nn.fused";
  let description = [{
    Runs after `kiln-fuse-conv-epilogue`. Groups grow as there, without an
    anchor: backwards from an elementwise op through elementwise producers
    of the same result shape whose users are all in the group. A group of
    two ops or more becomes one `nn.fused` of kind `elementwise`, which the
    CPU lowering emits as one loop nest with no intermediate tensors.
  }];
  let dependentDialects = ["kiln::nn::NNDialect"];
}

#endif // KILN_PASSES
