//===- NNToLinalgElementwise.cpp - nn -> linalg: elementwise ops ---------===//
#include "targets/cpu/NNToLinalgPatterns.h"

#include "llvm/ADT/TypeSwitch.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace kiln;

namespace kiln::cpu {
namespace {

/// Unary and binary elementwise ops share one shape: a body per element.
template <typename Op> struct ElementwiseLowering : NNPattern<Op> {
  using NNPattern<Op>::NNPattern;
  using Adaptor = typename Op::Adaptor;
  LogicalResult
  matchAndRewrite(Op op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Type et = this->resultType(op).getElementType();
    Value r = elementwise(rewriter, op.getLoc(), this->resultType(op),
                          adaptor.getOperands(),
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
  v = arith::AddFOp::create(b, loc, v,
                            scalar(b, loc, et, op.getBeta().convertToDouble()));
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

//===----------------------------------------------------------------------===//
// Unary math. Rounding is done in arith (through an integer conversion) so
// that no libm call is left: x86-64 without SSE4.1 has no rounding
// instruction, and the model object must not need libm.
//===----------------------------------------------------------------------===//

/// Integer type as wide as the float type `et`.
static IntegerType intLike(OpBuilder &b, Type et) {
  return b.getIntegerType(et.getIntOrFloatBitWidth());
}

/// 2^mantissa bits: every float at least this large is an integer.
static Value integralBound(OpBuilder &b, Location loc, Type et) {
  return scalar(b, loc, et,
                std::ldexp(1.0, cast<FloatType>(et).getFPMantissaWidth() - 1));
}

/// x rounded toward zero. Large, infinite and NaN x are returned as they are.
static Value truncF(OpBuilder &b, Location loc, Type et, Value x) {
  Value small = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT,
                                      math::AbsFOp::create(b, loc, x),
                                      integralBound(b, loc, et));
  Value i = arith::FPToSIOp::create(b, loc, intLike(b, et), x);
  Value t = arith::SIToFPOp::create(b, loc, et, i);
  // Keep the sign of zero: trunc(-0.5) is -0.
  t = math::CopySignOp::create(b, loc, t, x);
  return arith::SelectOp::create(b, loc, small, t, x);
}

static Value floorF(OpBuilder &b, Location loc, Type et, Value x) {
  Value t = truncF(b, loc, et, x);
  Value above = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, t, x);
  Value down = arith::SubFOp::create(b, loc, t, scalar(b, loc, et, 1));
  return arith::SelectOp::create(b, loc, above, down, t);
}

static Value ceilF(OpBuilder &b, Location loc, Type et, Value x) {
  Value t = truncF(b, loc, et, x);
  Value below = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, t, x);
  Value up = arith::AddFOp::create(b, loc, t, scalar(b, loc, et, 1));
  up = math::CopySignOp::create(b, loc, up, x);
  return arith::SelectOp::create(b, loc, below, up, t);
}

/// Round half to even (ONNX Round).
static Value roundEvenF(OpBuilder &b, Location loc, Type et, Value x) {
  Value t = truncF(b, loc, et, x);
  // x - t is exact; its magnitude decides, a tie goes to the even neighbour.
  Value frac =
      math::AbsFOp::create(b, loc, arith::SubFOp::create(b, loc, x, t));
  Value half = scalar(b, loc, et, 0.5);
  Value away = math::CopySignOp::create(
      b, loc,
      arith::AddFOp::create(b, loc, math::AbsFOp::create(b, loc, t),
                            scalar(b, loc, et, 1)),
      x);
  Value more =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, frac, half);
  Value tie =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, frac, half);
  IntegerType it = intLike(b, et);
  Value odd = arith::TruncIOp::create(b, loc, b.getI1Type(),
                                      arith::FPToSIOp::create(b, loc, it, t));
  Value up = arith::OrIOp::create(b, loc, more,
                                  arith::AndIOp::create(b, loc, tie, odd));
  return arith::SelectOp::create(b, loc, up, away, t);
}

