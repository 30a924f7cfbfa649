//===- Fusion.cpp - what the fusion passes share --------------------------===//
#include "passes/Fusion.h"

#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;

namespace kiln {

SmallVector<Operation *>
growFusionGroup(Operation *root, function_ref<bool(Operation *)> isAnchor) {
  ArrayRef<int64_t> shape =
      cast<RankedTensorType>(root->getResult(0).getType()).getShape();
  llvm::SetVector<Operation *> group;
  group.insert(root);
  Operation *anchor = nullptr;
  auto joins = [&](Operation *producer) {
    if (!producer || group.contains(producer) ||
        producer->getBlock() != root->getBlock() ||
        producer->getNumResults() != 1)
      return false;
    auto type = dyn_cast<RankedTensorType>(producer->getResult(0).getType());
    if (!type || type.getShape() != shape)
      return false;
    if (!nn::isFusibleElementwise(producer) && (anchor || !isAnchor(producer)))
      return false;
    // A value needed outside the group would have to be materialised anyway.
    return llvm::all_of(producer->getUsers(),
                        [&](Operation *user) { return group.contains(user); });
  };
  // A producer whose users are not all in the group yet may qualify once
  // they join (x * sigmoid(x)), so sweep until nothing changes.
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t i = 0; i < group.size(); ++i) {
      if (group[i] == anchor)
        continue;
      for (Value operand : group[i]->getOperands()) {
        Operation *producer = operand.getDefiningOp();
        if (!joins(producer))
          continue;
        if (!nn::isFusibleElementwise(producer))
          anchor = producer;
        group.insert(producer);
        changed = true;
      }
    }
  }
  SmallVector<Operation *> ordered = group.takeVector();
  llvm::sort(ordered,
             [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
  return ordered;
}

nn::FusedOp outlineFusionGroup(RewriterBase &rewriter,
                               ArrayRef<Operation *> group,
                               nn::FusedKind kind) {
  llvm::SetVector<Operation *> members(group.begin(), group.end());
  llvm::SetVector<Value> inputs;
  SmallVector<Location> locs;
  for (Operation *op : group) {
    locs.push_back(op->getLoc());
    for (Value v : op->getOperands())
      if (!members.contains(v.getDefiningOp()))
        inputs.insert(v);
  }
  Operation *root = group.back();
  rewriter.setInsertionPoint(root);
  auto fused = nn::FusedOp::create(rewriter, rewriter.getFusedLoc(locs),
                                   root->getResult(0).getType(),
                                   inputs.getArrayRef(), kind);
  SmallVector<Location> argLocs;
  for (Value v : inputs)
    argLocs.push_back(v.getLoc());
  Block *body = rewriter.createBlock(
      &fused.getBody(), {}, ValueRange(inputs.getArrayRef()).getTypes(),
      argLocs);
  IRMapping mapping;
  mapping.map(inputs.getArrayRef(), body->getArguments());
  for (Operation *op : group)
    rewriter.clone(*op, mapping);
  nn::YieldOp::create(rewriter, root->getLoc(),
                      mapping.lookup(root->getResult(0)));
  rewriter.replaceOp(root, fused);
  // Users first: every other member is used only inside the group.
  for (Operation *op : llvm::reverse(group.drop_back()))
    rewriter.eraseOp(op);
  return fused;
}

SmallVector<Operation *> fusionRoots(Operation *func) {
  SmallVector<Operation *> roots;
  // Ops already in a group stay where they are.
  func->walk<WalkOrder::PreOrder>([&](Operation *op) {
    if (isa<nn::FusedOp>(op))
      return WalkResult::skip();
    if (nn::isFusibleElementwise(op))
      roots.push_back(op);
    return WalkResult::advance();
  });
  std::reverse(roots.begin(), roots.end());
  return roots;
}

} // namespace kiln
