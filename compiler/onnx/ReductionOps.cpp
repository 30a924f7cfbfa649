//===- ReductionOps.cpp - ONNX import: reductions ------------------------===//
//
// ReduceSum/Mean/Max/Min/Prod/L1/L2/SumSquare/LogSum/LogSumExp, ArgMax,
// ArgMin and TopK.
//
//===----------------------------------------------------------------------===//

#include "compiler/onnx/ImporterImpl.h"

#include "llvm/ADT/StringSwitch.h"

#include <algorithm>

using namespace mlir;
namespace ox = ::onnx;

namespace kiln::onnx {

LogicalResult Importer::normaliseAxes(const ox::NodeProto &n, Location loc,
                                      int64_t rank,
                                      std::vector<int64_t> &axes) {
  for (int64_t &a : axes) {
    if (a < -rank || a >= rank)
      return emitError(loc) << n.op_type() << " axis " << a
                            << " out of range for rank " << rank;
    if (a < 0)
      a += rank;
  }
  std::sort(axes.begin(), axes.end());
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end())
    return emitError(loc) << n.op_type() << " axes repeat a dimension";
  return success();
}

LogicalResult Importer::refuseUnordered(const ox::NodeProto &n, Location loc,
                                        RankedTensorType type) {
  Type et = type.getElementType();
  if (et.isInteger(8) || et.isInteger(1))
    return unsupported(n, loc,
                       "8-bit and bool inputs (int8 and uint8 are not told "
                       "apart after import, so their order is unknown)");
  return success();
}

