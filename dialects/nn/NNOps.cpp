//===- NNOps.cpp - nn dialect operations ----------------------------------===//
//
// Shape inference for every op. The inference doubles as the verifier of
// operands and attributes: InferTypeOpInterface re-runs it on verification
// and rejects a result type that disagrees.
//
//===----------------------------------------------------------------------===//
#include "dialects/nn/NNOps.h"

#include "dialects/nn/InferenceUtils.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace kiln::nn;
using namespace kiln::nn::infer;

namespace kiln::nn {
FailureOr<SmallVector<int64_t>> broadcastShapes(ArrayRef<int64_t> lhs,
                                                ArrayRef<int64_t> rhs) {
  size_t rank = std::max(lhs.size(), rhs.size());
  SmallVector<int64_t> result(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t l = i < rank - lhs.size() ? 1 : lhs[i - (rank - lhs.size())];
    int64_t r = i < rank - rhs.size() ? 1 : rhs[i - (rank - rhs.size())];
    if (l != r && l != 1 && r != 1)
      return failure();
    result[i] = l == 1 ? r : l;
  }
  return result;
}

int64_t windowOutputSize(int64_t in, int64_t kernel, int64_t stride,
                         int64_t dilation, int64_t padBegin, int64_t padEnd,
                         bool ceilMode) {
  int64_t span = in + padBegin + padEnd - ((kernel - 1) * dilation + 1);
  if (span < 0)
    return 0;
  int64_t out = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1;
  // ONNX/PyTorch: with ceil_mode the last window must start inside the
  // input or the begin padding, not in the end padding.
  if (ceilMode && (out - 1) * stride >= in + padBegin)
    --out;
  return out;
}

RankedTensorType permuteType(RankedTensorType type, ArrayRef<int64_t> perm) {
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(type.getDimSize(p));
  return RankedTensorType::get(shape, type.getElementType());
}
} // namespace kiln::nn

#define GET_OP_CLASSES
#include "dialects/nn/NNOps.cpp.inc"

//===----------------------------------------------------------------------===//
// ConstantOp, IdentityOp, ReshapeOp, ClipOp
//===----------------------------------------------------------------------===//

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

ParseResult ConstantOp::parse(OpAsmParser &parser, OperationState &result) {
  ElementsAttr value;
  if (parser.parseOptionalAttrDict(result.attributes) ||
      parser.parseAttribute(value, "value", result.attributes))
    return failure();
  result.addTypes(value.getType());
  return success();
}

void ConstantOp::print(OpAsmPrinter &p) {
  p.printOptionalAttrDict((*this)->getAttrs(), {"value"});
  p << ' ';
  p.printAttribute(getValue());
}

LogicalResult ConstantOp::verify() {
  if (getValue().getType() != getType())
    return emitOpError("value type ")
           << getValue().getType() << " does not match result type "
           << getType();
  return success();
}

OpFoldResult IdentityOp::fold(FoldAdaptor) { return getInput(); }

LogicalResult CastOp::verify() {
  auto isWideInt = [](Type t) {
    return t.isSignlessInteger() && !t.isSignlessInteger(1);
  };
  if (getUnsignedInput() && !isWideInt(getInput().getType().getElementType()))
    return emitOpError("unsigned_input needs an integer input (not bool)");
  if (getUnsignedResult() && !isWideInt(getResult().getType().getElementType()))
    return emitOpError("unsigned_result needs an integer result (not bool)");
  return success();
}

LogicalResult ReshapeOp::verify() {
  auto in = getInput().getType(), out = getResult().getType();
  if (in.getElementType() != out.getElementType())
    return emitOpError("changes the element type");
  if (in.getNumElements() != out.getNumElements())
    return emitOpError("cannot reshape ")
           << shapeString(in.getShape()) << " (" << in.getNumElements()
           << " elements) to " << shapeString(out.getShape()) << " ("
           << out.getNumElements() << " elements)";
  return success();
}

OpFoldResult ReshapeOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  return {};
}

