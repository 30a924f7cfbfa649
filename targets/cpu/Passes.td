//===- Passes.td - CPU target conversion passes ------------*- tablegen -*-===//
#ifndef KILN_TARGETS_CPU_PASSES
#define KILN_TARGETS_CPU_PASSES

include "mlir/Pass/PassBase.td"

def ConvertNNToLinalgPass : Pass<"convert-nn-to-linalg", "mlir::ModuleOp"> {
  let summary = "Lower nn ops to linalg, tensor, arith and math on tensors";
  let description = [{
    Every nn op becomes upstream ops on tensors: convolutions and pooling
    become linalg named ops (with tensor.pad for padding), matrix products
    and elementwise math become linalg.generic, data movement becomes tensor
    slices, reshapes and pads. An nn op left over is an error naming it.
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::linalg::LinalgDialect",
    "mlir::math::MathDialect", "mlir::tensor::TensorDialect"
  ];
}

#endif // KILN_TARGETS_CPU_PASSES
