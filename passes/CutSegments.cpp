//===- CutSegments.cpp - cut @main into a chain of segments
//----------------===//
//
// Per-segment variants (kilnc --variants) need a model cut where few values
// cross: there, a segment's variant can change without touching the rest.
// Ops are cut in their (topological) order, only between two ops where at
// most `max-live` values computed before are read after, so the segments
// form a chain; among those points the cuts balance the estimated work.
//
//===----------------------------------------------------------------------===//
#include "dialects/nn/NNOps.h"
#include "passes/Passes.h"

#include "llvm/ADT/DenseSet.h"

namespace kiln {
#define GEN_PASS_DEF_CUTSEGMENTS
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
namespace nn = kiln::nn;

namespace {

int64_t elements(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && t.hasStaticShape() ? t.getNumElements() : 1;
}

/// Multiply-adds of a conv, gemm or matmul; the elements written otherwise.
int64_t work(Operation *op) {
  if (op->getNumResults() == 0)
    return 1;
  int64_t out = elements(op->getResult(0));
  if (auto conv = dyn_cast<nn::ConvOp>(op)) {
    auto w = cast<RankedTensorType>(conv.getFilter().getType());
    return out * (w.getNumElements() / std::max<int64_t>(1, w.getDimSize(0)));
  }
  if (auto gemm = dyn_cast<nn::GemmOp>(op)) {
    auto a = cast<RankedTensorType>(gemm.getA().getType());
    return out * a.getDimSize(gemm.getTransA() ? 0 : 1);
  }
  if (auto mm = dyn_cast<nn::MatMulOp>(op)) {
    auto a = cast<RankedTensorType>(mm.getLhs().getType());
    return out * a.getDimSize(a.getRank() - 1);
  }
  return out;
}

struct CutSegments : kiln::impl::CutSegmentsBase<CutSegments> {
  using CutSegmentsBase::CutSegmentsBase;

  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    if (fn.getName() != "main" || fn.isExternal())
      return;
    if (segments < 1 || maxLive < 1) {
      fn.emitError("kiln-cut-segments: segments and max-live must be >= 1");
      return signalPassFailure();
    }
    SmallVector<Operation *> ops;
    for (Operation &op : fn.getBody().front().without_terminator())
      if (!isa<nn::ConstantOp>(op))
        ops.push_back(&op);
    llvm::DenseMap<Operation *, size_t> index;
    for (auto [i, op] : llvm::enumerate(ops))
      index[op] = i;
    // crossing[i]: values defined at or before ops[i] and read by an op
    // after it (a model output goes straight to the caller: it crosses
    // nothing by being returned). Model inputs are there for every segment.
    SmallVector<int64_t> crossing(ops.size() + 1, 0);
    for (auto [i, op] : llvm::enumerate(ops))
      for (Value r : op->getResults()) {
        size_t last = i;
        for (Operation *user : r.getUsers())
          if (auto it = index.find(user); it != index.end())
            last = std::max(last, it->second);
        crossing[i] += 1;
        crossing[last] -= 1;
      }
    for (size_t i = 1; i < ops.size(); ++i)
      crossing[i] += crossing[i - 1];
    int64_t total = 0;
    SmallVector<int64_t> prefix(ops.size());
    for (auto [i, op] : llvm::enumerate(ops))
      prefix[i] = total += work(op);
    // Greedy: cut at the first allowed point past each k/segments of the
    // work, never leaving an empty segment.
    SmallVector<size_t> cuts; // a cut after ops[c]
    int64_t k = 1;
    for (size_t i = 0; i + 1 < ops.size() && k < segments; ++i) {
      if (crossing[i] > maxLive || crossing[i] == 0)
        continue;
      if (prefix[i] * segments >= k * total) {
        cuts.push_back(i);
        while (k < segments && prefix[i] * segments >= k * total)
          ++k;
      }
    }
    OpBuilder b(fn.getContext());
    int64_t segment = 0;
    size_t next = 0;
    for (auto [i, op] : llvm::enumerate(ops)) {
      op->setAttr("kiln.segment", b.getI64IntegerAttr(segment));
      if (next < cuts.size() && cuts[next] == i) {
        ++segment;
        ++next;
      }
    }
    fn->setAttr("kiln.segments", b.getI64IntegerAttr(segment + 1));
  }
};

} // namespace
