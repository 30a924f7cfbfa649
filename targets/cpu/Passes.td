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

def TileFusedEpiloguesPass
    : Pass<"kiln-tile-fused-epilogues", "mlir::func::FuncOp"> {
  let summary = "Compute the epilogue of a fused conv/gemm group row by row, "
                "inside the loops of the product";
  let description = [{
    The lowering of an `nn.fused` conv or gemm epilogue marks its
    elementwise generic `kiln.epilogue`; its output operand is the
    product's result. This pass tiles that generic by 1 along every loop
    but the innermost and fuses the chain of destinations behind it (the
    product, then the product's initial value: the broadcast bias, `beta *
    C` or a fill) into the tile loops. Each iteration computes one row of
    the product and applies the epilogue to it while it is in cache, and the
    whole chain stays in place in one buffer. The product's other operands
    (the padded input, the weights) are not fused: recomputing them per row
    would cost more than it saves. A product that reaches the epilogue
    through a reshape (grouped, 1-D and 3-D convolutions) is left as it is.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect",
                           "mlir::scf::SCFDialect",
                           "mlir::tensor::TensorDialect"];
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
