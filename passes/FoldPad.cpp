//===- FoldPad.cpp - fold constant pads into conv and pooling pads --------===//
#include "dialects/nn/NNOps.h"
#include "passes/Passes.h"

#include "mlir/IR/PatternMatch.h"

#include <cmath>

namespace kiln {
#define GEN_PASS_DEF_FOLDPAD
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
namespace nn = kiln::nn;

namespace {
/// The spatial pads of `pad` in the window-op layout (all begins, then all
/// ends), when it is a constant pad of `value` that leaves N and C alone.
std::optional<SmallVector<int64_t>> spatialPads(nn::PadOp pad, double value) {
  if (pad.getMode() != "constant" || pad.getValue().convertToDouble() != value)
    return std::nullopt;
  ArrayRef<int64_t> pads = pad.getPads();
  int64_t rank = pads.size() / 2;
  if (pads[0] || pads[1] || pads[rank] || pads[rank + 1])
    return std::nullopt;
  SmallVector<int64_t> spatial(pads.slice(2, rank - 2));
  llvm::append_range(spatial, pads.slice(rank + 2, rank - 2));
  return spatial;
}

/// `own` plus the pads that `pad` holds with `value`; failure (with the
/// reason) when the pad is not such a pad.
FailureOr<DenseI64ArrayAttr> combinedPads(Operation *op, Value input,
                                          ArrayRef<int64_t> own, double value,
                                          PatternRewriter &rewriter) {
  auto pad = input.getDefiningOp<nn::PadOp>();
  if (!pad)
    return failure();
  std::optional<SmallVector<int64_t>> extra = spatialPads(pad, value);
  if (!extra)
    return rewriter.notifyMatchFailure(
        op, "not a constant pad of the right value on spatial dims only");
  for (auto [p, e] : llvm::zip_equal(*extra, own))
    p += e;
  return rewriter.getDenseI64ArrayAttr(*extra);
}

/// Makes `op` read the pad's input, with `pads` as its own.
template <typename OpTy>
void bypassPad(OpTy op, DenseI64ArrayAttr pads, PatternRewriter &rewriter) {
  rewriter.modifyOpInPlace(op, [&] {
    op.getInputMutable().assign(op.getInput().getDefiningOp()->getOperand(0));
    op.setPadsAttr(pads);
  });
}

struct FoldIntoConv : OpRewritePattern<nn::ConvOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(nn::ConvOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getChannelsLast())
      return rewriter.notifyMatchFailure(op, "pads are NCHW spatial dims");
    FailureOr<DenseI64ArrayAttr> pads =
        combinedPads(op, op.getInput(), op.getPads(), 0.0, rewriter);
    if (failed(pads))
      return failure();
    bypassPad(op, *pads, rewriter);
    return success();
  }
};

struct FoldIntoMaxPool : OpRewritePattern<nn::MaxPoolOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(nn::MaxPoolOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getChannelsLast())
      return rewriter.notifyMatchFailure(op, "pads are NCHW spatial dims");
    if (op.getCeilMode())
      return rewriter.notifyMatchFailure(op, "ceil_mode");
    if (!isa<FloatType>(op.getType().getElementType()))
      return rewriter.notifyMatchFailure(op, "integer pool pads no -inf");
    FailureOr<DenseI64ArrayAttr> pads =
        combinedPads(op, op.getInput(), op.getPads(),
                     -std::numeric_limits<double>::infinity(), rewriter);
    if (failed(pads))
      return failure();
    bypassPad(op, *pads, rewriter);
    return success();
  }
};

struct FoldIntoAvgPool : OpRewritePattern<nn::AvgPoolOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(nn::AvgPoolOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getChannelsLast())
      return rewriter.notifyMatchFailure(op, "pads are NCHW spatial dims");
    if (op.getCeilMode())
      return rewriter.notifyMatchFailure(op, "ceil_mode");
    // The padded zeros are elements of the pool's input, so they count in
    // the divisor: the folded pool must count its pads, which changes the
    // meaning of pads it already has unless it counted them already.
    if (!op.getCountIncludePad() &&
        llvm::any_of(op.getPads(), [](int64_t p) { return p != 0; }))
      return rewriter.notifyMatchFailure(
          op, "own pads are excluded from the count");
    FailureOr<DenseI64ArrayAttr> pads =
        combinedPads(op, op.getInput(), op.getPads(), 0.0, rewriter);
    if (failed(pads))
      return failure();
    bypassPad(op, *pads, rewriter);
    rewriter.modifyOpInPlace(op, [&] { op.setCountIncludePad(true); });
    return success();
  }
};

struct FoldPadPass : kiln::impl::FoldPadBase<FoldPadPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FoldIntoConv, FoldIntoMaxPool, FoldIntoAvgPool>(&getContext());
    kiln::applyGraphPatterns(getOperation(), std::move(patterns));
  }
};
} // namespace
