//===- NNToLinalgDataMovement.cpp - nn -> linalg: data movement -----------===//
#include "targets/cpu/NNToLinalgPatterns.h"

#include <limits>

using namespace mlir;
using namespace kiln;

namespace kiln::cpu {
namespace {

struct ConcatLowering : NNPattern<nn::ConcatOp> {
  using NNPattern::NNPattern;
  LogicalResult
  matchAndRewrite(nn::ConcatOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = resultType(op);
    int64_t axis = static_cast<int64_t>(op.getAxis());
    if (axis < 0)
      axis += type.getRank();
    Value result = emptyTensor(rewriter, loc, type);
    int64_t offset = 0;
    for (Value in : adaptor.getInputs()) {
      auto t = cast<RankedTensorType>(in.getType());
      SmallVector<OpFoldResult> offsets(type.getRank(),
                                        rewriter.getIndexAttr(0));
      SmallVector<OpFoldResult> sizes,
          strides(type.getRank(), rewriter.getIndexAttr(1));
      for (int64_t d : t.getShape())
        sizes.push_back(rewriter.getIndexAttr(d));
      offsets[axis] = rewriter.getIndexAttr(offset);
      offset += t.getDimSize(axis);
      result = tensor::InsertSliceOp::create(rewriter, loc, in, result, offsets,
                                             sizes, strides);
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

template <typename Op> struct ReshapeLikeLowering : NNPattern<Op> {
  using NNPattern<Op>::NNPattern;
  using Adaptor = typename Op::Adaptor;
  LogicalResult
  matchAndRewrite(Op op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op,
                       reshapeTensor(rewriter, op.getLoc(), adaptor.getInput(),
                                     this->resultType(op)));
    return success();
  }
};

struct TransposeLowering : NNPattern<nn::TransposeOp> {
  using NNPattern::NNPattern;
  LogicalResult
  matchAndRewrite(nn::TransposeOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = resultType(op);
    rewriter.replaceOp(op, linalg::TransposeOp::create(
                               rewriter, op.getLoc(), adaptor.getInput(),
                               emptyTensor(rewriter, op.getLoc(), type),
                               op.getPerm())
                               .getResult());
    return success();
  }
};

/// Where output index `o` of a padded dimension reads the input (of size
/// `n`, padded by `low` in front) in reflect or edge mode.
Value padSource(OpBuilder &b, Location loc, Value o, int64_t low, int64_t n,
                bool reflect) {
  auto idx = [&](int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v).getResult();
  };
  Value i = arith::SubIOp::create(b, loc, o, idx(low));
  if (!reflect) // edge: clamp into [0, n)
    return arith::MinSIOp::create(
        b, loc, arith::MaxSIOp::create(b, loc, i, idx(0)), idx(n - 1));
  // reflect (pads < n): i < 0 -> -i; i >= n -> 2(n-1) - i.
  Value neg = arith::SubIOp::create(b, loc, idx(0), i);
  Value below =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, i, idx(0));
  i = arith::SelectOp::create(b, loc, below, neg, i);
  Value above =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, i, idx(n));
  Value mirrored = arith::SubIOp::create(b, loc, idx(2 * (n - 1)), i);
  return arith::SelectOp::create(b, loc, above, mirrored, i);
}

struct PadLowering : NNPattern<nn::PadOp> {
  using NNPattern::NNPattern;
  LogicalResult
  matchAndRewrite(nn::PadOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = resultType(op);
    int64_t rank = type.getRank();
    ArrayRef<int64_t> pads = op.getPads();
    if (op.getMode() == "constant") {
      rewriter.replaceOp(
          op, padded(rewriter, loc, adaptor.getInput(), pads.take_front(rank),
                     pads.drop_front(rank), op.getValue().convertToDouble()));
      return success();
    }
    // reflect / edge: every output element reads one input element.
    bool reflect = op.getMode() == "reflect";
    Value input = adaptor.getInput();
    auto inType = cast<RankedTensorType>(input.getType());
    SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, type, ValueRange{}, emptyTensor(rewriter, loc, type),
        SmallVector<AffineMap>{rewriter.getMultiDimIdentityMap(rank)}, iters,
        [&](OpBuilder &b, Location l, ValueRange) {
          SmallVector<Value> at;
          for (int64_t d = 0; d < rank; ++d) {
            Value o = linalg::IndexOp::create(b, l, d);
            if (pads[d] == 0 && pads[rank + d] == 0)
              at.push_back(o);
            else
              at.push_back(
                  padSource(b, l, o, pads[d], inType.getDimSize(d), reflect));
          }
          linalg::YieldOp::create(
              b, l, tensor::ExtractOp::create(b, l, input, at).getResult());
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

struct SliceLowering : NNPattern<nn::SliceOp> {
  using NNPattern::NNPattern;
  LogicalResult
  matchAndRewrite(nn::SliceOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ArrayRef<int64_t> steps = op.getSteps();
    // An empty slice reads nothing (and tensor.extract_slice wants its
    // offsets inside the dimension even then).
    if (resultType(op).getNumElements() == 0) {
      rewriter.replaceOp(op,
                         emptyTensor(rewriter, op.getLoc(), resultType(op)));
      return success();
    }
    if (llvm::all_of(steps, [](int64_t s) { return s > 0; })) {
      rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(
          op, resultType(op), adaptor.getInput(), ValueRange{}, ValueRange{},
          ValueRange{}, op.getOffsets(), op.getSizes(), steps);
      return success();
    }
    // Negative steps: a copy reading input[offset + step * i] per dim.
    auto type = resultType(op);
    int64_t rank = type.getRank();
    SmallVector<AffineExpr> exprs;
    for (int64_t d = 0; d < rank; ++d)
      exprs.push_back(rewriter.getAffineDimExpr(d) * steps[d] +
                      op.getOffsets()[d]);
    SmallVector<AffineMap> maps = {
        AffineMap::get(rank, 0, exprs, rewriter.getContext()),
        rewriter.getMultiDimIdentityMap(rank)};
    SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
    auto generic = linalg::GenericOp::create(
        rewriter, op.getLoc(), type, adaptor.getInput(),
        emptyTensor(rewriter, op.getLoc(), type), maps, iters,
        [](OpBuilder &b, Location l, ValueRange args) {
          linalg::YieldOp::create(b, l, args[0]);
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

/// An index read from a tensor, as an `index` in [0, dim): negative values
/// count from the end, what is still out of range is clamped.
Value normalisedIndex(OpBuilder &b, Location l, Value raw, int64_t dim) {
  auto cst = [&](int64_t v) {
    return arith::ConstantIndexOp::create(b, l, v).getResult();
  };
  Value i = arith::IndexCastOp::create(b, l, b.getIndexType(), raw);
  Value wrapped = arith::AddIOp::create(b, l, i, cst(dim));
  Value negative =
      arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, i, cst(0));
  i = arith::SelectOp::create(b, l, negative, wrapped, i);
  return arith::MinSIOp::create(b, l, arith::MaxSIOp::create(b, l, i, cst(0)),
                                cst(dim - 1));
}

struct GatherLowering : NNPattern<nn::GatherOp> {
  using NNPattern::NNPattern;
  LogicalResult
  matchAndRewrite(nn::GatherOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = resultType(op);
    Value input = adaptor.getInput(), indices = adaptor.getIndices();
    auto inType = cast<RankedTensorType>(input.getType());
    auto idxType = cast<RankedTensorType>(indices.getType());
    int64_t rank = type.getRank(), inRank = inType.getRank();
    int64_t axis = static_cast<int64_t>(op.getAxis());
    if (axis < 0)
      axis += inRank;
    int64_t idxRank = idxType.getRank(), dim = inType.getDimSize(axis);
    // The result's dims [axis, axis + idxRank) walk the indices.
    SmallVector<AffineExpr> idxExprs;
    for (int64_t d = 0; d < idxRank; ++d)
      idxExprs.push_back(rewriter.getAffineDimExpr(axis + d));
    SmallVector<AffineMap> maps = {
        AffineMap::get(rank, 0, idxExprs, rewriter.getContext()),
        rewriter.getMultiDimIdentityMap(rank)};
    SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, type, indices, emptyTensor(rewriter, loc, type), maps,
        iters, [&](OpBuilder &b, Location l, ValueRange args) {
          Value i = normalisedIndex(b, l, args[0], dim);
          SmallVector<Value> at;
          for (int64_t d = 0; d < axis; ++d)
            at.push_back(linalg::IndexOp::create(b, l, d));
          at.push_back(i);
          for (int64_t d = axis + 1; d < inRank; ++d)
            at.push_back(linalg::IndexOp::create(b, l, d - 1 + idxRank));
          linalg::YieldOp::create(
              b, l, tensor::ExtractOp::create(b, l, input, at).getResult());
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

struct GatherElementsLowering : NNPattern<nn::GatherElementsOp> {
  using NNPattern::NNPattern;
  LogicalResult
  matchAndRewrite(nn::GatherElementsOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = resultType(op);
    Value input = adaptor.getInput();
    auto inType = cast<RankedTensorType>(input.getType());
    int64_t rank = type.getRank();
    int64_t axis = static_cast<int64_t>(op.getAxis());
    if (axis < 0)
      axis += rank;
    SmallVector<AffineMap> maps(2, rewriter.getMultiDimIdentityMap(rank));
    SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, type, adaptor.getIndices(),
        emptyTensor(rewriter, loc, type), maps, iters,
        [&](OpBuilder &b, Location l, ValueRange args) {
          SmallVector<Value> at;
          for (int64_t d = 0; d < rank; ++d)
            at.push_back(
                d == axis ? normalisedIndex(b, l, args[0], inType.getDimSize(d))
                          : linalg::IndexOp::create(b, l, d));
          linalg::YieldOp::create(
              b, l, tensor::ExtractOp::create(b, l, input, at).getResult());
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

struct ExpandLowering : NNPattern<nn::ExpandOp> {
  using NNPattern::NNPattern;
  LogicalResult
  matchAndRewrite(nn::ExpandOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op,
                       elementwise(rewriter, op.getLoc(), resultType(op),
                                   adaptor.getInput(),
                                   [](OpBuilder &, Location, ValueRange args) {
                                     return args[0];
                                   }));
    return success();
  }
};

} // namespace

void populateNNToLinalgDataMovementPatterns(RewritePatternSet &patterns) {
  patterns.add<ConcatLowering, ReshapeLikeLowering<nn::ReshapeOp>,
               ReshapeLikeLowering<nn::FlattenOp>, TransposeLowering,
               PadLowering, SliceLowering, GatherLowering,
               GatherElementsLowering, ExpandLowering>(patterns.getContext());
}

} // namespace kiln::cpu
