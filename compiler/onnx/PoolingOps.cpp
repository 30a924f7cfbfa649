//===- PoolingOps.cpp - ONNX import: pooling and reductions ---===//
//
// Pooling and reductions: MaxPool, AveragePool, GlobalAveragePool, ReduceMean.
//
//===----------------------------------------------------------------------===//

#include "compiler/onnx/ImporterImpl.h"

#include "llvm/ADT/StringSwitch.h"

#include <cmath>
#include <limits>

using namespace mlir;
namespace ox = ::onnx;

namespace kiln::onnx {

LogicalResult Importer::importPool(const ox::NodeProto &n, Location loc) {
  bool isMax = n.op_type() == "MaxPool";
  auto x = inputType(n, 0, loc);
  if (failed(x))
    return failure();
  if (isMax && failed(refuseExtraOutputs(n, 1, loc)))
    return failure();
  if (isMax && attrInt(n, "storage_order", 0) != 0)
    return unsupported(n, loc, "storage_order=1");
  auto kernel = attrInts(n, "kernel_shape");
  if (kernel.size() != 2 || x->getRank() != 4)
    return unsupported(n, loc, "only 2-D pooling is supported");
  auto strides = attrInts(n, "strides", {1, 1});
  auto dilations = attrInts(n, "dilations", {1, 1});
  std::vector<int64_t> pads;
  if (failed(windowPads(n, loc, *x, kernel, strides, dilations, pads)))
    return failure();
  SmallVector<NamedAttribute> attrs = {
      named("kernel_shape", i64s(kernel)), named("strides", i64s(strides)),
      named("pads", i64s(pads)),
      named("ceil_mode", builder.getBoolAttr(attrInt(n, "ceil_mode", 0)))};
  if (isMax)
    attrs.push_back(named("dilations", i64s(dilations)));
  else
    attrs.push_back(
        named("count_include_pad",
              builder.getBoolAttr(attrInt(n, "count_include_pad", 0))));
  auto r = create(isMax ? nn::MaxPoolOp::getOperationName()
                        : nn::AvgPoolOp::getOperationName(),
                  loc, {values[n.input(0)]}, attrs);
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

LogicalResult Importer::importGlobalAveragePool(const ox::NodeProto &n,
                                                Location loc) {
  auto x = input(n, 0, loc);
  if (failed(x))
    return failure();
  auto r = create(nn::GlobalAvgPoolOp::getOperationName(), loc, {*x}, {});
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

LogicalResult Importer::importReduceMean(const ox::NodeProto &n, Location loc) {
  auto x = inputType(n, 0, loc);
  if (failed(x))
    return failure();
  int64_t rank = x->getRank();
  std::vector<int64_t> axes = attrInts(n, "axes");
  if (axes.empty()) // no axes: reduce everything
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  for (int64_t &a : axes) {
    if (a < -rank || a >= rank)
      return emitError(loc) << "ReduceMean axis " << a << " out of range";
    if (a < 0)
      a += rank;
  }
  std::sort(axes.begin(), axes.end());
  auto r = create(
      nn::ReduceMeanOp::getOperationName(), loc, {values[n.input(0)]},
      {named("axes", i64s(axes)),
       named("keepdims", builder.getBoolAttr(attrInt(n, "keepdims", 1)))});
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

llvm::ArrayRef<OpHandler> Importer::poolingOps() {
  static const OpHandler table[] = {
      {"MaxPool", &Importer::importPool},
      {"AveragePool", &Importer::importPool},
      {"GlobalAveragePool", &Importer::importGlobalAveragePool},
      {"ReduceMean", &Importer::importReduceMean},
  };
  return table;
}

} // namespace kiln::onnx
