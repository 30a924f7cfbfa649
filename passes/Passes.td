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

#endif // KILN_PASSES
