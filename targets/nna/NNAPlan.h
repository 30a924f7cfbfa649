//===- NNAPlan.h - a quantised model to an NNA plan -------------*- C++ -*-===//
//
// The NNA variant of a model: @main after kiln-quantize-nna is partitioned
// between the NNA (maximal runs of nna ops, each one command stream) and
// the CPU (everything else, compiled into model entries), all meeting in
// one arena, and encoded as kiln/nna_plan.h says.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TARGETS_NNA_NNAPLAN_H
#define KILN_TARGETS_NNA_NNAPLAN_H

#include "targets/Partition.h"
#include "targets/nna/StreamBuilder.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace kiln::nna {

/// What the plan holds, for kilnc --stats.
struct PlanSummary {
  /// Set by the caller: every stream built layer by layer (no on-chip
  /// reuse between ops; the baseline of docs/nna.md's merge), or fused.
  bool layerByLayer = false;
  int64_t nnaSteps = 0, cpuSteps = 0;
  uint64_t commands = 0, dramBytes = 0; // over all streams
  uint64_t arenaBytes = 0, constantBytes = 0, cpuArenaBytes = 0;
  std::vector<StreamSummary> streams; // one per NNA step, in order
  /// Where each stream is in the plan's bytes: offset and size.
  std::vector<std::pair<uint64_t, uint64_t>> streamBytes;
  /// One line per step: "nna stream K", or "cpu entry E: ARGS -> RESULTS"
  /// with each ref as "input N", "output N" or "arena+OFFSET" and its bytes.
  std::vector<std::string> steps;
};

/// The encoded plan for @main of `module`, whose CPU steps become model
/// entries `firstEntry`, `firstEntry + 1`, ... through `compileSegment`;
/// empty when @main has no nna op. Fails after an error naming the op and
/// why.
mlir::FailureOr<std::vector<uint8_t>> buildPlan(mlir::ModuleOp module,
                                                const kiln_nna_config &config,
                                                CompileSegment compileSegment,
                                                unsigned firstEntry,
                                                PlanSummary &summary);

/// kilnc --emit=nna: the plan's steps, then each stream's summary and
/// commands as kiln-nna-stream prints them, from the bytes as the runtime
/// parses them.
llvm::Error printPlan(llvm::raw_ostream &os, const kiln_nna_config &config,
                      llvm::ArrayRef<uint8_t> plan, const PlanSummary &summary);

} // namespace kiln::nna

#endif // KILN_TARGETS_NNA_NNAPLAN_H
