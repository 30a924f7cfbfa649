//===- NNToLinalg.cpp - lower nn ops to linalg on tensors ------------------===//
//
// Each nn op becomes upstream ops on tensors. Named linalg ops are used where
// upstream has them (convolutions, pooling, transpose) so that later tiling
// and vectorisation see them; the rest are linalg.generic with broadcasting
// indexing maps.
//
//===----------------------------------------------------------------------===//
#include "targets/cpu/Passes.h"

#include "dialects/nn/NNOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/DialectConversion.h"

#include <limits>

namespace kiln::cpu {
#define GEN_PASS_DEF_CONVERTNNTOLINALGPASS
#include "targets/cpu/Passes.h.inc"
} // namespace kiln::cpu

using namespace mlir;
using namespace kiln;

namespace {

using BodyFn = function_ref<Value(OpBuilder &, Location, ValueRange)>;

Value emptyTensor(OpBuilder &b, Location loc, RankedTensorType type) {
  return tensor::EmptyOp::create(b, loc, type.getShape(),
                                 type.getElementType());
}

Value scalar(OpBuilder &b, Location loc, Type type, double value) {
  if (auto ft = dyn_cast<FloatType>(type))
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(ft, value));
  return arith::ConstantOp::create(
      b, loc, b.getIntegerAttr(type, static_cast<int64_t>(value)));
}

Value filled(OpBuilder &b, Location loc, RankedTensorType type, double value) {
  Value init = emptyTensor(b, loc, type);
  Value v = scalar(b, loc, type.getElementType(), value);
  return linalg::FillOp::create(b, loc, v, init).getResult(0);
}

/// Indexing map that reads `operand` broadcast (numpy, right-aligned) into an
/// iteration space of `resultRank` dims of sizes `resultShape`.
AffineMap broadcastMap(OpBuilder &b, RankedTensorType operand,
                       ArrayRef<int64_t> resultShape) {
  int64_t rank = resultShape.size(), offset = rank - operand.getRank();
  SmallVector<AffineExpr> exprs;
  for (int64_t d = 0; d < operand.getRank(); ++d) {
    bool broadcast = operand.getDimSize(d) == 1 && resultShape[offset + d] != 1;
    exprs.push_back(broadcast ? b.getAffineConstantExpr(0)
                              : b.getAffineDimExpr(offset + d));
  }
  return AffineMap::get(rank, 0, exprs, b.getContext());
}

/// out[i] = body(inputs broadcast to i) over the whole result.
Value elementwise(OpBuilder &b, Location loc, RankedTensorType resultType,
                  ValueRange inputs, BodyFn body) {
  SmallVector<AffineMap> maps;
  for (Value in : inputs)
    maps.push_back(broadcastMap(b, cast<RankedTensorType>(in.getType()),
                                resultType.getShape()));
  maps.push_back(b.getMultiDimIdentityMap(resultType.getRank()));
  SmallVector<utils::IteratorType> iterators(resultType.getRank(),
                                             utils::IteratorType::parallel);
  auto op = linalg::GenericOp::create(
      b, loc, resultType, inputs, emptyTensor(b, loc, resultType), maps,
      iterators, [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value r = body(nb, nloc, args.drop_back());
        linalg::YieldOp::create(nb, nloc, r);
      });
  return op.getResult(0);
}

/// Per-channel vector `v` (length C) as a map into an NCHW-like space.
AffineMap channelMap(OpBuilder &b, int64_t rank) {
  return AffineMap::get(rank, 0, {b.getAffineDimExpr(1)}, b.getContext());
}

Value padded(OpBuilder &b, Location loc, Value input,
             ArrayRef<int64_t> lowSpatial, ArrayRef<int64_t> highSpatial,
             double value) {
  if (llvm::all_of(lowSpatial, [](int64_t p) { return p == 0; }) &&
      llvm::all_of(highSpatial, [](int64_t p) { return p == 0; }))
    return input;
  auto type = cast<RankedTensorType>(input.getType());
  int64_t lead = type.getRank() - lowSpatial.size();
  SmallVector<int64_t> shape(type.getShape());
  SmallVector<OpFoldResult> low(lead, b.getIndexAttr(0)),
      high(lead, b.getIndexAttr(0));
  for (size_t i = 0; i < lowSpatial.size(); ++i) {
    low.push_back(b.getIndexAttr(lowSpatial[i]));
    high.push_back(b.getIndexAttr(highSpatial[i]));
    shape[lead + i] += lowSpatial[i] + highSpatial[i];
  }
  auto resultType = RankedTensorType::get(shape, type.getElementType());
  Value pad = scalar(b, loc, type.getElementType(), value);
  return tensor::PadOp::create(b, loc, resultType, input, low, high, pad,
                               /*nofold=*/false);
}

