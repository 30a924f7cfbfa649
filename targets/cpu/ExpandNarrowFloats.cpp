//===- ExpandNarrowFloats.cpp - f16/bf16 conversions on the bits ----------===//
#include "targets/cpu/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace kiln::cpu {
#define GEN_PASS_DEF_EXPANDNARROWFLOATSPASS
#include "targets/cpu/Passes.h.inc"
} // namespace kiln::cpu

using namespace mlir;

namespace {

/// The layout of an IEEE binary float type: exponent and stored mantissa
/// bits, and the exponent bias.
struct Layout {
  unsigned width, expBits, mantBits;
  int64_t bias() const { return (int64_t(1) << (expBits - 1)) - 1; }
  uint64_t infBits() const {
    return ((uint64_t(1) << expBits) - 1) << mantBits;
  }
};

Layout layoutOf(FloatType t) {
  unsigned mant = t.getFPMantissaWidth() - 1; // without the implicit bit
  return {t.getWidth(), t.getWidth() - 1 - mant, mant};
}

bool isNarrow(Type t) {
  Type et = getElementTypeOrSelf(t);
  return et.isF16() || et.isBF16();
}

/// `t` with element type `et` (a scalar, or a vector/tensor of the shape).
Type withElement(Type t, Type et) {
  if (auto shaped = dyn_cast<ShapedType>(t))
    return shaped.clone(et);
  return et;
}

Value intConst(OpBuilder &b, Location loc, Type t, uint64_t v) {
  auto et = cast<IntegerType>(getElementTypeOrSelf(t));
  TypedAttr a = b.getIntegerAttr(
      et, APInt(et.getWidth(), v, /*isSigned=*/false, /*implicitTrunc=*/true));
  if (auto shaped = dyn_cast<ShapedType>(t))
    a = DenseElementsAttr::get(shaped, a);
  return arith::ConstantOp::create(b, loc, a);
}

Value floatConst(OpBuilder &b, Location loc, Type t, double v) {
  TypedAttr a = b.getFloatAttr(getElementTypeOrSelf(t), v);
  if (auto shaped = dyn_cast<ShapedType>(t))
    a = DenseElementsAttr::get(shaped, a);
  return arith::ConstantOp::create(b, loc, a);
}

/// f16/bf16 -> f32 is exact: rebias the exponent of normal numbers, keep
/// inf/NaN, and scale subnormals (mantissa * 2^(1-bias-mant), exact in f32).
Value extendToF32(OpBuilder &b, Location loc, Value x) {
  Layout s = layoutOf(cast<FloatType>(getElementTypeOrSelf(x.getType())));
  Type t = x.getType();
  Type i16 = withElement(t, b.getI16Type()),
       i32 = withElement(t, b.getI32Type()),
       f32 = withElement(t, b.getF32Type());
  auto c = [&](uint64_t v) { return intConst(b, loc, i32, v); };
  Value u = arith::ExtUIOp::create(b, loc, i32,
                                   arith::BitcastOp::create(b, loc, i16, x));
  Value sign = arith::ShLIOp::create(
      b, loc, arith::AndIOp::create(b, loc, u, c(0x8000)), c(16));
  Value exp = arith::AndIOp::create(
      b, loc, arith::ShRUIOp::create(b, loc, u, c(s.mantBits)),
      c((1u << s.expBits) - 1));
  Value mant = arith::AndIOp::create(b, loc, u, c((1u << s.mantBits) - 1));
  Value mantHigh = arith::ShLIOp::create(b, loc, mant, c(23 - s.mantBits));
  Value normal = arith::OrIOp::create(
      b, loc,
      arith::ShLIOp::create(
          b, loc, arith::AddIOp::create(b, loc, exp, c(127 - s.bias())), c(23)),
      mantHigh);
  Value special = arith::OrIOp::create(b, loc, c(0x7f800000), mantHigh);
  Value subnormal = arith::BitcastOp::create(
      b, loc, i32,
      arith::MulFOp::create(
          b, loc, arith::UIToFPOp::create(b, loc, f32, mant),
          floatConst(b, loc, f32,
                     std::ldexp(1.0, 1 - int(s.bias()) - int(s.mantBits)))));
  auto eq = [&](Value v, uint64_t k) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, v, c(k));
  };
  Value bits = arith::SelectOp::create(
      b, loc, eq(exp, 0), subnormal,
      arith::SelectOp::create(b, loc, eq(exp, (1u << s.expBits) - 1), special,
                              normal));
  return arith::BitcastOp::create(b, loc, f32,
                                  arith::OrIOp::create(b, loc, bits, sign));
}

