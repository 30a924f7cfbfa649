//===- NNElementwiseOps.cpp - nn elementwise ops: verifiers, inference ----===//
//
// Result-type inference (the shape check) of the ops in
// NNElementwiseOps.td. The op classes themselves are generated into
// NNOps.cpp with the rest of the dialect.
//
//===----------------------------------------------------------------------===//
#include "dialects/nn/NNOps.h"

#include "dialects/nn/InferenceUtils.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace kiln::nn;
using namespace kiln::nn::infer;

namespace {
/// The numpy broadcast of the shapes of `values`, or an error at `loc`.
FailureOr<SmallVector<int64_t>> broadcastAll(std::optional<Location> loc,
                                             ValueRange values) {
  SmallVector<int64_t> shape;
  for (Value v : values) {
    auto type = cast<RankedTensorType>(v.getType());
    auto next = broadcastShapes(shape, type.getShape());
    if (failed(next)) {
      std::string shapes;
      llvm::raw_string_ostream os(shapes);
      llvm::interleave(
          values, os,
          [&](Value x) {
            os << shapeString(cast<RankedTensorType>(x.getType()).getShape());
          },
          ", ");
      return emitOptionalError(loc, "shapes " + shapes + " do not broadcast");
    }
    shape = *next;
  }
  return shape;
}

Type elementTypeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getElementType();
}

/// Binary op whose result has `resultElement` and the broadcast shape;
/// both operands must have one element type.
LogicalResult inferSameTypeBroadcast(std::optional<Location> loc, Value lhs,
                                     Value rhs, Type resultElement,
                                     SmallVectorImpl<Type> &types) {
  if (elementTypeOf(lhs) != elementTypeOf(rhs))
    return emitOptionalError(loc, "operand element types differ");
  auto shape = broadcastAll(loc, {lhs, rhs});
  if (failed(shape))
    return failure();
  types.push_back(RankedTensorType::get(*shape, resultElement));
  return success();
}
} // namespace

//===----------------------------------------------------------------------===//
// Unary
//===----------------------------------------------------------------------===//

LogicalResult CeluOp::verify() {
  if (getAlpha().isZero())
    return emitOpError("alpha must not be 0");
  return success();
}

LogicalResult ShrinkOp::verify() {
  if (getLambd().isNegative())
    return emitOpError("lambd must not be negative");
  return success();
}

LogicalResult IsNaNOp::inferReturnTypes(MLIRContext *ctx,
                                        std::optional<Location>,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  types.push_back(
      RankedTensorType::get(in.getShape(), IntegerType::get(ctx, 1)));
  return success();
}

LogicalResult IsInfOp::inferReturnTypes(MLIRContext *ctx,
                                        std::optional<Location>,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  types.push_back(
      RankedTensorType::get(in.getShape(), IntegerType::get(ctx, 1)));
  return success();
}

//===----------------------------------------------------------------------===//
// Binary
//===----------------------------------------------------------------------===//

#define KILN_SAME_TYPE_INFER(OP)                                               \
  LogicalResult OP::inferReturnTypes(                                          \
      MLIRContext *, std::optional<Location> loc, Adaptor adaptor,             \
      SmallVectorImpl<Type> &types) {                                          \
    if (adaptor.getIsUnsigned() &&                                             \
        !elementTypeOf(adaptor.getLhs()).isSignlessInteger())                  \
      return emitOptionalError(loc, "is_unsigned needs integer operands");     \
    return inferSameTypeBroadcast(loc, adaptor.getLhs(), adaptor.getRhs(),     \
                                  elementTypeOf(adaptor.getLhs()), types);     \
  }
KILN_SAME_TYPE_INFER(MaxOp)
KILN_SAME_TYPE_INFER(MinOp)
#undef KILN_SAME_TYPE_INFER

#define KILN_BOOL_INFER(OP)                                                    \
  LogicalResult OP::inferReturnTypes(                                          \
      MLIRContext *ctx, std::optional<Location> loc, Adaptor adaptor,          \
      SmallVectorImpl<Type> &types) {                                          \
    return inferSameTypeBroadcast(loc, adaptor.getLhs(), adaptor.getRhs(),     \
                                  IntegerType::get(ctx, 1), types);            \
  }
KILN_BOOL_INFER(EqualOp)
KILN_BOOL_INFER(GreaterOp)
KILN_BOOL_INFER(GreaterEqualOp)
KILN_BOOL_INFER(LessOp)
KILN_BOOL_INFER(LessEqualOp)
KILN_BOOL_INFER(AndOp)
KILN_BOOL_INFER(OrOp)
KILN_BOOL_INFER(XorOp)
#undef KILN_BOOL_INFER

LogicalResult PowOp::inferReturnTypes(MLIRContext *,
                                      std::optional<Location> loc,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &types) {
  Type base = elementTypeOf(adaptor.getLhs());
  Type exponent = elementTypeOf(adaptor.getRhs());
  if (base.isInteger(1) || exponent.isInteger(1))
    return emitOptionalError(loc, "operands must not be i1");
  if (adaptor.getUnsignedExponent() && !isa<IntegerType>(exponent))
    return emitOptionalError(loc,
                             "unsigned_exponent needs an integer exponent");
  if (isa<FloatType>(base) && isa<FloatType>(exponent) && exponent != base)
    return emitOptionalError(
        loc, "a floating-point exponent must have the base's element type");
  auto shape = broadcastAll(loc, {adaptor.getLhs(), adaptor.getRhs()});
  if (failed(shape))
    return failure();
  types.push_back(
      RankedTensorType::get(*shape, elementTypeOf(adaptor.getLhs())));
  return success();
}

LogicalResult ModOp::inferReturnTypes(MLIRContext *,
                                      std::optional<Location> loc,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &types) {
  return inferSameTypeBroadcast(loc, adaptor.getLhs(), adaptor.getRhs(),
                                elementTypeOf(adaptor.getLhs()), types);
}

LogicalResult PReluOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  auto slope = cast<RankedTensorType>(adaptor.getSlope().getType());
  if (input.getElementType() != slope.getElementType())
    return emitOptionalError(loc, "operand element types differ");
  auto shape = broadcastShapes(input.getShape(), slope.getShape());
  if (failed(shape) || ArrayRef<int64_t>(*shape) != input.getShape())
    return emitOptionalError(loc, "slope of shape " +
                                      shapeString(slope.getShape()) +
                                      " does not broadcast to the input's " +
                                      shapeString(input.getShape()));
  types.push_back(input);
  return success();
}

LogicalResult WhereOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  if (elementTypeOf(adaptor.getLhs()) != elementTypeOf(adaptor.getRhs()))
    return emitOptionalError(loc, "operand element types differ");
  auto shape = broadcastAll(
      loc, {adaptor.getCondition(), adaptor.getLhs(), adaptor.getRhs()});
  if (failed(shape))
    return failure();
  types.push_back(
      RankedTensorType::get(*shape, elementTypeOf(adaptor.getLhs())));
  return success();
}
