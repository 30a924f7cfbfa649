//===- OpenCLPlan.h - nn dialect to an OpenCL plan -------------*- C++ -*-===//
//
// The GPU variant of a model: @main of an nn module (NCHW, after the graph
// passes) is partitioned between the GPU and the CPU, and becomes one
// OpenCL C 1.2 program, steps that run its kernels or call compiled CPU
// segments, a device arena plan and the weights, encoded as
// kiln/opencl_plan.h says.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TARGETS_OPENCL_OPENCLPLAN_H
#define KILN_TARGETS_OPENCL_OPENCLPLAN_H

#include "targets/Partition.h"

#include "mlir/IR/BuiltinOps.h"

#include <cstdint>
#include <string>
#include <vector>

namespace kiln::opencl {

struct PlanOptions {
  /// Ops kept on the CPU although the GPU could run them: nn op names
  /// ("softmax" or "nn.softmax"; a fused group matches its ops' names) or
  /// ONNX node names.
  std::vector<std::string> cpuOps;
  /// Work-items per work-group of the kernels that have this many or more
  /// (smaller kernels get one group); 0 leaves the choice to the driver.
  int64_t localSize = 64;
};

using kiln::CompileSegment;
using kiln::SegmentABI;

/// What the plan holds, for kilnc --stats.
struct PlanSummary {
  int64_t kernels = 0;
  int64_t arenaBytes = 0;
  int64_t weightBytes = 0;
  int64_t sourceBytes = 0;
  int64_t gpuSegments = 0, cpuSegments = 0;
  /// CPU segments that may run while the GPU segment before them is still
  /// running (they do not read its results).
  int64_t overlapping = 0;
  /// Why each op placed on the CPU is there: "node (nn.op): reason".
  std::vector<std::string> cpuOps;
  std::string source; // the OpenCL C program
};

/// The encoded plan for @main; empty when no op can run on the GPU (then
/// `summary.cpuOps` says why). Fails after an error naming the op and why.
mlir::FailureOr<std::vector<uint8_t>> buildPlan(mlir::ModuleOp module,
                                                const PlanOptions &options,
                                                CompileSegment compileSegment,
                                                PlanSummary &summary);

} // namespace kiln::opencl

#endif // KILN_TARGETS_OPENCL_OPENCLPLAN_H