/// Extra end padding so that ceil_mode windows stay inside the tensor.
SmallVector<int64_t> ceilExtra(RankedTensorType in, RankedTensorType out,
                               ArrayRef<int64_t> kernel,
                               ArrayRef<int64_t> strides,
                               ArrayRef<int64_t> dilations,
                               ArrayRef<int64_t> pads) {
  SmallVector<int64_t> extra;
  for (int i = 0; i < 2; ++i) {
    int64_t needed = (out.getDimSize(2 + i) - 1) * strides[i] +
                     (kernel[i] - 1) * dilations[i] + 1;
    int64_t have = in.getDimSize(2 + i) + pads[i] + pads[2 + i];
    extra.push_back(std::max<int64_t>(0, needed - have));
  }
  return extra;
}

Value reshapeTensor(OpBuilder &b, Location loc, Value input,
                    RankedTensorType resultType) {
  auto inType = cast<RankedTensorType>(input.getType());
  if (inType == resultType)
    return input;
  // Through 1-D: both steps are views after bufferization. A rank-0 tensor
  // has one element; it becomes 1-D by an expand (and back by a collapse)
  // with an empty reassociation.
  auto allDims = [](int64_t rank) {
    SmallVector<ReassociationIndices> all;
    if (rank > 0)
      all.emplace_back(llvm::to_vector(llvm::seq<int64_t>(0, rank)));
    return all;
  };
  Value flat = input;
  auto flatType = RankedTensorType::get({inType.getNumElements()},
                                        inType.getElementType());
  if (inType.getRank() == 0)
    flat = tensor::ExpandShapeOp::create(b, loc, flatType, input, allDims(0));
  else if (inType.getRank() != 1)
    flat = tensor::CollapseShapeOp::create(b, loc, flatType, input,
                                           allDims(inType.getRank()));
  if (resultType.getRank() == 1)
    return flat;
  if (resultType.getRank() == 0)
    return tensor::CollapseShapeOp::create(b, loc, resultType, flat,
                                           allDims(0));
  return tensor::ExpandShapeOp::create(b, loc, resultType, flat,
                                       allDims(resultType.getRank()));
}

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

template <typename Op>
struct NNPattern : OpConversionPattern<Op> {
  using OpConversionPattern<Op>::OpConversionPattern;
  using Adaptor = typename Op::Adaptor;
  static RankedTensorType resultType(Op op) {
    return cast<RankedTensorType>(op->getResult(0).getType());
  }
};

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

/// Unary and binary elementwise ops share one shape: a body per element.
template <typename Op>
struct ElementwiseLowering : NNPattern<Op> {
  using NNPattern<Op>::NNPattern;
  using Adaptor = typename Op::Adaptor;
  LogicalResult
  matchAndRewrite(Op op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Type et = this->resultType(op).getElementType();
    Value r = elementwise(
        rewriter, op.getLoc(), this->resultType(op), adaptor.getOperands(),
        [&](OpBuilder &b, Location loc, ValueRange args) {
          return body(op, b, loc, et, args);
        });
    rewriter.replaceOp(op, r);
    return success();
  }
  static Value body(Op op, OpBuilder &b, Location loc, Type et,
                    ValueRange args);
};

