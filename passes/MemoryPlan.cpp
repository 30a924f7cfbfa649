//===- MemoryPlan.cpp - place all buffers in one arena ---------------------===//
//
// The runtime allocates one arena per session and never allocates while a
// model runs; this pass is what makes that possible for generated code.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

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
  int64_t offset = -1;
};

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
FailureOr<int64_t>
lastUse(memref::AllocOp alloc, Block &block,
        const llvm::DenseMap<Operation *, int64_t> &position,
        llvm::SetVector<Operation *> &deallocs) {
  int64_t last = position.lookup(alloc);
  llvm::DenseSet<Value> seen = {alloc.getResult()};
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
                                 "leave it must be out-parameters"),
               failure();
      if (user)
        last = std::max(last, position.lookup(user));
      addAliases(owner->getResults(), seen, worklist);
      if (owner->hasTrait<OpTrait::IsTerminator>() && user != owner)
        addAliases(owner->getParentOp()->getResults(), seen, worklist);
    }
  }
  return last;
}

struct PlanMemory : kiln::impl::PlanMemoryBase<PlanMemory> {
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
      FailureOr<int64_t> end = lastUse(alloc, entry, position, deallocs);
      if (failed(end))
        return WalkResult::interrupt();
      int64_t bytes =
          type.getNumElements() * int64_t(elementSize.getFixedValue());
      buffers.push_back(
          {alloc, alignUp(std::max<int64_t>(bytes, 1), kiln::kArenaAlignment),
           position.lookup(alloc), *end});
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();

    // Greedy by size (as TFLite's arena planner): big buffers first, each at
    // the lowest offset free of the placed buffers live at the same time.
    // Ties go to program order so that the plan is deterministic.
    SmallVector<Buffer *> order;
    for (Buffer &b : buffers)
      order.push_back(&b);
    llvm::sort(order, [](Buffer *a, Buffer *b) {
      return std::make_pair(-a->size, a->start) <
             std::make_pair(-b->size, b->start);
    });
    int64_t arenaSize = 0;
    SmallVector<Buffer *> placed;
    for (Buffer *b : order) {
      SmallVector<Buffer *> overlapping;
      for (Buffer *p : placed)
        if (p->start <= b->end && b->start <= p->end)
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
    for (Buffer &buf : buffers) {
      b.setInsertionPoint(buf.alloc);
      Value offset =
          arith::ConstantIndexOp::create(b, buf.alloc.getLoc(), buf.offset);
      Value view = memref::ViewOp::create(b, buf.alloc.getLoc(),
                                          buf.alloc.getType(), arena, offset,
                                          ValueRange{});
      buf.alloc.replaceAllUsesWith(view);
      buf.alloc.erase();
    }
    func->setAttr(kiln::kArenaSizeAttr,
                  IntegerAttr::get(IntegerType::get(ctx, 64), arenaSize));
  }
};

} // namespace
