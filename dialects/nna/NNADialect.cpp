//===- NNADialect.cpp - the Kiln NNA dialect
//--------------------------------===//
#include "dialects/nna/NNADialect.h"
#include "dialects/nna/NNAOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace kiln::nna;

#include "dialects/nna/NNADialect.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/nna/NNAAttrs.cpp.inc"

void NNADialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/nna/NNAAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "dialects/nna/NNAOps.cpp.inc"
      >();
}
