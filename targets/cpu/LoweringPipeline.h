//===- LoweringPipeline.h - linalg on tensors to the LLVM dialect -*- C++ -*-=//
#ifndef KILN_TARGETS_CPU_LOWERINGPIPELINE_H
#define KILN_TARGETS_CPU_LOWERINGPIPELINE_H

#include "passes/Passes.h"

#include "mlir/Pass/PassManager.h"

namespace kiln::cpu {

/// Appends the passes that take `@main` from linalg/tensor/arith/math on
/// tensors to the LLVM dialect: bufferization with out-parameters, the
/// arena memory plan, loops, and the LLVM conversions. `@main` ends with the
/// bare-pointer calling convention: (inputs..., outputs..., arena).
/// `plan` configures the memory plan (kilnc --no-memory-reuse turns its
/// in-place reuse and copy elision off). `vectorBits` is the width of the
/// vector kernels' registers (vectorKernelBits of the target machine).
/// linalg on tensors to the LLVM dialect; with `autotune`,
/// kiln-autotune-patterns times the pattern kernel's tiles on this machine.
void buildLinalgToLLVMPipeline(mlir::OpPassManager &pm,
                               const kiln::PlanMemoryOptions &plan = {},
                               int64_t vectorBits = 256, bool autotune = false);

/// From kiln-vector-kernels on (linalg on planned buffers) to the LLVM
/// dialect; `threads` adds kiln-outline-parallel and kiln-mark-layers, which
/// need the runtime (@main's kiln_parallel argument).
void buildKernelsToLLVMPipeline(mlir::OpPassManager &pm, int64_t vectorBits,
                                bool threads);

/// The whole CPU pipeline from the nn dialect.
void buildNNToLLVMPipeline(mlir::OpPassManager &pm);

/// Registers `kiln-lower-cpu` (from linalg) and `kiln-nn-to-llvm` (from nn)
/// for kiln-opt.
void registerCPUPipelines();

} // namespace kiln::cpu

#endif // KILN_TARGETS_CPU_LOWERINGPIPELINE_H