/// exp(x) - 1 as used by the ELU family.
static Value expm1(OpBuilder &b, Location loc, Type et, Value x) {
  return arith::SubFOp::create(b, loc, math::ExpOp::create(b, loc, x),
                               scalar(b, loc, et, 1));
}

static Value negative(OpBuilder &b, Location loc, Type et, Value x) {
  return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x,
                               scalar(b, loc, et, 0));
}

#define KILN_UNARY_BODY(OP, EXPR)                                              \
  template <>                                                                  \
  Value ElementwiseLowering<nn::OP>::body(                                     \
      nn::OP op, OpBuilder &b, Location loc, Type et, ValueRange a) {          \
    (void)op;                                                                  \
    Value x = a[0];                                                            \
    return EXPR;                                                               \
  }
KILN_UNARY_BODY(AbsOp, math::AbsFOp::create(b, loc, x))
KILN_UNARY_BODY(NegOp, arith::NegFOp::create(b, loc, x))
KILN_UNARY_BODY(CeilOp, ceilF(b, loc, et, x))
KILN_UNARY_BODY(FloorOp, floorF(b, loc, et, x))
KILN_UNARY_BODY(RoundOp, roundEvenF(b, loc, et, x))
KILN_UNARY_BODY(ExpOp, math::ExpOp::create(b, loc, x))
KILN_UNARY_BODY(LogOp, math::LogOp::create(b, loc, x))
KILN_UNARY_BODY(SqrtOp, math::SqrtOp::create(b, loc, x))
KILN_UNARY_BODY(ReciprocalOp,
                arith::DivFOp::create(b, loc, scalar(b, loc, et, 1), x))
KILN_UNARY_BODY(ErfOp, math::ErfOp::create(b, loc, x))
KILN_UNARY_BODY(TanhOp, math::TanhOp::create(b, loc, x))
KILN_UNARY_BODY(SinOp, math::SinOp::create(b, loc, x))
KILN_UNARY_BODY(CosOp, math::CosOp::create(b, loc, x))
KILN_UNARY_BODY(TanOp, math::TanOp::create(b, loc, x))
KILN_UNARY_BODY(AsinOp, math::AsinOp::create(b, loc, x))
KILN_UNARY_BODY(AcosOp, math::AcosOp::create(b, loc, x))
KILN_UNARY_BODY(AtanOp, math::AtanOp::create(b, loc, x))
KILN_UNARY_BODY(SinhOp, math::SinhOp::create(b, loc, x))
KILN_UNARY_BODY(CoshOp, math::CoshOp::create(b, loc, x))
KILN_UNARY_BODY(AsinhOp, math::AsinhOp::create(b, loc, x))
KILN_UNARY_BODY(AcoshOp, math::AcoshOp::create(b, loc, x))
KILN_UNARY_BODY(AtanhOp, math::AtanhOp::create(b, loc, x))
#undef KILN_UNARY_BODY

