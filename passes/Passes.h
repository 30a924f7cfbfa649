//===- Passes.h - Kiln graph and buffer passes ------------------*- C++ -*-===//
#ifndef KILN_PASSES_PASSES_H
#define KILN_PASSES_PASSES_H

#include "dialects/nn/NNDialect.h"
#include "dialects/nna/NNADialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Rewrite/FrozenRewritePatternSet.h"

namespace kiln {
#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

/// The pattern of kiln-fold-constants, for the passes that create weight
/// arithmetic and want it evaluated in the same run.
void populateFoldConstantsPatterns(mlir::RewritePatternSet &patterns);

/// Erases the ops of `fn`'s body whose results nothing reads (and that have
/// no effects), until none is left: what a rewrite that replaced ops
/// leaves behind.
void eraseDeadOps(mlir::func::FuncOp fn);

/// Applies a graph pass's patterns to `root` as all graph passes do.
void applyGraphPatterns(mlir::Operation *root,
                        mlir::FrozenRewritePatternSet patterns);

/// Name of the function attribute holding the planned arena size in bytes.
inline constexpr llvm::StringLiteral kArenaSizeAttr = "kiln.arena_size";
/// Name of the function attribute holding the sum of the sizes of all the
/// buffers the plan placed (what the arena would be without any reuse).
inline constexpr llvm::StringLiteral kBuffersSizeAttr = "kiln.buffers_size";
/// Alignment of every planned buffer and of the arena itself.
inline constexpr int64_t kArenaAlignment = 64;

/// Whether a pruned 3x3 conv keeping `nonzero` of its `weights`, at
/// `stride`, with output rows `outWidth` long, runs the CPU's pattern
/// kernel (NCHW; kiln-layout leaves it so) rather than the dense
/// channels-last one. Single layers, AVX-512 (docs/compiler.md): with 8x
/// fewer weights the pattern kernel is 3.0-4.3x faster than the dense one
/// at stride 1 and ~1.3x at stride 2; with patterns alone (4 of 9 weights)
/// 1.2-1.3x on stride-1 rows of 14 to 56, but 0.85x on 7x7 layers, whose
/// rows fill half a vector, and slower at stride 2.
inline bool runsPatternKernel(int64_t nonzero, int64_t weights,
                              int64_t stride, int64_t outWidth) {
  double density = double(nonzero) / double(weights);
  return density <= 0.3 || (density <= 0.5 && stride == 1 && outWidth >= 14);
}

/// Per-tensor asymmetric int8 quantisation: real = (q - zero) * scale.
struct QuantParams {
  double scale;
  int64_t zero;
};

/// The quantisation of a calibrated range [lo, hi], widened to hold 0 (so
/// that 0, and the padding, is exact): 256 steps across it.
QuantParams quantParams(double lo, double hi);

/// `real` (> 0) as a fixed-point multiplier and shift, docs/nna.md's
/// `mult · 2^(shift − 31)` with `mult` in [2^30, 2^31); (0, 0) when `real`
/// is below the smallest step or not positive.
std::pair<int64_t, int64_t> quantizeMultiplier(double real);

/// The bytes of a statically shaped tensor of byte-sized elements.
inline int64_t tensorBytes(mlir::RankedTensorType type) {
  return type.getNumElements() * type.getElementTypeBitWidth() / 8;
}
} // namespace kiln

#endif // KILN_PASSES_PASSES_H
