//===- ConvOps.cpp - ONNX import: convolution and matrix products ---===//
//
// Convolution and matrix products (Conv, ConvTranspose, Gemm, MatMul,
// Einsum) and the quantised ops (QuantizeLinear, DequantizeLinear,
// DynamicQuantizeLinear,
// MatMulInteger, ConvInteger, QLinearMatMul, QLinearConv).
//
//===----------------------------------------------------------------------===//

#include "compiler/onnx/ImporterImpl.h"

#include "llvm/ADT/StringSwitch.h"

#include <cctype>
#include <cmath>
#include <limits>

using namespace mlir;
namespace ox = ::onnx;

namespace kiln::onnx {

/// Strides, pads, dilations and group of Conv, ConvInteger and QLinearConv
/// (1 to 3 spatial dims), checked against the filter `w`.
LogicalResult Importer::convAttrs(const ox::NodeProto &n, Location loc,
                                  RankedTensorType x, RankedTensorType w,
                                  SmallVectorImpl<NamedAttribute> &attrs) {
  int64_t spatial = w.getRank() - 2;
  if (spatial < 1 || spatial > 3 || x.getRank() != w.getRank())
    return unsupported(n, loc,
                       "only 1-D to 3-D convolutions are supported (input " +
                           shapeString(x.getShape()) + ", filter " +
                           shapeString(w.getShape()) + ")");
  std::vector<int64_t> filterKernel(w.getShape().begin() + 2,
                                    w.getShape().end());
  auto kernel = attrInts(n, "kernel_shape", filterKernel);
  if (kernel != filterKernel)
    return emitError(loc) << "kernel_shape " << shapeString(kernel)
                          << " disagrees with the filter "
                          << shapeString(w.getShape());
  std::vector<int64_t> ones(spatial, 1);
  auto strides = attrInts(n, "strides", ones);
  auto dilations = attrInts(n, "dilations", ones);
  std::vector<int64_t> pads;
  if (failed(windowPads(n, loc, x, kernel, strides, dilations, pads)))
    return failure();
  attrs.append(
      {named("strides", i64s(strides)), named("pads", i64s(pads)),
       named("dilations", i64s(dilations)),
       named("group", builder.getI64IntegerAttr(attrInt(n, "group", 1)))});
  return success();
}

LogicalResult Importer::importConv(const ox::NodeProto &n, Location loc) {
  auto x = input(n, 0, loc), w = input(n, 1, loc);
  if (failed(x) || failed(w))
    return failure();
  auto xt = cast<RankedTensorType>(x->getType());
  auto wt = cast<RankedTensorType>(w->getType());
  if (!isa<FloatType>(xt.getElementType()))
    return unsupported(n, loc, "integer Conv (use ConvInteger)");
  SmallVector<NamedAttribute> attrs;
  if (failed(convAttrs(n, loc, xt, wt, attrs)))
    return failure();
  SmallVector<Value> operands = {*x, *w};
  if (has(n, 2)) {
    auto b = input(n, 2, loc);
    if (failed(b))
      return failure();
    operands.push_back(*b);
  }
  auto r = create(nn::ConvOp::getOperationName(), loc, operands, attrs);
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

/// Python's floor division (pads from a negative total padding).
static int64_t floorDiv(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

LogicalResult Importer::importConvTranspose(const ox::NodeProto &n,
                                            Location loc) {
  auto x = input(n, 0, loc), w = input(n, 1, loc);
  if (failed(x) || failed(w))
    return failure();
  auto xt = cast<RankedTensorType>(x->getType());
  auto wt = cast<RankedTensorType>(w->getType());
  int64_t spatial = wt.getRank() - 2;
  if (spatial < 1 || spatial > 3 || xt.getRank() != wt.getRank())
    return unsupported(n, loc,
                       "only 1-D to 3-D transposed convolutions are supported "
                       "(input " +
                           shapeString(xt.getShape()) + ", filter " +
                           shapeString(wt.getShape()) + ")");
  std::vector<int64_t> filterKernel(wt.getShape().begin() + 2,
                                    wt.getShape().end());
  auto kernel = attrInts(n, "kernel_shape", filterKernel);
  if (kernel != filterKernel)
    return emitError(loc) << "kernel_shape " << shapeString(kernel)
                          << " disagrees with the filter "
                          << shapeString(wt.getShape());
  std::vector<int64_t> ones(spatial, 1), zeros(spatial, 0);
  auto strides = attrInts(n, "strides", ones);
  auto dilations = attrInts(n, "dilations", ones);
  auto outPad = attrInts(n, "output_padding", zeros);
  if (static_cast<int64_t>(strides.size()) != spatial ||
      static_cast<int64_t>(dilations.size()) != spatial ||
      static_cast<int64_t>(outPad.size()) != spatial)
    return emitError(loc) << "strides, dilations and output_padding need "
                          << spatial << " entries";
  std::string autoPad = attrString(n, "auto_pad", "NOTSET");
  auto outShape = attrInts(n, "output_shape");
  if (static_cast<int64_t>(outShape.size()) == spatial + 2)
    outShape.erase(outShape.begin(), outShape.begin() + 2);
  if (!outShape.empty() && static_cast<int64_t>(outShape.size()) != spatial)
    return emitError(loc) << "output_shape needs " << spatial << " entries";
  std::vector<int64_t> pads;
  if (outShape.empty() && (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER"))
    for (int64_t i = 0; i < spatial; ++i)
      outShape.push_back(xt.getDimSize(2 + i) * strides[i]);
  if (!outShape.empty()) {
    // ONNX: total_padding = stride * (in - 1) + output_padding +
    // (kernel - 1) * dilation + 1 - output_shape, split by auto_pad.
    pads.assign(2 * spatial, 0);
    for (int64_t i = 0; i < spatial; ++i) {
      int64_t total = strides[i] * (xt.getDimSize(2 + i) - 1) + outPad[i] +
                      (kernel[i] - 1) * dilations[i] + 1 - outShape[i];
      int64_t half = floorDiv(total, 2);
      pads[i] = autoPad == "SAME_UPPER" ? half : total - half;
      pads[spatial + i] = autoPad == "SAME_UPPER" ? total - half : half;
    }
  } else if (autoPad == "NOTSET") {
    pads = attrInts(n, "pads", std::vector<int64_t>(2 * spatial, 0));
  } else if (autoPad == "VALID") {
    pads.assign(2 * spatial, 0);
  } else {
    return unsupported(n, loc, "auto_pad '" + autoPad + "'");
  }
  SmallVector<Value> operands = {*x, *w};
  if (has(n, 2)) {
    auto b = input(n, 2, loc);
    if (failed(b))
      return failure();
    operands.push_back(*b);
  }
  auto r = create(
      nn::ConvTransposeOp::getOperationName(), loc, operands,
      {named("strides", i64s(strides)), named("pads", i64s(pads)),
       named("dilations", i64s(dilations)),
       named("output_padding", i64s(outPad)),
       named("group", builder.getI64IntegerAttr(attrInt(n, "group", 1)))});
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

LogicalResult Importer::importGemm(const ox::NodeProto &n, Location loc) {
  auto a = input(n, 0, loc), b = input(n, 1, loc);
  if (failed(a) || failed(b))
    return failure();
  if (!isa<FloatType>(cast<RankedTensorType>(a->getType()).getElementType()))
    return unsupported(n, loc, "only float Gemm is supported");
  SmallVector<Value> operands = {*a, *b};
  if (has(n, 2)) {
    auto c = input(n, 2, loc);
    if (failed(c))
      return failure();
    operands.push_back(*c);
  }
  auto r =
      create(nn::GemmOp::getOperationName(), loc, operands,
             {named("alpha", builder.getF32FloatAttr(attrFloat(n, "alpha", 1))),
              named("beta", builder.getF32FloatAttr(attrFloat(n, "beta", 1))),
              named("trans_a", builder.getBoolAttr(attrInt(n, "transA", 0))),
              named("trans_b", builder.getBoolAttr(attrInt(n, "transB", 0)))});
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

LogicalResult Importer::importMatMul(const ox::NodeProto &n, Location loc) {
  auto a = input(n, 0, loc), b = input(n, 1, loc);
  if (failed(a) || failed(b))
    return failure();
  Type et = cast<RankedTensorType>(a->getType()).getElementType();
  if (!isa<FloatType>(et) && !et.isInteger(32))
    return unsupported(n, loc, "only float and int32 MatMul are supported");
  auto r = create(nn::MatMulOp::getOperationName(), loc, {*a, *b}, {});
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

LogicalResult Importer::importEinsum(const ox::NodeProto &n, Location loc) {
  std::string eq;
  for (char c : attrString(n, "equation", ""))
    if (c != ' ')
      eq += c;
  std::string lhs = eq, rhs;
  bool explicitOut = false;
  if (size_t arrow = eq.find("->"); arrow != std::string::npos) {
    lhs = eq.substr(0, arrow);
    rhs = eq.substr(arrow + 2);
    explicitOut = true;
  }
  // Terms as strings of letters; '.' stands for one letter of '...'.
  std::vector<std::string> terms(1);
  for (size_t i = 0; i < lhs.size(); ++i) {
    char c = lhs[i];
    if (c == ',')
      terms.emplace_back();
    else if (std::isalpha(static_cast<unsigned char>(c)))
      terms.back() += c;
    else if (lhs.compare(i, 3, "...") == 0 &&
             terms.back().find('.') == std::string::npos) {
      terms.back() += '.';
      i += 2;
    } else
      return emitError(loc) << "bad Einsum equation '" << eq << "'";
  }
  if (static_cast<int>(terms.size()) != n.input_size())
    return emitError(loc) << "Einsum equation '" << eq << "' has "
                          << terms.size() << " terms for " << n.input_size()
                          << " inputs";
  // '...' becomes letters the equation lacks, right-aligned across the
  // terms as numpy broadcasting does; the dims under it must then agree
  // exactly (size-1 broadcasting is not supported: the op refuses it).
  std::string spare;
  for (char c = 'A'; c <= 'z'; ++c)
    if (std::isalpha(static_cast<unsigned char>(c)) &&
        eq.find(c) == std::string::npos)
      spare += c;
  std::vector<int64_t> ellipsisDims(n.input_size(), -1);
  int64_t ellipsis = -1;
  for (int i = 0; i < n.input_size(); ++i) {
    if (terms[i].find('.') == std::string::npos)
      continue;
    auto t = inputType(n, i, loc);
    if (failed(t))
      return failure();
    int64_t k = t->getRank() - static_cast<int64_t>(terms[i].size() - 1);
    if (k < 0)
      return emitError(loc) << "Einsum term '" << terms[i]
                            << "' has more letters than its operand's rank";
    ellipsisDims[i] = k;
    ellipsis = std::max(ellipsis, k);
  }
  if (ellipsis > static_cast<int64_t>(spare.size()))
    return unsupported(n, loc, "too many dims under '...'");
  for (int i = 0; i < n.input_size(); ++i)
    if (ellipsisDims[i] >= 0)
      terms[i].replace(
          terms[i].find('.'), 1,
          spare.substr(ellipsis - ellipsisDims[i], ellipsisDims[i]));
  std::string ellipsisLetters =
      ellipsis > 0 ? spare.substr(0, ellipsis) : std::string();
  if (size_t dot = rhs.find("..."); dot != std::string::npos) {
    if (ellipsis < 0)
      return emitError(loc) << "Einsum output has '...' that no input has";
    rhs.replace(dot, 3, ellipsisLetters);
  }
  // A letter repeated within one term reads that operand's diagonal; like
  // numpy, the implicit output counts each of its occurrences.
  std::map<char, int> count;
  for (int i = 0; i < n.input_size(); ++i) {
    auto t = inputType(n, i, loc);
    if (failed(t))
      return failure();
    if (t->getRank() != static_cast<int64_t>(terms[i].size()))
      return emitError(loc)
             << "Einsum term " << i << " has " << terms[i].size()
             << " letters for an operand of rank " << t->getRank();
    std::map<char, int64_t> size;
    for (auto [d, c] : llvm::enumerate(terms[i])) {
      ++count[c];
      auto [it, fresh] = size.try_emplace(c, t->getDimSize(d));
      if (!fresh && it->second != t->getDimSize(d))
        return emitError(loc) << "Einsum diagonal '" << c << c << "' in term "
                              << i << " over dims of sizes " << it->second
                              << " and " << t->getDimSize(d);
    }
  }
  if (!explicitOut) {
    // Implicit output: the '...' dims, then the letters seen once, sorted.
    rhs = ellipsisLetters;
    for (auto [c, k] : count)
      if (k == 1 && ellipsisLetters.find(c) == std::string::npos)
        rhs += c;
  }
  SmallVector<Value> operands;
  SmallVector<Attribute> operandIndices;
  for (int i = 0; i < n.input_size(); ++i) {
    auto v = input(n, i, loc);
    if (failed(v))
      return failure();
    if (!isa<FloatType>(cast<RankedTensorType>(v->getType()).getElementType()))
      return unsupported(n, loc, "integer Einsum");
    operands.push_back(*v);
    SmallVector<int64_t> idx;
    for (char c : terms[i])
      idx.push_back(c);
    operandIndices.push_back(builder.getDenseI64ArrayAttr(idx));
  }
  SmallVector<int64_t> resultIdx;
  for (char c : rhs) {
    if (!std::isalpha(static_cast<unsigned char>(c)))
      return emitError(loc) << "bad Einsum equation '" << eq << "'";
    resultIdx.push_back(c);
  }
  auto r =
      create(nn::EinsumOp::getOperationName(), loc, operands,
             {named("operand_indices", builder.getArrayAttr(operandIndices)),
              named("result_indices", i64s(resultIdx))});
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

//===----------------------------------------------------------------------===//
// Quantisation
//===----------------------------------------------------------------------===//

namespace {
bool isQuant8(int32_t dtype) {
  return dtype == ox::TensorProto::UINT8 || dtype == ox::TensorProto::INT8;
}
} // namespace

/// Zero point input `i` of an op on quantised data of ONNX type `dataType`:
/// the input itself (as i8 or i32), or zeros (scalar) when it is absent.
/// Sets `isUnsigned` for uint8 data. A one-element 1-D zero point becomes a
/// scalar.
FailureOr<Value> Importer::zeroPoint(const ox::NodeProto &n, int i,
                                     Location loc, bool &isUnsigned,
                                     int32_t dataType) {
  isUnsigned = dataType == ox::TensorProto::UINT8;
  if (!has(n, i)) {
    ConstTensor zero;
    zero.dtype = dataType;
    zero.bytes.assign(elementSize(dataType), '\0');
    return materialize(zero, loc);
  }
  if (onnxType(n, i) != dataType)
    return unsupported(n, loc,
                       "zero point (input " + llvm::Twine(i) +
                           ") must have the quantised data's type");
  auto v = input(n, i, loc);
  if (failed(v))
    return failure();
  auto t = cast<RankedTensorType>(v->getType());
  if (t.getRank() > 0 && t.getNumElements() == 1)
    return reshapeTo(*v, {}, loc);
  return *v;
}

/// QuantizeLinear (float32 -> uint8/int8) and DequantizeLinear (uint8, int8
/// or int32 -> float32): data, a scale (scalar or per `axis`) and a zero
/// point of the quantised type.
LogicalResult Importer::importQuantizeLinear(const ox::NodeProto &n,
                                             Location loc) {
  bool quantize = n.op_type() == "QuantizeLinear";
  auto x = input(n, 0, loc);
  if (failed(x))
    return failure();
  auto xt = cast<RankedTensorType>(x->getType());
  int32_t qType;
  if (quantize) {
    if (!xt.getElementType().isF32())
      return unsupported(n, loc, "only float32 input is supported");
    qType = has(n, 2) ? onnxType(n, 2) : ox::TensorProto::UINT8;
    if (!isQuant8(qType))
      return unsupported(n, loc, "only uint8 and int8 quantisation");
  } else {
    qType = onnxType(n, 0);
    if (!isQuant8(qType) && qType != ox::TensorProto::INT32)
      return unsupported(n, loc, "only uint8, int8 and int32 inputs");
  }
  auto scale = scaleInput(n, 1, loc);
  if (failed(scale))
    return failure();
  bool isUnsigned;
  auto zp = zeroPoint(n, 2, loc, isUnsigned, qType);
  if (failed(zp))
    return failure();
  int64_t axis = attrInt(n, "axis", 1);
  if (axis < 0)
    axis += xt.getRank();
  auto r = create(quantize ? nn::QuantizeLinearOp::getOperationName()
                           : nn::DequantizeLinearOp::getOperationName(),
                  loc, {*x, *scale, *zp},
                  {named("axis", builder.getI64IntegerAttr(axis)),
                   named("is_unsigned", builder.getBoolAttr(isUnsigned))});
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

LogicalResult Importer::importDynamicQuantizeLinear(const ox::NodeProto &n,
                                                    Location loc) {
  auto x = input(n, 0, loc);
  if (failed(x))
    return failure();
  if (!cast<RankedTensorType>(x->getType()).getElementType().isF32())
    return unsupported(n, loc, "only float32 input is supported");
  auto op = nn::DynamicQuantizeLinearOp::create(builder, loc, *x);
  for (int i = 0; i < std::min(n.output_size(), 3); ++i)
    if (!n.output(i).empty())
      setOutput(n, i, op->getResult(i));
  return success();
}

/// Input `data` (uint8/int8) widened to i32 minus its zero point (input
/// `zp`, scalar or per `axis`).
FailureOr<Value> Importer::widened(const ox::NodeProto &n, int data, int zp,
                                   int64_t axis, Location loc) {
  int32_t qType = onnxType(n, data);
  if (!isQuant8(qType))
    return unsupported(n, loc,
                       "input " + llvm::Twine(data) + " must be uint8 or int8");
  auto x = input(n, data, loc);
  if (failed(x))
    return failure();
  bool isUnsigned;
  auto z = zeroPoint(n, zp, loc, isUnsigned, qType);
  if (failed(z))
    return failure();
  return create(
      nn::SubtractZeroPointOp::getOperationName(), loc, {*x, *z},
      {named("axis", builder.getI64IntegerAttr(std::max<int64_t>(axis, 0))),
       named("is_unsigned", builder.getBoolAttr(isUnsigned))});
}

LogicalResult Importer::importMatMulInteger(const ox::NodeProto &n,
                                            Location loc) {
  auto at = inputType(n, 0, loc), bt = inputType(n, 1, loc);
  if (failed(at) || failed(bt))
    return failure();
  // Zero points: per row of A, per column of B.
  auto a = widened(n, 0, 2, at->getRank() - 2, loc);
  if (failed(a))
    return failure();
  auto b = widened(n, 1, 3, bt->getRank() - 1, loc);
  if (failed(b))
    return failure();
  auto r = create(nn::MatMulOp::getOperationName(), loc, {*a, *b}, {});
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

LogicalResult Importer::integerConvOperands(
    const ox::NodeProto &n, Location loc, int w, int xZp, int wZp,
    SmallVectorImpl<Value> &operands, SmallVectorImpl<NamedAttribute> &attrs) {
  auto xt = inputType(n, 0, loc), wt = inputType(n, w, loc);
  if (failed(xt) || failed(wt) || failed(convAttrs(n, loc, *xt, *wt, attrs)))
    return failure();
  auto x = widened(n, 0, xZp, 1, loc);
  if (failed(x))
    return failure();
  auto wide = widened(n, w, wZp, 0, loc); // per output channel
  if (failed(wide))
    return failure();
  operands.assign({*x, *wide});
  return success();
}

LogicalResult Importer::importConvInteger(const ox::NodeProto &n,
                                          Location loc) {
  SmallVector<Value> operands;
  SmallVector<NamedAttribute> attrs;
  if (failed(integerConvOperands(n, loc, 1, 2, 3, operands, attrs)))
    return failure();
  auto r = create(nn::ConvOp::getOperationName(), loc, operands, attrs);
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

/// Scale input `i` (f32): a scalar when it has one element.
FailureOr<Value> Importer::scaleInput(const ox::NodeProto &n, int i,
                                      Location loc) {
  auto v = input(n, i, loc);
  if (failed(v))
    return failure();
  auto t = cast<RankedTensorType>(v->getType());
  if (!t.getElementType().isF32())
    return unsupported(n, loc,
                       "scale (input " + llvm::Twine(i) + ") must be float32");
  if (t.getRank() > 0 && t.getNumElements() == 1)
    return reshapeTo(*v, {}, loc);
  return *v;
}

/// The tail of QLinearMatMul and QLinearConv: the i32 accumulator `acc`
/// times `scale` (scalar or per `axis`), requantised with inputs `ys`/`yzp`.
FailureOr<Value> Importer::requantize(const ox::NodeProto &n, Location loc,
                                      Value acc, Value scale, int64_t axis,
                                      int ys, int yzp) {
  auto st = cast<RankedTensorType>(scale.getType());
  ConstTensor zero;
  zero.dtype = ox::TensorProto::INT32;
  zero.shape.assign(st.getShape().begin(), st.getShape().end());
  zero.bytes.assign(4 * zero.numElements(), '\0');
  auto z = materialize(zero, loc);
  if (failed(z))
    return failure();
  auto f =
      create(nn::DequantizeLinearOp::getOperationName(), loc, {acc, scale, *z},
             {named("axis", builder.getI64IntegerAttr(axis)),
              named("is_unsigned", builder.getBoolAttr(false))});
  auto yScale = scaleInput(n, ys, loc);
  if (failed(f) || failed(yScale))
    return failure();
  if (cast<RankedTensorType>(yScale->getType()).getRank() != 0)
    return unsupported(n, loc, "the output scale must be a scalar");
  int32_t qType = onnxType(n, yzp);
  if (!isQuant8(qType))
    return unsupported(n, loc, "the output must be uint8 or int8");
  bool isUnsigned;
  auto zp = zeroPoint(n, yzp, loc, isUnsigned, qType);
  if (failed(zp))
    return failure();
  return create(nn::QuantizeLinearOp::getOperationName(), loc,
                {*f, *yScale, *zp},
                {named("axis", builder.getI64IntegerAttr(axis)),
                 named("is_unsigned", builder.getBoolAttr(isUnsigned))});
}

LogicalResult Importer::importQLinearMatMul(const ox::NodeProto &n,
                                            Location loc) {
  auto at = inputType(n, 0, loc), bt = inputType(n, 3, loc);
  if (failed(at) || failed(bt))
    return failure();
  auto a = widened(n, 0, 2, at->getRank() - 2, loc);
  if (failed(a))
    return failure();
  auto b = widened(n, 3, 5, bt->getRank() - 1, loc);
  if (failed(b))
    return failure();
  auto acc = create(nn::MatMulOp::getOperationName(), loc, {*a, *b}, {});
  auto as = scaleInput(n, 1, loc), bs = scaleInput(n, 4, loc);
  if (failed(acc) || failed(as) || failed(bs))
    return failure();
  if (cast<RankedTensorType>(as->getType()).getRank() != 0 ||
      cast<RankedTensorType>(bs->getType()).getRank() != 0)
    return unsupported(n, loc, "per-row or per-column scales");
  auto scale = create(nn::MulOp::getOperationName(), loc, {*as, *bs}, {});
  if (failed(scale))
    return failure();
  auto outRank = cast<RankedTensorType>(acc->getType()).getRank();
  auto r =
      requantize(n, loc, *acc, *scale, std::max<int64_t>(outRank - 1, 0), 6, 7);
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

LogicalResult Importer::importQLinearConv(const ox::NodeProto &n,
                                          Location loc) {
  SmallVector<Value> operands;
  SmallVector<NamedAttribute> attrs;
  if (failed(integerConvOperands(n, loc, 3, 2, 5, operands, attrs)))
    return failure();
  if (has(n, 8)) {
    if (onnxType(n, 8) != ox::TensorProto::INT32)
      return unsupported(n, loc, "the bias must be int32");
    auto bias = input(n, 8, loc);
    if (failed(bias))
      return failure();
    operands.push_back(*bias);
  }
  auto acc = create(nn::ConvOp::getOperationName(), loc, operands, attrs);
  auto xs = scaleInput(n, 1, loc), ws = scaleInput(n, 4, loc);
  if (failed(acc) || failed(xs) || failed(ws))
    return failure();
  if (cast<RankedTensorType>(xs->getType()).getRank() != 0)
    return unsupported(n, loc, "the input scale must be a scalar");
  auto scale = create(nn::MulOp::getOperationName(), loc, {*xs, *ws}, {});
  if (failed(scale))
    return failure();
  auto r = requantize(n, loc, *acc, *scale, 1, 6, 7);
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

llvm::ArrayRef<OpHandler> Importer::convOps() {
  static const OpHandler table[] = {
      {"Conv", &Importer::importConv},
      {"ConvTranspose", &Importer::importConvTranspose},
      {"Gemm", &Importer::importGemm},
      {"MatMul", &Importer::importMatMul},
      {"Einsum", &Importer::importEinsum},
      {"QuantizeLinear", &Importer::importQuantizeLinear},
      {"DequantizeLinear", &Importer::importQuantizeLinear},
      {"DynamicQuantizeLinear", &Importer::importDynamicQuantizeLinear},
      {"MatMulInteger", &Importer::importMatMulInteger},
      {"ConvInteger", &Importer::importConvInteger},
      {"QLinearMatMul", &Importer::importQLinearMatMul},
      {"QLinearConv", &Importer::importQLinearConv},
  };
  return table;
}

} // namespace kiln::onnx
