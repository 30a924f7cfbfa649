//===- Pipeline.cpp - the graph pass pipeline on the nn dialect -----------===//
#include "passes/Pipeline.h"
#include "passes/Passes.h"

#include "mlir/Pass/PassRegistry.h"

void kiln::buildGraphPipeline(mlir::OpPassManager &pm,
                              const GraphPipelineOptions &options) {
  if (options.fold) {
    mlir::OpPassManager &fn = pm.nest<mlir::func::FuncOp>();
    // Identities first: a Dropout between a Conv and its BatchNormalization
    // hides the pair from the BN fold. Constants next, so that the weights
    // the later folds read are constants; transposes and reshapes before
    // the BN fold, which needs the conv or gemm right before the BN.
    fn.addPass(createEraseIdentityAndDead());
    fn.addPass(createFoldConstants());
    fn.addPass(createCancelTransposeReshape());
    fn.addPass(createFoldBatchNorm());
    fn.addPass(createFoldPad());
  }
}

void kiln::registerGraphPipeline() {
  mlir::PassPipelineRegistration<>(
      "kiln-graph-opt", "the graph passes kilnc runs on the nn dialect",
      [](mlir::OpPassManager &pm) { buildGraphPipeline(pm, {}); });
}
