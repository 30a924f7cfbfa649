//===- VariantBuilder.h - a model as per-segment variants -------*- C++ -*-===//
//
// `kilnc --variants=...` (issue 9, docs/variants.md): the model is cut into
// a chain of segments (kiln-cut-segments), each segment is compiled once
// per variant kind by kilnc itself, as a model of its own, and the
// artifact holds them all with a variant table (kiln/variants.h) whose
// cost profiles come from running every variant on this machine on the
// calibration samples: latency, memory and an accuracy proxy.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TARGETS_VARIANTS_VARIANTBUILDER_H
#define KILN_TARGETS_VARIANTS_VARIANTBUILDER_H

#include "targets/cpu/ObjectEmitter.h"
#include "targets/nna/Calibration.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

namespace kiln::variants {

/// The variant kinds `--variants` accepts, in the order kiln_variant_kind
/// numbers them: fp32, int8, pruned, opencl, nna.
extern const char *const kKindNames[5];

struct Options {
  /// Kinds to build (indices into kKindNames), each at most once.
  std::vector<unsigned> kinds;
  /// CPU thread counts each CPU kind gets a table entry for (>= 1).
  std::vector<unsigned> threads = {1};
  int64_t segments = 4;
  /// This kilnc: each (segment, kind) is compiled by running it.
  std::string kilnc;
  /// Flags every sub-compile for the target gets (--target, --mcpu, ...).
  std::vector<std::string> targetArgs;
  /// Flags of the pruned kind (--prune=pattern, ...) and the NNA kind
  /// (--nna-config=...).
  std::vector<std::string> pruneArgs, nnaArgs;
  /// The machine kilnc runs on, when it is not the target: every variant
  /// is then compiled twice, for this machine (to be measured) and for the
  /// target (to be shipped). Empty when they are the same.
  std::string hostTriple;
  nna::CalibrationOptions calibration;
  /// Samples a variant's latency is the median of.
  unsigned timedRuns = 3;
};

/// Builds the artifact: `module` is the imported model (nn dialect, left
/// unchanged), `sig` its signature; writes an object (with `header`, when
/// not empty) or, when `shared`, a shared object to `path`. Reports the
/// table to `stats` when not null. Fails after an error.
mlir::LogicalResult build(mlir::ModuleOp module, const cpu::ModelSignature &sig,
                          const Options &options,
                          const cpu::CPUTargetOptions &target,
                          llvm::TargetMachine &tm, bool shared,
                          llvm::StringRef path, llvm::StringRef header,
                          llvm::raw_ostream *stats);

} // namespace kiln::variants

#endif // KILN_TARGETS_VARIANTS_VARIANTBUILDER_H
