//===- NNToLinalgConv.cpp - nn -> linalg: convolution and matrix products -===//
#include "targets/cpu/NNToLinalgPatterns.h"

#include <limits>

using namespace mlir;
using namespace kiln;

namespace kiln::cpu {
namespace {

/// The accumulator of a convolution: the bias broadcast over NCD... (or
/// zero); over NHWC with `channelsLast`.
Value convInit(OpBuilder &b, Location loc, RankedTensorType outType, Value bias,
               bool channelsLast = false) {
  if (!bias)
    return filled(b, loc, outType, 0.0);
  int64_t rank = outType.getRank();
  SmallVector<AffineMap> maps = {
      channelMap(b, rank, channelsLast ? rank - 1 : 1),
      b.getMultiDimIdentityMap(rank)};
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  return linalg::GenericOp::create(b, loc, outType, bias,
                                   emptyTensor(b, loc, outType), maps, iters,
                                   [](OpBuilder &nb, Location l, ValueRange v) {
                                     linalg::YieldOp::create(nb, l, v[0]);
                                   })
      .getResult(0);
}

/// acc + x * w for float or integer element types.
Value multiplyAdd(OpBuilder &b, Location l, Value x, Value w, Value acc) {
  if (isa<FloatType>(acc.getType()))
    return arith::AddFOp::create(b, l, acc, arith::MulFOp::create(b, l, x, w));
  return arith::AddIOp::create(b, l, acc, arith::MulIOp::create(b, l, x, w));
}

/// Splits dim `d` of `v` into (`group`, size / group).
Value splitDim(OpBuilder &b, Location loc, Value v, int64_t d, int64_t group) {
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<int64_t> shape(type.getShape());
  shape[d] /= group;
  shape.insert(shape.begin() + d, group);
  SmallVector<ReassociationIndices> re;
  for (int64_t i = 0, j = 0; i < type.getRank(); ++i) {
    if (i == d) {
      re.push_back({j, j + 1});
      j += 2;
    } else {
      re.push_back({j++});
    }
  }
  return tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), v, re);
}

/// A grouped window contraction over S spatial dims as one linalg.generic:
/// out[n, g, f, o...] += in[n, g, c, inExpr(o, k)...] * w[wDims(g, f, c),
/// wExpr(k)...], where `input` is NxGxCgxL..., `filter` is either GxFgxCgxK...
/// (`filterGFC`) or GxCgxFgxK..., and `init` is NxGxFgxO.... In the input,
/// spatial dim i reads o_i * strides[i] + offsets[i] + k_i * dilations[i];
/// with `flipKernel`, (K_i - 1 - k_i) in place of k_i.
Value windowContraction(OpBuilder &b, Location loc, Value input, Value filter,
                        Value init, ArrayRef<int64_t> strides,
                        ArrayRef<int64_t> dilations, ArrayRef<int64_t> offsets,
                        bool filterGFC, bool flipKernel) {
  MLIRContext *ctx = b.getContext();
  auto wType = cast<RankedTensorType>(filter.getType());
  int64_t spatial = strides.size();
  // Loops: n, g, f, o..., c, k...
  int64_t numLoops = 4 + 2 * spatial, cLoop = 3 + spatial;
  auto dim = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
  SmallVector<AffineExpr> inExprs = {dim(0), dim(1), dim(cLoop)};
  SmallVector<AffineExpr> wExprs = {dim(1)};
  wExprs.append(filterGFC ? SmallVector<AffineExpr>{dim(2), dim(cLoop)}
                          : SmallVector<AffineExpr>{dim(cLoop), dim(2)});
  SmallVector<AffineExpr> outExprs = {dim(0), dim(1), dim(2)};
  for (int64_t i = 0; i < spatial; ++i) {
    AffineExpr o = dim(3 + i), k = dim(cLoop + 1 + i);
    // Flipped: the input reads at K - 1 - k (the filter map keeps a plain
    // k, so that the loop sizes can be inferred from the operand shapes).
    int64_t kSize = wType.getDimSize(3 + i);
    inExprs.push_back(flipKernel
                          ? o * strides[i] + offsets[i] +
                                (kSize - 1) * dilations[i] - k * dilations[i]
                          : o * strides[i] + offsets[i] + k * dilations[i]);
    wExprs.push_back(k);
    outExprs.push_back(o);
  }
  SmallVector<AffineMap> maps = {AffineMap::get(numLoops, 0, inExprs, ctx),
                                 AffineMap::get(numLoops, 0, wExprs, ctx),
                                 AffineMap::get(numLoops, 0, outExprs, ctx)};
  SmallVector<utils::IteratorType> iters(numLoops,
                                         utils::IteratorType::parallel);
  for (int64_t i = cLoop; i < numLoops; ++i)
    iters[i] = utils::IteratorType::reduction;
  return linalg::GenericOp::create(b, loc, init.getType(),
                                   ValueRange{input, filter}, init, maps, iters,
                                   [](OpBuilder &nb, Location l, ValueRange v) {
                                     linalg::YieldOp::create(
                                         nb, l,
                                         multiplyAdd(nb, l, v[0], v[1], v[2]));
                                   })
      .getResult(0);
}

