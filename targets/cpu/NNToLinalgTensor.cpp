//===- NNToLinalgTensor.cpp - nn -> linalg: constants and identities ------===//
#include "targets/cpu/NNToLinalgPatterns.h"

#include <limits>

using namespace mlir;
using namespace kiln;

namespace kiln::cpu {
namespace {

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

/// One scalar conversion per element; see nn.cast for the rules.
struct CastLowering : NNPattern<nn::CastOp> {
  using NNPattern::NNPattern;
  LogicalResult
  matchAndRewrite(nn::CastOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Type to = resultType(op).getElementType();
    bool fromUnsigned = op.getUnsignedInput(),
         toUnsigned = op.getUnsignedResult();
    Value r = elementwise(
        rewriter, op.getLoc(), resultType(op), adaptor.getInput(),
        [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
          Value x = a[0];
          Type from = x.getType();
          if (from == to)
            return x;
          if (to.isInteger(1)) {
            if (isa<FloatType>(from))
              return arith::CmpFOp::create(
                  b, loc, arith::CmpFPredicate::UNE, x,
                  arith::ConstantOp::create(b, loc, b.getFloatAttr(from, 0)));
            return arith::CmpIOp::create(
                b, loc, arith::CmpIPredicate::ne, x,
                arith::ConstantOp::create(b, loc, b.getIntegerAttr(from, 0)));
          }
          // A bool is an unsigned 0 or 1.
          bool unsignedFrom = fromUnsigned || from.isInteger(1);
          if (auto ft = dyn_cast<FloatType>(to)) {
            if (isa<FloatType>(from)) {
              unsigned fromWidth = from.getIntOrFloatBitWidth();
              // f16 <-> bf16: neither holds the other, f32 holds both.
              if (ft.getWidth() == fromWidth) {
                x = arith::ExtFOp::create(b, loc, b.getF32Type(), x);
                fromWidth = 32;
              }
              return ft.getWidth() > fromWidth
                         ? arith::ExtFOp::create(b, loc, to, x).getResult()
                         : arith::TruncFOp::create(b, loc, to, x).getResult();
            }
            return unsignedFrom
                       ? arith::UIToFPOp::create(b, loc, to, x).getResult()
                       : arith::SIToFPOp::create(b, loc, to, x).getResult();
          }
          if (isa<FloatType>(from))
            return toUnsigned
                       ? arith::FPToUIOp::create(b, loc, to, x).getResult()
                       : arith::FPToSIOp::create(b, loc, to, x).getResult();
          unsigned fw = from.getIntOrFloatBitWidth(),
                   tw = to.getIntOrFloatBitWidth();
          if (tw < fw)
            return arith::TruncIOp::create(b, loc, to, x);
          if (tw == fw)
            return x; // int8 <-> uint8: the same bits
          return unsignedFrom
                     ? arith::ExtUIOp::create(b, loc, to, x).getResult()
                     : arith::ExtSIOp::create(b, loc, to, x).getResult();
        });
    rewriter.replaceOp(op, r);
    return success();
  }
};

} // namespace

void populateNNToLinalgTensorPatterns(RewritePatternSet &patterns) {
  patterns.add<ConstantLowering, IdentityLowering, CastLowering>(
      patterns.getContext());
}

} // namespace kiln::cpu
