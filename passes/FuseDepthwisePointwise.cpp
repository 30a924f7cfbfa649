//===- FuseDepthwisePointwise.cpp - a depthwise and a 1x1 conv by bands ---===//
//
// A depthwise conv followed by a pointwise (1x1) conv writes a tensor that
// the pointwise conv reads right back; when that tensor does not fit the
// cache, it goes to memory and back. Cut both into bands of rows, each band
// of the depthwise conv followed by the same band of the pointwise conv,
// and only one band of the intermediate exists at a time, in the cache.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"
#include "passes/Pieces.h"

#include "dialects/nn/NNOps.h"

#include "mlir/IR/PatternMatch.h"

namespace kiln {
#define GEN_PASS_DEF_FUSEDEPTHWISEPOINTWISE
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln::pieces;
namespace nn = kiln::nn;

namespace {

/// Name of the attribute `[band, bands]` the pieces of a fused pair carry.
constexpr llvm::StringLiteral kBandAttr = "kiln.dw_pw";

/// The read of `s` that is its conv's input.
const Read &inputRead(const Splittable &s) {
  return *llvm::find_if(
      s.reads, [](const Read &r) { return r.role == Role::ConvInput; });
}

bool isDepthwise(const Splittable &s) {
  auto conv = dyn_cast<nn::ConvOp>(s.core);
  return conv && conv.getType().getRank() == 4 && conv.getGroup() > 1 &&
         static_cast<int64_t>(conv.getGroup()) ==
             conv.getType().getDimSize(s.channelDim) &&
         conv.getFilter().getType().getDimSize(
             nn::filterDims(conv.getChannelsLast()).channels) == 1;
}

bool isPointwise(const Splittable &s) {
  auto conv = dyn_cast<nn::ConvOp>(s.core);
  auto all = [](ArrayRef<int64_t> v, int64_t x) {
    return llvm::all_of(v, [x](int64_t y) { return y == x; });
  };
  ArrayRef<int64_t> filter =
      conv ? conv.getFilter().getType().getShape() : ArrayRef<int64_t>();
  return conv && conv.getType().getRank() == 4 && conv.getGroup() == 1 &&
         all(filter.slice(nn::filterDims(conv.getChannelsLast()).window, 2),
             1) &&
         all(conv.getStrides(), 1) && all(conv.getPads(), 0);
}

struct FuseDepthwisePointwise
    : kiln::impl::FuseDepthwisePointwiseBase<FuseDepthwisePointwise> {
  using Base::Base;

  void runOnOperation() override {
    // (depthwise, pointwise) pairs, found before any is cut.
    std::vector<std::pair<Splittable, Splittable>> pairs;
    getOperation().walk([&](Operation *op) {
      if (!isa<nn::ConvOp, nn::FusedOp>(op) ||
          isa<nn::FusedOp>(op->getParentOp()))
        return;
      std::optional<Splittable> pw = splittable(op);
      if (!pw || !isPointwise(*pw))
        return;
      // The depthwise result is read by this conv as its input, only.
      unsigned operand = inputRead(*pw).operand;
      Operation *producer = op->getOperand(operand).getDefiningOp();
      if (!producer || !producer->hasOneUse() ||
          llvm::count_if(pw->reads, [&](const Read &r) {
            return r.operand == operand;
          }) != 1)
        return;
      std::optional<Splittable> dw = splittable(producer);
      if (!dw || !isDepthwise(*dw) || dw->rowDim != pw->rowDim ||
          kiln::tensorBytes(cast<RankedTensorType>(
              producer->getResult(0).getType())) <= intermediateBudget)
        return;
      pairs.push_back({std::move(*dw), std::move(*pw)});
    });
    for (auto &[dw, pw] : pairs)
      fuse(dw, pw);
  }

  void fuse(Splittable &dw, Splittable &pw) {
    Operation *producer = dw.op, *consumer = pw.op;
    auto type = cast<RankedTensorType>(producer->getResult(0).getType());
    int64_t rows = type.getDimSize(dw.rowDim);
    int64_t count =
        std::min(rows, (kiln::tensorBytes(type) + intermediateBudget - 1) /
                           intermediateBudget);
    separateReads(dw);
    separateReads(pw);
    OpBuilder b(consumer);
    hoistPads(b, dw);
    // Bands of rows: the same rows of both results (1x1, stride 1).
    SmallVector<int64_t> units(4, 0), grid(4, 1);
    units[dw.rowDim] = 1;
    grid[dw.rowDim] = count;
    SmallVector<SmallVector<Span>> dwBands =
        piecesOf(type.getShape(), units, grid);
    SmallVector<SmallVector<Span>> pwBands = piecesOf(
        cast<RankedTensorType>(consumer->getResult(0).getType()).getShape(),
        units, grid);
    SliceCache dwCache, pwCache;
    SmallVector<Value> results;
    unsigned input = inputRead(pw).operand;
    for (int64_t i = 0; i < count; ++i) {
      auto band = b.getDenseI64ArrayAttr({i, count});
      Operation *first = buildPiece(b, dwCache, dw, dwBands[i]);
      first->setAttr(kBandAttr, band);
      Operation *second = buildPiece(b, pwCache, pw, pwBands[i],
                                     {{input, first->getResult(0)}});
      second->setAttr(kBandAttr, band);
      results.push_back(second->getResult(0));
    }
    consumer->getResult(0).replaceAllUsesWith(
        concatGrid(b, consumer->getLoc(), results, grid));
    consumer->erase();
    producer->erase();
  }
};

} // namespace
