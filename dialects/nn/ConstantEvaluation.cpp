//===- ConstantEvaluation.cpp - nn ops evaluated on constant data ---------===//
//
// Data movement (reshape, flatten, transpose, identity) permutes raw element
// bytes and so works for every element type but i1. Arithmetic is evaluated
// in double and rounded once to the element type, which for +, -, *, / and
// sqrt on f32 gives exactly the f32 result the compiled code would compute.
//
//===----------------------------------------------------------------------===//
#include "dialects/nn/ConstantEvaluation.h"
#include "dialects/nn/NNOps.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>
#include <cstring>

using namespace mlir;

namespace kiln::nn {

ElementsAttr constantValue(RankedTensorType type, ArrayRef<char> raw) {
  if (type.getNumElements() <= kInlineConstantElements)
    return DenseElementsAttr::getFromRawBuffer(type, raw);
  return DenseResourceElementsAttr::get(
      type, "weight",
      HeapAsmResourceBlob::allocateAndCopyWithAlign(raw, alignof(int64_t)));
}

namespace {

/// Bytes per element of the types handled here; 0 for the others (i1,
/// whose `dense` form is bit-packed, and anything wider than 64 bits).
size_t elementBytes(Type type) {
  if (!type.isIntOrFloat())
    return 0;
  unsigned bits = type.getIntOrFloatBitWidth();
  return bits % 8 || bits > 64 ? 0 : bits / 8;
}

} // namespace

std::optional<SmallVector<char>> rawElements(ElementsAttr attr) {
  auto type = cast<ShapedType>(attr.getType());
  size_t size = elementBytes(type.getElementType());
  if (!size)
    return std::nullopt;
  ArrayRef<char> data;
  if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    data = dense.getRawData();
  } else if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return std::nullopt;
    data = blob->getData();
  } else {
    return std::nullopt;
  }
  size_t count = type.getNumElements();
  if (data.size() == size * count)
    return SmallVector<char>(data);
  if (data.size() != size)
    return std::nullopt;
  SmallVector<char> expanded;
  expanded.reserve(size * count);
  for (size_t i = 0; i < count; ++i)
    expanded.append(data.begin(), data.end());
  return expanded;
}

namespace {

SmallVector<int64_t> rowMajorStrides(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}

/// For every element of a result of `shape`, in row-major order, the index
/// of the source element it reads when the first one reads `start` and
/// result dim d advances the source by `strides[d]` elements (0 for a
/// broadcast dim).
SmallVector<int64_t> sourceIndices(ArrayRef<int64_t> shape,
                                   ArrayRef<int64_t> strides,
                                   int64_t start = 0) {
  int64_t count = 1;
  for (int64_t s : shape)
    count *= s;
  SmallVector<int64_t> indices;
  indices.reserve(count);
  SmallVector<int64_t> position(shape.size(), 0);
  int64_t offset = start;
  for (int64_t i = 0; i < count; ++i) {
    indices.push_back(offset);
    for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
      if (++position[d] < shape[d]) {
        offset += strides[d];
        break;
      }
      offset -= strides[d] * (shape[d] - 1);
      position[d] = 0;
    }
  }
  return indices;
}

/// The strides that read an operand of `shape` broadcast to `result`.
SmallVector<int64_t> broadcastStrides(ArrayRef<int64_t> shape,
                                      ArrayRef<int64_t> result) {
  SmallVector<int64_t> own = rowMajorStrides(shape);
  SmallVector<int64_t> strides(result.size(), 0);
  size_t lead = result.size() - shape.size();
  for (size_t d = 0; d < shape.size(); ++d)
    if (shape[d] != 1)
      strides[lead + d] = own[d];
  return strides;
}

SmallVector<char> gather(ArrayRef<char> source, ArrayRef<int64_t> indices,
                         size_t size) {
  SmallVector<char> out(indices.size() * size);
  for (auto [i, index] : llvm::enumerate(indices))
    std::memcpy(out.data() + i * size, source.data() + index * size, size);
  return out;
}

