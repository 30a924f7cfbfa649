//===- Pieces.cpp - an op cut into pieces on slices of its operands -------===//
//
// How each operand of a conv or gemm follows its output's dims, and the
// piece that computes one box of the output.
//
//===----------------------------------------------------------------------===//
#include "passes/Pieces.h"

#include "dialects/nn/NNOps.h"

#include <numeric>

using namespace mlir;
namespace nn = kiln::nn;

namespace kiln::pieces {

namespace {
/// Piece boundaries along output channels are multiples of this many
/// channels when the channel count allows (a vector of 8 floats).
constexpr int64_t kChannelAlignment = 8;

} // namespace

namespace {

Role coreRole(Operation *core, unsigned index) {
  if (isa<nn::ConvOp>(core))
    return index == 0 ? Role::ConvInput
                      : (index == 1 ? Role::ConvFilter : Role::ConvBias);
  return index == 0 ? Role::GemmA
                    : (index == 1 ? Role::GemmB : Role::Broadcast);
}

/// The role of a use of a fused group's block argument.
Role useRole(OpOperand &use, Operation *core) {
  return use.getOwner() == core ? coreRole(core, use.getOperandNumber())
                                : Role::Broadcast;
}

/// How `op`, whose core is `core`, reads its operands.
SmallVector<Read> readsOf(Operation *op, Operation *core) {
  SmallVector<Read> reads;
  if (op == core) {
    for (unsigned i = 0; i < op->getNumOperands(); ++i)
      reads.push_back({i, coreRole(core, i)});
    return reads;
  }
  for (BlockArgument arg : op->getRegion(0).front().getArguments()) {
    SmallVector<Role> roles;
    for (OpOperand &use : arg.getUses())
      if (!llvm::is_contained(roles, useRole(use, core)))
        roles.push_back(useRole(use, core));
    for (Role role : roles)
      reads.push_back({arg.getArgNumber(), role});
  }
  return reads;
}

} // namespace

void separateReads(Splittable &s) {
  auto fused = dyn_cast<nn::FusedOp>(s.op);
  if (!fused)
    return;
  Block &body = fused.getBody().front();
  SmallVector<Read> reads;
  SmallVector<bool> seen(fused->getNumOperands(), false);
  for (Read read : s.reads) {
    if (!seen[read.operand]) {
      seen[read.operand] = true;
      reads.push_back(read);
      continue;
    }
    BlockArgument old = body.getArgument(read.operand);
    unsigned index = fused->getNumOperands();
    fused->insertOperands(index, fused->getOperand(read.operand));
    BlockArgument arg = body.addArgument(old.getType(), old.getLoc());
    old.replaceUsesWithIf(
        arg, [&](OpOperand &use) { return useRole(use, s.core) == read.role; });
    reads.push_back({index, read.role});
  }
  s.reads = std::move(reads);
}

std::optional<Splittable> splittable(Operation *op) {
  Operation *core = op;
  if (auto fused = dyn_cast<nn::FusedOp>(op))
    core = fused.getAnchor();
  auto type = dyn_cast_or_null<RankedTensorType>(
      core ? core->getResult(0).getType() : Type());
  if (!type || !type.hasStaticShape() || !isa<FloatType>(type.getElementType()))
    return std::nullopt;
  SmallVector<int64_t> units;
  int64_t channelDim = 1, rowDim = 2;
  if (auto conv = dyn_cast<nn::ConvOp>(core)) {
    if (type.getRank() != 4 || !conv.getInput().getType().hasStaticShape())
      return std::nullopt;
    if (conv.getChannelsLast()) {
      channelDim = 3;
      rowDim = 1;
    }
    // A piece holds whole groups (one channel each when group is 1).
    int64_t channels = type.getDimSize(channelDim);
    int64_t perGroup = conv.getGroup() == 1 ? 1 : channels / conv.getGroup();
    int64_t aligned = std::lcm(perGroup, kChannelAlignment);
    // Batch, channels and rows are cut; columns are not.
    units.assign(4, 0);
    units[0] = units[rowDim] = 1;
    units[channelDim] = channels % aligned == 0 ? aligned : perGroup;
  } else if (isa<nn::GemmOp>(core)) {
    int64_t columns = type.getDimSize(1);
    units = {1, columns % kChannelAlignment == 0 ? kChannelAlignment : 1};
  } else {
    return std::nullopt;
  }
  return Splittable{op,         core,  readsOf(op, core), std::move(units),
                    channelDim, rowDim};
}

namespace {

/// What the piece covering `out` (a range per output dim) reads of an
/// operand of `type` in `role`, a range per operand dim; nothing if the
/// piece would read no input.
std::optional<SmallVector<Span>> sliceOf(const Splittable &s, Role role,
                                         RankedTensorType type,
                                         ArrayRef<Span> out) {
  SmallVector<Span> slice;
  for (int64_t d : type.getShape())
    slice.push_back({0, d});
  auto outType = cast<RankedTensorType>(s.core->getResult(0).getType());
  switch (role) {
  case Role::Broadcast: {
    int64_t lead = outType.getRank() - type.getRank();
    for (int64_t d = std::max<int64_t>(lead, 0); d < outType.getRank(); ++d)
      if (type.getDimSize(d - lead) != 1)
        slice[d - lead] = out[d];
    return slice;
  }
  case Role::ConvFilter:
    slice[nn::filterDims(s.channelDim != 1).filters] = out[s.channelDim];
    return slice;
  case Role::ConvBias:
    slice[0] = out[s.channelDim];
    return slice;
  case Role::GemmA:
    slice[cast<nn::GemmOp>(s.core).getTransA() ? 1 : 0] = out[0];
    return slice;
  case Role::GemmB:
    slice[cast<nn::GemmOp>(s.core).getTransB() ? 0 : 1] = out[1];
    return slice;
  case Role::ConvInput:
    break;
  }
  auto conv = cast<nn::ConvOp>(s.core);
  nn::FilterDims dims = nn::filterDims(conv.getChannelsLast());
  int64_t cd = s.channelDim, rd = s.rowDim;
  RankedTensorType filter = conv.getFilter().getType();
  slice[0] = out[0];
  if (conv.getGroup() != 1) {
    int64_t perGroup = outType.getDimSize(cd) / conv.getGroup();
    int64_t inPerGroup = filter.getDimSize(dims.channels);
    slice[cd] = {out[cd].begin / perGroup * inPerGroup,
                 out[cd].end / perGroup * inPerGroup};
  }
  // Output rows [r0, r1) read input rows [r0*s - top, (r1-1)*s + extent -
  // top), those inside the input (the rest is padding: this matters to
  // the working set of a conv whose pads are not hoisted yet).
  int64_t stride = conv.getStrides()[0], top = conv.getPads()[0];
  int64_t extent =
      (filter.getDimSize(dims.window) - 1) * conv.getDilations()[0] + 1;
  int64_t height = type.getDimSize(rd);
  int64_t begin = out[rd].begin * stride - top;
  int64_t end = (out[rd].end - 1) * stride + extent - top;
  slice[rd] = {std::max<int64_t>(begin, 0), std::min(end, height)};
  if (slice[rd].size() <= 0)
    return std::nullopt;
  return slice;
}

int64_t bytesOf(ArrayRef<Span> ranges, Type elementType) {
  int64_t bytes = elementType.getIntOrFloatBitWidth() / 8;
  for (Span r : ranges)
    bytes *= r.size();
  return bytes;
}

} // namespace

void hoistPads(OpBuilder &b, Splittable &s) {
  auto conv = dyn_cast<nn::ConvOp>(s.core);
  if (!conv || llvm::all_of(conv.getPads(), [](int64_t p) { return p == 0; }))
    return;
  const Read *read = llvm::find_if(
      s.reads, [](const Read &r) { return r.role == Role::ConvInput; });
  ArrayRef<int64_t> p = conv.getPads(); // top, left, bottom, right
  SmallVector<int64_t> pads =
      conv.getChannelsLast()
          ? SmallVector<int64_t>{0, p[0], p[1], 0, 0, p[2], p[3], 0}
          : SmallVector<int64_t>{0, 0, p[0], p[1], 0, 0, p[2], p[3]};
  Value padded =
      nn::PadOp::create(b, conv.getLoc(), s.op->getOperand(read->operand),
                        b.getDenseI64ArrayAttr(pads), b.getF32FloatAttr(0.0f),
                        b.getStringAttr("constant"));
  s.op->setOperand(read->operand, padded);
  if (s.op != s.core)
    s.op->getRegion(0)
        .front()
        .getArgument(read->operand)
        .setType(padded.getType());
  conv.setPads(SmallVector<int64_t>(4, 0));
}

SmallVector<SmallVector<Span>> piecesOf(ArrayRef<int64_t> shape,
                                        ArrayRef<int64_t> units,
                                        ArrayRef<int64_t> counts) {
  SmallVector<SmallVector<Span>> pieces = {{}};
  for (auto [d, size] : llvm::enumerate(shape)) {
    int64_t unit = units[d] ? units[d] : size;
    int64_t whole = size / unit, count = counts[d];
    SmallVector<SmallVector<Span>> next;
    for (const SmallVector<Span> &prefix : pieces)
      for (int64_t i = 0; i < count; ++i) {
        SmallVector<Span> piece = prefix;
        piece.push_back(
            {i * whole / count * unit,
             i + 1 == count ? size : (i + 1) * whole / count * unit});
        next.push_back(std::move(piece));
      }
    pieces = std::move(next);
  }
  return pieces;
}

std::optional<int64_t> workingSet(const Splittable &s,
                                  ArrayRef<SmallVector<Span>> pieces) {
  auto outType = cast<RankedTensorType>(s.op->getResult(0).getType());
  int64_t largest = 0;
  for (ArrayRef<Span> piece : pieces) {
    int64_t bytes = bytesOf(piece, outType.getElementType());
    if (bytes == 0)
      return std::nullopt;
    for (Read read : s.reads) {
      auto type =
          cast<RankedTensorType>(s.op->getOperand(read.operand).getType());
      std::optional<SmallVector<Span>> slice =
          sliceOf(s, read.role, type, piece);
      if (!slice)
        return std::nullopt;
      bytes += bytesOf(*slice, type.getElementType());
    }
    largest = std::max(largest, bytes);
  }
  return largest;
}

namespace {

/// `value` restricted to `ranges` (itself when they cover it).
Value sliceValue(OpBuilder &b, Location loc, SliceCache &cache, Value value,
                 ArrayRef<Span> ranges) {
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<int64_t> offsets, sizes, steps(ranges.size(), 1);
  for (Span r : ranges) {
    offsets.push_back(r.begin);
    sizes.push_back(r.size());
  }
  if (sizes == type.getShape())
    return value;
  SmallVector<int64_t> key = offsets;
  key.append(sizes);
  Value &slice = cache[{value.getAsOpaquePointer(), key}];
  if (!slice)
    slice = nn::SliceOp::create(b, loc, value, b.getDenseI64ArrayAttr(offsets),
                                b.getDenseI64ArrayAttr(sizes),
                                b.getDenseI64ArrayAttr(steps));
  return slice;
}

} // namespace

Operation *buildPiece(OpBuilder &b, SliceCache &cache, const Splittable &s,
                      ArrayRef<Span> piece,
                      ArrayRef<std::pair<unsigned, Value>> given) {
  Location loc = s.op->getLoc();
  SmallVector<Value> operands(s.op->getNumOperands());
  for (auto [index, value] : given)
    operands[index] = value;
  for (Read read : s.reads) {
    if (operands[read.operand])
      continue;
    Value operand = s.op->getOperand(read.operand);
    auto type = cast<RankedTensorType>(operand.getType());
    operands[read.operand] =
        sliceValue(b, loc, cache, operand, *sliceOf(s, read.role, type, piece));
  }
  Operation *clone = b.clone(*s.op);
  clone->setOperands(operands);
  SmallVector<int64_t> shape;
  for (Span r : piece)
    shape.push_back(r.size());
  auto retype = [&](Value v) {
    auto type = cast<RankedTensorType>(v.getType());
    v.setType(RankedTensorType::get(shape, type.getElementType()));
  };
  Operation *core = clone;
  if (auto fused = dyn_cast<nn::FusedOp>(clone)) {
    Block &body = fused.getBody().front();
    for (auto [arg, operand] : llvm::zip(body.getArguments(), operands))
      arg.setType(operand.getType());
    // Every value of a group has the group's shape.
    for (Operation &op : body.without_terminator())
      retype(op.getResult(0));
    core = fused.getAnchor();
  }
  retype(clone->getResult(0));
  if (auto conv = dyn_cast<nn::ConvOp>(core)) {
    assert(llvm::all_of(conv.getPads(), [](int64_t p) { return p == 0; }) &&
           "a conv is cut after hoistPads");
    if (conv.getGroup() != 1)
      conv.setGroup(piece[s.channelDim].size() /
                    (cast<RankedTensorType>(s.core->getResult(0).getType())
                         .getDimSize(s.channelDim) /
                     conv.getGroup()));
  }
  return clone;
}

Value concatGrid(OpBuilder &b, Location loc, SmallVector<Value> values,
                 ArrayRef<int64_t> grid) {
  for (int64_t d = static_cast<int64_t>(grid.size()) - 1; d >= 0; --d) {
    if (grid[d] == 1)
      continue;
    SmallVector<Value> next;
    for (size_t i = 0; i < values.size(); i += grid[d])
      next.push_back(nn::ConcatOp::create(
          b, loc, ArrayRef<Value>(values).slice(i, grid[d]),
          b.getI64IntegerAttr(d)));
    values = std::move(next);
  }
  return values.front();
}

} // namespace kiln::pieces
