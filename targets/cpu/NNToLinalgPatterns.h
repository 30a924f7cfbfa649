//===- NNToLinalgPatterns.h - nn -> linalg pattern families -----*- C++ -*-===//
//
// The nn -> linalg conversion is one pass (NNToLinalg.cpp) fed by one pattern
// family per file (NNToLinalgConv.cpp, NNToLinalgElementwise.cpp, ...). The
// helpers here are what the families share (NNToLinalgUtils.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TARGETS_CPU_NNTOLINALGPATTERNS_H
#define KILN_TARGETS_CPU_NNTOLINALGPATTERNS_H

#include "dialects/nn/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/DialectConversion.h"

namespace kiln::cpu {

using namespace mlir;

using BodyFn = function_ref<Value(OpBuilder &, Location, ValueRange)>;

Value emptyTensor(OpBuilder &b, Location loc, RankedTensorType type);

Value scalar(OpBuilder &b, Location loc, Type type, double value);

Value filled(OpBuilder &b, Location loc, RankedTensorType type, double value);

/// Indexing map that reads `operand` broadcast (numpy, right-aligned) into an
/// iteration space of `resultRank` dims of sizes `resultShape`.
AffineMap broadcastMap(OpBuilder &b, RankedTensorType operand,
                       ArrayRef<int64_t> resultShape);

/// out[i] = body(inputs broadcast to i) over the whole result.
Value elementwise(OpBuilder &b, Location loc, RankedTensorType resultType,
                  ValueRange inputs, BodyFn body);

/// Per-channel vector `v` (length C) as a map into a space whose channel
/// is dim `dim` (1 in NCHW, the last in channels-last).
AffineMap channelMap(OpBuilder &b, int64_t rank, int64_t dim = 1);

Value padded(OpBuilder &b, Location loc, Value input,
             ArrayRef<int64_t> lowSpatial, ArrayRef<int64_t> highSpatial,
             double value);

/// Extra end padding so that ceil_mode windows stay inside the tensor (one
/// entry per spatial dim; `pads` lists all begins, then all ends; the
/// spatial dims start at `firstSpatial`: 2 in NCHW, 1 in NHWC).
SmallVector<int64_t>
ceilExtra(RankedTensorType in, RankedTensorType out, ArrayRef<int64_t> kernel,
          ArrayRef<int64_t> strides, ArrayRef<int64_t> dilations,
          ArrayRef<int64_t> pads, int64_t firstSpatial = 2);

Value reshapeTensor(OpBuilder &b, Location loc, Value input,
                    RankedTensorType resultType);

/// Contraction over (batch..., m?, n?, k) as one linalg.generic.
Value contraction(OpBuilder &b, Location loc, RankedTensorType outType,
                  Value lhs, Value rhs, Value init, ArrayRef<AffineMap> maps,
                  int64_t numLoops, double alpha);

/// Reduces `input` over `reduced` dims into a tensor of `outType` (which
/// keeps reduced dims as size 1), combining with `combine` from `initValue`.
Value reduce(OpBuilder &b, Location loc, Value input, RankedTensorType outType,
             ArrayRef<int64_t> reduced, double initValue, BodyFn combine);
/// As above, accumulating into `init` (a tensor of `outType`).
Value reduce(OpBuilder &b, Location loc, Value input, RankedTensorType outType,
             ArrayRef<int64_t> reduced, Value init, BodyFn combine);

/// The scalar body of a fusible elementwise op (nn::isFusibleElementwise)
/// applied to `args`, one scalar per operand: what its own lowering puts in
/// its linalg.generic, for a fused group to compose.
Value fusibleElementwiseBody(Operation *op, OpBuilder &b, Location loc,
                             ValueRange args);

/// A conversion pattern for one nn op, with its (ranked) result type.
template <typename Op> struct NNPattern : OpConversionPattern<Op> {
  using OpConversionPattern<Op>::OpConversionPattern;
  using Adaptor = typename Op::Adaptor;
  static RankedTensorType resultType(Op op) {
    return cast<RankedTensorType>(op->getResult(0).getType());
  }
};

void populateNNToLinalgConvPatterns(RewritePatternSet &patterns);
void populateNNToLinalgDataMovementPatterns(RewritePatternSet &patterns);
void populateNNToLinalgElementwisePatterns(RewritePatternSet &patterns);
void populateNNToLinalgFusedPatterns(RewritePatternSet &patterns);
void populateNNToLinalgNormalizationPatterns(RewritePatternSet &patterns);
void populateNNToLinalgPoolingPatterns(RewritePatternSet &patterns);
void populateNNToLinalgReductionPatterns(RewritePatternSet &patterns);
void populateNNToLinalgTensorPatterns(RewritePatternSet &patterns);
void populateNNToLinalgResizePatterns(RewritePatternSet &patterns);
/// nna ops (the Kiln NNA's int8 ops) as CPU code, bit-exact.
void populateNNAToLinalgPatterns(RewritePatternSet &patterns);

} // namespace kiln::cpu

#endif // KILN_TARGETS_CPU_NNTOLINALGPATTERNS_H
