//===- NNToLinalgNNA.cpp - nna ops on the CPU
//------------------------------===//
//
// The int8 ops of the Kiln NNA as CPU code, with docs/nna.md's arithmetic
// to the bit: the quantised graph runs on the CPU (kilnc --precision=int8),
// which is both the int8 CPU variant and the plain reference the NNA
// simulator is held to. Accumulation is in i32, requantisation in i64
// (gemmlowp's saturating rounding doubling high multiply and rounding
// shift).
//
//===----------------------------------------------------------------------===//
#include "dialects/nna/NNAOps.h"
#include "targets/cpu/NNToLinalgPatterns.h"

namespace kiln::cpu {
namespace {

namespace nna = kiln::nna;

Value i64c(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIntOp::create(b, loc, b.getI64Type(), v);
}

/// Clamp of i64 `x` to [lo, hi].
Value clampI64(OpBuilder &b, Location loc, Value x, int64_t lo, int64_t hi) {
  x = arith::MaxSIOp::create(b, loc, x, i64c(b, loc, lo));
  return arith::MinSIOp::create(b, loc, x, i64c(b, loc, hi));
}

/// mulq(x, m, s) of docs/nna.md on i64 values holding int32 ones: x shifted
/// left by max(s, 0) and saturated, srdhm by m, rounding shift right by
/// max(-s, 0).
Value mulq(OpBuilder &b, Location loc, Value x, Value m, Value s) {
  Value zero = i64c(b, loc, 0);
  Value left = arith::MaxSIOp::create(b, loc, s, zero);
  Value right = arith::MaxSIOp::create(
      b, loc, arith::SubIOp::create(b, loc, zero, s), zero);
  // x < 2^31 and left <= 30: the product fits in i64 before saturation.
  x = clampI64(b, loc, arith::ShLIOp::create(b, loc, x, left), INT32_MIN,
               INT32_MAX);
  // srdhm: INT32_MAX when both are INT32_MIN, else (x*m + nudge) / 2^31.
  Value min = i64c(b, loc, INT32_MIN);
  Value overflow = arith::AndIOp::create(
      b, loc, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, x, min),
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, m, min));
  Value p = arith::MulIOp::create(b, loc, x, m);
  Value nudge = arith::SelectOp::create(
      b, loc, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, p, zero),
      i64c(b, loc, int64_t(1) << 30), i64c(b, loc, 1 - (int64_t(1) << 30)));
  Value high =
      arith::DivSIOp::create(b, loc, arith::AddIOp::create(b, loc, p, nudge),
                             i64c(b, loc, int64_t(1) << 31));
  high =
      arith::SelectOp::create(b, loc, overflow, i64c(b, loc, INT32_MAX), high);
  // rdivpot(high, right).
  Value one = i64c(b, loc, 1);
  Value mask = arith::SubIOp::create(
      b, loc, arith::ShLIOp::create(b, loc, one, right), one);
  Value rem = arith::AndIOp::create(b, loc, high, mask);
  Value negative =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, high, zero);
  Value threshold = arith::AddIOp::create(
      b, loc, arith::ShRSIOp::create(b, loc, mask, one),
      arith::ExtUIOp::create(b, loc, b.getI64Type(), negative));
  Value up = arith::ExtUIOp::create(
      b, loc, b.getI64Type(),
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, rem, threshold));
  return arith::AddIOp::create(b, loc,
                               arith::ShRSIOp::create(b, loc, high, right), up);
}

Value toI64(OpBuilder &b, Location loc, Value v) {
  return v.getType().isInteger(64)
             ? v
             : arith::ExtSIOp::create(b, loc, b.getI64Type(), v).getResult();
}

Value toI8(OpBuilder &b, Location loc, Value v) {
  return arith::TruncIOp::create(b, loc, b.getI8Type(), v);
}

/// Stage 2 (the quantised add) on i64 values `a` and `bv` holding int8 ones.
Value quantAdd(OpBuilder &b, Location loc, Value a, Value bv,
               nna::RequantAttr q) {
  auto term = [&](Value v, int64_t zero, int64_t mult, int64_t shift) {
    Value centred = arith::SubIOp::create(b, loc, v, i64c(b, loc, zero));
    Value wide =
        arith::ShLIOp::create(b, loc, centred, i64c(b, loc, 20)); // L = 20
    return mulq(b, loc, wide, i64c(b, loc, mult), i64c(b, loc, shift));
  };
  Value u = arith::AddIOp::create(
      b, loc, term(a, q.getAZero(), q.getAMult(), q.getAShift()),
      term(bv, q.getBZero(), q.getBMult(), q.getBShift()));
  u = clampI64(b, loc, u, INT32_MIN, INT32_MAX);
  Value out = arith::AddIOp::create(
      b, loc,
      mulq(b, loc, u, i64c(b, loc, q.getOMult()), i64c(b, loc, q.getOShift())),
      i64c(b, loc, q.getOZero()));
  return clampI64(b, loc, out, q.getLo(), q.getHi());
}

