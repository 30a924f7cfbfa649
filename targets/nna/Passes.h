//===- Passes.h - NNA target passes -----------------------------*- C++ -*-===//
#ifndef KILN_TARGETS_NNA_PASSES_H
#define KILN_TARGETS_NNA_PASSES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace kiln::nna {

#define GEN_PASS_DECL
#include "targets/nna/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "targets/nna/Passes.h.inc"

} // namespace kiln::nna

#endif // KILN_TARGETS_NNA_PASSES_H