double loadFloat(const char *p, FloatType type) {
  if (type.isF32()) {
    float v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
  if (type.isF64()) {
    double v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
  uint64_t bits = 0;
  std::memcpy(&bits, p, type.getWidth() / 8);
  return llvm::APFloat(type.getFloatSemantics(),
                       llvm::APInt(type.getWidth(), bits))
      .convertToDouble();
}

void storeFloat(char *p, FloatType type, double value) {
  if (type.isF32()) {
    float v = static_cast<float>(value);
    std::memcpy(p, &v, sizeof v);
    return;
  }
  if (type.isF64()) {
    std::memcpy(p, &value, sizeof value);
    return;
  }
  llvm::APFloat v(value);
  bool lost;
  v.convert(type.getFloatSemantics(), llvm::APFloat::rmNearestTiesToEven,
            &lost);
  uint64_t bits = v.bitcastToAPInt().getZExtValue();
  std::memcpy(p, &bits, type.getWidth() / 8);
}

/// Elements of a float constant in double.
std::optional<SmallVector<double>> floatElements(ElementsAttr attr) {
  auto type = dyn_cast<FloatType>(attr.getElementType());
  std::optional<SmallVector<char>> raw = rawElements(attr);
  if (!type || !raw)
    return std::nullopt;
  size_t size = type.getWidth() / 8;
  SmallVector<double> values(raw->size() / size);
  for (auto [i, v] : llvm::enumerate(values))
    v = loadFloat(raw->data() + i * size, type);
  return values;
}

FailureOr<SmallVector<char>> storeFloats(ArrayRef<double> values,
                                         Type elementType) {
  auto type = dyn_cast<FloatType>(elementType);
  if (!type || !elementBytes(type))
    return failure();
  size_t size = type.getWidth() / 8;
  SmallVector<char> raw(values.size() * size);
  for (auto [i, v] : llvm::enumerate(values))
    storeFloat(raw.data() + i * size, type, v);
  return raw;
}

/// A float operation applied elementwise with numpy broadcasting.
FailureOr<SmallVector<char>>
elementwise(ArrayRef<ElementsAttr> operands, RankedTensorType result,
            llvm::function_ref<double(ArrayRef<double>)> fn) {
  SmallVector<SmallVector<double>> values;
  SmallVector<SmallVector<int64_t>> indices;
  for (ElementsAttr operand : operands) {
    std::optional<SmallVector<double>> v = floatElements(operand);
    if (!v)
      return failure();
    values.push_back(std::move(*v));
    auto shape = cast<ShapedType>(operand.getType()).getShape();
    indices.push_back(sourceIndices(
        result.getShape(), broadcastStrides(shape, result.getShape())));
  }
  SmallVector<double> out(result.getNumElements());
  SmallVector<double> args(operands.size());
  for (auto [i, o] : llvm::enumerate(out)) {
    for (size_t k = 0; k < operands.size(); ++k)
      args[k] = values[k][indices[k][i]];
    o = fn(args);
  }
  return storeFloats(out, result.getElementType());
}

FailureOr<SmallVector<char>> evaluateRaw(Operation *op,
                                         ArrayRef<ElementsAttr> operands,
                                         RankedTensorType result) {
  auto moved = [&](ArrayRef<int64_t> strides,
                   int64_t start = 0) -> FailureOr<SmallVector<char>> {
    std::optional<SmallVector<char>> raw = rawElements(operands[0]);
    if (!raw)
      return failure();
    return gather(*raw, sourceIndices(result.getShape(), strides, start),
                  elementBytes(result.getElementType()));
  };
  auto unary = [&](double (*fn)(double)) {
    return elementwise(operands, result,
                       [fn](ArrayRef<double> x) { return fn(x[0]); });
  };
  return llvm::TypeSwitch<Operation *, FailureOr<SmallVector<char>>>(op)
      .Case<IdentityOp, ReshapeOp, FlattenOp>(
          [&](auto) -> FailureOr<SmallVector<char>> {
            std::optional<SmallVector<char>> raw = rawElements(operands[0]);
            if (!raw)
              return failure();
            return std::move(*raw);
          })
      .Case([&](TransposeOp transpose) {
        SmallVector<int64_t> own =
            rowMajorStrides(transpose.getInput().getType().getShape());
        SmallVector<int64_t> strides;
        for (int64_t p : transpose.getPerm())
          strides.push_back(own[p]);
        return moved(strides);
      })
      .Case([&](SliceOp slice) {
        SmallVector<int64_t> own =
            rowMajorStrides(slice.getInput().getType().getShape());
        SmallVector<int64_t> strides;
        int64_t start = 0;
        for (auto [d, step] : llvm::enumerate(slice.getSteps())) {
          strides.push_back(own[d] * step);
          start += own[d] * slice.getOffsets()[d];
        }
        return moved(strides, start);
      })
      .Case([&](CastOp) { return unary([](double x) { return x; }); })
      .Case([&](NegOp) { return unary([](double x) { return -x; }); })
      .Case([&](AbsOp) { return unary([](double x) { return std::fabs(x); }); })
      .Case(
          [&](SqrtOp) { return unary([](double x) { return std::sqrt(x); }); })
      .Case(
          [&](ReciprocalOp) { return unary([](double x) { return 1.0 / x; }); })
      .Case([&](AddOp) {
        return elementwise(operands, result,
                           [](ArrayRef<double> x) { return x[0] + x[1]; });
      })
      .Case([&](SubOp) {
        return elementwise(operands, result,
                           [](ArrayRef<double> x) { return x[0] - x[1]; });
      })
      .Case([&](MulOp) {
        return elementwise(operands, result,
                           [](ArrayRef<double> x) { return x[0] * x[1]; });
      })
      .Case([&](DivOp) {
        return elementwise(operands, result,
                           [](ArrayRef<double> x) { return x[0] / x[1]; });
      })
      .Default([](Operation *) { return failure(); });
}

} // namespace

FailureOr<ElementsAttr> evaluate(Operation *op,
                                 ArrayRef<ElementsAttr> operands) {
  if (op->getNumResults() != 1 || operands.size() != op->getNumOperands() ||
      operands.empty())
    return failure();
  auto result = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (!result || !result.hasStaticShape() ||
      !elementBytes(result.getElementType()))
    return failure();
  int64_t largest = 0;
  for (ElementsAttr operand : operands)
    largest = std::max(largest, operand.getNumElements());
  if (result.getNumElements() > largest)
    return failure();
  FailureOr<SmallVector<char>> raw = evaluateRaw(op, operands, result);
  if (failed(raw))
    return failure();
  return constantValue(result, *raw);
}

} // namespace kiln::nn
