//===- Passes.h - Kiln graph and buffer passes ------------------*- C++ -*-===//
#ifndef KILN_PASSES_PASSES_H
#define KILN_PASSES_PASSES_H

#include "dialects/nn/NNDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Pass/Pass.h"

namespace kiln {
#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

/// Name of the function attribute holding the planned arena size in bytes.
inline constexpr llvm::StringLiteral kArenaSizeAttr = "kiln.arena_size";
/// Alignment of every planned buffer and of the arena itself.
inline constexpr int64_t kArenaAlignment = 64;
} // namespace kiln

#endif // KILN_PASSES_PASSES_H
