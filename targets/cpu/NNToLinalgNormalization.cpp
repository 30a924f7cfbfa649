//===- NNToLinalgNormalization.cpp - nn -> linalg: batch normalisation and
//softmax ---===//
#include "targets/cpu/NNToLinalgPatterns.h"

#include <limits>

using namespace mlir;
using namespace kiln;

namespace kiln::cpu {
namespace {

struct BatchNormLowering : NNPattern<nn::BatchNormOp> {
  using NNPattern::NNPattern;
  LogicalResult
  matchAndRewrite(nn::BatchNormOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = resultType(op);
    Type et = type.getElementType();
    double eps = op.getEpsilon().convertToDouble();
    auto vecType = cast<RankedTensorType>(adaptor.getScale().getType());
    // Per channel: a = scale / sqrt(var + eps), c = bias - mean * a; then
    // y = x * a + c, one multiply-add per element.
    Value a = elementwise(
        rewriter, loc, vecType, {adaptor.getScale(), adaptor.getVariance()},
        [&](OpBuilder &b, Location l, ValueRange v) {
          Value s = arith::AddFOp::create(b, l, v[1], scalar(b, l, et, eps));
          return arith::DivFOp::create(b, l, v[0],
                                       math::SqrtOp::create(b, l, s));
        });
    Value c = elementwise(
        rewriter, loc, vecType, {adaptor.getBias(), adaptor.getMean(), a},
        [&](OpBuilder &b, Location l, ValueRange v) {
          return arith::SubFOp::create(b, l, v[0],
                                       arith::MulFOp::create(b, l, v[1], v[2]));
        });
    int64_t rank = type.getRank();
    SmallVector<AffineMap> maps = {
        rewriter.getMultiDimIdentityMap(rank), channelMap(rewriter, rank),
        channelMap(rewriter, rank), rewriter.getMultiDimIdentityMap(rank)};
    SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, type, ValueRange{adaptor.getInput(), a, c},
        emptyTensor(rewriter, loc, type), maps, iters,
        [&](OpBuilder &b, Location l, ValueRange v) {
          Value y = arith::AddFOp::create(
              b, l, arith::MulFOp::create(b, l, v[0], v[1]), v[2]);
          linalg::YieldOp::create(b, l, y);
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

struct SoftmaxLowering : NNPattern<nn::SoftmaxOp> {
  using NNPattern::NNPattern;
  LogicalResult
  matchAndRewrite(nn::SoftmaxOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = resultType(op);
    Type et = type.getElementType();
    int64_t axis = static_cast<int64_t>(op.getAxis());
    if (axis < 0)
      axis += type.getRank();
    SmallVector<int64_t> keptShape(type.getShape());
    keptShape[axis] = 1;
    auto keptType = RankedTensorType::get(keptShape, et);
    Value x = adaptor.getInput();
    Value max = reduce(rewriter, loc, x, keptType, {axis},
                       -std::numeric_limits<double>::infinity(),
                       [](OpBuilder &b, Location l, ValueRange v) -> Value {
                         return arith::MaximumFOp::create(b, l, v[0], v[1]);
                       });
    Value e = elementwise(rewriter, loc, type, {x, max},
                          [](OpBuilder &b, Location l, ValueRange v) -> Value {
                            return math::ExpOp::create(
                                b, l, arith::SubFOp::create(b, l, v[0], v[1]));
                          });
    Value sum = reduce(rewriter, loc, e, keptType, {axis}, 0.0,
                       [](OpBuilder &b, Location l, ValueRange v) -> Value {
                         return arith::AddFOp::create(b, l, v[0], v[1]);
                       });
    rewriter.replaceOp(
        op, elementwise(rewriter, loc, type, {e, sum},
                        [](OpBuilder &b, Location l, ValueRange v) -> Value {
                          return arith::DivFOp::create(b, l, v[0], v[1]);
                        }));
    return success();
  }
};

} // namespace

void populateNNToLinalgNormalizationPatterns(RewritePatternSet &patterns) {
  patterns.add<BatchNormLowering, SoftmaxLowering>(patterns.getContext());
}

} // namespace kiln::cpu
