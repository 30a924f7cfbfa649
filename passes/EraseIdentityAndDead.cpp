//===- EraseIdentityAndDead.cpp - drop nn.identity and unused nn ops ------===//
#include "dialects/nn/NNOps.h"
#include "passes/Passes.h"

#include "mlir/IR/Iterators.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace kiln {
#define GEN_PASS_DEF_ERASEIDENTITYANDDEAD
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {
struct EraseIdentityAndDeadPass
    : kiln::impl::EraseIdentityAndDeadBase<EraseIdentityAndDeadPass> {
  void runOnOperation() override {
    getOperation().walk([](kiln::nn::IdentityOp op) {
      op.getResult().replaceAllUsesWith(op.getInput());
    });
    // Users come after their operands in a block, so a reverse post-order
    // walk sees a dead user before its operands, which it leaves dead too.
    getOperation().walk<WalkOrder::PostOrder, ReverseIterator>(
        [](Operation *op) {
          if (isa<kiln::nn::NNDialect>(op->getDialect()) &&
              isOpTriviallyDead(op))
            op->erase();
        });
  }
};
} // namespace

void kiln::eraseDeadOps(func::FuncOp fn) {
  // In reverse order a dead user goes before its operands, which it leaves
  // dead too.
  SmallVector<Operation *> ops;
  for (Operation &op : fn.getBody().front().without_terminator())
    ops.push_back(&op);
  for (Operation *op : llvm::reverse(ops))
    if (isOpTriviallyDead(op))
      op->erase();
}
