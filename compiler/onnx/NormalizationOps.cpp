//===- NormalizationOps.cpp - ONNX import: normalisation ---===//
//
// Normalisation: BatchNormalization (inference and training mode), Softmax,
// LogSoftmax, InstanceNormalization, LRN.
//
//===----------------------------------------------------------------------===//

#include "compiler/onnx/ImporterImpl.h"

#include <algorithm>

#include "llvm/ADT/StringSwitch.h"

#include <cmath>
#include <limits>

using namespace mlir;
namespace ox = ::onnx;

namespace kiln::onnx {

LogicalResult Importer::importBatchNorm(const ox::NodeProto &n, Location loc) {
  if (opset < 9 && attrInt(n, "spatial", 1) != 1)
    return unsupported(n, loc, "spatial=0");
  bool training = attrInt(n, "training_mode", 0) != 0;
  if (failed(refuseExtraOutputs(n, training ? 3 : 1, loc)))
    return failure();
  SmallVector<Value> operands;
  for (int i = 0; i < 5; ++i) {
    auto v = input(n, i, loc);
    if (failed(v))
      return failure();
    operands.push_back(*v);
  }
  if (training)
    return importBatchNormTraining(n, loc, operands);
  auto r =
      create(nn::BatchNormOp::getOperationName(), loc, operands,
             {named("epsilon",
                    builder.getF32FloatAttr(attrFloat(n, "epsilon", 1e-5f)))});
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

// Training mode (opset 14+) normalises with the batch's own statistics: the
// mean and the biased variance over every axis but the channel axis 1. The
// optional outputs 1 and 2 are the updated running statistics,
// input * momentum + current * (1 - momentum).
LogicalResult Importer::importBatchNormTraining(const ox::NodeProto &n,
                                                Location loc,
                                                ArrayRef<Value> operands) {
  auto x = inputType(n, 0, loc);
  if (failed(x))
    return failure();
  if (!isa<FloatType>(x->getElementType()))
    return unsupported(n, loc, "a non-float input");
  int64_t rank = x->getRank();
  if (rank < 2)
    return unsupported(n, loc, "training_mode=1 with an input of rank < 2");
  if (!x->hasStaticShape())
    return unsupported(n, loc, "training_mode=1 with a dynamic input shape");
  for (int i = 1; i < 5; ++i) {
    auto t = inputType(n, i, loc);
    if (failed(t))
      return failure();
    if (t->getElementType() != x->getElementType())
      return unsupported(n, loc, "training_mode=1 with mixed element types");
  }
  int64_t channels = x->getDimSize(1);
  std::vector<int64_t> axes;
  for (int64_t d = 0; d < rank; ++d)
    if (d != 1)
      axes.push_back(d);
  auto reduceMean = [&](Value v) {
    return create(nn::ReduceMeanOp::getOperationName(), loc, {v},
                  {named("axes", i64s(axes)),
                   named("keepdims", builder.getBoolAttr(true))});
  };
  auto binary = [&](llvm::StringRef name, Value a, Value b) {
    return create(name, loc, {a, b}, {});
  };
  // Two passes: the mean, then the mean of the squared deviations.
  auto meanKept = reduceMean(operands[0]);
  if (failed(meanKept))
    return failure();
  auto dev = binary(nn::SubOp::getOperationName(), operands[0], *meanKept);
  if (failed(dev))
    return failure();
  auto sq = binary(nn::MulOp::getOperationName(), *dev, *dev);
  if (failed(sq))
    return failure();
  auto varKept = reduceMean(*sq);
  if (failed(varKept))
    return failure();
  auto mean = reshapeTo(*meanKept, {channels}, loc);
  if (failed(mean))
    return failure();
  auto var = reshapeTo(*varKept, {channels}, loc);
  if (failed(var))
    return failure();
  auto y =
      create(nn::BatchNormOp::getOperationName(), loc,
             {operands[0], operands[1], operands[2], *mean, *var},
             {named("epsilon",
                    builder.getF32FloatAttr(attrFloat(n, "epsilon", 1e-5f)))});
  if (failed(y))
    return failure();
  setOutput(n, 0, *y);

  float momentum = attrFloat(n, "momentum", 0.9f);
  Type et = x->getElementType();
  Value stats[2] = {*mean, *var};
  for (int i = 1; i <= 2; ++i) {
    if (!consumed(n, i))
      continue;
    auto kept = binary(nn::MulOp::getOperationName(), operands[2 + i],
                       floatScalar(et, momentum, loc));
    if (failed(kept))
      return failure();
    auto fresh =
        binary(nn::MulOp::getOperationName(), stats[i - 1],
               floatScalar(et, 1.0 - static_cast<double>(momentum), loc));
    if (failed(fresh))
      return failure();
    auto running = binary(nn::AddOp::getOperationName(), *kept, *fresh);
    if (failed(running))
      return failure();
    setOutput(n, i, *running);
  }
  return success();
}

LogicalResult Importer::importSoftmax(const ox::NodeProto &n, Location loc) {
  auto x = inputType(n, 0, loc);
  if (failed(x))
    return failure();
  if (!isa<FloatType>(x->getElementType()))
    return unsupported(n, loc, "a non-float input");
  if (x->getRank() == 0)
    return unsupported(n, loc, "a rank-0 input");
  int64_t rank = x->getRank();
  int64_t axis = attrInt(n, "axis", opset < 13 ? 1 : -1);
  if (axis < -rank || axis >= rank)
    return emitError(loc) << n.op_type() << " axis " << axis
                          << " out of range for rank " << rank;
  if (axis < 0)
    axis += rank;
  Value v = values[n.input(0)];
  // Before opset 13 Softmax normalises over all dims from `axis` on.
  bool coerce = opset < 13 && axis != rank - 1;
  if (coerce) {
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < rank; ++d)
      (d < axis ? outer : inner) *= x->getDimSize(d);
    auto flat = reshapeTo(v, {outer, inner}, loc);
    if (failed(flat))
      return failure();
    v = *flat;
    axis = 1;
  }
  auto r =
      create(n.op_type() == "LogSoftmax" ? nn::LogSoftmaxOp::getOperationName()
                                         : nn::SoftmaxOp::getOperationName(),
             loc, {v}, {named("axis", builder.getI64IntegerAttr(axis))});
  if (failed(r))
    return failure();
  Value out = *r;
  if (coerce) {
    auto back = reshapeTo(out, x->getShape(), loc);
    if (failed(back))
      return failure();
    out = *back;
  }
  setOutput(n, 0, out);
  return success();
}

LogicalResult Importer::importInstanceNorm(const ox::NodeProto &n,
                                           Location loc) {
  auto x = inputType(n, 0, loc);
  if (failed(x))
    return failure();
  if (!isa<FloatType>(x->getElementType()))
    return unsupported(n, loc, "a non-float input");
  SmallVector<Value> operands;
  for (int i = 0; i < 3; ++i) {
    auto v = input(n, i, loc);
    if (failed(v))
      return failure();
    operands.push_back(*v);
  }
  auto r =
      create(nn::InstanceNormOp::getOperationName(), loc, operands,
             {named("epsilon",
                    builder.getF32FloatAttr(attrFloat(n, "epsilon", 1e-5f)))});
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

LogicalResult Importer::importLRN(const ox::NodeProto &n, Location loc) {
  auto x = inputType(n, 0, loc);
  if (failed(x))
    return failure();
  if (!isa<FloatType>(x->getElementType()))
    return unsupported(n, loc, "a non-float input");
  if (!attr(n, "size"))
    return emitError(loc) << "LRN needs the size attribute";
  auto r = create(
      nn::LRNOp::getOperationName(), loc, {values[n.input(0)]},
      {named("size", builder.getI64IntegerAttr(attrInt(n, "size", 1))),
       named("alpha", builder.getF32FloatAttr(attrFloat(n, "alpha", 1e-4f))),
       named("beta", builder.getF32FloatAttr(attrFloat(n, "beta", 0.75f))),
       named("bias", builder.getF32FloatAttr(attrFloat(n, "bias", 1.0f)))});
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

/// MeanVarianceNormalization, as ONNX's function body defines it:
/// (X - E[X]) / (sqrt(E[X^2] - E[X]^2) + 1e-9) over `axes`.
LogicalResult Importer::importMVN(const ox::NodeProto &n, Location loc) {
  auto x = inputType(n, 0, loc);
  if (failed(x))
    return failure();
  if (!isa<FloatType>(x->getElementType()))
    return unsupported(n, loc, "a non-float input");
  int64_t rank = x->getRank();
  std::vector<int64_t> axes = attrInts(n, "axes", {0, 2, 3});
  for (int64_t &a : axes) {
    if (a < -rank || a >= rank)
      return unsupported(n, loc, "axis " + llvm::Twine(a) + " out of range");
    if (a < 0)
      a += rank;
  }
  std::sort(axes.begin(), axes.end());
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end())
    return unsupported(n, loc, "repeated axes");
  Value in = values[n.input(0)];
  auto mean = [&](Value v) {
    return create(nn::ReduceMeanOp::getOperationName(), loc, {v},
                  {named("axes", i64s(axes)),
                   named("keepdims", builder.getBoolAttr(true))});
  };
  auto binary = [&](llvm::StringRef name, Value a, Value b) {
    return create(name, loc, {a, b}, {});
  };
  Type et = x->getElementType();
  Value eps = floatScalar(et, 1e-9, loc);
  auto ex = mean(in);
  auto sq = binary(nn::MulOp::getOperationName(), in, in);
  if (failed(ex) || failed(sq))
    return failure();
  auto exSq = binary(nn::MulOp::getOperationName(), *ex, *ex);
  auto eSq = mean(*sq);
  if (failed(exSq) || failed(eSq))
    return failure();
  auto var = binary(nn::SubOp::getOperationName(), *eSq, *exSq);
  if (failed(var))
    return failure();
  auto sd = create(nn::SqrtOp::getOperationName(), loc, {*var}, {});
  if (failed(sd))
    return failure();
  auto denom = binary(nn::AddOp::getOperationName(), *sd, eps);
  auto centred = binary(nn::SubOp::getOperationName(), in, *ex);
  if (failed(denom) || failed(centred))
    return failure();
  auto r = binary(nn::DivOp::getOperationName(), *centred, *denom);
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

llvm::ArrayRef<OpHandler> Importer::normalizationOps() {
  static const OpHandler table[] = {
      {"BatchNormalization", &Importer::importBatchNorm},
      {"Softmax", &Importer::importSoftmax},
      {"LogSoftmax", &Importer::importSoftmax},
      {"InstanceNormalization", &Importer::importInstanceNorm},
      {"LRN", &Importer::importLRN},
      {"MeanVarianceNormalization", &Importer::importMVN},
  };
  return table;
}

} // namespace kiln::onnx
