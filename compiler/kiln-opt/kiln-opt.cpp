//===- kiln-opt.cpp - run Kiln passes on MLIR files ------------------------===//
//
// The opt tool for lit tests: every Kiln dialect and pass, plus the upstream
// dialects and passes the pipelines use.
//
//===----------------------------------------------------------------------===//
#include "dialects/nn/NNDialect.h"
#include "dialects/nna/NNADialect.h"
#include "passes/Passes.h"
#include "passes/Pipeline.h"
#include "targets/cpu/LoweringPipeline.h"
#include "targets/cpu/Passes.h"
#include "targets/nna/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  kiln::registerKilnPasses();
  kiln::registerGraphPipeline();
  kiln::cpu::registerCPUConversionPasses();
  kiln::cpu::registerCPUPipelines();
  kiln::nna::registerKilnNNAPasses();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  registry.insert<kiln::nn::NNDialect, kiln::nna::NNADialect>();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "Kiln optimizer driver\n", registry));
}
