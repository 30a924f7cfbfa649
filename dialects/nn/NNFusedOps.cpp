//===- NNFusedOps.cpp - nn dialect: fused groups --------------------------===//
//
// The verifier of nn.fused states what a fused group may hold, so that the
// lowering can rely on it: an anchor of the right kind that reads only block
// arguments, and float elementwise ops of the group's shape.
//
//===----------------------------------------------------------------------===//
#include "dialects/nn/NNOps.h"

#include "mlir/IR/Diagnostics.h"

using namespace mlir;
using namespace kiln::nn;

namespace kiln::nn {
bool isFusibleElementwise(Operation *op) {
  if (!isa<ReluOp, SigmoidOp, HardSwishOp, ClipOp, HardSigmoidOp, LeakyReluOp,
           AddOp, SubOp, MulOp, DivOp, MaxOp, MinOp, PReluOp, AbsOp, NegOp,
           ExpOp, LogOp, SqrtOp, ReciprocalOp, TanhOp, ErfOp, SoftplusOp,
           SoftsignOp, EluOp, SeluOp, CeluOp>(op))
    return false;
  // The integer forms of add/sub/mul/div/max/min lower to other bodies; a
  // group is a float kernel.
  return llvm::all_of(op->getOperandTypes(), [](Type t) {
    return isa<FloatType>(cast<RankedTensorType>(t).getElementType());
  });
}
} // namespace kiln::nn

Operation *FusedOp::getAnchor() {
  for (Operation &op : getBody().front())
    if (isa<ConvOp, GemmOp, MatMulOp>(op))
      return &op;
  return nullptr;
}

LogicalResult FusedOp::verify() {
  Block &block = getBody().front();
  if (block.getNumArguments() != getInputs().size() ||
      block.getArgumentTypes() != getInputs().getTypes())
    return emitOpError("block arguments must match the operands");
  return success();
}

LogicalResult FusedOp::verifyRegions() {
  Block &block = getBody().front();
  auto yield = dyn_cast<YieldOp>(block.getTerminator());
  if (!yield)
    return emitOpError("body must end with nn.yield");
  if (yield.getValue().getType() != getResult().getType())
    return emitOpError("yields ")
           << yield.getValue().getType() << " but the result is "
           << getResult().getType();
  ArrayRef<int64_t> shape = getResult().getType().getShape();
  Operation *anchor = nullptr;
  int64_t elementwise = 0;
  for (Operation &op : block.without_terminator()) {
    bool isAnchor =
        getKind() == FusedKind::ConvEpilogue
            ? isa<ConvOp>(op)
            : getKind() == FusedKind::GemmEpilogue && isa<GemmOp, MatMulOp>(op);
    if (isAnchor) {
      if (anchor)
        return op.emitOpError("is a second anchor in one fused group");
      anchor = &op;
      if (llvm::any_of(op.getOperands(),
                       [](Value v) { return !isa<BlockArgument>(v); }))
        return op.emitOpError("as the anchor of a fused group must read "
                              "block arguments only");
    } else if (isFusibleElementwise(&op)) {
      ++elementwise;
    } else {
      return op.emitOpError("is not allowed in an nn.fused of kind ")
             << stringifyFusedKind(getKind());
    }
    auto type = cast<RankedTensorType>(op.getResult(0).getType());
    if (type.getShape() != shape)
      return op.emitOpError("has shape ")
             << type << " in a fused group of shape " << getResult().getType();
    if (op.use_empty())
      return op.emitOpError("result is unused in its fused group");
  }
  if (getKind() == FusedKind::Elementwise && elementwise < 2)
    return emitOpError("elementwise group needs at least two ops");
  if (getKind() != FusedKind::Elementwise && (!anchor || elementwise < 1))
    return emitOpError("epilogue group needs an anchor and at least one "
                       "elementwise op");
  return success();
}
