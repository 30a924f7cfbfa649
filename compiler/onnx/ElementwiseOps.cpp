//===- ElementwiseOps.cpp - ONNX import: elementwise ops ---===//
//
// Elementwise ops: arithmetic with broadcasting, activations, Clip, unary
// math, Max/Min/Sum/Mean, Pow, PRelu, comparisons, logic and Where.
//
//===----------------------------------------------------------------------===//

#include "compiler/onnx/ImporterImpl.h"

#include "llvm/ADT/StringSwitch.h"

#include <cmath>
#include <limits>

using namespace mlir;
namespace ox = ::onnx;

namespace kiln::onnx {

LogicalResult Importer::foldBinary(const ox::NodeProto &n, Location loc,
                                   const ConstTensor &a, const ConstTensor &b) {
  auto shape = nn::broadcastShapes(a.shape, b.shape);
  if (failed(shape))
    return emitError(loc) << "shapes " << shapeString(a.shape) << " and "
                          << shapeString(b.shape) << " do not broadcast";
  std::vector<int64_t> out(shape->begin(), shape->end());
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
    return idx;
  };
  const std::string &op = n.op_type();
  bool compare = op != "Add" && op != "Sub" && op != "Mul" && op != "Div";
  // Comparisons give bool; arithmetic keeps the operands' dtype.
  auto apply = [&](ConstTensor &result, int64_t i, auto x, auto y) {
    if (!compare)
      result.set(i, op == "Add"   ? x + y
                    : op == "Sub" ? x - y
                    : op == "Mul" ? x * y
                                  : x / y);
    else
      result.set(i, op == "Equal"         ? x == y
                    : op == "Less"        ? x < y
                    : op == "LessOrEqual" ? x <= y
                    : op == "Greater"     ? x > y
                                          : x >= y);
  };
  ConstTensor result =
      ConstTensor::zeros(compare ? ox::TensorProto::BOOL : a.dtype, out);
  for (int64_t i = 0, e = result.numElements(); i < e; ++i) {
    int64_t ia = at(a, i), ib = at(b, i);
    if (!isIntegerType(a.dtype)) {
      // One float operation in double, rounded once to float: the same
      // value as float arithmetic, so folding changes no result.
      apply(result, i, a.floatAt(ia), b.floatAt(ib));
      continue;
    }
    int64_t x = a.intAt(ia), y = b.intAt(ib);
    if (op == "Div" && y == 0)
      return emitError(loc) << "integer division by zero";
    if (compare) {
      apply(result, i, x, y);
      continue;
    }
    // Integer arithmetic wraps, as it does at run time (two's complement),
    // rather than overflowing into undefined behaviour in the compiler.
    uint64_t ux = uint64_t(x), uy = uint64_t(y);
    result.set(i, op == "Add"   ? int64_t(ux + uy)
                  : op == "Sub" ? int64_t(ux - uy)
                  : op == "Mul" ? int64_t(ux * uy)
                  : x == std::numeric_limits<int64_t>::min() && y == -1
                      ? x
                      : x / y);
  }
  consts[n.output(0)] = std::move(result);
  return success();
}

LogicalResult Importer::importBinary(const ox::NodeProto &n, Location loc) {
  const ConstTensor *ca = constant(n, 0), *cb = constant(n, 1);
  if (ca && cb && ca->dtype == cb->dtype)
    return foldBinary(n, loc, *ca, *cb);
  auto a = input(n, 0, loc), b = input(n, 1, loc);
  if (failed(a) || failed(b))
    return failure();
  bool narrow = false;
  if (n.op_type() == "Div" &&
      cast<RankedTensorType>(a->getType()).getElementType().isInteger(8)) {
    // Divide in i32: UINT8 needs an unsigned quotient, and INT8's
    // -128 / -1 does not overflow there.
    auto isUnsigned = hasUnsignedData(n, loc);
    if (failed(isUnsigned))
      return failure();
    a = widenI8(*a, *isUnsigned, loc);
    b = widenI8(*b, *isUnsigned, loc);
    narrow = true;
  }
  llvm::StringRef name = llvm::StringSwitch<llvm::StringRef>(n.op_type())
                             .Case("Add", nn::AddOp::getOperationName())
                             .Case("Sub", nn::SubOp::getOperationName())
                             .Case("Mul", nn::MulOp::getOperationName())
                             .Default(nn::DivOp::getOperationName());
  auto r = create(name, loc, {*a, *b}, {});
  if (failed(r))
    return failure();
  setOutput(n, 0, narrow ? narrowToI8(*r, loc) : *r);
  return success();
}

