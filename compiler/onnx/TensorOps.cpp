//===- TensorOps.cpp - ONNX import: tensor-level ops ---===//
//
// Tensor-level ops: Constant, Identity/Dropout, Shape, Cast.
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
    if (failed(refuseExtraOutputs(n, 1, loc)))
      return failure();
    if (const ConstTensor *t = constant(n, 2); t && t->intAt(0) != 0)
      return unsupported(n, loc, "training_mode=true");
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
  int32_t to = attrInt(n, "to", 0);
  if (const ConstTensor *c = constant(n, 0)) {
    if (!elementSize(to))
      return unsupported(n, loc, "cast to data type " + llvm::Twine(to));
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
        put(c->intAt(i));
        break;
      case ox::TensorProto::INT32:
        put(static_cast<int32_t>(c->intAt(i)));
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
  if (*target != x->getElementType())
    return unsupported(n, loc, "casts of run-time tensors are not supported");
  setOutput(n, 0, nn::IdentityOp::create(builder, loc, values[n.input(0)]));
  return success();
}

llvm::ArrayRef<OpHandler> Importer::tensorOps() {
  static const OpHandler table[] = {
      {"Constant", &Importer::importConstant},
      {"Identity", &Importer::importIdentity},
      {"Dropout", &Importer::importIdentity},
      {"Shape", &Importer::importShape},
      {"Cast", &Importer::importCast},
  };
  return table;
}

} // namespace kiln::onnx