/// `input` (HxWxC) padded by [top, left, bottom, right] with `value`.
Value padHWC(OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> pads,
             int64_t value) {
  if (llvm::all_of(pads, [](int64_t p) { return p == 0; }))
    return input;
  auto type = cast<RankedTensorType>(input.getType());
  SmallVector<int64_t> shape = {type.getDimSize(0) + pads[0] + pads[2],
                                type.getDimSize(1) + pads[1] + pads[3],
                                type.getDimSize(2)};
  SmallVector<OpFoldResult> low = {b.getIndexAttr(pads[0]),
                                   b.getIndexAttr(pads[1]), b.getIndexAttr(0)},
                            high = {b.getIndexAttr(pads[2]),
                                    b.getIndexAttr(pads[3]), b.getIndexAttr(0)};
  Value pad =
      arith::ConstantIntOp::create(b, loc, type.getElementType(), value);
  return tensor::PadOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), input, low,
      high, pad, /*nofold=*/false);
}

/// Column `col` of the Kx3 params as a K vector.
Value paramColumn(OpBuilder &b, Location loc, Value params, int64_t col) {
  auto type = cast<RankedTensorType>(params.getType());
  int64_t k = type.getDimSize(0);
  Value slice = tensor::ExtractSliceOp::create(
      b, loc, RankedTensorType::get({k, 1}, b.getI32Type()), params,
      ValueRange{}, ValueRange{}, ValueRange{},
      b.getDenseI64ArrayAttr({0, col}), b.getDenseI64ArrayAttr({k, 1}),
      b.getDenseI64ArrayAttr({1, 1}));
  return tensor::CollapseShapeOp::create(
      b, loc, RankedTensorType::get({k}, b.getI32Type()), slice,
      ArrayRef<ReassociationIndices>{{0, 1}});
}