template <>
Value ElementwiseLowering<nn::SignOp>::body(nn::SignOp, OpBuilder &b,
                                            Location loc, Type et,
                                            ValueRange a) {
  Value zero = scalar(b, loc, et, 0);
  Value pos =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, a[0], zero);
  Value r = arith::SelectOp::create(b, loc, pos, scalar(b, loc, et, 1), zero);
  r = arith::SelectOp::create(b, loc, negative(b, loc, et, a[0]),
                              scalar(b, loc, et, -1), r);
  // NaN stays NaN (numpy); it compares neither above nor below 0.
  Value nan =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, a[0], a[0]);
  return arith::SelectOp::create(b, loc, nan, a[0], r);
}
template <>
Value ElementwiseLowering<nn::SoftplusOp>::body(nn::SoftplusOp, OpBuilder &b,
                                                Location loc, Type et,
                                                ValueRange a) {
  // max(x, 0) + log1p(exp(-|x|)): no overflow for large |x|.
  Value x = a[0];
  Value e = math::ExpOp::create(
      b, loc, arith::NegFOp::create(b, loc, math::AbsFOp::create(b, loc, x)));
  return arith::AddFOp::create(
      b, loc, arith::MaximumFOp::create(b, loc, x, scalar(b, loc, et, 0)),
      math::Log1pOp::create(b, loc, e));
}
template <>
Value ElementwiseLowering<nn::SoftsignOp>::body(nn::SoftsignOp, OpBuilder &b,
                                                Location loc, Type et,
                                                ValueRange a) {
  Value den = arith::AddFOp::create(b, loc, scalar(b, loc, et, 1),
                                    math::AbsFOp::create(b, loc, a[0]));
  return arith::DivFOp::create(b, loc, a[0], den);
}
template <>
Value ElementwiseLowering<nn::EluOp>::body(nn::EluOp op, OpBuilder &b,
                                           Location loc, Type et,
                                           ValueRange a) {
  Value neg = arith::MulFOp::create(
      b, loc, scalar(b, loc, et, op.getAlpha().convertToDouble()),
      expm1(b, loc, et, a[0]));
  return arith::SelectOp::create(b, loc, negative(b, loc, et, a[0]), neg, a[0]);
}
template <>
Value ElementwiseLowering<nn::CeluOp>::body(nn::CeluOp op, OpBuilder &b,
                                            Location loc, Type et,
                                            ValueRange a) {
  Value alpha = scalar(b, loc, et, op.getAlpha().convertToDouble());
  Value zero = scalar(b, loc, et, 0);
  Value neg = arith::MulFOp::create(
      b, loc, alpha,
      expm1(b, loc, et, arith::DivFOp::create(b, loc, a[0], alpha)));
  return arith::AddFOp::create(b, loc,
                               arith::MaximumFOp::create(b, loc, a[0], zero),
                               arith::MinimumFOp::create(b, loc, neg, zero));
}
template <>
Value ElementwiseLowering<nn::SeluOp>::body(nn::SeluOp op, OpBuilder &b,
                                            Location loc, Type et,
                                            ValueRange a) {
  Value neg = arith::MulFOp::create(
      b, loc, scalar(b, loc, et, op.getAlpha().convertToDouble()),
      expm1(b, loc, et, a[0]));
  Value pos = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, a[0],
                                    scalar(b, loc, et, 0));
  Value v = arith::SelectOp::create(b, loc, pos, a[0], neg);
  return arith::MulFOp::create(
      b, loc, scalar(b, loc, et, op.getGamma().convertToDouble()), v);
}
template <>
Value ElementwiseLowering<nn::ThresholdedReluOp>::body(nn::ThresholdedReluOp op,
                                                       OpBuilder &b,
                                                       Location loc, Type et,
                                                       ValueRange a) {
  Value above = arith::CmpFOp::create(
      b, loc, arith::CmpFPredicate::OGT, a[0],
      scalar(b, loc, et, op.getAlpha().convertToDouble()));
  return arith::SelectOp::create(b, loc, above, a[0], scalar(b, loc, et, 0));
}
template <>
Value ElementwiseLowering<nn::ShrinkOp>::body(nn::ShrinkOp op, OpBuilder &b,
                                              Location loc, Type et,
                                              ValueRange a) {
  double lambd = op.getLambd().convertToDouble();
  Value bias = scalar(b, loc, et, op.getBias().convertToDouble());
  Value low = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, a[0],
                                    scalar(b, loc, et, -lambd));
  Value high = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, a[0],
                                     scalar(b, loc, et, lambd));
  Value r = arith::SelectOp::create(b, loc, high,
                                    arith::SubFOp::create(b, loc, a[0], bias),
                                    scalar(b, loc, et, 0));
  return arith::SelectOp::create(b, loc, low,
                                 arith::AddFOp::create(b, loc, a[0], bias), r);
}
template <>
Value ElementwiseLowering<nn::IsNaNOp>::body(nn::IsNaNOp, OpBuilder &b,
                                             Location loc, Type, ValueRange a) {
  return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, a[0], a[0]);
}
template <>
Value ElementwiseLowering<nn::IsInfOp>::body(nn::IsInfOp op, OpBuilder &b,
                                             Location loc, Type, ValueRange a) {
  Type ft = a[0].getType();
  double inf = std::numeric_limits<double>::infinity();
  Value r = scalar(b, loc, b.getI1Type(), 0);
  if (op.getDetectPositive())
    r = arith::OrIOp::create(
        b, loc, r,
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, a[0],
                              scalar(b, loc, ft, inf)));
  if (op.getDetectNegative())
    r = arith::OrIOp::create(
        b, loc, r,
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, a[0],
                              scalar(b, loc, ft, -inf)));
  return r;
}

