//===- PoolingOps.cpp - ONNX import: pooling ---===//
//
// Pooling: MaxPool, AveragePool, LpPool (1-D and up), GlobalAveragePool,
// GlobalMaxPool.
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
  bool isMax = n.op_type() == "MaxPool", isLp = n.op_type() == "LpPool";
  auto x = inputType(n, 0, loc);
  if (failed(x))
    return failure();
  Type et = x->getElementType();
  bool wide = false, isUnsigned = false;
  if (isa<IntegerType>(et) && (!isMax || et.isInteger(1)))
    return unsupported(n, loc, "a non-float input");
  if (et.isInteger(8)) {
    // Pool i8 in i32, where UINT8 and INT8 both order as signed.
    auto u = hasUnsignedData(n, loc);
    if (failed(u))
      return failure();
    wide = true;
    isUnsigned = *u;
  }
  Value input =
      wide ? widenI8(values[n.input(0)], isUnsigned, loc) : values[n.input(0)];
  bool withIndices = isMax && consumed(n, 1);
  // storage_order only changes the Indices output.
  int64_t spatial = x->getRank() - 2;
  auto kernel = attrInts(n, "kernel_shape");
  if (spatial < 1 || static_cast<int64_t>(kernel.size()) != spatial)
    return emitError(loc) << n.op_type() << " kernel_shape has "
                          << kernel.size() << " entries for an input of rank "
                          << x->getRank();
  std::vector<int64_t> ones(spatial, 1);
  auto strides = attrInts(n, "strides", ones);
  auto dilations = attrInts(n, "dilations", ones);
  if (!isMax && dilations != ones)
    return unsupported(n, loc, "dilations");
  if (isLp && attrInt(n, "ceil_mode", 0))
    return unsupported(n, loc, "ceil_mode");
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
  if (isLp) {
    int64_t p = attrInt(n, "p", 2);
    if (p < 1)
      return unsupported(n, loc, "p = " + llvm::Twine(p));
    auto r = create(nn::LpPoolOp::getOperationName(), loc, {values[n.input(0)]},
                    {named("kernel_shape", i64s(kernel)),
                     named("strides", i64s(strides)), named("pads", i64s(pads)),
                     named("p", builder.getI64IntegerAttr(p))});
    if (failed(r))
      return failure();
    setOutput(n, 0, *r);
    return success();
  }
  if (withIndices) {
    attrs.push_back(
        named("storage_order",
              builder.getBoolAttr(attrInt(n, "storage_order", 0) != 0)));
    auto r = create(nn::MaxPoolWithIndicesOp::getOperationName(), loc, {input},
                    attrs, /*numResults=*/2);
    if (failed(r))
      return failure();
    setOutput(n, 0, wide ? narrowToI8(*r, loc) : *r);
    setOutput(n, 1, r->getDefiningOp()->getResult(1));
    return success();
  }
  auto r = create(isMax ? nn::MaxPoolOp::getOperationName()
                        : nn::AvgPoolOp::getOperationName(),
                  loc, {input}, attrs);
  if (failed(r))
    return failure();
  setOutput(n, 0, wide ? narrowToI8(*r, loc) : *r);
  return success();
}

LogicalResult Importer::importGlobalPool(const ox::NodeProto &n, Location loc) {
  auto x = inputType(n, 0, loc);
  if (failed(x))
    return failure();
  if (!isa<FloatType>(x->getElementType()))
    return unsupported(n, loc, "a non-float input");
  if (x->getRank() < 3)
    return emitError(loc) << n.op_type()
                          << " expects an N x C x spatial... input";
  Value v = values[n.input(0)];
  FailureOr<Value> r;
  if (n.op_type() == "GlobalAveragePool") {
    r = create(nn::GlobalAvgPoolOp::getOperationName(), loc, {v}, {});
  } else {
    std::vector<int64_t> spatial;
    for (int64_t d = 2; d < x->getRank(); ++d)
      spatial.push_back(d);
    r = create(nn::ReduceOp::getOperationName(), loc, {v},
               {named("kind", builder.getStringAttr("max")),
                named("axes", i64s(spatial)),
                named("keepdims", builder.getBoolAttr(true))});
  }
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

llvm::ArrayRef<OpHandler> Importer::poolingOps() {
  static const OpHandler table[] = {
      {"MaxPool", &Importer::importPool},
      {"AveragePool", &Importer::importPool},
      {"LpPool", &Importer::importPool},
      {"GlobalAveragePool", &Importer::importGlobalPool},
      {"GlobalMaxPool", &Importer::importGlobalPool},
  };
  return table;
}

} // namespace kiln::onnx
