//===- NNToLinalgPooling.cpp - nn -> linalg: pooling and mean ----===//
#include "targets/cpu/NNToLinalgPatterns.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace kiln;

namespace kiln::cpu {
namespace {

/// The loops of a pooling window as a linalg.generic: n, c, the output's
/// spatial dims (parallel), then the window's (reduction). The maps read the
/// input at o * stride + k * dilation, the window at k and the output at o.
struct WindowLoops {
  SmallVector<AffineMap, 3> maps; // input, window, output
  SmallVector<utils::IteratorType> iters;
};
WindowLoops windowLoops(MLIRContext *ctx, ArrayRef<int64_t> strides,
                        ArrayRef<int64_t> dilations) {
  int64_t spatial = strides.size(), loops = 2 + 2 * spatial;
  SmallVector<AffineExpr> in = {getAffineDimExpr(0, ctx),
                                getAffineDimExpr(1, ctx)},
                          out = in, win;
  for (int64_t i = 0; i < spatial; ++i) {
    AffineExpr o = getAffineDimExpr(2 + i, ctx),
               k = getAffineDimExpr(2 + spatial + i, ctx);
    in.push_back(o * strides[i] + k * dilations[i]);
    out.push_back(o);
    win.push_back(k);
  }
  WindowLoops w;
  w.maps = {AffineMap::get(loops, 0, in, ctx),
            AffineMap::get(loops, 0, win, ctx),
            AffineMap::get(loops, 0, out, ctx)};
  w.iters.assign(loops, utils::IteratorType::parallel);
  for (int64_t i = 0; i < spatial; ++i)
    w.iters[2 + spatial + i] = utils::IteratorType::reduction;
  return w;
}

/// The named 2-D pooling op MaxOp or SumOp (by `isMax`) of `input` and
/// `window` into `init`.
template <typename MaxOp, typename SumOp>
Value namedPool(OpBuilder &b, Location loc, Value input, Value window,
                Value init, RankedTensorType outType, ArrayRef<int64_t> strides,
                ArrayRef<int64_t> dilations, bool isMax) {
  auto s = b.getI64TensorAttr(strides), d = b.getI64TensorAttr(dilations);
  if (isMax)
    return MaxOp::create(b, loc, outType, ValueRange{input, window}, init, s, d)
        .getResult(0);
  return SumOp::create(b, loc, outType, ValueRange{input, window}, init, s, d)
      .getResult(0);
}

/// A pooling window over the (padded) N x C x spatial... `input` into
/// `init` of `outType`: the named NCHW op for 2-D windows, the equivalent
/// linalg.generic for other ranks, or, with `channelsLast`, the named NHWC
/// op over N x H x W x C. `isMax` picks max, otherwise sum.
Value poolWindow(OpBuilder &b, Location loc, Value input, Value init,
                 RankedTensorType outType, ArrayRef<int64_t> kernel,
                 ArrayRef<int64_t> strides, ArrayRef<int64_t> dilations,
                 bool isMax, bool channelsLast = false) {
  Type et = outType.getElementType();
  Value window = tensor::EmptyOp::create(b, loc, kernel, et);
  if (channelsLast)
    return namedPool<linalg::PoolingNhwcMaxOp, linalg::PoolingNhwcSumOp>(
        b, loc, input, window, init, outType, strides, dilations, isMax);
  if (kernel.size() == 2)
    return namedPool<linalg::PoolingNchwMaxOp, linalg::PoolingNchwSumOp>(
        b, loc, input, window, init, outType, strides, dilations, isMax);
  WindowLoops w = windowLoops(b.getContext(), strides, dilations);
  return linalg::GenericOp::create(
             b, loc, outType, ValueRange{input, window}, init,
             ArrayRef<AffineMap>(w.maps), w.iters,
             [&](OpBuilder &nb, Location l, ValueRange v) {
               Value r;
               if (!isMax)
                 r = arith::AddFOp::create(nb, l, v[0], v[2]);
               else if (isa<FloatType>(et))
                 r = arith::MaximumFOp::create(nb, l, v[0], v[2]);
               else
                 r = arith::MaxSIOp::create(nb, l, v[0], v[2]);
               linalg::YieldOp::create(nb, l, r);
             })
      .getResult(0);
}

/// The identity of max over `et`: -inf, or the signed minimum (exact as a
/// double for i32 and i64).
double lowestOf(Type et) {
  if (isa<FloatType>(et))
    return -std::numeric_limits<double>::infinity();
  return -std::ldexp(1.0, et.getIntOrFloatBitWidth() - 1);
}

/// End pads of each spatial dim, with the ceil_mode overhang added (and a
/// zero for the channels after them when `channelsLast`).
SmallVector<int64_t> endPads(ArrayRef<int64_t> pads, ArrayRef<int64_t> extra,
                             bool channelsLast = false) {
  SmallVector<int64_t> high;
  for (size_t i = 0; i < extra.size(); ++i)
    high.push_back(pads[extra.size() + i] + extra[i]);
  if (channelsLast)
    high.push_back(0);
  return high;
}

/// Begin pads of each spatial dim (and the channels' zero).
SmallVector<int64_t> beginPads(ArrayRef<int64_t> pads, size_t spatial,
                               bool channelsLast) {
  SmallVector<int64_t> low(pads.take_front(spatial));
  if (channelsLast)
    low.push_back(0);
  return low;
}

struct MaxPoolLowering : NNPattern<nn::MaxPoolOp> {
  using NNPattern::NNPattern;
  LogicalResult
  matchAndRewrite(nn::MaxPoolOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto outType = resultType(op);
    auto inType = cast<RankedTensorType>(adaptor.getInput().getType());
    ArrayRef<int64_t> pads = op.getPads(), kernel = op.getKernelShape();
    bool last = op.getChannelsLast();
    auto extra = ceilExtra(inType, outType, kernel, op.getStrides(),
                           op.getDilations(), pads, last ? 1 : 2);
    double lowest = lowestOf(outType.getElementType());
    Value input = padded(rewriter, loc, adaptor.getInput(),
                         beginPads(pads, kernel.size(), last),
                         endPads(pads, extra, last), lowest);
    Value init = filled(rewriter, loc, outType, lowest);
    rewriter.replaceOp(op, poolWindow(rewriter, loc, input, init, outType,
                                      kernel, op.getStrides(),
                                      op.getDilations(), /*isMax=*/true, last));
    return success();
  }
};

struct MaxPoolWithIndicesLowering : NNPattern<nn::MaxPoolWithIndicesOp> {
  using NNPattern::NNPattern;
  LogicalResult
  matchAndRewrite(nn::MaxPoolWithIndicesOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto outType = resultType(op);
    auto idxType = cast<RankedTensorType>(op.getIndices().getType());
    auto inType = cast<RankedTensorType>(adaptor.getInput().getType());
    Type et = outType.getElementType();
    ArrayRef<int64_t> pads = op.getPads(), kernel = op.getKernelShape(),
                      strides = op.getStrides(), dilations = op.getDilations();
    auto extra = ceilExtra(inType, outType, kernel, strides, dilations, pads);
    double lowest = lowestOf(outType.getElementType());
    Value input =
        padded(rewriter, loc, adaptor.getInput(),
               pads.take_front(kernel.size()), endPads(pads, extra), lowest);
    Value window = tensor::EmptyOp::create(rewriter, loc, kernel, et);
    int64_t spatial = kernel.size();
    WindowLoops w = windowLoops(rewriter.getContext(), strides, dilations);
    // The flat input position of an element:
    // (n * C + c) * cells + sum(p_i * stride_i), p_i = o_i * s_i + k_i * d_i
    // - pad_i, with row-major (or column-major) spatial strides.
    ArrayRef<int64_t> sizes = inType.getShape().drop_front(2);
    SmallVector<int64_t> place(spatial, 1);
    int64_t cells = 1;
    for (int64_t i = 0; i < spatial; ++i)
      cells *= sizes[i];
    if (op.getStorageOrder())
      for (int64_t i = 1; i < spatial; ++i)
        place[i] = place[i - 1] * sizes[i - 1];
    else
      for (int64_t i = spatial - 2; i >= 0; --i)
        place[i] = place[i + 1] * sizes[i + 1];
    // Values and indices both go to the output's map.
    SmallVector<AffineMap> maps(w.maps.begin(), w.maps.end());
    maps.push_back(w.maps[2]);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{outType, idxType}, ValueRange{input, window},
        ValueRange{filled(rewriter, loc, outType, lowest),
                   filled(rewriter, loc, idxType, 0.0)},
        maps, w.iters, [&](OpBuilder &b, Location l, ValueRange v) {
          // Strictly greater: the first maximum in the scan wins.
          Value better = isa<FloatType>(et)
                             ? arith::CmpFOp::create(
                                   b, l, arith::CmpFPredicate::OGT, v[0], v[2])
                                   .getResult()
                             : arith::CmpIOp::create(
                                   b, l, arith::CmpIPredicate::sgt, v[0], v[2])
                                   .getResult();
          auto dim = [&](int64_t d) -> Value {
            Value i = linalg::IndexOp::create(b, l, d);
            return arith::IndexCastOp::create(b, l, b.getI64Type(), i);
          };
          auto c = [&](int64_t v) { return scalar(b, l, b.getI64Type(), v); };
          auto madd = [&](Value x, int64_t m, Value y) -> Value {
            return arith::AddIOp::create(
                b, l, arith::MulIOp::create(b, l, x, c(m)), y);
          };
          Value pos = arith::MulIOp::create(
              b, l, madd(dim(0), inType.getDimSize(1), dim(1)), c(cells));
          for (int64_t i = 0; i < spatial; ++i) {
            Value p = madd(dim(2 + i), strides[i],
                           arith::MulIOp::create(b, l, dim(2 + spatial + i),
                                                 c(dilations[i])));
            p = arith::SubIOp::create(b, l, p, c(pads[i]));
            pos = madd(p, place[i], pos);
          }
          linalg::YieldOp::create(
              b, l,
              ValueRange{arith::SelectOp::create(b, l, better, v[0], v[2]),
                         arith::SelectOp::create(b, l, better, pos, v[3])});
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

struct LpPoolLowering : NNPattern<nn::LpPoolOp> {
  using NNPattern::NNPattern;
  LogicalResult
  matchAndRewrite(nn::LpPoolOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto outType = resultType(op);
    auto inType = cast<RankedTensorType>(adaptor.getInput().getType());
    Type et = outType.getElementType();
    ArrayRef<int64_t> pads = op.getPads(), kernel = op.getKernelShape();
    int64_t p = static_cast<int64_t>(op.getP());
    SmallVector<int64_t> ones(kernel.size(), 1);
    // |x|^p by repeated squaring (p is a small integer), zero-padded.
    Value powered = elementwise(
        rewriter, loc, inType, adaptor.getInput(),
        [&](OpBuilder &b, Location l, ValueRange v) {
          Value base = math::AbsFOp::create(b, l, v[0]), acc;
          for (int64_t e = p; e > 0; e >>= 1) {
            if (e & 1)
              acc = acc ? arith::MulFOp::create(b, l, acc, base).getResult()
                        : base;
            if (e > 1)
              base = arith::MulFOp::create(b, l, base, base);
          }
          return acc;
        });
    Value input = padded(rewriter, loc, powered, pads.take_front(kernel.size()),
                         pads.drop_front(kernel.size()), 0.0);
    Value sum =
        poolWindow(rewriter, loc, input, filled(rewriter, loc, outType, 0.0),
                   outType, kernel, op.getStrides(), ones, /*isMax=*/false);
    // The p-th root: sqrt for p = 2, else exp(log(s) / p) (0 stays 0).
    rewriter.replaceOp(
        op,
        elementwise(rewriter, loc, outType, sum,
                    [&](OpBuilder &b, Location l, ValueRange v) -> Value {
                      if (p == 1)
                        return v[0];
                      if (p == 2)
                        return math::SqrtOp::create(b, l, v[0]);
                      Value lg = math::LogOp::create(b, l, v[0]);
                      return math::ExpOp::create(
                          b, l,
                          arith::DivFOp::create(b, l, lg, scalar(b, l, et, p)));
                    }));
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
    int64_t spatial = kernel.size(), rank = outType.getRank();
    bool last = op.getChannelsLast();
    int64_t first = last ? 1 : 2; // the first spatial dim
    SmallVector<int64_t> ones(spatial, 1);
    auto extra = ceilExtra(inType, outType, kernel, strides, ones, pads, first);
    Value input =
        padded(rewriter, loc, adaptor.getInput(),
               beginPads(pads, spatial, last), endPads(pads, extra, last), 0.0);
    Value sum =
        poolWindow(rewriter, loc, input, filled(rewriter, loc, outType, 0.0),
                   outType, kernel, strides, ones, /*isMax=*/false, last);
    // The divisor of each output counts the window cells inside the input
    // (or, with count_include_pad, inside the explicitly padded input; the
    // ceil_mode overhang never counts). Known at compile time.
    auto count = [&](int64_t axis, int64_t o) {
      int64_t start = o * strides[axis] - pads[axis];
      int64_t lo = 0, hi = inType.getDimSize(first + axis);
      if (op.getCountIncludePad()) {
        lo = -pads[axis];
        hi += pads[spatial + axis];
      }
      return std::max<int64_t>(0, std::min(start + kernel[axis], hi) -
                                      std::max(start, lo));
    };
    ArrayRef<int64_t> outSpatial = outType.getShape().slice(first, spatial);
    int64_t cells = 1;
    for (int64_t d : outSpatial)
      cells *= d;
    SmallVector<float> divisor;
    SmallVector<int64_t> pos(spatial, 0);
    for (int64_t flat = 0; flat < cells; ++flat) {
      int64_t rest = flat, c = 1;
      for (int64_t i = spatial - 1; i >= 0; --i) {
        pos[i] = rest % outSpatial[i];
        rest /= outSpatial[i];
      }
      for (int64_t i = 0; i < spatial; ++i)
        c *= count(i, pos[i]);
      divisor.push_back(static_cast<float>(c));
    }
    auto divType = RankedTensorType::get(outSpatial, rewriter.getF32Type());
    Value div = arith::ConstantOp::create(
        rewriter, loc, DenseElementsAttr::get(divType, ArrayRef(divisor)));
    MLIRContext *ctx = rewriter.getContext();
    SmallVector<AffineExpr> spatialDims;
    for (int64_t i = 0; i < spatial; ++i)
      spatialDims.push_back(getAffineDimExpr(first + i, ctx));
    SmallVector<AffineMap> maps = {rewriter.getMultiDimIdentityMap(rank),
                                   AffineMap::get(rank, 0, spatialDims, ctx),
                                   rewriter.getMultiDimIdentityMap(rank)};
    SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, outType, ValueRange{sum, div},
        emptyTensor(rewriter, loc, outType), maps, iters,
        [&](OpBuilder &b, Location l, ValueRange v) {
          Value d = v[1];
          if (et.getIntOrFloatBitWidth() < 32)
            d = arith::TruncFOp::create(b, l, et, d);
          else if (et.getIntOrFloatBitWidth() > 32)
            d = arith::ExtFOp::create(b, l, et, d);
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
  patterns.add<MaxPoolLowering, MaxPoolWithIndicesLowering, LpPoolLowering,
               AvgPoolLowering, GlobalAvgPoolLowering, ReduceMeanLowering>(
      patterns.getContext());
}

} // namespace kiln::cpu
