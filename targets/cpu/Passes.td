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

def ExpandNarrowFloatsPass : Pass<"kiln-expand-narrow-floats",
                                  "mlir::ModuleOp"> {
  let summary = "Convert to and from f16 and bf16 with integer arithmetic";
  let description = [{
    `arith.extf` from f16/bf16 and `arith.truncf` to f16/bf16 (from f32 or
    f64, rounding to nearest even; NaN stays NaN, overflow becomes inf)
    become integer and f32/f64 arithmetic on the bits. Without it LLVM
    calls `__extendhfsf2`, `__truncsfhf2`, `__truncsfbf2`, ... where the
    target has no conversion instructions (x86-64 before F16C), and not
    every toolchain's runtime library has them. Run it after
    `arith-emulate-unsupported-floats` and `math-extend-to-supported-types`
    so that these conversions are all that is left of f16 and bf16.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect"];
}

def VectorKernelsPass : Pass<"kiln-vector-kernels", "mlir::ModuleOp"> {
  let summary = "Register-blocked vector code for convolutions and matrix "
                "products on buffers";
  let description = [{
    `linalg.conv_2d_nchw_fchw`, `linalg.depthwise_conv_2d_nchw_chw` and 2-D
    matrix-product `linalg.generic`s (NNToLinalg's Gemm and MatMul) on f32
    buffers with static shapes become scf loops over register tiles:
    vector accumulators loaded once, updated with `vector.fma` of broadcast
    scalars (filter taps, rows of A) and contiguous vectors along the
    output's innermost dim, stored once; tails use masked loads and stores.
    A bias initialisation right before a convolution and an in-place
    elementwise epilogue right after it are computed in the tile.
    `linalg.pooling_nchw_max`/`_sum` become the same row tiles with max or
    add in place of the FMA, and sum or max reductions over the trailing
    contiguous dims (global pooling) read vectors into independent
    accumulators; sums and maxima over leading dims with the last kept
    (an NHWC mean over H and W) accumulate tiles of channel vectors. Their
    channels-last forms (`conv_2d_nhwc_hwcf`,
    `depthwise_conv_2d_nhwc_hwc`, `pooling_nhwc_max`/`_sum`) tile output
    pixels by vectors of channels; a constant filter of `conv_2d_nhwc_hwcf`
    is packed into tile order as a new global (the unpacked one goes when
    nothing else reads it), which is why this is a module pass.
    A product whose B is N x K reduces vectors along K instead. Other ops
    are left to linalg's loop lowering. Runs after memory planning: it
    allocates nothing. Its loops over output tiles carry `kiln.parallel`
    (their iterations write disjoint outputs) for kiln-outline-parallel.
  }];
  let options = [
    Option<"vectorBits", "vector-bits", "int64_t", "256",
           "bits per vector of f32 lanes: 256 (AVX2, two NEON registers) or "
           "512 (AVX-512)">
  ];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::memref::MemRefDialect",
                           "mlir::scf::SCFDialect",
                           "mlir::vector::VectorDialect"];
}

def AutotunePatternsPass : Pass<"kiln-autotune-patterns", "mlir::ModuleOp"> {
  let summary = "Choose each pattern-pruned conv's register tile by timing "
                "the candidates on this machine";
  let description = [{
    For every `linalg.conv_2d_nchw_fchw` on buffers that kiln-vector-kernels
    runs with the pattern kernel and that has more than one register tile,
    each tile is compiled (kiln-vector-kernels and the rest of the CPU
    lowering, with LLVM at -O3 for this machine's CPU) into a module that
    holds only the conv, on zeroed buffers of the same shapes and the conv's
    own compressed filter, and timed with the JIT: the fastest becomes the
    conv's `kiln.pattern_tile`. Convs of the same shapes, stride and filter
    sparsity share one measurement. The module attribute `kiln.autotune`
    records, per conv (named by its layer), the chosen tile, its time and
    the default tile's; the object emitter stores it in the artifact's
    `.kiln.autotune` section. The measurement needs this machine to run the
    target's vector code: run it only for the host.
  }];
  let options = [
    Option<"vectorBits", "vector-bits", "int64_t", "256",
           "kiln-vector-kernels' vector-bits">,
    Option<"minTimeMs", "min-time-ms", "double", "20.0",
           "time each tile for at least this long (and 3 runs)">
  ];
  let dependentDialects = [
    "mlir::affine::AffineDialect", "mlir::arith::ArithDialect",
    "mlir::cf::ControlFlowDialect", "mlir::func::FuncDialect",
    "mlir::index::IndexDialect", "mlir::LLVM::LLVMDialect",
    "mlir::math::MathDialect", "mlir::memref::MemRefDialect",
    "mlir::scf::SCFDialect", "mlir::ub::UBDialect",
    "mlir::vector::VectorDialect"
  ];
}

def OutlineParallelPass : Pass<"kiln-outline-parallel", "mlir::ModuleOp"> {
  let summary = "Move @main's big parallel loops into tasks that the "
                "runtime's threads run";
  let description = [{
    Each loop directly in @main's body that is an `scf.parallel` or an
    `scf.for` marked `kiln.parallel`, with constant bounds, no results, at
    least `min-work` operations (iterations of nested loops counted) and at
    least two iterations to share, becomes `@kiln.task.N(main's arguments...,
    begin: index, end: index)`, which recomputes the side-effect-free values
    the loop reads from outside (views, constants, globals) and runs the
    loop's iterations [begin, end) of its outer dims linearised (an
    scf.parallel keeps its innermost dim whole when the outer ones have at
    least 8 iterations). In the loop's place @main calls the declaration
    `@kiln.dispatch.N(par, main's arguments..., count)`; @main gains a last
    argument `par: !llvm.ptr`, the runtime's `kiln_parallel` (see
    runtime/include/kiln/model_format.h). The object emitter defines the
    dispatch functions. A loop that reads a value it cannot recompute (one
    with an effect or a region) stays in @main. Without any loop to outline,
    the module is unchanged.
  }];
  let options = [
    Option<"minWork", "min-work", "int64_t", "32768",
           "fewest operations (loop iterations counted) that a loop must run "
           "to be worth a dispatch to the threads">
  ];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::func::FuncDialect",
                           "mlir::LLVM::LLVMDialect",
                           "mlir::scf::SCFDialect"];
}

def MarkLayersPass : Pass<"kiln-mark-layers", "mlir::ModuleOp"> {
  let summary = "Call the runtime's layer mark where @main's code for "
                "another ONNX node starts";
  let description = [{
    Names each op directly in @main's body by its location (the ONNX node
    it was lowered from; the first name of a fused location) and numbers the
    names in order of first appearance. Before each op that does work (has
    a region, calls, or touches memory) and belongs to another layer than
    the work before it, @main calls `@kiln.mark(par, i32 layer)`, and once
    more with 0xffffffff (KILN_LAYER_END) before it returns. An op without a
    name belongs to the layer before it. `par` is @main's `!llvm.ptr`
    kiln_parallel argument, added (as kiln-outline-parallel does) when
    absent. The names go to the module attribute `kiln.layers`, which the
    object emitter writes into the descriptor's layer table; the emitter
    defines `@kiln.mark` as a call of `par->mark` (model_format.h). A
    session that profiles times each layer between marks
    (`kiln-run --profile`).
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::func::FuncDialect",
                           "mlir::LLVM::LLVMDialect"];
}

#endif // KILN_TARGETS_CPU_PASSES