//===----------------------------------------------------------------------===//
// Binary, comparisons, logic, Where
//===----------------------------------------------------------------------===//

template <>
Value ElementwiseLowering<nn::MaxOp>::body(nn::MaxOp op, OpBuilder &b,
                                           Location loc, Type et,
                                           ValueRange a) {
  if (op.getIsUnsigned())
    return arith::MaxUIOp::create(b, loc, a[0], a[1]);
  return binary<arith::MaximumFOp, arith::MaxSIOp>(b, loc, et, a);
}
template <>
Value ElementwiseLowering<nn::MinOp>::body(nn::MinOp op, OpBuilder &b,
                                           Location loc, Type et,
                                           ValueRange a) {
  if (op.getIsUnsigned())
    return arith::MinUIOp::create(b, loc, a[0], a[1]);
  return binary<arith::MinimumFOp, arith::MinSIOp>(b, loc, et, a);
}
/// x^y for floats: exp(y * log|x|); a negative base needs an integral
/// exponent and is negative for odd ones.
static Value powF(OpBuilder &b, Location loc, Type et, Value x, Value y) {
  Value zero = scalar(b, loc, et, 0), one = scalar(b, loc, et, 1);
  Value mag = math::ExpOp::create(
      b, loc,
      arith::MulFOp::create(
          b, loc, y,
          math::LogOp::create(b, loc, math::AbsFOp::create(b, loc, x))));
  Value integral = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                         truncF(b, loc, et, y), y);
  // Odd: y/2 is not integral (exact, unlike a conversion of a huge y).
  Value halfY = arith::MulFOp::create(b, loc, y, scalar(b, loc, et, 0.5));
  Value odd = arith::AndIOp::create(
      b, loc, integral,
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::ONE,
                            truncF(b, loc, et, halfY), halfY));
  Value negResult = arith::SelectOp::create(
      b, loc, odd, arith::NegFOp::create(b, loc, mag), mag);
  negResult = arith::SelectOp::create(
      b, loc, integral, negResult,
      scalar(b, loc, et, std::numeric_limits<double>::quiet_NaN()));
  Value r =
      arith::SelectOp::create(b, loc, negative(b, loc, et, x), negResult, mag);
  // x^0 and 1^y are 1 for every x and y, NaN included (as C's pow).
  Value trivial = arith::OrIOp::create(
      b, loc, arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, y, zero),
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, x, one));
  return arith::SelectOp::create(b, loc, trivial, one, r);
}

