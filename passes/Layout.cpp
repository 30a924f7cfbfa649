//===- Layout.cpp - channels-last data layout for the CPU kernels ---------===//
//
// Convolutions and 2-D pools move to NHWC (filters to KHxKWxCxF, permuted
// at compile time), wrapped in transposes from and back to NCHW; then each
// transpose back to NCHW sinks through the elementwise ops and concats
// after it, so that two transposes meet and cancel (kiln-cancel-transpose-
// reshape, which kilnc runs next). What is left are the conversions the
// graph needs: at its inputs and outputs, and around ops that have no
// channels-last form.
//
//===----------------------------------------------------------------------===//
#include "dialects/nn/NNOps.h"
#include "passes/Passes.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

namespace kiln {
#define GEN_PASS_DEF_LAYOUT
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
namespace nn = kiln::nn;

namespace {

bool isFloat4D(Type t) {
  auto type = dyn_cast<RankedTensorType>(t);
  return type && type.getRank() == 4 && type.hasStaticShape() &&
         isa<FloatType>(type.getElementType());
}

Value transpose(PatternRewriter &rewriter, Location loc, Value v,
                ArrayRef<int64_t> perm) {
  return nn::TransposeOp::create(rewriter, loc, v, perm);
}

/// Rebuilds a 2-D conv or pool `op` channels-last between transposes.
template <typename OpTy>
LogicalResult toChannelsLast(OpTy op, PatternRewriter &rewriter,
                             Value filter = nullptr) {
  Location loc = op.getLoc();
  SmallVector<Value> operands(op->getOperands());
  operands[0] = transpose(rewriter, loc, operands[0], nn::kToChannelsLast);
  if (filter)
    operands[1] = transpose(rewriter, loc, filter, nn::kFilterToChannelsLast);
  auto type = nn::permuteType(cast<RankedTensorType>(op.getType()),
                              nn::kToChannelsLast);
  auto last =
      OpTy::create(rewriter, loc, TypeRange{type}, operands, op->getAttrs());
  last.setChannelsLast(true);
  rewriter.replaceOp(
      op, transpose(rewriter, loc, last.getResult(), nn::kToChannelsFirst));
  return success();
}

/// A stem conv on 3 input channels has too few entries per filter for the
/// pattern kernel to pay for leaving the NHWC layout (MobileNetV2 at 8x:
/// 2.74 -> 2.88 ms with its stem on the pattern kernel).
constexpr int64_t kMinPatternChannels = 16;

/// A pattern-pruned (or pattern-sparse) 3x3 stride-1 or -2 conv with one group
/// and at least kMinPatternChannels input channels (kiln-prune-patterns
/// marks it) sparse enough for the pattern kernel:
/// that kernel vectorises along NCHW rows (kiln-vector-kernels), so the
/// conv stays NCHW.
bool runsPatternKernel(nn::ConvOp op) {
  auto filter = cast<RankedTensorType>(op.getFilter().getType());
  auto info = op->getAttrOfType<DictionaryAttr>("kiln.prune");
  auto nonzero = info ? info.getAs<IntegerAttr>("nonzero") : nullptr;
  auto weights = info ? info.getAs<IntegerAttr>("weights") : nullptr;
  auto out = cast<RankedTensorType>(op.getType());
  return nonzero && weights && out.getRank() == 4 &&
         kiln::runsPatternKernel(nonzero.getInt(), weights.getInt(),
                                 op.getStrides().back(), out.getDimSize(3)) &&
         op.getGroup() == 1 && filter.getRank() == 4 &&
         filter.getDimSize(1) >= kMinPatternChannels &&
         filter.getDimSize(2) == 3 && filter.getDimSize(3) == 3 &&
         llvm::all_of(op.getStrides(), [](int64_t v) { return v <= 2; }) &&
         llvm::all_of(op.getDilations(), [](int64_t v) { return v == 1; });
}

/// Float 2-D convolutions, any grouping: one group and depthwise have
/// channels-last kernels of their own, other groupings run one such conv
/// per group (NNToLinalg).
struct ConvToChannelsLast : OpRewritePattern<nn::ConvOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(nn::ConvOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getChannelsLast() || !isFloat4D(op.getType()) ||
        !isFloat4D(op.getInput().getType()))
      return rewriter.notifyMatchFailure(op, "not a static 2-D float conv");
    if (runsPatternKernel(op))
      return rewriter.notifyMatchFailure(op, "pattern-sparse: NCHW kernel");
    return toChannelsLast(op, rewriter, op.getFilter());
  }
};

