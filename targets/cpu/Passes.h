//===- Passes.h - CPU target conversion passes ------------------*- C++ -*-===//
#ifndef KILN_TARGETS_CPU_PASSES_H
#define KILN_TARGETS_CPU_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

#include <array>

namespace kiln::cpu {
/// Marks a loop whose iterations are independent (kiln-vector-kernels sets
/// it, kiln-outline-parallel reads it).
inline constexpr llvm::StringLiteral kParallelAttr = "kiln.parallel";
/// The register tile [rows, vectors, pairs] kiln-vector-kernels runs a
/// pattern-pruned conv_2d_nchw_fchw with (kiln-autotune-patterns sets it;
/// without it the kernel picks its default).
inline constexpr llvm::StringLiteral kPatternTileAttr = "kiln.pattern_tile";
/// The module attribute in which kiln-autotune-patterns records its
/// choices (strings, one per conv), and the object section that holds them.
inline constexpr llvm::StringLiteral kAutotuneAttr = "kiln.autotune";
inline constexpr llvm::StringLiteral kAutotuneSection = ".kiln.autotune";
/// The module attribute naming the layers kiln-mark-layers numbered.
inline constexpr llvm::StringLiteral kLayersAttr = "kiln.layers";

/// @main's last argument, the runtime's kiln_parallel (an !llvm.ptr), added
/// if @main has none yet; failure if it cannot be added.
mlir::FailureOr<mlir::Value> getOrAddParallelArgument(mlir::func::FuncOp main);

/// The register tiles [rows, vectors, pairs] that kiln-vector-kernels can
/// run `conv` with at `vectorBits`, its default first; empty when the conv
/// does not run the pattern kernel.
llvm::SmallVector<std::array<int64_t, 3>>
patternKernelTiles(mlir::linalg::Conv2DNchwFchwOp conv, int64_t vectorBits);

#define GEN_PASS_DECL
#include "targets/cpu/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "targets/cpu/Passes.h.inc"

inline void registerCPUConversionPasses() { registerKilnCPUPasses(); }
} // namespace kiln::cpu

#endif // KILN_TARGETS_CPU_PASSES_H