FailureOr<bool> Importer::hasUnsignedData(const ox::NodeProto &n,
                                          Location loc) {
  int32_t known = ox::TensorProto::UNDEFINED;
  for (int i = 0; i < n.input_size() && !known; ++i)
    if (has(n, i))
      known = onnxType(n, i);
  if (!known && n.output_size() > 0) {
    auto it = onnxTypes.find(n.output(0));
    if (it != onnxTypes.end())
      known = it->second;
  }
  if (!known) {
    auto v = has(n, 0) ? values.find(n.input(0)) : values.end();
    if (v == values.end() || cast<RankedTensorType>(v->second.getType())
                                 .getElementType()
                                 .isInteger(8))
      return unsupported(n, loc,
                         "8-bit inputs whose ONNX type (INT8 or UINT8) is "
                         "unknown");
    return false;
  }
  if (n.output_size() > 0)
    onnxTypes.emplace(n.output(0), known);
  return isUnsignedType(known);
}

Value Importer::widenI8(Value v, bool isUnsigned, Location loc) {
  auto type = cast<RankedTensorType>(v.getType());
  return nn::CastOp::create(builder, loc, type.clone(builder.getI32Type()), v,
                            isUnsigned, /*unsigned_result=*/false);
}

Value Importer::narrowToI8(Value v, Location loc) {
  auto type = cast<RankedTensorType>(v.getType());
  return nn::CastOp::create(builder, loc, type.clone(builder.getI8Type()), v,
                            /*unsigned_input=*/false,
                            /*unsigned_result=*/false);
}

bool Importer::foldFloatUnary(const ox::NodeProto &n, double (*f)(double)) {
  const ConstTensor *c = constant(n, 0);
  if (!c || isIntegerType(c->dtype))
    return false;
  ConstTensor result = ConstTensor::zeros(c->dtype, c->shape);
  for (int64_t i = 0, e = c->numElements(); i < e; ++i)
    result.set(i, f(c->floatAt(i)));
  consts[n.output(0)] = std::move(result);
  return true;
}

