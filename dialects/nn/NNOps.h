//===- NNOps.h - nn dialect operations --------------------------*- C++ -*-===//
#ifndef KILN_DIALECTS_NN_NNOPS_H
#define KILN_DIALECTS_NN_NNOPS_H

#include "dialects/nn/NNDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/nn/NNEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/nn/NNAttrs.h.inc"

#define GET_OP_CLASSES
#include "dialects/nn/NNOps.h.inc"

namespace kiln::nn {
/// Numpy broadcast of two shapes; failure when they are incompatible.
llvm::FailureOr<llvm::SmallVector<int64_t>>
broadcastShapes(llvm::ArrayRef<int64_t> lhs, llvm::ArrayRef<int64_t> rhs);

/// Output size of one spatial dimension of a window op (conv, pooling).
int64_t windowOutputSize(int64_t in, int64_t kernel, int64_t stride,
                         int64_t dilation, int64_t padBegin, int64_t padEnd,
                         bool ceilMode);

/// Channels-last (the layout pass's NHWC) and channels-first (ONNX's NCHW)
/// 2-D tensors as transpose permutations: result dim i is input dim
/// perm[i]. kToChannelsLast takes NCHW to NHWC, kToChannelsFirst back;
/// kFilterToChannelsLast takes an FxCxKHxKW filter to KHxKWxCxF, whose
/// inverse (kFilterToChannelsFirst) is the same permutation reversed.
inline constexpr int64_t kToChannelsLast[4] = {0, 2, 3, 1};
inline constexpr int64_t kToChannelsFirst[4] = {0, 3, 1, 2};
inline constexpr int64_t kFilterToChannelsLast[4] = {2, 3, 1, 0};
inline constexpr int64_t kFilterToChannelsFirst[4] = {3, 2, 0, 1};

/// Where a 2-D nn.conv's filter keeps its dims: the output channels, the
/// input channels per group and the first of the two window dims
/// (FxCxKHxKW, or KHxKWxCxF with channels_last).
struct FilterDims {
  int64_t filters, channels, window;
};
inline FilterDims filterDims(bool channelsLast) {
  return channelsLast ? FilterDims{3, 2, 0} : FilterDims{0, 1, 2};
}

/// `type` with its dims permuted: result dim i is dim perm[i].
mlir::RankedTensorType permuteType(mlir::RankedTensorType type,
                                   llvm::ArrayRef<int64_t> perm);

/// A float elementwise op that a fused group may hold (nn.fused): its
/// operands broadcast into its result, and the CPU lowering has a scalar
/// body for it.
bool isFusibleElementwise(mlir::Operation *op);

/// The ONNX node a location names (what errors, profiles and reports call
/// an op by): a NameLoc's name, the first name inside a fused or call-site
/// location; for .mlir input, "file:line". Empty when there is none.
std::string nodeName(mlir::Location loc);
} // namespace kiln::nn

#endif // KILN_DIALECTS_NN_NNOPS_H
