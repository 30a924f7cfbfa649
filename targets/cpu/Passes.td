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

def BufferizeModelPass : Pass<"kiln-bufferize", "mlir::ModuleOp"> {
  let summary = "Bufferize a model: one-shot module bufferization, results "
                "returned through out-parameters";
  let description = [{
    One-shot bufferization across function boundaries with identity layouts
    at the boundaries, so that every model argument is a plain dense buffer.
    Copies are emitted as `linalg.copy` (they become loops, never calls to a
    support library), and returned buffers become trailing out-parameters
    that the caller owns: after this pass `@main` returns nothing.
    Arguments with no elements (a dimension of 0) become `memref<0xi8>`:
    nothing reads or writes them, and a bare pointer cannot stand for a
    memref whose inner dimension is 0.
  }];
  let dependentDialects = [
    "mlir::bufferization::BufferizationDialect", "mlir::linalg::LinalgDialect",
    "mlir::memref::MemRefDialect"
  ];
}

def ApproximateMathPass : Pass<"kiln-approximate-math", "mlir::ModuleOp"> {
  let summary = "Expand transcendental math ops into polynomial arithmetic";
  let description = [{
    `math.exp`, `math.tanh`, `math.erf`, ... become MLIR's polynomial
    approximations so the generated code never calls libm once per element
    and vectorises with the rest of the loop.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::math::MathDialect",
                           "mlir::vector::VectorDialect"];
}

#endif // KILN_TARGETS_CPU_PASSES
