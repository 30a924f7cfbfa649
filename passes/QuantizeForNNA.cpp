//===- QuantizeForNNA.cpp - float nn ops to int8 nna ops ------------------===//
//
// Post-training int8 quantisation for the Kiln NNA (docs/nna.md): weights
// symmetric per output channel, activations asymmetric per tensor from
// their calibrated ranges (`kiln.range` on op results and arguments), and
// requantisation by fixed-point multipliers. Chains the NNA runs become nna
// ops on HxWxC int8 tensors: conv [+ relu/clip] [+ add [+ relu/clip]],
// pools, adds, and gemms on a flattened 1x1xC cube (as 1x1 convs).
// Everything else stays float on the CPU; where values cross, the CPU
// quantises (NCHW -> HxWxC -> int8) or dequantises back.
//
//===----------------------------------------------------------------------===//
#include "dialects/nn/ConstantEvaluation.h"
#include "dialects/nn/NNOps.h"
#include "dialects/nna/NNAOps.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

#include <cmath>
#include <cstring>

namespace kiln {
#define GEN_PASS_DEF_QUANTIZEFORNNA
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
namespace nn = kiln::nn;
namespace nna = kiln::nna;

namespace kiln {

QuantParams quantParams(double lo, double hi) {
  lo = std::min(lo, 0.0);
  hi = std::max(hi, 0.0);
  double scale = (hi - lo) / 255.0;
  if (!(scale > 0) || !std::isfinite(scale))
    return {1.0, 0};
  double zero = std::round(-128.0 - lo / scale);
  return {scale, int64_t(std::clamp(zero, -128.0, 127.0))};
}

std::pair<int64_t, int64_t> quantizeMultiplier(double real) {
  if (!(real > 0) || !std::isfinite(real))
    return {0, 0};
  int exponent;
  double q =
      std::frexp(real, &exponent); // real = q * 2^exponent, q in [0.5, 1)
  int64_t mult = int64_t(std::llround(q * double(int64_t(1) << 31)));
  if (mult == (int64_t(1) << 31)) {
    mult /= 2;
    ++exponent;
  }
  if (exponent < -31)
    return {0, 0}; // below the smallest step: the product rounds to 0
  if (exponent > 30)
    return {INT32_MAX, 30};
  return {mult, exponent};
}

} // namespace kiln

namespace {

using kiln::QuantParams;

const std::pair<int64_t, int64_t> kFullRange = {-128, 127};

int64_t clampInt8(double v) {
  return int64_t(std::clamp(std::round(v), -128.0, 127.0));
}

/// The calibrated range of a value: `kiln.range` on its op or argument.
/// The range whose quantParams are per-tensor (scale, zero) of a model's own
/// QuantizeLinear/DequantizeLinear: [(lo - zero) * scale, (hi - zero) *
/// scale] for the 8-bit values lo..hi (uint8 maps onto int8 by -128).
std::optional<std::pair<double, double>> qdqRange(Value scale, Value zero,
                                                  bool isUnsigned) {
  auto constant = [](Value v) -> std::optional<SmallVector<char>> {
    auto c = v.getDefiningOp<nn::ConstantOp>();
    auto t = c ? dyn_cast<RankedTensorType>(c.getType()) : RankedTensorType();
    if (!t || t.getNumElements() != 1)
      return std::nullopt;
    return nn::rawElements(c.getValue());
  };
  std::optional<SmallVector<char>> s = constant(scale), z = constant(zero);
  if (!s || !z || s->size() != 4 || z->size() != 1)
    return std::nullopt;
  float sv;
  std::memcpy(&sv, s->data(), 4);
  double zv = isUnsigned ? double(uint8_t((*z)[0])) : double(int8_t((*z)[0]));
  double lo = isUnsigned ? 0 : -128, hi = isUnsigned ? 255 : 127;
  if (!(sv > 0))
    return std::nullopt;
  return std::make_pair((lo - zv) * sv, (hi - zv) * sv);
}

/// The range a value is quantised from: a model's own quantisation when
/// it is a DequantizeLinear's result or a QuantizeLinear reads it (QDQ
/// models keep their scales), else its calibrated `kiln.range` (on its op
/// or argument).
std::optional<std::pair<double, double>> rangeOf(Value v) {
  if (auto dq = v.getDefiningOp<nn::DequantizeLinearOp>())
    if (auto r = qdqRange(dq.getScale(), dq.getZeroPoint(), dq.getIsUnsigned()))
      return r;
  for (Operation *user : v.getUsers())
    if (auto q = dyn_cast<nn::QuantizeLinearOp>(user))
      if (auto r = qdqRange(q.getScale(), q.getZeroPoint(), q.getIsUnsigned()))
        return r;
  DenseF64ArrayAttr attr;
  if (auto arg = dyn_cast<BlockArgument>(v)) {
    auto fn = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp());
    if (fn)
      attr = fn.getArgAttrOfType<DenseF64ArrayAttr>(arg.getArgNumber(),
                                                    "kiln.range");
  } else if (v.getDefiningOp()->getNumResults() == 1) {
    attr = v.getDefiningOp()->getAttrOfType<DenseF64ArrayAttr>("kiln.range");
  }
  if (!attr || attr.size() != 2)
    return std::nullopt;
  return std::make_pair(attr[0], attr[1]);
}

RankedTensorType tensorType(Value v) {
  return dyn_cast<RankedTensorType>(v.getType());
}

/// An NCHW f32 activation of batch 1 the NNA can hold as an HxWxC cube.
bool isCubeable(Value v) {
  auto t = tensorType(v);
  return t && t.hasStaticShape() && t.getElementType().isF32() &&
         t.getRank() == 4 && t.getDimSize(0) == 1 && t.getDimSize(1) <= 65535 &&
         t.getDimSize(2) <= 65535 && t.getDimSize(3) <= 65535;
}

/// The raw bytes of a constant operand.
std::optional<SmallVector<char>> constantBytes(Value v) {
  auto constant = v.getDefiningOp<nn::ConstantOp>();
  if (!constant)
    return std::nullopt;
  return nn::rawElements(constant.getValue());
}

/// The values of a constant f32 tensor, or of the DequantizeLinear of a
/// constant int8 tensor (a QDQ model's weights: per tensor, or per slice
/// along its `axis`).
std::optional<std::vector<float>> floats(Value v) {
  auto type = tensorType(v);
  if (!type || !type.getElementType().isF32())
    return std::nullopt;
  if (auto dq = v.getDefiningOp<nn::DequantizeLinearOp>()) {
    std::optional<SmallVector<char>> q = constantBytes(dq.getInput()),
                                     sc = constantBytes(dq.getScale()),
                                     zp = constantBytes(dq.getZeroPoint());
    auto qt = tensorType(dq.getInput());
    if (!q || !sc || !zp || !qt.getElementType().isInteger(8) ||
        int64_t(q->size()) != type.getNumElements())
      return std::nullopt;
    int64_t n = sc->size() / 4, axis = int64_t(dq.getAxis());
    axis += axis < 0 ? type.getRank() : 0;
    if (int64_t(zp->size()) != n ||
        (n != 1 &&
         (axis < 0 || axis >= type.getRank() || type.getDimSize(axis) != n)))
      return std::nullopt;
    int64_t inner = 1;
    for (int64_t d = axis + 1; n != 1 && d < type.getRank(); ++d)
      inner *= type.getDimSize(d);
    std::vector<float> out(q->size());
    for (size_t i = 0; i < out.size(); ++i) {
      int64_t k = n == 1 ? 0 : (int64_t(i) / inner) % n;
      float scale;
      std::memcpy(&scale, sc->data() + 4 * k, 4);
      double value = dq.getIsUnsigned()
                         ? double(uint8_t((*q)[i])) - double(uint8_t((*zp)[k]))
                         : double(int8_t((*q)[i])) - double(int8_t((*zp)[k]));
      out[i] = float(value * scale);
    }
    return out;
  }
  std::optional<SmallVector<char>> raw = constantBytes(v);
  if (!raw)
    return std::nullopt;
  std::vector<float> out(raw->size() / 4);
  std::memcpy(out.data(), raw->data(), out.size() * 4);
  return out;
}

/// The per-output-channel (or per-tensor) scales of a QDQ model's weights,
/// when they are the DequantizeLinear of constant signed int8 with zero
/// points 0 along axis 0 (or one for the tensor); empty otherwise.
SmallVector<float> symmetricWeightScales(Value filter, int64_t k) {
  auto dq = filter.getDefiningOp<nn::DequantizeLinearOp>();
  if (!dq || dq.getIsUnsigned())
    return {};
  std::optional<SmallVector<char>> sc = constantBytes(dq.getScale()),
                                   zp = constantBytes(dq.getZeroPoint());
  if (!sc || !zp || llvm::any_of(*zp, [](char z) { return z != 0; }))
    return {};
  int64_t n = sc->size() / 4;
  if (n != 1 && (n != k || int64_t(dq.getAxis()) != 0))
    return {};
  SmallVector<float> scales(n);
  std::memcpy(scales.data(), sc->data(), n * 4);
  if (llvm::any_of(scales, [](float s) { return !(s > 0); }))
    return {};
  return scales;
}

/// The clamp [lo, hi] an activation op imposes on int8 values of `q`, or
/// nothing when `op` is not ReLU or Clip.
std::optional<std::pair<int64_t, int64_t>> activationClamp(Operation *op,
                                                           QuantParams q) {
  auto quant = [&](double x) { return clampInt8(x / q.scale + q.zero); };
  if (isa<nn::ReluOp>(op))
    return std::make_pair(std::max<int64_t>(-128, q.zero), int64_t(127));
  if (auto clip = dyn_cast<nn::ClipOp>(op))
    return std::make_pair(quant(clip.getMin().convertToDouble()),
                          quant(clip.getMax().convertToDouble()));
  return std::nullopt;
}

/// TFLite's quantised add of `a` and `b` into `out`: both inputs rescaled
/// to twice the larger scale (after the 2^20 shift), the sum to `out`.
nna::RequantAttr addRequant(MLIRContext *ctx, QuantParams a, QuantParams b,
                            QuantParams out,
                            std::pair<int64_t, int64_t> clamp) {
  double twice = 2 * std::max(a.scale, b.scale);
  auto [am, as] = kiln::quantizeMultiplier(a.scale / twice);
  auto [bm, bs] = kiln::quantizeMultiplier(b.scale / twice);
  auto [om, os] =
      kiln::quantizeMultiplier(twice / (double(1 << 20) * out.scale));
  return nna::RequantAttr::get(ctx, a.zero, am, as, b.zero, bm, bs, om, os,
                               out.zero, clamp.first, clamp.second);
}

/// The one user of `v` when it has exactly one.
Operation *soleUser(Value v) {
  return v.hasOneUse() ? *v.getUsers().begin() : nullptr;
}

class Quantizer {
public:
  explicit Quantizer(func::FuncOp main) : main(main), b(main.getContext()) {}
  LogicalResult run();

private:
  func::FuncOp main;
  OpBuilder b;
  /// Values the NNA holds: their int8 HxWxC tensor and its quantisation.
  llvm::DenseMap<Value, std::pair<Value, QuantParams>> resident;
  /// Float values the CPU quantised for the NNA, once each.
  llvm::DenseMap<Value, Value> quantised;
  SmallVector<Operation *> replaced; // float ops now computed by nna ops

