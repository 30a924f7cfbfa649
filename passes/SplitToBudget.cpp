//===- SplitToBudget.cpp - cut big convs and gemms into pieces ------------===//
//
// An op whose operands and result do not fit the budget (a cache, an
// on-chip buffer) becomes several smaller copies of itself on slices of its
// operands, concatenated back. Batch, output channels and rows are the
// dimensions along which every output element keeps the products it had, so
// the split changes no value.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"
#include "passes/Pieces.h"

#include "dialects/nn/NNOps.h"

#include "mlir/IR/PatternMatch.h"

namespace kiln {
#define GEN_PASS_DEF_SPLITTOBUDGET
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln::pieces;
namespace nn = kiln::nn;

namespace {

/// Name of the attribute `[index, count]` every piece carries.
constexpr llvm::StringLiteral kSplitAttr = "kiln.split";

/// The grid (pieces per output dim) this op is cut into; all ones if it
/// fits already.
SmallVector<int64_t> chooseGrid(const Splittable &s, int64_t budget,
                                int64_t maxPieces) {
  ArrayRef<int64_t> shape =
      cast<RankedTensorType>(s.op->getResult(0).getType()).getShape();
  SmallVector<int64_t> ones(shape.size(), 1);
  SmallVector<SmallVector<Span>> whole = piecesOf(shape, s.units, ones);
  std::optional<int64_t> now = workingSet(s, whole);
  if (!now || *now <= budget)
    return ones;
  // Every grid of at most maxPieces pieces, dims in order.
  SmallVector<SmallVector<int64_t>> grids = {{}};
  for (auto [d, size] : llvm::enumerate(shape)) {
    int64_t most = s.units[d] ? size / s.units[d] : 1;
    SmallVector<SmallVector<int64_t>> next;
    for (const SmallVector<int64_t> &prefix : grids) {
      int64_t used = 1;
      for (int64_t c : prefix)
        used *= c;
      for (int64_t c = 1; c <= most && used * c <= maxPieces; ++c) {
        next.push_back(prefix);
        next.back().push_back(c);
      }
    }
    grids = std::move(next);
  }
  SmallVector<int64_t> best = ones;
  int64_t bestPieces = 1, bestBytes = *now;
  bool bestFits = false;
  for (const SmallVector<int64_t> &grid : grids) {
    std::optional<int64_t> bytes =
        workingSet(s, piecesOf(shape, s.units, grid));
    if (!bytes)
      continue;
    int64_t count = 1;
    for (int64_t c : grid)
      count *= c;
    bool fits = *bytes <= budget;
    bool better =
        fits ? (!bestFits || count < bestPieces ||
                (count == bestPieces && *bytes < bestBytes))
             : (!bestFits && (*bytes < bestBytes ||
                              (*bytes == bestBytes && count < bestPieces)));
    if (better) {
      best = grid;
      bestPieces = count;
      bestBytes = *bytes;
      bestFits = fits;
    }
  }
  return best;
}
struct SplitToBudget : kiln::impl::SplitToBudgetBase<SplitToBudget> {
  using Base::Base;

  void runOnOperation() override {
    if (tileBudget <= 0)
      return;
    SmallVector<Operation *> candidates;
    getOperation().walk([&](Operation *op) {
      if (isa<nn::ConvOp, nn::GemmOp, nn::FusedOp>(op) &&
          !isa<nn::FusedOp>(op->getParentOp()))
        candidates.push_back(op);
    });
    for (Operation *op : candidates) {
      std::optional<Splittable> s = splittable(op);
      if (!s)
        continue;
      SmallVector<int64_t> grid = chooseGrid(*s, tileBudget, maxPieces);
      if (llvm::all_of(grid, [](int64_t c) { return c == 1; }))
        continue;
      ArrayRef<int64_t> shape =
          cast<RankedTensorType>(op->getResult(0).getType()).getShape();
      SmallVector<SmallVector<Span>> pieces = piecesOf(shape, s->units, grid);
      separateReads(*s);
      OpBuilder b(op);
      hoistPads(b, *s);
      SliceCache cache;
      SmallVector<Value> results;
      for (auto [i, piece] : llvm::enumerate(pieces)) {
        Operation *made = buildPiece(b, cache, *s, piece);
        made->setAttr(kSplitAttr, b.getDenseI64ArrayAttr(
                                      {static_cast<int64_t>(i),
                                       static_cast<int64_t>(pieces.size())}));
        results.push_back(made->getResult(0));
      }
      op->getResult(0).replaceAllUsesWith(
          concatGrid(b, op->getLoc(), results, grid));
      op->erase();
    }
    // Slices of weights become the sliced weights.
    RewritePatternSet patterns(&getContext());
    kiln::populateFoldConstantsPatterns(patterns);
    kiln::applyGraphPatterns(getOperation(), std::move(patterns));
  }
};

} // namespace
