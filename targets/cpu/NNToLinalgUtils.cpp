//===- NNToLinalgUtils.cpp - helpers shared by the nn -> linalg patterns -===//
#include "targets/cpu/NNToLinalgPatterns.h"

namespace kiln::cpu {

Value emptyTensor(OpBuilder &b, Location loc, RankedTensorType type) {
  return tensor::EmptyOp::create(b, loc, type.getShape(),
                                 type.getElementType());
}

Value scalar(OpBuilder &b, Location loc, Type type, double value) {
  if (auto ft = dyn_cast<FloatType>(type))
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(ft, value));
  return arith::ConstantOp::create(
      b, loc, b.getIntegerAttr(type, static_cast<int64_t>(value)));
}

Value filled(OpBuilder &b, Location loc, RankedTensorType type, double value) {
  Value init = emptyTensor(b, loc, type);
  Value v = scalar(b, loc, type.getElementType(), value);
  return linalg::FillOp::create(b, loc, v, init).getResult(0);
}

/// Indexing map that reads `operand` broadcast (numpy, right-aligned) into an
/// iteration space of `resultRank` dims of sizes `resultShape`.
AffineMap broadcastMap(OpBuilder &b, RankedTensorType operand,
                       ArrayRef<int64_t> resultShape) {
  int64_t rank = resultShape.size(), offset = rank - operand.getRank();
  SmallVector<AffineExpr> exprs;
  for (int64_t d = 0; d < operand.getRank(); ++d) {
    bool broadcast = operand.getDimSize(d) == 1 && resultShape[offset + d] != 1;
    exprs.push_back(broadcast ? b.getAffineConstantExpr(0)
                              : b.getAffineDimExpr(offset + d));
  }
  return AffineMap::get(rank, 0, exprs, b.getContext());
}

/// out[i] = body(inputs broadcast to i) over the whole result.
Value elementwise(OpBuilder &b, Location loc, RankedTensorType resultType,
                  ValueRange inputs, BodyFn body) {
  SmallVector<AffineMap> maps;
  for (Value in : inputs)
    maps.push_back(broadcastMap(b, cast<RankedTensorType>(in.getType()),
                                resultType.getShape()));
  maps.push_back(b.getMultiDimIdentityMap(resultType.getRank()));
  SmallVector<utils::IteratorType> iterators(resultType.getRank(),
                                             utils::IteratorType::parallel);
  auto op = linalg::GenericOp::create(
      b, loc, resultType, inputs, emptyTensor(b, loc, resultType), maps,
      iterators, [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value r = body(nb, nloc, args.drop_back());
        linalg::YieldOp::create(nb, nloc, r);
      });
  return op.getResult(0);
}

AffineMap channelMap(OpBuilder &b, int64_t rank, int64_t dim) {
  return AffineMap::get(rank, 0, {b.getAffineDimExpr(dim)}, b.getContext());
}

Value padded(OpBuilder &b, Location loc, Value input,
             ArrayRef<int64_t> lowSpatial, ArrayRef<int64_t> highSpatial,
             double value) {
  if (llvm::all_of(lowSpatial, [](int64_t p) { return p == 0; }) &&
      llvm::all_of(highSpatial, [](int64_t p) { return p == 0; }))
    return input;
  auto type = cast<RankedTensorType>(input.getType());
  int64_t lead = type.getRank() - lowSpatial.size();
  SmallVector<int64_t> shape(type.getShape());
  SmallVector<OpFoldResult> low(lead, b.getIndexAttr(0)),
      high(lead, b.getIndexAttr(0));
  for (size_t i = 0; i < lowSpatial.size(); ++i) {
    low.push_back(b.getIndexAttr(lowSpatial[i]));
    high.push_back(b.getIndexAttr(highSpatial[i]));
    shape[lead + i] += lowSpatial[i] + highSpatial[i];
  }
  auto resultType = RankedTensorType::get(shape, type.getElementType());
  Value pad = scalar(b, loc, type.getElementType(), value);
  return tensor::PadOp::create(b, loc, resultType, input, low, high, pad,
                               /*nofold=*/false);
}

/// Extra end padding so that ceil_mode windows stay inside the tensor.
SmallVector<int64_t> ceilExtra(RankedTensorType in, RankedTensorType out,
                               ArrayRef<int64_t> kernel,
                               ArrayRef<int64_t> strides,
                               ArrayRef<int64_t> dilations,
                               ArrayRef<int64_t> pads, int64_t firstSpatial) {
  SmallVector<int64_t> extra;
  size_t spatial = kernel.size();
  for (size_t i = 0; i < spatial; ++i) {
    int64_t needed = (out.getDimSize(firstSpatial + i) - 1) * strides[i] +
                     (kernel[i] - 1) * dilations[i] + 1;
    int64_t have =
        in.getDimSize(firstSpatial + i) + pads[i] + pads[spatial + i];
    extra.push_back(std::max<int64_t>(0, needed - have));
  }
  return extra;
}