template <typename PoolOp>
struct PoolToChannelsLast : OpRewritePattern<PoolOp> {
  using OpRewritePattern<PoolOp>::OpRewritePattern;
  LogicalResult matchAndRewrite(PoolOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getChannelsLast() || !isFloat4D(op.getType()))
      return rewriter.notifyMatchFailure(op, "not a static 2-D float pool");
    return toChannelsLast(op, rewriter);
  }
};

/// The NHWC tensor whose transpose to NCHW `v` is, or null.
Value fromChannelsLast(Value v) {
  auto t = v.getDefiningOp<nn::TransposeOp>();
  if (!t || t.getPerm() != ArrayRef<int64_t>(nn::kToChannelsFirst))
    return nullptr;
  return t.getInput();
}

/// The permutation that undoes `perm`.
SmallVector<int64_t> inverse(ArrayRef<int64_t> perm) {
  SmallVector<int64_t> inv(perm.size());
  for (auto [i, p] : llvm::enumerate(perm))
    inv[p] = i;
  return inv;
}

/// Whether transposing a tensor of `shape` by `perm` only moves dims of
/// size 1, so that it is a reshape (a view, no data moves).
bool movesOnlyUnitDims(ArrayRef<int64_t> shape, ArrayRef<int64_t> perm) {
  int64_t last = -1;
  for (int64_t p : perm) {
    if (shape[p] == 1)
      continue;
    if (p < last)
      return false;
    last = p;
  }
  return true;
}

/// `v` (which broadcasts against a rank-`rank` result) as it reads in the
/// result's space permuted by `perm`: an existing transpose of `v` by
/// `perm`, or `v` rank-aligned with leading ones, then transposed, which
/// is a constant (folded later) or a reshape; null when it would move data
/// at run time.
Value permuteBroadcastOperand(PatternRewriter &rewriter, Operation *at, Value v,
                              ArrayRef<int64_t> perm) {
  Location loc = at->getLoc();
  for (Operation *user : v.getUsers())
    if (auto t = dyn_cast<nn::TransposeOp>(user);
        t && t.getPerm() == perm && t->getBlock() == at->getBlock()) {
      // It reads only `v`, which `at` reads too: it can move up to `at`.
      if (!t->isBeforeInBlock(at))
        rewriter.moveOpBefore(t, at);
      return t.getResult();
    }
  auto type = cast<RankedTensorType>(v.getType());
  int64_t rank = perm.size();
  if (type.getRank() > rank || !type.hasStaticShape())
    return nullptr;
  SmallVector<int64_t> shape(rank - type.getRank(), 1);
  llvm::append_range(shape, type.getShape());
  auto aligned = RankedTensorType::get(shape, type.getElementType());
  bool constant = matchPattern(v, m_Constant());
  if (!constant && !movesOnlyUnitDims(shape, perm))
    return nullptr;
  if (aligned != type)
    v = nn::ReshapeOp::create(rewriter, loc, aligned, v);
  auto permuted = nn::permuteType(aligned, perm);
  if (constant)
    return transpose(rewriter, loc, v, perm);
  return nn::ReshapeOp::create(rewriter, loc, permuted, v);
}

/// op(transpose(x, p), ...) = transpose(op(x, ...), p), p from NHWC to
/// NCHW, for an elementwise op whose other operands are transposes by p
/// too, or read as well through a transpose to NHWC that exists already,
/// or are broadcast operands that permute for free (constants, or tensors
/// whose moved dims are all 1).
struct SinkThroughElementwise : RewritePattern {
  SinkThroughElementwise(MLIRContext *ctx)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, ctx) {}
  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (!nn::isFusibleElementwise(op) || op->getNumResults() != 1)
      return failure();
    auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
    // Only transposes back to NCHW sink (so that none ever rises again).
    ArrayRef<int64_t> perm(nn::kToChannelsFirst);
    if (llvm::none_of(op->getOperands(), [&](Value v) {
          return fromChannelsLast(v) && v.getType() == resultType;
        }))
      return rewriter.notifyMatchFailure(op, "no full-size NHWC operand");
    SmallVector<int64_t> inv = inverse(perm);
    Location loc = op->getLoc();
    SmallVector<Value> operands;
    for (Value v : op->getOperands()) {
      if (Value x = fromChannelsLast(v)) {
        operands.push_back(x);
        continue;
      }
      Value p = permuteBroadcastOperand(rewriter, op, v, inv);
      if (!p)
        return rewriter.notifyMatchFailure(op, "an operand would move data");
      operands.push_back(p);
    }
    Operation *sunk = rewriter.clone(*op);
    sunk->setOperands(operands);
    sunk->getResult(0).setType(nn::permuteType(resultType, inv));
    rewriter.replaceOp(op, transpose(rewriter, loc, sunk->getResult(0), perm));
    return success();
  }
};

