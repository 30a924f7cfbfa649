//===- DataMovementOps.cpp - ONNX import: data movement ---===//
//
// Data movement: Concat, Reshape, Flatten, Transpose, Pad, Split, Slice,
// Gather, Squeeze/Unsqueeze.
//
//===----------------------------------------------------------------------===//

#include "compiler/onnx/ImporterImpl.h"

#include "llvm/ADT/StringSwitch.h"

#include <cmath>
#include <limits>

using namespace mlir;
namespace ox = ::onnx;

namespace kiln::onnx {

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
    if (d < 1)
      return emitError(loc) << "Reshape: invalid dimension " << d;
    known *= d;
    shape.push_back(d);
  }
  int64_t total = x->getNumElements();
  if (inferAt >= 0) {
    if (known == 0 || total % known)
      return emitError(loc) << "cannot reshape " << shapeString(x->getShape())
                            << " to " << shapeString(request);
    shape[inferAt] = total / known;
  }
  if (const ConstTensor *c = constant(n, 0)) { // shape arithmetic
    ConstTensor t = *c;
    t.shape = shape;
    if (t.numElements() != c->numElements())
      return emitError(loc) << "cannot reshape " << shapeString(c->shape)
                            << " to " << shapeString(shape);
    consts[n.output(0)] = t;
    return success();
  }
  auto r = reshapeTo(values[n.input(0)], shape, loc);
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
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
  std::string mode = attrString(n, "mode", "constant");
  if (mode != "constant")
    return unsupported(n, loc, "mode '" + mode + "' (only 'constant')");
  std::vector<int64_t> pads;
  float value = 0;
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
      value = static_cast<float>(v->floatAt(0));
    }
  }
  for (int64_t p : pads)
    if (p < 0)
      return unsupported(n, loc, "negative pads (cropping)");
  auto r = create(nn::PadOp::getOperationName(), loc, {values[n.input(0)]},
                  {named("pads", i64s(pads)),
                   named("value", builder.getF32FloatAttr(value))});
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
  for (int64_t s : split)
    sum += s;
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
  for (size_t i = 0; i < starts.size(); ++i) {
    int64_t axis = axes[i] < 0 ? axes[i] + rank : axes[i];
    if (axis < 0 || axis >= rank)
      return emitError(loc) << "Slice axis " << axes[i] << " out of range";
    if (steps[i] < 1)
      return unsupported(n, loc, "non-positive steps");
    int64_t dim = x->getDimSize(axis);
    auto clampIndex = [dim](int64_t v) {
      if (v < 0)
        v += dim;
      return std::clamp<int64_t>(v, 0, dim);
    };
    int64_t s = clampIndex(starts[i]), e = clampIndex(ends[i]);
    if (e <= s)
      return unsupported(n, loc, "empty slices");
    offsets[axis] = s;
    strides[axis] = steps[i];
    sizes[axis] = (e - s + steps[i] - 1) / steps[i];
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
  if (!data || !indices || !isIntegerType(data->dtype) ||
      data->shape.size() != 1)
    return unsupported(n, loc,
                       "only Gather on constant 1-D integer data "
                       "(shape arithmetic) is supported");
  int64_t size = data->shape[0];
  std::vector<int64_t> v, all = data->ints();
  for (int64_t i : indices->ints()) {
    if (i < -size || i >= size)
      return emitError(loc) << "Gather index " << i << " out of range";
    v.push_back(all[i < 0 ? i + size : i]);
  }
  consts[n.output(0)] = ConstTensor::fromInts(v, indices->shape);
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
  if (c) {
    ConstTensor t = *c;
    t.shape = shape;
    consts[n.output(0)] = t;
    return success();
  }
  auto r = reshapeTo(values[n.input(0)], shape, loc);
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
      {"Squeeze", &Importer::importSqueeze},
      {"Unsqueeze", &Importer::importSqueeze},
  };
  return table;
}

} // namespace kiln::onnx
