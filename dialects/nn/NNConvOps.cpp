//===- NNConvOps.cpp - nn dialect: convolution, products, quantisation ----===//
//
// Shape inference (and with it verification) of the ops in NNConvOps.td.
//
//===----------------------------------------------------------------------===//
#include "dialects/nn/NNOps.h"

#include "dialects/nn/InferenceUtils.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/STLExtras.h"

#include <map>
#include <set>

using namespace mlir;
using namespace kiln::nn;
using namespace kiln::nn::infer;

namespace {
/// Checks the shared operand layout of conv and conv_transpose: input
/// NxCxD..., filter with as many spatial dims (1 to 3), attributes with one
/// entry per spatial dim (pads two). Returns the spatial rank.
FailureOr<int64_t> checkWindow(std::optional<Location> loc,
                               RankedTensorType input, RankedTensorType filter,
                               ArrayRef<int64_t> strides,
                               ArrayRef<int64_t> dilations,
                               ArrayRef<int64_t> pads, bool padsMayBeNegative) {
  int64_t spatial = input.getRank() - 2;
  if (spatial < 1 || spatial > 3)
    return fail(loc, "expects an input with 1 to 3 spatial dims (NxCxD...), "
                     "got " +
                         shapeString(input.getShape()));
  if (filter.getRank() != input.getRank())
    return fail(loc, "filter " + shapeString(filter.getShape()) +
                         " and input " + shapeString(input.getShape()) +
                         " differ in rank");
  if (input.getElementType() != filter.getElementType())
    return fail(loc, "input and filter element types differ");
  auto positive = [&](ArrayRef<int64_t> v, StringRef name) -> LogicalResult {
    if (static_cast<int64_t>(v.size()) != spatial)
      return fail(loc, name + " must have " + Twine(spatial) +
                           " entries, has " + Twine(v.size()));
    for (int64_t x : v)
      if (x < 1)
        return fail(loc, name + " entries must be >= 1");
    return success();
  };
  if (failed(positive(strides, "strides")) ||
      failed(positive(dilations, "dilations")))
    return failure();
  if (static_cast<int64_t>(pads.size()) != 2 * spatial)
    return fail(loc, "pads must have " + Twine(2 * spatial) + " entries, has " +
                         Twine(pads.size()));
  if (!padsMayBeNegative)
    for (int64_t p : pads)
      if (p < 0)
        return fail(loc, "pads must be non-negative");
  return spatial;
}

LogicalResult checkBias(std::optional<Location> loc, Value bias,
                        int64_t filters, Type elementType) {
  if (!bias)
    return success();
  auto type = cast<RankedTensorType>(bias.getType());
  if (type.getRank() != 1 || type.getDimSize(0) != filters)
    return fail(loc, "bias must have shape " + Twine(filters) + ", got " +
                         shapeString(type.getShape()));
  if (type.getElementType() != elementType)
    return fail(loc, "bias element type differs from the input's");
  return success();
}

/// Scale/zero-point operands: scalars, or 1-D of the size of dim `axis`.
LogicalResult checkQuantParams(std::optional<Location> loc,
                               RankedTensorType input, int64_t axis,
                               ArrayRef<Value> params) {
  for (Value v : params) {
    if (!v)
      continue;
    auto t = cast<RankedTensorType>(v.getType());
    if (t.getRank() == 0)
      continue;
    if (t.getRank() != 1)
      return fail(loc, "scale and zero point must be scalars or 1-D, got " +
                           shapeString(t.getShape()));
    if (axis < 0 || axis >= input.getRank())
      return fail(loc, "axis " + Twine(axis) + " out of range for rank " +
                           Twine(input.getRank()));
    if (t.getDimSize(0) != input.getDimSize(axis))
      return fail(loc, "per-axis parameter of size " + Twine(t.getDimSize(0)) +
                           " does not match dim " + Twine(axis) + " (" +
                           Twine(input.getDimSize(axis)) + ")");
  }
  if (params.size() == 2 && params[0] && params[1] &&
      cast<RankedTensorType>(params[0].getType()).getShape() !=
          cast<RankedTensorType>(params[1].getType()).getShape())
    return fail(loc, "scale and zero point shapes differ");
  return success();
}
} // namespace

//===----------------------------------------------------------------------===//
// ConvOp, ConvTransposeOp
//===----------------------------------------------------------------------===//

