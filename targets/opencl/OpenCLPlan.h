//===- OpenCLPlan.h - nn dialect to an OpenCL plan -------------*- C++ -*-===//
//
// The GPU variant of a model: @main of an nn module (NCHW, after the graph
// passes) becomes one OpenCL C 1.2 program, a launch per kernel in order, a
// device arena plan and the weights, encoded as kiln/opencl_plan.h says.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TARGETS_OPENCL_OPENCLPLAN_H
#define KILN_TARGETS_OPENCL_OPENCLPLAN_H

#include "mlir/IR/BuiltinOps.h"

#include <cstdint>
#include <string>
#include <vector>

namespace kiln::opencl {

/// What the plan holds, for kilnc --stats.
struct PlanSummary {
  int64_t kernels = 0;
  int64_t arenaBytes = 0;
  int64_t weightBytes = 0;
  int64_t sourceBytes = 0;
  std::string source; // the OpenCL C program
};

/// The encoded plan for @main, or failure after an error at the first op
/// the OpenCL target cannot run (naming it and why).
mlir::FailureOr<std::vector<uint8_t>> buildPlan(mlir::ModuleOp module,
                                                PlanSummary &summary);

} // namespace kiln::opencl

#endif // KILN_TARGETS_OPENCL_OPENCLPLAN_H