/// Channels [first, first + count) of a 4-D channels-last tensor of type
/// `type` (the other dims whole): offsets, sizes and unit strides.
struct ChannelSlice {
  SmallVector<OpFoldResult> offsets, sizes, strides;
  ChannelSlice(OpBuilder &b, Type type, int64_t first, int64_t count)
      : offsets(4, b.getIndexAttr(0)), strides(4, b.getIndexAttr(1)) {
    offsets[3] = b.getIndexAttr(first);
    for (int64_t d = 0; d < 4; ++d)
      sizes.push_back(b.getIndexAttr(
          d == 3 ? count : cast<RankedTensorType>(type).getDimSize(d)));
  }
  Value extract(OpBuilder &b, Location loc, Value v) const {
    return tensor::ExtractSliceOp::create(b, loc, v, offsets, sizes, strides);
  }
};

Value sliceChannels(OpBuilder &b, Location loc, Value v, int64_t first,
                    int64_t count) {
  return ChannelSlice(b, v.getType(), first, count).extract(b, loc, v);
}

struct ConvLowering : NNPattern<nn::ConvOp> {
  using NNPattern::NNPattern;

  /// NHWC input, KHxKWx(C/group)xF filter: one group, depthwise, or other
  /// groups (one conv per group).
  LogicalResult lowerChannelsLast(nn::ConvOp op, Adaptor adaptor,
                                  ConversionPatternRewriter &rewriter) const {
    Location loc = op.getLoc();
    auto outType = resultType(op);
    auto wType = cast<RankedTensorType>(adaptor.getFilter().getType());
    ArrayRef<int64_t> pads = op.getPads();
    // Neighbouring pixels of a tile are `stride` pixels apart; when that is
    // a multiple of 4 KiB (512 channels at stride 2) every pixel's channels
    // fall in the same L1 sets and evict each other (ResNet50's 512-channel
    // stride-2 conv ran at half the rate of 496 or 528 channels). The
    // padded copy (made for this even without padding: one pass over the
    // input) then gets 16 channels more per pixel, which the conv reads
    // around through a slice.
    auto inType = cast<RankedTensorType>(adaptor.getInput().getType());
    int64_t pixelBytes = op.getStrides()[1] * inType.getDimSize(3) *
                         inType.getElementTypeBitWidth() / 8;
    bool spread = pixelBytes % 4096 == 0;
    Value input =
        padded(rewriter, loc, adaptor.getInput(), {pads[0], pads[1], 0},
               {pads[2], pads[3], spread ? 16 : 0}, 0.0);
    if (spread)
      input = sliceChannels(rewriter, loc, input, 0, inType.getDimSize(3));
    Value init = convInit(rewriter, loc, outType, adaptor.getBias(),
                          /*channelsLast=*/true);
    auto strides = rewriter.getI64TensorAttr(op.getStrides());
    auto dilations = rewriter.getI64TensorAttr(op.getDilations());
    Value result;
    if (op.getGroup() == 1) {
      result =
          linalg::Conv2DNhwcHwcfOp::create(
              rewriter, loc, outType, ValueRange{input, adaptor.getFilter()},
              init, strides, dilations)
              .getResult(0);
    } else if (wType.getDimSize(2) == 1 &&
               wType.getDimSize(3) == static_cast<int64_t>(op.getGroup())) {
      auto dwType = RankedTensorType::get(
          {wType.getDimSize(0), wType.getDimSize(1), wType.getDimSize(3)},
          wType.getElementType());
      Value w = tensor::CollapseShapeOp::create(
          rewriter, loc, dwType, adaptor.getFilter(),
          ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}});
      result = linalg::DepthwiseConv2DNhwcHwcOp::create(
                   rewriter, loc, outType, ValueRange{input, w}, init, strides,
                   dilations)
                   .getResult(0);
    } else {
      // Grouped: one channels-last conv per group on its slices of the
      // input's, filter's and output's channels, which the vector kernels
      // read in place (strided views): no copies, no loops of scalars.
      int64_t groups = op.getGroup(), perGroup = wType.getDimSize(2);
      int64_t filtersPerGroup = wType.getDimSize(3) / groups;
      result = init;
      for (int64_t g = 0; g < groups; ++g) {
        Value in = sliceChannels(rewriter, loc, input, g * perGroup, perGroup);
        Value w = sliceChannels(rewriter, loc, adaptor.getFilter(),
                                g * filtersPerGroup, filtersPerGroup);
        ChannelSlice out(rewriter, result.getType(), g * filtersPerGroup,
                         filtersPerGroup);
        Value acc = out.extract(rewriter, loc, result);
        Value part = linalg::Conv2DNhwcHwcfOp::create(
                         rewriter, loc, acc.getType(), ValueRange{in, w}, acc,
                         strides, dilations)
                         .getResult(0);
        result = tensor::InsertSliceOp::create(
            rewriter, loc, part, result, out.offsets, out.sizes, out.strides);
      }
    }
    rewriter.replaceOp(op, result);
    return success();
  }
  LogicalResult
  matchAndRewrite(nn::ConvOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (op.getChannelsLast())
      return lowerChannelsLast(op, adaptor, rewriter);
    Location loc = op.getLoc();
    auto outType = resultType(op);
    auto inType = cast<RankedTensorType>(adaptor.getInput().getType());
    auto wType = cast<RankedTensorType>(adaptor.getFilter().getType());
    Type et = outType.getElementType();
    int64_t spatial = inType.getRank() - 2;
    ArrayRef<int64_t> pads = op.getPads();
    SmallVector<int64_t> high(pads.drop_front(spatial));
    // A pruned conv left NCHW for the pattern kernel reads its rows as
    // 64-byte-aligned vectors: the padded rows are widened to a multiple of
    // 16 floats (columns the conv never reads).
    if (spatial == 2 && op.getGroup() == 1 && op->hasAttr("kiln.prune")) {
      int64_t width = inType.getDimSize(3) + pads[1] + pads[3];
      high[1] += (width + 15) / 16 * 16 - width;
    }
    Value input = padded(rewriter, loc, adaptor.getInput(),
                         pads.take_front(spatial), high, 0.0);
    // The accumulator starts as the broadcast bias (or zero).
    Value init = convInit(rewriter, loc, outType, adaptor.getBias());
    if (spatial != 2) {
      // 1-D and 3-D: one generic over (group, per-group) channel splits.
      int64_t group = op.getGroup();
      Value gIn = splitDim(rewriter, loc, input, 1, group);
      Value gW = splitDim(rewriter, loc, adaptor.getFilter(), 0, group);
      Value gInit = splitDim(rewriter, loc, init, 1, group);
      SmallVector<int64_t> offsets(spatial, 0);
      Value gOut =
          windowContraction(rewriter, loc, gIn, gW, gInit, op.getStrides(),
                            op.getDilations(), offsets, /*filterGFC=*/true,
                            /*flipKernel=*/false);
      SmallVector<ReassociationIndices> re = {{0}, {1, 2}};
      for (int64_t i = 0; i < spatial; ++i)
        re.push_back({3 + i});
      rewriter.replaceOp(op, tensor::CollapseShapeOp::create(
                                 rewriter, loc, outType, gOut, re));
      return success();
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

struct ConvTransposeLowering : NNPattern<nn::ConvTransposeOp> {
  using NNPattern::NNPattern;
  LogicalResult
  matchAndRewrite(nn::ConvTransposeOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    // out[o] = sum_k xs[o + pad_begin - k * d] * w[k], with xs the input
    // with stride - 1 zeros between elements. As a gather: the stuffed input
    // placed at `low` in a zero tensor xp, read at o + pad_begin + extra +
    // k' * d with the kernel flipped (k' = K - 1 - k).
    Location loc = op.getLoc();
    auto outType = resultType(op);
    auto inType = cast<RankedTensorType>(adaptor.getInput().getType());
    auto wType = cast<RankedTensorType>(adaptor.getFilter().getType());
    int64_t spatial = inType.getRank() - 2, group = op.getGroup();
    ArrayRef<int64_t> pads = op.getPads(), strides = op.getStrides(),
                      dilations = op.getDilations();
    SmallVector<int64_t> xpShape = {inType.getDimSize(0), inType.getDimSize(1)};
    SmallVector<OpFoldResult> offsets(2, rewriter.getIndexAttr(0)), sizes,
        steps(2, rewriter.getIndexAttr(1));
    for (int64_t d : inType.getShape().take_front(2))
      sizes.push_back(rewriter.getIndexAttr(d));
    SmallVector<int64_t> readOffsets;
    for (int64_t i = 0; i < spatial; ++i) {
      int64_t in = inType.getDimSize(2 + i), k = wType.getDimSize(2 + i);
      int64_t s = strides[i], d = dilations[i], pb = pads[i];
      int64_t extra = std::max<int64_t>(0, -pb);
      int64_t low = d * (k - 1) + extra;
      int64_t size =
          std::max(low + (in - 1) * s + 1,
                   outType.getDimSize(2 + i) + pb + extra + (k - 1) * d);
      xpShape.push_back(size);
      offsets.push_back(rewriter.getIndexAttr(low));
      sizes.push_back(rewriter.getIndexAttr(in));
      steps.push_back(rewriter.getIndexAttr(s));
      readOffsets.push_back(pb + extra);
    }
    auto xpType = RankedTensorType::get(xpShape, inType.getElementType());
    Value xp = tensor::InsertSliceOp::create(rewriter, loc, adaptor.getInput(),
                                             filled(rewriter, loc, xpType, 0.0),
                                             offsets, sizes, steps);
    Value init = convInit(rewriter, loc, outType, adaptor.getBias());
    Value gIn = splitDim(rewriter, loc, xp, 1, group);
    Value gW = splitDim(rewriter, loc, adaptor.getFilter(), 0, group);
    Value gInit = splitDim(rewriter, loc, init, 1, group);
    SmallVector<int64_t> ones(spatial, 1);
    Value gOut = windowContraction(rewriter, loc, gIn, gW, gInit, ones,
                                   dilations, readOffsets,
                                   /*filterGFC=*/false, /*flipKernel=*/true);
    SmallVector<ReassociationIndices> re = {{0}, {1, 2}};
    for (int64_t i = 0; i < spatial; ++i)
      re.push_back({3 + i});
    rewriter.replaceOp(
        op, tensor::CollapseShapeOp::create(rewriter, loc, outType, gOut, re));
    return success();
  }
};

struct EinsumLowering : NNPattern<nn::EinsumOp> {
  using NNPattern::NNPattern;
  LogicalResult
  matchAndRewrite(nn::EinsumOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto outType = resultType(op);
    // Loops: the result's indices (parallel), then the summed ones.
    SmallVector<int64_t> loops(op.getResultIndices());
    for (Attribute a : op.getOperandIndices())
      for (int64_t i : cast<DenseI64ArrayAttr>(a).asArrayRef())
        if (!llvm::is_contained(loops, i))
          loops.push_back(i);
    auto mapOf = [&](ArrayRef<int64_t> idx) {
      SmallVector<AffineExpr> exprs;
      for (int64_t i : idx)
        exprs.push_back(getAffineDimExpr(
            std::distance(loops.begin(), llvm::find(loops, i)), ctx));
      return AffineMap::get(loops.size(), 0, exprs, ctx);
    };
    SmallVector<AffineMap> maps;
    for (Attribute a : op.getOperandIndices())
      maps.push_back(mapOf(cast<DenseI64ArrayAttr>(a).asArrayRef()));
    maps.push_back(mapOf(op.getResultIndices()));
    SmallVector<utils::IteratorType> iters(loops.size(),
                                           utils::IteratorType::reduction);
    std::fill_n(iters.begin(), outType.getRank(),
                utils::IteratorType::parallel);
    Value init = filled(rewriter, loc, outType, 0.0);
    rewriter.replaceOp(
        op, linalg::GenericOp::create(
                rewriter, loc, outType, adaptor.getInputs(), init, maps, iters,
                [](OpBuilder &b, Location l, ValueRange v) {
                  Value p = v[0];
                  for (Value x : v.drop_front().drop_back())
                    p = arith::MulFOp::create(b, l, p, x);
                  linalg::YieldOp::create(
                      b, l,
                      arith::AddFOp::create(b, l, v.back(), p).getResult());
                })
                .getResult(0));
    return success();
  }
};

/// out = body(inputs) elementwise, where an input of the result's rank is
/// read as is, a scalar broadcast, and a 1-D one along dim `axis`.
Value perAxis(OpBuilder &b, Location loc, RankedTensorType outType,
              ValueRange inputs, int64_t axis, BodyFn body) {
  int64_t rank = outType.getRank();
  SmallVector<AffineMap> maps;
  for (Value v : inputs) {
    int64_t r = cast<RankedTensorType>(v.getType()).getRank();
    if (r == rank)
      maps.push_back(b.getMultiDimIdentityMap(rank));
    else if (r == 0)
      maps.push_back(AffineMap::get(rank, 0, {}, b.getContext()));
    else
      maps.push_back(
          AffineMap::get(rank, 0, {b.getAffineDimExpr(axis)}, b.getContext()));
  }
  maps.push_back(b.getMultiDimIdentityMap(rank));
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, outType, inputs, emptyTensor(b, loc, outType), maps, iters,
             [&](OpBuilder &nb, Location l, ValueRange v) {
               linalg::YieldOp::create(nb, l, body(nb, l, v.drop_back()));
             })
      .getResult(0);
}

/// An integer widened to i32 (zero extension when unsigned).
Value toI32(OpBuilder &b, Location l, Value v, bool isUnsigned) {
  if (v.getType().isInteger(32))
    return v;
  if (isUnsigned)
    return arith::ExtUIOp::create(b, l, b.getI32Type(), v);
  return arith::ExtSIOp::create(b, l, b.getI32Type(), v);
}

struct QuantizeLinearLowering : NNPattern<nn::QuantizeLinearOp> {
  using NNPattern::NNPattern;
  LogicalResult
  matchAndRewrite(nn::QuantizeLinearOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    bool isUnsigned = op.getIsUnsigned();
    double lo = isUnsigned ? 0 : -128, hi = isUnsigned ? 255 : 127;
    rewriter.replaceOp(
        op,
        perAxis(
            rewriter, op.getLoc(), resultType(op),
            {adaptor.getInput(), adaptor.getScale(), adaptor.getZeroPoint()},
            op.getAxis(), [&](OpBuilder &b, Location l, ValueRange v) -> Value {
              Type f = v[0].getType();
              // saturate(round_half_even(x / scale) + zero_point)
              Value q = math::RoundEvenOp::create(
                  b, l, arith::DivFOp::create(b, l, v[0], v[1]));
              Value zp = arith::SIToFPOp::create(b, l, f,
                                                 toI32(b, l, v[2], isUnsigned));
              q = arith::AddFOp::create(b, l, q, zp);
              q = arith::MaximumFOp::create(b, l, q, scalar(b, l, f, lo));
              q = arith::MinimumFOp::create(b, l, q, scalar(b, l, f, hi));
              Value i = arith::FPToSIOp::create(b, l, b.getI32Type(), q);
              return arith::TruncIOp::create(b, l, b.getI8Type(), i);
            }));
    return success();
  }
};

struct DequantizeLinearLowering : NNPattern<nn::DequantizeLinearOp> {
  using NNPattern::NNPattern;
  LogicalResult
  matchAndRewrite(nn::DequantizeLinearOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    bool isUnsigned = op.getIsUnsigned();
    rewriter.replaceOp(
        op,
        perAxis(
            rewriter, op.getLoc(), resultType(op),
            {adaptor.getInput(), adaptor.getScale(), adaptor.getZeroPoint()},
            op.getAxis(), [&](OpBuilder &b, Location l, ValueRange v) -> Value {
              Value d =
                  arith::SubIOp::create(b, l, toI32(b, l, v[0], isUnsigned),
                                        toI32(b, l, v[2], isUnsigned));
              Value f = arith::SIToFPOp::create(b, l, b.getF32Type(), d);
              return arith::MulFOp::create(b, l, f, v[1]);
            }));
    return success();
  }
};

struct DynamicQuantizeLinearLowering : NNPattern<nn::DynamicQuantizeLinearOp> {
  using NNPattern::NNPattern;
  LogicalResult
  matchAndRewrite(nn::DynamicQuantizeLinearOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput();
    auto inType = cast<RankedTensorType>(x.getType());
    Type f32 = rewriter.getF32Type(), i8 = rewriter.getI8Type();
    // lo = min(0, min(x)), hi = max(0, max(x)): reductions from 0.
    auto onesType =
        RankedTensorType::get(SmallVector<int64_t>(inType.getRank(), 1), f32);
    auto all = llvm::to_vector(llvm::seq<int64_t>(0, inType.getRank()));
    auto extractAll = [&](Value t) -> Value {
      SmallVector<Value> zeros(
          inType.getRank(), arith::ConstantIndexOp::create(rewriter, loc, 0));
      return tensor::ExtractOp::create(rewriter, loc, t, zeros);
    };
    Value lo =
        extractAll(reduce(rewriter, loc, x, onesType, all, 0.0,
                          [](OpBuilder &b, Location l, ValueRange v) -> Value {
                            return arith::MinimumFOp::create(b, l, v[0], v[1]);
                          }));
    Value hi =
        extractAll(reduce(rewriter, loc, x, onesType, all, 0.0,
                          [](OpBuilder &b, Location l, ValueRange v) -> Value {
                            return arith::MaximumFOp::create(b, l, v[0], v[1]);
                          }));
    auto saturate = [&](OpBuilder &b, Location l, Value v) -> Value {
      v = arith::MaximumFOp::create(b, l, v, scalar(b, l, f32, 0));
      return arith::MinimumFOp::create(b, l, v, scalar(b, l, f32, 255));
    };
    Value scale = arith::DivFOp::create(
        rewriter, loc, arith::SubFOp::create(rewriter, loc, hi, lo),
        scalar(rewriter, loc, f32, 255));
    Value zpF =
        saturate(rewriter, loc,
                 math::RoundEvenOp::create(
                     rewriter, loc,
                     arith::NegFOp::create(
                         rewriter, loc,
                         arith::DivFOp::create(rewriter, loc, lo, scale))));
    auto toU8 = [&](OpBuilder &b, Location l, Value v) -> Value {
      Value i = arith::FPToSIOp::create(b, l, b.getI32Type(), v);
      return arith::TruncIOp::create(b, l, i8, i);
    };
    Value y = elementwise(
        rewriter, loc, cast<RankedTensorType>(op.getResult().getType()), x,
        [&](OpBuilder &b, Location l, ValueRange v) -> Value {
          Value q = math::RoundEvenOp::create(
              b, l, arith::DivFOp::create(b, l, v[0], scale));
          return toU8(b, l,
                      saturate(b, l, arith::AddFOp::create(b, l, q, zpF)));
        });
    Value scaleT = tensor::FromElementsOp::create(
        rewriter, loc, RankedTensorType::get({}, f32), scale);
    Value zpT = tensor::FromElementsOp::create(
        rewriter, loc, RankedTensorType::get({}, i8), toU8(rewriter, loc, zpF));
    rewriter.replaceOp(op, ValueRange{y, scaleT, zpT});
    return success();
  }
};

struct SubtractZeroPointLowering : NNPattern<nn::SubtractZeroPointOp> {
  using NNPattern::NNPattern;
  LogicalResult
  matchAndRewrite(nn::SubtractZeroPointOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    bool isUnsigned = op.getIsUnsigned();
    rewriter.replaceOp(
        op, perAxis(rewriter, op.getLoc(), resultType(op),
                    {adaptor.getInput(), adaptor.getZeroPoint()}, op.getAxis(),
                    [&](OpBuilder &b, Location l, ValueRange v) -> Value {
                      return arith::SubIOp::create(
                          b, l, toI32(b, l, v[0], isUnsigned),
                          toI32(b, l, v[1], isUnsigned));
                    }));
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
  patterns
      .add<ConvLowering, ConvTransposeLowering, GemmLowering, MatMulLowering,
           EinsumLowering, QuantizeLinearLowering, DequantizeLinearLowering,
           DynamicQuantizeLinearLowering, SubtractZeroPointLowering>(
          patterns.getContext());
}

} // namespace kiln::cpu