LogicalResult Importer::importReduce(const ox::NodeProto &n, Location loc) {
  auto x = inputType(n, 0, loc);
  if (failed(x))
    return failure();
  int64_t rank = x->getRank();
  StringRef kind = llvm::StringSwitch<StringRef>(n.op_type())
                       .Case("ReduceSum", "sum")
                       .Case("ReduceMean", "mean")
                       .Case("ReduceMax", "max")
                       .Case("ReduceMin", "min")
                       .Case("ReduceProd", "prod")
                       .Case("ReduceL1", "l1")
                       .Case("ReduceL2", "l2")
                       .Case("ReduceSumSquare", "sum_square")
                       .Case("ReduceLogSum", "log_sum")
                       .Case("ReduceLogSumExp", "log_sum_exp")
                       .Default("");
  Type et = x->getElementType();
  bool isFloat = isa<FloatType>(et);
  if (!isFloat && (kind == "mean" || kind == "l2" || kind == "log_sum" ||
                   kind == "log_sum_exp"))
    return unsupported(n, loc, "a non-float input");
  if (kind == "max" || kind == "min" || kind == "prod")
    if (failed(refuseUnordered(n, loc, *x)))
      return failure();
  if (!isFloat && et.isInteger(1))
    return unsupported(n, loc, "a bool input");

  // Axes: an attribute, or (ReduceSum from opset 13) the optional input 1.
  std::vector<int64_t> axes = attrInts(n, "axes");
  if (n.op_type() == "ReduceSum" && opset >= 13) {
    if (attr(n, "axes"))
      return emitError(loc) << "ReduceSum-13 takes axes as an input";
    axes.clear();
    if (has(n, 1)) {
      const ConstTensor *c;
      if (failed(constantInput(n, 1, loc, c)))
        return failure();
      axes = c->ints();
    }
  }
  Value v = values[n.input(0)];
  if (axes.empty()) {
    if (attrInt(n, "noop_with_empty_axes", 0)) {
      setOutput(n, 0, v);
      return success();
    }
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  }
  if (failed(normaliseAxes(n, loc, rank, axes)))
    return failure();
  if (rank == 0) // a scalar reduces to itself (after the elementwise part)
    return unsupported(n, loc, "a rank-0 input");
  bool keepdims = attrInt(n, "keepdims", 1) != 0;
  FailureOr<Value> r;
  if (kind == "mean")
    r = create(nn::ReduceMeanOp::getOperationName(), loc, {v},
               {named("axes", i64s(axes)),
                named("keepdims", builder.getBoolAttr(keepdims))});
  else
    r = create(nn::ReduceOp::getOperationName(), loc, {v},
               {named("kind", builder.getStringAttr(kind)),
                named("axes", i64s(axes)),
                named("keepdims", builder.getBoolAttr(keepdims))});
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

LogicalResult Importer::importArgReduce(const ox::NodeProto &n, Location loc) {
  auto x = inputType(n, 0, loc);
  if (failed(x))
    return failure();
  if (failed(refuseUnordered(n, loc, *x)))
    return failure();
  int64_t rank = x->getRank();
  if (rank == 0)
    return unsupported(n, loc, "a rank-0 input");
  std::vector<int64_t> axis = {attrInt(n, "axis", 0)};
  if (failed(normaliseAxes(n, loc, rank, axis)))
    return failure();
  auto r =
      create(n.op_type() == "ArgMax" ? nn::ArgMaxOp::getOperationName()
                                     : nn::ArgMinOp::getOperationName(),
             loc, {values[n.input(0)]},
             {named("axis", builder.getI64IntegerAttr(axis[0])),
              named("keepdims", builder.getBoolAttr(attrInt(n, "keepdims", 1))),
              named("select_last_index",
                    builder.getBoolAttr(attrInt(n, "select_last_index", 0)))});
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

LogicalResult Importer::importTopK(const ox::NodeProto &n, Location loc) {
  auto x = inputType(n, 0, loc);
  if (failed(x))
    return failure();
  if (failed(refuseUnordered(n, loc, *x)))
    return failure();
  int64_t rank = x->getRank();
  if (rank == 0)
    return unsupported(n, loc, "a rank-0 input");
  int64_t k;
  if (opset < 10) {
    k = attrInt(n, "k", -1);
  } else {
    const ConstTensor *c;
    if (failed(constantInput(n, 1, loc, c)))
      return failure();
    if (c->numElements() != 1)
      return emitError(loc) << "TopK k must have one element";
    k = c->intAt(0);
  }
  std::vector<int64_t> axis = {attrInt(n, "axis", -1)};
  if (failed(normaliseAxes(n, loc, rank, axis)))
    return failure();
  if (k < 1)
    return unsupported(n, loc, "k = " + llvm::Twine(k) + " (empty results)");
  // sorted=0 leaves the order unspecified: the sorted order is one of them.
  auto r = create(
      nn::TopKOp::getOperationName(), loc, {values[n.input(0)]},
      {named("k", builder.getI64IntegerAttr(k)),
       named("axis", builder.getI64IntegerAttr(axis[0])),
       named("largest", builder.getBoolAttr(attrInt(n, "largest", 1) != 0))},
      /*numResults=*/2);
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  if (n.output_size() > 1 && !n.output(1).empty())
    setOutput(n, 1, r->getDefiningOp()->getResult(1));
  return success();
}

/// CumSum as a product with a 0/1 triangular matrix along the (last) axis:
/// with static shapes the matrix is a constant, and the product is a
/// contraction the CPU backend already schedules. The matrix has n^2
/// entries, so long axes are refused.
LogicalResult Importer::importCumSum(const ox::NodeProto &n, Location loc) {
  auto x = inputType(n, 0, loc);
  if (failed(x))
    return failure();
  int32_t dtype = onnxType(n, 0);
  if (dtype != ox::TensorProto::FLOAT && dtype != ox::TensorProto::DOUBLE)
    return unsupported(n, loc, "a non-float input (float and double only)");
  const ConstTensor *axisT;
  if (failed(constantInput(n, 1, loc, axisT)))
    return failure();
  int64_t rank = x->getRank();
  if (axisT->numElements() != 1 || rank == 0)
    return unsupported(n, loc, "axis must be one value, the input rank >= 1");
  int64_t axis = axisT->intAt(0);
  if (axis < -rank || axis >= rank)
    return unsupported(n, loc, "axis " + llvm::Twine(axis) + " out of range");
  if (axis < 0)
    axis += rank;
  int64_t len = x->getDimSize(axis);
  constexpr int64_t kMaxLength = 1024;
  if (len > kMaxLength)
    return unsupported(n, loc,
                       "an axis longer than " + llvm::Twine(kMaxLength) + " (" +
                           llvm::Twine(len) + ")");
  bool exclusive = attrInt(n, "exclusive", 0),
       reverse = attrInt(n, "reverse", 0);

  // tri[i][j] = 1 where x[i] adds to y[j].
  ConstTensor tri;
  tri.dtype = dtype;
  tri.shape = {len, len};
  size_t es = elementSize(dtype);
  tri.bytes.assign(len * len * es, '\0');
  for (int64_t i = 0; i < len; ++i)
    for (int64_t j = 0; j < len; ++j) {
      bool adds =
          reverse ? (exclusive ? i > j : i >= j) : (exclusive ? i < j : i <= j);
      if (!adds)
        continue;
      char *dst = tri.bytes.data() + (i * len + j) * es;
      if (dtype == ox::TensorProto::FLOAT) {
        float one = 1.0f;
        std::memcpy(dst, &one, sizeof(one));
      } else {
        double one = 1.0;
        std::memcpy(dst, &one, sizeof(one));
      }
    }
  auto matrix = materialize(tri, loc);
  if (failed(matrix))
    return failure();

  // Move the axis last, multiply, move it back.
  std::vector<int64_t> perm;
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis)
      perm.push_back(d);
  perm.push_back(axis);
  std::vector<int64_t> inverse(rank);
  for (int64_t d = 0; d < rank; ++d)
    inverse[perm[d]] = d;
  bool moved = axis != rank - 1;
  Value v = values[n.input(0)];
  if (moved) {
    auto t = create(nn::TransposeOp::getOperationName(), loc, {v},
                    {named("perm", i64s(perm))});
    if (failed(t))
      return failure();
    v = *t;
  }
  auto product =
      create(nn::MatMulOp::getOperationName(), loc, {v, *matrix}, {});
  if (failed(product))
    return failure();
  v = *product;
  if (moved) {
    auto t = create(nn::TransposeOp::getOperationName(), loc, {v},
                    {named("perm", i64s(inverse))});
    if (failed(t))
      return failure();
    v = *t;
  }
  setOutput(n, 0, v);
  return success();
}

llvm::ArrayRef<OpHandler> Importer::reductionOps() {
  static const OpHandler table[] = {
      {"ReduceSum", &Importer::importReduce},
      {"ReduceMean", &Importer::importReduce},
      {"ReduceMax", &Importer::importReduce},
      {"ReduceMin", &Importer::importReduce},
      {"ReduceProd", &Importer::importReduce},
      {"ReduceL1", &Importer::importReduce},
      {"ReduceL2", &Importer::importReduce},
      {"ReduceSumSquare", &Importer::importReduce},
      {"ReduceLogSum", &Importer::importReduce},
      {"ReduceLogSumExp", &Importer::importReduce},
      {"ArgMax", &Importer::importArgReduce},
      {"ArgMin", &Importer::importArgReduce},
      {"TopK", &Importer::importTopK},
      {"CumSum", &Importer::importCumSum},
  };
  return table;
}

} // namespace kiln::onnx
