//===- CancelTransposeReshape.cpp - compose transpose and reshape chains --===//
#include "dialects/nn/NNOps.h"
#include "passes/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace kiln {
#define GEN_PASS_DEF_CANCELTRANSPOSERESHAPE
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
namespace nn = kiln::nn;

namespace {
bool isIdentityPermutation(ArrayRef<int64_t> perm) {
  for (auto [i, p] : llvm::enumerate(perm))
    if (p != static_cast<int64_t>(i))
      return false;
  return true;
}

/// transpose(transpose(x, p), q) = transpose(x, p o q); identity perms go.
struct ComposeTransposes : OpRewritePattern<nn::TransposeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(nn::TransposeOp op,
                                PatternRewriter &rewriter) const override {
    Value source = op.getInput();
    SmallVector<int64_t> perm(op.getPerm());
    if (auto inner = source.getDefiningOp<nn::TransposeOp>()) {
      // Result dim i is inner's dim perm[i], which is source dim
      // inner.perm[perm[i]].
      for (int64_t &p : perm)
        p = inner.getPerm()[p];
      source = inner.getInput();
    } else if (!isIdentityPermutation(perm)) {
      return failure();
    }
    if (isIdentityPermutation(perm))
      rewriter.replaceOp(op, source);
    else
      rewriter.replaceOpWithNewOp<nn::TransposeOp>(op, source, perm);
    return success();
  }
};

/// reshape(reshape(x)) and reshape(flatten(x)) are one reshape of x; the
/// reshape's own folder removes one to the input's type.
struct ComposeReshapes : OpRewritePattern<nn::ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(nn::ReshapeOp op,
                                PatternRewriter &rewriter) const override {
    Operation *inner = op.getInput().getDefiningOp();
    if (!isa_and_nonnull<nn::ReshapeOp, nn::FlattenOp>(inner))
      return failure();
    rewriter.replaceOpWithNewOp<nn::ReshapeOp>(op, op.getType(),
                                               inner->getOperand(0));
    return success();
  }
};

struct CancelTransposeReshapePass
    : kiln::impl::CancelTransposeReshapeBase<CancelTransposeReshapePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ComposeTransposes, ComposeReshapes>(&getContext());
    kiln::applyGraphPatterns(getOperation(), std::move(patterns));
  }
};
} // namespace
