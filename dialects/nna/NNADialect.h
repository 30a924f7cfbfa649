//===- NNADialect.h - the Kiln NNA dialect ----------------------*- C++ -*-===//
#ifndef KILN_DIALECTS_NNA_NNADIALECT_H
#define KILN_DIALECTS_NNA_NNADIALECT_H

#include "mlir/IR/Dialect.h"

#include "dialects/nna/NNADialect.h.inc"

#endif // KILN_DIALECTS_NNA_NNADIALECT_H
