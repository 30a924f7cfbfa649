//===- VectorKernels.cpp - register-blocked vector code for hot ops -------===//
//
// Convolutions, matrix products and pooling on buffers become explicit loop
// nests around register tiles of vector accumulators. Everything is static
// (model shapes are), so each tile size, tail and mask is a compile-time
// constant.
//
// The common shape is a small GEMM update C[r, x] += A[r, k] * B[k, x] over
// a tile of `rows` x `width` outputs: `rows` broadcast scalars of A meet
// ceil(width / lanes) vectors of B per reduction step, with the
// accumulators in registers for the whole reduction (initialised once,
// stored once, after the conv's fused epilogue if it has one).
// In NCHW the vector dim is the output's innermost spatial dim, which is
// contiguous in both the output and the input (for stride 1; strided reads
// deinterleave a wider load), so no packing is needed:
//   conv_2d_nchw_fchw:     r = output channels, x = output columns of one
//                          row, k = (input channel, kh, kw); a 1x1 stride-1
//                          convolution is a GEMM over the flattened H*W.
//   depthwise NCHW:        r = 1 (the channel's own filter), x = one row.
//   pooling NCHW:          as depthwise, max or add in place of the FMA.
//   matmul (B is K x N):   r = rows of A, x = columns of B and C.
// A matrix product whose B is N x K (Gemm with transB: fully connected
// layers) reduces along the contiguous K instead: dot products of vectors.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"
#include "targets/cpu/Passes.h"

#include "dialects/nn/ConstantEvaluation.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <limits>
#include <map>

namespace kiln::cpu {
#define GEN_PASS_DEF_VECTORKERNELSPASS
#include "targets/cpu/Passes.h.inc"
} // namespace kiln::cpu

using namespace mlir;

namespace {

/// Register tile of a GEMM-like update, rows x vectors of accumulators:
/// 6 x 2 takes 12 of the 16 AVX2 (or 24 of the 32 NEON) registers, 8 x 3
/// takes 24 of the 32 AVX-512 registers; the rest hold B and a broadcast.
struct GemmTile {
  int64_t rows, cols;
};
GemmTile gemmTile(int64_t vl) {
  return vl == 16 ? GemmTile{8, 3} : GemmTile{6, 2};
}

/// Depthwise rows are wider: one scalar of A per step feeds all vectors.
constexpr int64_t kDepthwiseCols = 4;

/// Dot-product tiles (B is N x K): this many rows of B share a load of A.
constexpr int64_t kDotRows = 4;

/// Small helpers around an OpBuilder at a fixed location.
struct Emitter {
  OpBuilder &b;
  Location loc;
  /// f32 lanes per vector: 8 (one AVX2 register, two NEON registers) or
  /// 16 (one AVX-512 register).
  int64_t vl;

  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value add(Value x, int64_t c) {
    return c == 0 ? x : arith::AddIOp::create(b, loc, x, index(c)).getResult();
  }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value mul(Value x, int64_t c) {
    return c == 1 ? x : arith::MulIOp::create(b, loc, x, index(c)).getResult();
  }
  VectorType vecType(int64_t n) { return VectorType::get({n}, b.getF32Type()); }
  Value zeros(int64_t n) {
    VectorType t = vecType(n);
    return arith::ConstantOp::create(b, loc, t,
                                     DenseElementsAttr::get(t, 0.0f));
  }
  Value mask(int64_t n, int64_t set) {
    return vector::ConstantMaskOp::create(
        b, loc, VectorType::get({n}, b.getI1Type()), ArrayRef<int64_t>{set});
  }

  /// The `lanes` (<= vl) elements memref[idx[0], ..., idx.back() + i *
  /// stride] as a vector<vl> whose other lanes are zero (or `passthru`'s).
  /// A strided read loads the span it covers and keeps every stride-th
  /// lane; it reads nothing else (the load is masked to its extent) unless
  /// `overread` says the stride - 1 elements after a full span are in
  /// bounds, which saves the mask.
  Value loadVector(Value memref, ArrayRef<Value> idx, int64_t lanes,
                   int64_t stride, Value passthru = nullptr,
                   bool overread = false) {
    int64_t width = vl * stride, extent = (lanes - 1) * stride + 1;
    if (overread && lanes == vl)
      extent = width;
    Value v;
    if (extent == width)
      v = vector::LoadOp::create(b, loc, vecType(width), memref, idx);
    else
      v = vector::MaskedLoadOp::create(b, loc, vecType(width), memref, idx,
                                       mask(width, extent),
                                       passthru ? passthru : zeros(width));
    if (stride == 1)
      return v;
    SmallVector<int64_t> pick;
    for (int64_t i = 0; i < vl; ++i)
      pick.push_back(i * stride);
    return vector::ShuffleOp::create(b, loc, v, v, pick);
  }

  /// max(x, y) or x + y: the step of max and sum pooling and reductions.
  Value maxOrAdd(bool isMax, Value x, Value y) {
    if (isMax)
      return arith::MaximumFOp::create(b, loc, x, y);
    return arith::AddFOp::create(b, loc, x, y);
  }

  void storeVector(Value v, Value memref, ArrayRef<Value> idx, int64_t lanes) {
    if (lanes == vl)
      vector::StoreOp::create(b, loc, v, memref, idx);
    else
      vector::MaskedStoreOp::create(b, loc, memref, idx, mask(vl, lanes), v);
  }

  /// Both loops below run over output tiles: iterations write disjoint
  /// outputs, so they are marked parallel.
  /// for (iv = 0; iv < count * step; iv += step) body(iv), then the tail
  /// body(count * step) of size `total - count * step` if there is one.
  void forTiles(int64_t total, int64_t step,
                function_ref<void(Value, int64_t)> body) {
    int64_t full = total / step * step;
    if (full == step) {
      body(index(0), step);
    } else if (full > 0) {
      auto loop =
          scf::ForOp::create(b, loc, index(0), index(full), index(step));
      loop->setAttr(kiln::cpu::kParallelAttr, b.getUnitAttr());
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(loop.getBody()->getTerminator());
      body(loop.getInductionVar(), step);
    }
    if (total > full)
      body(index(full), total - full);
  }