LogicalResult ConvOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  auto filter = cast<RankedTensorType>(adaptor.getFilter().getType());
  bool channelsLast = adaptor.getChannelsLast();
  if (channelsLast) {
    // Inferred in NCHW / FCHW; the result goes back to NHWC.
    if (input.getRank() != 4 || filter.getRank() != 4)
      return fail(loc, "channels_last expects a 2-D (NxHxWxC) input and a "
                       "KHxKWxCxF filter, got " +
                           shapeString(input.getShape()) + " and " +
                           shapeString(filter.getShape()));
    input = permuteType(input, kToChannelsFirst);
    filter = permuteType(filter, kFilterToChannelsFirst);
  }
  auto spatial = checkWindow(loc, input, filter, adaptor.getStrides(),
                             adaptor.getDilations(), adaptor.getPads(),
                             /*padsMayBeNegative=*/false);
  if (failed(spatial))
    return failure();
  int64_t group = static_cast<int64_t>(adaptor.getGroup());
  int64_t channels = input.getDimSize(1), filters = filter.getDimSize(0);
  if (group < 1 || channels % group != 0 || filters % group != 0)
    return fail(loc, "group " + Twine(group) + " must divide the " +
                         Twine(channels) + " input channels and the " +
                         Twine(filters) + " filters");
  if (filter.getDimSize(1) * group != channels)
    return fail(loc, "filter has " + Twine(filter.getDimSize(1)) +
                         " channels per group, input has " + Twine(channels) +
                         " channels in " + Twine(group) + " groups");
  if (failed(
          checkBias(loc, adaptor.getBias(), filters, input.getElementType())))
    return failure();
  ArrayRef<int64_t> pads = adaptor.getPads();
  SmallVector<int64_t> shape = {input.getDimSize(0), filters};
  for (int64_t i = 0; i < *spatial; ++i) {
    int64_t in = input.getDimSize(2 + i), k = filter.getDimSize(2 + i);
    int64_t out = windowOutputSize(in, k, adaptor.getStrides()[i],
                                   adaptor.getDilations()[i], pads[i],
                                   pads[*spatial + i], /*ceilMode=*/false);
    if (out < 1)
      return fail(loc, "window of size " + Twine(k) +
                           " does not fit the padded input (" + Twine(in) +
                           " + " + Twine(pads[i]) + " + " +
                           Twine(pads[*spatial + i]) + ")");
    shape.push_back(out);
  }
  auto result = RankedTensorType::get(shape, input.getElementType());
  types.push_back(channelsLast ? permuteType(result, kToChannelsLast) : result);
  return success();
}

LogicalResult ConvTransposeOp::inferReturnTypes(MLIRContext *,
                                                std::optional<Location> loc,
                                                Adaptor adaptor,
                                                SmallVectorImpl<Type> &types) {
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  auto filter = cast<RankedTensorType>(adaptor.getFilter().getType());
  auto spatial = checkWindow(loc, input, filter, adaptor.getStrides(),
                             adaptor.getDilations(), adaptor.getPads(),
                             /*padsMayBeNegative=*/true);
  if (failed(spatial))
    return failure();
  ArrayRef<int64_t> outPad = adaptor.getOutputPadding();
  if (static_cast<int64_t>(outPad.size()) != *spatial)
    return fail(loc, "output_padding must have " + Twine(*spatial) +
                         " entries, has " + Twine(outPad.size()));
  int64_t group = static_cast<int64_t>(adaptor.getGroup());
  int64_t channels = input.getDimSize(1);
  if (group < 1 || channels % group != 0)
    return fail(loc, "group " + Twine(group) + " must divide the " +
                         Twine(channels) + " input channels");
  if (filter.getDimSize(0) != channels)
    return fail(loc, "filter has " + Twine(filter.getDimSize(0)) +
                         " input channels, input has " + Twine(channels));
  int64_t filters = filter.getDimSize(1) * group;
  if (failed(
          checkBias(loc, adaptor.getBias(), filters, input.getElementType())))
    return failure();
  ArrayRef<int64_t> pads = adaptor.getPads();
  SmallVector<int64_t> shape = {input.getDimSize(0), filters};
  for (int64_t i = 0; i < *spatial; ++i) {
    int64_t s = adaptor.getStrides()[i], d = adaptor.getDilations()[i];
    if (outPad[i] < 0 || outPad[i] >= std::max(s, d))
      return fail(loc, "output_padding entries must be below the stride or "
                       "the dilation");
    int64_t full = s * (input.getDimSize(2 + i) - 1) + outPad[i] +
                   (filter.getDimSize(2 + i) - 1) * d + 1;
    int64_t out = full - pads[i] - pads[*spatial + i];
    if (out < 1 || pads[i] >= full)
      return fail(
          loc, "pads " + Twine(pads[i]) + " and " + Twine(pads[*spatial + i]) +
                   " leave no output of the " + Twine(full) + " computed");
    shape.push_back(out);
  }
  types.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// EinsumOp
//===----------------------------------------------------------------------===//

LogicalResult EinsumOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  ValueRange inputs = adaptor.getInputs();
  ArrayAttr indices = adaptor.getOperandIndices();
  if (inputs.empty())
    return fail(loc, "needs at least one operand");
  if (indices.size() != inputs.size())
    return fail(loc, "needs one index array per operand");
  Type et = cast<RankedTensorType>(inputs[0].getType()).getElementType();
  std::map<int64_t, int64_t> sizes;
  for (auto [v, a] : llvm::zip(inputs, indices)) {
    auto t = cast<RankedTensorType>(v.getType());
    ArrayRef<int64_t> idx = cast<DenseI64ArrayAttr>(a).asArrayRef();
    if (t.getElementType() != et)
      return fail(loc, "operand element types differ");
    if (static_cast<int64_t>(idx.size()) != t.getRank())
      return fail(loc, "operand of shape " + shapeString(t.getShape()) +
                           " needs " + Twine(t.getRank()) + " indices, has " +
                           Twine(idx.size()));
    // An index repeated within one operand reads its diagonal.
    for (auto [d, i] : llvm::enumerate(idx)) {
      if (i < 0)
        return fail(loc, "indices must be non-negative");
      auto [it, fresh] = sizes.try_emplace(i, t.getDimSize(d));
      if (!fresh && it->second != t.getDimSize(d))
        return fail(loc, "index " + Twine(i) + " has sizes " +
                             Twine(it->second) + " and " +
                             Twine(t.getDimSize(d)));
    }
  }
  SmallVector<int64_t> shape;
  std::set<int64_t> seen;
  for (int64_t i : adaptor.getResultIndices()) {
    auto it = sizes.find(i);
    if (it == sizes.end())
      return fail(loc, "result index " + Twine(i) + " is in no operand");
    if (!seen.insert(i).second)
      return fail(loc, "result index " + Twine(i) + " repeats");
    shape.push_back(it->second);
  }
  types.push_back(RankedTensorType::get(shape, et));
  return success();
}

