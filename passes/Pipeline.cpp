//===- Pipeline.cpp - the graph pass pipeline on the nn dialect -----------===//
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
  Option<bool> merge{*this, "merge",
                     llvm::cl::desc("run the merging passes"),
                     llvm::cl::init(true)};
  Option<bool> fuse{*this, "fuse", llvm::cl::desc("run the fusion passes"),
                    llvm::cl::init(true)};
  Option<bool> channelsLast{
      *this, "channels-last",
      llvm::cl::desc("move convolutions and pools to NHWC (kiln-layout)"),
      llvm::cl::init(false)};
  Option<int64_t> tileBudget{
      *this, "tile-budget",
      llvm::cl::desc("split ops whose working set exceeds this many bytes "
                     "(0: no split)"),
      llvm::cl::init(0)};
  Option<bool> prunePatterns{
      *this, "prune-patterns",
      llvm::cl::desc("pattern-prune 3x3 convolutions (kiln-prune-patterns)"),
      llvm::cl::init(false)};
  Option<int64_t> patterns{*this, "patterns",
                           llvm::cl::desc("size of the pattern set"),
                           llvm::cl::init(8)};
  Option<double> connectivity{
      *this, "connectivity",
      llvm::cl::desc("fraction of each layer's kernels to remove"),
      llvm::cl::init(0.0)};
};
} // namespace

void buildGraphPipeline(OpPassManager &pm,
                        const GraphPipelineOptions &options) {
  OpPassManager &fn = pm.nest<func::FuncOp>();
  if (options.fold) {
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
  // Pruning on the folded weights (BatchNorm scales them), before merging
  // concatenates sibling filters and before the layout permutes them.
  PrunePatternsOptions prune;
  prune.prune = options.prunePatterns;
  prune.numPatterns = options.patterns;
  prune.connectivity = options.connectivity;
  fn.addPass(createPrunePatterns(prune));
  // Merging after folding (BatchNorm folded, the filters are constants).
  if (options.merge) {
    fn.addPass(createMergeParallel());
    fn.addPass(createMergeConsecutive());
  }
  // Layout after merging (which rewrites NCHW convs only) and before
  // fusion, so that groups form around the channels-last ops; the cancel
  // pass removes the transposes that meet.
  if (options.channelsLast) {
    fn.addPass(createLayout());
    fn.addPass(createCancelTransposeReshape());
  }
  // Fusion after folding (a folded BN or Pad leaves the conv next to its
  // epilogue); epilogues first: a chain that ends a convolution belongs to
  // it, not to an elementwise group of its own.
  if (options.fuse) {
    fn.addPass(createFuseConvEpilogue());
    fn.addPass(createFuseElementwise());
    fn.addPass(createFuseDepthwisePointwise());
  }
  // Split last: a fused group is cut as a whole, its epilogue with it.
  if (options.tileBudget > 0) {
    SplitToBudgetOptions split;
    split.tileBudget = options.tileBudget;
    fn.addPass(createSplitToBudget(split));
  }
}

void registerGraphPipeline() {
  PassPipelineRegistration<GraphPipelineCLOptions>(
      "kiln-graph-opt", "the graph passes kilnc runs on the nn dialect",
      [](OpPassManager &pm, const GraphPipelineCLOptions &cl) {
        GraphPipelineOptions options;
        options.fold = cl.fold;
        options.merge = cl.merge;
        options.fuse = cl.fuse;
        options.channelsLast = cl.channelsLast;
        options.tileBudget = cl.tileBudget;
        options.prunePatterns = cl.prunePatterns;
        options.patterns = cl.patterns;
        options.connectivity = cl.connectivity;
        buildGraphPipeline(pm, options);
      });
}

} // namespace kiln
