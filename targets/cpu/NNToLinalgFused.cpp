//===- NNToLinalgFused.cpp - nn -> linalg: fused groups -------------------===//
//
// An nn.fused group becomes one linalg.generic that computes all of its
// elementwise ops per element, from the scalar bodies their own lowerings
// use. In an epilogue group that generic's output is the anchor's result
// itself: it reads each accumulated element and overwrites it, so
// bufferization keeps one buffer for the whole group and no intermediate
// tensor is written.
//
//===----------------------------------------------------------------------===//
#include "targets/cpu/NNToLinalgPatterns.h"

#include "mlir/IR/IRMapping.h"

using namespace mlir;
using namespace kiln;

namespace kiln::cpu {
namespace {

struct FusedLowering : NNPattern<nn::FusedOp> {
  using NNPattern::NNPattern;
  LogicalResult
  matchAndRewrite(nn::FusedOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto outType = resultType(op);
    Block &block = op.getBody().front();
    Operation *anchor = op.getAnchor();
    Value init;
    if (anchor) {
      // The clone is an ordinary nn.conv / nn.gemm / nn.matmul outside the
      // group, which the conversion lowers with its own pattern (the conv's
      // accumulator starts as the broadcast bias).
      IRMapping operands;
      operands.map(block.getArguments(), adaptor.getInputs());
      init = rewriter.clone(*anchor, operands)->getResult(0);
    } else {
      init = emptyTensor(rewriter, loc, outType);
    }
    // Operands that only the anchor reads are not inputs of the generic.
    SmallVector<Value> inputs;
    SmallVector<Value> inputArgs;
    SmallVector<AffineMap> maps;
    for (BlockArgument arg : block.getArguments()) {
      if (llvm::all_of(arg.getUsers(),
                       [&](Operation *user) { return user == anchor; }))
        continue;
      Value input = adaptor.getInputs()[arg.getArgNumber()];
      inputs.push_back(input);
      inputArgs.push_back(arg);
      maps.push_back(broadcastMap(rewriter,
                                  cast<RankedTensorType>(input.getType()),
                                  outType.getShape()));
    }
    maps.push_back(rewriter.getMultiDimIdentityMap(outType.getRank()));
    SmallVector<utils::IteratorType> iters(outType.getRank(),
                                           utils::IteratorType::parallel);
    Value yielded = block.getTerminator()->getOperand(0);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, outType, inputs, init, maps, iters,
        [&](OpBuilder &b, Location l, ValueRange args) {
          IRMapping scalars;
          scalars.map(inputArgs, args.drop_back());
          if (anchor)
            scalars.map(anchor->getResult(0), args.back());
          for (Operation &inner : block.without_terminator()) {
            if (&inner == anchor)
              continue;
            SmallVector<Value> operands;
            for (Value v : inner.getOperands())
              operands.push_back(scalars.lookup(v));
            scalars.map(
                inner.getResult(0),
                fusibleElementwiseBody(&inner, b, inner.getLoc(), operands));
          }
          linalg::YieldOp::create(b, l, scalars.lookup(yielded));
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

} // namespace

void populateNNToLinalgFusedPatterns(RewritePatternSet &patterns) {
  patterns.add<FusedLowering>(patterns.getContext());
}

} // namespace kiln::cpu