/// x^e for integer x: square and multiply over every bit of integer e, in
/// e's own width so that no exponent bit is lost (wrapping like integer
/// multiplication). A negative e (never when `unsignedE`) gives
/// trunc(1 / x^-e): 1 for x = 1, +-1 for x = -1, 0 otherwise.
static Value powI(OpBuilder &b, Location loc, Type it, Value x, Value e,
                  bool unsignedE) {
  Type et = e.getType();
  unsigned width = et.getIntOrFloatBitWidth();
  Value zero = scalar(b, loc, it, 0), one = scalar(b, loc, it, 1);
  Value r = one, base = x, bits = e;
  for (unsigned i = 0; i < width; ++i) {
    Value bit = arith::TruncIOp::create(b, loc, b.getI1Type(), bits);
    r = arith::SelectOp::create(b, loc, bit,
                                arith::MulIOp::create(b, loc, r, base), r);
    if (i + 1 == width)
      break;
    base = arith::MulIOp::create(b, loc, base, base);
    bits = arith::ShRUIOp::create(b, loc, bits, scalar(b, loc, et, 1));
  }
  if (unsignedE)
    return r;
  Value eOdd = arith::TruncIOp::create(b, loc, b.getI1Type(), e);
  Value minusOne = scalar(b, loc, it, -1);
  Value ofMinusOne = arith::SelectOp::create(b, loc, eOdd, minusOne, one);
  Value inv = arith::SelectOp::create(
      b, loc,
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, x, minusOne),
      ofMinusOne, zero);
  inv = arith::SelectOp::create(
      b, loc, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, x, one),
      one, inv);
  Value eNeg = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, e,
                                     scalar(b, loc, et, 0));
  return arith::SelectOp::create(b, loc, eNeg, inv, r);
}

template <>
Value ElementwiseLowering<nn::PowOp>::body(nn::PowOp op, OpBuilder &b,
                                           Location loc, Type et,
                                           ValueRange a) {
  Value x = a[0], y = a[1];
  Type yt = y.getType();
  bool unsignedY = op.getUnsignedExponent();
  if (isa<FloatType>(et)) {
    if (!isa<FloatType>(yt))
      y = unsignedY ? arith::UIToFPOp::create(b, loc, et, y).getResult()
                    : arith::SIToFPOp::create(b, loc, et, y).getResult();
    return powF(b, loc, et, x, y);
  }
  if (!isa<FloatType>(yt))
    return powI(b, loc, et, x, y, unsignedY);
  // Integer base, float exponent: exact when the exponent is an integer that
  // fits, else the float power truncated.
  Value integral = arith::AndIOp::create(
      b, loc,
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                            truncF(b, loc, yt, y), y),
      arith::CmpFOp::create(
          b, loc, arith::CmpFPredicate::OLT, math::AbsFOp::create(b, loc, y),
          scalar(b, loc, yt, std::ldexp(1.0, et.getIntOrFloatBitWidth() - 1))));
  Value exact = powI(b, loc, et, x, arith::FPToSIOp::create(b, loc, et, y),
                     /*unsignedE=*/false);
  Value viaFloat = powF(b, loc, yt, arith::SIToFPOp::create(b, loc, yt, x), y);
  // fptosi of an out-of-range value is poison: clamp into range first.
  double limit = std::ldexp(1.0, et.getIntOrFloatBitWidth() - 1);
  viaFloat =
      arith::MaximumFOp::create(b, loc, viaFloat, scalar(b, loc, yt, -limit));
  viaFloat = arith::MinimumFOp::create(
      b, loc, viaFloat, scalar(b, loc, yt, std::nextafter(limit, 0.0)));
  Value approx = arith::FPToSIOp::create(b, loc, et, viaFloat);
  return arith::SelectOp::create(b, loc, integral, exact, approx);
}
template <>
Value ElementwiseLowering<nn::ModOp>::body(nn::ModOp op, OpBuilder &b,
                                           Location loc, Type et,
                                           ValueRange a) {
  Value x = a[0], y = a[1];
  Value zero = scalar(b, loc, et, 0), one = scalar(b, loc, et, 1);
  // x % 0 is 0 (numpy); x % -1 is 0 too, and avoids INT_MIN % -1 trapping.
  Value trivial = arith::OrIOp::create(
      b, loc, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, y, zero),
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, y,
                            scalar(b, loc, et, -1)));
  Value divisor = arith::SelectOp::create(b, loc, trivial, one, y);
  Value r = arith::RemSIOp::create(b, loc, x, divisor);
  if (op.getFmod())
    return r;
  // Python's %: a non-zero remainder takes the divisor's sign.
  Value rNeg =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, r, zero);
  Value yNeg =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, y, zero);
  Value fix = arith::AndIOp::create(
      b, loc, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, r, zero),
      arith::XOrIOp::create(b, loc, rNeg, yNeg));
  return arith::SelectOp::create(b, loc, fix,
                                 arith::AddIOp::create(b, loc, r, y), r);
}
template <>
Value ElementwiseLowering<nn::PReluOp>::body(nn::PReluOp, OpBuilder &b,
                                             Location loc, Type et,
                                             ValueRange a) {
  Value scaled = arith::MulFOp::create(b, loc, a[0], a[1]);
  return arith::SelectOp::create(b, loc, negative(b, loc, et, a[0]), scaled,
                                 a[0]);
}

