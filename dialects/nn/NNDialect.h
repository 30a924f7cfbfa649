//===- NNDialect.h - the Kiln graph dialect ---------------------*- C++ -*-===//
#ifndef KILN_DIALECTS_NN_NNDIALECT_H
#define KILN_DIALECTS_NN_NNDIALECT_H

#include "mlir/IR/Dialect.h"

#include "dialects/nn/NNDialect.h.inc"

#endif // KILN_DIALECTS_NN_NNDIALECT_H
