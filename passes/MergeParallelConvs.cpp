//===- MergeParallelConvs.cpp - sibling convs as one wider conv
//------------===//
//
// Convolutions that read the same tensor with the same geometry become one
// convolution over the concatenated filters, and each original result a
// channel slice of it: the input is read once, and one larger product
// replaces several small ones.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "dialects/nn/ConstantEvaluation.h"
#include "dialects/nn/NNOps.h"

#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"

#include <tuple>

namespace kiln {
#define GEN_PASS_DEF_MERGEPARALLELCONVS
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

/// The raw bytes of `v` if it is an nn.constant whose data is available.
std::optional<SmallVector<char>> constantBytes(Value v) {
  auto constant = v ? v.getDefiningOp<kiln::nn::ConstantOp>() : nullptr;
  if (!constant)
    return std::nullopt;
  return kiln::nn::rawElements(constant.getValue());
}

/// What must be equal for two convs to merge: geometry, filter window and
/// element type (the input is the same by construction).
using MergeKey = std::tuple<SmallVector<int64_t>, SmallVector<int64_t>,
                            SmallVector<int64_t>, SmallVector<int64_t>, Type>;

std::optional<MergeKey> mergeKey(kiln::nn::ConvOp conv) {
  auto filter = cast<RankedTensorType>(conv.getFilter().getType());
  if (conv.getGroup() != 1 || !isa<FloatType>(filter.getElementType()) ||
      !conv.getFilter().getDefiningOp<kiln::nn::ConstantOp>() ||
      (conv.getBias() && !conv.getBias().getDefiningOp<kiln::nn::ConstantOp>()))
    return std::nullopt;
  return MergeKey{SmallVector<int64_t>(conv.getStrides()),
                  SmallVector<int64_t>(conv.getPads()),
                  SmallVector<int64_t>(conv.getDilations()),
                  SmallVector<int64_t>(filter.getShape().drop_front()),
                  filter.getElementType()};
}

/// Replaces `convs` (same input, same key, one block, in program order) by
/// one conv where the first one was, and channel slices. Fails, changing
/// nothing, if a weight's data is not available.
LogicalResult merge(MutableArrayRef<kiln::nn::ConvOp> convs) {
  auto filterType = cast<RankedTensorType>(convs[0].getFilter().getType());
  Type elementType = filterType.getElementType();
  int64_t elementBytes = elementType.getIntOrFloatBitWidth() / 8;
  bool anyBias = llvm::any_of(
      convs, [](kiln::nn::ConvOp c) { return static_cast<bool>(c.getBias()); });
  // Filters are F x C x K...: concatenating along F is concatenating bytes.
  SmallVector<char> filters, biases;
  int64_t channels = 0;
  for (kiln::nn::ConvOp conv : convs) {
    auto filter = constantBytes(conv.getFilter());
    int64_t f =
        cast<RankedTensorType>(conv.getFilter().getType()).getDimSize(0);
    std::optional<SmallVector<char>> bias =
        conv.getBias() ? constantBytes(conv.getBias())
                       : SmallVector<char>(f * elementBytes, 0);
    if (!filter || (anyBias && !bias))
      return failure();
    filters.append(filter->begin(), filter->end());
    if (anyBias)
      biases.append(bias->begin(), bias->end());
    channels += f;
  }

  kiln::nn::ConvOp first = convs.front();
  OpBuilder b(first);
  SmallVector<Location> locs;
  for (kiln::nn::ConvOp conv : convs)
    locs.push_back(conv.getLoc());
  Location loc = b.getFusedLoc(locs);
  SmallVector<int64_t> shape(filterType.getShape());
  shape[0] = channels;
  auto mergedFilterType = RankedTensorType::get(shape, elementType);
  Value filter = kiln::nn::ConstantOp::create(
      b, loc, mergedFilterType,
      kiln::nn::constantValue(mergedFilterType, filters));
  Value bias;
  if (anyBias) {
    auto biasType = RankedTensorType::get({channels}, elementType);
    bias = kiln::nn::ConstantOp::create(
        b, loc, biasType, kiln::nn::constantValue(biasType, biases));
  }
  auto merged = kiln::nn::ConvOp::create(
      b, loc, first.getInput(), filter, bias, first.getStridesAttr(),
      first.getPadsAttr(), first.getDilationsAttr(), first.getGroupAttr());

  // Each original result is its channels of the merged one. The convs go
  // after every slice is built: the builder inserts before the first one.
  int64_t offset = 0;
  for (kiln::nn::ConvOp conv : convs) {
    auto type = cast<RankedTensorType>(conv.getType());
    SmallVector<int64_t> offsets(type.getRank(), 0), steps(type.getRank(), 1);
    offsets[1] = offset;
    offset += type.getDimSize(1);
    auto slice = kiln::nn::SliceOp::create(
        b, conv.getLoc(), merged, b.getDenseI64ArrayAttr(offsets),
        b.getDenseI64ArrayAttr(type.getShape()), b.getDenseI64ArrayAttr(steps));
    conv.replaceAllUsesWith(slice.getResult());
  }
  for (kiln::nn::ConvOp conv : convs) {
    SmallVector<Value> weights = {conv.getFilter(), conv.getBias()};
    conv.erase();
    // The old weights, unless something else still reads them.
    for (Value w : weights)
      if (w && w.use_empty())
        w.getDefiningOp()->erase();
  }
  return success();
}

struct MergeParallelConvs
    : kiln::impl::MergeParallelConvsBase<MergeParallelConvs> {
  void runOnOperation() override {
    llvm::SetVector<Value> inputs;
    getOperation().walk(
        [&](kiln::nn::ConvOp conv) { inputs.insert(conv.getInput()); });
    for (Value input : inputs) {
      // Users of one block with one key merge, in program order.
      llvm::MapVector<std::pair<Block *, MergeKey>,
                      SmallVector<kiln::nn::ConvOp>>
          groups;
      for (Operation *user : input.getUsers()) {
        auto conv = dyn_cast<kiln::nn::ConvOp>(user);
        if (!conv || conv.getInput() != input)
          continue;
        if (std::optional<MergeKey> key = mergeKey(conv))
          groups[{conv->getBlock(), *key}].push_back(conv);
      }
      for (auto &[key, convs] : groups) {
        llvm::sort(convs, [](kiln::nn::ConvOp a, kiln::nn::ConvOp b) {
          return a->isBeforeInBlock(b);
        });
        if (convs.size() > 1)
          (void)merge(convs); // unavailable weights: left as they are
      }
    }
  }
};

} // namespace
