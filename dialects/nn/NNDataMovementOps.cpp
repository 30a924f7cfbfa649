//===- NNDataMovementOps.cpp - nn data movement ops -----------------------===//
//
// Shape inference (the verifier) of the ops in NNDataMovementOps.td.
//
//===----------------------------------------------------------------------===//
#include "dialects/nn/NNOps.h"

#include "dialects/nn/InferenceUtils.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace kiln::nn;
using namespace kiln::nn::infer;

/// The axis Gather and GatherElements take their indices along, in
/// [0, rank): a scalar has none, and a negative axis counts from the end.
static FailureOr<int64_t> gatherAxis(std::optional<Location> loc, int64_t axis,
                                     int64_t rank) {
  if (rank == 0)
    return emitOptionalError(loc, "cannot gather from a scalar");
  int64_t normalised = normaliseAxis(axis, rank);
  if (normalised < 0)
    return emitOptionalError(loc, "axis ", axis, " out of range for rank ",
                             rank);
  return normalised;
}

LogicalResult GatherOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  auto indices = cast<RankedTensorType>(adaptor.getIndices().getType());
  int64_t rank = input.getRank();
  FailureOr<int64_t> normalised = gatherAxis(loc, adaptor.getAxis(), rank);
  if (failed(normalised))
    return failure();
  int64_t axis = *normalised;
  SmallVector<int64_t> shape(input.getShape().take_front(axis));
  llvm::append_range(shape, indices.getShape());
  llvm::append_range(shape, input.getShape().drop_front(axis + 1));
  types.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

LogicalResult GatherElementsOp::inferReturnTypes(MLIRContext *,
                                                 std::optional<Location> loc,
                                                 Adaptor adaptor,
                                                 SmallVectorImpl<Type> &types) {
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  auto indices = cast<RankedTensorType>(adaptor.getIndices().getType());
  int64_t rank = input.getRank();
  FailureOr<int64_t> normalised = gatherAxis(loc, adaptor.getAxis(), rank);
  if (failed(normalised))
    return failure();
  int64_t axis = *normalised;
  if (indices.getRank() != rank)
    return emitOptionalError(loc, "indices must have rank ", rank, ", got ",
                             indices.getRank());
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis && indices.getDimSize(d) > input.getDimSize(d))
      return emitOptionalError(loc, "indices ", shapeString(indices.getShape()),
                               " exceed the input ",
                               shapeString(input.getShape()), " in dimension ",
                               d);
  types.push_back(
      RankedTensorType::get(indices.getShape(), input.getElementType()));
  return success();
}

LogicalResult ExpandOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  ArrayRef<int64_t> shape = adaptor.getShape();
  for (int64_t d : shape)
    if (d < 1)
      return emitOptionalError(loc, "shape ", shapeString(shape),
                               " has a dimension below 1");
  auto result = broadcastShapes(input.getShape(), shape);
  if (failed(result))
    return emitOptionalError(loc, "cannot broadcast ",
                             shapeString(input.getShape()), " to ",
                             shapeString(shape));
  types.push_back(RankedTensorType::get(*result, input.getElementType()));
  return success();
}
