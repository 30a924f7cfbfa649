//===- Passes.h - Kiln graph and buffer passes ------------------*- C++ -*-===//
#ifndef KILN_PASSES_PASSES_H
#define KILN_PASSES_PASSES_H

#include "dialects/nn/NNDialect.h"

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

/// A pruned 3x3 conv whose filter keeps at most this fraction of its
/// weights runs the CPU's pattern kernel (NCHW; kiln-layout leaves it so);
/// a denser one runs the dense channels-last kernel, which is faster there:
/// the pattern kernel reaches ~40% of the FMA peak, the dense one ~95%
/// (ResNet18's 3x3 layers at 2.25x fewer weights: 0.8x; at 8x: 2.5-2.8x).
inline constexpr double kPatternKernelMaxDensity = 0.3;

/// The bytes of a statically shaped tensor of byte-sized elements.
inline int64_t tensorBytes(mlir::RankedTensorType type) {
  return type.getNumElements() * type.getElementTypeBitWidth() / 8;
}
} // namespace kiln

#endif // KILN_PASSES_PASSES_H