template <>
Value ElementwiseLowering<nn::ReluOp>::body(nn::ReluOp, OpBuilder &b,
                                            Location loc, Type et,
                                            ValueRange a) {
  return arith::MaximumFOp::create(b, loc, a[0], scalar(b, loc, et, 0));
}
template <>
Value ElementwiseLowering<nn::SigmoidOp>::body(nn::SigmoidOp, OpBuilder &b,
                                               Location loc, Type et,
                                               ValueRange a) {
  Value neg = arith::NegFOp::create(b, loc, a[0]);
  Value e = math::ExpOp::create(b, loc, neg);
  Value den = arith::AddFOp::create(b, loc, scalar(b, loc, et, 1), e);
  return arith::DivFOp::create(b, loc, scalar(b, loc, et, 1), den);
}
static Value clamp01(OpBuilder &b, Location loc, Type et, Value v) {
  v = arith::MaximumFOp::create(b, loc, v, scalar(b, loc, et, 0));
  return arith::MinimumFOp::create(b, loc, v, scalar(b, loc, et, 1));
}
template <>
Value ElementwiseLowering<nn::HardSigmoidOp>::body(nn::HardSigmoidOp op,
                                                   OpBuilder &b, Location loc,
                                                   Type et, ValueRange a) {
  Value v = arith::MulFOp::create(
      b, loc, a[0], scalar(b, loc, et, op.getAlpha().convertToDouble()));
  v = arith::AddFOp::create(
      b, loc, v, scalar(b, loc, et, op.getBeta().convertToDouble()));
  return clamp01(b, loc, et, v);
}
template <>
Value ElementwiseLowering<nn::HardSwishOp>::body(nn::HardSwishOp, OpBuilder &b,
                                                 Location loc, Type et,
                                                 ValueRange a) {
  Value v = arith::MulFOp::create(b, loc, a[0], scalar(b, loc, et, 1.0 / 6));
  v = arith::AddFOp::create(b, loc, v, scalar(b, loc, et, 0.5));
  return arith::MulFOp::create(b, loc, a[0], clamp01(b, loc, et, v));
}
template <>
Value ElementwiseLowering<nn::LeakyReluOp>::body(nn::LeakyReluOp op,
                                                 OpBuilder &b, Location loc,
                                                 Type et, ValueRange a) {
  Value scaled = arith::MulFOp::create(
      b, loc, a[0], scalar(b, loc, et, op.getAlpha().convertToDouble()));
  Value neg = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, a[0],
                                    scalar(b, loc, et, 0));
  return arith::SelectOp::create(b, loc, neg, scaled, a[0]);
}
template <>
Value ElementwiseLowering<nn::ClipOp>::body(nn::ClipOp op, OpBuilder &b,
                                            Location loc, Type et,
                                            ValueRange a) {
  Value v = arith::MaximumFOp::create(
      b, loc, a[0], scalar(b, loc, et, op.getMin().convertToDouble()));
  return arith::MinimumFOp::create(
      b, loc, v, scalar(b, loc, et, op.getMax().convertToDouble()));
}
template <typename FOp, typename IOp>
static Value binary(OpBuilder &b, Location loc, Type et, ValueRange a) {
  if (isa<FloatType>(et))
    return FOp::create(b, loc, a[0], a[1]);
  return IOp::create(b, loc, a[0], a[1]);
}
template <>
Value ElementwiseLowering<nn::AddOp>::body(nn::AddOp, OpBuilder &b,
                                           Location loc, Type et,
                                           ValueRange a) {
  return binary<arith::AddFOp, arith::AddIOp>(b, loc, et, a);
}
template <>
Value ElementwiseLowering<nn::SubOp>::body(nn::SubOp, OpBuilder &b,
                                           Location loc, Type et,
                                           ValueRange a) {
  return binary<arith::SubFOp, arith::SubIOp>(b, loc, et, a);
}
template <>
Value ElementwiseLowering<nn::MulOp>::body(nn::MulOp, OpBuilder &b,
                                           Location loc, Type et,
                                           ValueRange a) {
  return binary<arith::MulFOp, arith::MulIOp>(b, loc, et, a);
}
template <>
Value ElementwiseLowering<nn::DivOp>::body(nn::DivOp, OpBuilder &b,
                                           Location loc, Type et,
                                           ValueRange a) {
  return binary<arith::DivFOp, arith::DivSIOp>(b, loc, et, a);
}

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
          return arith::DivFOp::create(b, l, v[0], math::SqrtOp::create(b, l, s));
        });
    Value c = elementwise(
        rewriter, loc, vecType, {adaptor.getBias(), adaptor.getMean(), a},
        [&](OpBuilder &b, Location l, ValueRange v) {
          return arith::SubFOp::create(b, l, v[0],
                                       arith::MulFOp::create(b, l, v[1], v[2]));
        });
    int64_t rank = type.getRank();
    SmallVector<AffineMap> maps = {rewriter.getMultiDimIdentityMap(rank),
                                   channelMap(rewriter, rank),
                                   channelMap(rewriter, rank),
                                   rewriter.getMultiDimIdentityMap(rank)};
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
    Value input =
        padded(rewriter, loc, adaptor.getInput(), pads.take_front(2),
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
      result = linalg::Conv2DNchwFchwOp::create(
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
      auto gInType = RankedTensorType::get(
          {padType.getDimSize(0), group, channels / group,
           padType.getDimSize(2), padType.getDimSize(3)},
          et);
      auto gWType = RankedTensorType::get(
          {group, filters / group, wType.getDimSize(1), wType.getDimSize(2),
           wType.getDimSize(3)},
          et);
      auto gOutType = RankedTensorType::get(
          {outType.getDimSize(0), group, filters / group,
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
      Value gOut = linalg::Conv2DNgchwGfchwOp::create(
                       rewriter, loc, gOutType, ValueRange{gIn, gW}, gInit,
                       strides, dilations)
                       .getResult(0);
      result = tensor::CollapseShapeOp::create(rewriter, loc, outType, gOut,
                                               splitC);
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Contraction over (batch..., m?, n?, k) as one linalg.generic.
Value contraction(OpBuilder &b, Location loc, RankedTensorType outType,
                  Value lhs, Value rhs, Value init, ArrayRef<AffineMap> maps,
                  int64_t numLoops, double alpha) {
  SmallVector<utils::IteratorType> iters(numLoops,
                                         utils::IteratorType::parallel);
  iters.back() = utils::IteratorType::reduction;
  Type et = outType.getElementType();
  return linalg::GenericOp::create(
             b, loc, outType, ValueRange{lhs, rhs}, init, maps, iters,
             [&](OpBuilder &nb, Location l, ValueRange v) {
               Value p = arith::MulFOp::create(nb, l, v[0], v[1]);
               if (alpha != 1.0)
                 p = arith::MulFOp::create(nb, l, p, scalar(nb, l, et, alpha));
               linalg::YieldOp::create(nb, l,
                                       arith::AddFOp::create(nb, l, v[2], p)
                                           .getResult());
             })
      .getResult(0);
}

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
        AffineMap::get(3, 0, op.getTransA() ? ArrayRef<AffineExpr>{k, m}
                                            : ArrayRef<AffineExpr>{m, k},
                       ctx),
        AffineMap::get(3, 0, op.getTransB() ? ArrayRef<AffineExpr>{n, k}
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
    rewriter.replaceOp(
        op, linalg::PoolingNchwMaxOp::create(
                rewriter, loc, outType, ValueRange{input, window}, init,
                rewriter.getI64TensorAttr(op.getStrides()),
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
      return std::max<int64_t>(
          0, std::min(start + kernel[axis], hi) - std::max(start, lo));
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
        AffineMap::get(4, 0, {getAffineDimExpr(2, ctx), getAffineDimExpr(3, ctx)},
                       ctx),
        rewriter.getMultiDimIdentityMap(4)};
    SmallVector<utils::IteratorType> iters(4, utils::IteratorType::parallel);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, outType, ValueRange{sum, div},
        emptyTensor(rewriter, loc, outType), maps, iters,
        [&](OpBuilder &b, Location l, ValueRange v) {
          Value d = v[1];
          if (d.getType() != et)
            d = arith::TruncFOp::create(b, l, et, d);
          linalg::YieldOp::create(b, l,
                                  arith::DivFOp::create(b, l, v[0], d).getResult());
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

/// Reduces `input` over `reduced` dims into a tensor of `outType` (which
/// keeps reduced dims as size 1), combining with `combine` from `initValue`.
Value reduce(OpBuilder &b, Location loc, Value input, RankedTensorType outType,
             ArrayRef<int64_t> reduced, double initValue, BodyFn combine) {
  auto inType = cast<RankedTensorType>(input.getType());
  int64_t rank = inType.getRank();
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iters;
  for (int64_t d = 0; d < rank; ++d) {
    bool r = llvm::is_contained(reduced, d);
    outExprs.push_back(r ? b.getAffineConstantExpr(0) : b.getAffineDimExpr(d));
    iters.push_back(r ? utils::IteratorType::reduction
                      : utils::IteratorType::parallel);
  }
  SmallVector<AffineMap> maps = {
      b.getMultiDimIdentityMap(rank),
      AffineMap::get(rank, 0, outExprs, b.getContext())};
  return linalg::GenericOp::create(
             b, loc, outType, input, filled(b, loc, outType, initValue), maps,
             iters,
             [&](OpBuilder &nb, Location l, ValueRange v) {
               linalg::YieldOp::create(nb, l, combine(nb, l, v));
             })
      .getResult(0);
}

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
    Value sum = reduce(rewriter, loc, adaptor.getInput(), keptType,
                       op.getAxes(), 0.0,
                       [](OpBuilder &b, Location l, ValueRange v) -> Value {
                         return arith::AddFOp::create(b, l, v[0], v[1]);
                       });
    Value mean = elementwise(rewriter, loc, keptType, sum,
                             [&](OpBuilder &b, Location l, ValueRange v) {
                               return arith::DivFOp::create(
                                   b, l, v[0], scalar(b, l, et, cells));
                             });
    rewriter.replaceOp(op,
                       reshapeTensor(rewriter, loc, mean, resultType(op)));
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

struct ConcatLowering : NNPattern<nn::ConcatOp> {
  using NNPattern::NNPattern;
  LogicalResult
  matchAndRewrite(nn::ConcatOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = resultType(op);
    int64_t axis = static_cast<int64_t>(op.getAxis());
    if (axis < 0)
      axis += type.getRank();
    Value result = emptyTensor(rewriter, loc, type);
    int64_t offset = 0;
    for (Value in : adaptor.getInputs()) {
      auto t = cast<RankedTensorType>(in.getType());
      SmallVector<OpFoldResult> offsets(type.getRank(), rewriter.getIndexAttr(0));
      SmallVector<OpFoldResult> sizes, strides(type.getRank(),
                                               rewriter.getIndexAttr(1));
      for (int64_t d : t.getShape())
        sizes.push_back(rewriter.getIndexAttr(d));
      offsets[axis] = rewriter.getIndexAttr(offset);
      offset += t.getDimSize(axis);
      result = tensor::InsertSliceOp::create(rewriter, loc, in, result, offsets,
                                             sizes, strides);
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

template <typename Op>
struct ReshapeLikeLowering : NNPattern<Op> {
  using NNPattern<Op>::NNPattern;
  using Adaptor = typename Op::Adaptor;
  LogicalResult
  matchAndRewrite(Op op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, reshapeTensor(rewriter, op.getLoc(),
                                         adaptor.getInput(),
                                         this->resultType(op)));
    return success();
  }
};

struct TransposeLowering : NNPattern<nn::TransposeOp> {
  using NNPattern::NNPattern;
  LogicalResult
  matchAndRewrite(nn::TransposeOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = resultType(op);
    rewriter.replaceOp(op, linalg::TransposeOp::create(
                               rewriter, op.getLoc(), adaptor.getInput(),
                               emptyTensor(rewriter, op.getLoc(), type),
                               op.getPerm())
                               .getResult());
    return success();
  }
};

struct PadLowering : NNPattern<nn::PadOp> {
  using NNPattern::NNPattern;
  LogicalResult
  matchAndRewrite(nn::PadOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    int64_t rank = resultType(op).getRank();
    ArrayRef<int64_t> pads = op.getPads();
    rewriter.replaceOp(op, padded(rewriter, op.getLoc(), adaptor.getInput(),
                                  pads.take_front(rank), pads.drop_front(rank),
                                  op.getValue().convertToDouble()));
    return success();
  }
};

struct SliceLowering : NNPattern<nn::SliceOp> {
  using NNPattern::NNPattern;
  LogicalResult
  matchAndRewrite(nn::SliceOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(
        op, resultType(op), adaptor.getInput(), ValueRange{}, ValueRange{},
        ValueRange{}, op.getOffsets(), op.getSizes(), op.getSteps());
    return success();
  }
};

struct ConvertNNToLinalg
    : kiln::cpu::impl::ConvertNNToLinalgPassBase<ConvertNNToLinalg> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    ConversionTarget target(*ctx);
    target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                           math::MathDialect, tensor::TensorDialect,
                           func::FuncDialect>();
    target.addIllegalDialect<nn::NNDialect>();
    RewritePatternSet patterns(ctx);
    patterns.add<
        ConstantLowering, IdentityLowering, ElementwiseLowering<nn::ReluOp>,
        ElementwiseLowering<nn::SigmoidOp>,
        ElementwiseLowering<nn::HardSigmoidOp>,
        ElementwiseLowering<nn::HardSwishOp>,
        ElementwiseLowering<nn::LeakyReluOp>, ElementwiseLowering<nn::ClipOp>,
        ElementwiseLowering<nn::AddOp>, ElementwiseLowering<nn::SubOp>,
        ElementwiseLowering<nn::MulOp>, ElementwiseLowering<nn::DivOp>,
        BatchNormLowering, Conv2DLowering, GemmLowering, MatMulLowering,
        MaxPoolLowering, AvgPoolLowering, GlobalAvgPoolLowering, ReduceMeanLowering,
        SoftmaxLowering, ConcatLowering, ReshapeLikeLowering<nn::ReshapeOp>,
        ReshapeLikeLowering<nn::FlattenOp>, TransposeLowering, PadLowering,
        SliceLowering>(ctx);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
