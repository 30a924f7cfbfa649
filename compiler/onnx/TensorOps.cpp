//===- TensorOps.cpp - ONNX import: tensor-level ops ---===//
//
// Tensor-level ops: Constant, Identity/Dropout, Shape, Cast, and the ops
// whose result is known at compile time: Size, ConstantOfShape, Range,
// EyeLike, NonZero (on a constant).
//
//===----------------------------------------------------------------------===//

#include "compiler/onnx/ImporterImpl.h"

#include "llvm/ADT/StringSwitch.h"

#include <cmath>
#include <limits>

using namespace mlir;
namespace ox = ::onnx;

namespace kiln::onnx {

LogicalResult Importer::importConstant(const ox::NodeProto &n, Location loc) {
  if (n.attribute_size() != 1)
    return emitError(loc) << "Constant node '" << nodeName(n)
                          << "' needs exactly one value attribute";
  const ox::AttributeProto &a = n.attribute(0);
  ConstTensor c;
  if (a.name() == "value") {
    auto t = readTensor(a.t(), loc);
    if (failed(t))
      return failure();
    c = std::move(*t);
  } else if (a.name() == "value_float" || a.name() == "value_floats") {
    std::vector<float> v;
    if (a.name() == "value_float")
      v.push_back(a.f());
    else
      v.assign(a.floats().begin(), a.floats().end());
    c.dtype = ox::TensorProto::FLOAT;
    if (a.name() == "value_floats")
      c.shape = {static_cast<int64_t>(v.size())};
    c.bytes.assign(reinterpret_cast<const char *>(v.data()), v.size() * 4);
  } else if (a.name() == "value_int") {
    c = ConstTensor::fromInts({a.i()}, {});
  } else if (a.name() == "value_ints") {
    std::vector<int64_t> v(a.ints().begin(), a.ints().end());
    c = ConstTensor::fromInts(v, {static_cast<int64_t>(v.size())});
  } else {
    return unsupported(n, loc, "attribute '" + a.name() + "'");
  }
  consts[n.output(0)] = std::move(c);
  return success();
}

LogicalResult Importer::importIdentity(const ox::NodeProto &n, Location loc) {
  if (n.op_type() == "Dropout") {
    // Inference: the output is the input; the mask (opset 10 on: bool) is
    // all true. training_mode (opset 12 on) must be a constant: false, or
    // true with a constant ratio of 0.
    if (opset >= 12 && has(n, 2)) {
      const ConstTensor *t;
      if (failed(constantInput(n, 2, loc, t)))
        return failure();
      if (t->numElements() != 1)
        return emitError(loc) << "Dropout training_mode must be a scalar";
      // Training with ratio 0 drops nothing: still the identity.
      if (t->intAt(0) != 0) {
        const ConstTensor *r = nullptr;
        if (has(n, 1) && failed(constantInput(n, 1, loc, r)))
          return failure();
        if (!r || r->numElements() != 1 || r->floatAt(0) != 0)
          return unsupported(n, loc,
                             "training_mode=true with a non-zero ratio "
                             "(random dropout)");
      }
    }
    if (opset < 10 && failed(refuseExtraOutputs(n, 1, loc)))
      return failure();
    if (opset >= 10 && consumed(n, 1)) {
      std::vector<int64_t> shape;
      if (const ConstTensor *c = constant(n, 0)) {
        shape = c->shape;
      } else {
        auto x = inputType(n, 0, loc);
        if (failed(x))
          return failure();
        shape.assign(x->getShape().begin(), x->getShape().end());
      }
      ConstTensor mask;
      mask.dtype = ox::TensorProto::BOOL;
      mask.shape = shape;
      mask.bytes.assign(mask.numElements(), '\1');
      consts[n.output(1)] = std::move(mask);
    }
  }
  if (const ConstTensor *c = constant(n, 0)) {
    consts[n.output(0)] = *c;
    return success();
  }
  auto x = input(n, 0, loc);
  if (failed(x))
    return failure();
  setOutput(n, 0, nn::IdentityOp::create(builder, loc, *x));
  return success();
}

LogicalResult Importer::importShape(const ox::NodeProto &n, Location loc) {
  std::vector<int64_t> shape;
  if (const ConstTensor *c = constant(n, 0)) {
    shape = c->shape;
  } else {
    auto x = inputType(n, 0, loc);
    if (failed(x))
      return failure();
    shape.assign(x->getShape().begin(), x->getShape().end());
  }
  int64_t rank = shape.size();
  int64_t start = attrInt(n, "start", 0), end = attrInt(n, "end", rank);
  start = std::clamp<int64_t>(start < 0 ? start + rank : start, 0, rank);
  end = std::clamp<int64_t>(end < 0 ? end + rank : end, 0, rank);
  std::vector<int64_t> v;
  for (int64_t i = start; i < end; ++i)
    v.push_back(shape[i]);
  consts[n.output(0)] = ConstTensor::fromInts(v, {int64_t(v.size())});
  return success();
}

LogicalResult Importer::importCast(const ox::NodeProto &n, Location loc) {
  // CastLike takes the target type from its second input.
  int32_t to = n.op_type() == "CastLike" ? onnxType(n, 1) : attrInt(n, "to", 0);
  auto isHalf = [](int32_t t) {
    return t == ox::TensorProto::FLOAT16 || t == ox::TensorProto::BFLOAT16;
  };
  if (!elementSize(to))
    return unsupported(
        n, loc,
        "cast to " + (ox::TensorProto::DataType_IsValid(to)
                          ? ox::TensorProto::DataType_Name(
                                static_cast<ox::TensorProto::DataType>(to))
                          : "data type " + std::to_string(to)));
  // Constants fold here; 16-bit floats round in nn.cast's one conversion.
  const ConstTensor *c = constant(n, 0);
  if (c && !isHalf(to) && !isHalf(c->dtype)) {
    ConstTensor t;
    t.dtype = to;
    t.shape = c->shape;
    size_t es = elementSize(to);
    t.bytes.resize(c->numElements() * es);
    for (int64_t i = 0; i < c->numElements(); ++i) {
      char *dst = t.bytes.data() + i * es;
      auto put = [&](auto v) { std::memcpy(dst, &v, sizeof(v)); };
      switch (to) {
      case ox::TensorProto::FLOAT:
        put(static_cast<float>(c->floatAt(i)));
        break;
      case ox::TensorProto::DOUBLE:
        put(c->floatAt(i));
        break;
      case ox::TensorProto::INT64:
      case ox::TensorProto::UINT64:
        put(c->intAt(i));
        break;
      case ox::TensorProto::INT32:
      case ox::TensorProto::UINT32:
        put(static_cast<int32_t>(c->intAt(i)));
        break;
      case ox::TensorProto::INT16:
      case ox::TensorProto::UINT16:
        put(static_cast<int16_t>(c->intAt(i)));
        break;
      case ox::TensorProto::BOOL:
        put(static_cast<uint8_t>(c->floatAt(i) != 0));
        break;
      default:
        put(static_cast<int8_t>(c->intAt(i)));
        break;
      }
    }
    consts[n.output(0)] = std::move(t);
    return success();
  }
  auto x = inputType(n, 0, loc);
  if (failed(x))
    return failure();
  auto target = elementType(to, loc);
  if (failed(target))
    return failure();
  bool fromUnsigned = isUnsignedType(onnxType(n, 0)),
       toUnsigned = isUnsignedType(to);
  if (*target == x->getElementType() && fromUnsigned == toUnsigned) {
    setOutput(n, 0, nn::IdentityOp::create(builder, loc, values[n.input(0)]));
    return success();
  }
  auto cast = nn::CastOp::create(builder, loc,
                                 RankedTensorType::get(x->getShape(), *target),
                                 values[n.input(0)], fromUnsigned, toUnsigned);
  setOutput(n, 0, cast.getResult());
  return success();
}

LogicalResult Importer::importSize(const ox::NodeProto &n, Location loc) {
  int64_t size;
  if (const ConstTensor *c = constant(n, 0)) {
    size = c->numElements();
  } else {
    auto x = inputType(n, 0, loc);
    if (failed(x))
      return failure();
    size = x->getNumElements();
  }
  consts[n.output(0)] = ConstTensor::fromInts({size}, {});
  return success();
}

LogicalResult Importer::importConstantOfShape(const ox::NodeProto &n,
                                              Location loc) {
  const ConstTensor *c;
  if (failed(constantInput(n, 0, loc, c)))
    return failure();
  std::vector<int64_t> shape = c->ints();
  int64_t count = 1;
  for (int64_t d : shape) {
    if (d < 0)
      return emitError(loc)
             << "ConstantOfShape dimension " << d << " is negative";
    if (d && count > static_cast<int64_t>(options.maxTensorBytes) / d)
      return emitError(loc) << "ConstantOfShape result is too large";
    count *= d;
  }
  ConstTensor value = ConstTensor::zeros(ox::TensorProto::FLOAT, {1});
  if (const auto *a = attr(n, "value")) {
    auto t = readTensor(a->t(), loc);
    if (failed(t))
      return failure();
    if (t->numElements() != 1)
      return emitError(loc) << "ConstantOfShape value must hold one element";
    value = std::move(*t);
  }
  size_t es = elementSize(value.dtype);
  if (count * es > options.maxTensorBytes)
    return emitError(loc) << "ConstantOfShape result is too large";
  ConstTensor t;
  t.dtype = value.dtype;
  t.shape = shape;
  t.bytes.reserve(count * es);
  for (int64_t i = 0; i < count; ++i)
    t.bytes.append(value.bytes, 0, es);
  consts[n.output(0)] = std::move(t);
  return success();
}

LogicalResult Importer::importRange(const ox::NodeProto &n, Location loc) {
  const ConstTensor *start, *limit, *delta;
  if (failed(constantInput(n, 0, loc, start)) ||
      failed(constantInput(n, 1, loc, limit)) ||
      failed(constantInput(n, 2, loc, delta)))
    return failure();
  if (start->numElements() != 1 || limit->numElements() != 1 ||
      delta->numElements() != 1)
    return emitError(loc) << "Range start, limit and delta must be scalars";
  int32_t dtype = start->dtype;
  int64_t count;
  bool isFloat =
      dtype == ox::TensorProto::FLOAT || dtype == ox::TensorProto::DOUBLE;
  if (isFloat) {
    double s = start->floatAt(0), l = limit->floatAt(0), d = delta->floatAt(0);
    if (d == 0 || !std::isfinite(s) || !std::isfinite(l) || !std::isfinite(d))
      return emitError(loc) << "Range needs a finite, non-zero delta";
    double steps = dtype == ox::TensorProto::FLOAT
                       ? std::ceil(static_cast<float>(
                             static_cast<float>(l - s) / static_cast<float>(d)))
                       : std::ceil((l - s) / d);
    if (steps > static_cast<double>(options.maxTensorBytes / 8))
      return emitError(loc) << "Range result is too large";
    count = std::max<int64_t>(0, static_cast<int64_t>(steps));
  } else if (dtype == ox::TensorProto::INT64 ||
             dtype == ox::TensorProto::INT32) {
    int64_t s = start->intAt(0), l = limit->intAt(0), d = delta->intAt(0);
    if (d == 0)
      return emitError(loc) << "Range needs a non-zero delta";
    // ceil((l - s) / d) without overflow for in-range int32/int64 operands.
    __int128 diff = static_cast<__int128>(l) - s;
    __int128 q = diff / d;
    if ((diff % d != 0) && ((diff > 0) == (d > 0)))
      ++q;
    if (q > static_cast<__int128>(options.maxTensorBytes / 8))
      return emitError(loc) << "Range result is too large";
    count = std::max<int64_t>(0, static_cast<int64_t>(q));
  } else {
    return unsupported(n, loc, "data type " + llvm::Twine(dtype));
  }
  if (count == 0)
    return unsupported(n, loc,
                       "an empty range gives a tensor with no "
                       "elements");
  ConstTensor t = ConstTensor::zeros(dtype, {count});
  for (int64_t i = 0; i < count; ++i) {
    if (dtype == ox::TensorProto::FLOAT)
      t.set(i,
            static_cast<float>(start->floatAt(0)) +
                static_cast<float>(i) * static_cast<float>(delta->floatAt(0)));
    else if (dtype == ox::TensorProto::DOUBLE)
      t.set(i, start->floatAt(0) + i * delta->floatAt(0));
    else
      t.set(i, start->intAt(0) + i * delta->intAt(0));
  }
  consts[n.output(0)] = std::move(t);
  return success();
}

LogicalResult Importer::importEyeLike(const ox::NodeProto &n, Location loc) {
  std::vector<int64_t> shape;
  int32_t dtype;
  if (const ConstTensor *c = constant(n, 0)) {
    shape = c->shape;
    dtype = c->dtype;
  } else {
    auto x = inputType(n, 0, loc);
    if (failed(x))
      return failure();
    shape.assign(x->getShape().begin(), x->getShape().end());
    dtype = 0;
    for (const auto &in : {ox::TensorProto::FLOAT, ox::TensorProto::DOUBLE,
                           ox::TensorProto::INT64, ox::TensorProto::INT32,
                           ox::TensorProto::BOOL})
      if (auto et = elementType(in, loc);
          succeeded(et) && *et == x->getElementType())
        dtype = in;
  }
  dtype = attrInt(n, "dtype", dtype);
  if (!elementSize(dtype))
    return unsupported(n, loc, "data type " + llvm::Twine(dtype));
  if (shape.size() != 2)
    return emitError(loc) << "EyeLike needs a 2-D input, got "
                          << shapeString(shape);
  int64_t k = attrInt(n, "k", 0);
  ConstTensor t = ConstTensor::zeros(dtype, shape);
  for (int64_t i = 0; i < shape[0]; ++i)
    if (i + k >= 0 && i + k < shape[1])
      t.set(i * shape[1] + i + k, 1);
  consts[n.output(0)] = std::move(t);
  return success();
}

LogicalResult Importer::importNonZero(const ox::NodeProto &n, Location loc) {
  const ConstTensor *c;
  if (failed(constantInput(n, 0, loc, c)))
    return failure();
  int64_t rank = c->shape.size(), count = c->numElements();
  std::vector<int64_t> hits;
  for (int64_t i = 0; i < count; ++i)
    if (c->floatAt(i) != 0)
      hits.push_back(i);
  if (hits.empty())
    return unsupported(n, loc,
                       "no non-zero element gives a tensor with no "
                       "elements");
  int64_t nnz = hits.size(), r = std::max<int64_t>(rank, 1);
  std::vector<int64_t> out(r * nnz, 0);
  for (int64_t j = 0; j < nnz; ++j) {
    int64_t flat = hits[j];
    for (int64_t d = rank - 1; d >= 0; --d) {
      out[d * nnz + j] = flat % c->shape[d];
      flat /= c->shape[d];
    }
  }
  if (rank == 0) // ONNX: a scalar gives a 1 x nnz tensor of zeros
    std::fill(out.begin(), out.end(), 0);
  consts[n.output(0)] = ConstTensor::fromInts(out, {r, nnz});
  return success();
}

llvm::ArrayRef<OpHandler> Importer::tensorOps() {
  static const OpHandler table[] = {
      {"Constant", &Importer::importConstant},
      {"Identity", &Importer::importIdentity},
      {"Dropout", &Importer::importIdentity},
      {"Shape", &Importer::importShape},
      {"Cast", &Importer::importCast},
      {"CastLike", &Importer::importCast},
      {"Size", &Importer::importSize},
      {"ConstantOfShape", &Importer::importConstantOfShape},
      {"Range", &Importer::importRange},
      {"EyeLike", &Importer::importEyeLike},
      {"NonZero", &Importer::importNonZero},
  };
  return table;
}

} // namespace kiln::onnx
