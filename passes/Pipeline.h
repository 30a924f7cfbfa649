//===- Pipeline.h - the graph pass pipeline on the nn dialect ---*- C++ -*-===//
#ifndef KILN_PASSES_PIPELINE_H
#define KILN_PASSES_PIPELINE_H

#include "mlir/Pass/PassManager.h"

namespace kiln {

/// Which groups of graph passes run (kilnc turns them off one by one to
/// measure what each is worth).
struct GraphPipelineOptions {
  /// Folding and canonicalisation: identity and dead ops, weight-only
  /// subgraphs, transpose/reshape chains, BatchNormalization, Pad.
  bool fold = true;
  /// Merging: sibling convolutions on one input, consecutive 1x1 convs.
  bool merge = true;
  /// Fusion.
  bool fuse = true;
  /// Layout: convolutions and pools channels-last (kiln-layout).
  bool channelsLast = false;
  /// Split: convs and gemms whose working set exceeds this many bytes are
  /// cut into pieces (0: no split).
  int64_t tileBudget = 0;
  /// Pattern pruning of 3x3 convs (kiln-prune-patterns; detection of
  /// pattern-sparse weights runs either way).
  bool prunePatterns = false;
  int64_t patterns = 8;
  double connectivity = 0.0;
};

/// Adds the graph passes that run on the nn dialect before it is lowered.
void buildGraphPipeline(mlir::OpPassManager &pm,
                        const GraphPipelineOptions &options);

/// Registers `kiln-graph-opt` (options `fold`, `merge`, `fuse`,
/// `channels-last`, `tile-budget`, `prune-patterns`, `patterns`,
/// `connectivity`) for kiln-opt.
void registerGraphPipeline();

} // namespace kiln

#endif // KILN_PASSES_PIPELINE_H
