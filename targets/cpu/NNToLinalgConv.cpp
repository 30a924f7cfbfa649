//===- NNToLinalgConv.cpp - nn -> linalg: convolution and matrix products
//---===//
#include "targets/cpu/NNToLinalgPatterns.h"

#include <limits>

using namespace mlir;
using namespace kiln;

namespace kiln::cpu {
namespace {

struct Conv2DLowering : NNPattern<nn::Conv2DOp> {
  using NNPattern::NNPattern;
  LogicalResult
  matchAndRewrite(nn::Conv2DOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto outType = resultType(op);
    auto inType = cast<RankedTensorType>(adaptor.getInput().getType());
    auto wType = cast<RankedTensorType>(adaptor.getFilter().getType());
    Type et = outType.getElementType();
    ArrayRef<int64_t> pads = op.getPads();
    Value input = padded(rewriter, loc, adaptor.getInput(), pads.take_front(2),
                         pads.drop_front(2), 0.0);
    // The accumulator starts as the broadcast bias (or zero).
    Value init;
    if (Value bias = adaptor.getBias()) {
      int64_t rank = outType.getRank();
      SmallVector<AffineMap> maps = {channelMap(rewriter, rank),
                                     rewriter.getMultiDimIdentityMap(rank)};
      SmallVector<utils::IteratorType> iters(rank,
                                             utils::IteratorType::parallel);
      init = linalg::GenericOp::create(
                 rewriter, loc, outType, bias,
                 emptyTensor(rewriter, loc, outType), maps, iters,
                 [](OpBuilder &b, Location l, ValueRange v) {
                   linalg::YieldOp::create(b, l, v[0]);
                 })
                 .getResult(0);
    } else {
      init = filled(rewriter, loc, outType, 0.0);
    }
    auto strides = rewriter.getI64TensorAttr(op.getStrides());
    auto dilations = rewriter.getI64TensorAttr(op.getDilations());
    int64_t group = op.getGroup();
    int64_t channels = inType.getDimSize(1), filters = wType.getDimSize(0);
    Value result;
    if (group == 1) {
      result =
          linalg::Conv2DNchwFchwOp::create(
              rewriter, loc, outType, ValueRange{input, adaptor.getFilter()},
              init, strides, dilations)
              .getResult(0);
    } else if (group == channels && filters == channels) {
      // Depthwise: the filter's singleton channel dim goes away.
      auto dwType = RankedTensorType::get(
          {filters, wType.getDimSize(2), wType.getDimSize(3)}, et);
      Value w = tensor::CollapseShapeOp::create(
          rewriter, loc, dwType, adaptor.getFilter(),
          ArrayRef<ReassociationIndices>{{0, 1}, {2}, {3}});
      result = linalg::DepthwiseConv2DNchwChwOp::create(
                   rewriter, loc, outType, ValueRange{input, w}, init, strides,
                   dilations)
                   .getResult(0);
    } else {
      // General groups: split the channel dims into (group, per-group).
      auto padType = cast<RankedTensorType>(input.getType());
      auto gInType =
          RankedTensorType::get({padType.getDimSize(0), group, channels / group,
                                 padType.getDimSize(2), padType.getDimSize(3)},
                                et);
      auto gWType =
          RankedTensorType::get({group, filters / group, wType.getDimSize(1),
                                 wType.getDimSize(2), wType.getDimSize(3)},
                                et);
      auto gOutType =
          RankedTensorType::get({outType.getDimSize(0), group, filters / group,
                                 outType.getDimSize(2), outType.getDimSize(3)},
                                et);
      SmallVector<ReassociationIndices> splitC = {{0}, {1, 2}, {3}, {4}};
      Value gIn =
          tensor::ExpandShapeOp::create(rewriter, loc, gInType, input, splitC);
      Value gW = tensor::ExpandShapeOp::create(
          rewriter, loc, gWType, adaptor.getFilter(),
          ArrayRef<ReassociationIndices>{{0, 1}, {2}, {3}, {4}});
      Value gInit =
          tensor::ExpandShapeOp::create(rewriter, loc, gOutType, init, splitC);
      Value gOut = linalg::Conv2DNgchwGfchwOp::create(rewriter, loc, gOutType,
                                                      ValueRange{gIn, gW},
                                                      gInit, strides, dilations)
                       .getResult(0);
      result =
          tensor::CollapseShapeOp::create(rewriter, loc, outType, gOut, splitC);
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct GemmLowering : NNPattern<nn::GemmOp> {
  using NNPattern::NNPattern;
  LogicalResult
  matchAndRewrite(nn::GemmOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto outType = resultType(op);
    Type et = outType.getElementType();
    double beta = op.getBeta().convertToDouble();
    Value init;
    if (Value c = adaptor.getC(); c && beta != 0.0) {
      init = elementwise(rewriter, loc, outType, c,
                         [&](OpBuilder &b, Location l, ValueRange v) -> Value {
                           if (beta == 1.0)
                             return v[0];
                           return arith::MulFOp::create(b, l, v[0],
                                                        scalar(b, l, et, beta));
                         });
    } else {
      init = filled(rewriter, loc, outType, 0.0);
    }
    MLIRContext *ctx = rewriter.getContext();
    AffineExpr m = getAffineDimExpr(0, ctx), n = getAffineDimExpr(1, ctx),
               k = getAffineDimExpr(2, ctx);
    SmallVector<AffineMap> maps = {
        AffineMap::get(3, 0,
                       op.getTransA() ? ArrayRef<AffineExpr>{k, m}
                                      : ArrayRef<AffineExpr>{m, k},
                       ctx),
        AffineMap::get(3, 0,
                       op.getTransB() ? ArrayRef<AffineExpr>{n, k}
                                      : ArrayRef<AffineExpr>{k, n},
                       ctx),
        AffineMap::get(3, 0, {m, n}, ctx)};
    rewriter.replaceOp(op, contraction(rewriter, loc, outType, adaptor.getA(),
                                       adaptor.getB(), init, maps, 3,
                                       op.getAlpha().convertToDouble()));
    return success();
  }
};

struct MatMulLowering : NNPattern<nn::MatMulOp> {
  using NNPattern::NNPattern;
  LogicalResult
  matchAndRewrite(nn::MatMulOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto outType = resultType(op);
    auto lt = cast<RankedTensorType>(adaptor.getLhs().getType());
    auto rt = cast<RankedTensorType>(adaptor.getRhs().getType());
    bool lVec = lt.getRank() == 1, rVec = rt.getRank() == 1;
    // Loops: batch dims of the result, then m (unless lhs is a vector),
    // n (unless rhs is a vector), then k.
    int64_t batch = outType.getRank() - (lVec ? 0 : 1) - (rVec ? 0 : 1);
    int64_t numLoops = outType.getRank() + 1;
    auto dim = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
    int64_t mDim = batch, nDim = batch + (lVec ? 0 : 1), kDim = numLoops - 1;
    auto operandMap = [&](RankedTensorType t, bool vec, bool isLhs) {
      SmallVector<AffineExpr> exprs;
      int64_t tBatch = vec ? 0 : t.getRank() - 2;
      for (int64_t d = 0; d < tBatch; ++d) {
        int64_t loop = batch - tBatch + d;
        bool bcast = t.getDimSize(d) == 1 && outType.getDimSize(loop) != 1;
        exprs.push_back(bcast ? getAffineConstantExpr(0, ctx) : dim(loop));
      }
      if (isLhs) {
        if (!vec)
          exprs.push_back(dim(mDim));
        exprs.push_back(dim(kDim));
      } else {
        exprs.push_back(dim(kDim));
        if (!vec)
          exprs.push_back(dim(nDim));
      }
      return AffineMap::get(numLoops, 0, exprs, ctx);
    };
    SmallVector<AffineExpr> outExprs;
    for (int64_t d = 0; d < outType.getRank(); ++d)
      outExprs.push_back(dim(d));
    SmallVector<AffineMap> maps = {operandMap(lt, lVec, true),
                                   operandMap(rt, rVec, false),
                                   AffineMap::get(numLoops, 0, outExprs, ctx)};
    Value init = filled(rewriter, loc, outType, 0.0);
    rewriter.replaceOp(op, contraction(rewriter, loc, outType, adaptor.getLhs(),
                                       adaptor.getRhs(), init, maps, numLoops,
                                       1.0));
    return success();
  }
};

} // namespace

void populateNNToLinalgConvPatterns(RewritePatternSet &patterns) {
  patterns.add<Conv2DLowering, GemmLowering, MatMulLowering>(
      patterns.getContext());
}

} // namespace kiln::cpu
