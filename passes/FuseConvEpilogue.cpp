//===- FuseConvEpilogue.cpp - conv/gemm + bias + activation + residual ----===//
//
// A convolution or matrix product followed by elementwise ops (a bias add, an
// activation, a residual add) becomes one nn.fused: the lowering applies the
// whole epilogue to the product's result in place, so no intermediate tensor
// is written and read back.
//
//===----------------------------------------------------------------------===//
#include "passes/Fusion.h"
#include "passes/Passes.h"

#include "llvm/ADT/DenseSet.h"

namespace kiln {
#define GEN_PASS_DEF_FUSECONVEPILOGUE
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

bool isFloatAnchor(Operation *op) {
  if (!isa<nn::ConvOp, nn::GemmOp, nn::MatMulOp>(op))
    return false;
  return isa<FloatType>(
      cast<RankedTensorType>(op->getResult(0).getType()).getElementType());
}

struct FuseConvEpilogue : kiln::impl::FuseConvEpilogueBase<FuseConvEpilogue> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    llvm::DenseSet<Operation *> fused;
    for (Operation *root : fusionRoots(getOperation())) {
      if (fused.contains(root))
        continue;
      SmallVector<Operation *> group = growFusionGroup(root, isFloatAnchor);
      auto anchor = llvm::find_if(group, isFloatAnchor);
      if (anchor == group.end())
        continue;
      fused.insert(group.begin(), group.end());
      outlineFusionGroup(rewriter, group,
                         isa<nn::ConvOp>(*anchor)
                             ? nn::FusedKind::ConvEpilogue
                             : nn::FusedKind::GemmEpilogue);
    }
  }
};

} // namespace
