//===- Pipeline.cpp - the graph pass pipeline -----------------------------===//
#include "passes/Pipeline.h"
#include "passes/Passes.h"

#include "mlir/Pass/PassOptions.h"
#include "mlir/Pass/PassRegistry.h"

using namespace mlir;

namespace kiln {

namespace {
struct GraphPipelineCLOptions
    : public PassPipelineOptions<GraphPipelineCLOptions> {
  Option<bool> fold{*this, "fold", llvm::cl::desc("run the folding passes"),
                    llvm::cl::init(true)};
  Option<bool> fuse{*this, "fuse", llvm::cl::desc("run the fusion passes"),
                    llvm::cl::init(true)};
};
} // namespace

void buildGraphPipeline(OpPassManager &pm,
                        const GraphPipelineOptions &options) {
  // Epilogues first: a chain that ends a convolution belongs to it, not to
  // an elementwise group of its own.
  if (options.fuse) {
    pm.addNestedPass<func::FuncOp>(createFuseConvEpilogue());
    pm.addNestedPass<func::FuncOp>(createFuseElementwise());
  }
}

void registerGraphPipeline() {
  PassPipelineRegistration<GraphPipelineCLOptions>(
      "kiln-graph-opt", "The graph passes kilnc runs before lowering",
      [](OpPassManager &pm, const GraphPipelineCLOptions &cl) {
        GraphPipelineOptions options;
        options.fold = cl.fold;
        options.fuse = cl.fuse;
        buildGraphPipeline(pm, options);
      });
}

} // namespace kiln