LogicalResult ClipOp::verify() {
  if (getMin() > getMax())
    return emitOpError("min must not exceed max");
  return success();
}

//===----------------------------------------------------------------------===//
// Convolution and matrix products
//===----------------------------------------------------------------------===//

// ConvOp, ConvTransposeOp, EinsumOp and the quantisation ops: NNConvOps.cpp.

LogicalResult GemmOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  auto a = cast<RankedTensorType>(adaptor.getA().getType());
  auto b = cast<RankedTensorType>(adaptor.getB().getType());
  if (a.getRank() != 2 || b.getRank() != 2)
    return fail(loc, "expects 2-D operands, got " + shapeString(a.getShape()) +
                         " and " + shapeString(b.getShape()));
  int64_t m = adaptor.getTransA() ? a.getDimSize(1) : a.getDimSize(0);
  int64_t ka = adaptor.getTransA() ? a.getDimSize(0) : a.getDimSize(1);
  int64_t kb = adaptor.getTransB() ? b.getDimSize(1) : b.getDimSize(0);
  int64_t n = adaptor.getTransB() ? b.getDimSize(0) : b.getDimSize(1);
  if (ka != kb)
    return fail(loc,
                "inner dimensions differ: " + Twine(ka) + " vs " + Twine(kb));
  if (Value c = adaptor.getC()) {
    auto cType = cast<RankedTensorType>(c.getType());
    auto shape = broadcastShapes({m, n}, cType.getShape());
    if (cType.getRank() > 2 || failed(shape) ||
        *shape != ArrayRef<int64_t>{m, n})
      return fail(loc, "C of shape " + shapeString(cType.getShape()) +
                           " does not broadcast to " + shapeString({m, n}));
  }
  types.push_back(tensorOf({m, n}, a.getElementType()));
  return success();
}

