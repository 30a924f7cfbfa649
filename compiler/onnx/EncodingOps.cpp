//===- EncodingOps.cpp - ONNX import: one-hot encodings -------------------===//
//
// OneHot and Hardmax. Both compare an index tensor with a compile-time iota
// along one axis (static shapes make the iota a constant) and select between
// two values with nn.where.
//
//===----------------------------------------------------------------------===//

#include "compiler/onnx/ImporterImpl.h"

using namespace mlir;
namespace ox = ::onnx;

namespace kiln::onnx {

/// `indices` (i64) has size 1 at `axis`; the result (i1) is true where the
/// position along `axis` (0 .. depth-1) equals the index.
FailureOr<Value> Importer::oneHotMask(Value indices, int64_t axis,
                                      int64_t depth, Location loc) {
  int64_t rank = cast<RankedTensorType>(indices.getType()).getRank();
  std::vector<int64_t> iotaShape(rank, 1);
  iotaShape[axis] = depth;
  std::vector<int64_t> iota(depth);
  for (int64_t i = 0; i < depth; ++i)
    iota[i] = i;
  auto positions =
      materialize(ConstTensor::fromInts(iota, std::move(iotaShape)), loc);
  if (failed(positions))
    return failure();
  return create(nn::EqualOp::getOperationName(), loc, {indices, *positions},
                {});
}

LogicalResult Importer::importOneHot(const ox::NodeProto &n, Location loc) {
  auto idxType = inputType(n, 0, loc), valuesType = inputType(n, 2, loc);
  if (failed(idxType) || failed(valuesType))
    return failure();
  const ConstTensor *depthT;
  if (failed(constantInput(n, 1, loc, depthT)))
    return failure();
  if (depthT->numElements() != 1)
    return unsupported(n, loc, "depth must hold one value");
  int64_t depth = static_cast<int64_t>(depthT->floatAt(0));
  if (depth < 1 || depth > (int64_t(1) << 24))
    return unsupported(
        n, loc, "depth " + llvm::Twine(depth) + " (1 to 2^24 are supported)");
  if (valuesType->getNumElements() != 2)
    return unsupported(n, loc, "values must hold [off, on]");
  int64_t rank = idxType->getRank() + 1;
  int64_t axis = attrInt(n, "axis", -1);
  if (axis < -rank || axis >= rank)
    return unsupported(n, loc, "axis " + llvm::Twine(axis) + " out of range");
  if (axis < 0)
    axis += rank;

  // Indices of any numeric type count as int64; negative ones from the end.
  Value idx = values[n.input(0)];
  Type i64 = builder.getI64Type();
  if (idxType->getElementType() != i64)
    idx = nn::CastOp::create(
        builder, loc, RankedTensorType::get(idxType->getShape(), i64), idx,
        onnxType(n, 0) == ox::TensorProto::UINT8, false);
  auto zero = materialize(ConstTensor::fromInts({0}, {}), loc);
  auto depthV = materialize(ConstTensor::fromInts({depth}, {}), loc);
  if (failed(zero) || failed(depthV))
    return failure();
  auto negative = create(nn::LessOp::getOperationName(), loc, {idx, *zero}, {});
  auto wrapped = create(nn::AddOp::getOperationName(), loc, {idx, *depthV}, {});
  if (failed(negative) || failed(wrapped))
    return failure();
  auto normalised = create(nn::WhereOp::getOperationName(), loc,
                           {*negative, *wrapped, idx}, {});
  if (failed(normalised))
    return failure();
  std::vector<int64_t> unsqueezed(idxType->getShape().begin(),
                                  idxType->getShape().end());
  unsqueezed.insert(unsqueezed.begin() + axis, 1);
  auto expanded = reshapeTo(*normalised, unsqueezed, loc);
  if (failed(expanded))
    return failure();
  auto mask = oneHotMask(*expanded, axis, depth, loc);
  if (failed(mask))
    return failure();

  // values = [off, on], as scalars.
  Value v = values[n.input(2)];
  auto pick = [&](int64_t i) -> FailureOr<Value> {
    auto one = create(nn::SliceOp::getOperationName(), loc, {v},
                      {named("offsets", i64s({i})), named("sizes", i64s({1})),
                       named("steps", i64s({1}))});
    if (failed(one))
      return failure();
    return reshapeTo(*one, {}, loc);
  };
  auto off = pick(0), on = pick(1);
  if (failed(off) || failed(on))
    return failure();
  auto r = create(nn::WhereOp::getOperationName(), loc, {*mask, *on, *off}, {});
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

LogicalResult Importer::importHardmax(const ox::NodeProto &n, Location loc) {
  auto x = inputType(n, 0, loc);
  if (failed(x))
    return failure();
  if (!isa<FloatType>(x->getElementType()))
    return unsupported(n, loc, "a non-float input");
  int64_t rank = x->getRank();
  int64_t axis = attrInt(n, "axis", opset < 13 ? 1 : -1);
  if (rank == 0 || axis < -rank || axis >= rank)
    return unsupported(n, loc, "axis " + llvm::Twine(axis) + " out of range");
  if (axis < 0)
    axis += rank;
  // Before opset 13 Hardmax works on the input flattened to 2-D at `axis`.
  Value in = values[n.input(0)];
  llvm::ArrayRef<int64_t> shape = x->getShape();
  if (opset < 13) {
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < rank; ++d)
      (d < axis ? outer : inner) *= shape[d];
    auto flat = reshapeTo(in, {outer, inner}, loc);
    if (failed(flat))
      return failure();
    in = *flat;
    axis = 1;
  }
  auto inType = cast<RankedTensorType>(in.getType());
  auto argmax =
      create(nn::ArgMaxOp::getOperationName(), loc, {in},
             {named("axis", builder.getI64IntegerAttr(axis)),
              named("keepdims", builder.getBoolAttr(true)),
              named("select_last_index", builder.getBoolAttr(false))});
  if (failed(argmax))
    return failure();
  auto mask = oneHotMask(*argmax, axis, inType.getDimSize(axis), loc);
  if (failed(mask))
    return failure();
  Type et = x->getElementType();
  auto r =
      create(nn::WhereOp::getOperationName(), loc,
             {*mask, floatScalar(et, 1.0, loc), floatScalar(et, 0.0, loc)}, {});
  if (failed(r))
    return failure();
  Value out = *r;
  if (opset < 13) {
    auto back = reshapeTo(out, shape, loc);
    if (failed(back))
      return failure();
    out = *back;
  }
  setOutput(n, 0, out);
  return success();
}

llvm::ArrayRef<OpHandler> Importer::encodingOps() {
  static const OpHandler table[] = {
      {"OneHot", &Importer::importOneHot},
      {"Hardmax", &Importer::importHardmax},
  };
  return table;
}

} // namespace kiln::onnx
