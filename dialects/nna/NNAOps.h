//===- NNAOps.h - nna dialect operations ------------------------*- C++ -*-===//
#ifndef KILN_DIALECTS_NNA_NNAOPS_H
#define KILN_DIALECTS_NNA_NNAOPS_H

#include "dialects/nna/NNADialect.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_ATTRDEF_CLASSES
#include "dialects/nna/NNAAttrs.h.inc"

#define GET_OP_CLASSES
#include "dialects/nna/NNAOps.h.inc"

#endif // KILN_DIALECTS_NNA_NNAOPS_H