  /// for (iv = 0; iv < n; ++iv) body(iv); no loop when n is 1.
  void forEach(int64_t n, function_ref<void(Value)> body) {
    if (n == 1)
      return body(index(0));
    auto loop = scf::ForOp::create(b, loc, index(0), index(n), index(1));
    loop->setAttr(kiln::cpu::kParallelAttr, b.getUnitAttr());
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(loop.getBody()->getTerminator());
    body(loop.getInductionVar());
  }
};

/// One register tile C[r, x] += sum_k A[r, k] * B[k, x] for r < rows,
/// x < width. The reduction runs over the nested loops `kSizes` (outer
/// first); the innermost `unrolled` of them are unrolled.
struct TileSpec {
  int64_t rows, width;
  ArrayRef<int64_t> kSizes;
  size_t unrolled;
  /// Indices of C at row r, column offset x (from the tile's origin).
  function_ref<SmallVector<Value>(int64_t r, int64_t x)> cIndex;
  Value c;
  /// A[r, k] (a scalar) and B[k, vl * j ...] (a vector of `lanes`).
  function_ref<Value(ValueRange k, int64_t r)> loadA;
  function_ref<Value(ValueRange k, int64_t j, int64_t lanes)> loadB;
  /// What a step does: acc += A * B, or (pooling, reductions) acc =
  /// max(acc, B) or acc + B, when loadA is not called.
  enum class Step { Fma, Max, Add } step = Step::Fma;
  /// If set, the accumulators of row r start as this scalar (the bias)
  /// instead of C's contents.
  function_ref<Value(int64_t r)> init = nullptr;
  /// If set, accumulator vector j of every row starts as this (a bias
  /// along the vector dim) instead of C's contents.
  function_ref<Value(int64_t j, int64_t lanes)> initVector = nullptr;
  /// If set, A is a vector per row and column: a step is acc += A(r, j) *
  /// B(j) (depthwise), or acc = max or sum of acc and A(r, j) with a Max
  /// or Add step (pooling; B is not loaded); loadA is not called.
  function_ref<Value(ValueRange k, int64_t r, int64_t j, int64_t lanes)>
      loadAVector = nullptr;
  /// If set, what row r, column offset x stores instead of `acc`.
  function_ref<Value(Value acc, int64_t r, int64_t x, int64_t lanes)> epilogue =
      nullptr;
};

/// The step of a max or sum pool on vectors.
TileSpec::Step poolStep(bool isMax) {
  return isMax ? TileSpec::Step::Max : TileSpec::Step::Add;
}

void emitTile(Emitter &e, const TileSpec &t) {
  OpBuilder &b = e.b;
  bool fma = t.step == TileSpec::Step::Fma;
  auto step = [&](Value acc, Value a, Value bv) -> Value {
    if (fma)
      return vector::FMAOp::create(b, e.loc, a, bv, acc);
    return e.maxOrAdd(t.step == TileSpec::Step::Max, acc, a ? a : bv);
  };
  int64_t numVec = (t.width + e.vl - 1) / e.vl;
  auto lanes = [&](int64_t j) { return std::min(e.vl, t.width - j * e.vl); };
  SmallVector<Value> acc;
  SmallVector<Value> biasVec;
  if (t.initVector)
    for (int64_t j = 0; j < numVec; ++j)
      biasVec.push_back(t.initVector(j, lanes(j)));
  for (int64_t r = 0; r < t.rows; ++r) {
    Value bias = t.init ? vector::BroadcastOp::create(b, e.loc, e.vecType(e.vl),
                                                      t.init(r))
                        : Value();
    for (int64_t j = 0; j < numVec; ++j)
      acc.push_back(bias           ? bias
                    : t.initVector ? biasVec[j]
                                   : e.loadVector(t.c, t.cIndex(r, j * e.vl),
                                                  lanes(j), 1));
  }

  SmallVector<Value> ks;
  std::function<void(size_t)> reduce = [&](size_t level) {
    if (level == t.kSizes.size()) {
      SmallVector<Value> bVec;
      if (!t.loadAVector || fma)
        for (int64_t j = 0; j < numVec; ++j)
          bVec.push_back(t.loadB(ks, j, lanes(j)));
      for (int64_t r = 0; r < t.rows; ++r) {
        Value a = t.loadAVector || !fma
                      ? Value()
                      : vector::BroadcastOp::create(b, e.loc, e.vecType(e.vl),
                                                    t.loadA(ks, r));
        for (int64_t j = 0; j < numVec; ++j) {
          Value &c = acc[r * numVec + j];
          Value rowA = t.loadAVector ? t.loadAVector(ks, r, j, lanes(j)) : a;
          c = step(c, rowA, bVec.empty() ? Value() : bVec[j]);
        }
      }
      return;
    }
    if (level >= t.kSizes.size() - t.unrolled) {
      for (int64_t i = 0; i < t.kSizes[level]; ++i) {
        ks.push_back(e.index(i));
        reduce(level + 1);
        ks.pop_back();
      }
      return;
    }
    auto loop = scf::ForOp::create(b, e.loc, e.index(0),
                                   e.index(t.kSizes[level]), e.index(1), acc);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    llvm::copy(loop.getRegionIterArgs(), acc.begin());
    ks.push_back(loop.getInductionVar());
    reduce(level + 1);
    ks.pop_back();
    scf::YieldOp::create(b, e.loc, acc);
    llvm::copy(loop.getResults(), acc.begin());
  };
  reduce(0);
  for (int64_t r = 0; r < t.rows; ++r)
    for (int64_t j = 0; j < numVec; ++j) {
      Value v = acc[r * numVec + j];
      if (t.epilogue)
        v = t.epilogue(v, r, j * e.vl, lanes(j));
      e.storeVector(v, t.c, t.cIndex(r, j * e.vl), lanes(j));
    }
}

bool isF32(Value v) {
  return cast<MemRefType>(v.getType()).getElementType().isF32();
}

/// A static f32 buffer whose innermost dim is contiguous (vector loads).
bool isVectorizable(Value v) {
  auto t = dyn_cast<MemRefType>(v.getType());
  if (!t || !t.hasStaticShape() || !t.getElementType().isF32())
    return false;
  SmallVector<int64_t> strides;
  int64_t offset;
  return succeeded(t.getStridesAndOffset(strides, offset)) &&
         strides.back() == 1;
}

/// The buffer `v` is carved from and the byte range it may touch there:
/// memref.view gives both; subviews and reshapes stay inside their source;
/// anything else (an argument, a constant) is a buffer of its own.
std::tuple<Value, int64_t, int64_t> footprint(Value v) {
  constexpr int64_t all = std::numeric_limits<int64_t>::max();
  while (Operation *def = v.getDefiningOp()) {
    if (auto view = dyn_cast<memref::ViewOp>(def)) {
      APInt shift;
      if (!matchPattern(view.getByteShift(), m_ConstantInt(&shift)))
        return {view.getSource(), 0, all};
      MemRefType t = view.getType();
      int64_t bytes = t.getNumElements() * t.getElementTypeBitWidth() / 8;
      return {view.getSource(), shift.getSExtValue(),
              shift.getSExtValue() + bytes};
    }
    if (!isa<memref::SubViewOp, memref::CollapseShapeOp, memref::ExpandShapeOp,
             memref::ReinterpretCastOp, memref::CastOp>(def))
      break;
    v = def->getOperand(0);
  }
  return {v, 0, all};
}

bool mayAlias(Value a, Value b) {
  auto [rootA, beginA, endA] = footprint(a);
  auto [rootB, beginB, endB] = footprint(b);
  return rootA == rootB && beginA < endB && beginB < endA;
}

/// The op before `op` that does work: views, reshapes of a filter and
/// constants may come in between an op and what initialises its output.
Operation *previousWork(Operation *op) {
  Operation *prev = op->getPrevNode();
  while (prev && isMemoryEffectFree(prev) && !prev->getNumRegions())
    prev = prev->getPrevNode();
  return prev;
}

/// The op before `op` if it initialises `out` to a per-channel bias
/// (out[n, c, ...] = bias[c], NNToLinalg's convInit; the channel is dim
/// `channelDim`), or null.

linalg::GenericOp biasInit(Operation *op, Value out, int64_t channelDim) {
  auto g = dyn_cast_or_null<linalg::GenericOp>(previousWork(op));
  if (!g || g.getNumDpsInputs() != 1 || g.getNumDpsInits() != 1 ||
      g.getDpsInits()[0] != out || g.getNumLoops() != 4 ||
      g.getNumParallelLoops() != 4)
    return nullptr;
  Value bias = g.getDpsInputs()[0];
  auto biasType = dyn_cast<MemRefType>(bias.getType());
  MLIRContext *ctx = op->getContext();
  SmallVector<AffineMap> maps = g.getIndexingMapsArray();
  Block &body = g.getRegion().front();
  if (!biasType || biasType.getRank() != 1 ||
      !biasType.getElementType().isF32() ||
      maps[0] != AffineMap::get(4, 0, getAffineDimExpr(channelDim, ctx)) ||
      !maps[1].isIdentity() || body.getOperations().size() != 1 ||
      body.getTerminator()->getOperand(0) != body.getArgument(0))
    return nullptr;
  return g;
}

/// A linalg.fill of `out` with a constant right before `op` (a pool's -inf
/// or 0, a conv without bias's 0): the kernel can start its accumulators
/// from the constant instead of a pass that stores it and loads it back.
linalg::FillOp constantFill(Operation *op, Value out) {
  auto fill = dyn_cast_or_null<linalg::FillOp>(previousWork(op));
  if (!fill || fill.getDpsInits()[0] != out ||
      !matchPattern(fill.getDpsInputs()[0], m_Constant()))
    return nullptr;
  return fill;
}

/// An elementwise linalg.generic right after `op` that reads and overwrites
/// `out` (a fused epilogue: activation, residual add, ...) and whose body
/// can run on vectors as it is; or null. Its other inputs are read either
/// at the same element (identity map) or per batch/channel (maps onto d0,
/// d`channelDim` and zeros), and must not overlap `out`. When the channel
/// is the vector dim (the last), a per-channel input must read it along
/// its own contiguous last dim.
linalg::GenericOp vectorEpilogue(Operation *op, Value out, int64_t channelDim) {
  auto g = dyn_cast_or_null<linalg::GenericOp>(op->getNextNode());
  auto outType = cast<MemRefType>(out.getType());
  if (!g || g.getNumDpsInits() != 1 || g.getDpsInits()[0] != out ||
      g.getNumLoops() != outType.getRank() ||
      g.getNumParallelLoops() != g.getNumLoops() ||
      !g.getIndexingMapsArray().back().isIdentity())
    return nullptr;
  for (OpOperand *input : g.getDpsInputOperands()) {
    Value v = input->get();
    auto type = dyn_cast<MemRefType>(v.getType());
    if (!type || !type.hasStaticShape())
      return nullptr;
    AffineMap map = g.getMatchingIndexingMap(input);
    if (map.isIdentity()) {
      if (v != out && (mayAlias(v, out) || !isVectorizable(v)))
        return nullptr;
      continue;
    }
    if (mayAlias(v, out))
      return nullptr;
    bool vectorChannel = channelDim == outType.getRank() - 1;
    for (auto [i, expr] : llvm::enumerate(map.getResults())) {
      auto dim = dyn_cast<AffineDimExpr>(expr);
      auto cst = dyn_cast<AffineConstantExpr>(expr);
      bool isChannel = dim && dim.getPosition() == channelDim;
      if (!(dim && (dim.getPosition() == 0 || isChannel)) &&
          !(cst && cst.getValue() == 0))
        return nullptr;
      if (isChannel && vectorChannel &&
          (i + 1 != map.getNumResults() || !isVectorizable(v)))
        return nullptr;
    }
  }
  for (Operation &inner : g.getRegion().front().without_terminator()) {
    if (inner.getNumRegions() != 0 || !isMemoryEffectFree(&inner) ||
        !isa<arith::ArithDialect, math::MathDialect>(inner.getDialect()))
      return nullptr;
    auto scalar = [](Type t) { return t.isIntOrFloat(); };
    if (!llvm::all_of(inner.getOperandTypes(), scalar) ||
        !llvm::all_of(inner.getResultTypes(), scalar))
      return nullptr;
  }
  return g;
}

/// Applies epilogue `g` to the accumulator vector `acc` of the output
/// element at `idx` (the first `lanes` lanes matter): identity inputs are
/// loaded as vectors at `idx` (from `identityInputs`, which may be reshaped
/// like the output), per-channel ones as broadcast scalars at batch `n`,
/// channel `channel` (dim `channelDim`), or, when the channel is the vector
/// dim, as vectors from `channel` on; the body's scalar ops are cloned on
/// vectors.
Value applyEpilogue(Emitter &e, linalg::GenericOp g, Value out,
                    ArrayRef<Value> identityInputs, Value acc,
                    ArrayRef<Value> idx, int64_t lanes, Value n, Value channel,
                    int64_t channelDim) {
  bool vectorChannel =
      channelDim == cast<MemRefType>(out.getType()).getRank() - 1;
  OpBuilder &b = e.b;
  Block &body = g.getRegion().front();
  IRMapping map;
  map.map(body.getArguments().back(), acc);
  for (OpOperand *input : g.getDpsInputOperands()) {
    BlockArgument arg = g.getMatchingBlockArgument(input);
    AffineMap m = g.getMatchingIndexingMap(input);
    if (m.isIdentity()) {
      Value v = identityInputs[input->getOperandNumber()];
      map.map(arg, input->get() == out ? acc : e.loadVector(v, idx, lanes, 1));
      continue;
    }
    SmallVector<Value> at;
    bool perChannel = false;
    for (AffineExpr expr : m.getResults()) {
      auto dim = dyn_cast<AffineDimExpr>(expr);
      perChannel |= dim && dim.getPosition() == channelDim;
      at.push_back(!dim ? e.index(0) : dim.getPosition() == 0 ? n : channel);
    }
    if (perChannel && vectorChannel) {
      map.map(arg, e.loadVector(input->get(), at, lanes, 1));
      continue;
    }
    Value s = memref::LoadOp::create(b, e.loc, input->get(), at);
    map.map(arg, vector::BroadcastOp::create(
                     b, e.loc, VectorType::get({e.vl}, s.getType()), s));
  }
  for (Operation &inner : body.without_terminator()) {
    if (inner.getNumOperands() == 0) { // a constant
      Value c = b.clone(inner)->getResult(0);
      map.map(inner.getResult(0),
              vector::BroadcastOp::create(
                  b, e.loc, VectorType::get({e.vl}, c.getType()), c));
      continue;
    }
    for (Value operand : inner.getOperands())
      if (!map.contains(operand))
        map.map(
            operand,
            vector::BroadcastOp::create(
                b, e.loc, VectorType::get({e.vl}, operand.getType()), operand));
    Operation *clone = b.clone(inner, map);
    for (Value r : clone->getResults())
      r.setType(VectorType::get({e.vl}, r.getType()));
  }
  return map.lookup(body.getTerminator()->getOperand(0));
}

/// Whether a strided row read may load the stride - 1 elements after its
/// last one: they are still inside the input row (of `inCols`) for every
/// output column of `outCols` and every tap of a `window`-wide kernel.
bool rowOverread(int64_t outCols, int64_t inCols, int64_t window,
                 int64_t stride, int64_t dilation) {
  return (outCols - 1) * stride + (window - 1) * dilation + stride - 1 < inCols;
}

/// How many reduction loops to unroll for a KH x KW window: both for small
/// windows, only the inner one for large ones.
size_t windowUnroll(int64_t kh, int64_t kw) { return kh * kw <= 9 ? 2 : 1; }

/// Ops a kernel computes besides its own (a conv's bias initialisation and
/// elementwise epilogue). The pass erases them once every kernel is built:
/// they are on its list of ops still to visit.
using Absorbed = llvm::SmallPtrSet<Operation *, 16>;

/// What a convolution fuses: the bias initialisation before it and the
/// elementwise epilogue after it (either may be null), with the epilogue's
/// identity inputs reshaped like the output where the kernel reshapes it.
struct Fusion {
  linalg::GenericOp init, epilogue;
  linalg::FillOp fill; // with no bias init: a constant start value
  SmallVector<Value> identityInputs;
  Value out; // the output as the epilogue names it
  int64_t channelDim; // 1 (NCHW) or 3 (NHWC: the vector dim)
  Absorbed &absorbed;

  Fusion(Operation *op, Value out, Absorbed &absorbed, int64_t channelDim = 1)
      : out(out), channelDim(channelDim), absorbed(absorbed) {
    init = biasInit(op, out, channelDim);
    // Only the channels-last tiles (emitChannelsLast) start from it.
    if (!init && channelDim == 3)
      fill = constantFill(op, out);
    epilogue = vectorEpilogue(op, out, channelDim);
  }

  /// Collapses the identity inputs with `flat`; drops the epilogue when one
  /// cannot be collapsed.
  void prepare(OpBuilder &b, Location loc,
               ArrayRef<ReassociationIndices> flat) {
    if (!epilogue)
      return;
    for (OpOperand &input : epilogue->getOpOperands()) {
      Value v = input.get();
      if (flat.empty() ||
          input.getOperandNumber() >= epilogue.getNumDpsInputs() ||
          !epilogue.getMatchingIndexingMap(&input).isIdentity() || v == out) {
        identityInputs.push_back(v);
        continue;
      }
      if (!memref::CollapseShapeOp::isGuaranteedCollapsible(
              cast<MemRefType>(v.getType()), flat)) {
        epilogue = nullptr;
        identityInputs.clear();
        return;
      }
      identityInputs.push_back(
          memref::CollapseShapeOp::create(b, loc, v, flat));
    }
  }

