//===- NNToLinalgDataMovement.cpp - nn -> linalg: data movement
//-------------===//
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

struct PadLowering : NNPattern<nn::PadOp> {
  using NNPattern::NNPattern;
  LogicalResult
  matchAndRewrite(nn::PadOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    int64_t rank = resultType(op).getRank();
    ArrayRef<int64_t> pads = op.getPads();
    rewriter.replaceOp(op, padded(rewriter, op.getLoc(), adaptor.getInput(),
                                  pads.take_front(rank), pads.drop_front(rank),
                                  op.getValue().convertToDouble()));
    return success();
  }
};

struct SliceLowering : NNPattern<nn::SliceOp> {
  using NNPattern::NNPattern;
  LogicalResult
  matchAndRewrite(nn::SliceOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(
        op, resultType(op), adaptor.getInput(), ValueRange{}, ValueRange{},
        ValueRange{}, op.getOffsets(), op.getSizes(), op.getSteps());
    return success();
  }
};

} // namespace

void populateNNToLinalgDataMovementPatterns(RewritePatternSet &patterns) {
  patterns.add<ConcatLowering, ReshapeLikeLowering<nn::ReshapeOp>,
               ReshapeLikeLowering<nn::FlattenOp>, TransposeLowering,
               PadLowering, SliceLowering>(patterns.getContext());
}

} // namespace kiln::cpu
