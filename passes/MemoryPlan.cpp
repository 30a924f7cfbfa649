//===- MemoryPlan.cpp - place all buffers in one arena ---------------------===//
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
  llvm::DenseSet<Value> aliases; // the alloc and every value that may alias it
  int64_t firstUse; // first entry-block position that touches the buffer
};

/// Buffers that share one place in the arena: a buffer and the buffers that
/// elementwise ops wrote in place of it. Placement works on these.
struct Slot {
  int64_t size = 0, start = 0, end = 0;
  int64_t offset = -1;
};

bool overlap(const Slot &a, const Slot &b) {
  return a.start <= b.end && b.start <= a.end;
}

int64_t alignUp(int64_t v, int64_t a) { return (v + a - 1) / a * a; }

/// Adds the memref-typed values of `values` not seen yet to `worklist`.
void addAliases(ValueRange values, llvm::DenseSet<Value> &seen,
                SmallVectorImpl<Value> &worklist) {
  for (Value v : values)
    if (isa<BaseMemRefType>(v.getType()) && seen.insert(v).second)
      worklist.push_back(v);
}

/// Last position in `block` of an op that uses `alloc` or a value that may
/// alias it. Views alias their source; so may any memref an op computes from
/// an alias (select, transpose, call, ...) and any memref a region-holding
/// op returns when its region yields an alias. Over-approximating aliases
/// only lengthens a lifetime, which costs bytes, never correctness. Fails
/// when an alias leaves the function through its results: such a buffer
/// must outlive the arena's contents. Deallocations of aliases are collected
/// in `deallocs` rather than counted as uses: the arena frees nothing.
LogicalResult lifetime(Buffer &buf, Block &block,
                       const llvm::DenseMap<Operation *, int64_t> &position,
                       llvm::SetVector<Operation *> &deallocs) {
  memref::AllocOp alloc = buf.alloc;
  int64_t last = position.lookup(alloc), first = INT64_MAX;
  llvm::DenseSet<Value> &seen = buf.aliases;
  seen.insert(alloc.getResult());
  SmallVector<Value> worklist = {alloc.getResult()};
  while (!worklist.empty()) {
    Value v = worklist.pop_back_val();
    for (OpOperand &use : v.getUses()) {
      Operation *owner = use.getOwner();
      if (isa<memref::DeallocOp>(owner)) {
        deallocs.insert(owner);
        continue;
      }
      Operation *user = block.findAncestorOpInBlock(*owner);
      if (user == owner && owner->hasTrait<OpTrait::ReturnLike>())
        return alloc.emitOpError("is returned by the function; buffers that "
                                 "leave it must be out-parameters");
      if (user) {
        last = std::max(last, position.lookup(user));
        first = std::min(first, position.lookup(user));
      }
      addAliases(owner->getResults(), seen, worklist);
      if (owner->hasTrait<OpTrait::IsTerminator>() && user != owner)
        addAliases(owner->getParentOp()->getResults(), seen, worklist);
    }
  }
  buf.end = last;
  buf.firstUse = first;
  return success();
}