Value reshapeTensor(OpBuilder &b, Location loc, Value input,
                    RankedTensorType resultType) {
  auto inType = cast<RankedTensorType>(input.getType());
  if (inType == resultType)
    return input;
  // Through 1-D: both steps are views after bufferization. A rank-0 tensor
  // has one element; it becomes 1-D by an expand (and back by a collapse)
  // with an empty reassociation.
  auto allDims = [](int64_t rank) {
    SmallVector<ReassociationIndices> all;
    if (rank > 0)
      all.emplace_back(llvm::to_vector(llvm::seq<int64_t>(0, rank)));
    return all;
  };
  Value flat = input;
  auto flatType =
      RankedTensorType::get({inType.getNumElements()}, inType.getElementType());
  if (inType.getRank() == 0)
    flat = tensor::ExpandShapeOp::create(b, loc, flatType, input, allDims(0));
  else if (inType.getRank() != 1)
    flat = tensor::CollapseShapeOp::create(b, loc, flatType, input,
                                           allDims(inType.getRank()));
  if (resultType.getRank() == 1)
    return flat;
  if (resultType.getRank() == 0)
    return tensor::CollapseShapeOp::create(b, loc, resultType, flat,
                                           allDims(0));
  return tensor::ExpandShapeOp::create(b, loc, resultType, flat,
                                       allDims(resultType.getRank()));
}

/// Contraction over (batch..., m?, n?, k) as one linalg.generic (float, or
/// integer with alpha 1).
Value contraction(OpBuilder &b, Location loc, RankedTensorType outType,
                  Value lhs, Value rhs, Value init, ArrayRef<AffineMap> maps,
                  int64_t numLoops, double alpha) {
  SmallVector<utils::IteratorType> iters(numLoops,
                                         utils::IteratorType::parallel);
  iters.back() = utils::IteratorType::reduction;
  Type et = outType.getElementType();
  return linalg::GenericOp::create(
             b, loc, outType, ValueRange{lhs, rhs}, init, maps, iters,
             [&](OpBuilder &nb, Location l, ValueRange v) {
               if (!isa<FloatType>(et)) { // integer (alpha is 1)
                 Value p = arith::MulIOp::create(nb, l, v[0], v[1]);
                 linalg::YieldOp::create(
                     nb, l, arith::AddIOp::create(nb, l, v[2], p).getResult());
                 return;
               }
               Value p = arith::MulFOp::create(nb, l, v[0], v[1]);
               if (alpha != 1.0)
                 p = arith::MulFOp::create(nb, l, p, scalar(nb, l, et, alpha));
               linalg::YieldOp::create(
                   nb, l, arith::AddFOp::create(nb, l, v[2], p).getResult());
             })
      .getResult(0);
}

/// Reduces `input` over `reduced` dims into a tensor of `outType` (which
/// keeps reduced dims as size 1), combining with `combine` from `initValue`.
Value reduce(OpBuilder &b, Location loc, Value input, RankedTensorType outType,
             ArrayRef<int64_t> reduced, double initValue, BodyFn combine) {
  return reduce(b, loc, input, outType, reduced,
                filled(b, loc, outType, initValue), combine);
}

/// As above, accumulating into `init` (a tensor of `outType`).
Value reduce(OpBuilder &b, Location loc, Value input, RankedTensorType outType,
             ArrayRef<int64_t> reduced, Value init, BodyFn combine) {
  auto inType = cast<RankedTensorType>(input.getType());
  int64_t rank = inType.getRank();
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iters;
  for (int64_t d = 0; d < rank; ++d) {
    bool r = llvm::is_contained(reduced, d);
    outExprs.push_back(r ? b.getAffineConstantExpr(0) : b.getAffineDimExpr(d));
    iters.push_back(r ? utils::IteratorType::reduction
                      : utils::IteratorType::parallel);
  }
  SmallVector<AffineMap> maps = {
      b.getMultiDimIdentityMap(rank),
      AffineMap::get(rank, 0, outExprs, b.getContext())};
  return linalg::GenericOp::create(
             b, loc, outType, input, init, maps, iters,
             [&](OpBuilder &nb, Location l, ValueRange v) {
               linalg::YieldOp::create(nb, l, combine(nb, l, v));
             })
      .getResult(0);
}

} // namespace kiln::cpu