  /// A value's quantisation, fixed the first time it is asked for (the
  /// quantize_linear ops this pass adds must not change it later).
  std::optional<QuantParams> paramsOf(Value v) {
    if (auto it = resident.find(v); it != resident.end())
      return it->second.second;
    if (auto it = fixed.find(v); it != fixed.end())
      return it->second;
    if (auto r = rangeOf(v))
      return fixed[v] = kiln::quantParams(r->first, r->second);
    return std::nullopt;
  }
  llvm::DenseMap<Value, QuantParams> fixed;
  /// The int8 cube of `v`: resident, or quantised on the CPU here.
  Value cube(Value v, QuantParams q, Location loc);
  Value scalar(Location loc, Type type, Attribute value) {
    auto t = RankedTensorType::get({}, type);
    return nn::ConstantOp::create(
        b, loc, t, DenseElementsAttr::get(t, ArrayRef<Attribute>{value}));
  }
  /// The nna weights ([K][KH][KW][Cg] int8, symmetric per output channel)
  /// and params (bias, multiplier, shift per output channel) of a conv of
  /// `shape` {K, KH, KW, Cg} with real weights `weight(k, ky, kx, c)`, real
  /// bias `bias(k)`, reading scale `inScale` and writing `outScale`. The
  /// weight scales are max|w| / 127 per channel, or `modelScales` (a QDQ
  /// model's symmetric int8 weights keep theirs, and so their values).
  std::pair<Value, Value> weightsAndParams(
      Location loc, std::array<int64_t, 4> shape,
      llvm::function_ref<double(int64_t, int64_t, int64_t, int64_t)> weight,
      llvm::function_ref<double(int64_t)> bias, double inScale, double outScale,
      ArrayRef<float> modelScales = {});
  LogicalResult quantizeConv(nn::ConvOp conv);
  LogicalResult quantizeGemm(nn::GemmOp gemm);
  void quantizePool(Operation *op);
  void quantizeAdd(nn::AddOp add);
  void lookThrough(nn::DequantizeLinearOp dq);
  void finish();
};

Value Quantizer::cube(Value v, QuantParams q, Location loc) {
  if (auto it = resident.find(v); it != resident.end())
    return it->second.first;
  if (Value done = quantised.lookup(v))
    return done;
  // Right after the value, so that every later reader can share it.
  OpBuilder::InsertionGuard guard(b);
  if (auto arg = dyn_cast<BlockArgument>(v))
    b.setInsertionPointToStart(arg.getOwner());
  else
    b.setInsertionPointAfter(v.getDefiningOp());
  auto t = tensorType(v);
  int64_t c = t.getDimSize(1), h = t.getDimSize(2), w = t.getDimSize(3);
  Value nhwc = nn::TransposeOp::create(
      b, loc, RankedTensorType::get({1, h, w, c}, b.getF32Type()), v,
      b.getDenseI64ArrayAttr({0, 2, 3, 1}));
  Value hwc = nn::ReshapeOp::create(
      b, loc, RankedTensorType::get({h, w, c}, b.getF32Type()), nhwc);
  Value q8 = nn::QuantizeLinearOp::create(
      b, loc, RankedTensorType::get({h, w, c}, b.getI8Type()), hwc,
      scalar(loc, b.getF32Type(), b.getF32FloatAttr(q.scale)),
      scalar(loc, b.getI8Type(), b.getI8IntegerAttr(q.zero)),
      b.getI64IntegerAttr(1), b.getBoolAttr(false));
  quantised[v] = q8;
  return q8;
}

std::pair<Value, Value> Quantizer::weightsAndParams(
    Location loc, std::array<int64_t, 4> shape,
    llvm::function_ref<double(int64_t, int64_t, int64_t, int64_t)> weight,
    llvm::function_ref<double(int64_t)> bias, double inScale, double outScale,
    ArrayRef<float> modelScales) {
  auto [k, kh, kw, cg] = shape;
  SmallVector<int8_t> wq(k * kh * kw * cg);
  SmallVector<int32_t> params(k * 3);
  for (int64_t o = 0; o < k; ++o) {
    double maxAbs = 0;
    for (int64_t y = 0; y < kh; ++y)
      for (int64_t x = 0; x < kw; ++x)
        for (int64_t c = 0; c < cg; ++c)
          maxAbs = std::max(maxAbs, std::fabs(weight(o, y, x, c)));
    double sw = maxAbs > 0 ? maxAbs / 127.0 : 1.0;
    if (!modelScales.empty())
      sw = modelScales[modelScales.size() == 1 ? 0 : o];
    for (int64_t y = 0; y < kh; ++y)
      for (int64_t x = 0; x < kw; ++x)
        for (int64_t c = 0; c < cg; ++c)
          wq[((o * kh + y) * kw + x) * cg + c] = int8_t(
              std::clamp(std::round(weight(o, y, x, c) / sw), -127.0, 127.0));
    double accScale = inScale * sw;
    params[o * 3] = int32_t(std::clamp(std::round(bias(o) / accScale),
                                       double(INT32_MIN), double(INT32_MAX)));
    auto [mult, shift] = kiln::quantizeMultiplier(accScale / outScale);
    params[o * 3 + 1] = int32_t(mult);
    params[o * 3 + 2] = int32_t(shift);
  }
  auto wType = RankedTensorType::get({k, kh, kw, cg}, b.getI8Type());
  auto pType = RankedTensorType::get({k, 3}, b.getI32Type());
  Value weights = nn::ConstantOp::create(
      b, loc, wType,
      nn::constantValue(
          wType,
          ArrayRef<char>(reinterpret_cast<char *>(wq.data()), wq.size())));
  Value paramsValue = nn::ConstantOp::create(
      b, loc, pType,
      nn::constantValue(pType,
                        ArrayRef<char>(reinterpret_cast<char *>(params.data()),
                                       params.size() * 4)));
  return {weights, paramsValue};
}

/// conv [+ relu/clip] [+ add [+ relu/clip]] as one nna.conv.
LogicalResult Quantizer::quantizeConv(nn::ConvOp conv) {
  auto in = tensorType(conv.getInput()), w = tensorType(conv.getFilter());
  if (!isCubeable(conv.getInput()) || !isCubeable(conv.getResult()) ||
      conv.getChannelsLast() ||
      llvm::any_of(conv.getDilations(), [](int64_t d) { return d != 1; }))
    return failure();
  int64_t c = in.getDimSize(1), k = w.getDimSize(0), cg = w.getDimSize(1),
          kh = w.getDimSize(2), kw = w.getDimSize(3);
  int64_t group = conv.getGroup();
  bool depthwise = group > 1;
  if (depthwise && !(group == c && k == c && cg == 1))
    return failure(); // other grouped convs stay on the CPU
  ArrayRef<int64_t> s = conv.getStrides(), p = conv.getPads();
  if (kh > 11 || kw > 11 || s[0] > 4 || s[1] > 4 || p[0] >= kh || p[2] >= kh ||
      p[1] >= kw || p[3] >= kw ||
      kh * kw * cg * 255 * 128 >= (int64_t(1) << 31))
    return failure();
  std::optional<std::vector<float>> filter = floats(conv.getFilter());
  std::optional<std::vector<float>> bias;
  if (conv.getBias() && !(bias = floats(conv.getBias())))
    return failure();
  std::optional<QuantParams> qin = paramsOf(conv.getInput());
  if (!filter || !qin)
    return failure();

  // The chain: conv, then at most one activation, one add, one activation.
  Operation *act1 = nullptr, *addOp = nullptr, *act2 = nullptr;
  Value last = conv.getResult();
  if (Operation *u = soleUser(last); u && activationClamp(u, {1, 0})) {
    act1 = u;
    last = u->getResult(0);
  }
  Value addend;
  if (auto add = dyn_cast_or_null<nn::AddOp>(soleUser(last))) {
    Value other = add.getLhs() == last ? add.getRhs() : add.getLhs();
    if (add.getLhs() != add.getRhs() && tensorType(other) == tensorType(last) &&
        isCubeable(other) && paramsOf(other) && rangeOf(add.getResult())) {
      addOp = add;
      addend = other;
      last = add.getResult();
      if (Operation *u = soleUser(last); u && activationClamp(u, {1, 0})) {
        act2 = u;
        last = u->getResult(0);
      }
    }
  }
  // Stage 1's output: the activation's range, else the conv's.
  Value stage1 = act1 ? act1->getResult(0) : Value(conv.getResult());
  std::optional<std::pair<double, double>> r1 = rangeOf(stage1);
  std::optional<std::pair<double, double>> rOut = rangeOf(last);
  if (!r1 || !rOut)
    return failure();
  QuantParams q1 = kiln::quantParams(r1->first, r1->second);
  std::pair<int64_t, int64_t> clamp1 =
      act1 ? *activationClamp(act1, q1) : kFullRange;

  b.setInsertionPoint(addOp ? addOp : (act1 ? act1 : conv.getOperation()));
  if (act2)
    b.setInsertionPoint(act2);
  Location loc = conv.getLoc();
  Value x = cube(conv.getInput(), *qin, loc);
  // The filter is [K][Cg][KH][KW].
  auto [weights, paramsValue] = weightsAndParams(
      loc, {k, kh, kw, cg},
      [&](int64_t o, int64_t y, int64_t xx, int64_t ci) {
        return double((*filter)[((o * cg + ci) * kh + y) * kw + xx]);
      },
      [&](int64_t o) { return bias ? double((*bias)[o]) : 0.0; }, qin->scale,
      q1.scale, symmetricWeightScales(conv.getFilter(), k));
  auto out = tensorType(conv.getResult());
  auto resultType = RankedTensorType::get(
      {out.getDimSize(2), out.getDimSize(3), k}, b.getI8Type());
  QuantParams qOut = q1;
  Value addendCube;
  nna::RequantAttr requant;
  if (addOp) {
    QuantParams qb = *paramsOf(addend);
    qOut = kiln::quantParams(rOut->first, rOut->second);
    std::pair<int64_t, int64_t> clamp2 =
        act2 ? *activationClamp(act2, qOut) : kFullRange;
    addendCube = cube(addend, qb, loc);
    requant = addRequant(b.getContext(), q1, qb, qOut, clamp2);
  }
  auto op = nna::ConvOp::create(
      b, loc, resultType, x, weights, paramsValue, addendCube,
      b.getDenseI64ArrayAttr({kh, kw}), b.getDenseI64ArrayAttr(s),
      b.getDenseI64ArrayAttr({p[0], p[1], p[2], p[3]}),
      depthwise ? b.getUnitAttr() : UnitAttr(), b.getI64IntegerAttr(qin->zero),
      b.getI64IntegerAttr(q1.zero),
      b.getDenseI64ArrayAttr({clamp1.first, clamp1.second}), requant);
  resident[last] = {op.getResult(), qOut};
  for (Operation *o : {static_cast<Operation *>(conv), act1, addOp, act2})
    if (o)
      replaced.push_back(o);
  return success();
}

/// gemm on a flattened 1x1xC cube with constant B as a 1x1 nna.conv.
LogicalResult Quantizer::quantizeGemm(nn::GemmOp gemm) {
  // A is [1, C]: the flatten of a resident 1xCx1x1 value.
  auto flat = gemm.getA().getDefiningOp();
  if (!flat || !isa<nn::FlattenOp, nn::ReshapeOp>(flat) || gemm.getTransA())
    return failure();
  Value src = flat->getOperand(0);
  auto it = resident.find(src);
  auto st = tensorType(src);
  if (it == resident.end() || st.getDimSize(2) != 1 || st.getDimSize(3) != 1)
    return failure();
  std::optional<std::vector<float>> wf = floats(gemm.getB());
  std::optional<std::vector<float>> cf;
  if (gemm.getC() && !(cf = floats(gemm.getC())))
    return failure();
  std::optional<std::pair<double, double>> rOut = rangeOf(gemm.getResult());
  auto bt = tensorType(gemm.getB());
  auto ct = gemm.getC() ? tensorType(gemm.getC()) : RankedTensorType();
  int64_t c = st.getDimSize(1);
  int64_t n = gemm.getTransB() ? bt.getDimSize(0) : bt.getDimSize(1);
  if (!wf || !rOut ||
      (ct && ct.getNumElements() != n && ct.getNumElements() != 1))
    return failure();
  double alpha = gemm.getAlpha().convertToDouble(),
         beta = gemm.getBeta().convertToDouble();
  QuantParams qin = it->second.second,
              qOut = kiln::quantParams(rOut->first, rOut->second);
  b.setInsertionPoint(gemm);
  Location loc = gemm.getLoc();
  auto [weights, paramsValue] = weightsAndParams(
      loc, {n, 1, 1, c},
      [&](int64_t o, int64_t, int64_t, int64_t i) {
        return alpha * (gemm.getTransB() ? (*wf)[o * c + i] : (*wf)[i * n + o]);
      },
      [&](int64_t o) {
        return cf ? beta * (*cf)[cf->size() == 1 ? 0 : o] : 0.0;
      },
      qin.scale, qOut.scale);
  auto op = nna::ConvOp::create(
      b, loc, RankedTensorType::get({1, 1, n}, b.getI8Type()), it->second.first,
      weights, paramsValue, Value(), b.getDenseI64ArrayAttr({1, 1}),
      b.getDenseI64ArrayAttr({1, 1}), b.getDenseI64ArrayAttr({0, 0, 0, 0}),
      UnitAttr(), b.getI64IntegerAttr(qin.zero), b.getI64IntegerAttr(qOut.zero),
      b.getDenseI64ArrayAttr({-128, 127}), nna::RequantAttr());
  // The gemm's [1, N] result is the 1x1xN cube's bytes: resident as such.
  resident[gemm.getResult()] = {op.getResult(), qOut};
  replaced.push_back(gemm);
  return success();
}

/// Max, average and global average pooling: the result keeps the input's
/// quantisation.
void Quantizer::quantizePool(Operation *op) {
  Value in = op->getOperand(0), out = op->getResult(0);
  if (!isCubeable(in) || !isCubeable(out))
    return;
  std::optional<QuantParams> q = paramsOf(in);
  if (!q)
    return;
  auto it = tensorType(in), ot = tensorType(out);
  SmallVector<int64_t> kernel, strides, pads;
  StringRef mode;
  bool includePad = false;
  if (auto max = dyn_cast<nn::MaxPoolOp>(op)) {
    if (max.getCeilMode() || max.getChannelsLast() ||
        llvm::any_of(max.getDilations(), [](int64_t d) { return d != 1; }))
      return;
    mode = "max";
    llvm::append_range(kernel, max.getKernelShape());
    llvm::append_range(strides, max.getStrides());
    llvm::append_range(pads, max.getPads());
  } else if (auto avg = dyn_cast<nn::AvgPoolOp>(op)) {
    if (avg.getCeilMode() || avg.getChannelsLast())
      return;
    mode = "avg";
    includePad = avg.getCountIncludePad();
    llvm::append_range(kernel, avg.getKernelShape());
    llvm::append_range(strides, avg.getStrides());
    llvm::append_range(pads, avg.getPads());
  } else if (isa<nn::GlobalAvgPoolOp>(op)) {
    mode = "avg";
    kernel = {it.getDimSize(2), it.getDimSize(3)};
    strides = {1, 1};
    pads = {0, 0, 0, 0};
  } else {
    return;
  }
  bool global = kernel[0] == it.getDimSize(2) &&
                kernel[1] == it.getDimSize(3) &&
                llvm::all_of(pads, [](int64_t p) { return p == 0; });
  int64_t maxKernel = global ? 255 : 16;
  for (int d = 0; d < 2; ++d)
    if (kernel[d] > maxKernel || strides[d] > 16 || pads[d] >= kernel[d] ||
        pads[d + 2] >= kernel[d])
      return;
  b.setInsertionPoint(op);
  Location loc = op->getLoc();
  Value x = cube(in, *q, loc);
  auto pool = nna::PoolOp::create(
      b, loc,
      RankedTensorType::get(
          {ot.getDimSize(2), ot.getDimSize(3), ot.getDimSize(1)},
          b.getI8Type()),
      x, b.getStringAttr(mode), b.getDenseI64ArrayAttr(kernel),
      b.getDenseI64ArrayAttr(strides), b.getDenseI64ArrayAttr(pads),
      includePad ? b.getUnitAttr() : UnitAttr(), b.getI64IntegerAttr(q->zero));
  resident[out] = {pool.getResult(), *q};
  replaced.push_back(op);
}

/// A standalone add of two activations [+ relu/clip].
void Quantizer::quantizeAdd(nn::AddOp add) {
  Value l = add.getLhs(), r = add.getRhs();
  if (!isCubeable(l) || tensorType(l) != tensorType(r) ||
      tensorType(l) != tensorType(add.getResult()))
    return;
  Operation *act = soleUser(add.getResult());
  if (act && !activationClamp(act, {1, 0}))
    act = nullptr;
  Value last = act ? act->getResult(0) : Value(add.getResult());
  std::optional<QuantParams> ql = paramsOf(l), qr = paramsOf(r);
  std::optional<std::pair<double, double>> rOut = rangeOf(last);
  if (!ql || !qr || !rOut)
    return;
  QuantParams qOut = kiln::quantParams(rOut->first, rOut->second);
  std::pair<int64_t, int64_t> clamp =
      act ? *activationClamp(act, qOut) : kFullRange;
  b.setInsertionPoint(act ? act : add.getOperation());
  Location loc = add.getLoc();
  Value a = cube(l, *ql, loc), c = cube(r, *qr, loc);
  auto op =
      nna::AddOp::create(b, loc, a.getType(), a, c,
                         addRequant(b.getContext(), *ql, *qr, qOut, clamp));
  resident[last] = {op.getResult(), qOut};
  replaced.push_back(add);
  if (act)
    replaced.push_back(act);
}

/// A model's QuantizeLinear then DequantizeLinear (QDQ, and QLinear ops
/// after kiln-qlinear-to-qdq) of a value the NNA holds at that same
/// quantisation gives back its int8 values: the DequantizeLinear's result
/// is the same cube, with no trip through the CPU.
void Quantizer::lookThrough(nn::DequantizeLinearOp dq) {
  auto q = dq.getInput().getDefiningOp<nn::QuantizeLinearOp>();
  auto it = q ? resident.find(q.getInput()) : resident.end();
  if (it == resident.end() || q.getIsUnsigned() != dq.getIsUnsigned() ||
      constantBytes(q.getScale()) != constantBytes(dq.getScale()) ||
      constantBytes(q.getZeroPoint()) != constantBytes(dq.getZeroPoint()))
    return;
  std::optional<std::pair<double, double>> r =
      qdqRange(dq.getScale(), dq.getZeroPoint(), dq.getIsUnsigned());
  QuantParams held = it->second.second;
  if (!r || !isCubeable(dq.getResult()))
    return;
  QuantParams p = kiln::quantParams(r->first, r->second);
  if (p.scale != held.scale || p.zero != held.zero)
    return;
  resident[dq.getResult()] = it->second;
  replaced.push_back(dq);
  if (llvm::all_of(q->getUsers(), [&](Operation *user) {
        return llvm::is_contained(replaced, user);
      }))
    replaced.push_back(q);
}

/// Float users of resident values read them dequantised (back to NCHW);
/// the float ops the nna ops replaced go.
void Quantizer::finish() {
  for (auto &[v, entry] : resident) {
    auto [q8, q] = entry;
    SmallVector<OpOperand *> floatUses;
    for (OpOperand &use : v.getUses())
      if (!llvm::is_contained(replaced, use.getOwner()))
        floatUses.push_back(&use);
    if (floatUses.empty())
      continue;
    b.setInsertionPointAfter(q8.getDefiningOp());
    Location loc = v.getLoc();
    auto cubeType = cast<RankedTensorType>(q8.getType());
    Value f = nn::DequantizeLinearOp::create(
        b, loc, RankedTensorType::get(cubeType.getShape(), b.getF32Type()), q8,
        scalar(loc, b.getF32Type(), b.getF32FloatAttr(q.scale)),
        scalar(loc, b.getI8Type(), b.getI8IntegerAttr(q.zero)),
        b.getI64IntegerAttr(1), b.getBoolAttr(false));
    auto t = tensorType(v);
    Value back;
    if (t.getRank() == 4) {
      int64_t c = t.getDimSize(1), h = t.getDimSize(2), w = t.getDimSize(3);
      Value nhwc = nn::ReshapeOp::create(
          b, loc, RankedTensorType::get({1, h, w, c}, b.getF32Type()), f);
      back = nn::TransposeOp::create(b, loc, t, nhwc,
                                     b.getDenseI64ArrayAttr({0, 3, 1, 2}));
    } else {
      back = nn::ReshapeOp::create(b, loc, t, f);
    }
    for (OpOperand *use : floatUses)
      use->set(back);
  }
  // The float ops the nna ops replaced, and what only they read (weights,
  // flattens), go.
  kiln::eraseDeadOps(main);
}

LogicalResult Quantizer::run() {
  SmallVector<Operation *> ops;
  for (Operation &op : main.getBody().front().without_terminator())
    ops.push_back(&op);
  for (Operation *op : ops) {
    if (llvm::is_contained(replaced, op))
      continue;
    if (auto conv = dyn_cast<nn::ConvOp>(op))
      (void)quantizeConv(conv);
    else if (auto gemm = dyn_cast<nn::GemmOp>(op))
      (void)quantizeGemm(gemm);
    else if (isa<nn::MaxPoolOp, nn::AvgPoolOp, nn::GlobalAvgPoolOp>(op))
      quantizePool(op);
    else if (auto add = dyn_cast<nn::AddOp>(op))
      quantizeAdd(add);
    else if (auto dq = dyn_cast<nn::DequantizeLinearOp>(op))
      lookThrough(dq);
  }
  finish();
  return success();
}

struct QuantizeForNNA : kiln::impl::QuantizeForNNABase<QuantizeForNNA> {
  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    if (fn.getName() != "main" || fn.isExternal())
      return;
    if (failed(Quantizer(fn).run()))
      signalPassFailure();
  }
};

} // namespace
