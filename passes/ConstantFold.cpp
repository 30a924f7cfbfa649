//===- ConstantFold.cpp - evaluate weight-only nn subgraphs ---------------===//
#include "dialects/nn/ConstantEvaluation.h"
#include "dialects/nn/NNOps.h"
#include "passes/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace kiln {
#define GEN_PASS_DEF_FOLDCONSTANTS
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
namespace nn = kiln::nn;

namespace {
/// Any nn op whose operands are all nn.constant becomes an nn.constant.
struct FoldConstantOperands : RewritePattern {
  explicit FoldConstantOperands(MLIRContext *context)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, context) {}

  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (!isa<nn::NNDialect>(op->getDialect()) || isa<nn::ConstantOp>(op))
      return failure();
    SmallVector<ElementsAttr> operands;
    for (Value operand : op->getOperands()) {
      auto constant = operand.getDefiningOp<nn::ConstantOp>();
      if (!constant)
        return failure();
      operands.push_back(constant.getValue());
    }
    FailureOr<ElementsAttr> value = nn::evaluate(op, operands);
    if (failed(value))
      return rewriter.notifyMatchFailure(op, "not evaluated at compile time");
    rewriter.replaceOpWithNewOp<nn::ConstantOp>(op, value->getType(), *value);
    return success();
  }
};

struct FoldConstantsPass : kiln::impl::FoldConstantsBase<FoldConstantsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    kiln::populateFoldConstantsPatterns(patterns);
    kiln::applyGraphPatterns(getOperation(), std::move(patterns));
  }
};
} // namespace

void kiln::populateFoldConstantsPatterns(RewritePatternSet &patterns) {
  patterns.add<FoldConstantOperands>(patterns.getContext());
}

void kiln::applyGraphPatterns(Operation *root,
                              FrozenRewritePatternSet patterns) {
  // Constants stay where the importer put them: hoisting and merging them
  // would reorder the whole graph for no gain in the code. A rewrite that
  // has not converged within the iteration limit still leaves valid IR, so
  // that is not an error (as in the canonicalizer).
  (void)applyPatternsGreedily(root, patterns,
                              GreedyRewriteConfig().enableConstantCSE(false));
}