/// concat(transpose(x_i, p), axis) = transpose(concat(x_i, p[axis]), p)
/// for p from NHWC to NCHW.
struct SinkThroughConcat : OpRewritePattern<nn::ConcatOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(nn::ConcatOp op,
                                PatternRewriter &rewriter) const override {
    SmallVector<Value> inputs;
    ArrayRef<int64_t> perm(nn::kToChannelsFirst);
    for (Value v : op.getInputs()) {
      Value x = fromChannelsLast(v);
      if (!x)
        return rewriter.notifyMatchFailure(op, "an input is not from NHWC");
      inputs.push_back(x);
    }
    int64_t axis = perm[op.getAxis()];
    auto concat = nn::ConcatOp::create(rewriter, op.getLoc(), inputs, axis);
    rewriter.replaceOp(
        op, transpose(rewriter, op.getLoc(), concat.getResult(), perm));
    return success();
  }
};

/// slice(transpose(x, p)) = transpose(slice'(x), p) for p from NHWC to
/// NCHW, slice' reading x's dim p[i] as the slice read dim i (a channel
/// split becomes a slice of NHWC channels).
struct SinkThroughSlice : OpRewritePattern<nn::SliceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(nn::SliceOp op,
                                PatternRewriter &rewriter) const override {
    Value x = fromChannelsLast(op.getInput());
    ArrayRef<int64_t> perm(nn::kToChannelsFirst);
    if (!x)
      return rewriter.notifyMatchFailure(op, "input is not from NHWC");
    SmallVector<int64_t> offsets(4), sizes(4), steps(4);
    for (int64_t i = 0; i < 4; ++i) {
      offsets[perm[i]] = op.getOffsets()[i];
      sizes[perm[i]] = op.getSizes()[i];
      steps[perm[i]] = op.getSteps()[i];
    }
    auto slice = nn::SliceOp::create(rewriter, op.getLoc(), x,
                                     rewriter.getDenseI64ArrayAttr(offsets),
                                     rewriter.getDenseI64ArrayAttr(sizes),
                                     rewriter.getDenseI64ArrayAttr(steps));
    rewriter.replaceOp(
        op, transpose(rewriter, op.getLoc(), slice.getResult(), perm));
    return success();
  }
};

/// A channel shuffle (ShuffleNet: reshape N x C x H x W to N x g x C/g x H
/// x W, swap the two channel dims, reshape back) of a tensor that comes
/// from NHWC is the same shuffle on the NHWC tensor's last dim: N x H x W
/// x g x C/g, swapped, N x H x W x C; the transpose to NCHW moves below it.
struct ChannelShuffleChannelsLast : OpRewritePattern<nn::ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(nn::ReshapeOp merge,
                                PatternRewriter &rewriter) const override {
    auto swap = merge.getInput().getDefiningOp<nn::TransposeOp>();
    auto split =
        swap ? swap.getInput().getDefiningOp<nn::ReshapeOp>() : nn::ReshapeOp();
    Value x = split ? fromChannelsLast(split.getInput()) : Value(); // NHWC
    if (!x || swap.getPerm() != ArrayRef<int64_t>{0, 2, 1, 3, 4})
      return rewriter.notifyMatchFailure(merge, "not a channel shuffle");
    auto nchw = cast<RankedTensorType>(split.getInput().getType());
    auto split5 = cast<RankedTensorType>(split.getType());
    ArrayRef<int64_t> s = split5.getShape();
    if (!nchw.hasStaticShape() || merge.getType() != nchw ||
        s[0] != nchw.getDimSize(0) || s[1] * s[2] != nchw.getDimSize(1) ||
        s[3] != nchw.getDimSize(2) || s[4] != nchw.getDimSize(3))
      return rewriter.notifyMatchFailure(merge, "not a channel shuffle");
    Location loc = merge.getLoc();
    auto nhwc = cast<RankedTensorType>(x.getType());
    Type et = nhwc.getElementType();
    Value groups = nn::ReshapeOp::create(
        rewriter, loc,
        RankedTensorType::get({s[0], s[3], s[4], s[1], s[2]}, et), x);
    Value swapped = transpose(rewriter, loc, groups, {0, 1, 2, 4, 3});
    Value shuffled = nn::ReshapeOp::create(rewriter, loc, nhwc, swapped);
    rewriter.replaceOp(
        merge, transpose(rewriter, loc, shuffled, nn::kToChannelsFirst));
    return success();
  }
};

