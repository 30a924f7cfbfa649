//===- LoweringPipeline.cpp - linalg on tensors to the LLVM dialect --------===//
//
// Correctness first: linalg ops become plain loops here. Tiling, packing and
// vectorisation of the hot ops belong to the CPU-speed work and slot in
// between bufferization and loop lowering.
//
//===----------------------------------------------------------------------===//
#include "targets/cpu/LoweringPipeline.h"
#include "passes/Passes.h"
#include "targets/cpu/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace kiln::cpu {

void buildLinalgToLLVMPipeline(OpPassManager &pm) {
  pm.addPass(createCanonicalizerPass());
  pm.addPass(bufferization::createEmptyTensorEliminationPass());
  pm.addPass(createBufferizeModelPass());
  pm.addPass(createCSEPass());
  pm.addPass(createCanonicalizerPass());
  pm.addNestedPass<func::FuncOp>(kiln::createPlanMemory());
  pm.addPass(createApproximateMathPass());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
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
      buildLinalgToLLVMPipeline);
  PassPipelineRegistration<>("kiln-nn-to-llvm",
                             "Lower the nn dialect to the LLVM dialect",
                             buildNNToLLVMPipeline);
}

} // namespace kiln::cpu