struct ConvPattern : OpConversionPattern<nna::ConvOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(nna::ConvOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    OpBuilder &b = rewriter;
    auto outType = op.getResult().getType();
    int64_t oh = outType.getDimSize(0), ow = outType.getDimSize(1),
            k = outType.getDimSize(2);
    int64_t kh = op.getKernel()[0], kw = op.getKernel()[1],
            sh = op.getStrides()[0], sw = op.getStrides()[1];
    bool depthwise = op.getDepthwise();
    Value x = padHWC(b, loc, adaptor.getInput(), op.getPads(), op.getInZero());
    // acc[y, x, k] = bias[k] + sum (in - in_zero) * w over (ky, kx, c).
    auto accType = RankedTensorType::get({oh, ow, k}, b.getI32Type());
    Value bias = paramColumn(b, loc, adaptor.getParams(), 0);
    MLIRContext *ctx = b.getContext();
    AffineExpr y = getAffineDimExpr(0, ctx), xo = getAffineDimExpr(1, ctx),
               ko = getAffineDimExpr(2, ctx), ky = getAffineDimExpr(3, ctx),
               kx = getAffineDimExpr(4, ctx), c = getAffineDimExpr(5, ctx);
    Value init =
        linalg::GenericOp::create(
            b, loc, TypeRange{accType}, ValueRange{bias},
            ValueRange{emptyTensor(b, loc, accType)},
            ArrayRef<AffineMap>{
                AffineMap::get(3, 0, {getAffineDimExpr(2, ctx)}, ctx),
                AffineMap::getMultiDimIdentityMap(3, ctx)},
            SmallVector<utils::IteratorType>(3, utils::IteratorType::parallel),
            [](OpBuilder &nb, Location l, ValueRange args) {
              linalg::YieldOp::create(nb, l, args[0]);
            })
            .getResult(0);
    // Depthwise convs reduce over the window only: channel k reads input
    // channel k and weight [k][ky][kx][0].
    unsigned loops = depthwise ? 5 : 6;
    AffineMap inMap = AffineMap::get(
        loops, 0, {y * sh + ky, xo * sw + kx, depthwise ? ko : c}, ctx);
    AffineMap wMap = AffineMap::get(
        loops, 0, {ko, ky, kx, depthwise ? getAffineConstantExpr(0, ctx) : c},
        ctx);
    AffineMap outMap = AffineMap::get(loops, 0, {y, xo, ko}, ctx);
    SmallVector<utils::IteratorType> iterators(3,
                                               utils::IteratorType::parallel);
    iterators.append(loops - 3, utils::IteratorType::reduction);
    int64_t inZero = op.getInZero();
    Value acc =
        linalg::GenericOp::create(
            b, loc, TypeRange{accType}, ValueRange{x, adaptor.getWeights()},
            ValueRange{init}, ArrayRef<AffineMap>{inMap, wMap, outMap},
            iterators,
            [&](OpBuilder &nb, Location l, ValueRange args) {
              Value in =
                  arith::ExtSIOp::create(nb, l, nb.getI32Type(), args[0]);
              in = arith::SubIOp::create(
                  nb, l, in,
                  arith::ConstantIntOp::create(nb, l, nb.getI32Type(), inZero));
              Value w = arith::ExtSIOp::create(nb, l, nb.getI32Type(), args[1]);
              // Wrapping i32 arithmetic, as the NNA's accumulators.
              Value sum = arith::AddIOp::create(
                  nb, l, args[2], arith::MulIOp::create(nb, l, in, w));
              linalg::YieldOp::create(nb, l, sum);
            })
            .getResult(0);
    // The SDP stages, elementwise over (y, x, k).
    Value mult = paramColumn(b, loc, adaptor.getParams(), 1);
    Value shift = paramColumn(b, loc, adaptor.getParams(), 2);
    SmallVector<Value> inputs = {acc, mult, shift};
    AffineMap id = AffineMap::getMultiDimIdentityMap(3, ctx);
    AffineMap perK = AffineMap::get(3, 0, {getAffineDimExpr(2, ctx)}, ctx);
    SmallVector<AffineMap> maps = {id, perK, perK};
    if (adaptor.getAddend()) {
      inputs.push_back(adaptor.getAddend());
      maps.push_back(id);
    }
    maps.push_back(id);
    int64_t outZero = op.getOutZero(), lo1 = op.getClamp()[0],
            hi1 = op.getClamp()[1];
    nna::RequantAttr add = op.getAddAttr();
    Value result =
        linalg::GenericOp::create(
            b, loc, TypeRange{outType}, inputs,
            ValueRange{emptyTensor(b, loc, outType)}, maps,
            SmallVector<utils::IteratorType>(3, utils::IteratorType::parallel),
            [&](OpBuilder &nb, Location l, ValueRange args) {
              Value t = arith::AddIOp::create(nb, l,
                                              mulq(nb, l, toI64(nb, l, args[0]),
                                                   toI64(nb, l, args[1]),
                                                   toI64(nb, l, args[2])),
                                              i64c(nb, l, outZero));
              t = clampI64(nb, l, t, lo1, hi1);
              if (add)
                t = quantAdd(nb, l, t, toI64(nb, l, args[3]), add);
              linalg::YieldOp::create(nb, l, toI8(nb, l, t));
            })
            .getResult(0);
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct AddPattern : OpConversionPattern<nna::AddOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(nna::AddOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    nna::RequantAttr q = op.getAdd();
    rewriter.replaceOp(
        op, elementwise(rewriter, op.getLoc(), op.getResult().getType(),
                        {adaptor.getLhs(), adaptor.getRhs()},
                        [&](OpBuilder &nb, Location l, ValueRange args) {
                          return toI8(nb, l,
                                      quantAdd(nb, l, toI64(nb, l, args[0]),
                                               toI64(nb, l, args[1]), q));
                        }));
    return success();
  }
};

