//===- FoldBatchNorm.cpp - fold inference BN into conv and gemm -----------===//
//
// The rewrite builds the new weights as nn arithmetic on the old constants
// and lets the constant-folding pattern, run in the same greedy rewrite,
// evaluate it: the arithmetic is written once, in the nn ops' semantics.
//
//===----------------------------------------------------------------------===//
#include "dialects/nn/NNOps.h"
#include "passes/Passes.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

namespace kiln {
#define GEN_PASS_DEF_FOLDBATCHNORM
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
namespace nn = kiln::nn;

namespace {
bool isConstant(Value v) { return v && matchPattern(v, m_Constant()); }

/// The operands the fold turns into new weights must be constants (else it
/// would move run-time work, not remove it) of the BN's float type.
LogicalResult checkFoldable(nn::BatchNormOp bn, Operation *producer,
                            ArrayRef<Value> weights,
                            PatternRewriter &rewriter) {
  if (!producer->hasOneUse())
    return rewriter.notifyMatchFailure(bn, "producer has another user");
  Type elementType = bn.getType().getElementType();
  SmallVector<Value> operands(weights);
  llvm::append_range(operands, ValueRange{bn.getScale(), bn.getBias(),
                                          bn.getMean(), bn.getVariance()});
  for (Value v : operands) {
    if (!v)
      continue;
    if (!isConstant(v))
      return rewriter.notifyMatchFailure(bn, "a weight is not a constant");
    if (cast<RankedTensorType>(v.getType()).getElementType() != elementType)
      return rewriter.notifyMatchFailure(bn, "mixed element types");
  }
  return success();
}

Value scalar(OpBuilder &b, Location loc, Type elementType, double value) {
  auto type = RankedTensorType::get({}, elementType);
  return nn::ConstantOp::create(
      b, loc, type,
      DenseElementsAttr::get(type, b.getFloatAttr(elementType, value)));
}

/// f = scale / sqrt(variance + epsilon), one entry per channel.
Value channelFactor(OpBuilder &b, Location loc, nn::BatchNormOp bn) {
  Type et = bn.getType().getElementType();
  Value eps = scalar(b, loc, et, bn.getEpsilon().convertToDouble());
  Value variance = nn::AddOp::create(b, loc, bn.getVariance(), eps);
  Value deviation = nn::SqrtOp::create(b, loc, variance);
  return nn::DivOp::create(b, loc, bn.getScale(), deviation);
}

/// (shift - mean) * f + bias, or (-mean) * f + bias without a shift.
Value foldedBias(OpBuilder &b, Location loc, nn::BatchNormOp bn, Value factor,
                 Value shift) {
  Value centred = shift ? Value(nn::SubOp::create(b, loc, shift, bn.getMean()))
                        : Value(nn::NegOp::create(b, loc, bn.getMean()));
  Value scaled = nn::MulOp::create(b, loc, centred, factor);
  return nn::AddOp::create(b, loc, scaled, bn.getBias());
}

/// `factor` reshaped so that it broadcasts along dim `dim` of a tensor of
/// rank `rank`.
Value alongDim(OpBuilder &b, Location loc, Value factor, int64_t rank,
               int64_t dim) {
  auto type = cast<RankedTensorType>(factor.getType());
  SmallVector<int64_t> shape(rank - dim, 1);
  shape[0] = type.getDimSize(0);
  return nn::ReshapeOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), factor);
}

struct FoldIntoConv : OpRewritePattern<nn::BatchNormOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(nn::BatchNormOp bn,
                                PatternRewriter &rewriter) const override {
    auto conv = bn.getInput().getDefiningOp<nn::ConvOp>();
    if (!conv || conv.getChannelsLast()) // the BN's channel is dim 1
      return failure();
    Value filter = conv.getFilter(), bias = conv.getBias();
    if (failed(checkFoldable(bn, conv, {filter, bias}, rewriter)))
      return failure();
    Location loc = rewriter.getFusedLoc({conv.getLoc(), bn.getLoc()});
    Value factor = channelFactor(rewriter, loc, bn);
    // The filter is F x C/group x K...: output channel f is dim 0.
    int64_t rank = cast<RankedTensorType>(filter.getType()).getRank();
    Value newFilter = nn::MulOp::create(
        rewriter, loc, filter, alongDim(rewriter, loc, factor, rank, 0));
    Value newBias = foldedBias(rewriter, loc, bn, factor, bias);
    rewriter.replaceOpWithNewOp<nn::ConvOp>(
        bn, conv.getInput(), newFilter, newBias, conv.getStridesAttr(),
        conv.getPadsAttr(), conv.getDilationsAttr(), conv.getGroupAttr());
    return success();
  }
};

struct FoldIntoGemm : OpRewritePattern<nn::BatchNormOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(nn::BatchNormOp bn,
                                PatternRewriter &rewriter) const override {
    auto gemm = bn.getInput().getDefiningOp<nn::GemmOp>();
    if (!gemm)
      return failure();
    Value b = gemm.getB(), c = gemm.getC();
    if (failed(checkFoldable(bn, gemm, {b, c}, rewriter)))
      return failure();
    Location loc = rewriter.getFusedLoc({gemm.getLoc(), bn.getLoc()});
    Type et = bn.getType().getElementType();
    Value factor = channelFactor(rewriter, loc, bn);
    // Output column n is B's dim 1, or dim 0 when B is transposed.
    Value newB = nn::MulOp::create(
        rewriter, loc, b,
        alongDim(rewriter, loc, factor, 2, gemm.getTransB() ? 0 : 1));
    // beta * C is folded into the new C, so the new gemm has beta = 1.
    Value shift;
    if (c)
      shift = gemm.getBeta().isExactlyValue(1.0)
                  ? c
                  : nn::MulOp::create(rewriter, loc, c,
                                      scalar(rewriter, loc, et,
                                             gemm.getBeta().convertToDouble()));
    Value newC = foldedBias(rewriter, loc, bn, factor, shift);
    rewriter.replaceOpWithNewOp<nn::GemmOp>(
        bn, gemm.getA(), newB, newC, gemm.getAlphaAttr(),
        rewriter.getF32FloatAttr(1.0f), gemm.getTransAAttr(),
        gemm.getTransBAttr());
    return success();
  }
};

struct FoldBatchNormPass : kiln::impl::FoldBatchNormBase<FoldBatchNormPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FoldIntoConv, FoldIntoGemm>(&getContext());
    kiln::populateFoldConstantsPatterns(patterns);
    kiln::applyGraphPatterns(getOperation(), std::move(patterns));
  }
};
} // namespace
