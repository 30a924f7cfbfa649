//===- Pipeline.h - the graph pass pipeline ---------------------*- C++ -*-===//
//
// The nn-level passes in the order kilnc runs them, between import and the
// lowering to a target.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_PASSES_PIPELINE_H
#define KILN_PASSES_PIPELINE_H

#include "mlir/Pass/PassManager.h"

namespace kiln {

struct GraphPipelineOptions {
  bool fold = true;
  bool fuse = true;
};

/// Adds the graph passes that `options` enables to `pm` (on a module).
void buildGraphPipeline(mlir::OpPassManager &pm,
                        const GraphPipelineOptions &options);

/// Registers `kiln-graph-opt` (with the `fold` and `fuse` options) for
/// kiln-opt.
void registerGraphPipeline();

} // namespace kiln

#endif // KILN_PASSES_PIPELINE_H