static Value compare(OpBuilder &b, Location loc, arith::CmpFPredicate fp,
                     arith::CmpIPredicate ip, ValueRange a) {
  if (isa<FloatType>(a[0].getType()))
    return arith::CmpFOp::create(b, loc, fp, a[0], a[1]);
  return arith::CmpIOp::create(b, loc, ip, a[0], a[1]);
}
#define KILN_COMPARE_BODY(OP, FP, IP)                                          \
  template <>                                                                  \
  Value ElementwiseLowering<nn::OP>::body(nn::OP, OpBuilder &b, Location loc,  \
                                          Type, ValueRange a) {                \
    return compare(b, loc, arith::CmpFPredicate::FP, arith::CmpIPredicate::IP, \
                   a);                                                         \
  }
KILN_COMPARE_BODY(EqualOp, OEQ, eq)
KILN_COMPARE_BODY(GreaterOp, OGT, sgt)
KILN_COMPARE_BODY(GreaterEqualOp, OGE, sge)
KILN_COMPARE_BODY(LessOp, OLT, slt)
KILN_COMPARE_BODY(LessEqualOp, OLE, sle)
#undef KILN_COMPARE_BODY

template <>
Value ElementwiseLowering<nn::AndOp>::body(nn::AndOp, OpBuilder &b,
                                           Location loc, Type, ValueRange a) {
  return arith::AndIOp::create(b, loc, a[0], a[1]);
}
template <>
Value ElementwiseLowering<nn::OrOp>::body(nn::OrOp, OpBuilder &b, Location loc,
                                          Type, ValueRange a) {
  return arith::OrIOp::create(b, loc, a[0], a[1]);
}
template <>
Value ElementwiseLowering<nn::XorOp>::body(nn::XorOp, OpBuilder &b,
                                           Location loc, Type, ValueRange a) {
  return arith::XOrIOp::create(b, loc, a[0], a[1]);
}
template <>
Value ElementwiseLowering<nn::NotOp>::body(nn::NotOp, OpBuilder &b,
                                           Location loc, Type et,
                                           ValueRange a) {
  return arith::XOrIOp::create(b, loc, a[0], scalar(b, loc, et, 1));
}
template <>
Value ElementwiseLowering<nn::WhereOp>::body(nn::WhereOp, OpBuilder &b,
                                             Location loc, Type, ValueRange a) {
  return arith::SelectOp::create(b, loc, a[0], a[1], a[2]);
}

} // namespace

Value fusibleElementwiseBody(Operation *op, OpBuilder &b, Location loc,
                             ValueRange args) {
  Type et = cast<RankedTensorType>(op->getResult(0).getType()).getElementType();
  return llvm::TypeSwitch<Operation *, Value>(op)
      .Case<nn::ReluOp, nn::SigmoidOp, nn::HardSwishOp, nn::ClipOp,
            nn::HardSigmoidOp, nn::LeakyReluOp, nn::AddOp, nn::SubOp, nn::MulOp,
            nn::DivOp, nn::MaxOp, nn::MinOp, nn::PReluOp, nn::AbsOp, nn::NegOp,
            nn::ExpOp, nn::LogOp, nn::SqrtOp, nn::ReciprocalOp, nn::TanhOp,
            nn::ErfOp, nn::SoftplusOp, nn::SoftsignOp, nn::EluOp, nn::SeluOp,
            nn::CeluOp>([&](auto typed) {
        return ElementwiseLowering<decltype(typed)>::body(typed, b, loc, et,
                                                          args);
      })
      .Default([](Operation *other) -> Value {
        // The nn.fused verifier admits only what nn::isFusibleElementwise
        // accepts, and that is the list above.
        llvm_unreachable("not a fusible elementwise op");
      });
}