//===----------------------------------------------------------------------===//
// Quantisation
//===----------------------------------------------------------------------===//

LogicalResult QuantizeLinearOp::inferReturnTypes(MLIRContext *ctx,
                                                 std::optional<Location> loc,
                                                 Adaptor adaptor,
                                                 SmallVectorImpl<Type> &types) {
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  auto scale = cast<RankedTensorType>(adaptor.getScale().getType());
  if (scale.getElementType() != input.getElementType())
    return fail(loc, "scale and input element types differ");
  if (failed(checkQuantParams(loc, input,
                              static_cast<int64_t>(adaptor.getAxis()),
                              {adaptor.getScale(), adaptor.getZeroPoint()})))
    return failure();
  types.push_back(
      RankedTensorType::get(input.getShape(), IntegerType::get(ctx, 8)));
  return success();
}

LogicalResult DequantizeLinearOp::inferReturnTypes(
    MLIRContext *ctx, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  auto scale = cast<RankedTensorType>(adaptor.getScale().getType());
  auto zp = cast<RankedTensorType>(adaptor.getZeroPoint().getType());
  if (!scale.getElementType().isF32())
    return fail(loc, "scale must be f32");
  if (zp.getElementType() != input.getElementType())
    return fail(loc, "zero point and input element types differ");
  if (adaptor.getIsUnsigned() && !input.getElementType().isInteger(8))
    return fail(loc, "only 8-bit inputs can be unsigned");
  if (failed(checkQuantParams(loc, input,
                              static_cast<int64_t>(adaptor.getAxis()),
                              {adaptor.getScale(), adaptor.getZeroPoint()})))
    return failure();
  types.push_back(
      RankedTensorType::get(input.getShape(), Float32Type::get(ctx)));
  return success();
}

LogicalResult SubtractZeroPointOp::inferReturnTypes(
    MLIRContext *ctx, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  if (failed(checkQuantParams(loc, input,
                              static_cast<int64_t>(adaptor.getAxis()),
                              {adaptor.getZeroPoint()})))
    return failure();
  types.push_back(
      RankedTensorType::get(input.getShape(), IntegerType::get(ctx, 32)));
  return success();
}

LogicalResult DynamicQuantizeLinearOp::inferReturnTypes(
    MLIRContext *ctx, std::optional<Location>, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  auto i8 = IntegerType::get(ctx, 8);
  types.push_back(RankedTensorType::get(input.getShape(), i8));
  types.push_back(RankedTensorType::get({}, Float32Type::get(ctx)));
  types.push_back(RankedTensorType::get({}, i8));
  return success();
}
