//===- TileFusedEpilogues.cpp - epilogues inside the product's loops ------===//
//
// The lowering of an nn.fused epilogue group applies the epilogue in place
// after the whole product; here it moves into the product's loop nest, one
// row at a time, so the product's output is read back while in cache.
//
//===----------------------------------------------------------------------===//
#include "targets/cpu/Passes.h"

#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/TilingInterface.h"

namespace kiln::cpu {
#define GEN_PASS_DEF_TILEFUSEDEPILOGUESPASS
#include "targets/cpu/Passes.h.inc"
} // namespace kiln::cpu

using namespace mlir;

namespace {

struct TileFusedEpilogues
    : kiln::cpu::impl::TileFusedEpiloguesPassBase<TileFusedEpilogues> {
  void runOnOperation() override {
    SmallVector<linalg::GenericOp> epilogues;
    getOperation().walk([&](linalg::GenericOp op) {
      if (op->removeAttr(kiln::cpu::kEpilogueAttr))
        epilogues.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::GenericOp op : epilogues) {
      // One row per iteration: every loop but the innermost tiled by 1.
      int64_t loops = op.getNumLoops();
      Operation *product = op.getDpsInitOperand(0)->get().getDefiningOp();
      // Behind a reshape (grouped convs) there is nothing to fuse, and the
      // tile loops alone would only add overhead.
      if (loops < 2 || !isa_and_nonnull<TilingInterface>(product))
        continue;
      SmallVector<OpFoldResult> tileSizes(loops - 1, rewriter.getIndexAttr(1));
      tileSizes.push_back(rewriter.getIndexAttr(0));
      scf::SCFTileAndFuseOptions options;
      options.tilingOptions.setTileSizes(tileSizes);
      // Only the chain of destinations: the product and its initial value.
      options.setFusionControlFn(
          [](tensor::ExtractSliceOp, OpResult, bool isDestination)
              -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
            if (!isDestination)
              return std::nullopt;
            return scf::SCFTileAndFuseOptions::ControlFnResult{};
          });
      rewriter.setInsertionPoint(op);
      FailureOr<scf::SCFTileAndFuseResult> tiled =
          scf::tileConsumerAndFuseProducersUsingSCF(
              rewriter, cast<TilingInterface>(op.getOperation()), options);
      if (failed(tiled))
        return signalPassFailure();
      rewriter.replaceAllUsesWith(op.getResult(0),
                                  tiled->replacements.lookup(op.getResult(0)));
      rewriter.eraseOp(op);
      // The untiled producers are now unused, each once its consumer (fused
      // before it) is gone.
      for (Operation *producer : tiled->fusedProducers)
        if (producer->use_empty())
          rewriter.eraseOp(producer);
    }
  }
};

} // namespace
