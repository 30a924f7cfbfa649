//===- QLinearToQDQ.cpp - integer QLinear ops as float ops between Q/DQ ---===//
//
// The importer keeps QLinearConv and QLinearMatMul exact: widen to i32,
// subtract zero points, an integer conv or matmul, then DequantizeLinear of
// the accumulator and QuantizeLinear of the result. kiln-quantize-nna maps
// float ops between a model's DequantizeLinear and QuantizeLinear (QDQ) to
// int8 nna ops; this pass puts the integer form in that shape, keeping the
// model's scales, zero points, int8 weights and int32 biases.
//
//===----------------------------------------------------------------------===//
#include "dialects/nn/ConstantEvaluation.h"
#include "dialects/nn/NNOps.h"
#include "passes/Passes.h"

#include <cstring>
#include <optional>

namespace kiln {
#define GEN_PASS_DEF_QLINEARTOQDQ
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
namespace nn = kiln::nn;

namespace {

/// The per-tensor quantisation of an 8-bit value.
struct Quant {
  Value scale, zero; // rank-0 f32 and i8 constants
  bool isUnsigned;
};

RankedTensorType tensorType(Value v) {
  return dyn_cast<RankedTensorType>(v.getType());
}

std::optional<SmallVector<char>> constantBytes(Value v) {
  auto c = v ? v.getDefiningOp<nn::ConstantOp>() : nn::ConstantOp();
  if (!c)
    return std::nullopt;
  return nn::rawElements(c.getValue());
}

std::optional<std::vector<float>> constantFloats(Value v) {
  auto t = tensorType(v);
  std::optional<SmallVector<char>> raw = constantBytes(v);
  if (!t || !t.getElementType().isF32() || !raw)
    return std::nullopt;
  std::vector<float> out(raw->size() / 4);
  std::memcpy(out.data(), raw->data(), out.size() * 4);
  return out;
}

/// Whether `v` is a constant whose bytes are all zero.
bool isZeroConstant(Value v) {
  std::optional<SmallVector<char>> raw = constantBytes(v);
  return raw && llvm::all_of(*raw, [](char c) { return c == 0; });
}

bool isScalar(Value v) {
  auto t = tensorType(v);
  return t && t.getNumElements() == 1;
}

class Rewriter {
public:
  explicit Rewriter(func::FuncOp main) : main(main), b(main.getContext()) {}
  void run();

private:
  func::FuncOp main;
  OpBuilder b;