LogicalResult MatMulOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  auto lhs = cast<RankedTensorType>(adaptor.getLhs().getType());
  auto rhs = cast<RankedTensorType>(adaptor.getRhs().getType());
  if (lhs.getRank() < 1 || rhs.getRank() < 1)
    return fail(loc, "operands must have rank >= 1");
  // Numpy: 1-D operands are promoted to matrices and the added dim dropped.
  SmallVector<int64_t> l(lhs.getShape()), r(rhs.getShape());
  bool lhsVector = l.size() == 1, rhsVector = r.size() == 1;
  if (lhsVector)
    l.insert(l.begin(), 1);
  if (rhsVector)
    r.push_back(1);
  if (lhs.getElementType() != rhs.getElementType())
    return fail(loc, "operand element types differ");
  if (l.back() != r[r.size() - 2])
    return fail(loc, "inner dimensions differ: " + shapeString(lhs.getShape()) +
                         " x " + shapeString(rhs.getShape()));
  auto batch = broadcastShapes(ArrayRef<int64_t>(l).drop_back(2),
                               ArrayRef<int64_t>(r).drop_back(2));
  if (failed(batch))
    return fail(loc, "batch dimensions do not broadcast: " +
                         shapeString(lhs.getShape()) + " x " +
                         shapeString(rhs.getShape()));
  SmallVector<int64_t> shape(*batch);
  if (!lhsVector)
    shape.push_back(l[l.size() - 2]);
  if (!rhsVector)
    shape.push_back(r.back());
  types.push_back(tensorOf(shape, lhs.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

static LogicalResult inferBroadcast(std::optional<Location> loc, Value lhsValue,
                                    Value rhsValue,
                                    SmallVectorImpl<Type> &types) {
  auto lhs = cast<RankedTensorType>(lhsValue.getType());
  auto rhs = cast<RankedTensorType>(rhsValue.getType());
  if (lhs.getElementType() != rhs.getElementType())
    return fail(loc, "operand element types differ");
  auto shape = broadcastShapes(lhs.getShape(), rhs.getShape());
  if (failed(shape))
    return fail(loc, "shapes " + shapeString(lhs.getShape()) + " and " +
                         shapeString(rhs.getShape()) + " do not broadcast");
  types.push_back(tensorOf(*shape, lhs.getElementType()));
  return success();
}

#define KILN_BINARY_INFER(OP)                                                  \
  LogicalResult OP::inferReturnTypes(                                          \
      MLIRContext *, std::optional<Location> loc, Adaptor adaptor,             \
      SmallVectorImpl<Type> &types) {                                          \
    return inferBroadcast(loc, adaptor.getLhs(), adaptor.getRhs(), types);     \
  }
KILN_BINARY_INFER(AddOp)
KILN_BINARY_INFER(SubOp)
KILN_BINARY_INFER(MulOp)
KILN_BINARY_INFER(DivOp)
#undef KILN_BINARY_INFER

LogicalResult BatchNormOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  if (input.getRank() < 2)
    return fail(loc, "expects an input of rank >= 2");
  int64_t channels = input.getDimSize(1);
  for (Value v : {adaptor.getScale(), adaptor.getBias(), adaptor.getMean(),
                  adaptor.getVariance()}) {
    auto t = cast<RankedTensorType>(v.getType());
    if (t.getRank() != 1 || t.getDimSize(0) != channels)
      return fail(loc, "scale, bias, mean and variance must have shape " +
                           Twine(channels) + ", got " +
                           shapeString(t.getShape()));
  }
  types.push_back(input);
  return success();
}

LogicalResult SoftmaxOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  if (normaliseAxis(static_cast<int64_t>(adaptor.getAxis()), input.getRank()) <
      0)
    return fail(loc, "axis " + Twine(static_cast<int64_t>(adaptor.getAxis())) +
                         " out of range for rank " + Twine(input.getRank()));
  types.push_back(input);
  return success();
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

/// Output shape of a pooling window over N x C x spatial... (any number of
/// spatial dims, one kernel entry each).
static LogicalResult
inferPool(std::optional<Location> loc, Value inputValue,
          ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
          ArrayRef<int64_t> pads, ArrayRef<int64_t> dilations, bool ceilMode,
          SmallVectorImpl<Type> &types, bool channelsLast = false) {
  auto input = cast<RankedTensorType>(inputValue.getType());
  if (channelsLast) {
    // Inferred in NCHW; the result goes back to NHWC.
    if (input.getRank() != 4)
      return fail(loc, "channels_last expects a 2-D (NxHxWxC) input, got " +
                           shapeString(input.getShape()));
    input = permuteType(input, kToChannelsFirst);
  }
  int64_t rank = input.getRank();
  if (rank < 3)
    return fail(loc, "expects an N x C x spatial... input of rank >= 3, got " +
                         shapeString(input.getShape()));
  size_t spatial = rank - 2;
  if (failed(checkPositive(loc, kernel, spatial, "kernel_shape")) ||
      failed(checkPositive(loc, strides, spatial, "strides")) ||
      failed(checkPositive(loc, dilations, spatial, "dilations")) ||
      failed(checkPads(loc, pads, 2 * spatial)))
    return failure();
  SmallVector<int64_t> shape = {input.getDimSize(0), input.getDimSize(1)};
  for (size_t i = 0; i < spatial; ++i) {
    int64_t in = input.getDimSize(2 + i);
    int64_t out = windowOutputSize(in, kernel[i], strides[i], dilations[i],
                                   pads[i], pads[spatial + i], ceilMode);
    if (out < 1)
      return fail(loc, "window of size " + Twine(kernel[i]) +
                           " does not fit the padded input (" + Twine(in) +
                           " + " + Twine(pads[i]) + " + " +
                           Twine(pads[spatial + i]) + ")");
    shape.push_back(out);
  }
  auto result = tensorOf(shape, input.getElementType());
  types.push_back(channelsLast ? permuteType(result, kToChannelsLast) : result);
  return success();
}

LogicalResult MaxPoolOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  return inferPool(loc, adaptor.getInput(), adaptor.getKernelShape(),
                   adaptor.getStrides(), adaptor.getPads(),
                   adaptor.getDilations(), adaptor.getCeilMode(), types,
                   adaptor.getChannelsLast());
}

