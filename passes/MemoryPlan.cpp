//===- MemoryPlan.cpp - place all buffers in one arena
//---------------------===//
//
// The runtime allocates one arena per session and never allocates while a
// model runs; this pass is what makes that possible for generated code.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Builders.h"
#include "mlir/Interfaces/DataLayoutInterfaces.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SetVector.h"

#include <functional>

namespace kiln {
#define GEN_PASS_DEF_PLANMEMORY
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

struct Buffer {
  memref::AllocOp alloc;
  int64_t size;  // bytes, rounded up to the alignment
  int64_t start; // entry-block position of the allocation
  int64_t end;   // last entry-block position that touches the buffer
  int64_t offset = -1;
};

bool overlap(const Buffer &a, const Buffer &b) {
  return a.start <= b.end && b.start <= a.end;
}

int64_t alignUp(int64_t v, int64_t a) { return (v + a - 1) / a * a; }

/// `root` and every value that may alias it. Views alias their source; so
/// may any memref an op computes from an alias (select, transpose, call,
/// ...) and any memref a region-holding op returns when its region yields an
/// alias. Over-approximating aliases only lengthens lifetimes and blocks
/// rewrites, which costs bytes, never correctness.
llvm::SetVector<Value> aliasesOf(Value root) {
  llvm::SetVector<Value> seen;
  seen.insert(root);
  for (size_t i = 0; i < seen.size(); ++i)
    for (Operation *owner : seen[i].getUsers()) {
      auto add = [&](ValueRange values) {
        for (Value v : values)
          if (isa<BaseMemRefType>(v.getType()))
            seen.insert(v);
      };
      add(owner->getResults());
      if (owner->hasTrait<OpTrait::IsTerminator>())
        add(owner->getParentOp()->getResults());
    }
  return seen;
}

/// The last op of `block` that touches `root` or an alias of it
/// (deallocations aside).
Operation *lastUser(Value root, Block &block) {
  Operation *last = nullptr;
  for (Value v : aliasesOf(root))
    for (Operation *owner : v.getUsers())
      if (Operation *user = block.findAncestorOpInBlock(*owner);
          user && !isa<memref::DeallocOp>(owner) &&
          (!last || last->isBeforeInBlock(user)))
        last = user;
  return last;
}

/// In-place reuse: an elementwise linalg.generic whose output is a fresh
/// buffer (untouched before it) and one of whose inputs dies at it, read
/// through the output's indexing map with no other alias of that input in
/// play, writes over that input: each element is read before it is
/// overwritten and never read again. The output buffer goes away.
void reuseDyingInputs(Block &entry) {
  SmallVector<linalg::GenericOp> generics;
  for (Operation &op : entry)
    if (auto g = dyn_cast<linalg::GenericOp>(op);
        g && g.hasPureBufferSemantics() && g.getNumDpsInits() == 1 &&
        g.getNumParallelLoops() == g.getNumLoops())
      generics.push_back(g);
  for (linalg::GenericOp op : generics) {
    OpOperand *init = op.getDpsInitOperand(0);
    auto out = init->get().getDefiningOp<memref::AllocOp>();
    if (!out || out->getBlock() != &entry ||
        llvm::any_of(out->getUsers(), [&](Operation *user) {
          Operation *at = entry.findAncestorOpInBlock(*user);
          return !at || at->isBeforeInBlock(op);
        }))
      continue;
    AffineMap outMap = op.getMatchingIndexingMap(init);
    for (OpOperand *in : op.getDpsInputOperands()) {
      auto src = in->get().getDefiningOp<memref::AllocOp>();
      if (!src || src->getBlock() != &entry || src.getType() != out.getType() ||
          op.getMatchingIndexingMap(in) != outMap ||
          lastUser(src, entry) != op.getOperation())
        continue;
      llvm::SetVector<Value> aliases = aliasesOf(src);
      bool safe = llvm::all_of(op->getOpOperands(), [&](OpOperand &o) {
        return !aliases.contains(o.get()) ||
               (o.get() == src.getResult() &&
                op.getMatchingIndexingMap(&o) == outMap);
      });
      op.getRegion().walk([&](Operation *nested) {
        for (Value v : nested->getOperands())
          safe &= !aliases.contains(v);
      });
      if (!safe)
        continue;
      out.getResult().replaceAllUsesWith(src.getResult());
      out->erase();
      break;
    }
  }
}

/// True if every value `op` (and its regions) uses from outside `op`, other
/// than `moving`, is a function argument or defined before `at` (all in the
/// entry block).
bool operandsDefinedBefore(Operation *op, Operation *at, Value moving) {
  WalkResult walk = op->walk([&](Operation *nested) {
    for (Value v : nested->getOperands()) {
      if (v == moving || op->isAncestor(v.getParentRegion()->getParentOp()))
        continue;
      Operation *def = v.getDefiningOp();
      if (def && !def->isBeforeInBlock(at))
        return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return !walk.wasInterrupted();
}

/// The ops that fill buffer `p` with one value: linalg ops with no memref
/// input whose only output is all of `p` through an identity map.
bool isWholeFill(Operation *op, Value p) {
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  if (!linalgOp || linalgOp.getNumDpsInits() != 1 ||
      linalgOp.getDpsInits()[0] != p ||
      !linalgOp.getMatchingIndexingMap(linalgOp.getDpsInitOperand(0))
           .isIdentity() ||
      linalgOp.getNumParallelLoops() != linalgOp.getNumLoops())
    return false;
  return llvm::none_of(linalgOp.getDpsInputs(), [](Value v) {
    return isa<BaseMemRefType>(v.getType());
  });
}

/// After copy elision into the slice `sub` of a padded buffer: the slice is
/// all written by its producers, so filling it first is wasted work (a whole
/// pass over the buffer). The fill `fill` of the whole buffer becomes fills
/// of the border around the slice: per dim, the slabs before and after it,
/// inside the slice in earlier dims and whole in later ones. Needs static
/// offsets and sizes and unit strides.
void fillBorderOnly(Operation *fill, memref::SubViewOp sub) {
  auto type = cast<MemRefType>(sub.getSource().getType());
  if (!type.hasStaticShape() || !sub.hasUnitStride())
    return;
  ArrayRef<int64_t> offsets = sub.getStaticOffsets(),
                    sizes = sub.getStaticSizes();
  if (ShapedType::isDynamicShape(offsets) || ShapedType::isDynamicShape(sizes))
    return;
  ArrayRef<int64_t> shape = type.getShape();
  OpBuilder b(fill);
  auto linalgOp = cast<linalg::LinalgOp>(fill);
  unsigned init = linalgOp.getDpsInitOperand(0)->getOperandNumber();
  int64_t rank = type.getRank();
  for (int64_t d = 0; d < rank; ++d) {
    std::pair<int64_t, int64_t> slabs[] = {
        {0, offsets[d]},
        {offsets[d] + sizes[d], shape[d] - offsets[d] - sizes[d]}};
    for (auto [start, length] : slabs) {
      if (length <= 0)
        continue;
      SmallVector<int64_t> o, z, ones(rank, 1);
      for (int64_t k = 0; k < rank; ++k) {
        o.push_back(k < d ? offsets[k] : k == d ? start : 0);
        z.push_back(k < d ? sizes[k] : k == d ? length : shape[k]);
      }
      auto slab = memref::SubViewOp::create(b, fill->getLoc(), sub.getSource(),
                                            o, z, ones);
      b.clone(*fill)->setOperand(init, slab.getResult());
    }
  }
  fill->erase();
}

/// Copy elision into slices: `linalg.copy ins(%x) outs(%s)`, where %s is a
/// subview of a fresh buffer %p (a padded input, a concat result) and %x a
/// buffer that dies at the copy, only written and read by linalg ops. %p's
/// allocation, the ops that fill it and the subview move up to where %x is
/// allocated, %x's producers write straight into %s, and the copy goes: the
/// unpadded and the padded tensor are never live together.
void elideCopiesIntoSlices(Block &entry) {
  SmallVector<linalg::CopyOp> copies;
  for (Operation &op : entry)
    if (auto copy = dyn_cast<linalg::CopyOp>(op);
        copy && copy.hasPureBufferSemantics())
      copies.push_back(copy);
  for (linalg::CopyOp copy : copies) {
    auto x = copy.getInputs()[0].getDefiningOp<memref::AllocOp>();
    auto sub = copy.getOutputs()[0].getDefiningOp<memref::SubViewOp>();
    if (!x || !sub || x->getBlock() != &entry || sub->getBlock() != &entry ||
        cast<MemRefType>(sub.getType()).getShape() != x.getType().getShape())
      continue;
    auto p = sub.getSource().getDefiningOp<memref::AllocOp>();
    if (!p || p->getBlock() != &entry || !x->isBeforeInBlock(p))
      continue;
    // %x: used only by linalg ops in this block, the copy last, directly
    // or through subviews of its own rank (the pieces of a split op each
    // writing its slice).
    auto linalgBeforeCopy = [&](Operation *user) {
      return user->getBlock() == &entry && isa<linalg::LinalgOp>(user) &&
             (user == copy || user->isBeforeInBlock(copy));
    };
    SmallVector<memref::SubViewOp> xViews;
    bool xOk = llvm::all_of(x->getUsers(), [&](Operation *user) {
      auto view = dyn_cast<memref::SubViewOp>(user);
      if (!view)
        return linalgBeforeCopy(user);
      xViews.push_back(view);
      return view->getBlock() == &entry &&
             view.getType().getRank() == x.getType().getRank() &&
             llvm::all_of(view->getUsers(), linalgBeforeCopy);
    });
    // %p before the copy: the subview and linalg ops that write only %p
    // from values that exist where %x is allocated.
    SmallVector<Operation *> move;
    bool pOk = xOk;
    for (Operation *user : p->getUsers()) {
      if (!pOk || copy->isBeforeInBlock(user) || user == copy)
        continue;
      if (user->getBlock() != &entry ||
          (user != sub && !isa<linalg::LinalgOp>(user)) ||
          !operandsDefinedBefore(user, x, p.getResult()) ||
          llvm::any_of(user->getOperands(), [&](Value v) {
            return v != p.getResult() && isa<BaseMemRefType>(v.getType());
          }))
        pOk = false;
      else
        move.push_back(user);
    }
    if (!pOk || !operandsDefinedBefore(p, x, Value()))
      continue;
    // Ops of %p's before the subview whose result the subview needs come
    // first: keep their order.
    llvm::sort(
        move, [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
    p->moveBefore(x);
    for (Operation *op : move)
      op->moveBefore(x);
    // A view of %x becomes the same view of the slice (its layout changes).
    for (memref::SubViewOp view : xViews) {
      OpBuilder b(view);
      auto moved = memref::SubViewOp::create(
          b, view.getLoc(), sub.getResult(), view.getMixedOffsets(),
          view.getMixedSizes(), view.getMixedStrides());
      view.getResult().replaceAllUsesWith(moved.getResult());
      view->erase();
    }
    x.getResult().replaceAllUsesWith(sub.getResult());
    // A padded input: %p's only writers were one fill and this slice; the
    // fill need not touch the slice.
    Operation *fill = nullptr;
    bool onlyFillAndSlice = llvm::all_of(move, [&](Operation *op) {
      if (op == sub.getOperation())
        return true;
      if (fill || !isWholeFill(op, p.getResult()))
        return false;
      fill = op;
      return true;
    });
    bool otherViews = llvm::any_of(p->getUsers(), [&](Operation *user) {
      return user != sub.getOperation() && isa<memref::SubViewOp>(user);
    });
    copy->erase();
    x->erase();
    if (fill && onlyFillAndSlice && !otherViews)
      fillBorderOnly(fill, sub);
  }
}

/// Greedy by size (as TFLite's arena planner): big buffers first, each at the
/// lowest offset free of the placed buffers live at the same time. Ties go to
/// program order so that the plan is deterministic. Returns the arena size.
int64_t placeGreedy(MutableArrayRef<Buffer> buffers) {
  SmallVector<Buffer *> order;
  for (Buffer &s : buffers)
    order.push_back(&s);
  llvm::sort(order, [](Buffer *a, Buffer *b) {
    return std::make_pair(-a->size, a->start) <
           std::make_pair(-b->size, b->start);
  });
  int64_t arenaSize = 0;
  SmallVector<Buffer *> placed;
  for (Buffer *b : order) {
    SmallVector<Buffer *> overlapping;
    for (Buffer *p : placed)
      if (overlap(*p, *b))
        overlapping.push_back(p);
    llvm::sort(overlapping,
               [](Buffer *x, Buffer *y) { return x->offset < y->offset; });
    int64_t offset = 0;
    for (Buffer *p : overlapping) {
      if (offset + b->size <= p->offset)
        break;
      offset = std::max(offset, p->offset + p->size);
    }
    b->offset = offset;
    arenaSize = std::max(arenaSize, offset + b->size);
    placed.push_back(b);
  }
  return arenaSize;
}

/// Exact search for the smallest arena (dynamic storage allocation is
/// NP-hard: only for a few buffers). Some optimal plan has every buffer resting
/// on offset 0 or on the end of a buffer below it that is live at the same
/// time, so buffers are placed in increasing offset order, each on one of
/// those candidates. Starts from the greedy plan's size and keeps it when
/// nothing smaller exists or `budget` search steps run out.
int64_t placeExact(MutableArrayRef<Buffer> buffers, int64_t greedySize,
                   int64_t budget) {
  int64_t n = buffers.size(), best = greedySize;
  SmallVector<int64_t> bestOffsets, offsets(n, -1);
  std::function<void(int64_t, int64_t, int64_t)> search =
      [&](int64_t placed, int64_t minOffset, int64_t size) {
        if (size >= best || --budget < 0)
          return;
        if (placed == n) {
          best = size;
          bestOffsets = offsets;
          return;
        }
        for (int64_t i = 0; i < n; ++i) {
          if (offsets[i] >= 0)
            continue;
          SmallVector<int64_t> candidates = {0};
          for (int64_t j = 0; j < n; ++j)
            if (offsets[j] >= 0 && overlap(buffers[i], buffers[j]))
              candidates.push_back(offsets[j] + buffers[j].size);
          for (int64_t c : candidates) {
            if (c < minOffset)
              continue;
            bool fits = true;
            for (int64_t j = 0; j < n && fits; ++j)
              fits = offsets[j] < 0 || !overlap(buffers[i], buffers[j]) ||
                     c + buffers[i].size <= offsets[j] ||
                     offsets[j] + buffers[j].size <= c;
            if (!fits)
              continue;
            offsets[i] = c;
            search(placed + 1, c, std::max(size, c + buffers[i].size));
            offsets[i] = -1;
          }
        }
      };
  search(0, 0, 0);
  if (bestOffsets.empty())
    return greedySize;
  for (int64_t i = 0; i < n; ++i)
    buffers[i].offset = bestOffsets[i];
  return best;
}

/// Bytes `alloc` needs, rounded up to the arena alignment; fails (with a
/// diagnostic) for buffers a static plan cannot place.
FailureOr<int64_t> allocSize(memref::AllocOp alloc, Block &entry,
                             const DataLayout &layout) {
  MemRefType type = alloc.getType();
  if (alloc->getBlock() != &entry)
    return alloc.emitOpError("is inside a nested region; the memory plan "
                             "needs every buffer in the entry block");
  if (!type.hasStaticShape() || !type.getLayout().isIdentity())
    return alloc.emitOpError("has a dynamic shape or a non-identity layout; "
                             "the memory plan needs static buffers");
  llvm::TypeSize elementSize = layout.getTypeSize(type.getElementType());
  if (elementSize.isScalable())
    return alloc.emitOpError("has scalable elements; the memory plan needs "
                             "static buffers");
  int64_t bytes = type.getNumElements() * int64_t(elementSize.getFixedValue());
  return alignUp(std::max<int64_t>(bytes, 1), kiln::kArenaAlignment);
}

/// Last position in `block` of an op that touches `alloc` or an alias of it.
/// Fails when an alias leaves the function through its results: such a
/// buffer must outlive the arena's contents. Deallocations of aliases are
/// collected in `deallocs` rather than counted as uses: the arena frees
/// nothing.
FailureOr<int64_t>
lifetimeEnd(memref::AllocOp alloc, Block &block,
            const llvm::DenseMap<Operation *, int64_t> &position,
            llvm::SetVector<Operation *> &deallocs) {
  int64_t last = position.lookup(alloc);
  for (Value v : aliasesOf(alloc.getResult()))
    for (Operation *owner : v.getUsers()) {
      if (isa<memref::DeallocOp>(owner)) {
        deallocs.insert(owner);
        continue;
      }
      Operation *user = block.findAncestorOpInBlock(*owner);
      if (user == owner && owner->hasTrait<OpTrait::ReturnLike>())
        return alloc.emitOpError("is returned by the function; buffers that "
                                 "leave it must be out-parameters");
      if (user)
        last = std::max(last, position.lookup(user));
    }
  return last;
}

struct PlanMemory : kiln::impl::PlanMemoryBase<PlanMemory> {
  using PlanMemoryBase::PlanMemoryBase;
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    if (!func.getBody().hasOneBlock()) {
      func.emitOpError("has more than one block; the memory plan needs "
                       "structured control flow");
      return signalPassFailure();
    }
    Block &entry = func.front();
    DataLayout layout = DataLayout::closest(func);
    // What the buffers would take without any sharing, for --stats.
    int64_t buffersSize = 0;
    WalkResult walk = func.walk([&](memref::AllocOp alloc) {
      FailureOr<int64_t> size = allocSize(alloc, entry, layout);
      if (failed(size))
        return WalkResult::interrupt();
      buffersSize += *size;
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();

    if (inPlace)
      reuseDyingInputs(entry);
    if (elideCopies)
      elideCopiesIntoSlices(entry);

    llvm::DenseMap<Operation *, int64_t> position;
    for (auto [i, op] : llvm::enumerate(entry))
      position[&op] = i;
    SmallVector<Buffer> buffers;
    llvm::SetVector<Operation *> deallocs;
    walk = func.walk([&](memref::AllocOp alloc) {
      FailureOr<int64_t> end = lifetimeEnd(alloc, entry, position, deallocs);
      if (failed(end))
        return WalkResult::interrupt();
      buffers.push_back({alloc, *allocSize(alloc, entry, layout),
                         position.lookup(alloc), *end});
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();

    int64_t arenaSize = placeGreedy(buffers);
    if (static_cast<int64_t>(buffers.size()) <= exactLimit)
      arenaSize = placeExact(buffers, arenaSize, /*budget=*/1 << 20);

    // The arena is one more argument; the runtime passes it last.
    MLIRContext *ctx = &getContext();
    auto arenaType = MemRefType::get({std::max<int64_t>(arenaSize, 1)},
                                     IntegerType::get(ctx, 8));
    unsigned index = func.getNumArguments();
    if (failed(func.insertArgument(
            index, arenaType, DictionaryAttr::get(ctx, {}), func.getLoc())))
      return signalPassFailure();
    Value arena = func.getArgument(index);
    OpBuilder b(ctx);
    for (Operation *dealloc : deallocs)
      dealloc->erase();
    for (Buffer &buf : buffers) {
      b.setInsertionPoint(buf.alloc);
      Value offset =
          arith::ConstantIndexOp::create(b, buf.alloc.getLoc(), buf.offset);
      Value view =
          memref::ViewOp::create(b, buf.alloc.getLoc(), buf.alloc.getType(),
                                 arena, offset, ValueRange{});
      buf.alloc.replaceAllUsesWith(view);
      buf.alloc.erase();
    }
    auto i64 = IntegerType::get(ctx, 64);
    func->setAttr(kiln::kArenaSizeAttr, IntegerAttr::get(i64, arenaSize));
    func->setAttr(kiln::kBuffersSizeAttr, IntegerAttr::get(i64, buffersSize));
  }
};

} // namespace