  Value initial(Emitter &e, Value channel) {
    return memref::LoadOp::create(e.b, e.loc, init.getDpsInputs()[0], channel);
  }

  /// The bias of `lanes` channels from `channel` on, as a vector.
  Value initialVector(Emitter &e, Value channel, int64_t lanes) {
    return e.loadVector(init.getDpsInputs()[0], channel, lanes, 1);
  }

  Value apply(Emitter &e, Value acc, ArrayRef<Value> idx, int64_t lanes,
              Value n, Value channel) {
    return applyEpilogue(e, epilogue, out, identityInputs, acc, idx, lanes, n,
                         channel, channelDim);
  }

  /// Emits a channels-last tile (vectors of channels from `channel`) with
  /// the bias as its start values and the epilogue before its stores.
  void emitChannelsLast(Emitter &e, TileSpec &spec, Value n, Value channel) {
    auto initVector = [&](int64_t j, int64_t lanes) {
      return initialVector(e, e.add(channel, j * e.vl), lanes);
    };
    auto applyAt = [&](Value acc, int64_t r, int64_t x, int64_t lanes) {
      return apply(e, acc, spec.cIndex(r, x), lanes, n, e.add(channel, x));
    };
    Value start = fill ? fill.getDpsInputs()[0] : Value();
    auto constantStart = [&](int64_t) { return start; };
    if (init)
      spec.initVector = initVector;
    else if (fill)
      spec.init = constantStart;
    if (epilogue)
      spec.epilogue = applyAt;
    emitTile(e, spec);
  }

  /// Hands the initialisation and the epilogue, now computed in the
  /// kernel, to the pass to erase.
  void erase() {
    if (init)
      absorbed.insert(init);
    if (fill)
      absorbed.insert(fill);
    if (epilogue)
      absorbed.insert(epilogue);
  }
};

/// What the conv and pooling kernels read of their op: input, filter or
/// window, output, strides and dilations.
struct Window {
  Value in, w, out;
  SmallVector<int64_t> strides, dilations;
};

/// `op`'s Window, or nothing unless its input and output are vectorisable
/// and, with `filter`, its filter is a static f32 buffer.
template <typename WindowOp>
std::optional<Window> windowOperands(WindowOp op, bool filter) {
  Window window{
      op.getDpsInputs()[0], op.getDpsInputs()[1], op.getDpsInits()[0],
      llvm::to_vector(op.getStrides().template getValues<int64_t>()),
      llvm::to_vector(op.getDilations().template getValues<int64_t>())};
  if (!isVectorizable(window.in) || !isVectorizable(window.out) ||
      (filter && (!isF32(window.w) ||
                  !cast<MemRefType>(window.w.getType()).hasStaticShape())))
    return std::nullopt;
  return window;
}

/// The values of a constant f32 filter read through memref.get_global, in
/// row-major order, with the global; nothing when they are not at hand.
std::optional<std::pair<SmallVector<float>, memref::GlobalOp>>
constantFilter(Value w) {
  auto get = w.getDefiningOp<memref::GetGlobalOp>();
  if (!get)
    return std::nullopt;
  auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(
      get, get.getNameAttr());
  if (!global || !global.getConstant() || !global.getInitialValue())
    return std::nullopt;
  Attribute init = *global.getInitialValue();
  SmallVector<float> values;
  if (auto dense = dyn_cast<DenseElementsAttr>(init)) {
    if (!dense.getElementType().isF32())
      return std::nullopt;
    llvm::append_range(values, dense.getValues<float>());
  } else if (auto blob = dyn_cast<DenseF32ResourceElementsAttr>(init)) {
    std::optional<ArrayRef<float>> data = blob.tryGetAsArrayRef();
    if (!data)
      return std::nullopt;
    llvm::append_range(values, *data);
  } else {
    return std::nullopt;
  }
  if (static_cast<int64_t>(values.size()) !=
      cast<MemRefType>(w.getType()).getNumElements())
    return std::nullopt;
  return std::make_pair(std::move(values), global);
}

/// A constant global `<base>_<suffix>` holding `values` (f32 or i32) as a
/// 1-D buffer, made once; returns its memref.get_global at `b`.
template <typename T>
Value constantBuffer(OpBuilder &b, Location loc, Operation *anchor,
                     StringRef name, ArrayRef<T> values, Type elementType) {
  auto type =
      MemRefType::get({static_cast<int64_t>(values.size())}, elementType);
  auto module = anchor->getParentOfType<ModuleOp>();
  if (!SymbolTable::lookupSymbolIn(module, name)) {
    OpBuilder mb = OpBuilder::atBlockBegin(module.getBody());
    ArrayRef<char> raw(reinterpret_cast<const char *>(values.data()),
                       values.size() * sizeof(T));
    memref::GlobalOp::create(
        mb, loc, name, mb.getStringAttr("private"), type,
        kiln::nn::constantValue(
            RankedTensorType::get(type.getShape(), elementType), raw),
        /*constant=*/true, mb.getI64IntegerAttr(64));
  }
  return memref::GetGlobalOp::create(b, loc, type, name);
}

/// A constant KHxKWxCxF filter packed at compile time in the order a
/// channels-last conv tile reads it: for each tile of `block` output
/// channels (the last one narrower), [C][KH][KW][width] with the width
/// rounded up to whole vectors of `vl` (zeros after F), so that a tile
/// reads one contiguous stream, without masks. Tile t (channels from f =
/// t * block) starts at element f * C * KH * KW. Returns the 1-D packed
/// buffer, or null when the filter is not a constant global with its data
/// at hand.
Value packedFilter(OpBuilder &b, Location loc, Value w, int64_t block,
                   int64_t vl) {
  auto filter = constantFilter(w);
  if (!filter)
    return nullptr;
  auto &[values, global] = *filter;
  ArrayRef<int64_t> shape = cast<MemRefType>(w.getType()).getShape();
  int64_t kh = shape[0], kw = shape[1], c = shape[2], f = shape[3];
  SmallVector<float> packed;
  for (int64_t first = 0; first < f; first += block) {
    int64_t width = std::min(block, f - first);
    int64_t padded = (width + vl - 1) / vl * vl;
    for (int64_t ci = 0; ci < c; ++ci)
      for (int64_t y = 0; y < kh; ++y)
        for (int64_t x = 0; x < kw; ++x)
          for (int64_t i = 0; i < padded; ++i)
            packed.push_back(
                i < width ? values[((y * kw + x) * c + ci) * f + first + i]
                          : 0.0f);
  }
  std::string name =
      (global.getSymName() + "_packed" + Twine(block) + "_" + Twine(vl)).str();
  return constantBuffer<float>(b, loc, w.getDefiningOp(), name, packed,
                               b.getF32Type());
}

/// Erases the constant global behind a filter `w` that nothing reads any
/// more (it was packed), with its get_global.
void eraseIfUnused(Value w) {
  auto get = w.getDefiningOp<memref::GetGlobalOp>();
  if (!get || !get->use_empty())
    return;
  auto module = get->getParentOfType<ModuleOp>();
  auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(
      get, get.getNameAttr());
  get.erase();
  if (global && SymbolTable::symbolKnownUseEmpty(global, module))
    global.erase();
}

/// The most distinct tap sets a pattern kernel specialises code for.
constexpr int64_t kMaxPatternMasks = 16;

/// A conv the pattern kernel runs: its operands and its filter's values,
/// global, tap mask per kernel and non-zero kernels per filter.
struct PatternConv {
  Window operands;
  SmallVector<float> values;
  memref::GlobalOp global;
  SmallVector<unsigned> kernelMask;
  SmallVector<int64_t> entriesOf;
  std::map<unsigned, int64_t> frequency; // kernels per mask
};

/// The conv as the pattern kernel sees it, or nothing when the dense
/// kernel runs it: a 3x3 stride-1 or -2 conv_2d_nchw_fchw whose constant
/// filter is sparse enough for kiln::runsPatternKernel, in
/// at most kMaxPatternMasks tap masks.
std::optional<PatternConv> analysePatternConv(linalg::Conv2DNchwFchwOp op) {
  std::optional<Window> operands = windowOperands(op, /*filter=*/true);
  if (!operands)
    return std::nullopt;
  ArrayRef<int64_t> wShape = cast<MemRefType>(operands->w.getType()).getShape();
  if (wShape[2] != 3 || wShape[3] != 3 ||
      operands->strides[0] != operands->strides[1] ||
      operands->strides[0] > 2 ||
      llvm::any_of(operands->dilations, [](int64_t v) { return v != 1; }))
    return std::nullopt;
  auto filter = constantFilter(operands->w);
  if (!filter)
    return std::nullopt;
  PatternConv conv{*operands, std::move(filter->first), filter->second, {}, {},
                   {}};
  int64_t filters = wShape[0], channels = wShape[1];
  conv.kernelMask.assign(filters * channels, 0);
  conv.entriesOf.assign(filters, 0);
  int64_t nonzero = 0;
  for (int64_t k = 0; k < filters * channels; ++k) {
    unsigned &mask = conv.kernelMask[k];
    for (int t = 0; t < 9; ++t)
      if (conv.values[k * 9 + t] != 0.0f)
        mask |= 1u << t;
    nonzero += llvm::popcount(mask);
    if (mask) {
      ++conv.frequency[mask];
      ++conv.entriesOf[k / channels];
    }
  }
  int64_t outWidth = cast<MemRefType>(operands->out.getType()).getShape()[3];
  if (!kiln::runsPatternKernel(nonzero, filters * channels * 9,
                               operands->strides[1], outWidth) ||
      int64_t(conv.frequency.size()) > kMaxPatternMasks)
    return std::nullopt;
  return conv;
}

/// The pattern kernel's register tile: `rows` output rows by `vectors`
/// vectors along a row, or (pairs) two output rows of at most vl / 2
/// columns per vector.
struct PatternTile {
  int64_t rows, vectors;
  bool pairs;
  bool operator==(const PatternTile &o) const {
    return rows == o.rows && vectors == o.vectors && pairs == o.pairs;
  }
};

/// The tiles the pattern kernel can run a conv of these shapes with, the
/// default first. Accumulators: up to 4 vectors along a row by as many
/// rows as fill 8 (AVX2, NEON pairs) or 16 (AVX-512) registers. Rows of at
/// most half a vector (7x7 with AVX-512) default to pairs: a vector per
/// two rows uses 14 of 16 lanes instead of 7.
SmallVector<PatternTile> patternTiles(ArrayRef<int64_t> inShape,
                                      ArrayRef<int64_t> outShape,
                                      int64_t stride, int64_t vl) {
  int64_t rows = outShape[2], cols = outShape[3];
  int64_t maxAcc = vl == 16 ? 16 : 8;
  SmallVector<PatternTile> tiles;
  auto add = [&](PatternTile t) {
    if (!llvm::is_contained(tiles, t))
      tiles.push_back(t);
  };
  bool pairs =
      vl == 16 && stride == 1 && inShape[3] % vl == 0 && cols <= vl / 2;
  int64_t evenRows = rows + rows % 2;
  if (pairs)
    add({std::min(evenRows, 2 * maxAcc), 1, true});
  int64_t colVectors = std::min<int64_t>((cols + vl - 1) / vl, 4);
  add({std::max<int64_t>(1, std::min(rows, maxAcc / colVectors)), colVectors,
       false});
  if (pairs)
    add({std::max<int64_t>(2, evenRows / 4 * 2), 1, true}); // half the rows
  for (int64_t v = colVectors; v >= 1; --v)
    for (int64_t r : {maxAcc / v, maxAcc / (2 * v), maxAcc / (4 * v)})
      if (r >= 1)
        add({std::min(rows, r), v, false});
  return tiles;
}

SmallVector<PatternTile> patternTiles(const Window &operands, int64_t vl) {
  return patternTiles(cast<MemRefType>(operands.in.getType()).getShape(),
                      cast<MemRefType>(operands.out.getType()).getShape(),
                      operands.strides[0], vl);
}

} // namespace

