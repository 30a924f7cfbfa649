//===- Calibration.h - activation ranges of a float model ------*- C++ -*-===//
//
// Post-training quantisation needs the range of every activation the NNA
// will hold in int8. The float model is compiled for this machine with
// those activations as extra outputs, loaded with libkilnrt, and run on
// calibration inputs: .npy files, or seeded random ones.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TARGETS_NNA_CALIBRATION_H
#define KILN_TARGETS_NNA_CALIBRATION_H

#include "targets/cpu/ObjectEmitter.h"

#include "kiln_tensor_io.h"
#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace kiln::nna {

struct CalibrationOptions {
  /// A directory of samples: with one model input, every *.npy in it is a
  /// sample; with several, each subdirectory is one, holding NAME.npy per
  /// input. Empty: `randomSamples` seeded N(0, 1) samples.
  std::string dir;
  int64_t randomSamples = 8;
  uint64_t seed = 0;
  /// How a value's range is taken from its per-sample ranges: their
  /// extremes (min/max over all samples), or their means, which rare
  /// outliers stretch less.
  enum class Method { MinMax, MeanMinMax } method = Method::MinMax;
};

/// One sample: a host tensor per model input, in input order.
struct Sample {
  std::vector<kiln_host_tensor> tensors;
  Sample() = default;
  Sample(const Sample &) = delete;
  Sample(Sample &&other) = default;
  ~Sample() {
    for (kiln_host_tensor &t : tensors)
      kiln_host_tensor_free(&t);
  }
};

/// The samples of `options` for the inputs of `sig`: the .npy files of
/// `options.dir`, or `options.randomSamples` seeded N(0, 1) ones (f32
/// inputs only). Fails with an error on `module` naming the file or input.
mlir::LogicalResult readSamples(mlir::ModuleOp module,
                                const CalibrationOptions &options,
                                const cpu::ModelSignature &sig,
                                std::vector<Sample> &samples);

/// The observed range of one activation.
struct Range {
  mlir::Value value; // an f32 argument of @main or result of one of its ops
  float min, max;
};

/// Runs @main of `module` (nn dialect, after the graph passes; left
/// unchanged) on the samples and returns the range of every f32 argument
/// and op result of @main, in program order, and how many samples ran. Fails
/// after an error (unreadable or mismatched samples, a failed compile or run).
mlir::FailureOr<std::vector<Range>> calibrate(mlir::ModuleOp module,
                                              const CalibrationOptions &options,
                                              int64_t &samples);

} // namespace kiln::nna

#endif // KILN_TARGETS_NNA_CALIBRATION_H
