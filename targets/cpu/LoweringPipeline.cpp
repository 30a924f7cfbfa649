//===- LoweringPipeline.cpp - linalg on tensors to the LLVM dialect --------===//
//
// After bufferization and memory planning, convolutions and matrix products
// become register-blocked vector code (kiln-vector-kernels, which allocates
// nothing, so the plan stays complete); every other linalg op becomes plain
// loops, which LLVM's loop vectoriser may still vectorise.
//
//===----------------------------------------------------------------------===//
#include "targets/cpu/LoweringPipeline.h"
#include "passes/Passes.h"
#include "targets/cpu/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace kiln::cpu {

void buildLinalgToLLVMPipeline(OpPassManager &pm,
                               const kiln::PlanMemoryOptions &plan,
                               int64_t vectorBits, bool autotune) {
  pm.addPass(createCanonicalizerPass());
  pm.addPass(bufferization::createEmptyTensorEliminationPass());
  pm.addPass(createBufferizeModelPass());
  pm.addPass(createCSEPass());
  pm.addPass(createCanonicalizerPass());
  pm.addNestedPass<func::FuncOp>(kiln::createPlanMemory(plan));
  // f16 and bf16 compute in f32 (numpy's rounding: once, per op), and
  // their conversions become integer code: no libgcc/compiler-rt calls.
  pm.addPass(math::createMathExtendToSupportedTypes());
  pm.addPass(createApproximateMathPass());
  if (autotune)
    pm.addPass(createAutotunePatternsPass(
        AutotunePatternsPassOptions{vectorBits, /*minTimeMs=*/20.0}));
  buildKernelsToLLVMPipeline(pm, vectorBits, /*threads=*/true);
}

void buildKernelsToLLVMPipeline(OpPassManager &pm, int64_t vectorBits,
                                bool threads) {
  // A module pass: it adds the packed filters as globals.
  pm.addPass(createVectorKernelsPass(VectorKernelsPassOptions{vectorBits}));
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToParallelLoopsPass());
  if (threads) {
    pm.addPass(createOutlineParallelPass());
    pm.addPass(createMarkLayersPass());
  }
  pm.addPass(arith::createArithEmulateUnsupportedFloats(
      arith::ArithEmulateUnsupportedFloatsOptions{{"f16", "bf16"}, "f32"}));
  pm.addPass(createExpandNarrowFloatsPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  ConvertFuncToLLVMPassOptions funcOptions;
  funcOptions.useBarePtrCallConv = true;
  pm.addPass(createConvertFuncToLLVMPass(funcOptions));
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

void buildNNToLLVMPipeline(OpPassManager &pm) {
  pm.addPass(createConvertNNToLinalgPass());
  buildLinalgToLLVMPipeline(pm);
}

void registerCPUPipelines() {
  PassPipelineRegistration<>(
      "kiln-lower-cpu",
      "Lower linalg on tensors to the LLVM dialect (bare-pointer @main with "
      "an arena argument)",
      [](OpPassManager &pm) { buildLinalgToLLVMPipeline(pm); });
  PassPipelineRegistration<>("kiln-nn-to-llvm",
                             "Lower the nn dialect to the LLVM dialect",
                             buildNNToLLVMPipeline);
}

} // namespace kiln::cpu