SmallVector<std::array<int64_t, 3>>
kiln::cpu::patternKernelTiles(linalg::Conv2DNchwFchwOp conv,
                              int64_t vectorBits) {
  SmallVector<std::array<int64_t, 3>> tiles;
  if (std::optional<PatternConv> pattern = analysePatternConv(conv))
    for (const PatternTile &t :
         patternTiles(pattern->operands, vectorBits / 32))
      tiles.push_back({t.rows, t.vectors, t.pairs});
  return tiles;
}

namespace {

/// The tile an op's kiln.pattern_tile attribute names, if it is one of
/// `tiles`.
std::optional<PatternTile> attributeTile(Operation *op,
                                         ArrayRef<PatternTile> tiles) {
  auto attr = op->getAttrOfType<DenseI64ArrayAttr>(kiln::cpu::kPatternTileAttr);
  if (!attr || attr.size() != 3)
    return std::nullopt;
  PatternTile tile{attr[0], attr[1], attr[2] != 0};
  if (!llvm::is_contained(tiles, tile))
    return std::nullopt;
  return tile;
}

/// A pattern-pruned conv (analysePatternConv) as PatDNN executes it. At
/// compile time the filter is stored compressed (FKW): per filter, per
/// distinct tap set ("mask") of its kernels, a run of entries (input
/// channel, its non-zero weights in tap order); the filters are reordered
/// by their number of entries (FKR: neighbouring tasks of the parallel loop
/// do similar work), and each writes its own output channel, so the order
/// costs nothing to undo. The code has one loop per mask with the mask's
/// taps unrolled (pattern-specialised), over a register tile
/// (PatternTile; kiln.pattern_tile when kiln-autotune-patterns chose one):
/// per entry, 4 broadcast weights meet the tile's input vectors, each
/// loaded once per entry and shared by the taps that read it (LRE).
/// Returns failure when the dense kernel runs the conv.
LogicalResult lowerPatternConv(linalg::Conv2DNchwFchwOp op, int64_t vl,
                               Absorbed &absorbed) {
  std::optional<PatternConv> conv = analysePatternConv(op);
  if (!conv)
    return failure();
  Value in = conv->operands.in, out = conv->operands.out, w = conv->operands.w;
  ArrayRef<int64_t> wShape = cast<MemRefType>(w.getType()).getShape();
  ArrayRef<int64_t> outShape = cast<MemRefType>(out.getType()).getShape();
  ArrayRef<float> values = conv->values;
  memref::GlobalOp global = conv->global;
  int64_t filters = wShape[0], channels = wShape[1];
  ArrayRef<unsigned> kernelMask = conv->kernelMask;
  ArrayRef<int64_t> entriesOf = conv->entriesOf;
  std::map<unsigned, int64_t> &frequency = conv->frequency;
  SmallVector<unsigned> masks;
  for (auto [mask, count] : frequency)
    masks.push_back(mask);
  int64_t numMasks = masks.size();

  // FKR: filters with more entries first; FKW: the runs per filter and mask.
  SmallVector<int32_t> order(filters);
  for (int64_t f = 0; f < filters; ++f)
    order[f] = f;
  llvm::sort(order, [&](int32_t a, int32_t b) {
    return entriesOf[a] != entriesOf[b] ? entriesOf[a] > entriesOf[b] : a < b;
  });
  SmallVector<int32_t> runStart, weightStart, entryChannel;
  SmallVector<float> weights;
  for (int32_t f : order) {
    for (unsigned mask : masks) {
      runStart.push_back(entryChannel.size());
      weightStart.push_back(weights.size());
      for (int64_t c = 0; c < channels; ++c) {
        if (kernelMask[f * channels + c] != mask)
          continue;
        entryChannel.push_back(c);
        for (int t = 0; t < 9; ++t)
          if (mask & (1u << t))
            weights.push_back(values[(f * channels + c) * 9 + t]);
      }
    }
  }
  runStart.push_back(entryChannel.size());
  if (entryChannel.empty())
    entryChannel.push_back(0); // keeps the buffer non-empty; never read
  if (weights.empty())
    weights.push_back(0.0f);

  Fusion fusion(op, out, absorbed);
  OpBuilder b(op);
  Emitter e{b, op.getLoc(), vl};
  fusion.prepare(b, e.loc, {});
  Type i32 = b.getI32Type();
  std::string base = (global.getSymName() + "_fkw").str();
  Value orderBuf =
      constantBuffer<int32_t>(b, e.loc, op, base + "_order", order, i32);
  Value runBuf =
      constantBuffer<int32_t>(b, e.loc, op, base + "_runs", runStart, i32);
  Value weightStartBuf = constantBuffer<int32_t>(
      b, e.loc, op, base + "_weight_starts", weightStart, i32);
  Value channelBuf = constantBuffer<int32_t>(b, e.loc, op, base + "_channels",
                                             entryChannel, i32);
  Value weightBuf = constantBuffer<float>(b, e.loc, op, base + "_weights",
                                          weights, b.getF32Type());
  auto loadIndex = [&](Value buffer, Value at) -> Value {
    Value v = memref::LoadOp::create(b, e.loc, buffer, at);
    return arith::IndexCastOp::create(b, e.loc, b.getIndexType(), v);
  };

  int64_t rows = outShape[2], cols = outShape[3];
  ArrayRef<int64_t> inShape = cast<MemRefType>(in.getType()).getShape();
  int64_t stride = conv->operands.strides[0];
  SmallVector<PatternTile> tiles = patternTiles(conv->operands, vl);
  PatternTile shape = attributeTile(op, tiles).value_or(tiles.front());
  // NNToLinalg widens the rows of a pruned conv's padded input to whole
  // 16-float vectors, and the arena places buffers 64-byte aligned.
  bool aligned = stride == 1 && inShape[3] % vl == 0;
  int64_t half = vl / 2;
  auto tile = [&](Value n, Value slot, Value f, Value oh, int64_t height,
                  Value ow, int64_t width) {
    // Rows mode: accumulator r * numVec + j is output row r, vector j
    // along it. Pairs mode: accumulator p is output rows 2p (lanes below
    // `half`) and 2p + 1 (lanes from `half`), columns from 0.
    int64_t numVec = shape.pairs ? 1 : (width + vl - 1) / vl;
    int64_t numAcc = shape.pairs ? (height + 1) / 2 : height * numVec;
    auto lanes = [&](int64_t j) { return std::min(vl, width - j * vl); };
    auto outIndex = [&](int64_t r, int64_t j) -> SmallVector<Value> {
      return {n, f, e.add(oh, r), e.add(ow, j * vl)};
    };
    Emitter halves{b, e.loc, half};
    auto join = [&](Value low, Value high) -> Value {
      SmallVector<int64_t> all;
      for (int64_t i = 0; i < vl; ++i)
        all.push_back(i);
      return vector::ShuffleOp::create(b, e.loc, low, high, all);
    };
    SmallVector<Value> acc;
    Value bias = fusion.init
                     ? vector::BroadcastOp::create(b, e.loc, e.vecType(vl),
                                                   fusion.initial(e, f))
                     : Value();
    for (int64_t a = 0; a < numAcc; ++a) {
      if (bias) {
        acc.push_back(bias);
      } else if (!shape.pairs) {
        int64_t j = a % numVec;
        acc.push_back(e.loadVector(out, outIndex(a / numVec, j), lanes(j), 1));
      } else {
        auto row = [&](int64_t r) {
          return r < height ? halves.loadVector(out, outIndex(r, 0), width, 1)
                            : halves.zeros(half);
        };
        acc.push_back(join(row(2 * a), row(2 * a + 1)));
      }
    }
    // With few accumulators, each entry's 4 taps would be a chain of 4
    // dependent FMAs per accumulator: odd taps go to a second set.
    bool split = 2 * numAcc <= (vl == 16 ? 16 : 8);
    if (split)
      for (int64_t a = 0; a < numAcc; ++a)
        acc.push_back(e.zeros(vl));
    for (auto [m, mask] : llvm::enumerate(masks)) {
      Value run = e.add(e.mul(slot, numMasks), int64_t(m));
      Value first = loadIndex(runBuf, run);
      Value last = loadIndex(runBuf, e.add(run, 1));
      Value weightBase = loadIndex(weightStartBuf, run);
      SmallVector<int> taps;
      for (int t = 0; t < 9; ++t)
        if (mask & (1u << t))
          taps.push_back(t);
      auto loop = scf::ForOp::create(b, e.loc, first, last, e.index(1), acc);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      Value entry = loop.getInductionVar();
      Value c = loadIndex(channelBuf, entry);
      Value at =
          e.add(weightBase, e.mul(arith::SubIOp::create(b, e.loc, entry, first),
                                  int64_t(taps.size())));
      SmallVector<Value> wv;
      for (size_t k = 0; k < taps.size(); ++k)
        wv.push_back(vector::BroadcastOp::create(
            b, e.loc, e.vecType(vl),
            memref::LoadOp::create(b, e.loc, weightBuf,
                                   ValueRange{e.add(at, int64_t(k))})));
      SmallVector<Value> next(loop.getRegionIterArgs());
      // With rows of whole vectors, input row dy is read as aligned
      // vectors at ow + j * vl (and one more), once per entry, and a tap's
      // column shift tx is a lane shift of two of them (valignd): no load
      // straddles a cache line.
      std::map<std::pair<int64_t, int64_t>, Value> rowVectors;
      auto alignedAt = [&](int64_t dy, int64_t j) -> Value {
        auto [it, added] = rowVectors.try_emplace({dy, j});
        if (!added)
          return it->second;
        Value x = e.add(ow, j * vl);
        if (j < numVec)
          return it->second = vector::LoadOp::create(
                     b, e.loc, e.vecType(vl), in, {n, c, e.add(oh, dy), x});
        // Past the tile: the row's next vector, or zeros where the row
        // ends (its lanes only feed output lanes past the row).
        Value inRow = arith::CmpIOp::create(b, e.loc, arith::CmpIPredicate::ult,
                                            x, e.index(inShape[3]));
        auto select = scf::IfOp::create(b, e.loc, TypeRange{e.vecType(vl)},
                                        inRow, true, true);
        OpBuilder::InsertionGuard g(b);
        b.setInsertionPointToStart(select.thenBlock());
        scf::YieldOp::create(
            b, e.loc,
            ValueRange{vector::LoadOp::create(b, e.loc, e.vecType(vl), in,
                                              {n, c, e.add(oh, dy), x})});
        b.setInsertionPointToStart(select.elseBlock());
        scf::YieldOp::create(b, e.loc, ValueRange{e.zeros(vl)});
        return it->second = select.getResult(0);
      };
      // Output row oh + r, vector j reads input row (oh + r) * stride + ty
      // from column (ow + j * vl) * stride + tx, every stride-th lane.
      auto tapVector = [&](int64_t r, int64_t ty, int64_t tx,
                           int64_t j) -> Value {
        if (!aligned)
          return e.loadVector(in,
                              {n, c, e.add(e.mul(oh, stride), r * stride + ty),
                               e.add(e.mul(ow, stride), j * vl * stride + tx)},
                              lanes(j), stride);
        int64_t dy = r + ty;
        Value low = alignedAt(dy, j);
        if (tx == 0)
          return low;
        SmallVector<int64_t> pick;
        for (int64_t i = 0; i < vl; ++i)
          pick.push_back(tx + i);
        return vector::ShuffleOp::create(b, e.loc, low, alignedAt(dy, j + 1),
                                         pick);
      };
      // Pairs mode: input rows dy and dy + 1 from column tx, half a vector
      // each (within one 64-byte row: no line split); the lanes of a row
      // past the tile's last output row are not stored.
      std::map<std::pair<int64_t, int64_t>, Value> pairVectors;
      auto pairVector = [&](int64_t dy, int64_t tx) -> Value {
        auto [it, added] = pairVectors.try_emplace({dy, tx});
        if (!added)
          return it->second;
        auto rowAt = [&](int64_t y) -> Value {
          return vector::LoadOp::create(b, e.loc, halves.vecType(half), in,
                                        {n, c, e.add(oh, y), e.add(ow, tx)});
        };
        // The tile reads input rows up to height + 1.
        return it->second = join(rowAt(dy), dy <= height ? rowAt(dy + 1)
                                                         : halves.zeros(half));
      };
      // Input row by input row, so that a row's vectors die before the
      // next row's are loaded (fewer live registers than tap by tap).
      int64_t inRows = shape.pairs ? height + 2 : (height - 1) * stride + 3;
      for (int64_t dy = 0; dy < inRows; ++dy)
        for (size_t k = 0; k < taps.size(); ++k) {
          int64_t ty = taps[k] / 3, tx = taps[k] % 3;
          int64_t set = split && k % 2 ? numAcc : 0;
          if (shape.pairs) {
            int64_t p = (dy - ty) / 2;
            if (dy < ty || (dy - ty) % 2 || p >= numAcc)
              continue;
            Value v = pairVector(dy, tx);
            next[set + p] =
                vector::FMAOp::create(b, e.loc, v, wv[k], next[set + p]);
            continue;
          }
          int64_t r = (dy - ty) / stride;
          if (dy < ty || (dy - ty) % stride || r >= height)
            continue;
          for (int64_t j = 0; j < numVec; ++j) {
            Value v = tapVector(r, ty, tx, j);
            Value &a = next[set + r * numVec + j];
            a = vector::FMAOp::create(b, e.loc, v, wv[k], a);
          }
        }
      scf::YieldOp::create(b, e.loc, next);
      acc.assign(loop.getResults().begin(), loop.getResults().end());
    }
    for (int64_t a = 0; a < numAcc; ++a) {
      Value v = acc[a];
      if (split)
        v = arith::AddFOp::create(b, e.loc, v, acc[numAcc + a]);
      if (!shape.pairs) {
        int64_t j = a % numVec;
        SmallVector<Value> idx = outIndex(a / numVec, j);
        if (fusion.epilogue)
          v = fusion.apply(e, v, idx, lanes(j), n, f);
        e.storeVector(v, out, idx, lanes(j));
        continue;
      }
      for (int64_t h = 0; h < 2 && 2 * a + h < height; ++h) {
        Value part = vector::ExtractStridedSliceOp::create(
            b, e.loc, v, ArrayRef<int64_t>{h * half}, ArrayRef<int64_t>{half},
            ArrayRef<int64_t>{1});
        SmallVector<Value> idx = outIndex(2 * a + h, 0);
        if (fusion.epilogue)
          part = fusion.apply(halves, part, idx, width, n, f);
        halves.storeVector(part, out, idx, width);
      }
    }
  };
  int64_t tileCols = shape.pairs ? cols : shape.vectors * vl;
  e.forEach(outShape[0], [&](Value n) {
    e.forEach(filters, [&](Value slot) {
      Value f = loadIndex(orderBuf, slot);
      e.forTiles(rows, shape.rows, [&](Value oh, int64_t height) {
        e.forTiles(cols, tileCols, [&](Value ow, int64_t width) {
          tile(n, slot, f, oh, height, ow, width);
        });
      });
    });
  });
  op.erase();
  fusion.erase();
  eraseIfUnused(w);
  return success();
}

/// conv_2d_nchw_fchw: out[n, f, oh, ow] += w[f, c, kh, kw] *
/// in[n, c, oh * sh + kh * dh, ow * sw + kw * dw].
LogicalResult lowerConv(linalg::Conv2DNchwFchwOp op, int64_t vl,
                        Absorbed &absorbed) {
  if (succeeded(lowerPatternConv(op, vl, absorbed)))
    return success();
  std::optional<Window> operands = windowOperands(op, /*filter=*/true);
  if (!operands)
    return failure();
  Value in = operands->in, w = operands->w, out = operands->out;
  SmallVector<int64_t> strides = operands->strides,
                       dilations = operands->dilations;
  ArrayRef<int64_t> inShape = cast<MemRefType>(in.getType()).getShape();
  ArrayRef<int64_t> wShape = cast<MemRefType>(w.getType()).getShape();
  ArrayRef<int64_t> outShape = cast<MemRefType>(out.getType()).getShape();
  int64_t batch = outShape[0], filters = outShape[1], rows = outShape[2],
          cols = outShape[3];
  int64_t kh = wShape[2], kw = wShape[3];
  bool overread = rowOverread(cols, inShape[3], kw, strides[1], dilations[1]);

  Fusion fusion(op, out, absorbed);
  OpBuilder b(op);
  Emitter e{b, op.getLoc(), vl};
  // A 1x1 stride-1 convolution is a GEMM over the flattened image: rows of
  // H*W columns keep the vectors full where rows are short (7, 14, 28).
  SmallVector<ReassociationIndices> flat = {{0}, {1}, {2, 3}};
  bool flatten = kh == 1 && kw == 1 && strides[0] == 1 && strides[1] == 1 &&
                 inShape[2] == rows && inShape[3] == cols &&
                 memref::CollapseShapeOp::isGuaranteedCollapsible(
                     cast<MemRefType>(in.getType()), flat) &&
                 memref::CollapseShapeOp::isGuaranteedCollapsible(
                     cast<MemRefType>(out.getType()), flat);
  fusion.prepare(b, e.loc,
                 flatten ? ArrayRef(flat) : ArrayRef<ReassociationIndices>());
  if (flatten) {
    in = memref::CollapseShapeOp::create(b, e.loc, in, flat);
    out = memref::CollapseShapeOp::create(b, e.loc, out, flat);
    cols *= rows;
    rows = 1;
  }
  SmallVector<int64_t> kSizes = {wShape[1], kh, kw};
  auto tile = [&](Value n, Value oh, Value ow, int64_t width, Value f,
                  int64_t tileRows) {
    auto cIndex = [&](int64_t r, int64_t x) {
      SmallVector<Value> idx = {n, e.add(f, r)};
      if (!flatten)
        idx.push_back(oh);
      idx.push_back(e.add(ow, x));
      return idx;
    };
    auto loadA = [&](ValueRange k, int64_t r) -> Value {
      return memref::LoadOp::create(b, e.loc, w,
                                    ValueRange{e.add(f, r), k[0], k[1], k[2]});
    };
    auto loadB = [&](ValueRange k, int64_t j, int64_t lanes) {
      Value x = e.add(e.mul(e.add(ow, j * e.vl), strides[1]),
                      e.mul(k[2], dilations[1]));
      if (flatten)
        return e.loadVector(in, {n, k[0], x}, lanes, 1);
      Value y = e.add(e.mul(oh, strides[0]), e.mul(k[1], dilations[0]));
      return e.loadVector(in, {n, k[0], y, x}, lanes, strides[1], nullptr,
                          overread);
    };
    auto init = [&](int64_t r) { return fusion.initial(e, e.add(f, r)); };
    auto epilogue = [&](Value acc, int64_t r, int64_t x, int64_t lanes) {
      return fusion.apply(e, acc, cIndex(r, x), lanes, n, e.add(f, r));
    };
    TileSpec spec{tileRows, width, kSizes, windowUnroll(kh, kw),
                  cIndex,   out,   loadA,  loadB};
    if (fusion.init)
      spec.init = init;
    if (fusion.epilogue)
      spec.epilogue = epilogue;
    emitTile(e, spec);
  };
  // Whichever of the image and the filters is larger is read once, and the
  // smaller one (which stays in cache) once per tile of the larger: early
  // layers (large images) walk the image, late ones (large filters, 7x7 or
  // 14x14 images) walk the filters.
  int64_t imageSize = inShape[1] * inShape[2] * inShape[3];
  int64_t filterSize = wShape[0] * wShape[1] * kh * kw;
  e.forEach(batch, [&](Value n) {
    if (filterSize > imageSize) {
      e.forTiles(filters, gemmTile(e.vl).rows, [&](Value f, int64_t tileRows) {
        e.forEach(rows, [&](Value oh) {
          e.forTiles(cols, gemmTile(e.vl).cols * e.vl,
                     [&](Value ow, int64_t width) {
                       tile(n, oh, ow, width, f, tileRows);
                     });
        });
      });
      return;
    }
    e.forEach(rows, [&](Value oh) {
      e.forTiles(cols, gemmTile(e.vl).cols * e.vl,
                 [&](Value ow, int64_t width) {
                   e.forTiles(filters, gemmTile(e.vl).rows,
                              [&](Value f, int64_t tileRows) {
                                tile(n, oh, ow, width, f, tileRows);
                              });
                 });
    });
  });
  op.erase();
  fusion.erase();
  return success();
}

/// depthwise_conv_2d_nchw_chw: out[n, c, oh, ow] += w[c, kh, kw] *
/// in[n, c, oh * sh + kh * dh, ow * sw + kw * dw].
LogicalResult lowerDepthwise(linalg::DepthwiseConv2DNchwChwOp op, int64_t vl,
                             Absorbed &absorbed) {
  std::optional<Window> operands = windowOperands(op, /*filter=*/true);
  if (!operands)
    return failure();
  Value in = operands->in, w = operands->w, out = operands->out;
  SmallVector<int64_t> strides = operands->strides,
                       dilations = operands->dilations;
  ArrayRef<int64_t> wShape = cast<MemRefType>(w.getType()).getShape();
  ArrayRef<int64_t> outShape = cast<MemRefType>(out.getType()).getShape();
  int64_t kh = wShape[1], kw = wShape[2];
  bool overread =
      rowOverread(outShape[3], cast<MemRefType>(in.getType()).getDimSize(3), kw,
                  strides[1], dilations[1]);
  SmallVector<int64_t> kSizes = {kh, kw};

  Fusion fusion(op, out, absorbed);
  OpBuilder b(op);
  Emitter e{b, op.getLoc(), vl};
  fusion.prepare(b, e.loc, {});
  e.forEach(outShape[0], [&](Value n) {
    e.forEach(outShape[1], [&](Value c) {
      e.forEach(outShape[2], [&](Value oh) {
        e.forTiles(
            outShape[3], kDepthwiseCols * e.vl, [&](Value ow, int64_t width) {
              auto cIndex = [&](int64_t, int64_t x) {
                return SmallVector<Value>{n, c, oh, e.add(ow, x)};
              };
              auto loadA = [&](ValueRange k, int64_t) -> Value {
                return memref::LoadOp::create(b, e.loc, w,
                                              ValueRange{c, k[0], k[1]});
              };
              auto loadB = [&](ValueRange k, int64_t j, int64_t lanes) {
                Value y =
                    e.add(e.mul(oh, strides[0]), e.mul(k[0], dilations[0]));
                Value x = e.add(e.mul(e.add(ow, j * e.vl), strides[1]),
                                e.mul(k[1], dilations[1]));
                return e.loadVector(in, {n, c, y, x}, lanes, strides[1],
                                    nullptr, overread);
              };
              auto init = [&](int64_t) { return fusion.initial(e, c); };
              auto epilogue = [&](Value acc, int64_t, int64_t x,
                                  int64_t lanes) {
                return fusion.apply(e, acc, cIndex(0, x), lanes, n, c);
              };
              TileSpec spec{1,      width, kSizes, kSizes.size(),
                            cIndex, out,   loadA,  loadB};
              if (fusion.init)
                spec.init = init;
              if (fusion.epilogue)
                spec.epilogue = epilogue;
              emitTile(e, spec);
            });
      });
    });
  });
  op.erase();
  fusion.erase();
  return success();
}

/// pooling_nchw_max / pooling_nchw_sum: out[n, c, oh, ow] = max or sum of
/// out and in[n, c, oh * sh + kh * dh, ow * sw + kw * dw] over the window,
/// vectorised along ow like the depthwise convolution. A window with one
/// output column is left to the loops (its vectors would have one lane);
/// NNToLinalg lowers global pooling to a reduction (lowerTrailingReduction).
template <typename PoolOp> LogicalResult lowerPooling(PoolOp op, int64_t vl) {
  std::optional<Window> operands = windowOperands(op, /*filter=*/false);
  if (!operands)
    return failure();
  Value in = operands->in, out = operands->out;
  SmallVector<int64_t> strides = operands->strides,
                       dilations = operands->dilations;
  ArrayRef<int64_t> window =
      cast<ShapedType>(op.getDpsInputs()[1].getType()).getShape();
  ArrayRef<int64_t> outShape = cast<MemRefType>(out.getType()).getShape();
  if (outShape[3] == 1)
    return failure();
  SmallVector<int64_t> kSizes(window);
  bool overread =
      rowOverread(outShape[3], cast<MemRefType>(in.getType()).getDimSize(3),
                  window[1], strides[1], dilations[1]);

  OpBuilder b(op);
  Emitter e{b, op.getLoc(), vl};
  e.forEach(outShape[0], [&](Value n) {
    e.forEach(outShape[1], [&](Value c) {
      e.forEach(outShape[2], [&](Value oh) {
        e.forTiles(
            outShape[3], kDepthwiseCols * e.vl, [&](Value ow, int64_t width) {
              auto cIndex = [&](int64_t, int64_t x) {
                return SmallVector<Value>{n, c, oh, e.add(ow, x)};
              };
              auto loadB = [&](ValueRange k, int64_t j, int64_t lanes) {
                Value y =
                    e.add(e.mul(oh, strides[0]), e.mul(k[0], dilations[0]));
                Value x = e.add(e.mul(e.add(ow, j * e.vl), strides[1]),
                                e.mul(k[1], dilations[1]));
                return e.loadVector(in, {n, c, y, x}, lanes, strides[1],
                                    nullptr, overread);
              };
              TileSpec spec{
                  1,      width, kSizes,  windowUnroll(kSizes[0], kSizes[1]),
                  cIndex, out,   nullptr, loadB};
              spec.step =
                  poolStep(std::is_same_v<PoolOp, linalg::PoolingNchwMaxOp>);
              emitTile(e, spec);
            });
      });
    });
  });
  op.erase();
  return success();
}

/// Channels-last (NHWC) window ops vectorise over channels, which are
/// contiguous whatever the image size: a tile is `rows` output pixels (of
/// the flattened OH x OW, so short rows do not leave it part empty) by up
/// to `cols` vectors of channels. The pixel tile's coordinates are worked
/// out once per tile, outside the reduction.
struct PixelTiles {
  int64_t rows, cols; // pixels per tile, channel vectors per tile
};

/// Accumulator tile for `channels` output channels: `cols` channel vectors
/// (1 to 4) and the pixels that fill the GEMM tile's number of
/// accumulators, `cols` picked by a small cost model of one reduction step
/// over all channel tiles, per pixel: a tile of r pixels and c vectors
/// issues r * c FMAs (two per cycle) and r + c loads (two per cycle), so a
/// tail tile of fewer vectors wastes issue slots (ResNet's 64 channels are
/// 4 AVX-512 vectors: one tile of 4 or two of 2, not 3 + 1). The
/// accumulators, the B vectors and a broadcast must fit the 16 (AVX2,
/// NEON's pairs) or 32 (AVX-512) vector registers, and each pixel's
/// address takes a general register, so at most 8 pixels (12 made ResNet18
/// 30% slower on AVX-512); ties keep the GEMM tile's shape.
PixelTiles pixelTiles(int64_t vl, int64_t channels) {
  GemmTile g = gemmTile(vl);
  int64_t budget = g.rows * g.cols, vectors = (channels + vl - 1) / vl;
  int64_t registers = vl == 16 ? 32 : 16;
  auto rowsFor = [&](int64_t cols) {
    return std::min<int64_t>(budget / cols, 8);
  };
  auto cost = [&](int64_t cols) {
    int64_t rows = rowsFor(cols);
    double cycles = 0;
    for (int64_t done = 0; done < vectors; done += cols) {
      int64_t c = std::min(cols, vectors - done);
      cycles += std::max(rows * c, rows + c) / 2.0;
    }
    return cycles / rows;
  };
  int64_t first = std::min(g.cols, vectors);
  PixelTiles best{rowsFor(first), first};
  double bestCost = cost(first);
  for (int64_t cols = 1; cols <= std::min<int64_t>(4, vectors); ++cols) {
    if (rowsFor(cols) * cols + cols + 1 > registers || cost(cols) >= bestCost)
      continue;
    bestCost = cost(cols);
    best = {rowsFor(cols), cols};
  }
  return best;
}

/// (oh, ow) of pixel `first + r` of an OH x OW image.
std::pair<Value, Value> pixelAt(Emitter &e, Value first, int64_t r,
                                int64_t ow) {
  Value p = e.add(first, r);
  Value w = e.index(ow);
  return {arith::DivUIOp::create(e.b, e.loc, p, w),
          arith::RemUIOp::create(e.b, e.loc, p, w)};
}

/// Runs `body(n, pixel, pixels, channel, width)` over the tiles of an
/// N x OH x OW x C output: whichever of the image and `weightBytes` is
/// larger is walked once in the outer loop (see lowerConv).
void forPixelTiles(
    Emitter &e, ArrayRef<int64_t> outShape, PixelTiles tiles, bool weightsOuter,
    function_ref<void(Value, Value, int64_t, Value, int64_t)> body) {
  int64_t pixels = outShape[1] * outShape[2], channels = outShape[3];
  int64_t step = tiles.cols * e.vl;
  e.forEach(outShape[0], [&](Value n) {
    if (weightsOuter) {
      e.forTiles(channels, step, [&](Value c, int64_t width) {
        e.forTiles(pixels, tiles.rows,
                   [&](Value p, int64_t rows) { body(n, p, rows, c, width); });
      });
      return;
    }
    e.forTiles(pixels, tiles.rows, [&](Value p, int64_t rows) {
      e.forTiles(channels, step,
                 [&](Value c, int64_t width) { body(n, p, rows, c, width); });
    });
  });
}

/// Window coordinates of a pixel tile: per pixel, its output (oh, ow) and
/// the input (y, x) of the window's first tap.
struct PixelCoords {
  Emitter &e;
  Value n;
  ArrayRef<int64_t> dilations;
  SmallVector<Value> oh, ow, y, x;
  PixelCoords(Emitter &e, Value n, Value first, int64_t rows, int64_t outCols,
              ArrayRef<int64_t> strides, ArrayRef<int64_t> dilations)
      : e(e), n(n), dilations(dilations) {
    for (int64_t r = 0; r < rows; ++r) {
      auto [h, w] = pixelAt(e, first, r, outCols);
      oh.push_back(h);
      ow.push_back(w);
      y.push_back(e.mul(h, strides[0]));
      x.push_back(e.mul(w, strides[1]));
    }
  }
  /// The output index of pixel r at `channel`.
  SmallVector<Value> output(int64_t r, Value channel) {
    return {n, oh[r], ow[r], channel};
  }
  /// The input index that pixel r reads at window tap (ky, kx), `channel`.
  SmallVector<Value> input(int64_t r, Value ky, Value kx, Value channel) {
    return {n, e.add(y[r], e.mul(ky, dilations[0])),
            e.add(x[r], e.mul(kx, dilations[1])), channel};
  }
};

/// conv_2d_nhwc_hwcf: out[n, oh, ow, f] += in[n, oh * sh + kh * dh,
/// ow * sw + kw * dw, c] * w[kh, kw, c, f]: a GEMM tile with pixels as rows
/// (broadcast input scalars) and filters as vector columns, reducing over
/// (c, kh, kw) with the window unrolled.
LogicalResult lowerConvNhwc(linalg::Conv2DNhwcHwcfOp op, int64_t vl,
                            Absorbed &absorbed) {
  std::optional<Window> operands = windowOperands(op, /*filter=*/true);
  if (!operands || !isVectorizable(operands->w))
    return failure();
  Value in = operands->in, w = operands->w, out = operands->out;
  SmallVector<int64_t> strides = operands->strides,
                       dilations = operands->dilations;
  ArrayRef<int64_t> inShape = cast<MemRefType>(in.getType()).getShape();
  ArrayRef<int64_t> wShape = cast<MemRefType>(w.getType()).getShape();
  ArrayRef<int64_t> outShape = cast<MemRefType>(out.getType()).getShape();
  int64_t kh = wShape[0], kw = wShape[1];
  Fusion fusion(op, out, absorbed, /*channelDim=*/3);
  OpBuilder b(op);
  Emitter e{b, op.getLoc(), vl};
  fusion.prepare(b, e.loc, {});
  PixelTiles tiles = pixelTiles(vl, outShape[3]);
  SmallVector<int64_t> kSizes = {wShape[2], kh, kw};
  int64_t taps = wShape[2] * kh * kw; // per output channel
  Value packed = packedFilter(b, e.loc, w, tiles.cols * vl, vl);
  int64_t imageSize = inShape[1] * inShape[2] * inShape[3];
  int64_t filterSize = wShape[0] * wShape[1] * wShape[2] * wShape[3];
  forPixelTiles(
      e, outShape, tiles, filterSize > imageSize,
      [&](Value n, Value p, int64_t rows, Value f, int64_t width) {
        PixelCoords at(e, n, p, rows, outShape[2], strides, dilations);
        auto cIndex = [&](int64_t r, int64_t x) {
          return at.output(r, e.add(f, x));
        };
        auto loadA = [&](ValueRange k, int64_t r) -> Value {
          return memref::LoadOp::create(b, e.loc, in,
                                        at.input(r, k[1], k[2], k[0]));
        };
        // The packed tile starts at f * taps and holds `padded` channels
        // per tap.
        int64_t padded = (width + e.vl - 1) / e.vl * e.vl;
        Value tileBase = packed ? e.mul(f, taps) : Value();
        auto loadB = [&](ValueRange k, int64_t j, int64_t lanes) {
          if (!packed)
            return e.loadVector(w, {k[1], k[2], k[0], e.add(f, j * e.vl)},
                                lanes, 1);
          Value tap = e.add(e.mul(e.add(e.mul(k[0], kh), k[1]), kw), k[2]);
          return e.loadVector(
              packed, {e.add(e.add(tileBase, e.mul(tap, padded)), j * e.vl)},
              e.vl, 1);
        };
        TileSpec spec{rows,   width, kSizes, windowUnroll(kh, kw),
                      cIndex, out,   loadA,  loadB};
        fusion.emitChannelsLast(e, spec, n, f);
      });
  op.erase();
  fusion.erase();
  eraseIfUnused(w);
  return success();
}

/// The tiles of a channels-last window op whose operands are all vectors
/// of channels (depthwise, pooling): `finish(spec, n, c)` completes each
/// tile's spec (batch n, channels from c), whose rows, width, output index
/// and per-pixel input vectors (window taps k[0], k[1]) are set, and emits
/// it.
void forWindowTiles(Emitter &e, const Window &window, size_t unrolled,
                    ArrayRef<int64_t> kSizes,
                    function_ref<void(TileSpec &, Value n, Value c)> finish) {
  ArrayRef<int64_t> outShape =
      cast<MemRefType>(window.out.getType()).getShape();
  forPixelTiles(
      e, outShape, pixelTiles(e.vl, outShape[3]), /*weightsOuter=*/false,
      [&](Value n, Value p, int64_t rows, Value c, int64_t width) {
        PixelCoords at(e, n, p, rows, outShape[2], window.strides,
                       window.dilations);
        auto cIndex = [&](int64_t r, int64_t x) {
          return at.output(r, e.add(c, x));
        };
        auto loadAVector = [&](ValueRange k, int64_t r, int64_t j,
                               int64_t lanes) {
          return e.loadVector(
              window.in, at.input(r, k[0], k[1], e.add(c, j * e.vl)), lanes, 1);
        };
        TileSpec spec{rows,   width,      kSizes,  unrolled,
                      cIndex, window.out, nullptr, nullptr};
        spec.loadAVector = loadAVector;
        finish(spec, n, c);
      });
}

/// depthwise_conv_2d_nhwc_hwc: out[n, oh, ow, c] += in[n, oh * sh + kh *
/// dh, ow * sw + kw * dw, c] * w[kh, kw, c]: every operand is a vector of
/// channels; a tile's pixels share the filter vectors of each tap.
LogicalResult lowerDepthwiseNhwc(linalg::DepthwiseConv2DNhwcHwcOp op,
                                 int64_t vl, Absorbed &absorbed) {
  std::optional<Window> operands = windowOperands(op, /*filter=*/true);
  if (!operands || !isVectorizable(operands->w))
    return failure();
  Value w = operands->w, out = operands->out;
  ArrayRef<int64_t> wShape = cast<MemRefType>(w.getType()).getShape();
  Fusion fusion(op, out, absorbed, /*channelDim=*/3);
  OpBuilder b(op);
  Emitter e{b, op.getLoc(), vl};
  fusion.prepare(b, e.loc, {});
  SmallVector<int64_t> kSizes = {wShape[0], wShape[1]};
  forWindowTiles(
      e, *operands, kSizes.size(), kSizes,
      [&](TileSpec &spec, Value n, Value c) {
        auto loadB = [&](ValueRange k, int64_t j, int64_t lanes) {
          return e.loadVector(w, {k[0], k[1], e.add(c, j * e.vl)}, lanes, 1);
        };
        spec.loadB = loadB;
        fusion.emitChannelsLast(e, spec, n, c);
      });
  op.erase();
  fusion.erase();
  return success();
}

/// pooling_nhwc_max / pooling_nhwc_sum: out[n, oh, ow, c] = max or sum of
/// out and in[n, oh * sh + kh * dh, ow * sw + kw * dw, c] over the window,
/// tiled like the depthwise convolution.
template <typename PoolOp>
LogicalResult lowerPoolingNhwc(PoolOp op, int64_t vl) {
  std::optional<Window> operands = windowOperands(op, /*filter=*/false);
  if (!operands)
    return failure();
  SmallVector<int64_t> kSizes(
      cast<ShapedType>(op.getDpsInputs()[1].getType()).getShape());
  OpBuilder b(op);
  Emitter e{b, op.getLoc(), vl};
  // The -inf (max) or 0 (sum) the output starts as.
  linalg::FillOp fill = constantFill(op, operands->out);
  Value start = fill ? fill.getDpsInputs()[0] : Value();
  auto constantStart = [&](int64_t) { return start; };
  forWindowTiles(e, *operands, windowUnroll(kSizes[0], kSizes[1]), kSizes,
                 [&](TileSpec &spec, Value, Value) {
                   spec.step = poolStep(
                       std::is_same_v<PoolOp, linalg::PoolingNhwcMaxOp>);
                   if (fill)
                     spec.init = constantStart;
                   emitTile(e, spec);
                 });
  op.erase();
  if (fill)
    fill.erase();
  return success();
}

/// Whether the body of reduction `op` is one max (true) or add (false) of
/// the element and the accumulator; nothing for any other body.
std::optional<bool> reductionIsMax(linalg::GenericOp op) {
  Block &body = op.getRegion().front();
  Operation *combineOp = body.getTerminator()->getOperand(0).getDefiningOp();
  if (!combineOp || body.getOperations().size() != 2 ||
      !isa<arith::AddFOp, arith::MaximumFOp>(combineOp) ||
      !llvm::is_contained(combineOp->getOperands(), body.getArgument(0)) ||
      !llvm::is_contained(combineOp->getOperands(), body.getArgument(1)))
    return std::nullopt;
  return isa<arith::MaximumFOp>(combineOp);
}

/// A sum or max linalg.generic of an f32 input over dims before its last,
/// which is kept (NNToLinalg's mean over H and W of an NHWC tensor, which
/// kiln-layout makes of global pooling): out[n, 0, 0, c] = sum over (h, w)
/// of in[n, h, w, c]. Tiles of kReduceAccumulators channel vectors stay in
/// registers over the reduced dims; every load is a contiguous vector.
LogicalResult lowerLeadingReduction(linalg::GenericOp op, int64_t vl);

/// A reduction linalg.generic over the trailing dims of an f32 input into
/// out[d0, ..., 0, ...] (NNToLinalg's global pooling, mean, sum and max
/// over H x W): the contiguous reduced elements are read as vectors into
/// kReduceAccumulators independent accumulators (latency, not throughput,
/// bounds a single chain), combined and reduced once per output.
constexpr int64_t kReduceAccumulators = 4;
LogicalResult lowerTrailingReduction(linalg::GenericOp op, int64_t vl) {
  if (op.getNumDpsInputs() != 1 || op.getNumDpsInits() != 1)
    return failure();
  Value in = op.getDpsInputs()[0], out = op.getDpsInits()[0];
  auto inType = dyn_cast<MemRefType>(in.getType());
  if (!inType || !isVectorizable(in) || !isF32(out))
    return failure();
  int64_t rank = inType.getRank(), kept = op.getNumParallelLoops();
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  MLIRContext *ctx = op.getContext();
  SmallVector<AffineExpr> outExprs;
  for (int64_t d = 0; d < rank; ++d)
    outExprs.push_back(d < kept ? getAffineDimExpr(d, ctx)
                                : getAffineConstantExpr(0, ctx));
  auto iters = op.getIteratorTypesArray();
  if (kept == rank || op.getNumLoops() != rank || !maps[0].isIdentity() ||
      maps[1] != AffineMap::get(rank, 0, outExprs, ctx) ||
      llvm::any_of(ArrayRef(iters).take_front(kept),
                   [](auto t) { return t != utils::IteratorType::parallel; }))
    return failure();
  std::optional<bool> isMaxBody = reductionIsMax(op);
  if (!isMaxBody)
    return failure();
  bool isMax = *isMaxBody;
  SmallVector<ReassociationIndices> flat;
  for (int64_t d = 0; d < kept; ++d)
    flat.push_back({d});
  flat.push_back(llvm::to_vector(llvm::seq<int64_t>(kept, rank)));
  if (!memref::CollapseShapeOp::isGuaranteedCollapsible(inType, flat))
    return failure();
  int64_t size = 1;
  for (int64_t d = kept; d < rank; ++d)
    size *= inType.getDimSize(d);

  OpBuilder b(op);
  Emitter e{b, op.getLoc(), vl};
  Value flatIn = memref::CollapseShapeOp::create(b, e.loc, in, flat);
  VectorType vt = e.vecType(vl);
  Value identity = arith::ConstantOp::create(
      b, e.loc, vt,
      DenseElementsAttr::get(vt, isMax ? -std::numeric_limits<float>::infinity()
                                       : 0.0f));
  auto combine = [&](Value x, Value y) { return e.maxOrAdd(isMax, x, y); };
  std::function<void(SmallVector<Value>)> outer = [&](SmallVector<Value> idx) {
    if ((int64_t)idx.size() < kept) {
      e.forEach(inType.getDimSize(idx.size()), [&](Value i) {
        SmallVector<Value> next = idx;
        next.push_back(i);
        outer(next);
      });
      return;
    }
    auto at = [&](Value p) {
      SmallVector<Value> full = idx;
      full.push_back(p);
      return full;
    };
    SmallVector<Value> acc(kReduceAccumulators, identity);
    int64_t step = kReduceAccumulators * vl, full = size / step * step;
    if (full > 0) {
      auto loop = scf::ForOp::create(b, e.loc, e.index(0), e.index(full),
                                     e.index(step), acc);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      for (int64_t u = 0; u < kReduceAccumulators; ++u)
        acc[u] = combine(loop.getRegionIterArgs()[u],
                         e.loadVector(flatIn,
                                      at(e.add(loop.getInductionVar(), u * vl)),
                                      vl, 1));
      scf::YieldOp::create(b, e.loc, acc);
      b.setInsertionPointAfter(loop);
      llvm::copy(loop.getResults(), acc.begin());
    }
    for (int64_t q = full, u = 0; q < size; q += vl, ++u)
      acc[u] =
          combine(acc[u], e.loadVector(flatIn, at(e.index(q)),
                                       std::min(vl, size - q), 1, identity));
    Value total = acc[0];
    for (int64_t u = 1; u < kReduceAccumulators; ++u)
      total = combine(total, acc[u]);
    Value r = vector::ReductionOp::create(
        b, e.loc,
        isMax ? vector::CombiningKind::MAXIMUMF : vector::CombiningKind::ADD,
        total);
    SmallVector<Value> outIdx = idx;
    outIdx.resize(rank, e.index(0));
    Value old = memref::LoadOp::create(b, e.loc, out, outIdx);
    memref::StoreOp::create(b, e.loc, combine(old, r), out, outIdx);
  };
  outer({});
  op.erase();
  return success();
}

/// The alpha of a contraction body `acc + a * b [* alpha]` (NNToLinalg's
/// `contraction`), or nothing for any other body.
std::optional<double> contractionAlpha(linalg::GenericOp op) {
  Block &body = op.getRegion().front();
  auto add = body.getTerminator()->getOperand(0).getDefiningOp<arith::AddFOp>();
  if (!add || add.getLhs() != body.getArgument(2))
    return std::nullopt;
  auto mul = add.getRhs().getDefiningOp<arith::MulFOp>();
  double alpha = 1.0;
  if (mul && mul.getLhs().getDefiningOp<arith::MulFOp>()) {
    FloatAttr scale;
    if (!matchPattern(mul.getRhs(), m_Constant(&scale)))
      return std::nullopt;
    alpha = scale.getValueAsDouble();
    mul = mul.getLhs().getDefiningOp<arith::MulFOp>();
  }
  if (!mul || mul.getLhs() != body.getArgument(0) ||
      mul.getRhs() != body.getArgument(1) || body.getOperations().size() > 5)
    return std::nullopt;
  return alpha;
}

/// A 2-D matrix product as a linalg.generic over (m, n, k) with C (m, n),
/// A (m, k) or (k, m) and B (k, n) or (n, k).
LogicalResult lowerMatmul(linalg::GenericOp op, int64_t vl) {
  if (op.getNumLoops() != 3 || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || op.getNumReductionLoops() != 1 ||
      op.getIteratorTypesArray()[2] != utils::IteratorType::reduction)
    return failure();
  std::optional<double> alpha = contractionAlpha(op);
  if (!alpha)
    return failure();
  MLIRContext *ctx = op.getContext();
  AffineExpr m = getAffineDimExpr(0, ctx), n = getAffineDimExpr(1, ctx),
             k = getAffineDimExpr(2, ctx);
  auto map = [&](ArrayRef<AffineExpr> exprs) {
    return AffineMap::get(3, 0, exprs, ctx);
  };
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  bool aMK = maps[0] == map({m, k}), aKM = maps[0] == map({k, m});
  bool bKN = maps[1] == map({k, n}), bNK = maps[1] == map({n, k});
  Value a = op.getDpsInputs()[0], bMat = op.getDpsInputs()[1],
        c = op.getDpsInits()[0];
  if (!(aMK || aKM) || !(bKN || bNK) || maps[2] != map({m, n}) ||
      !isVectorizable(c) || !isVectorizable(bMat) || !isF32(a) ||
      !cast<MemRefType>(a.getType()).hasStaticShape())
    return failure();
  // Dot products read A along k: it has to be contiguous there.
  if (bNK && !(aMK && isVectorizable(a)))
    return failure();
  ArrayRef<int64_t> cShape = cast<MemRefType>(c.getType()).getShape();
  int64_t size = cast<MemRefType>(a.getType()).getShape()[aMK ? 1 : 0];

  OpBuilder b(op);
  Emitter e{b, op.getLoc(), vl};
  Value scale;
  if (*alpha != 1.0)
    scale = arith::ConstantOp::create(b, e.loc, b.getF32FloatAttr(*alpha));
  if (bKN) {
    SmallVector<int64_t> kSizes = {size};
    e.forTiles(
        cShape[1], gemmTile(e.vl).cols * e.vl, [&](Value col, int64_t width) {
          e.forTiles(
              cShape[0], gemmTile(e.vl).rows, [&](Value row, int64_t tileRows) {
                auto cIndex = [&](int64_t r, int64_t x) {
                  return SmallVector<Value>{e.add(row, r), e.add(col, x)};
                };
                auto loadA = [&](ValueRange ks, int64_t r) -> Value {
                  Value i = e.add(row, r);
                  Value v = memref::LoadOp::create(b, e.loc, a,
                                                   aMK ? ValueRange{i, ks[0]}
                                                       : ValueRange{ks[0], i});
                  return scale ? arith::MulFOp::create(b, e.loc, v, scale)
                                     .getResult()
                               : v;
                };
                auto loadB = [&](ValueRange ks, int64_t j, int64_t lanes) {
                  return e.loadVector(bMat, {ks[0], e.add(col, j * e.vl)},
                                      lanes, 1);
                };
                emitTile(e, TileSpec{tileRows, width, kSizes, 0, cIndex, c,
                                     loadA, loadB});
              });
        });
    op.erase();
    return success();
  }
  // C[m, n] += alpha * dot(A[m, :], B[n, :]): kDotRows rows of B at a time,
  // vector partial sums over k, reduced once at the end.
  e.forEach(cShape[0], [&](Value row) {
    e.forTiles(cShape[1], kDotRows, [&](Value col, int64_t tileRows) {
      SmallVector<Value> acc(tileRows, e.zeros(e.vl));
      auto step = [&](Value kk, int64_t lanes) {
        Value x = e.loadVector(a, {row, kk}, lanes, 1);
        for (int64_t r = 0; r < tileRows; ++r)
          acc[r] = vector::FMAOp::create(
              b, e.loc, x, e.loadVector(bMat, {e.add(col, r), kk}, lanes, 1),
              acc[r]);
      };
      int64_t full = size / e.vl * e.vl;
      if (full > 0) {
        auto loop = scf::ForOp::create(b, e.loc, e.index(0), e.index(full),
                                       e.index(e.vl), acc);
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(loop.getBody());
        llvm::copy(loop.getRegionIterArgs(), acc.begin());
        step(loop.getInductionVar(), e.vl);
        scf::YieldOp::create(b, e.loc, acc);
        b.setInsertionPointAfter(loop);
        llvm::copy(loop.getResults(), acc.begin());
      }
      if (size > full)
        step(e.index(full), size - full);
      for (int64_t r = 0; r < tileRows; ++r) {
        Value sum = vector::ReductionOp::create(
            b, e.loc, vector::CombiningKind::ADD, acc[r]);
        if (scale)
          sum = arith::MulFOp::create(b, e.loc, sum, scale);
        SmallVector<Value> idx = {row, e.add(col, r)};
        Value old = memref::LoadOp::create(b, e.loc, c, idx);
        memref::StoreOp::create(
            b, e.loc, arith::AddFOp::create(b, e.loc, old, sum), c, idx);
      }
    });
  });
  op.erase();
  return success();
}

LogicalResult lowerLeadingReduction(linalg::GenericOp op, int64_t vl) {
  if (op.getNumDpsInputs() != 1 || op.getNumDpsInits() != 1)
    return failure();
  Value in = op.getDpsInputs()[0], out = op.getDpsInits()[0];
  auto inType = dyn_cast<MemRefType>(in.getType());
  auto outType = dyn_cast<MemRefType>(out.getType());
  if (!inType || !outType || !isVectorizable(in) || !isVectorizable(out) ||
      !inType.hasStaticShape())
    return failure();
  int64_t rank = inType.getRank();
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  auto iters = op.getIteratorTypesArray();
  if (rank < 2 || op.getNumLoops() != rank || !maps[0].isIdentity() ||
      maps[1].getNumResults() != outType.getRank() ||
      iters.back() != utils::IteratorType::parallel)
    return failure();
  // The output map keeps each parallel dim in order (reduced dims are
  // dropped or read at 0), the last one last.
  SmallVector<int64_t> kept;
  for (AffineExpr expr : maps[1].getResults()) {
    if (auto dim = dyn_cast<AffineDimExpr>(expr)) {
      kept.push_back(dim.getPosition());
      continue;
    }
    auto cst = dyn_cast<AffineConstantExpr>(expr);
    if (!cst || cst.getValue() != 0)
      return failure();
    kept.push_back(-1);
  }
  SmallVector<int64_t> parallel, reduced;
  for (int64_t d = 0; d < rank; ++d)
    (iters[d] == utils::IteratorType::parallel ? parallel : reduced)
        .push_back(d);
  SmallVector<int64_t> keptDims;
  for (int64_t d : kept)
    if (d >= 0)
      keptDims.push_back(d);
  if (reduced.empty() || keptDims != parallel || kept.back() != rank - 1)
    return failure();
  std::optional<bool> isMax = reductionIsMax(op);
  if (!isMax)
    return failure();

  OpBuilder b(op);
  Emitter e{b, op.getLoc(), vl};
  SmallVector<int64_t> kSizes;
  for (int64_t d : reduced)
    kSizes.push_back(inType.getDimSize(d));
  SmallVector<Value> ivs(rank);
  auto tile = [&](Value c, int64_t width) {
    auto cIndex = [&](int64_t, int64_t x) {
      SmallVector<Value> idx;
      for (int64_t d : kept)
        idx.push_back(d < 0           ? e.index(0)
                      : d == rank - 1 ? e.add(c, x)
                                      : ivs[d]);
      return idx;
    };
    auto loadB = [&](ValueRange k, int64_t j, int64_t lanes) {
      SmallVector<Value> idx = ivs;
      for (auto [i, d] : llvm::enumerate(reduced))
        idx[d] = k[i];
      idx[rank - 1] = e.add(c, j * e.vl);
      return e.loadVector(in, idx, lanes, 1);
    };
    TileSpec spec{1, width, kSizes, 0, cIndex, out, nullptr, loadB};
    spec.step = poolStep(*isMax);
    emitTile(e, spec);
  };
  // The parallel dims but the last as loops, then tiles of channels.
  std::function<void(size_t)> outer = [&](size_t p) {
    if (p + 1 < parallel.size()) {
      e.forEach(inType.getDimSize(parallel[p]), [&](Value i) {
        ivs[parallel[p]] = i;
        outer(p + 1);
      });
      return;
    }
    e.forTiles(inType.getDimSize(rank - 1), kReduceAccumulators * vl, tile);
  };
  outer(0);
  op.erase();
  return success();
}

struct VectorKernelsPass
    : kiln::cpu::impl::VectorKernelsPassBase<VectorKernelsPass> {
  using VectorKernelsPassBase::VectorKernelsPassBase;
  void runOnOperation() override {
    if (vectorBits != 256 && vectorBits != 512) {
      getOperation().emitError("kiln-vector-kernels: vector-bits must be 256 "
                               "or 512, not ")
          << vectorBits;
      return signalPassFailure();
    }
    int64_t vl = vectorBits / 32;
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (isa<linalg::Conv2DNchwFchwOp, linalg::DepthwiseConv2DNchwChwOp,
              linalg::PoolingNchwMaxOp, linalg::PoolingNchwSumOp,
              linalg::Conv2DNhwcHwcfOp, linalg::DepthwiseConv2DNhwcHwcOp,
              linalg::PoolingNhwcMaxOp, linalg::PoolingNhwcSumOp,
              linalg::GenericOp>(op) &&
          cast<linalg::LinalgOp>(op).hasPureBufferSemantics())
        ops.push_back(op);
    });
    // A tile chosen for a conv (kiln-autotune-patterns, or by hand in a
    // test) must be one the pattern kernel can run it with.
    for (Operation *op : ops) {
      auto conv = dyn_cast<linalg::Conv2DNchwFchwOp>(op);
      if (!conv || !conv->hasAttr(kiln::cpu::kPatternTileAttr))
        continue;
      std::optional<PatternConv> pattern = analysePatternConv(conv);
      if (!pattern) {
        conv.emitOpError("has ")
            << kiln::cpu::kPatternTileAttr
            << " but does not run the pattern kernel (3x3, stride 1 or 2, "
               "constant filter sparse enough, in at most "
            << kMaxPatternMasks << " tap masks)";
        return signalPassFailure();
      }
      SmallVector<PatternTile> tiles = patternTiles(pattern->operands, vl);
      if (!attributeTile(conv, tiles)) {
        InFlightDiagnostic diag = conv.emitOpError("has ")
                                  << kiln::cpu::kPatternTileAttr << " = "
                                  << conv->getAttr(kiln::cpu::kPatternTileAttr)
                                  << ", not one of its tiles [rows, vectors, "
                                     "pairs]:";
        for (const PatternTile &t : tiles)
          diag << " [" << t.rows << ", " << t.vectors << ", " << t.pairs << "]";
        return signalPassFailure();
      }
    }
    // Ops that do not fit a kernel stay for linalg's loop lowering.
    Absorbed absorbed;
    for (Operation *op : ops) {
      if (absorbed.contains(op))
        continue;
      if (auto conv = dyn_cast<linalg::Conv2DNchwFchwOp>(op))
        (void)lowerConv(conv, vl, absorbed);
      else if (auto dw = dyn_cast<linalg::DepthwiseConv2DNchwChwOp>(op))
        (void)lowerDepthwise(dw, vl, absorbed);
      else if (auto max = dyn_cast<linalg::PoolingNchwMaxOp>(op))
        (void)lowerPooling(max, vl);
      else if (auto sum = dyn_cast<linalg::PoolingNchwSumOp>(op))
        (void)lowerPooling(sum, vl);
      else if (auto conv = dyn_cast<linalg::Conv2DNhwcHwcfOp>(op))
        (void)lowerConvNhwc(conv, vl, absorbed);
      else if (auto dw = dyn_cast<linalg::DepthwiseConv2DNhwcHwcOp>(op))
        (void)lowerDepthwiseNhwc(dw, vl, absorbed);
      else if (auto max = dyn_cast<linalg::PoolingNhwcMaxOp>(op))
        (void)lowerPoolingNhwc(max, vl);
      else if (auto sum = dyn_cast<linalg::PoolingNhwcSumOp>(op))
        (void)lowerPoolingNhwc(sum, vl);
      else if (auto g = cast<linalg::GenericOp>(op);
               failed(lowerMatmul(g, vl)) &&
               failed(lowerTrailingReduction(g, vl)))
        (void)lowerLeadingReduction(g, vl);
    }
    for (Operation *op : absorbed)
      op->erase();
  }
};

} // namespace
