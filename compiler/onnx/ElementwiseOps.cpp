//===- ElementwiseOps.cpp - ONNX import: elementwise ops ---===//
//
// Elementwise ops: arithmetic with broadcasting, activations, Clip.
//
//===----------------------------------------------------------------------===//

#include "compiler/onnx/ImporterImpl.h"

#include "llvm/ADT/StringSwitch.h"

#include <cmath>
#include <limits>

using namespace mlir;
namespace ox = ::onnx;

namespace kiln::onnx {

LogicalResult Importer::foldIntBinary(const ox::NodeProto &n, Location loc,
                                      const ConstTensor &a,
                                      const ConstTensor &b) {
  auto shape = nn::broadcastShapes(a.shape, b.shape);
  if (failed(shape))
    return emitError(loc) << "shapes " << shapeString(a.shape) << " and "
                          << shapeString(b.shape) << " do not broadcast";
  std::vector<int64_t> out(shape->begin(), shape->end());
  int64_t count = 1;
  for (int64_t d : out)
    count *= d;
  // Index into a broadcast operand: walk the result index backwards.
  auto at = [&](const ConstTensor &t, int64_t flat) {
    int64_t idx = 0, stride = 1;
    for (int64_t d = out.size() - 1, td = t.shape.size() - 1; d >= 0;
         --d, --td) {
      int64_t coord = flat % out[d];
      flat /= out[d];
      if (td >= 0) {
        if (t.shape[td] != 1)
          idx += coord * stride;
        stride *= t.shape[td];
      }
    }
    return t.intAt(idx);
  };
  std::vector<int64_t> result(count);
  const std::string &op = n.op_type();
  for (int64_t i = 0; i < count; ++i) {
    int64_t x = at(a, i), y = at(b, i);
    if (op == "Div" && y == 0)
      return emitError(loc) << "integer division by zero";
    result[i] = op == "Add"   ? x + y
                : op == "Sub" ? x - y
                : op == "Mul" ? x * y
                              : x / y;
  }
  consts[n.output(0)] = ConstTensor::fromInts(result, out);
  return success();
}

LogicalResult Importer::importBinary(const ox::NodeProto &n, Location loc) {
  const ConstTensor *ca = constant(n, 0), *cb = constant(n, 1);
  if (ca && cb && isIntegerType(ca->dtype) && isIntegerType(cb->dtype))
    return foldIntBinary(n, loc, *ca, *cb);
  auto a = input(n, 0, loc), b = input(n, 1, loc);
  if (failed(a) || failed(b))
    return failure();
  llvm::StringRef name = llvm::StringSwitch<llvm::StringRef>(n.op_type())
                             .Case("Add", nn::AddOp::getOperationName())
                             .Case("Sub", nn::SubOp::getOperationName())
                             .Case("Mul", nn::MulOp::getOperationName())
                             .Default(nn::DivOp::getOperationName());
  auto r = create(name, loc, {*a, *b}, {});
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

LogicalResult Importer::importUnary(const ox::NodeProto &n, Location loc) {
  auto x = inputType(n, 0, loc);
  if (failed(x))
    return failure();
  if (!isa<FloatType>(x->getElementType()))
    return unsupported(n, loc, "only floating-point inputs are supported");
  Value v = values[n.input(0)];
  const std::string &op = n.op_type();
  Value r;
  if (op == "Relu")
    r = nn::ReluOp::create(builder, loc, v);
  else if (op == "Sigmoid")
    r = nn::SigmoidOp::create(builder, loc, v);
  else if (op == "HardSwish")
    r = nn::HardSwishOp::create(builder, loc, v);
  else if (op == "HardSigmoid")
    r = nn::HardSigmoidOp::create(
        builder, loc, v, builder.getF32FloatAttr(attrFloat(n, "alpha", 0.2f)),
        builder.getF32FloatAttr(attrFloat(n, "beta", 0.5f)));
  else
    r = nn::LeakyReluOp::create(
        builder, loc, v, builder.getF32FloatAttr(attrFloat(n, "alpha", 0.01f)));
  setOutput(n, 0, r);
  return success();
}

LogicalResult Importer::importClip(const ox::NodeProto &n, Location loc) {
  auto x = inputType(n, 0, loc);
  if (failed(x))
    return failure();
  float lo = -std::numeric_limits<float>::infinity();
  float hi = std::numeric_limits<float>::infinity();
  if (opset < 11) {
    lo = attrFloat(n, "min", lo);
    hi = attrFloat(n, "max", hi);
  } else {
    for (int i : {1, 2}) {
      if (!has(n, i))
        continue;
      const ConstTensor *c;
      if (failed(constantInput(n, i, loc, c)))
        return failure();
      if (c->numElements() != 1)
        return emitError(loc) << "Clip bounds must be scalars";
      (i == 1 ? lo : hi) = static_cast<float>(c->floatAt(0));
    }
  }
  auto op = nn::ClipOp::create(builder, loc, values[n.input(0)],
                               builder.getF32FloatAttr(lo),
                               builder.getF32FloatAttr(hi));
  if (failed(op.verify()))
    return failure();
  setOutput(n, 0, op);
  return success();
}

llvm::ArrayRef<OpHandler> Importer::elementwiseOps() {
  static const OpHandler table[] = {
      {"Add", &Importer::importBinary},
      {"Sub", &Importer::importBinary},
      {"Mul", &Importer::importBinary},
      {"Div", &Importer::importBinary},
      {"Relu", &Importer::importUnary},
      {"Sigmoid", &Importer::importUnary},
      {"HardSwish", &Importer::importUnary},
      {"HardSigmoid", &Importer::importUnary},
      {"LeakyRelu", &Importer::importUnary},
      {"Clip", &Importer::importClip},
  };
  return table;
}

} // namespace kiln::onnx