LogicalResult Importer::importUnary(const ox::NodeProto &n, Location loc) {
  if (n.op_type() == "Relu" &&
      foldFloatUnary(n, [](double x) { return x < 0 ? 0.0 : x; }))
    return success();
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
  Type et = x->getElementType();
  if (isa<IntegerType>(et))
    return importIntClip(n, loc, *x);
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

FailureOr<SmallVector<NamedAttribute, 1>>
Importer::orderAttrs(const ox::NodeProto &n, Location loc, Type et) {
  SmallVector<NamedAttribute, 1> attrs;
  if (!isa<IntegerType>(et))
    return attrs;
  auto isUnsigned = hasUnsignedData(n, loc);
  if (failed(isUnsigned))
    return failure();
  if (*isUnsigned)
    attrs.push_back(named("is_unsigned", builder.getBoolAttr(true)));
  return attrs;
}

/// Integer Clip (opset 11 and up) as nn.max / nn.min with the bounds, which
/// stay exact at any width and may be computed at run time; integers order
/// by their ONNX signedness.
LogicalResult Importer::importIntClip(const ox::NodeProto &n, Location loc,
                                      RankedTensorType x) {
  Type et = x.getElementType();
  if (et.isInteger(1))
    return unsupported(n, loc, "boolean inputs");
  auto order = orderAttrs(n, loc, et);
  if (failed(order))
    return failure();
  Value v = values[n.input(0)];
  for (int i : {1, 2}) {
    if (!has(n, i))
      continue;
    auto bound = input(n, i, loc);
    if (failed(bound))
      return failure();
    auto bt = cast<RankedTensorType>(bound->getType());
    if (bt.getElementType() != et)
      return emitError(loc) << "Clip bound " << i
                            << " has another element type than the input";
    if (bt.getRank() > x.getRank() || !bt.hasStaticShape() ||
        bt.getNumElements() != 1)
      return emitError(loc) << "Clip bounds must be scalars";
    auto r = create(i == 1 ? nn::MaxOp::getOperationName()
                           : nn::MinOp::getOperationName(),
                    loc, {v, *bound}, *order);
    if (failed(r))
      return failure();
    v = *r;
  }
  if (v == values[n.input(0)])
    v = nn::IdentityOp::create(builder, loc, v);
  setOutput(n, 0, v);
  return success();
}

/// Integer element types whose signedness Kiln knows: ONNX INT8 and UINT8
/// both arrive as i8, so ops that order or negate integers refuse i8 (the
/// wider unsigned types reach only the handlers that ask; see importNode).
static bool hasKnownSign(Type et) {
  return !isa<IntegerType>(et) || et.isInteger(32) || et.isInteger(64);
}

LogicalResult Importer::importMath(const ox::NodeProto &n, Location loc) {
  // The exact ones are folded: they turn up in shape and trip-count
  // arithmetic (Range's function body computes its trip count with Ceil).
  using Exact = double (*)(double);
  Exact exact = llvm::StringSwitch<Exact>(n.op_type())
                    .Case("Abs", [](double x) { return std::fabs(x); })
                    .Case("Neg", [](double x) { return -x; })
                    .Case("Ceil", [](double x) { return std::ceil(x); })
                    .Case("Floor", [](double x) { return std::floor(x); })
                    .Default(nullptr);
  if (exact && foldFloatUnary(n, exact))
    return success();
  auto x = inputType(n, 0, loc);
  if (failed(x))
    return failure();
  if (!isa<FloatType>(x->getElementType()))
    return unsupported(n, loc, "only floating-point inputs are supported");
  Value v = values[n.input(0)];
  const std::string &op = n.op_type();
  auto f32 = [&](llvm::StringRef name, float dflt) {
    return builder.getF32FloatAttr(attrFloat(n, name, dflt));
  };
  Value r;
  if (op == "Elu")
    r = nn::EluOp::create(builder, loc, v, f32("alpha", 1.0f));
  else if (op == "Celu") {
    if (attrFloat(n, "alpha", 1.0f) == 0.0f)
      return unsupported(n, loc, "alpha = 0");
    r = nn::CeluOp::create(builder, loc, v, f32("alpha", 1.0f));
  } else if (op == "Selu")
    r = nn::SeluOp::create(builder, loc, v,
                           f32("alpha", 1.67326319217681884765625f),
                           f32("gamma", 1.05070102214813232421875f));
  else if (op == "ThresholdedRelu")
    r = nn::ThresholdedReluOp::create(builder, loc, v, f32("alpha", 1.0f));
  else if (op == "Shrink") {
    if (attrFloat(n, "lambd", 0.5f) < 0)
      return unsupported(n, loc, "a negative lambd");
    r = nn::ShrinkOp::create(builder, loc, v, f32("lambd", 0.5f),
                             f32("bias", 0.0f));
  } else if (op == "IsNaN")
    r = nn::IsNaNOp::create(builder, loc, v);
  else if (op == "IsInf")
    r = nn::IsInfOp::create(
        builder, loc, v,
        builder.getBoolAttr(attrInt(n, "detect_positive", 1) != 0),
        builder.getBoolAttr(attrInt(n, "detect_negative", 1) != 0));
  else {
    llvm::StringRef name =
        llvm::StringSwitch<llvm::StringRef>(op)
            .Case("Abs", nn::AbsOp::getOperationName())
            .Case("Neg", nn::NegOp::getOperationName())
            .Case("Ceil", nn::CeilOp::getOperationName())
            .Case("Floor", nn::FloorOp::getOperationName())
            .Case("Round", nn::RoundOp::getOperationName())
            .Case("Exp", nn::ExpOp::getOperationName())
            .Case("Log", nn::LogOp::getOperationName())
            .Case("Sqrt", nn::SqrtOp::getOperationName())
            .Case("Reciprocal", nn::ReciprocalOp::getOperationName())
            .Case("Erf", nn::ErfOp::getOperationName())
            .Case("Tanh", nn::TanhOp::getOperationName())
            .Case("Sign", nn::SignOp::getOperationName())
            .Case("Softplus", nn::SoftplusOp::getOperationName())
            .Case("Softsign", nn::SoftsignOp::getOperationName())
            .Case("Sin", nn::SinOp::getOperationName())
            .Case("Cos", nn::CosOp::getOperationName())
            .Case("Tan", nn::TanOp::getOperationName())
            .Case("Asin", nn::AsinOp::getOperationName())
            .Case("Acos", nn::AcosOp::getOperationName())
            .Case("Atan", nn::AtanOp::getOperationName())
            .Case("Sinh", nn::SinhOp::getOperationName())
            .Case("Cosh", nn::CoshOp::getOperationName())
            .Case("Asinh", nn::AsinhOp::getOperationName())
            .Case("Acosh", nn::AcoshOp::getOperationName())
            .Default(nn::AtanhOp::getOperationName());
    OperationState state(loc, name);
    state.addOperands(v);
    state.addTypes(v.getType());
    r = builder.create(state)->getResult(0);
  }
  setOutput(n, 0, r);
  return success();
}

LogicalResult Importer::importVariadic(const ox::NodeProto &n, Location loc) {
  const std::string &op = n.op_type();
  SmallVector<Value> operands;
  for (int i = 0; i < n.input_size(); ++i) {
    auto v = input(n, i, loc);
    if (failed(v))
      return failure();
    operands.push_back(*v);
  }
  if (operands.empty())
    return unsupported(n, loc, "no inputs");
  Type et = cast<RankedTensorType>(operands[0].getType()).getElementType();
  if ((op == "Sum" || op == "Mean") && !isa<FloatType>(et))
    return unsupported(n, loc, "only floating-point inputs are supported");
  if (et.isInteger(1))
    return unsupported(n, loc, "boolean inputs");
  auto attrs = orderAttrs(n, loc, et);
  if (failed(attrs))
    return failure();
  llvm::StringRef name = llvm::StringSwitch<llvm::StringRef>(op)
                             .Case("Max", nn::MaxOp::getOperationName())
                             .Case("Min", nn::MinOp::getOperationName())
                             .Default(nn::AddOp::getOperationName());
  Value acc = operands[0];
  for (Value v : llvm::drop_begin(operands)) {
    auto r = create(name, loc, {acc, v}, *attrs);
    if (failed(r))
      return failure();
    acc = *r;
  }
  if (op == "Mean" && operands.size() > 1) {
    Value c = floatScalar(et, static_cast<double>(operands.size()), loc);
    auto r = create(nn::DivOp::getOperationName(), loc, {acc, c}, {});
    if (failed(r))
      return failure();
    acc = *r;
  }
  if (operands.size() == 1)
    acc = nn::IdentityOp::create(builder, loc, acc);
  setOutput(n, 0, acc);
  return success();
}

LogicalResult Importer::importPow(const ox::NodeProto &n, Location loc) {
  auto x = inputType(n, 0, loc), y = inputType(n, 1, loc);
  if (failed(x) || failed(y))
    return failure();
  Type xt = x->getElementType(), yt = y->getElementType();
  if (!hasKnownSign(xt) || xt.isInteger(1))
    return unsupported(n, loc,
                       "the base must be floating point, int32 or int64");
  int32_t exponentType = onnxType(n, 1);
  bool unsignedExponent = isUnsignedType(exponentType);
  if (!(hasKnownSign(yt) || exponentType == ox::TensorProto::INT8 ||
        unsignedExponent) ||
      yt.isInteger(1) || (isa<FloatType>(xt) && isa<FloatType>(yt) && xt != yt))
    return unsupported(n, loc,
                       "the exponent must be an integer of known ONNX type or "
                       "floating point (the base's type for a floating-point "
                       "base)");
  auto r = create(
      nn::PowOp::getOperationName(), loc,
      {values[n.input(0)], values[n.input(1)]},
      {named("unsigned_exponent", builder.getBoolAttr(unsignedExponent))});
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

LogicalResult Importer::importMod(const ox::NodeProto &n, Location loc) {
  auto x = inputType(n, 0, loc), y = inputType(n, 1, loc);
  if (failed(x) || failed(y))
    return failure();
  Type et = x->getElementType();
  bool fmod = attrInt(n, "fmod", 0) != 0;
  if (isa<FloatType>(et))
    return unsupported(n, loc,
                       "floating-point Mod (an exact fmod would need libm)");
  if (!et.isInteger(8) && !et.isInteger(32) && !et.isInteger(64))
    return unsupported(n, loc,
                       "only int8, uint8, int32 and int64 inputs are "
                       "supported");
  Value a = values[n.input(0)], b = values[n.input(1)];
  // i8 works in i32 (the remainder's magnitude stays below the divisor's).
  bool wide = et.isInteger(8);
  if (wide) {
    auto isUnsigned = hasUnsignedData(n, loc);
    if (failed(isUnsigned))
      return failure();
    a = widenI8(a, *isUnsigned, loc);
    b = widenI8(b, *isUnsigned, loc);
  }
  auto r = create(nn::ModOp::getOperationName(), loc, {a, b},
                  {named("fmod", builder.getBoolAttr(fmod))});
  if (failed(r))
    return failure();
  setOutput(n, 0, wide ? narrowToI8(*r, loc) : *r);
  return success();
}

LogicalResult Importer::importPRelu(const ox::NodeProto &n, Location loc) {
  auto x = inputType(n, 0, loc), slope = inputType(n, 1, loc);
  if (failed(x) || failed(slope))
    return failure();
  if (!isa<FloatType>(x->getElementType()))
    return unsupported(n, loc, "only floating-point inputs are supported");
  Value slopeValue = values[n.input(1)];
  // Before opset 7, a 1-D slope of C values is per channel (dimension 1),
  // as PyTorch exported PReLU(num_parameters=C); the version converter
  // keeps it as it is. Reshape it to Cx1x...x1 for numpy broadcasting.
  if (sourceOpset < 7 && slope->getRank() == 1 && x->getRank() >= 2 &&
      slope->getDimSize(0) == x->getDimSize(1) &&
      failed(nn::broadcastShapes(x->getShape(), slope->getShape()))) {
    SmallVector<int64_t> perChannel(x->getRank() - 1, 1);
    perChannel[0] = slope->getDimSize(0);
    auto reshaped = reshapeTo(slopeValue, perChannel, loc);
    if (failed(reshaped))
      return failure();
    slopeValue = *reshaped;
  }
  auto r = create(nn::PReluOp::getOperationName(), loc,
                  {values[n.input(0)], slopeValue}, {});
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

LogicalResult Importer::importCompare(const ox::NodeProto &n, Location loc) {
  const ConstTensor *ca = constant(n, 0), *cb = constant(n, 1);
  if (ca && cb && ca->dtype == cb->dtype)
    return foldBinary(n, loc, *ca, *cb);
  auto a = inputType(n, 0, loc), b = inputType(n, 1, loc);
  if (failed(a) || failed(b))
    return failure();
  const std::string &op = n.op_type();
  Type et = a->getElementType();
  if (op != "Equal" && (!hasKnownSign(et) || et.isInteger(1)))
    return unsupported(n, loc,
                       "8-bit and boolean inputs are not supported (i8 does "
                       "not tell INT8 from UINT8)");
  llvm::StringRef name =
      llvm::StringSwitch<llvm::StringRef>(op)
          .Case("Equal", nn::EqualOp::getOperationName())
          .Case("Greater", nn::GreaterOp::getOperationName())
          .Case("GreaterOrEqual", nn::GreaterEqualOp::getOperationName())
          .Case("Less", nn::LessOp::getOperationName())
          .Default(nn::LessEqualOp::getOperationName());
  auto r = create(name, loc, {values[n.input(0)], values[n.input(1)]}, {});
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

LogicalResult Importer::importLogical(const ox::NodeProto &n, Location loc) {
  const std::string &op = n.op_type();
  int arity = op == "Not" ? 1 : 2;
  for (int i = 0; i < arity; ++i) {
    auto t = inputType(n, i, loc);
    if (failed(t))
      return failure();
    if (!t->getElementType().isInteger(1))
      return unsupported(n, loc, "inputs must be boolean");
  }
  Value a = values[n.input(0)];
  if (op == "Not") {
    setOutput(n, 0, nn::NotOp::create(builder, loc, a));
    return success();
  }
  llvm::StringRef name = llvm::StringSwitch<llvm::StringRef>(op)
                             .Case("And", nn::AndOp::getOperationName())
                             .Case("Or", nn::OrOp::getOperationName())
                             .Default(nn::XorOp::getOperationName());
  auto r = create(name, loc, {a, values[n.input(1)]}, {});
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

LogicalResult Importer::importWhere(const ox::NodeProto &n, Location loc) {
  auto c = inputType(n, 0, loc), x = inputType(n, 1, loc),
       y = inputType(n, 2, loc);
  if (failed(c) || failed(x) || failed(y))
    return failure();
  if (!c->getElementType().isInteger(1))
    return unsupported(n, loc, "the condition must be boolean");
  auto r =
      create(nn::WhereOp::getOperationName(), loc,
             {values[n.input(0)], values[n.input(1)], values[n.input(2)]}, {});
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
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
      {"Abs", &Importer::importMath},
      {"Neg", &Importer::importMath},
      {"Ceil", &Importer::importMath},
      {"Floor", &Importer::importMath},
      {"Round", &Importer::importMath},
      {"Exp", &Importer::importMath},
      {"Log", &Importer::importMath},
      {"Sqrt", &Importer::importMath},
      {"Reciprocal", &Importer::importMath},
      {"Erf", &Importer::importMath},
      {"Tanh", &Importer::importMath},
      {"Sign", &Importer::importMath},
      {"Softplus", &Importer::importMath},
      {"Softsign", &Importer::importMath},
      {"Sin", &Importer::importMath},
      {"Cos", &Importer::importMath},
      {"Tan", &Importer::importMath},
      {"Asin", &Importer::importMath},
      {"Acos", &Importer::importMath},
      {"Atan", &Importer::importMath},
      {"Sinh", &Importer::importMath},
      {"Cosh", &Importer::importMath},
      {"Asinh", &Importer::importMath},
      {"Acosh", &Importer::importMath},
      {"Atanh", &Importer::importMath},
      {"Elu", &Importer::importMath},
      {"Celu", &Importer::importMath},
      {"Selu", &Importer::importMath},
      {"ThresholdedRelu", &Importer::importMath},
      {"Shrink", &Importer::importMath},
      {"IsNaN", &Importer::importMath},
      {"IsInf", &Importer::importMath},
      {"Max", &Importer::importVariadic},
      {"Min", &Importer::importVariadic},
      {"Sum", &Importer::importVariadic},
      {"Mean", &Importer::importVariadic},
      {"Pow", &Importer::importPow},
      {"Mod", &Importer::importMod},
      {"PRelu", &Importer::importPRelu},
      {"Equal", &Importer::importCompare},
      {"Greater", &Importer::importCompare},
      {"GreaterOrEqual", &Importer::importCompare},
      {"Less", &Importer::importCompare},
      {"LessOrEqual", &Importer::importCompare},
      {"And", &Importer::importLogical},
      {"Or", &Importer::importLogical},
      {"Xor", &Importer::importLogical},
      {"Not", &Importer::importLogical},
      {"Where", &Importer::importWhere},
  };
  return table;
}

} // namespace kiln::onnx
