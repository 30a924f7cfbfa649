//===- MergeParallel.cpp - sibling convs and matmuls as one wider op ------===//
//
// Convolutions, matmuls and gemms that read the same tensor with the same
// geometry become one op over their weights concatenated along the output
// channels (columns), and each original result a slice of it: the input is
// read once, and one larger product replaces several small ones (a
// transformer's Q/K/V projections, Inception-style branches).
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "dialects/nn/ConstantEvaluation.h"
#include "dialects/nn/NNOps.h"

#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/ADT/bit.h"

#include <tuple>

namespace kiln {
#define GEN_PASS_DEF_MERGEPARALLEL
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
namespace nn = kiln::nn;

namespace {

/// A weight of a sibling: a constant (or, for a missing bias, nothing: zeros)
/// concatenated with its siblings' along `axis`.
struct Weight {
  Value value;
  RankedTensorType type; // the weight's type (of the zeros when missing)
  int64_t axis;
};

/// The weights of a mergeable op, the input they are applied to, and the
/// result dim its siblings' results are concatenated along.
struct Sibling {
  Operation *op;
  Value input;
  SmallVector<Weight> weights;
  int64_t resultAxis;
};

/// What must be equal for siblings to merge: the op, its attributes but the
/// output width, and the element type.
using MergeKey = std::tuple<OperationName, SmallVector<int64_t>, Type>;

bool isConstant(Value v) { return v && v.getDefiningOp<nn::ConstantOp>(); }

std::optional<std::pair<Sibling, MergeKey>> sibling(Operation *op) {
  auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
  Type element = resultType.getElementType();
  if (!isa<FloatType>(element))
    return std::nullopt;
  SmallVector<int64_t> attrs;
  Sibling s{op, Value(), {}, resultType.getRank() - 1};
  if (auto conv = dyn_cast<nn::ConvOp>(op)) {
    auto filter = conv.getFilter().getType();
    if (conv.getGroup() != 1 || conv.getChannelsLast() ||
        !isConstant(conv.getFilter()) ||
        (conv.getBias() && !isConstant(conv.getBias())))
      return std::nullopt;
    llvm::append_range(attrs, conv.getStrides());
    llvm::append_range(attrs, conv.getPads());
    llvm::append_range(attrs, conv.getDilations());
    llvm::append_range(attrs, filter.getShape().drop_front());
    s.input = conv.getInput();
    s.weights = {{conv.getFilter(), filter, 0},
                 {conv.getBias(),
                  RankedTensorType::get({filter.getDimSize(0)}, element), 0}};
    s.resultAxis = 1;
  } else if (auto matmul = dyn_cast<nn::MatMulOp>(op)) {
    auto rhs = matmul.getRhs().getType();
    if (rhs.getRank() != 2 || !isConstant(matmul.getRhs()))
      return std::nullopt;
    attrs.push_back(rhs.getDimSize(0));
    s.input = matmul.getLhs();
    s.weights = {{matmul.getRhs(), rhs, 1}};
  } else if (auto gemm = dyn_cast<nn::GemmOp>(op)) {
    auto b = gemm.getB().getType();
    int64_t columns = resultType.getDimSize(1);
    // A bias of one value per column concatenates; one per element (or a
    // scalar broadcast) does not.
    if (!isConstant(gemm.getB()) ||
        (gemm.getC() && (!isConstant(gemm.getC()) ||
                         gemm.getC().getType().getNumElements() != columns ||
                         gemm.getC().getType().getShape().back() != columns)))
      return std::nullopt;
    bool transB = gemm.getTransB();
    attrs = {gemm.getTransA(), transB, b.getDimSize(transB ? 1 : 0),
             static_cast<int64_t>(
                 llvm::bit_cast<uint32_t>(gemm.getAlpha().convertToFloat())),
             static_cast<int64_t>(
                 llvm::bit_cast<uint32_t>(gemm.getBeta().convertToFloat()))};
    s.input = gemm.getA();
    s.weights = {{gemm.getB(), b, transB ? 0 : 1},
                 {gemm.getC(), RankedTensorType::get({columns}, element), 0}};
  } else {
    return std::nullopt;
  }
  return std::make_pair(s, MergeKey{op->getName(), attrs, element});
}

/// The raw bytes of weight `w` (zeros when it is missing), or nothing if
/// its data is not available.
std::optional<SmallVector<char>> weightBytes(const Weight &w) {
  if (!w.value)
    return SmallVector<char>(kiln::tensorBytes(w.type), 0);
  return nn::rawElements(w.value.getDefiningOp<nn::ConstantOp>().getValue());
}

/// The k-th weights of `siblings` concatenated along their axis, as a new
/// constant; nothing if none has that weight, failure if data is missing.
FailureOr<Value> mergedWeight(OpBuilder &b, Location loc,
                              ArrayRef<Sibling> siblings, size_t k) {
  if (llvm::none_of(siblings, [&](const Sibling &s) {
        return static_cast<bool>(s.weights[k].value);
      }))
    return Value();
  const Weight &first = siblings.front().weights[k];
  int64_t axis = first.axis;
  // Row-major: the axis and what follows it is one contiguous chunk per
  // index of the dims before it; the merged weight takes each sibling's
  // chunk in turn.
  int64_t outer = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= first.type.getDimSize(d);
  SmallVector<SmallVector<char>> parts;
  int64_t width = 0;
  for (const Sibling &s : siblings) {
    std::optional<SmallVector<char>> bytes = weightBytes(s.weights[k]);
    if (!bytes)
      return failure();
    parts.push_back(std::move(*bytes));
    width += s.weights[k].type.getDimSize(axis);
  }
  SmallVector<char> merged;
  for (int64_t i = 0; i < outer; ++i)
    for (const SmallVector<char> &part : parts) {
      int64_t chunk = part.size() / outer;
      merged.append(part.begin() + i * chunk, part.begin() + (i + 1) * chunk);
    }
  SmallVector<int64_t> shape(first.type.getShape());
  shape[axis] = width;
  auto type = RankedTensorType::get(shape, first.type.getElementType());
  return Value(
      nn::ConstantOp::create(b, loc, type, nn::constantValue(type, merged)));
}

/// Replaces `siblings` (same input, same key, one block, in program order)
/// by one op where the first one was, and slices. Fails, changing nothing,
/// if a weight's data is not available.
LogicalResult merge(ArrayRef<Sibling> siblings) {
  Operation *first = siblings.front().op;
  OpBuilder b(first);
  SmallVector<Location> locs;
  for (const Sibling &s : siblings)
    locs.push_back(s.op->getLoc());
  Location loc = b.getFusedLoc(locs);
  SmallVector<Value> weights;
  for (size_t k = 0; k < siblings.front().weights.size(); ++k) {
    FailureOr<Value> w = mergedWeight(b, loc, siblings, k);
    if (failed(w)) {
      for (Value made : weights)
        if (made)
          made.getDefiningOp()->erase();
      return failure();
    }
    weights.push_back(*w);
  }
  Value input = siblings.front().input;
  Value merged =
      llvm::TypeSwitch<Operation *, Value>(first)
          .Case([&](nn::ConvOp conv) {
            return nn::ConvOp::create(b, loc, input, weights[0], weights[1],
                                      conv.getStridesAttr(), conv.getPadsAttr(),
                                      conv.getDilationsAttr(),
                                      conv.getGroupAttr());
          })
          .Case([&](nn::MatMulOp) {
            return nn::MatMulOp::create(b, loc, input, weights[0]);
          })
          .Case([&](nn::GemmOp gemm) {
            return nn::GemmOp::create(
                b, loc, input, weights[0], weights[1], gemm.getAlphaAttr(),
                gemm.getBetaAttr(), gemm.getTransAAttr(), gemm.getTransBAttr());
          });

  // Each original result is its part of the merged one. The siblings go
  // after every slice is built: the builder inserts before the first one.
  int64_t axis = siblings.front().resultAxis, offset = 0;
  for (const Sibling &s : siblings) {
    auto type = cast<RankedTensorType>(s.op->getResult(0).getType());
    SmallVector<int64_t> offsets(type.getRank(), 0), steps(type.getRank(), 1);
    offsets[axis] = offset;
    offset += type.getDimSize(axis);
    auto slice = nn::SliceOp::create(
        b, s.op->getLoc(), merged, b.getDenseI64ArrayAttr(offsets),
        b.getDenseI64ArrayAttr(type.getShape()), b.getDenseI64ArrayAttr(steps));
    s.op->getResult(0).replaceAllUsesWith(slice.getResult());
  }
  for (const Sibling &s : siblings) {
    s.op->erase();
    // The old weights, unless something else still reads them.
    for (const Weight &w : s.weights)
      if (w.value && w.value.use_empty())
        w.value.getDefiningOp()->erase();
  }
  return success();
}

/// The most bytes of intermediate tensors live at once in `block`, over its
/// program order (a value lives from its op to its last user there; one
/// the block's terminator reads, to the end), with `siblings` taken as
/// merged: one tensor of all their bytes, made where the first is and live
/// until the last use of any of them. Constants take no arena.
int64_t peakLiveBytes(Block &block, ArrayRef<Sibling> siblings) {
  llvm::DenseMap<Operation *, int64_t> position;
  for (auto [i, op] : llvm::enumerate(block))
    position[&op] = i;
  SmallVector<int64_t> delta(block.getOperations().size() + 1, 0);
  auto live = [&](int64_t from, int64_t to, int64_t bytes) {
    delta[from] += bytes;
    delta[to + 1] -= bytes;
  };
  auto lastUse = [&](Value v) {
    int64_t last = position[v.getDefiningOp()];
    for (Operation *user : v.getUsers())
      if (Operation *op = block.findAncestorOpInBlock(*user))
        last = std::max(last, position[op]);
    return last;
  };
  int64_t mergedEnd = 0, mergedBytes = 0;
  for (const Sibling &s : siblings) {
    mergedEnd = std::max(mergedEnd, lastUse(s.op->getResult(0)));
    mergedBytes +=
        kiln::tensorBytes(cast<RankedTensorType>(s.op->getResult(0).getType()));
  }
  if (!siblings.empty())
    live(position[siblings.front().op], mergedEnd, mergedBytes);
  for (Operation &op : block) {
    if (isa<nn::ConstantOp>(op) || !isa<nn::NNDialect>(op.getDialect()) ||
        llvm::any_of(siblings, [&](const Sibling &s) { return s.op == &op; }))
      continue;
    for (Value result : op.getResults())
      live(position[&op], lastUse(result),
           kiln::tensorBytes(cast<RankedTensorType>(result.getType())));
  }
  int64_t now = 0, peak = 0;
  for (int64_t d : delta)
    peak = std::max(peak, now += d);
  return peak;
}

/// `v` as a unit-step slice of a whole source along `axis` only: the source
/// and the range [begin, end) of `axis` it takes.
std::optional<std::tuple<Value, int64_t, int64_t>> axisSlice(Value v,
                                                             int64_t axis) {
  auto slice = v.getDefiningOp<nn::SliceOp>();
  if (!slice)
    return std::nullopt;
  ArrayRef<int64_t> shape = slice.getInput().getType().getShape();
  for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d)
    if (slice.getSteps()[d] != 1 ||
        (d != axis &&
         (slice.getOffsets()[d] != 0 || slice.getSizes()[d] != shape[d])))
      return std::nullopt;
  return std::make_tuple(slice.getInput(), slice.getOffsets()[axis],
                         slice.getOffsets()[axis] + slice.getSizes()[axis]);
}

/// Concatenated slices that are adjacent parts of one tensor (the parts of
/// a merged op put back together) become one slice of it, or the tensor
/// itself when they cover it; a concat of one operand is that operand.
void foldConcatOfSlices(nn::ConcatOp concat) {
  int64_t axis = concat.getAxis();
  SmallVector<Value> operands;
  std::optional<std::tuple<Value, int64_t, int64_t>> run;
  SmallVector<Value> runParts; // the slices the run is made of
  OpBuilder b(concat);
  auto flush = [&]() {
    if (!run)
      return;
    auto [source, begin, end] = *run;
    auto type = cast<RankedTensorType>(source.getType());
    if (runParts.size() == 1 && end - begin != type.getDimSize(axis)) {
      operands.push_back(runParts.front());
    } else if (begin == 0 && end == type.getDimSize(axis)) {
      operands.push_back(source);
    } else {
      SmallVector<int64_t> offsets(type.getRank(), 0), steps(type.getRank(), 1);
      SmallVector<int64_t> sizes(type.getShape());
      offsets[axis] = begin;
      sizes[axis] = end - begin;
      operands.push_back(nn::SliceOp::create(
          b, concat.getLoc(), source, b.getDenseI64ArrayAttr(offsets),
          b.getDenseI64ArrayAttr(sizes), b.getDenseI64ArrayAttr(steps)));
    }
    run.reset();
    runParts.clear();
  };
  for (Value operand : concat.getInputs()) {
    auto part = axisSlice(operand, axis);
    if (part && run && std::get<0>(*part) == std::get<0>(*run) &&
        std::get<1>(*part) == std::get<2>(*run)) {
      std::get<2>(*run) = std::get<2>(*part);
      runParts.push_back(operand);
      continue;
    }
    flush();
    if (part) {
      run = part;
      runParts.push_back(operand);
    } else {
      operands.push_back(operand);
    }
  }
  flush();
  if (operands.size() == concat.getInputs().size())
    return;
  Value folded = operands.size() == 1
                     ? operands.front()
                     : nn::ConcatOp::create(b, concat.getLoc(), operands,
                                            concat.getAxisAttr())
                           .getResult();
  llvm::SetVector<Operation *> inputs;
  for (Value input : concat.getInputs())
    if (Operation *op = input.getDefiningOp())
      inputs.insert(op);
  concat.getResult().replaceAllUsesWith(folded);
  concat.erase();
  for (Operation *op : inputs)
    if (isa<nn::SliceOp>(op) && op->use_empty())
      op->erase();
}

struct MergeParallel : kiln::impl::MergeParallelBase<MergeParallel> {
  void runOnOperation() override {
    // Users of one value, in one block, with one key merge, in program
    // order.
    llvm::MapVector<std::tuple<Value, Block *, MergeKey>, SmallVector<Sibling>>
        groups;
    getOperation().walk([&](Operation *op) {
      if (!isa<nn::ConvOp, nn::MatMulOp, nn::GemmOp>(op))
        return;
      if (auto found = sibling(op))
        groups[{found->first.input, op->getBlock(), found->second}].push_back(
            found->first);
    });
    for (auto &[key, siblings] : groups) {
      // The merged tensor lives as long as its longest-lived part: merge
      // only when that does not raise the most memory the block needs.
      Block &block = *siblings.front().op->getBlock();
      if (siblings.size() > 1 &&
          peakLiveBytes(block, siblings) <= peakLiveBytes(block, {}))
        (void)merge(siblings); // unavailable weights: left as they are
    }
    SmallVector<nn::ConcatOp> concats;
    getOperation().walk([&](nn::ConcatOp c) { concats.push_back(c); });
    for (nn::ConcatOp concat : concats)
      foldConcatOfSlices(concat);
  }
};

} // namespace
