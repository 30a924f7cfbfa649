//===- MemoryPlan.cpp - place all buffers in one arena ---------------------===//
//
// The runtime allocates one arena per session and never allocates while a
// model runs; this pass is what makes that possible for generated code.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/DenseMap.h"

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

/// Last position in `block` of an op using `root` or any view of it.
int64_t lastUse(Value root, Block &block,
                const llvm::DenseMap<Operation *, int64_t> &position) {
  int64_t last = 0;
  SmallVector<Value> worklist = {root};
  while (!worklist.empty()) {
    Value v = worklist.pop_back_val();
    for (OpOperand &use : v.getUses()) {
      Operation *user = block.findAncestorOpInBlock(*use.getOwner());
      if (user)
        last = std::max(last, position.lookup(user));
      // A view keeps its source alive for as long as the view is used.
      if (auto view = dyn_cast<ViewLikeOpInterface>(use.getOwner()))
        if (view.getViewSource() == v)
          for (Value r : use.getOwner()->getResults())
            worklist.push_back(r);
    }
  }
  return last;
}

struct PlanMemory : kiln::impl::PlanMemoryBase<PlanMemory> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    Block &entry = func.front();
    llvm::DenseMap<Operation *, int64_t> position;
    for (auto [i, op] : llvm::enumerate(entry))
      position[&op] = i;

    SmallVector<Buffer> buffers;
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
      int64_t bytes = type.getNumElements() *
                      std::max<int64_t>(1, type.getElementTypeBitWidth() / 8);
      buffers.push_back({alloc, alignUp(std::max<int64_t>(bytes, 1),
                                        kiln::kArenaAlignment),
                         position[alloc], lastUse(alloc, entry, position)});
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();

    // Greedy by size (as TFLite's arena planner): big buffers first, each at
    // the lowest offset free of the placed buffers live at the same time.
    SmallVector<Buffer *> order;
    for (Buffer &b : buffers)
      order.push_back(&b);
    llvm::stable_sort(order, [](Buffer *a, Buffer *b) {
      return a->size > b->size;
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
    for (Buffer &buf : buffers) {
      b.setInsertionPoint(buf.alloc);
      Value offset =
          arith::ConstantIndexOp::create(b, buf.alloc.getLoc(), buf.offset);
      Value view = memref::ViewOp::create(b, buf.alloc.getLoc(),
                                          buf.alloc.getType(), arena, offset,
                                          ValueRange{});
      for (Operation *user :
           llvm::make_early_inc_range(buf.alloc->getUsers()))
        if (isa<memref::DeallocOp>(user))
          user->erase();
      buf.alloc.replaceAllUsesWith(view);
      buf.alloc.erase();
    }
    func->setAttr(kiln::kArenaSizeAttr,
                  IntegerAttr::get(IntegerType::get(ctx, 64), arenaSize));
  }
};

} // namespace
