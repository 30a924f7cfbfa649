//===- ConstantEvaluation.h - nn ops evaluated on constant data -*- C++ -*-===//
//
// The compile-time interpreter behind the graph fold passes: an nn op whose
// operands are all constants is evaluated here into the value of an
// nn.constant. Values are read and written as raw element bytes, so inline
// `dense` and `dense_resource` weights are handled alike.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_DIALECTS_NN_CONSTANTEVALUATION_H
#define KILN_DIALECTS_NN_CONSTANTEVALUATION_H

#include "mlir/IR/BuiltinAttributeInterfaces.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Operation.h"
#include "mlir/Support/LLVM.h"

namespace kiln::nn {

/// Constants with at most this many elements are inline `dense` attributes
/// (they read well in the IR); larger ones are `dense_resource` blobs.
inline constexpr int64_t kInlineConstantElements = 16;

/// The value of an nn.constant of `type` whose elements are `raw`
/// (little-endian, one after another). Not for i1: its `dense` form is
/// bit-packed.
mlir::ElementsAttr constantValue(mlir::RankedTensorType type,
                                 llvm::ArrayRef<char> raw);

/// The elements of `attr` as raw little-endian bytes (splats expanded), or
/// nothing for an element type without a byte size or unloaded data.
std::optional<llvm::SmallVector<char>> rawElements(mlir::ElementsAttr attr);

/// Evaluates `op` with `operands` as the values of its operands. Fails when
/// the op or its element type is not supported, when an operand's data is
/// not available (an unloaded resource blob), or when the result would hold
/// more elements than the largest operand: folding must not grow the
/// weights a model carries.
mlir::FailureOr<mlir::ElementsAttr>
evaluate(mlir::Operation *op, llvm::ArrayRef<mlir::ElementsAttr> operands);

} // namespace kiln::nn

#endif // KILN_DIALECTS_NN_CONSTANTEVALUATION_H
