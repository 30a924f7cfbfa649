//===- NNResizeOps.cpp - nn dialect: resampling ops -----------------------===//
//
// Shape inference (which is also the verifier) of nn.resize.
//
//===----------------------------------------------------------------------===//
#include "dialects/nn/NNOps.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/STLExtras.h"

#include <cmath>

using namespace mlir;
using namespace kiln::nn;

LogicalResult ResizeOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  auto fail = [&](const Twine &message) {
    return emitOptionalError(loc, message);
  };
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  int64_t rank = input.getRank();
  ArrayRef<int64_t> sizes = adaptor.getSizes();
  ArrayRef<double> scales = adaptor.getScales(), roi = adaptor.getRoi();
  if (!input.hasStaticShape())
    return fail("input must have a static shape");
  if (static_cast<int64_t>(sizes.size()) != rank ||
      static_cast<int64_t>(scales.size()) != rank)
    return fail("sizes and scales need one entry per dimension");
  for (int64_t s : sizes)
    if (s < 1)
      return fail("sizes entries must be >= 1");
  for (double s : scales)
    if (!std::isfinite(s) || s <= 0)
      return fail("scales entries must be finite and > 0");
  StringRef mode = adaptor.getMode();
  if (mode != "nearest" && mode != "linear" && mode != "cubic")
    return fail("mode must be nearest, linear or cubic, not '" + mode + "'");
  if (mode != "nearest" && !isa<FloatType>(input.getElementType()))
    return fail(mode + " interpolation needs a float tensor");
  StringRef coord = adaptor.getCoordinateTransformationMode();
  if (!llvm::is_contained({"half_pixel", "pytorch_half_pixel", "align_corners",
                           "asymmetric", "tf_half_pixel_for_nn",
                           "tf_crop_and_resize"},
                          coord))
    return fail("unknown coordinate_transformation_mode '" + coord + "'");
  StringRef nearest = adaptor.getNearestMode();
  if (!llvm::is_contained({"round_prefer_floor", "round_prefer_ceil", "floor",
                           "ceil", "simple"},
                          nearest))
    return fail("unknown nearest_mode '" + nearest + "'");
  if (coord == "tf_crop_and_resize") {
    if (static_cast<int64_t>(roi.size()) != 2 * rank)
      return fail("tf_crop_and_resize needs a roi of 2 * rank entries");
  } else if (!roi.empty()) {
    return fail("roi is only used by tf_crop_and_resize");
  }
  for (double r : roi)
    if (!std::isfinite(r))
      return fail("roi entries must be finite");
  types.push_back(RankedTensorType::get(sizes, input.getElementType()));
  return success();
}
