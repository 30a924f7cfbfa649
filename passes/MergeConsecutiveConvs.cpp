//===- MergeConsecutiveConvs.cpp - two 1x1 convs as one
//--------------------===//
//
// A 1x1 convolution is a matrix product over channels, so two in a row with
// nothing between them are one: W = W2·W1, b = W2·b1 + b2. Merged only when
// that does not add work, and the intermediate tensor disappears.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "dialects/nn/ConstantEvaluation.h"
#include "dialects/nn/NNOps.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cstring>

namespace kiln {
#define GEN_PASS_DEF_MERGECONSECUTIVECONVS
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

/// The float32 elements of a constant `v` (or of zeros when `v` is null and
/// `count` elements are wanted), if available.
std::optional<std::vector<float>> floats(Value v, int64_t count) {
  if (!v)
    return std::vector<float>(count, 0.0f);
  auto constant = v.getDefiningOp<kiln::nn::ConstantOp>();
  if (!constant)
    return std::nullopt;
  std::optional<SmallVector<char>> raw =
      kiln::nn::rawElements(constant.getValue());
  if (!raw || static_cast<int64_t>(raw->size()) != count * 4)
    return std::nullopt;
  std::vector<float> values(count);
  std::memcpy(values.data(), raw->data(), raw->size());
  return values;
}

bool allEqual(ArrayRef<int64_t> values, int64_t v) {
  return llvm::all_of(values, [v](int64_t x) { return x == v; });
}

/// conv(conv(x, W1, b1), W2, b2) -> conv(x, W2·W1, W2·b1 + b2) for 1x1
/// float32 convs of group 1 with constant weights. The first conv keeps its
/// strides and pads (a padded border is b1, which W2·b1 + b2 maps right);
/// the second must have strides 1 and no pads.
struct MergeOneByOne : OpRewritePattern<kiln::nn::ConvOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(kiln::nn::ConvOp second,
                                PatternRewriter &rewriter) const override {
    auto first = second.getInput().getDefiningOp<kiln::nn::ConvOp>();
    if (!first || !first->hasOneUse())
      return rewriter.notifyMatchFailure(second, "input is not a conv used "
                                                 "only here");
    auto w1Type = cast<RankedTensorType>(first.getFilter().getType());
    auto w2Type = cast<RankedTensorType>(second.getFilter().getType());
    if (first.getGroup() != 1 || second.getGroup() != 1 ||
        !w1Type.getElementType().isF32() || !w2Type.getElementType().isF32() ||
        !allEqual(w1Type.getShape().drop_front(2), 1) ||
        !allEqual(w2Type.getShape().drop_front(2), 1) ||
        !allEqual(second.getStrides(), 1) || !allEqual(second.getPads(), 0))
      return rewriter.notifyMatchFailure(second, "not two plain 1x1 convs");
    int64_t out = w2Type.getDimSize(0), mid = w2Type.getDimSize(1),
            in = w1Type.getDimSize(1);
    // The merged product must not do more work than the two it replaces.
    if (out * in > mid * (in + out))
      return rewriter.notifyMatchFailure(second, "merging adds work");
    auto w1 = floats(first.getFilter(), mid * in);
    auto w2 = floats(second.getFilter(), out * mid);
    auto b1 = floats(first.getBias(), mid);
    auto b2 = floats(second.getBias(), out);
    if (!w1 || !w2 || !b1 || !b2)
      return rewriter.notifyMatchFailure(second, "a weight is not a "
                                                 "constant");
    std::vector<float> w(out * in), b(out);
    for (int64_t o = 0; o < out; ++o) {
      double bias = (*b2)[o];
      for (int64_t m = 0; m < mid; ++m)
        bias += double((*w2)[o * mid + m]) * (*b1)[m];
      b[o] = float(bias);
      for (int64_t i = 0; i < in; ++i) {
        double sum = 0;
        for (int64_t m = 0; m < mid; ++m)
          sum += double((*w2)[o * mid + m]) * (*w1)[m * in + i];
        w[o * in + i] = float(sum);
      }
    }
    Location loc = rewriter.getFusedLoc({first.getLoc(), second.getLoc()});
    SmallVector<int64_t> shape(w1Type.getShape());
    shape[0] = out;
    auto wType = RankedTensorType::get(shape, w1Type.getElementType());
    auto bType = RankedTensorType::get({out}, w1Type.getElementType());
    auto bytes = [](const std::vector<float> &v) {
      return ArrayRef<char>(reinterpret_cast<const char *>(v.data()),
                            v.size() * sizeof(float));
    };
    Value filter = kiln::nn::ConstantOp::create(
        rewriter, loc, wType, kiln::nn::constantValue(wType, bytes(w)));
    Value bias = kiln::nn::ConstantOp::create(
        rewriter, loc, bType, kiln::nn::constantValue(bType, bytes(b)));
    rewriter.replaceOpWithNewOp<kiln::nn::ConvOp>(
        second, first.getInput(), filter, bias, first.getStridesAttr(),
        first.getPadsAttr(), first.getDilationsAttr(), first.getGroupAttr());
    rewriter.eraseOp(first);
    return success();
  }
};

struct MergeConsecutiveConvs
    : kiln::impl::MergeConsecutiveConvsBase<MergeConsecutiveConvs> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<MergeOneByOne>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
