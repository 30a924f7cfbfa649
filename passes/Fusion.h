//===- Fusion.h - what the fusion passes share ------------------*- C++ -*-===//
//
// The fusion passes (FuseConvEpilogue.cpp, FuseElementwise.cpp) pick groups
// the same way and outline them into nn.fused the same way; they differ in
// whether a group has an anchor.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_PASSES_FUSION_H
#define KILN_PASSES_FUSION_H

#include "dialects/nn/NNOps.h"

#include "mlir/IR/PatternMatch.h"

namespace kiln {

/// The group that ends at `root` (a fusible elementwise op), in block order:
/// `root` and, transitively, every producer in its block that is a fusible
/// elementwise op (or, once, an op for which `isAnchor` holds) with `root`'s
/// result shape and whose users are all in the group. An anchor's own
/// operands stay outside the group.
llvm::SmallVector<mlir::Operation *>
growFusionGroup(mlir::Operation *root,
                llvm::function_ref<bool(mlir::Operation *)> isAnchor);

/// Replaces `group` (in block order, the last op the only one used outside)
/// by one nn.fused of `kind` that holds clones of its ops.
nn::FusedOp outlineFusionGroup(mlir::RewriterBase &rewriter,
                               llvm::ArrayRef<mlir::Operation *> group,
                               nn::FusedKind kind);

/// The fusible elementwise ops of `func`, last first: the roots to try.
llvm::SmallVector<mlir::Operation *> fusionRoots(mlir::Operation *func);

} // namespace kiln

#endif // KILN_PASSES_FUSION_H