LogicalResult MaxPoolWithIndicesOp::inferReturnTypes(
    MLIRContext *ctx, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  if (failed(inferPool(loc, adaptor.getInput(), adaptor.getKernelShape(),
                       adaptor.getStrides(), adaptor.getPads(),
                       adaptor.getDilations(), adaptor.getCeilMode(), types)))
    return failure();
  types.push_back(tensorOf(cast<RankedTensorType>(types[0]).getShape(),
                           IntegerType::get(ctx, 64)));
  return success();
}

LogicalResult LpPoolOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  if (static_cast<int64_t>(adaptor.getP()) < 1)
    return fail(loc, "p must be >= 1");
  SmallVector<int64_t> ones(adaptor.getKernelShape().size(), 1);
  return inferPool(loc, adaptor.getInput(), adaptor.getKernelShape(),
                   adaptor.getStrides(), adaptor.getPads(), ones,
                   /*ceilMode=*/false, types);
}

LogicalResult AvgPoolOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  SmallVector<int64_t> ones(adaptor.getKernelShape().size(), 1);
  return inferPool(loc, adaptor.getInput(), adaptor.getKernelShape(),
                   adaptor.getStrides(), adaptor.getPads(), ones,
                   adaptor.getCeilMode(), types, adaptor.getChannelsLast());
}

LogicalResult GlobalAvgPoolOp::inferReturnTypes(MLIRContext *,
                                                std::optional<Location> loc,
                                                Adaptor adaptor,
                                                SmallVectorImpl<Type> &types) {
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  if (input.getRank() < 3)
    return fail(loc, "expects an input of rank >= 3 (N, C, spatial...)");
  SmallVector<int64_t> shape(input.getShape());
  std::fill(shape.begin() + 2, shape.end(), 1);
  types.push_back(tensorOf(shape, input.getElementType()));
  return success();
}

LogicalResult ReduceMeanOp::inferReturnTypes(MLIRContext *,
                                             std::optional<Location> loc,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &types) {
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  int64_t rank = input.getRank();
  SmallVector<bool> reduced(rank, false);
  for (int64_t a : adaptor.getAxes()) {
    if (a < 0 || a >= rank || reduced[a])
      return fail(loc, "axes must be distinct, normalised dims below " +
                           Twine(rank));
    reduced[a] = true;
  }
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d) {
    if (!reduced[d])
      shape.push_back(input.getDimSize(d));
    else if (adaptor.getKeepdims())
      shape.push_back(1);
  }
  types.push_back(tensorOf(shape, input.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  if (adaptor.getInputs().empty())
    return fail(loc, "needs at least one input");
  auto first = cast<RankedTensorType>(adaptor.getInputs()[0].getType());
  int64_t axis =
      normaliseAxis(static_cast<int64_t>(adaptor.getAxis()), first.getRank());
  if (axis < 0)
    return fail(loc, "axis out of range for rank " + Twine(first.getRank()));
  SmallVector<int64_t> shape(first.getShape());
  for (Value v : adaptor.getInputs().drop_front()) {
    auto t = cast<RankedTensorType>(v.getType());
    if (t.getElementType() != first.getElementType() ||
        t.getRank() != first.getRank())
      return fail(loc, "inputs must have the same rank and element type");
    for (int64_t d = 0; d < t.getRank(); ++d)
      if (d != axis && t.getDimSize(d) != shape[d])
        return fail(loc, "input shapes " + shapeString(first.getShape()) +
                             " and " + shapeString(t.getShape()) +
                             " differ outside the axis");
    shape[axis] += t.getDimSize(axis);
  }
  types.push_back(tensorOf(shape, first.getElementType()));
  return success();
}

LogicalResult FlattenOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  int64_t axis = static_cast<int64_t>(adaptor.getAxis());
  int64_t rank = input.getRank();
  if (axis < -rank || axis > rank)
    return fail(loc, "axis out of range for rank " + Twine(rank));
  if (axis < 0)
    axis += rank;
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < rank; ++d)
    (d < axis ? outer : inner) *= input.getDimSize(d);
  types.push_back(tensorOf({outer, inner}, input.getElementType()));
  return success();
}

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  ArrayRef<int64_t> perm = adaptor.getPerm();
  if (static_cast<int64_t>(perm.size()) != input.getRank())
    return fail(loc, "perm must have one entry per dimension");
  SmallVector<bool> seen(perm.size(), false);
  SmallVector<int64_t> shape;
  for (int64_t p : perm) {
    if (p < 0 || p >= input.getRank() || seen[p])
      return fail(loc, "perm must be a permutation of 0.." +
                           Twine(input.getRank() - 1));
    seen[p] = true;
    shape.push_back(input.getDimSize(p));
  }
  types.push_back(tensorOf(shape, input.getElementType()));
  return success();
}