/// If `op` is an elementwise linalg.generic that can write its result over
/// one of its inputs, returns (input buffer, output buffer): the output is a
/// fresh buffer untouched before `op`, the input dies at `op`, and both are
/// accessed through the same indexing map with no other alias of the input
/// in play, so each element is read before it is overwritten and never
/// read again.
std::optional<std::pair<int64_t, int64_t>>
inPlaceCandidate(linalg::GenericOp op, int64_t pos,
                 const llvm::DenseMap<Value, int64_t> &bufferOf,
                 ArrayRef<Buffer> buffers, ArrayRef<int64_t> slotOf,
                 ArrayRef<Slot> slots) {
  if (op.getNumDpsInits() != 1 ||
      op.getNumParallelLoops() != op.getNumLoops())
    return std::nullopt;
  OpOperand *init = op.getDpsInitOperand(0);
  auto out = bufferOf.find(init->get());
  if (out == bufferOf.end() || buffers[out->second].firstUse != pos)
    return std::nullopt;
  AffineMap outMap = op.getMatchingIndexingMap(init);
  auto outType = cast<MemRefType>(init->get().getType());
  for (OpOperand *in : op.getDpsInputOperands()) {
    auto it = bufferOf.find(in->get());
    if (it == bufferOf.end() || in->get().getType() != outType ||
        op.getMatchingIndexingMap(in) != outMap ||
        slots[slotOf[it->second]].end != pos)
      continue;
    // Every other operand must be this buffer under the same map, or not
    // alias it at all.
    const Buffer &src = buffers[it->second];
    bool safe = llvm::all_of(op->getOpOperands(), [&](OpOperand &o) {
      if (!src.aliases.contains(o.get()))
        return true;
      return o.get() == in->get() &&
             (&o == init || op.getMatchingIndexingMap(&o) == outMap);
    });
    bool captured = false;
    op.getRegion().walk([&](Operation *nested) {
      for (Value v : nested->getOperands())
        captured |= src.aliases.contains(v);
    });
    if (safe && !captured)
      return std::make_pair(it->second, out->second);
  }
  return std::nullopt;
}

