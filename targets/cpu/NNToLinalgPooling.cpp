//===- NNToLinalgPooling.cpp - nn -> linalg: pooling and reductions
//---------===//
#include "targets/cpu/NNToLinalgPatterns.h"

#include <limits>

using namespace mlir;
using namespace kiln;

namespace kiln::cpu {
namespace {

struct MaxPoolLowering : NNPattern<nn::MaxPoolOp> {
  using NNPattern::NNPattern;
  LogicalResult
  matchAndRewrite(nn::MaxPoolOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto outType = resultType(op);
    auto inType = cast<RankedTensorType>(adaptor.getInput().getType());
    Type et = outType.getElementType();
    ArrayRef<int64_t> pads = op.getPads(), kernel = op.getKernelShape();
    auto extra = ceilExtra(inType, outType, kernel, op.getStrides(),
                           op.getDilations(), pads);
    double lowest = -std::numeric_limits<double>::infinity();
    Value input = padded(rewriter, loc, adaptor.getInput(), pads.take_front(2),
                         {pads[2] + extra[0], pads[3] + extra[1]}, lowest);
    Value window = tensor::EmptyOp::create(rewriter, loc, kernel, et);
    Value init = filled(rewriter, loc, outType, lowest);
    rewriter.replaceOp(op,
                       linalg::PoolingNchwMaxOp::create(
                           rewriter, loc, outType, ValueRange{input, window},
                           init, rewriter.getI64TensorAttr(op.getStrides()),
                           rewriter.getI64TensorAttr(op.getDilations()))
                           .getResult(0));
    return success();
  }
};

struct AvgPoolLowering : NNPattern<nn::AvgPoolOp> {
  using NNPattern::NNPattern;
  LogicalResult
  matchAndRewrite(nn::AvgPoolOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto outType = resultType(op);
    auto inType = cast<RankedTensorType>(adaptor.getInput().getType());
    Type et = outType.getElementType();
    ArrayRef<int64_t> pads = op.getPads(), kernel = op.getKernelShape(),
                      strides = op.getStrides();
    auto extra = ceilExtra(inType, outType, kernel, strides, {1, 1}, pads);
    Value input = padded(rewriter, loc, adaptor.getInput(), pads.take_front(2),
                         {pads[2] + extra[0], pads[3] + extra[1]}, 0.0);
    Value window = tensor::EmptyOp::create(rewriter, loc, kernel, et);
    Value sum = linalg::PoolingNchwSumOp::create(
                    rewriter, loc, outType, ValueRange{input, window},
                    filled(rewriter, loc, outType, 0.0),
                    rewriter.getI64TensorAttr(strides),
                    rewriter.getI64TensorAttr({1, 1}))
                    .getResult(0);
    // The divisor of each output counts the window cells inside the input
    // (or, with count_include_pad, inside the explicitly padded input; the
    // ceil_mode overhang never counts). Known at compile time.
    int64_t oh = outType.getDimSize(2), ow = outType.getDimSize(3);
    SmallVector<float> divisor;
    auto count = [&](int64_t axis, int64_t o) {
      int64_t start = o * strides[axis] - pads[axis];
      int64_t lo = 0, hi = inType.getDimSize(2 + axis);
      if (op.getCountIncludePad()) {
        lo = -pads[axis];
        hi += pads[2 + axis];
      }
      return std::max<int64_t>(0, std::min(start + kernel[axis], hi) -
                                      std::max(start, lo));
    };
    for (int64_t y = 0; y < oh; ++y)
      for (int64_t x = 0; x < ow; ++x)
        divisor.push_back(static_cast<float>(count(0, y) * count(1, x)));
    auto divType = RankedTensorType::get({oh, ow}, rewriter.getF32Type());
    Value div = arith::ConstantOp::create(
        rewriter, loc, DenseElementsAttr::get(divType, ArrayRef(divisor)));
    MLIRContext *ctx = rewriter.getContext();
    SmallVector<AffineMap> maps = {
        rewriter.getMultiDimIdentityMap(4),
        AffineMap::get(
            4, 0, {getAffineDimExpr(2, ctx), getAffineDimExpr(3, ctx)}, ctx),
        rewriter.getMultiDimIdentityMap(4)};
    SmallVector<utils::IteratorType> iters(4, utils::IteratorType::parallel);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, outType, ValueRange{sum, div},
        emptyTensor(rewriter, loc, outType), maps, iters,
        [&](OpBuilder &b, Location l, ValueRange v) {
          Value d = v[1];
          if (d.getType() != et)
            d = arith::TruncFOp::create(b, l, et, d);
          linalg::YieldOp::create(
              b, l, arith::DivFOp::create(b, l, v[0], d).getResult());
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

struct GlobalAvgPoolLowering : NNPattern<nn::GlobalAvgPoolOp> {
  using NNPattern::NNPattern;
  LogicalResult
  matchAndRewrite(nn::GlobalAvgPoolOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto outType = resultType(op);
    auto inType = cast<RankedTensorType>(adaptor.getInput().getType());
    Type et = outType.getElementType();
    SmallVector<int64_t> spatial;
    int64_t cells = 1;
    for (int64_t d = 2; d < inType.getRank(); ++d) {
      spatial.push_back(d);
      cells *= inType.getDimSize(d);
    }
    Value sum = reduce(rewriter, loc, adaptor.getInput(), outType, spatial, 0.0,
                       [](OpBuilder &b, Location l, ValueRange v) -> Value {
                         return arith::AddFOp::create(b, l, v[0], v[1]);
                       });
    Value mean = elementwise(rewriter, loc, outType, sum,
                             [&](OpBuilder &b, Location l, ValueRange v) {
                               return arith::DivFOp::create(
                                   b, l, v[0], scalar(b, l, et, cells));
                             });
    rewriter.replaceOp(op, mean);
    return success();
  }
};

struct ReduceMeanLowering : NNPattern<nn::ReduceMeanOp> {
  using NNPattern::NNPattern;
  LogicalResult
  matchAndRewrite(nn::ReduceMeanOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto inType = cast<RankedTensorType>(adaptor.getInput().getType());
    Type et = inType.getElementType();
    SmallVector<int64_t> kept(inType.getShape());
    int64_t cells = 1;
    for (int64_t a : op.getAxes()) {
      cells *= kept[a];
      kept[a] = 1;
    }
    auto keptType = RankedTensorType::get(kept, et);
    Value sum =
        reduce(rewriter, loc, adaptor.getInput(), keptType, op.getAxes(), 0.0,
               [](OpBuilder &b, Location l, ValueRange v) -> Value {
                 return arith::AddFOp::create(b, l, v[0], v[1]);
               });
    Value mean = elementwise(rewriter, loc, keptType, sum,
                             [&](OpBuilder &b, Location l, ValueRange v) {
                               return arith::DivFOp::create(
                                   b, l, v[0], scalar(b, l, et, cells));
                             });
    rewriter.replaceOp(op, reshapeTensor(rewriter, loc, mean, resultType(op)));
    return success();
  }
};

} // namespace

void populateNNToLinalgPoolingPatterns(RewritePatternSet &patterns) {
  patterns.add<MaxPoolLowering, AvgPoolLowering, GlobalAvgPoolLowering,
               ReduceMeanLowering>(patterns.getContext());
}

} // namespace kiln::cpu
