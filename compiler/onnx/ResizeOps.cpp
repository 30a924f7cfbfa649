//===- ResizeOps.cpp - ONNX import: resampling, space/depth ---------------===//
//
// Resize (opsets 10, 11, 13) and Upsample (7, 9) become nn.resize with the
// output sizes and per-dimension scales resolved at compile time;
// DepthToSpace and SpaceToDepth become nn.reshape + nn.transpose +
// nn.reshape.
//
//===----------------------------------------------------------------------===//

#include "compiler/onnx/ImporterImpl.h"

#include <cmath>

using namespace mlir;
namespace ox = ::onnx;

namespace kiln::onnx {

namespace {
/// The largest output dimension accepted: the tap tables hold one entry per
/// output index of every dimension.
constexpr int64_t kMaxResizeDim = int64_t(1) << 24;

bool isFloatTensor(int32_t dtype) {
  return dtype == ox::TensorProto::FLOAT || dtype == ox::TensorProto::DOUBLE;
}
} // namespace

/// Shared by Resize and Upsample: creates the nn.resize.
LogicalResult Importer::emitResize(const ox::NodeProto &n, Location loc,
                                   RankedTensorType x, const ResizeParams &p) {
  if (!x.hasStaticShape())
    return unsupported(n, loc, "input with a dynamic shape");
  if (p.mode != "nearest" && !isa<FloatType>(x.getElementType()))
    return unsupported(n, loc, "mode '" + p.mode + "' on a non-float tensor");
  auto r =
      create(nn::ResizeOp::getOperationName(), loc, {values[n.input(0)]},
             {named("sizes", i64s(p.sizes)),
              named("scales", builder.getDenseF64ArrayAttr(p.scales)),
              named("mode", builder.getStringAttr(p.mode)),
              named("coordinate_transformation_mode",
                    builder.getStringAttr(p.coordinateMode)),
              named("nearest_mode", builder.getStringAttr(p.nearestMode)),
              named("cubic_coeff_a", builder.getF64FloatAttr(p.cubicCoeffA)),
              named("exclude_outside", builder.getBoolAttr(p.excludeOutside)),
              named("roi", builder.getDenseF64ArrayAttr(p.roi)),
              named("extrapolation_value",
                    builder.getF32FloatAttr(p.extrapolationValue))});
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

/// Output sizes from scales: floor(scale * dim), as the ONNX reference does.
LogicalResult Importer::resizeScales(const ox::NodeProto &n, Location loc,
                                     RankedTensorType x,
                                     const std::vector<double> &scales,
                                     ResizeParams &p) {
  if (static_cast<int64_t>(scales.size()) != x.getRank())
    return emitError(loc) << n.op_type() << " node '" << nodeName(n) << "' has "
                          << scales.size() << " scales for rank "
                          << x.getRank();
  p.scales = scales;
  p.sizes.clear();
  for (int64_t d = 0; d < x.getRank(); ++d) {
    if (!std::isfinite(scales[d]) || scales[d] <= 0)
      return emitError(loc) << n.op_type() << " node '" << nodeName(n)
                            << "': scale " << scales[d] << " is not > 0";
    double size = std::floor(scales[d] * x.getDimSize(d));
    if (size < 1)
      return unsupported(n, loc, "scales that give an empty output dimension");
    if (size > double(kMaxResizeDim))
      return unsupported(n, loc,
                         "output dimension above " + Twine(kMaxResizeDim));
    p.sizes.push_back(static_cast<int64_t>(size));
  }
  return success();
}

LogicalResult Importer::importResize(const ox::NodeProto &n, Location loc) {
  auto x = inputType(n, 0, loc);
  if (failed(x))
    return failure();
  if (failed(refuseExtraOutputs(n, 1, loc)))
    return failure();
  if (!x->hasStaticShape())
    return unsupported(n, loc, "input with a dynamic shape");
  int64_t rank = x->getRank();
  ResizeParams p;
  p.mode = attrString(n, "mode", "nearest");
  if (p.mode != "nearest" && p.mode != "linear" &&
      !(p.mode == "cubic" && opset >= 11))
    return unsupported(n, loc, "mode '" + p.mode + "'");
  if (opset < 11) {
    // Resize-10: asymmetric coordinates; nearest as onnxruntime does it
    // (floor when upsampling, ceil when downsampling).
    p.coordinateMode = "asymmetric";
    p.nearestMode = "simple";
    const ConstTensor *s;
    if (failed(constantInput(n, 1, loc, s)))
      return failure();
    if (!isFloatTensor(s->dtype))
      return emitError(loc) << "Resize scales must be float";
    std::vector<double> scales;
    for (int64_t i = 0; i < s->numElements(); ++i)
      scales.push_back(s->floatAt(i));
    if (failed(resizeScales(n, loc, *x, scales, p)))
      return failure();
    return emitResize(n, loc, *x, p);
  }
  p.coordinateMode =
      attrString(n, "coordinate_transformation_mode", "half_pixel");
  p.nearestMode = attrString(n, "nearest_mode", "round_prefer_floor");
  p.cubicCoeffA = attrFloat(n, "cubic_coeff_a", -0.75f);
  p.excludeOutside = attrInt(n, "exclude_outside", 0) != 0;
  p.extrapolationValue = attrFloat(n, "extrapolation_value", 0.0f);
  if (!llvm::is_contained({"half_pixel", "pytorch_half_pixel", "align_corners",
                           "asymmetric", "tf_half_pixel_for_nn",
                           "tf_crop_and_resize"},
                          p.coordinateMode))
    return unsupported(
        n, loc, "coordinate_transformation_mode '" + p.coordinateMode + "'");
  if (!llvm::is_contained(
          {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"},
          p.nearestMode))
    return unsupported(n, loc, "nearest_mode '" + p.nearestMode + "'");
  if (p.coordinateMode == "tf_crop_and_resize") {
    const ConstTensor *roi;
    if (failed(constantInput(n, 1, loc, roi)))
      return failure();
    if (!isFloatTensor(roi->dtype) || roi->numElements() != 2 * rank)
      return emitError(loc)
             << "Resize node '" << nodeName(n)
             << "': roi must hold 2 * rank = " << 2 * rank << " floats";
    for (int64_t i = 0; i < roi->numElements(); ++i)
      p.roi.push_back(roi->floatAt(i));
  }
  // Exactly one of scales (input 2) and sizes (input 3) is given; an empty
  // tensor counts as absent.
  auto empty = [&](int i) {
    const ConstTensor *c = constant(n, i);
    return c && c->numElements() == 0;
  };
  bool useSizes = has(n, 3) && !empty(3);
  if (useSizes) {
    const ConstTensor *s;
    if (failed(constantInput(n, 3, loc, s)))
      return failure();
    if (s->dtype != ox::TensorProto::INT64 || s->numElements() != rank)
      return emitError(loc) << "Resize node '" << nodeName(n)
                            << "': sizes must hold " << rank << " int64";
    for (int64_t d = 0; d < rank; ++d) {
      int64_t size = s->intAt(d);
      if (size < 1)
        return unsupported(n, loc, "sizes with an empty output dimension");
      if (size > kMaxResizeDim)
        return unsupported(n, loc,
                           "output dimension above " + Twine(kMaxResizeDim));
      p.sizes.push_back(size);
      p.scales.push_back(static_cast<double>(size) /
                         static_cast<double>(x->getDimSize(d)));
    }
    return emitResize(n, loc, *x, p);
  }
  const ConstTensor *s;
  if (failed(constantInput(n, 2, loc, s)))
    return failure();
  if (!isFloatTensor(s->dtype))
    return emitError(loc) << "Resize scales must be float";
  std::vector<double> scales;
  for (int64_t i = 0; i < s->numElements(); ++i)
    scales.push_back(s->floatAt(i));
  if (failed(resizeScales(n, loc, *x, scales, p)))
    return failure();
  return emitResize(n, loc, *x, p);
}

LogicalResult Importer::importUpsample(const ox::NodeProto &n, Location loc) {
  auto x = inputType(n, 0, loc);
  if (failed(x))
    return failure();
  if (failed(refuseExtraOutputs(n, 1, loc)))
    return failure();
  if (!x->hasStaticShape())
    return unsupported(n, loc, "input with a dynamic shape");
  ResizeParams p;
  p.mode = attrString(n, "mode", "nearest");
  if (p.mode != "nearest" && p.mode != "linear")
    return unsupported(n, loc, "mode '" + p.mode + "'");
  // Upsample is Resize-10: asymmetric coordinates, nearest rounds down
  // (scales are >= 1).
  p.coordinateMode = "asymmetric";
  p.nearestMode = "simple";
  std::vector<double> scales;
  if (opset < 9) {
    const auto *a = attr(n, "scales");
    if (!a)
      return emitError(loc)
             << "Upsample node '" << nodeName(n) << "' has no scales";
    for (float f : a->floats())
      scales.push_back(f);
  } else {
    const ConstTensor *s;
    if (failed(constantInput(n, 1, loc, s)))
      return failure();
    if (!isFloatTensor(s->dtype))
      return emitError(loc) << "Upsample scales must be float";
    for (int64_t i = 0; i < s->numElements(); ++i)
      scales.push_back(s->floatAt(i));
  }
  for (double s : scales)
    if (s < 1)
      return emitError(loc) << "Upsample node '" << nodeName(n)
                            << "': scales must be >= 1, not " << s;
  if (failed(resizeScales(n, loc, *x, scales, p)))
    return failure();
  return emitResize(n, loc, *x, p);
}

/// DepthToSpace and SpaceToDepth: reshape to 6-D, permute, reshape back.
LogicalResult Importer::importDepthSpace(const ox::NodeProto &n, Location loc) {
  auto x = inputType(n, 0, loc);
  if (failed(x))
    return failure();
  if (failed(refuseExtraOutputs(n, 1, loc)))
    return failure();
  if (x->getRank() != 4 || !x->hasStaticShape())
    return emitError(loc) << n.op_type() << " node '" << nodeName(n)
                          << "' needs a static 4-D input, has "
                          << shapeString(x->getShape());
  const auto *blockAttr = attr(n, "blocksize");
  if (!blockAttr)
    return emitError(loc) << n.op_type() << " node '" << nodeName(n)
                          << "' has no blocksize";
  int64_t b = blockAttr->i();
  int64_t N = x->getDimSize(0), C = x->getDimSize(1), H = x->getDimSize(2),
          W = x->getDimSize(3);
  if (b < 1 || b > std::max(C, std::max(H, W)))
    return emitError(loc) << n.op_type() << " node '" << nodeName(n)
                          << "': blocksize " << b << " does not fit input "
                          << shapeString(x->getShape());
  std::vector<int64_t> expanded, perm, shape;
  if (n.op_type() == "DepthToSpace") {
    if (C % (b * b))
      return emitError(loc)
             << "DepthToSpace: " << C
             << " channels are not a multiple of blocksize^2 = " << b * b;
    std::string mode = attrString(n, "mode", "DCR");
    if (mode == "DCR") {
      expanded = {N, b, b, C / (b * b), H, W};
      perm = {0, 3, 4, 1, 5, 2};
    } else if (mode == "CRD") {
      expanded = {N, C / (b * b), b, b, H, W};
      perm = {0, 1, 4, 2, 5, 3};
    } else {
      return unsupported(n, loc, "mode '" + mode + "'");
    }
    shape = {N, C / (b * b), H * b, W * b};
  } else {
    if (H % b || W % b)
      return emitError(loc) << "SpaceToDepth: spatial size " << H << "x" << W
                            << " is not a multiple of blocksize " << b;
    expanded = {N, C, H / b, b, W / b, b};
    perm = {0, 3, 5, 1, 2, 4};
    shape = {N, C * b * b, H / b, W / b};
  }
  auto e = reshapeTo(values[n.input(0)], expanded, loc);
  if (failed(e))
    return failure();
  auto t = create(nn::TransposeOp::getOperationName(), loc, {*e},
                  {named("perm", i64s(perm))});
  if (failed(t))
    return failure();
  auto r = reshapeTo(*t, shape, loc);
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

llvm::ArrayRef<OpHandler> Importer::resizeOps() {
  static const OpHandler table[] = {
      {"Resize", &Importer::importResize},
      {"Upsample", &Importer::importUpsample},
      {"DepthToSpace", &Importer::importDepthSpace},
      {"SpaceToDepth", &Importer::importDepthSpace},
  };
  return table;
}

} // namespace kiln::onnx
