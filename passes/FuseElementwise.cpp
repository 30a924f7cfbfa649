//===- FuseElementwise.cpp - groups of elementwise ops --------------------===//
//
// Elementwise ops that feed only each other become one nn.fused, which the
// lowering emits as one loop nest: each element is read once and the
// intermediate tensors disappear.
//
//===----------------------------------------------------------------------===//
#include "passes/Fusion.h"
#include "passes/Passes.h"

#include "llvm/ADT/DenseSet.h"

namespace kiln {
#define GEN_PASS_DEF_FUSEELEMENTWISE
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

struct FuseElementwise : kiln::impl::FuseElementwiseBase<FuseElementwise> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    llvm::DenseSet<Operation *> fused;
    for (Operation *root : fusionRoots(getOperation())) {
      if (fused.contains(root))
        continue;
      SmallVector<Operation *> group =
          growFusionGroup(root, [](Operation *) { return false; });
      if (group.size() < 2)
        continue;
      fused.insert(group.begin(), group.end());
      outlineFusionGroup(rewriter, group, nn::FusedKind::Elementwise);
    }
  }
};

} // namespace
