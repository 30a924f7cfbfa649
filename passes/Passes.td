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
    A buffer is live from its allocation to the last use of it or of any
    view of it, and buffers whose lifetimes do not overlap share space.
    In-place reuse: an elementwise `linalg.generic` whose output is a fresh
    buffer and one of whose inputs dies at it, read through the same
    indexing map and not aliased by another operand, writes its output over
    that input (they get one slot). Copy elision into slices: a buffer that
    dies at a `linalg.copy` into a subview of a fresh buffer (a padded
    input; a concat result where bufferization did not already place the
    producer) is replaced by that subview: the fresh buffer's allocation,
    fill and subview move up to the first buffer's allocation, its
    producers write straight into the slice, and the copy goes.
    Slots are placed greedily (larger first, each at the lowest
    64-byte-aligned offset free of the placed slots live at the same time);
    with at most `exact-limit` slots, an exact search then looks for a
    smaller arena. The arena size is recorded as `kiln.arena_size` on the
    function, the sum of all planned buffers as `kiln.buffers_size`.

    Aliases are followed conservatively: views, any memref computed from
    an alias, and the results of region ops that yield one. Dynamically
    shaped allocations, allocations inside nested regions or in
    multi-block functions, and buffers the function returns cannot be
    planned statically and are refused. Deallocations of planned buffers
    (and of their aliases) are erased.
  }];
  let options = [
    Option<"inPlace", "in-place", "bool", /*default=*/"true",
           "let elementwise ops write over an input that dies at them">,
    Option<"elideCopies", "elide-copies", "bool", /*default=*/"true",
           "let producers write straight into the slice of a padded or "
           "concatenated buffer they are copied into">,
    Option<"exactLimit", "exact-limit", "int64_t", /*default=*/"8",
           "search for an optimal plan when there are at most this many "
           "slots (0: greedy only)">
  ];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::memref::MemRefDialect"];
}

#endif // KILN_PASSES
