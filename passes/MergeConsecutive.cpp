//===- MergeConsecutive.cpp - two linear products in a row as one ---------===//
//
// A 1x1 convolution is a matrix product over channels, and so are a gemm and
// a matmul by a constant: two in a row with nothing between them are one
// (W = W2·W1, b = W2·b1 + b2). Merged only when that does not add work; the
// intermediate tensor disappears.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "dialects/nn/ConstantEvaluation.h"
#include "dialects/nn/NNOps.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cstring>

namespace kiln {
#define GEN_PASS_DEF_MERGECONSECUTIVE
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

/// Merging `in -> mid -> out` into `in -> out` must not add work: the
/// merged product's in·out multiplies per row against mid·(in + out).
bool addsWork(int64_t in, int64_t mid, int64_t out) {
  return out * in > mid * (in + out);
}

/// A float32 constant as a matrix [rows][cols] read through `at(i, j)`.
struct Matrix {
  std::vector<float> values;
  int64_t rows, cols;
  bool transposed; // values hold the matrix's transpose, row-major
  float at(int64_t i, int64_t j) const {
    return transposed ? values[j * rows + i] : values[i * cols + j];
  }
};

/// y = x·A·B + (c·B + d) as one product: A·B and c·B + d, accumulated in
/// double and rounded once. `c` and `d` are vectors (one value per column).
std::pair<std::vector<float>, std::vector<float>>
chain(const Matrix &a, const Matrix &b, ArrayRef<float> c, ArrayRef<float> d) {
  std::vector<float> w(a.rows * b.cols), bias(b.cols);
  for (int64_t j = 0; j < b.cols; ++j) {
    double sum = d[j];
    for (int64_t m = 0; m < b.rows; ++m)
      sum += double(c[m]) * b.at(m, j);
    bias[j] = float(sum);
  }
  for (int64_t i = 0; i < a.rows; ++i)
    for (int64_t j = 0; j < b.cols; ++j) {
      double sum = 0;
      for (int64_t m = 0; m < a.cols; ++m)
        sum += double(a.at(i, m)) * b.at(m, j);
      w[i * b.cols + j] = float(sum);
    }
  return {std::move(w), std::move(bias)};
}

ArrayRef<char> bytes(const std::vector<float> &v) {
  return ArrayRef<char>(reinterpret_cast<const char *>(v.data()),
                        v.size() * sizeof(float));
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
    if (second.getChannelsLast() || (first && first.getChannelsLast()))
      return rewriter.notifyMatchFailure(second, "channels_last");
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
    if (addsWork(in, mid, out))
      return rewriter.notifyMatchFailure(second, "merging adds work");
    auto w1 = floats(first.getFilter(), mid * in);
    auto w2 = floats(second.getFilter(), out * mid);
    auto b1 = floats(first.getBias(), mid);
    auto b2 = floats(second.getBias(), out);
    if (!w1 || !w2 || !b1 || !b2)
      return rewriter.notifyMatchFailure(second, "a weight is not a "
                                                 "constant");
    // Filters are [out][in]: the merged one is W2·W1, and its bias
    // W2·b1 + b2, i.e. (W1ᵀ·W2ᵀ)ᵀ and b1ᵀ·W2ᵀ + b2 in chain()'s terms.
    auto [wt, b] =
        chain({std::move(*w1), in, mid, /*transposed=*/true},
              {std::move(*w2), mid, out, /*transposed=*/true}, *b1, *b2);
    std::vector<float> w(out * in);
    for (int64_t o = 0; o < out; ++o)
      for (int64_t i = 0; i < in; ++i)
        w[o * in + i] = wt[i * out + o];
    Location loc = rewriter.getFusedLoc({first.getLoc(), second.getLoc()});
    SmallVector<int64_t> shape(w1Type.getShape());
    shape[0] = out;
    auto wType = RankedTensorType::get(shape, w1Type.getElementType());
    auto bType = RankedTensorType::get({out}, w1Type.getElementType());
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

/// A gemm or matmul by constants, as `y = s·x·B + v` (B [rows][cols], v one
/// value per column): what a product in a chain contributes.
struct Linear {
  Value x;
  Matrix b;
  std::vector<float> bias; // v, zeros when the op has none
};

/// `op` as a Linear map of its left operand, if it is one: a float32 gemm
/// (no transposed A unless `allowTransA`; C absent, a scalar or one value
/// per column) or a matmul by a 2-D constant. alpha folds into B, beta into
/// the bias.
std::optional<Linear> linear(Operation *op, bool allowTransA) {
  auto type = cast<RankedTensorType>(op->getResult(0).getType());
  if (!type.getElementType().isF32())
    return std::nullopt;
  int64_t cols = type.getShape().back();
  if (auto matmul = dyn_cast<kiln::nn::MatMulOp>(op)) {
    auto rhs = cast<RankedTensorType>(matmul.getRhs().getType());
    if (rhs.getRank() != 2)
      return std::nullopt;
    int64_t rows = rhs.getDimSize(0);
    auto b = floats(matmul.getRhs(), rows * cols);
    if (!b)
      return std::nullopt;
    return Linear{matmul.getLhs(),
                  {std::move(*b), rows, cols, false},
                  std::vector<float>(cols, 0.0f)};
  }
  auto gemm = dyn_cast<kiln::nn::GemmOp>(op);
  if (!gemm || (gemm.getTransA() && !allowTransA))
    return std::nullopt;
  auto bType = cast<RankedTensorType>(gemm.getB().getType());
  int64_t rows = bType.getDimSize(gemm.getTransB() ? 1 : 0);
  auto b = floats(gemm.getB(), rows * cols);
  std::vector<float> bias(cols, 0.0f);
  if (Value c = gemm.getC()) {
    auto cType = cast<RankedTensorType>(c.getType());
    int64_t n = cType.getNumElements();
    auto values = floats(c, n);
    if (!values || (n != 1 && (n != cols || cType.getShape().back() != cols)))
      return std::nullopt;
    float beta = gemm.getBeta().convertToFloat();
    for (int64_t j = 0; j < cols; ++j)
      bias[j] = beta * (*values)[n == 1 ? 0 : j];
  }
  if (!b)
    return std::nullopt;
  float alpha = gemm.getAlpha().convertToFloat();
  if (alpha != 1.0f)
    for (float &v : *b)
      v *= alpha;
  return Linear{gemm.getA(),
                {std::move(*b), rows, cols, gemm.getTransB()},
                std::move(bias)};
}

/// p2(p1(x)) -> one product when p1 and p2 are gemms or matmuls by
/// constants (Linear), p1's result used only by p2: gemm(x, B1·B2,
/// v1·B2 + v2) for gemms (p1's trans_a kept), matmul(x, B1·B2) for matmuls
/// without biases. Only when it adds no work.
struct MergeProducts : RewritePattern {
  explicit MergeProducts(MLIRContext *context)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, context) {}

  LogicalResult matchAndRewrite(Operation *second,
                                PatternRewriter &rewriter) const override {
    if (!isa<kiln::nn::GemmOp, kiln::nn::MatMulOp>(second))
      return failure();
    Operation *first = second->getOperand(0).getDefiningOp();
    if (!first || first->getName() != second->getName() || !first->hasOneUse())
      return rewriter.notifyMatchFailure(second, "input is not the same "
                                                 "product used only here");
    std::optional<Linear> p1 = linear(first, /*allowTransA=*/true);
    std::optional<Linear> p2 = linear(second, /*allowTransA=*/false);
    if (!p1 || !p2)
      return rewriter.notifyMatchFailure(second, "not products by float32 "
                                                 "constants");
    int64_t in = p1->b.rows, mid = p1->b.cols, out = p2->b.cols;
    if (addsWork(in, mid, out))
      return rewriter.notifyMatchFailure(second, "merging adds work");
    auto [w, bias] = chain(p1->b, p2->b, p1->bias, p2->bias);
    Location loc = rewriter.getFusedLoc({first->getLoc(), second->getLoc()});
    Type f32 = rewriter.getF32Type();
    auto wType = RankedTensorType::get({in, out}, f32);
    Value weight = kiln::nn::ConstantOp::create(
        rewriter, loc, wType, kiln::nn::constantValue(wType, bytes(w)));
    if (auto gemm = dyn_cast<kiln::nn::GemmOp>(first)) {
      auto bType = RankedTensorType::get({out}, f32);
      Value c = kiln::nn::ConstantOp::create(
          rewriter, loc, bType, kiln::nn::constantValue(bType, bytes(bias)));
      rewriter.replaceOpWithNewOp<kiln::nn::GemmOp>(
          second, p1->x, weight, c, rewriter.getF32FloatAttr(1.0f),
          rewriter.getF32FloatAttr(1.0f), gemm.getTransAAttr(),
          rewriter.getBoolAttr(false));
    } else {
      rewriter.replaceOpWithNewOp<kiln::nn::MatMulOp>(second, p1->x, weight);
    }
    rewriter.eraseOp(first);
    return success();
  }
};

struct MergeConsecutive : kiln::impl::MergeConsecutiveBase<MergeConsecutive> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<MergeOneByOne, MergeProducts>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
