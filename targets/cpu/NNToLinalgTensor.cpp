//===- NNToLinalgTensor.cpp - nn -> linalg: constants and identities
//--------===//
#include "targets/cpu/NNToLinalgPatterns.h"

#include <limits>

using namespace mlir;
using namespace kiln;

namespace kiln::cpu {
namespace {

struct ConstantLowering : NNPattern<nn::ConstantOp> {
  using NNPattern::NNPattern;
  LogicalResult
  matchAndRewrite(nn::ConstantOp op, Adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(
        op, cast<TypedAttr>(op.getValue()));
    return success();
  }
};

struct IdentityLowering : NNPattern<nn::IdentityOp> {
  using NNPattern::NNPattern;
  LogicalResult
  matchAndRewrite(nn::IdentityOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, adaptor.getInput());
    return success();
  }
};

} // namespace

void populateNNToLinalgTensorPatterns(RewritePatternSet &patterns) {
  patterns.add<ConstantLowering, IdentityLowering>(patterns.getContext());
}

} // namespace kiln::cpu
