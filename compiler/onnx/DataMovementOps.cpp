//===- DataMovementOps.cpp - ONNX import: data movement ---===//
//
// Data movement: Concat, Reshape, Flatten, Transpose, Pad, Split, Slice,
// Gather, GatherElements, Squeeze/Unsqueeze, Expand, Tile.
//
//===----------------------------------------------------------------------===//

#include "compiler/onnx/ImporterImpl.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/MathExtras.h"

#include <cmath>
#include <limits>

using namespace mlir;
namespace ox = ::onnx;

namespace kiln::onnx {

/// Whether a tensor of `shape` would hold more than `limit` elements (no
/// overflow on the way).
static bool exceeds(llvm::ArrayRef<int64_t> shape, uint64_t limit) {
  return exceedsElements(shape, limit);
}

LogicalResult Importer::importConcat(const ox::NodeProto &n, Location loc) {
  const auto *axisAttr = attr(n, "axis");
  if (!axisAttr)
    return emitError(loc) << "Concat node '" << nodeName(n) << "' has no axis";
  bool allConst = n.input_size() > 0;
  for (int i = 0; i < n.input_size(); ++i)
    allConst &= constant(n, i) && isIntegerType(constant(n, i)->dtype) &&
                constant(n, i)->shape.size() == 1;
  if (allConst) { // shape arithmetic: 1-D integer vectors
    std::vector<int64_t> v;
    for (int i = 0; i < n.input_size(); ++i)
      for (int64_t x : constant(n, i)->ints())
        v.push_back(x);
    consts[n.output(0)] = ConstTensor::fromInts(v, {int64_t(v.size())});
    return success();
  }
  SmallVector<Value> operands;
  for (int i = 0; i < n.input_size(); ++i) {
    auto v = input(n, i, loc);
    if (failed(v))
      return failure();
    operands.push_back(*v);
  }
  auto r = create(nn::ConcatOp::getOperationName(), loc, operands,
                  {named("axis", builder.getI64IntegerAttr(axisAttr->i()))});
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

/// Output 0 is input 0 in `shape`: folded when the input is a constant
/// (shape arithmetic), an nn.reshape otherwise.
LogicalResult Importer::reshapeOutput(const ox::NodeProto &n,
                                      llvm::ArrayRef<int64_t> shape,
                                      Location loc) {
  if (const ConstTensor *c = constant(n, 0)) {
    ConstTensor t = *c;
    t.shape = shape;
    if (t.numElements() != c->numElements())
      return emitError(loc) << "cannot reshape " << shapeString(c->shape)
                            << " to " << shapeString(shape);
    consts[n.output(0)] = std::move(t);
    return success();
  }
  auto r = reshapeTo(values[n.input(0)], shape, loc);
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

LogicalResult Importer::importReshape(const ox::NodeProto &n, Location loc) {
  auto x = inputType(n, 0, loc);
  if (failed(x))
    return failure();
  std::vector<int64_t> request;
  if (opset < 5) {
    request = attrInts(n, "shape");
  } else {
    const ConstTensor *c;
    if (failed(constantInput(n, 1, loc, c)))
      return failure();
    request = c->ints();
  }
  bool allowZero = attrInt(n, "allowzero", 0) != 0;
  std::vector<int64_t> shape;
  int64_t known = 1, inferAt = -1;
  for (size_t i = 0; i < request.size(); ++i) {
    int64_t d = request[i];
    if (d == 0 && !allowZero) {
      if (static_cast<int64_t>(i) >= x->getRank())
        return emitError(loc) << "Reshape: 0 at position " << i
                              << " has no input dimension to copy";
      d = x->getDimSize(i);
    }
    if (d == -1) {
      if (inferAt >= 0)
        return emitError(loc) << "Reshape: more than one -1 in the shape";
      inferAt = i;
      shape.push_back(1);
      continue;
    }
    if (d < 0)
      return emitError(loc) << "Reshape: invalid dimension " << d;
    if (llvm::MulOverflow(known, d, known))
      return emitError(loc) << "cannot reshape " << shapeString(x->getShape())
                            << " to " << shapeString(request);
    shape.push_back(d);
  }
  int64_t total = x->getNumElements();
  if (inferAt >= 0) {
    if (known == 0 || total % known)
      return emitError(loc) << "cannot reshape " << shapeString(x->getShape())
                            << " to " << shapeString(request);
    shape[inferAt] = total / known;
  }
  return reshapeOutput(n, shape, loc);
}

LogicalResult Importer::importFlatten(const ox::NodeProto &n, Location loc) {
  auto x = input(n, 0, loc);
  if (failed(x))
    return failure();
  auto r =
      create(nn::FlattenOp::getOperationName(), loc, {*x},
             {named("axis", builder.getI64IntegerAttr(attrInt(n, "axis", 1)))});
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

LogicalResult Importer::importTranspose(const ox::NodeProto &n, Location loc) {
  auto x = inputType(n, 0, loc);
  if (failed(x))
    return failure();
  std::vector<int64_t> reversed;
  for (int64_t d = x->getRank() - 1; d >= 0; --d)
    reversed.push_back(d);
  auto r =
      create(nn::TransposeOp::getOperationName(), loc, {values[n.input(0)]},
             {named("perm", i64s(attrInts(n, "perm", reversed)))});
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

LogicalResult Importer::importPad(const ox::NodeProto &n, Location loc) {
  auto x = inputType(n, 0, loc);
  if (failed(x))
    return failure();
  int64_t rank = x->getRank();
  std::string mode = attrString(n, "mode", "constant");
  if (mode != "constant" && mode != "reflect" && mode != "edge")
    return unsupported(n, loc, "mode '" + mode + "'");
  std::vector<int64_t> pads;
  double value = 0;
  if (opset < 11) {
    pads = attrInts(n, "pads");
    value = attrFloat(n, "value", 0);
  } else {
    const ConstTensor *c;
    if (failed(constantInput(n, 1, loc, c)))
      return failure();
    pads = c->ints();
    if (has(n, 2)) {
      const ConstTensor *v;
      if (failed(constantInput(n, 2, loc, v)))
        return failure();
      if (v->numElements() != 1)
        return emitError(loc) << "Pad constant_value must be a scalar";
      value = v->floatAt(0);
    }
  }
  if (static_cast<int64_t>(pads.size()) != 2 * rank)
    return emitError(loc) << "Pad needs " << 2 * rank << " pads for rank "
                          << rank << ", got " << pads.size();
  for (int64_t p : pads)
    if (p < -(int64_t(1) << 31) || p > (int64_t(1) << 31))
      return emitError(loc) << "Pad amount " << p << " is out of range";
  if (mode == "constant" &&
      static_cast<double>(static_cast<float>(value)) != value)
    return unsupported(n, loc,
                       "constant_value " + std::to_string(value) +
                           " is not exactly representable as float32");
  // Negative pads crop: a slice first, then the non-negative padding.
  Value v = values[n.input(0)];
  SmallVector<int64_t> offsets(rank, 0), sizes(x->getShape()), steps(rank, 1);
  bool crop = false;
  std::vector<int64_t> positive(pads);
  for (int64_t d = 0; d < rank; ++d) {
    int64_t low = pads[d], high = pads[rank + d];
    if (low >= 0 && high >= 0)
      continue;
    crop = true;
    offsets[d] = std::max<int64_t>(0, -low);
    sizes[d] -= std::max<int64_t>(0, -low) + std::max<int64_t>(0, -high);
    if (sizes[d] < 1)
      return unsupported(n, loc,
                         "negative pads that leave dimension " +
                             llvm::Twine(d) + " empty");
    positive[d] = std::max<int64_t>(0, low);
    positive[rank + d] = std::max<int64_t>(0, high);
  }
  if (crop) {
    auto r = create(nn::SliceOp::getOperationName(), loc, {v},
                    {named("offsets", i64s(offsets)),
                     named("sizes", i64s(sizes)), named("steps", i64s(steps))});
    if (failed(r))
      return failure();
    v = *r;
  }
  auto r = create(nn::PadOp::getOperationName(), loc, {v},
                  {named("pads", i64s(positive)),
                   named("value", builder.getF32FloatAttr(value)),
                   named("mode", builder.getStringAttr(mode))});
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

LogicalResult Importer::importSplit(const ox::NodeProto &n, Location loc) {
  auto x = inputType(n, 0, loc);
  if (failed(x))
    return failure();
  int64_t rank = x->getRank();
  int64_t axis = attrInt(n, "axis", 0);
  if (axis < -rank || axis >= rank)
    return emitError(loc) << "Split axis " << axis << " out of range";
  if (axis < 0)
    axis += rank;
  std::vector<int64_t> split;
  if (opset < 13) {
    split = attrInts(n, "split");
  } else if (has(n, 1)) {
    const ConstTensor *c;
    if (failed(constantInput(n, 1, loc, c)))
      return failure();
    split = c->ints();
  }
  int64_t dim = x->getDimSize(axis), parts = n.output_size();
  if (split.empty()) {
    if (dim % parts)
      return emitError(loc)
             << "Split of " << dim << " into " << parts << " equal parts";
    split.assign(parts, dim / parts);
  }
  int64_t sum = 0;
  for (int64_t s : split) {
    if (s < 0 || s > dim)
      return emitError(loc)
             << "Split size " << s << " does not fit dimension " << dim;
    sum += s;
  }
  if (static_cast<int64_t>(split.size()) != parts || sum != dim)
    return emitError(loc) << "Split sizes " << shapeString(split)
                          << " do not cover dimension " << dim << " with "
                          << parts << " outputs";
  int64_t offset = 0;
  for (int64_t i = 0; i < parts; ++i) {
    SmallVector<int64_t> offsets(rank, 0), sizes(x->getShape()), steps(rank, 1);
    offsets[axis] = offset;
    sizes[axis] = split[i];
    offset += split[i];
    auto r = create(nn::SliceOp::getOperationName(), loc, {values[n.input(0)]},
                    {named("offsets", i64s(offsets)),
                     named("sizes", i64s(sizes)), named("steps", i64s(steps))});
    if (failed(r))
      return failure();
    setOutput(n, i, *r);
  }
  return success();
}

LogicalResult Importer::importSlice(const ox::NodeProto &n, Location loc) {
  auto x = inputType(n, 0, loc);
  if (failed(x))
    return failure();
  int64_t rank = x->getRank();
  std::vector<int64_t> starts, ends, axes, steps;
  if (opset < 10) {
    starts = attrInts(n, "starts");
    ends = attrInts(n, "ends");
    axes = attrInts(n, "axes");
  } else {
    const ConstTensor *c;
    if (failed(constantInput(n, 1, loc, c)))
      return failure();
    starts = c->ints();
    if (failed(constantInput(n, 2, loc, c)))
      return failure();
    ends = c->ints();
    if (has(n, 3)) {
      if (failed(constantInput(n, 3, loc, c)))
        return failure();
      axes = c->ints();
    }
    if (has(n, 4)) {
      if (failed(constantInput(n, 4, loc, c)))
        return failure();
      steps = c->ints();
    }
  }
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back(i);
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size())
    return emitError(loc) << "Slice starts, ends, axes and steps differ in "
                             "length";
  SmallVector<int64_t> offsets(rank, 0), sizes(x->getShape()), strides(rank, 1);
  std::set<int64_t> seen;
  for (size_t i = 0; i < starts.size(); ++i) {
    int64_t axis = axes[i] < 0 ? axes[i] + rank : axes[i];
    if (axis < 0 || axis >= rank || !seen.insert(axis).second)
      return emitError(loc)
             << "Slice axis " << axes[i] << " out of range or repeated";
    int64_t step = steps[i], dim = x->getDimSize(axis);
    if (step == 0)
      return emitError(loc) << "Slice step 0";
    // A step of at least the dimension takes one element at most: clamping
    // it changes nothing and keeps the arithmetic below from overflowing.
    step = std::clamp<int64_t>(step, -dim, dim);
    // ONNX: negative starts/ends count from the end; then starts clamp to
    // [0, dim] ([0, dim-1] going backwards) and ends to [0, dim] ([-1,
    // dim-1] going backwards). INT64 extremes must not overflow.
    auto wrap = [dim](int64_t v) { return v < 0 ? v + dim : v; };
    int64_t s = wrap(starts[i]), e = wrap(ends[i]), size;
    if (step > 0) {
      s = std::clamp<int64_t>(s, 0, dim);
      e = std::clamp<int64_t>(e, 0, dim);
      size = e > s ? (e - s + step - 1) / step : 0;
    } else {
      s = std::clamp<int64_t>(s, 0, dim - 1);
      e = std::clamp<int64_t>(e, -1, dim - 1);
      size = s > e ? (s - e - step - 1) / -step : 0;
    }
    offsets[axis] = s;
    strides[axis] = size <= 1 ? 1 : step;
    sizes[axis] = size;
  }
  if (const ConstTensor *c = constant(n, 0);
      c && isIntegerType(c->dtype) && rank == 1) { // shape arithmetic
    std::vector<int64_t> v, all = c->ints();
    for (int64_t i = 0; i < sizes[0]; ++i)
      v.push_back(all[offsets[0] + i * strides[0]]);
    consts[n.output(0)] = ConstTensor::fromInts(v, {sizes[0]});
    return success();
  }
  auto r = create(nn::SliceOp::getOperationName(), loc, {values[n.input(0)]},
                  {named("offsets", i64s(offsets)), named("sizes", i64s(sizes)),
                   named("steps", i64s(strides))});
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

LogicalResult Importer::importGather(const ox::NodeProto &n, Location loc) {
  const ConstTensor *data = constant(n, 0), *indices = constant(n, 1);
  std::vector<int64_t> dataShape;
  if (data) {
    dataShape = data->shape;
  } else {
    auto x = inputType(n, 0, loc);
    if (failed(x))
      return failure();
    dataShape.assign(x->getShape().begin(), x->getShape().end());
  }
  int64_t rank = dataShape.size(), axis = attrInt(n, "axis", 0);
  if (rank == 0)
    return emitError(loc) << "Gather of a scalar";
  if (axis < -rank || axis >= rank)
    return emitError(loc) << "Gather axis " << axis << " out of range for rank "
                          << rank;
  if (axis < 0)
    axis += rank;
  int64_t dim = dataShape[axis];
  if (indices) {
    if (!isIntegerType(indices->dtype) ||
        indices->dtype == ox::TensorProto::BOOL)
      return emitError(loc) << "Gather indices must be integers";
    for (int64_t i : indices->ints())
      if (i < -dim || i >= dim)
        return emitError(loc) << "Gather index " << i << " out of range for "
                              << "dimension " << dim;
  }
  if (data && indices) { // evaluated here (shape arithmetic and the like)
    size_t es = elementSize(data->dtype);
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < axis; ++d)
      outer *= dataShape[d];
    for (int64_t d = axis + 1; d < rank; ++d)
      inner *= dataShape[d];
    std::vector<int64_t> idx = indices->ints();
    if (exceeds({outer, static_cast<int64_t>(idx.size()), inner,
                 static_cast<int64_t>(es)},
                options.maxTensorBytes))
      return emitError(loc) << "Gather result is too large";
    ConstTensor t;
    t.dtype = data->dtype;
    t.shape.assign(dataShape.begin(), dataShape.begin() + axis);
    t.shape.insert(t.shape.end(), indices->shape.begin(), indices->shape.end());
    t.shape.insert(t.shape.end(), dataShape.begin() + axis + 1,
                   dataShape.end());
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i : idx) {
        int64_t at = ((o * dim) + (i < 0 ? i + dim : i)) * inner * es;
        t.bytes.append(data->bytes, at, inner * es);
      }
    consts[n.output(0)] = std::move(t);
    return success();
  }
  auto x = input(n, 0, loc);
  auto i = input(n, 1, loc);
  if (failed(x) || failed(i))
    return failure();
  Type it = cast<RankedTensorType>(i->getType()).getElementType();
  if (!it.isInteger(32) && !it.isInteger(64))
    return unsupported(n, loc, "indices that are not int32 or int64");
  auto r = create(nn::GatherOp::getOperationName(), loc, {*x, *i},
                  {named("axis", builder.getI64IntegerAttr(axis))});
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

LogicalResult Importer::importGatherElements(const ox::NodeProto &n,
                                             Location loc) {
  auto x = input(n, 0, loc);
  if (failed(x))
    return failure();
  auto i = input(n, 1, loc);
  if (failed(i))
    return failure();
  auto idxType = cast<RankedTensorType>(i->getType());
  if (!idxType.getElementType().isInteger(32) &&
      !idxType.getElementType().isInteger(64))
    return unsupported(n, loc, "indices that are not int32 or int64");
  auto xType = cast<RankedTensorType>(x->getType());
  int64_t rank = xType.getRank(), axis = attrInt(n, "axis", 0);
  if (rank == 0 || axis < -rank || axis >= rank)
    return emitError(loc) << "GatherElements axis " << axis
                          << " out of range for rank " << rank;
  if (axis < 0)
    axis += rank;
  if (const ConstTensor *c = constant(n, 1)) {
    int64_t dim = xType.getDimSize(axis);
    for (int64_t v : c->ints())
      if (v < -dim || v >= dim)
        return emitError(loc) << "GatherElements index " << v
                              << " out of range for dimension " << dim;
  }
  auto r = create(nn::GatherElementsOp::getOperationName(), loc, {*x, *i},
                  {named("axis", builder.getI64IntegerAttr(axis))});
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

LogicalResult Importer::importExpand(const ox::NodeProto &n, Location loc) {
  const ConstTensor *c;
  if (failed(constantInput(n, 1, loc, c)))
    return failure();
  auto x = input(n, 0, loc);
  if (failed(x))
    return failure();
  std::vector<int64_t> shape = c->ints();
  for (int64_t d : shape)
    if (d == 0)
      return unsupported(n, loc,
                         "a 0 in the shape gives a tensor with no "
                         "elements");
  for (int64_t d : shape)
    if (d < 0)
      return emitError(loc) << "Expand shape " << shapeString(shape)
                            << " has a negative dimension";
  auto result = nn::broadcastShapes(
      cast<RankedTensorType>(x->getType()).getShape(), shape);
  if (succeeded(result) && exceeds(*result, options.maxTensorBytes))
    return emitError(loc) << "Expand to " << shapeString(shape)
                          << " is too large";
  auto r = create(nn::ExpandOp::getOperationName(), loc, {*x},
                  {named("shape", i64s(shape))});
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

/// Tile as a broadcast: d0 x d1 ... is reshaped to 1 x d0 x 1 x d1 ...,
/// expanded to r0 x d0 x r1 x d1 ... and collapsed to r0*d0 x r1*d1 ...
LogicalResult Importer::importTile(const ox::NodeProto &n, Location loc) {
  auto x = inputType(n, 0, loc);
  if (failed(x))
    return failure();
  const ConstTensor *c;
  if (failed(constantInput(n, 1, loc, c)))
    return failure();
  std::vector<int64_t> repeats = c->ints();
  int64_t rank = x->getRank();
  if (static_cast<int64_t>(repeats.size()) != rank)
    return emitError(loc) << "Tile needs " << rank << " repeats, got "
                          << repeats.size();
  std::vector<int64_t> split, expanded, result;
  for (int64_t d = 0; d < rank; ++d) {
    if (repeats[d] < 0)
      return emitError(loc) << "Tile repeat " << repeats[d] << " is negative";
    if (repeats[d] == 0)
      return unsupported(n, loc,
                         "a repeat of 0 gives a tensor with no "
                         "elements");
    if (exceeds({repeats[d], x->getNumElements()}, options.maxTensorBytes))
      return emitError(loc) << "Tile result is too large";
    split.insert(split.end(), {1, x->getDimSize(d)});
    expanded.insert(expanded.end(), {repeats[d], x->getDimSize(d)});
    result.push_back(repeats[d] * x->getDimSize(d));
  }
  Value v = values[n.input(0)];
  if (exceeds(result, options.maxTensorBytes))
    return emitError(loc) << "Tile result is too large";
  if (result !=
      std::vector<int64_t>(x->getShape().begin(), x->getShape().end())) {
    auto s = reshapeTo(v, split, loc);
    if (failed(s))
      return failure();
    auto e = create(nn::ExpandOp::getOperationName(), loc, {*s},
                    {named("shape", i64s(expanded))});
    if (failed(e))
      return failure();
    auto r = reshapeTo(*e, result, loc);
    if (failed(r))
      return failure();
    v = *r;
  }
  setOutput(n, 0, v);
  return success();
}

LogicalResult Importer::importSqueeze(const ox::NodeProto &n, Location loc) {
  bool unsqueeze = n.op_type() == "Unsqueeze";
  std::vector<int64_t> axes;
  if (opset < 13) {
    axes = attrInts(n, "axes");
  } else if (has(n, 1)) {
    const ConstTensor *c;
    if (failed(constantInput(n, 1, loc, c)))
      return failure();
    axes = c->ints();
  }
  std::vector<int64_t> inShape;
  const ConstTensor *c = constant(n, 0);
  if (c) {
    inShape = c->shape;
  } else {
    auto x = inputType(n, 0, loc);
    if (failed(x))
      return failure();
    inShape.assign(x->getShape().begin(), x->getShape().end());
  }
  int64_t outRank = inShape.size() + (unsqueeze ? axes.size() : 0);
  int64_t rank = unsqueeze ? outRank : inShape.size();
  std::set<int64_t> axisSet;
  for (int64_t a : axes) {
    int64_t norm = a < 0 ? a + rank : a;
    if (norm < 0 || norm >= rank || !axisSet.insert(norm).second)
      return emitError(loc)
             << n.op_type() << " axis " << a << " is out of range or repeated";
  }
  std::vector<int64_t> shape;
  if (unsqueeze) {
    for (int64_t d = 0, src = 0; d < outRank; ++d)
      shape.push_back(axisSet.count(d) ? 1 : inShape[src++]);
  } else {
    for (int64_t d = 0; d < rank; ++d) {
      bool drop = axisSet.empty() ? inShape[d] == 1 : axisSet.count(d) > 0;
      if (drop && inShape[d] != 1)
        return emitError(loc)
               << "Squeeze of dimension " << d << " of size " << inShape[d];
      if (!drop)
        shape.push_back(inShape[d]);
    }
  }
  return reshapeOutput(n, shape, loc);
}

/// Trilu keeps one triangle of the last two dims: with static shapes the
/// mask is a compile-time constant, and the op is `where(mask, x, 0)`.
LogicalResult Importer::importTrilu(const ox::NodeProto &n, Location loc) {
  auto x = inputType(n, 0, loc);
  if (failed(x))
    return failure();
  if (x->getRank() < 2)
    return unsupported(n, loc, "the input needs rank >= 2");
  int64_t k = 0;
  if (has(n, 1)) {
    const ConstTensor *kt;
    if (failed(constantInput(n, 1, loc, kt)))
      return failure();
    if (kt->numElements() != 1)
      return unsupported(n, loc, "k must be a scalar");
    k = kt->intAt(0);
  }
  bool upper = attrInt(n, "upper", 1) != 0;
  int64_t rows = x->getDimSize(x->getRank() - 2),
          cols = x->getDimSize(x->getRank() - 1);
  ConstTensor mask;
  mask.dtype = ox::TensorProto::BOOL;
  mask.shape = {rows, cols};
  mask.bytes.resize(rows * cols);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      mask.bytes[i * cols + j] = upper ? j - i >= k : j - i <= k;
  ConstTensor zero;
  zero.dtype = onnxType(n, 0);
  if (!elementSize(zero.dtype))
    return unsupported(n, loc, "its data type");
  zero.bytes.assign(elementSize(zero.dtype), '\0');
  auto m = materialize(mask, loc), z = materialize(zero, loc);
  if (failed(m) || failed(z))
    return failure();
  auto r = create(nn::WhereOp::getOperationName(), loc,
                  {*m, values[n.input(0)], *z}, {});
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

llvm::ArrayRef<OpHandler> Importer::dataMovementOps() {
  static const OpHandler table[] = {
      {"Concat", &Importer::importConcat},
      {"Reshape", &Importer::importReshape},
      {"Flatten", &Importer::importFlatten},
      {"Transpose", &Importer::importTranspose},
      {"Pad", &Importer::importPad},
      {"Split", &Importer::importSplit},
      {"Slice", &Importer::importSlice},
      {"Gather", &Importer::importGather},
      {"GatherElements", &Importer::importGatherElements},
      {"Trilu", &Importer::importTrilu},
      {"Expand", &Importer::importExpand},
      {"Tile", &Importer::importTile},
      {"Squeeze", &Importer::importSqueeze},
      {"Unsqueeze", &Importer::importSqueeze},
  };
  return table;
}

} // namespace kiln::onnx