  Value constant(Location loc, RankedTensorType type, ArrayRef<char> bytes) {
    return nn::ConstantOp::create(b, loc, type, nn::constantValue(type, bytes));
  }
  Value f32Scalar(Location loc, float v) {
    return constant(loc, RankedTensorType::get({}, b.getF32Type()),
                    ArrayRef<char>(reinterpret_cast<char *>(&v), 4));
  }
  /// The per-tensor quantisation of the 8-bit `x`: the QuantizeLinear that
  /// wrote it, looking through flattens and reshapes.
  std::optional<Quant> quantOf(Value x) {
    Operation *def = x.getDefiningOp();
    if (auto q = dyn_cast_or_null<nn::QuantizeLinearOp>(def)) {
      if (isScalar(q.getScale()) && isScalar(q.getZeroPoint()) &&
          constantBytes(q.getScale()) && constantBytes(q.getZeroPoint()))
        return Quant{q.getScale(), q.getZeroPoint(), q.getIsUnsigned()};
      return std::nullopt;
    }
    if (isa_and_nonnull<nn::FlattenOp, nn::ReshapeOp>(def))
      return quantOf(def->getOperand(0));
    return std::nullopt;
  }
  /// `x` (8-bit) as f32: DequantizeLinear, moved before the flattens and
  /// reshapes that lead to it (they commute with it) so that the reshape
  /// of a float value is what later passes see.
  Value dequantized(Value x, const Quant &q, Location loc) {
    Operation *def = x.getDefiningOp();
    auto t = tensorType(x);
    auto f32 = RankedTensorType::get(t.getShape(), b.getF32Type());
    if (isa_and_nonnull<nn::FlattenOp, nn::ReshapeOp>(def)) {
      Value inner = dequantized(def->getOperand(0), q, loc);
      OperationState state(def->getLoc(), def->getName());
      state.addOperands(inner);
      state.addOperands(def->getOperands().drop_front());
      state.addAttributes(def->getAttrs());
      state.addTypes(f32);
      return b.create(state)->getResult(0);
    }
    return nn::DequantizeLinearOp::create(b, loc, f32, x, q.scale, q.zero,
                                          b.getI64IntegerAttr(0),
                                          b.getBoolAttr(q.isUnsigned));
  }
  /// The zero-point subtraction the importer widened `v` with.
  static nn::SubtractZeroPointOp widening(Value v) {
    return v.getDefiningOp<nn::SubtractZeroPointOp>();
  }
  /// The input's quantisation for a QLinear op: its own, or, for a model
  /// input, scale `fallback` with the widening's zero point (any scale
  /// dequantises exactly when the weights take the rest of the product).
  std::optional<Quant> inputQuant(nn::SubtractZeroPointOp x, float fallback,
                                  Location loc) {
    if (!isScalar(x.getZeroPoint()) || !constantBytes(x.getZeroPoint()))
      return std::nullopt;
    if (std::optional<Quant> q = quantOf(x.getInput())) {
      if (q->isUnsigned != x.getIsUnsigned() ||
          *constantBytes(q->zero) != *constantBytes(x.getZeroPoint()))
        return std::nullopt;
      return q;
    }
    return Quant{f32Scalar(loc, fallback), x.getZeroPoint(), x.getIsUnsigned()};
  }
  void rewriteConv(nn::DequantizeLinearOp dq, nn::ConvOp conv);
  void rewriteMatMul(nn::DequantizeLinearOp dq, nn::MatMulOp matmul);
  void rewriteMaxPool(nn::CastOp narrow);
};

/// DQ(conv(x - xz, W - wz, B), s) with s = xs * ws per output channel:
/// conv(DQ(x, xs, xz), DQ(W, s / xs, wz), B * s).
void Rewriter::rewriteConv(nn::DequantizeLinearOp dq, nn::ConvOp conv) {
  nn::SubtractZeroPointOp x = widening(conv.getInput()),
                          w = widening(conv.getFilter());
  std::optional<std::vector<float>> s = constantFloats(dq.getScale());
  auto wt = w ? tensorType(w.getInput()) : RankedTensorType();
  if (!x || !w || !s || !isZeroConstant(dq.getZeroPoint()) ||
      !constantBytes(w.getInput()) || !constantBytes(w.getZeroPoint()) ||
      dq.getAxis() != 1 || conv.getChannelsLast())
    return;
  int64_t k = wt.getDimSize(0);
  if ((s->size() != 1 && int64_t(s->size()) != k) ||
      (!isScalar(w.getZeroPoint()) && w.getAxis() != 0) ||
      llvm::any_of(*s, [](float v) { return !(v > 0); }))
    return;
  std::optional<std::vector<int32_t>> bias;
  if (Value bv = conv.getBias()) {
    std::optional<SmallVector<char>> raw = constantBytes(bv);
    if (!raw || int64_t(raw->size()) != 4 * k)
      return;
    bias.emplace(k);
    std::memcpy(bias->data(), raw->data(), raw->size());
  }
  Location loc = conv.getLoc();
  b.setInsertionPoint(dq);
  std::optional<Quant> xq = inputQuant(x, (*s)[0], loc);
  if (!xq)
    return;
  float xs;
  std::memcpy(&xs, constantBytes(xq->scale)->data(), 4);
  auto at = [&](int64_t o) { return (*s)[s->size() == 1 ? 0 : o]; };
  SmallVector<float> ws(k), bf(k);
  for (int64_t o = 0; o < k; ++o) {
    ws[o] = at(o) / xs;
    if (bias)
      bf[o] = float(double((*bias)[o]) * double(at(o)));
  }
  auto vec = RankedTensorType::get({k}, b.getF32Type());
  Value wScale = constant(
      loc, vec, ArrayRef<char>(reinterpret_cast<char *>(ws.data()), 4 * k));
  Value wZero = w.getZeroPoint();
  if (isScalar(wZero)) // per-channel scales want per-channel zero points
    wZero = constant(loc, RankedTensorType::get({k}, b.getI8Type()),
                     SmallVector<char>(k, (*constantBytes(wZero))[0]));
  Value xf = dequantized(x.getInput(), *xq, loc);
  Value wf = nn::DequantizeLinearOp::create(
      b, loc, RankedTensorType::get(wt.getShape(), b.getF32Type()),
      w.getInput(), wScale, wZero, b.getI64IntegerAttr(0),
      b.getBoolAttr(w.getIsUnsigned()));
  Value bias32;
  if (bias)
    bias32 = constant(
        loc, vec, ArrayRef<char>(reinterpret_cast<char *>(bf.data()), 4 * k));
  auto f = nn::ConvOp::create(b, loc, dq.getType(), xf, wf, bias32,
                              conv.getStridesAttr(), conv.getPadsAttr(),
                              conv.getDilationsAttr(), conv.getGroupAttr(),
                              conv.getChannelsLastAttr());
  if (Attribute range = dq->getAttr("kiln.range"))
    f->setAttr("kiln.range", range);
  dq.replaceAllUsesWith(f.getResult());
}

/// DQ(matmul(a - az, B - bz), s) with A [1, C] and constant B [C, N]:
/// gemm(DQ(a, as, az), DQ(B, s / as, bz)).
void Rewriter::rewriteMatMul(nn::DequantizeLinearOp dq, nn::MatMulOp matmul) {
  nn::SubtractZeroPointOp a = widening(matmul.getLhs()),
                          w = widening(matmul.getRhs());
  std::optional<std::vector<float>> s = constantFloats(dq.getScale());
  auto at = a ? tensorType(a.getInput()) : RankedTensorType();
  auto wt = w ? tensorType(w.getInput()) : RankedTensorType();
  if (!a || !w || !s || s->size() != 1 || !(s->front() > 0) ||
      !isZeroConstant(dq.getZeroPoint()) || at.getRank() != 2 ||
      wt.getRank() != 2 || !constantBytes(w.getInput()) ||
      !isScalar(w.getZeroPoint()) || !constantBytes(w.getZeroPoint()))
    return;
  Location loc = matmul.getLoc();
  b.setInsertionPoint(dq);
  std::optional<Quant> aq = inputQuant(a, s->front(), loc);
  if (!aq)
    return;
  float as;
  std::memcpy(&as, constantBytes(aq->scale)->data(), 4);
  Value af = dequantized(a.getInput(), *aq, loc);
  Value wf = nn::DequantizeLinearOp::create(
      b, loc, RankedTensorType::get(wt.getShape(), b.getF32Type()),
      w.getInput(), f32Scalar(loc, s->front() / as), w.getZeroPoint(),
      b.getI64IntegerAttr(0), b.getBoolAttr(w.getIsUnsigned()));
  auto gemm = nn::GemmOp::create(b, loc, dq.getType(), af, wf, Value(),
                                 b.getF32FloatAttr(1), b.getF32FloatAttr(1),
                                 b.getBoolAttr(false), b.getBoolAttr(false));
  if (Attribute range = dq->getAttr("kiln.range"))
    gemm->setAttr("kiln.range", range);
  dq.replaceAllUsesWith(gemm.getResult());
}

/// cast(max_pool(cast(q))) on 8-bit q: Q(max_pool(DQ(q))), exact since the
/// maximum commutes with the increasing DequantizeLinear.
void Rewriter::rewriteMaxPool(nn::CastOp narrow) {
  auto pool = narrow.getInput().getDefiningOp<nn::MaxPoolOp>();
  auto widen = pool ? pool.getInput().getDefiningOp<nn::CastOp>() : nullptr;
  if (!widen || !tensorType(narrow.getResult()).getElementType().isInteger(8) ||
      !tensorType(widen.getInput()).getElementType().isInteger(8))
    return;
  std::optional<Quant> q = quantOf(widen.getInput());
  if (!q || q->isUnsigned != widen.getUnsignedInput())
    return;
  Location loc = pool.getLoc();
  b.setInsertionPoint(narrow);
  Value f = dequantized(widen.getInput(), *q, loc);
  auto ot = tensorType(pool.getResult());
  auto fp = nn::MaxPoolOp::create(
      b, loc, RankedTensorType::get(ot.getShape(), b.getF32Type()), f,
      pool.getKernelShapeAttr(), pool.getStridesAttr(), pool.getPadsAttr(),
      pool.getDilationsAttr(), pool.getCeilModeAttr(),
      pool.getChannelsLastAttr());
  Value back = nn::QuantizeLinearOp::create(
      b, loc, narrow.getType(), fp, q->scale, q->zero, b.getI64IntegerAttr(0),
      b.getBoolAttr(q->isUnsigned));
  narrow.replaceAllUsesWith(back);
}

void Rewriter::run() {
  // In order, so that a rewritten producer is what the next op traces.
  SmallVector<Operation *> ops;
  for (Operation &op : main.getBody().front().without_terminator())
    ops.push_back(&op);
  for (Operation *op : ops) {
    if (auto dq = dyn_cast<nn::DequantizeLinearOp>(op)) {
      if (!tensorType(dq.getInput()).getElementType().isInteger(32))
        continue;
      if (auto conv = dq.getInput().getDefiningOp<nn::ConvOp>())
        rewriteConv(dq, conv);
      else if (auto mm = dq.getInput().getDefiningOp<nn::MatMulOp>())
        rewriteMatMul(dq, mm);
    } else if (auto cast = dyn_cast<nn::CastOp>(op)) {
      rewriteMaxPool(cast);
    }
  }
  // The integer ops the float ones replaced.
  kiln::eraseDeadOps(main);
}

struct QLinearToQDQ : kiln::impl::QLinearToQDQBase<QLinearToQDQ> {
  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    if (fn.getName() == "main" && !fn.isExternal())
      Rewriter(fn).run();
  }
};

} // namespace
