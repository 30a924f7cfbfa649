//===- NNToLinalgElementwise.cpp - nn -> linalg: elementwise arithmetic and
//activations ---===//
#include "targets/cpu/NNToLinalgPatterns.h"

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

} // namespace

void populateNNToLinalgElementwisePatterns(RewritePatternSet &patterns) {
  patterns
      .add<ElementwiseLowering<nn::ReluOp>, ElementwiseLowering<nn::SigmoidOp>,
           ElementwiseLowering<nn::HardSigmoidOp>,
           ElementwiseLowering<nn::HardSwishOp>,
           ElementwiseLowering<nn::LeakyReluOp>,
           ElementwiseLowering<nn::ClipOp>, ElementwiseLowering<nn::AddOp>,
           ElementwiseLowering<nn::SubOp>, ElementwiseLowering<nn::MulOp>,
           ElementwiseLowering<nn::DivOp>>(patterns.getContext());
}

} // namespace kiln::cpu