/// Greedy by size (as TFLite's arena planner): big slots first, each at the
/// lowest offset free of the placed slots live at the same time. Ties go to
/// program order so that the plan is deterministic. Returns the arena size.
int64_t placeGreedy(MutableArrayRef<Slot> slots) {
  SmallVector<Slot *> order;
  for (Slot &s : slots)
    order.push_back(&s);
  llvm::sort(order, [](Slot *a, Slot *b) {
    return std::make_pair(-a->size, a->start) <
           std::make_pair(-b->size, b->start);
  });
  int64_t arenaSize = 0;
  SmallVector<Slot *> placed;
  for (Slot *b : order) {
    SmallVector<Slot *> overlapping;
    for (Slot *p : placed)
      if (overlap(*p, *b))
        overlapping.push_back(p);
    llvm::sort(overlapping,
               [](Slot *x, Slot *y) { return x->offset < y->offset; });
    int64_t offset = 0;
    for (Slot *p : overlapping) {
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
/// NP-hard: only for a few slots). Some optimal plan has every slot resting
/// on offset 0 or on the end of a slot below it that is live at the same
/// time, so slots are placed in increasing offset order, each on one of
/// those candidates. Starts from the greedy plan's size and keeps it when
/// nothing smaller exists or `budget` search steps run out.
int64_t placeExact(MutableArrayRef<Slot> slots, int64_t greedySize,
                   int64_t budget) {
  int64_t n = slots.size(), best = greedySize;
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
            if (offsets[j] >= 0 && overlap(slots[i], slots[j]))
              candidates.push_back(offsets[j] + slots[j].size);
          for (int64_t c : candidates) {
            if (c < minOffset)
              continue;
            bool fits = true;
            for (int64_t j = 0; j < n && fits; ++j)
              fits = offsets[j] < 0 || !overlap(slots[i], slots[j]) ||
                     c + slots[i].size <= offsets[j] ||
                     offsets[j] + slots[j].size <= c;
            if (!fits)
              continue;
            offsets[i] = c;
            search(placed + 1, c, std::max(size, c + slots[i].size));
            offsets[i] = -1;
          }
        }
      };
  search(0, 0, 0);
  if (bestOffsets.empty())
    return greedySize;
  for (int64_t i = 0; i < n; ++i)
    slots[i].offset = bestOffsets[i];
  return best;
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
    llvm::DenseMap<Operation *, int64_t> position;
    for (auto [i, op] : llvm::enumerate(entry))
      position[&op] = i;
    DataLayout layout = DataLayout::closest(func);

    SmallVector<Buffer> buffers;
    llvm::SetVector<Operation *> deallocs;
    WalkResult walk = func.walk([&](memref::AllocOp alloc) {
      MemRefType type = alloc.getType();
      if (alloc->getBlock() != &entry)
        return alloc.emitOpError("is inside a nested region; the memory "
                                 "plan needs every buffer in the entry block"),
               WalkResult::interrupt();
      if (!type.hasStaticShape() || !type.getLayout().isIdentity())
        return alloc.emitOpError("has a dynamic shape or a non-identity "
                                 "layout; the memory plan needs static "
                                 "buffers"),
               WalkResult::interrupt();
      llvm::TypeSize elementSize = layout.getTypeSize(type.getElementType());
      if (elementSize.isScalable())
        return alloc.emitOpError("has scalable elements; the memory plan "
                                 "needs static buffers"),
               WalkResult::interrupt();
      int64_t bytes =
          type.getNumElements() * int64_t(elementSize.getFixedValue());
      Buffer &buf = buffers.emplace_back();
      buf.alloc = alloc;
      buf.size = alignUp(std::max<int64_t>(bytes, 1), kiln::kArenaAlignment);
      buf.start = position.lookup(alloc);
      if (failed(lifetime(buf, entry, position, deallocs)))
        return WalkResult::interrupt();
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();

    // One slot per buffer, then elementwise ops that can write over a dying
    // input put their output in the input's slot.
    SmallVector<Slot> slots;
    SmallVector<int64_t> slotOf;
    llvm::DenseMap<Value, int64_t> bufferOf;
    for (auto [i, buf] : llvm::enumerate(buffers)) {
      slots.push_back({buf.size, buf.start, buf.end});
      slotOf.push_back(i);
      bufferOf[buf.alloc.getResult()] = i;
    }
    if (inPlace) {
      for (auto [pos, op] : llvm::enumerate(entry)) {
        auto generic = dyn_cast<linalg::GenericOp>(op);
        if (!generic)
          continue;
        auto pair = inPlaceCandidate(generic, pos, bufferOf, buffers, slotOf,
                                     slots);
        if (!pair)
          continue;
        Slot &into = slots[slotOf[pair->first]];
        Slot &from = slots[slotOf[pair->second]];
        into.size = std::max(into.size, from.size);
        into.end = std::max(into.end, from.end);
        from.size = 0; // now empty: placed nowhere
        slotOf[pair->second] = slotOf[pair->first];
      }
    }
    SmallVector<Slot> live;
    SmallVector<int64_t> liveIndex(slots.size(), -1);
    for (auto [i, slot] : llvm::enumerate(slots))
      if (slot.size) {
        liveIndex[i] = live.size();
        live.push_back(slot);
      }
    int64_t arenaSize = placeGreedy(live);
    if (static_cast<int64_t>(live.size()) <= exactLimit)
      arenaSize = placeExact(live, arenaSize, /*budget=*/1 << 20);

    // The arena is one more argument; the runtime passes it last.
    MLIRContext *ctx = &getContext();
    auto arenaType = MemRefType::get({std::max<int64_t>(arenaSize, 1)},
                                     IntegerType::get(ctx, 8));
    unsigned index = func.getNumArguments();
    if (failed(func.insertArgument(index, arenaType,
                                   DictionaryAttr::get(ctx, {}),
                                   func.getLoc())))
      return signalPassFailure();
    Value arena = func.getArgument(index);
    OpBuilder b(ctx);
    for (Operation *dealloc : deallocs)
      dealloc->erase();
    for (auto [i, buf] : llvm::enumerate(buffers)) {
      b.setInsertionPoint(buf.alloc);
      Value offset = arith::ConstantIndexOp::create(
          b, buf.alloc.getLoc(), live[liveIndex[slotOf[i]]].offset);
      Value view = memref::ViewOp::create(b, buf.alloc.getLoc(),
                                          buf.alloc.getType(), arena, offset,
                                          ValueRange{});
      buf.alloc.replaceAllUsesWith(view);
      buf.alloc.erase();
    }
    int64_t buffersSize = 0;
    for (const Buffer &buf : buffers)
      buffersSize += buf.size;
    auto i64 = IntegerType::get(ctx, 64);
    func->setAttr(kiln::kArenaSizeAttr, IntegerAttr::get(i64, arenaSize));
    func->setAttr(kiln::kBuffersSizeAttr, IntegerAttr::get(i64, buffersSize));
  }
};

} // namespace