/// Replaces `op`, a mean over H and W of the NCHW transpose of NHWC `x`,
/// by the mean of x over dims 1 and 2: N x C without `keepdims`, else
/// N x 1 x 1 x C, which reads as N x C x 1 x 1 by a reshape.
void replaceBySpatialMean(PatternRewriter &rewriter, Operation *op, Value x,
                          bool keepdims) {
  auto mean = nn::ReduceMeanOp::create(rewriter, op->getLoc(), x,
                                       ArrayRef<int64_t>{1, 2}, keepdims);
  Type type = op->getResult(0).getType();
  if (mean.getType() == type)
    rewriter.replaceOp(op, mean);
  else
    rewriter.replaceOpWithNewOp<nn::ReshapeOp>(op, type, mean);
}

/// global_avg_pool(transpose(x, to NCHW)) = the mean of NHWC x over H and
/// W (keeping them).
struct GlobalPoolChannelsLast : OpRewritePattern<nn::GlobalAvgPoolOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(nn::GlobalAvgPoolOp op,
                                PatternRewriter &rewriter) const override {
    Value x = fromChannelsLast(op.getInput());
    if (!x || !isFloat4D(op.getType()))
      return rewriter.notifyMatchFailure(op, "input is not NHWC transposed");
    replaceBySpatialMean(rewriter, op, x, /*keepdims=*/true);
    return success();
  }
};

/// reduce_mean(transpose(x, to NCHW)) over H and W = the mean of NHWC x
/// over dims 1 and 2: N x C without keepdims, else reshaped to N x C x 1 x 1
/// (ShuffleNetV2's global pool is a ReduceMean).
struct SpatialMeanChannelsLast : OpRewritePattern<nn::ReduceMeanOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(nn::ReduceMeanOp op,
                                PatternRewriter &rewriter) const override {
    Value x = fromChannelsLast(op.getInput());
    if (!x || op.getAxes() != ArrayRef<int64_t>{2, 3})
      return rewriter.notifyMatchFailure(op, "not a mean over NCHW H and W");
    replaceBySpatialMean(rewriter, op, x, op.getKeepdims());
    return success();
  }
};

/// A transpose that only moves dims of size 1 is a reshape.
struct UnitTransposeToReshape : OpRewritePattern<nn::TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(nn::TransposeOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.getInput().getType().hasStaticShape() ||
        !movesOnlyUnitDims(op.getInput().getType().getShape(), op.getPerm()))
      return failure();
    rewriter.replaceOpWithNewOp<nn::ReshapeOp>(op, op.getType(), op.getInput());
    return success();
  }
};

struct LayoutPass : kiln::impl::LayoutBase<LayoutPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    patterns.add<ConvToChannelsLast, PoolToChannelsLast<nn::MaxPoolOp>,
                 PoolToChannelsLast<nn::AvgPoolOp>, SinkThroughElementwise,
                 SinkThroughConcat, SinkThroughSlice,
                 ChannelShuffleChannelsLast, GlobalPoolChannelsLast,
                 SpatialMeanChannelsLast, UnitTransposeToReshape>(ctx);
    // Permuted filters and broadcast constants become constants here.
    kiln::populateFoldConstantsPatterns(patterns);
    kiln::applyGraphPatterns(getOperation(), std::move(patterns));
  }
};

} // namespace