/// f32/f64 -> f16/bf16, rounding to nearest even. On the magnitude bits:
/// values that round to a normal number add the rounding bias (half an
/// ulp, less one, plus the kept lsb for ties to even) and shift; values
/// below the smallest normal are rounded by the FPU itself, adding a power
/// of two whose ulp is the smallest subnormal; inf stays inf, NaN becomes a
/// quiet NaN, and the rest overflows to inf through the normal path.
Value truncateFrom(OpBuilder &b, Location loc, Value x, FloatType target) {
  Type t = x.getType();
  auto srcType = cast<FloatType>(getElementTypeOrSelf(t));
  Layout s = layoutOf(srcType), d = layoutOf(target);
  Type it = withElement(t, b.getIntegerType(s.width)),
       i16 = withElement(t, b.getI16Type());
  auto c = [&](uint64_t v) { return intConst(b, loc, it, v); };
  auto biased = [&](int64_t exp) { return uint64_t(exp) << s.mantBits; };
  Value u = arith::BitcastOp::create(b, loc, it, x);
  uint64_t signBit = uint64_t(1) << (s.width - 1);
  Value sign = arith::AndIOp::create(b, loc, u, c(signBit));
  Value mag = arith::XOrIOp::create(b, loc, u, sign);

  unsigned shift = s.mantBits - d.mantBits;
  Value odd = arith::AndIOp::create(
      b, loc, arith::ShRUIOp::create(b, loc, mag, c(shift)), c(1));
  Value rebiased = arith::AddIOp::create(
      b, loc, mag,
      c(biased(d.bias() - s.bias()) + (uint64_t(1) << (shift - 1)) - 1));
  Value normal = arith::ShRUIOp::create(
      b, loc, arith::AddIOp::create(b, loc, rebiased, odd), c(shift));

  uint64_t magic = biased(s.bias() + 1 - d.bias() - d.mantBits + s.mantBits);
  Value sum =
      arith::AddFOp::create(b, loc, arith::BitcastOp::create(b, loc, t, mag),
                            arith::BitcastOp::create(b, loc, t, c(magic)));
  Value subnormal = arith::SubIOp::create(
      b, loc, arith::BitcastOp::create(b, loc, it, sum), c(magic));

  Value nan = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt, mag,
                                    c(s.infBits()));
  Value special = arith::SelectOp::create(
      b, loc, nan, c(d.infBits() | (uint64_t(1) << (d.mantBits - 1))),
      c(d.infBits()));
  auto below = [&](int64_t exp) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, mag,
                                 c(biased(exp)));
  };
  // 2^(bias+1) overflows; beyond the source's range it is just inf.
  int64_t overflowExp =
      std::min<int64_t>(s.bias() + d.bias() + 1, (int64_t(1) << s.expBits) - 1);
  Value bits = arith::SelectOp::create(
      b, loc, below(overflowExp),
      arith::SelectOp::create(b, loc, below(s.bias() + 1 - d.bias()), subnormal,
                              normal),
      special);
  bits = arith::OrIOp::create(
      b, loc, bits, arith::ShRUIOp::create(b, loc, sign, c(s.width - 16)));
  return arith::BitcastOp::create(b, loc, withElement(t, target),
                                  arith::TruncIOp::create(b, loc, i16, bits));
}

struct ExpandExtF : OpRewritePattern<arith::ExtFOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(arith::ExtFOp op,
                                PatternRewriter &rewriter) const override {
    if (!isNarrow(op.getIn().getType()))
      return failure();
    Value r = extendToF32(rewriter, op.getLoc(), op.getIn());
    if (r.getType() != op.getType()) // f32 -> f64 is exact
      r = arith::ExtFOp::create(rewriter, op.getLoc(), op.getType(), r);
    rewriter.replaceOp(op, r);
    return success();
  }
};

struct ExpandTruncF : OpRewritePattern<arith::TruncFOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(arith::TruncFOp op,
                                PatternRewriter &rewriter) const override {
    Type src = getElementTypeOrSelf(op.getIn().getType());
    if (!isNarrow(op.getType()) || !(src.isF32() || src.isF64()) ||
        op.getRoundingmodeAttr())
      return failure();
    rewriter.replaceOp(
        op, truncateFrom(rewriter, op.getLoc(), op.getIn(),
                         cast<FloatType>(getElementTypeOrSelf(op.getType()))));
    return success();
  }
};

struct ExpandNarrowFloats
    : kiln::cpu::impl::ExpandNarrowFloatsPassBase<ExpandNarrowFloats> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ExpandExtF, ExpandTruncF>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