void populateNNToLinalgElementwisePatterns(RewritePatternSet &patterns) {
  patterns
      .add<ElementwiseLowering<nn::ReluOp>, ElementwiseLowering<nn::SigmoidOp>,
           ElementwiseLowering<nn::HardSigmoidOp>,
           ElementwiseLowering<nn::HardSwishOp>,
           ElementwiseLowering<nn::LeakyReluOp>,
           ElementwiseLowering<nn::ClipOp>, ElementwiseLowering<nn::AddOp>,
           ElementwiseLowering<nn::SubOp>, ElementwiseLowering<nn::MulOp>,
           ElementwiseLowering<nn::DivOp>>(patterns.getContext());
  patterns.add<
      ElementwiseLowering<nn::AbsOp>, ElementwiseLowering<nn::NegOp>,
      ElementwiseLowering<nn::CeilOp>, ElementwiseLowering<nn::FloorOp>,
      ElementwiseLowering<nn::RoundOp>, ElementwiseLowering<nn::ExpOp>,
      ElementwiseLowering<nn::LogOp>, ElementwiseLowering<nn::SqrtOp>,
      ElementwiseLowering<nn::ReciprocalOp>, ElementwiseLowering<nn::ErfOp>,
      ElementwiseLowering<nn::TanhOp>, ElementwiseLowering<nn::SignOp>,
      ElementwiseLowering<nn::SoftplusOp>, ElementwiseLowering<nn::SoftsignOp>,
      ElementwiseLowering<nn::SinOp>, ElementwiseLowering<nn::CosOp>,
      ElementwiseLowering<nn::TanOp>, ElementwiseLowering<nn::AsinOp>,
      ElementwiseLowering<nn::AcosOp>, ElementwiseLowering<nn::AtanOp>,
      ElementwiseLowering<nn::SinhOp>, ElementwiseLowering<nn::CoshOp>,
      ElementwiseLowering<nn::AsinhOp>, ElementwiseLowering<nn::AcoshOp>,
      ElementwiseLowering<nn::AtanhOp>, ElementwiseLowering<nn::EluOp>,
      ElementwiseLowering<nn::CeluOp>, ElementwiseLowering<nn::SeluOp>,
      ElementwiseLowering<nn::ThresholdedReluOp>,
      ElementwiseLowering<nn::ShrinkOp>, ElementwiseLowering<nn::IsNaNOp>,
      ElementwiseLowering<nn::IsInfOp>, ElementwiseLowering<nn::MaxOp>,
      ElementwiseLowering<nn::MinOp>, ElementwiseLowering<nn::PowOp>,
      ElementwiseLowering<nn::ModOp>, ElementwiseLowering<nn::PReluOp>,
      ElementwiseLowering<nn::EqualOp>, ElementwiseLowering<nn::GreaterOp>,
      ElementwiseLowering<nn::GreaterEqualOp>, ElementwiseLowering<nn::LessOp>,
      ElementwiseLowering<nn::LessEqualOp>, ElementwiseLowering<nn::AndOp>,
      ElementwiseLowering<nn::OrOp>, ElementwiseLowering<nn::XorOp>,
      ElementwiseLowering<nn::NotOp>, ElementwiseLowering<nn::WhereOp>>(
      patterns.getContext());
}

} // namespace kiln::cpu
