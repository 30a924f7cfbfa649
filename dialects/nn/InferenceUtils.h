//===- InferenceUtils.h - helpers of the nn ops' shape inference -*- C++
//-*-===//
//
// Shared by NNOps.cpp and the op family files (NNConvOps.cpp, ...): the
// inference of every op is also its verifier, and these are the checks and
// messages they have in common. Not installed.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_DIALECTS_NN_INFERENCEUTILS_H
#define KILN_DIALECTS_NN_INFERENCEUTILS_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>
#include <string>

namespace kiln::nn::infer {

/// Emits `message` at `loc` when there is a location; always fails.
inline mlir::LogicalResult fail(std::optional<mlir::Location> loc,
                                const llvm::Twine &message) {
  return mlir::emitOptionalError(loc, message);
}

/// "2x3x4", or "scalar" for rank 0.
inline std::string shapeString(llvm::ArrayRef<int64_t> shape) {
  std::string s;
  llvm::raw_string_ostream os(s);
  llvm::interleave(shape, os, "x");
  return s.empty() ? "scalar" : s;
}

inline mlir::RankedTensorType tensorOf(llvm::ArrayRef<int64_t> shape,
                                       mlir::Type elementType) {
  return mlir::RankedTensorType::get(shape, elementType);
}

/// `v` has `size` entries, all >= 1.
inline mlir::LogicalResult checkPositive(std::optional<mlir::Location> loc,
                                         llvm::ArrayRef<int64_t> v, size_t size,
                                         llvm::StringRef name) {
  if (v.size() != size)
    return fail(loc, name + " must have " + llvm::Twine(size) +
                         " entries, has " + llvm::Twine(v.size()));
  for (int64_t x : v)
    if (x < 1)
      return fail(loc, name + " entries must be >= 1");
  return mlir::success();
}

/// `pads` has `size` entries, none negative.
inline mlir::LogicalResult checkPads(std::optional<mlir::Location> loc,
                                     llvm::ArrayRef<int64_t> pads,
                                     size_t size) {
  if (pads.size() != size)
    return fail(loc, "pads must have " + llvm::Twine(size) + " entries, has " +
                         llvm::Twine(pads.size()));
  for (int64_t p : pads)
    if (p < 0)
      return fail(loc, "pads must be non-negative");
  return mlir::success();
}

/// Normalises a possibly negative axis into [0, rank); -1 when out of range.
inline int64_t normaliseAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return -1;
  return axis < 0 ? axis + rank : axis;
}

} // namespace kiln::nn::infer

#endif // KILN_DIALECTS_NN_INFERENCEUTILS_H
