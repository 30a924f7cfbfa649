//===- NNReductionOps.cpp - nn reductions, normalisation, top-k -----------===//
//
// Shape inference (which doubles as the verifier) of the ops in
// NNReductionOps.td.
//
//===----------------------------------------------------------------------===//
#include "dialects/nn/NNOps.h"

#include "dialects/nn/InferenceUtils.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace kiln::nn;
using namespace kiln::nn::infer;

namespace {
/// The shape left by reducing `reduced` dims of `shape`.
SmallVector<int64_t> reducedShape(ArrayRef<int64_t> shape,
                                  ArrayRef<bool> reduced, bool keepdims) {
  SmallVector<int64_t> out;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (!reduced[d])
      out.push_back(shape[d]);
    else if (keepdims)
      out.push_back(1);
  }
  return out;
}

LogicalResult inferArgReduce(std::optional<Location> loc, Value inputValue,
                             int64_t axis, bool keepdims,
                             SmallVectorImpl<Type> &types) {
  auto input = cast<RankedTensorType>(inputValue.getType());
  int64_t rank = input.getRank();
  if (axis < 0 || axis >= rank)
    return fail(loc, "axis " + Twine(axis) +
                         " must be a normalised dim below " + Twine(rank));
  SmallVector<bool> reduced(rank, false);
  reduced[axis] = true;
  types.push_back(
      RankedTensorType::get(reducedShape(input.getShape(), reduced, keepdims),
                            IntegerType::get(input.getContext(), 64)));
  return success();
}
} // namespace

LogicalResult ReduceOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  StringRef kind = adaptor.getKind();
  static constexpr StringLiteral anyType[] = {"sum",  "max", "min",
                                              "prod", "l1",  "sum_square"};
  static constexpr StringLiteral floatOnly[] = {"l2", "log_sum", "log_sum_exp"};
  int known = llvm::is_contained(anyType, kind)     ? 1
              : llvm::is_contained(floatOnly, kind) ? 2
                                                    : 0;
  if (!known)
    return fail(loc, "unknown reduction kind '" + kind + "'");
  if (known == 2 && !isa<FloatType>(input.getElementType()))
    return fail(loc, "reduction '" + kind + "' needs a float input");
  int64_t rank = input.getRank();
  if (adaptor.getAxes().empty())
    return fail(loc, "axes must not be empty");
  SmallVector<bool> reduced(rank, false);
  for (int64_t a : adaptor.getAxes()) {
    if (a < 0 || a >= rank || reduced[a])
      return fail(loc, "axes must be distinct, normalised dims below " +
                           Twine(rank));
    reduced[a] = true;
  }
  types.push_back(RankedTensorType::get(
      reducedShape(input.getShape(), reduced, adaptor.getKeepdims()),
      input.getElementType()));
  return success();
}

LogicalResult ArgMaxOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  return inferArgReduce(loc, adaptor.getInput(),
                        static_cast<int64_t>(adaptor.getAxis()),
                        adaptor.getKeepdims(), types);
}

LogicalResult ArgMinOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  return inferArgReduce(loc, adaptor.getInput(),
                        static_cast<int64_t>(adaptor.getAxis()),
                        adaptor.getKeepdims(), types);
}

LogicalResult LogSoftmaxOp::inferReturnTypes(MLIRContext *,
                                             std::optional<Location> loc,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &types) {
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  int64_t axis = static_cast<int64_t>(adaptor.getAxis());
  if (axis < 0 || axis >= input.getRank())
    return fail(loc, "axis " + Twine(axis) +
                         " must be a normalised dim below " +
                         Twine(input.getRank()));
  types.push_back(input);
  return success();
}

LogicalResult TopKOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  int64_t axis = static_cast<int64_t>(adaptor.getAxis());
  int64_t k = static_cast<int64_t>(adaptor.getK());
  if (axis < 0 || axis >= input.getRank())
    return fail(loc, "axis " + Twine(axis) +
                         " must be a normalised dim below " +
                         Twine(input.getRank()));
  if (k < 1 || k > input.getDimSize(axis))
    return fail(loc, "k = " + Twine(k) + " must be in 1.." +
                         Twine(input.getDimSize(axis)));
  SmallVector<int64_t> shape(input.getShape());
  shape[axis] = k;
  types.push_back(RankedTensorType::get(shape, input.getElementType()));
  types.push_back(
      RankedTensorType::get(shape, IntegerType::get(input.getContext(), 64)));
  return success();
}

LogicalResult InstanceNormOp::inferReturnTypes(MLIRContext *,
                                               std::optional<Location> loc,
                                               Adaptor adaptor,
                                               SmallVectorImpl<Type> &types) {
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  if (input.getRank() < 3)
    return fail(loc, "expects an input of rank >= 3 (N, C, spatial...), got " +
                         shapeString(input.getShape()));
  int64_t channels = input.getDimSize(1);
  for (Value v : {adaptor.getScale(), adaptor.getBias()}) {
    auto t = cast<RankedTensorType>(v.getType());
    if (t.getRank() != 1 || t.getDimSize(0) != channels ||
        t.getElementType() != input.getElementType())
      return fail(loc, "scale and bias must have shape " + Twine(channels) +
                           " and the input's element type, got " +
                           shapeString(t.getShape()));
  }
  types.push_back(input);
  return success();
}

LogicalResult LRNOp::inferReturnTypes(MLIRContext *,
                                      std::optional<Location> loc,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &types) {
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  if (input.getRank() < 3)
    return fail(loc, "expects an input of rank >= 3 (N, C, spatial...), got " +
                         shapeString(input.getShape()));
  if (static_cast<int64_t>(adaptor.getSize()) < 1)
    return fail(loc, "size must be >= 1");
  types.push_back(input);
  return success();
}
