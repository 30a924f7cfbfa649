//===- ConvOps.cpp - ONNX import: convolution and matrix products ---===//
//
// Convolution and matrix products: Conv, Gemm, MatMul.
//
//===----------------------------------------------------------------------===//

#include "compiler/onnx/ImporterImpl.h"

#include "llvm/ADT/StringSwitch.h"

#include <cmath>
#include <limits>

using namespace mlir;
namespace ox = ::onnx;

namespace kiln::onnx {

LogicalResult Importer::importConv(const ox::NodeProto &n, Location loc) {
  auto x = input(n, 0, loc), w = input(n, 1, loc);
  if (failed(x) || failed(w))
    return failure();
  auto xt = cast<RankedTensorType>(x->getType());
  auto wt = cast<RankedTensorType>(w->getType());
  if (wt.getRank() != 4 || xt.getRank() != 4)
    return unsupported(n, loc,
                       "only 2-D convolution is supported (filter " +
                           shapeString(wt.getShape()) + ")");
  auto kernel =
      attrInts(n, "kernel_shape", {wt.getDimSize(2), wt.getDimSize(3)});
  if (kernel != std::vector<int64_t>{wt.getDimSize(2), wt.getDimSize(3)})
    return emitError(loc) << "kernel_shape " << shapeString(kernel)
                          << " disagrees with the filter "
                          << shapeString(wt.getShape());
  auto strides = attrInts(n, "strides", {1, 1});
  auto dilations = attrInts(n, "dilations", {1, 1});
  std::vector<int64_t> pads;
  if (failed(windowPads(n, loc, xt, kernel, strides, dilations, pads)))
    return failure();
  SmallVector<Value> operands = {*x, *w};
  if (has(n, 2)) {
    auto b = input(n, 2, loc);
    if (failed(b))
      return failure();
    operands.push_back(*b);
  }
  auto r = create(
      nn::Conv2DOp::getOperationName(), loc, operands,
      {named("strides", i64s(strides)), named("pads", i64s(pads)),
       named("dilations", i64s(dilations)),
       named("group", builder.getI64IntegerAttr(attrInt(n, "group", 1)))});
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

LogicalResult Importer::importGemm(const ox::NodeProto &n, Location loc) {
  auto a = input(n, 0, loc), b = input(n, 1, loc);
  if (failed(a) || failed(b))
    return failure();
  SmallVector<Value> operands = {*a, *b};
  if (has(n, 2)) {
    auto c = input(n, 2, loc);
    if (failed(c))
      return failure();
    operands.push_back(*c);
  }
  auto r =
      create(nn::GemmOp::getOperationName(), loc, operands,
             {named("alpha", builder.getF32FloatAttr(attrFloat(n, "alpha", 1))),
              named("beta", builder.getF32FloatAttr(attrFloat(n, "beta", 1))),
              named("trans_a", builder.getBoolAttr(attrInt(n, "transA", 0))),
              named("trans_b", builder.getBoolAttr(attrInt(n, "transB", 0)))});
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

LogicalResult Importer::importMatMul(const ox::NodeProto &n, Location loc) {
  auto a = input(n, 0, loc), b = input(n, 1, loc);
  if (failed(a) || failed(b))
    return failure();
  auto r = create(nn::MatMulOp::getOperationName(), loc, {*a, *b}, {});
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

llvm::ArrayRef<OpHandler> Importer::convOps() {
  static const OpHandler table[] = {
      {"Conv", &Importer::importConv},
      {"Gemm", &Importer::importGemm},
      {"MatMul", &Importer::importMatMul},
  };
  return table;
}

} // namespace kiln::onnx