LogicalResult PadOp::inferReturnTypes(MLIRContext *,
                                      std::optional<Location> loc,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &types) {
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  int64_t rank = input.getRank();
  if (failed(checkPads(loc, adaptor.getPads(), 2 * rank)))
    return failure();
  StringRef mode = adaptor.getMode();
  if (mode != "constant" && mode != "reflect" && mode != "edge")
    return fail(loc,
                "mode must be constant, reflect or edge, got '" + mode + "'");
  SmallVector<int64_t> shape(input.getShape());
  for (int64_t d = 0; d < rank; ++d) {
    int64_t low = adaptor.getPads()[d], high = adaptor.getPads()[rank + d];
    if (mode == "reflect" && std::max(low, high) >= input.getDimSize(d))
      return fail(loc, "reflect pads of dimension " + Twine(d) +
                           " must be smaller than its size " +
                           Twine(input.getDimSize(d)));
    shape[d] += low + high;
  }
  types.push_back(tensorOf(shape, input.getElementType()));
  return success();
}

LogicalResult SliceOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  ArrayRef<int64_t> offsets = adaptor.getOffsets(), sizes = adaptor.getSizes(),
                    steps = adaptor.getSteps();
  int64_t rank = input.getRank();
  if (static_cast<int64_t>(offsets.size()) != rank ||
      static_cast<int64_t>(sizes.size()) != rank ||
      static_cast<int64_t>(steps.size()) != rank)
    return fail(loc, "offsets, sizes and steps need one entry per dimension");
  for (int64_t d = 0; d < rank; ++d) {
    int64_t dim = input.getDimSize(d);
    // |step| and size within the dimension first, so that `last` cannot
    // overflow.
    // An empty slice reads nothing: its offset only has to be in [0, dim].
    if (sizes[d] == 0 && steps[d] != 0 && offsets[d] >= 0 && offsets[d] <= dim)
      continue;
    if (offsets[d] < 0 || offsets[d] >= dim || sizes[d] < 1 || sizes[d] > dim ||
        steps[d] == 0 || steps[d] < -dim || steps[d] > dim ||
        offsets[d] + (sizes[d] - 1) * steps[d] < 0 ||
        offsets[d] + (sizes[d] - 1) * steps[d] >= dim)
      return fail(loc, "slice of dimension " + Twine(d) +
                           " is empty or out of bounds");
  }
  types.push_back(tensorOf(sizes, input.getElementType()));
  return success();
}

/// The ONNX node a location names: a NameLoc's name, the first name inside
/// a fused or call-site location; for .mlir input, "file:line". Empty when
/// there is none (line 0 is the file an ONNX model came from, not a node).
std::string kiln::nn::nodeName(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().str();
  if (auto file = dyn_cast<FileLineColLoc>(loc))
    return file.getLine() ? llvm::formatv("{0}:{1}",
                                          llvm::sys::path::filename(
                                              file.getFilename().strref()),
                                          file.getLine())
                                .str()
                          : std::string();
  if (auto fused = dyn_cast<FusedLoc>(loc)) {
    for (Location inner : fused.getLocations())
      if (std::string name = nodeName(inner); !name.empty())
        return name;
    return {};
  }
  if (auto site = dyn_cast<CallSiteLoc>(loc))
    return nodeName(site.getCallee());
  return {};
}