struct PoolPattern : OpConversionPattern<nna::PoolOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(nna::PoolOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    OpBuilder &b = rewriter;
    MLIRContext *ctx = b.getContext();
    auto inType = op.getInput().getType();
    auto outType = op.getResult().getType();
    int64_t h = inType.getDimSize(0), w = inType.getDimSize(1);
    int64_t oh = outType.getDimSize(0), ow = outType.getDimSize(1),
            c = outType.getDimSize(2);
    int64_t kh = op.getKernel()[0], kw = op.getKernel()[1],
            sh = op.getStrides()[0], sw = op.getStrides()[1];
    ArrayRef<int64_t> pads = op.getPads();
    bool max = op.getMode() == "max";
    bool includePad = op.getCountIncludePad();
    int64_t inZero = op.getInZero();
    // Max: padding never wins (-128 at most ties a real element). Average:
    // padded taps add in_zero when they count, else nothing.
    int64_t padValue = max ? -128 : (includePad ? inZero : 0);
    Value x = padHWC(b, loc, adaptor.getInput(), pads, padValue);
    AffineExpr y = getAffineDimExpr(0, ctx), xo = getAffineDimExpr(1, ctx),
               ch = getAffineDimExpr(2, ctx), ky = getAffineDimExpr(3, ctx),
               kx = getAffineDimExpr(4, ctx);
    auto accType = RankedTensorType::get({oh, ow, c}, b.getI32Type());
    Value init = filled(b, loc, accType, max ? -128.0 : 0.0);
    // The window operand only gives the (ky, kx) loops their extents, as
    // upstream's pooling ops do.
    Value window =
        emptyTensor(b, loc, RankedTensorType::get({kh, kw}, b.getI8Type()));
    Value acc =
        linalg::GenericOp::create(
            b, loc, TypeRange{accType}, ValueRange{x, window}, ValueRange{init},
            ArrayRef<AffineMap>{
                AffineMap::get(5, 0, {y * sh + ky, xo * sw + kx, ch}, ctx),
                AffineMap::get(5, 0, {ky, kx}, ctx),
                AffineMap::get(5, 0, {y, xo, ch}, ctx)},
            ArrayRef<utils::IteratorType>{
                utils::IteratorType::parallel, utils::IteratorType::parallel,
                utils::IteratorType::parallel, utils::IteratorType::reduction,
                utils::IteratorType::reduction},
            [&](OpBuilder &nb, Location l, ValueRange args) {
              Value v = arith::ExtSIOp::create(nb, l, nb.getI32Type(), args[0]);
              Value r =
                  max ? arith::MaxSIOp::create(nb, l, v, args[2]).getResult()
                      : arith::AddIOp::create(nb, l, v, args[2]).getResult();
              linalg::YieldOp::create(nb, l, r);
            })
            .getResult(0);
    Value result;
    if (max) {
      result = elementwise(b, loc, outType, {acc},
                           [](OpBuilder &nb, Location l, ValueRange args) {
                             return toI8(nb, l, args[0]);
                           });
    } else {
      // Taps per window: every tap with count_include_pad, else those in
      // the input; a constant of the output's HxW.
      SmallVector<int32_t> counts(oh * ow);
      for (int64_t i = 0; i < oh; ++i)
        for (int64_t j = 0; j < ow; ++j) {
          int64_t y0 = i * sh - pads[0], x0 = j * sw - pads[1];
          int64_t rows = std::min(y0 + kh, h) - std::max<int64_t>(y0, 0);
          int64_t cols = std::min(x0 + kw, w) - std::max<int64_t>(x0, 0);
          counts[i * ow + j] = includePad ? kh * kw : rows * cols;
        }
      auto countType = RankedTensorType::get({oh, ow}, b.getI32Type());
      Value n = arith::ConstantOp::create(
          b, loc, countType,
          DenseElementsAttr::get(countType, ArrayRef<int32_t>(counts)));
      result =
          linalg::GenericOp::create(
              b, loc, TypeRange{outType}, ValueRange{acc, n},
              ValueRange{emptyTensor(b, loc, outType)},
              ArrayRef<AffineMap>{AffineMap::getMultiDimIdentityMap(3, ctx),
                                  AffineMap::get(3, 0, {y, xo}, ctx),
                                  AffineMap::getMultiDimIdentityMap(3, ctx)},
              SmallVector<utils::IteratorType>(3,
                                               utils::IteratorType::parallel),
              [&](OpBuilder &nb, Location l, ValueRange args) {
                // s >= 0 ? (s + n/2) / n : (s - n/2) / n, C division.
                Value s = args[0], cnt = args[1];
                Value half = arith::DivSIOp::create(
                    nb, l, cnt,
                    arith::ConstantIntOp::create(nb, l, nb.getI32Type(), 2));
                Value nonNeg = arith::CmpIOp::create(
                    nb, l, arith::CmpIPredicate::sge, s,
                    arith::ConstantIntOp::create(nb, l, nb.getI32Type(), 0));
                Value num = arith::SelectOp::create(
                    nb, l, nonNeg, arith::AddIOp::create(nb, l, s, half),
                    arith::SubIOp::create(nb, l, s, half));
                Value q = arith::DivSIOp::create(nb, l, num, cnt);
                linalg::YieldOp::create(nb, l, toI8(nb, l, q));
              })
              .getResult(0);
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void populateNNAToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<ConvPattern, AddPattern, PoolPattern>(patterns.getContext());
}

} // namespace kiln::cpu
