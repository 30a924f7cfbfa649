//===- NormalizationOps.cpp - ONNX import: normalisation ---===//
//
// Normalisation: BatchNormalization (inference), Softmax, LogSoftmax,
// InstanceNormalization, LRN.
//
//===----------------------------------------------------------------------===//

#include "compiler/onnx/ImporterImpl.h"

#include "llvm/ADT/StringSwitch.h"

#include <cmath>
#include <limits>

using namespace mlir;
namespace ox = ::onnx;

namespace kiln::onnx {

LogicalResult Importer::importBatchNorm(const ox::NodeProto &n, Location loc) {
  if (opset < 9 && attrInt(n, "spatial", 1) != 1)
    return unsupported(n, loc, "spatial=0");
  if (attrInt(n, "training_mode", 0) != 0)
    return unsupported(n, loc, "training_mode=1");
  if (failed(refuseExtraOutputs(n, 1, loc)))
    return failure();
  SmallVector<Value> operands;
  for (int i = 0; i < 5; ++i) {
    auto v = input(n, i, loc);
    if (failed(v))
      return failure();
    operands.push_back(*v);
  }
  auto r =
      create(nn::BatchNormOp::getOperationName(), loc, operands,
             {named("epsilon",
                    builder.getF32FloatAttr(attrFloat(n, "epsilon", 1e-5f)))});
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
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

llvm::ArrayRef<OpHandler> Importer::normalizationOps() {
  static const OpHandler table[] = {
      {"BatchNormalization", &Importer::importBatchNorm},
      {"Softmax", &Importer::importSoftmax},
      {"LogSoftmax", &Importer::importSoftmax},
      {"InstanceNormalization", &Importer::importInstanceNorm},
      {"LRN", &Importer::importLRN},
  };
  return table;
}

} // namespace kiln::onnx
