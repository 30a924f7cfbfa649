//===- NNToLinalgReduction.cpp - nn -> linalg: reductions, top-k, norms ---===//
//
// nn.reduce, nn.arg_max/arg_min, nn.log_softmax, nn.top_k,
// nn.instance_norm and nn.lrn as linalg.generic on tensors.
//
//===----------------------------------------------------------------------===//
#include "targets/cpu/NNToLinalgPatterns.h"

#include <limits>

using namespace mlir;
using namespace kiln;

namespace kiln::cpu {
namespace {

/// The lowest (or highest) value of `type`: -inf/+inf for floats, the signed
/// extreme for integers.
Value extreme(OpBuilder &b, Location loc, Type type, bool highest) {
  if (auto ft = dyn_cast<FloatType>(type))
    return arith::ConstantOp::create(
        b, loc,
        b.getFloatAttr(ft, highest ? std::numeric_limits<double>::infinity()
                                   : -std::numeric_limits<double>::infinity()));
  unsigned width = type.getIntOrFloatBitWidth();
  APInt v = highest ? APInt::getSignedMaxValue(width)
                    : APInt::getSignedMinValue(width);
  return arith::ConstantOp::create(b, loc, b.getIntegerAttr(type, v));
}

Value filledWith(OpBuilder &b, Location loc, RankedTensorType type, Value v) {
  return linalg::FillOp::create(b, loc, v, emptyTensor(b, loc, type))
      .getResult(0);
}

bool isFloat(Type t) { return isa<FloatType>(t); }

Value add(OpBuilder &b, Location l, Value x, Value y) {
  return isFloat(x.getType()) ? arith::AddFOp::create(b, l, x, y).getResult()
                              : arith::AddIOp::create(b, l, x, y).getResult();
}
Value mul(OpBuilder &b, Location l, Value x, Value y) {
  return isFloat(x.getType()) ? arith::MulFOp::create(b, l, x, y).getResult()
                              : arith::MulIOp::create(b, l, x, y).getResult();
}
Value maxOf(OpBuilder &b, Location l, Value x, Value y) {
  return isFloat(x.getType())
             ? arith::MaximumFOp::create(b, l, x, y).getResult()
             : arith::MaxSIOp::create(b, l, x, y).getResult();
}
Value minOf(OpBuilder &b, Location l, Value x, Value y) {
  return isFloat(x.getType())
             ? arith::MinimumFOp::create(b, l, x, y).getResult()
             : arith::MinSIOp::create(b, l, x, y).getResult();
}
Value absOf(OpBuilder &b, Location l, Value x) {
  return isFloat(x.getType()) ? math::AbsFOp::create(b, l, x).getResult()
                              : math::AbsIOp::create(b, l, x).getResult();
}
/// x > y (or x < y when !greater), ordered for floats, signed for integers.
Value compare(OpBuilder &b, Location l, Value x, Value y, bool greater,
              bool orEqual) {
  if (isFloat(x.getType())) {
    auto p =
        greater
            ? (orEqual ? arith::CmpFPredicate::OGE : arith::CmpFPredicate::OGT)
            : (orEqual ? arith::CmpFPredicate::OLE : arith::CmpFPredicate::OLT);
    return arith::CmpFOp::create(b, l, p, x, y);
  }
  auto p =
      greater
          ? (orEqual ? arith::CmpIPredicate::sge : arith::CmpIPredicate::sgt)
          : (orEqual ? arith::CmpIPredicate::sle : arith::CmpIPredicate::slt);
  return arith::CmpIOp::create(b, l, p, x, y);
}
Value equal(OpBuilder &b, Location l, Value x, Value y) {
  if (isFloat(x.getType()))
    return arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ, x, y);
  return arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, x, y);
}
Value indexAsI64(OpBuilder &b, Location l, int64_t dim) {
  Value i = linalg::IndexOp::create(b, l, dim);
  return arith::IndexCastOp::create(b, l, b.getI64Type(), i);
}

/// `shape` with the dims in `axes` set to 1.
RankedTensorType keptType(RankedTensorType type, ArrayRef<int64_t> axes) {
  SmallVector<int64_t> shape(type.getShape());
  for (int64_t a : axes)
    shape[a] = 1;
  return RankedTensorType::get(shape, type.getElementType());
}

Value sumOf(OpBuilder &b, Location loc, Value x, RankedTensorType kept,
            ArrayRef<int64_t> axes) {
  return reduce(b, loc, x, kept, axes, 0.0,
                [](OpBuilder &nb, Location l, ValueRange v) {
                  return add(nb, l, v[0], v[1]);
                });
}

Value maxAlong(OpBuilder &b, Location loc, Value x, RankedTensorType kept,
               ArrayRef<int64_t> axes) {
  return reduce(
      b, loc, x, kept, axes,
      filledWith(b, loc, kept, extreme(b, loc, kept.getElementType(), false)),
      [](OpBuilder &nb, Location l, ValueRange v) {
        return maxOf(nb, l, v[0], v[1]);
      });
}

struct ReduceLowering : NNPattern<nn::ReduceOp> {
  using NNPattern::NNPattern;
  LogicalResult
  matchAndRewrite(nn::ReduceOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput();
    auto inType = cast<RankedTensorType>(x.getType());
    Type et = inType.getElementType();
    ArrayRef<int64_t> axes = op.getAxes();
    auto kept = keptType(inType, axes);
    StringRef kind = op.getKind();
    OpBuilder &b = rewriter;
    auto sumWith = [&](function_ref<Value(OpBuilder &, Location, Value)> f) {
      return reduce(b, loc, x, kept, axes, 0.0,
                    [&](OpBuilder &nb, Location l, ValueRange v) {
                      return add(nb, l, f(nb, l, v[0]), v[1]);
                    });
    };
    auto square = [](OpBuilder &nb, Location l, Value v) {
      return mul(nb, l, v, v);
    };
    auto map = [&](Value v,
                   function_ref<Value(OpBuilder &, Location, Value)> f) {
      return elementwise(b, loc, kept, v,
                         [&](OpBuilder &nb, Location l, ValueRange a) {
                           return f(nb, l, a[0]);
                         });
    };
    Value r;
    if (kind == "sum") {
      r = sumOf(b, loc, x, kept, axes);
    } else if (kind == "sum_square") {
      r = sumWith(square);
    } else if (kind == "l1") {
      r = sumWith(
          [](OpBuilder &nb, Location l, Value v) { return absOf(nb, l, v); });
    } else if (kind == "l2") {
      r = map(sumWith(square), [](OpBuilder &nb, Location l, Value v) {
        return math::SqrtOp::create(nb, l, v).getResult();
      });
    } else if (kind == "log_sum") {
      r = map(sumOf(b, loc, x, kept, axes),
              [](OpBuilder &nb, Location l, Value v) {
                return math::LogOp::create(nb, l, v).getResult();
              });
    } else if (kind == "prod") {
      r = reduce(b, loc, x, kept, axes, 1.0,
                 [](OpBuilder &nb, Location l, ValueRange v) {
                   return mul(nb, l, v[0], v[1]);
                 });
    } else if (kind == "max") {
      r = maxAlong(b, loc, x, kept, axes);
    } else if (kind == "min") {
      r = reduce(b, loc, x, kept, axes,
                 filledWith(b, loc, kept, extreme(b, loc, et, true)),
                 [](OpBuilder &nb, Location l, ValueRange v) {
                   return minOf(nb, l, v[0], v[1]);
                 });
    } else if (kind == "log_sum_exp") {
      // log(sum(exp(x - m))) + m with m the maximum: no overflow.
      Value m = maxAlong(b, loc, x, kept, axes);
      Value e = elementwise(
          b, loc, inType, {x, m}, [](OpBuilder &nb, Location l, ValueRange v) {
            return math::ExpOp::create(nb, l,
                                       arith::SubFOp::create(nb, l, v[0], v[1]))
                .getResult();
          });
      Value s = sumOf(b, loc, e, kept, axes);
      r = elementwise(
          b, loc, kept, {s, m}, [](OpBuilder &nb, Location l, ValueRange v) {
            return arith::AddFOp::create(nb, l,
                                         math::LogOp::create(nb, l, v[0]), v[1])
                .getResult();
          });
    } else {
      return rewriter.notifyMatchFailure(op, "unknown reduction kind");
    }
    rewriter.replaceOp(op, reshapeTensor(rewriter, loc, r, resultType(op)));
    return success();
  }
};

template <typename Op, bool isMax> struct ArgReduceLowering : NNPattern<Op> {
  using NNPattern<Op>::NNPattern;
  using Adaptor = typename Op::Adaptor;
  LogicalResult
  matchAndRewrite(Op op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput();
    auto inType = cast<RankedTensorType>(x.getType());
    Type et = inType.getElementType();
    int64_t axis = static_cast<int64_t>(op.getAxis());
    int64_t rank = inType.getRank();
    bool last = op.getSelectLastIndex();
    auto kept = keptType(inType, {axis});
    auto keptIdx =
        RankedTensorType::get(kept.getShape(), rewriter.getI64Type());
    SmallVector<AffineExpr> outExprs;
    SmallVector<utils::IteratorType> iters;
    for (int64_t d = 0; d < rank; ++d) {
      outExprs.push_back(d == axis ? rewriter.getAffineConstantExpr(0)
                                   : rewriter.getAffineDimExpr(d));
      iters.push_back(d == axis ? utils::IteratorType::reduction
                                : utils::IteratorType::parallel);
    }
    AffineMap outMap = AffineMap::get(rank, 0, outExprs, rewriter.getContext());
    Value initV =
        filledWith(rewriter, loc, kept, extreme(rewriter, loc, et, !isMax));
    Value initI = filled(rewriter, loc, keptIdx, 0.0);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{kept, keptIdx}, x, ValueRange{initV, initI},
        SmallVector<AffineMap>{rewriter.getMultiDimIdentityMap(rank), outMap,
                               outMap},
        iters, [&](OpBuilder &b, Location l, ValueRange v) {
          // Strictly better keeps the first index; better-or-equal the last.
          Value better = compare(b, l, v[0], v[1], isMax, last);
          Value i = indexAsI64(b, l, axis);
          linalg::YieldOp::create(
              b, l,
              ValueRange{arith::SelectOp::create(b, l, better, v[0], v[1]),
                         arith::SelectOp::create(b, l, better, i, v[2])});
        });
    rewriter.replaceOp(op, reshapeTensor(rewriter, loc, generic.getResult(1),
                                         NNPattern<Op>::resultType(op)));
    return success();
  }
};

struct LogSoftmaxLowering : NNPattern<nn::LogSoftmaxOp> {
  using NNPattern::NNPattern;
  LogicalResult
  matchAndRewrite(nn::LogSoftmaxOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = resultType(op);
    int64_t axis = static_cast<int64_t>(op.getAxis());
    auto kept = keptType(type, {axis});
    Value x = adaptor.getInput();
    Value m = maxAlong(rewriter, loc, x, kept, {axis});
    Value shifted = elementwise(
        rewriter, loc, type, {x, m},
        [](OpBuilder &b, Location l, ValueRange v) {
          return arith::SubFOp::create(b, l, v[0], v[1]).getResult();
        });
    Value e = elementwise(rewriter, loc, type, shifted,
                          [](OpBuilder &b, Location l, ValueRange v) {
                            return math::ExpOp::create(b, l, v[0]).getResult();
                          });
    Value s = sumOf(rewriter, loc, e, kept, {axis});
    rewriter.replaceOp(op,
                       elementwise(rewriter, loc, type, {shifted, s},
                                   [](OpBuilder &b, Location l, ValueRange v) {
                                     return arith::SubFOp::create(
                                                b, l, v[0],
                                                math::LogOp::create(b, l, v[1]))
                                         .getResult();
                                   }));
    return success();
  }
};

struct TopKLowering : NNPattern<nn::TopKOp> {
  using NNPattern::NNPattern;
  LogicalResult
  matchAndRewrite(nn::TopKOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput();
    auto inType = cast<RankedTensorType>(x.getType());
    int64_t rank = inType.getRank();
    int64_t axis = static_cast<int64_t>(op.getAxis());
    bool largest = op.getLargest();
    MLIRContext *ctx = rewriter.getContext();
    // Dims 0..rank-1 are the tensor's, dim `rank` runs along `axis` again.
    SmallVector<AffineExpr> ident, alongExtra;
    for (int64_t d = 0; d < rank; ++d) {
      ident.push_back(getAffineDimExpr(d, ctx));
      alongExtra.push_back(getAffineDimExpr(d == axis ? rank : d, ctx));
    }
    AffineMap identMap = AffineMap::get(rank + 1, 0, ident, ctx);
    AffineMap extraMap = AffineMap::get(rank + 1, 0, alongExtra, ctx);
    SmallVector<utils::IteratorType> iters(rank + 1,
                                           utils::IteratorType::parallel);
    iters.back() = utils::IteratorType::reduction;

    // 1. The rank of each entry: how many entries come before it (better,
    //    or equal with a lower index). Ranks are a permutation of 0..n-1.
    auto rankType =
        RankedTensorType::get(inType.getShape(), rewriter.getI64Type());
    Value ranks =
        linalg::GenericOp::create(
            rewriter, loc, rankType, ValueRange{x, x},
            filled(rewriter, loc, rankType, 0.0),
            SmallVector<AffineMap>{identMap, extraMap, identMap}, iters,
            [&](OpBuilder &b, Location l, ValueRange v) {
              Value i = linalg::IndexOp::create(b, l, axis);
              Value j = linalg::IndexOp::create(b, l, rank);
              Value better = compare(b, l, v[1], v[0], largest, false);
              Value tie = arith::AndIOp::create(
                  b, l, equal(b, l, v[1], v[0]),
                  arith::CmpIOp::create(b, l, arith::CmpIPredicate::ult, j, i));
              Value before = arith::OrIOp::create(b, l, better, tie);
              Value one = arith::ExtUIOp::create(b, l, b.getI64Type(), before);
              linalg::YieldOp::create(
                  b, l, arith::AddIOp::create(b, l, v[2], one).getResult());
            })
            .getResult(0);

    // 2. Output slot t takes the entry whose rank is t.
    auto valuesType = cast<RankedTensorType>(op.getValues().getType());
    auto indicesType = cast<RankedTensorType>(op.getIndices().getType());
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{valuesType, indicesType}, ValueRange{x, ranks},
        ValueRange{filled(rewriter, loc, valuesType, 0.0),
                   filled(rewriter, loc, indicesType, 0.0)},
        SmallVector<AffineMap>{extraMap, extraMap, identMap, identMap}, iters,
        [&](OpBuilder &b, Location l, ValueRange v) {
          Value t = indexAsI64(b, l, axis);
          Value i = indexAsI64(b, l, rank);
          Value hit =
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, v[1], t);
          linalg::YieldOp::create(
              b, l,
              ValueRange{arith::SelectOp::create(b, l, hit, v[0], v[2]),
                         arith::SelectOp::create(b, l, hit, i, v[3])});
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

struct InstanceNormLowering : NNPattern<nn::InstanceNormOp> {
  using NNPattern::NNPattern;
  LogicalResult
  matchAndRewrite(nn::InstanceNormOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = resultType(op);
    Type et = type.getElementType();
    int64_t rank = type.getRank();
    SmallVector<int64_t> spatial;
    int64_t cells = 1;
    for (int64_t d = 2; d < rank; ++d) {
      spatial.push_back(d);
      cells *= type.getDimSize(d);
    }
    auto kept = keptType(type, spatial);
    auto divide = [&](Value v) {
      return elementwise(
          rewriter, loc, kept, v, [&](OpBuilder &b, Location l, ValueRange a) {
            return arith::DivFOp::create(b, l, a[0], scalar(b, l, et, cells))
                .getResult();
          });
    };
    Value x = adaptor.getInput();
    Value mean = divide(sumOf(rewriter, loc, x, kept, spatial));
    Value centered = elementwise(
        rewriter, loc, type, {x, mean},
        [](OpBuilder &b, Location l, ValueRange v) {
          return arith::SubFOp::create(b, l, v[0], v[1]).getResult();
        });
    Value var = divide(reduce(rewriter, loc, centered, kept, spatial, 0.0,
                              [](OpBuilder &b, Location l, ValueRange v) {
                                return add(b, l, mul(b, l, v[0], v[0]), v[1]);
                              }));
    double eps = op.getEpsilon().convertToDouble();
    SmallVector<AffineMap> maps = {
        rewriter.getMultiDimIdentityMap(rank),
        broadcastMap(rewriter, kept, type.getShape()),
        channelMap(rewriter, rank), channelMap(rewriter, rank),
        rewriter.getMultiDimIdentityMap(rank)};
    SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, type,
        ValueRange{centered, var, adaptor.getScale(), adaptor.getBias()},
        emptyTensor(rewriter, loc, type), maps, iters,
        [&](OpBuilder &b, Location l, ValueRange v) {
          Value sd = math::SqrtOp::create(
              b, l, arith::AddFOp::create(b, l, v[1], scalar(b, l, et, eps)));
          Value n = arith::DivFOp::create(b, l, v[0], sd);
          linalg::YieldOp::create(
              b, l,
              arith::AddFOp::create(b, l, arith::MulFOp::create(b, l, n, v[2]),
                                    v[3])
                  .getResult());
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

struct LRNLowering : NNPattern<nn::LRNOp> {
  using NNPattern::NNPattern;
  LogicalResult
  matchAndRewrite(nn::LRNOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = resultType(op);
    Type et = type.getElementType();
    int64_t rank = type.getRank();
    int64_t size = static_cast<int64_t>(op.getSize());
    Value x = adaptor.getInput();
    Value sq = elementwise(
        rewriter, loc, type, x, [](OpBuilder &b, Location l, ValueRange v) {
          return arith::MulFOp::create(b, l, v[0], v[0]).getResult();
        });
    // Zero-pad the channels so that every window is full.
    SmallVector<int64_t> low(rank - 1, 0), high(rank - 1, 0);
    low[0] = (size - 1) / 2;
    high[0] = size - 1 - low[0];
    Value p = padded(rewriter, loc, sq, low, high, 0.0);
    MLIRContext *ctx = rewriter.getContext();
    SmallVector<AffineExpr> in, ident;
    for (int64_t d = 0; d < rank; ++d) {
      ident.push_back(getAffineDimExpr(d, ctx));
      in.push_back(d == 1
                       ? getAffineDimExpr(1, ctx) + getAffineDimExpr(rank, ctx)
                       : getAffineDimExpr(d, ctx));
    }
    SmallVector<utils::IteratorType> iters(rank + 1,
                                           utils::IteratorType::parallel);
    iters.back() = utils::IteratorType::reduction;
    Value window = tensor::EmptyOp::create(rewriter, loc, {size}, et);
    Value sum =
        linalg::GenericOp::create(
            rewriter, loc, type, ValueRange{p, window},
            filled(rewriter, loc, type, 0.0),
            SmallVector<AffineMap>{
                AffineMap::get(rank + 1, 0, in, ctx),
                AffineMap::get(rank + 1, 0, {getAffineDimExpr(rank, ctx)}, ctx),
                AffineMap::get(rank + 1, 0, ident, ctx)},
            iters,
            [](OpBuilder &b, Location l, ValueRange v) {
              linalg::YieldOp::create(
                  b, l, arith::AddFOp::create(b, l, v[2], v[0]).getResult());
            })
            .getResult(0);
    double alpha = op.getAlpha().convertToDouble() / size;
    double beta = op.getBeta().convertToDouble();
    double bias = op.getBias().convertToDouble();
    rewriter.replaceOp(
        op,
        elementwise(
            rewriter, loc, type, {x, sum},
            [&](OpBuilder &b, Location l, ValueRange v) {
              // x / (bias + alpha * s)^beta, the power as exp(beta * log).
              Value base = arith::AddFOp::create(
                  b, l, scalar(b, l, et, bias),
                  arith::MulFOp::create(b, l, scalar(b, l, et, alpha), v[1]));
              Value pow = math::ExpOp::create(
                  b, l,
                  arith::MulFOp::create(b, l, scalar(b, l, et, beta),
                                        math::LogOp::create(b, l, base)));
              return arith::DivFOp::create(b, l, v[0], pow).getResult();
            }));
    return success();
  }
};

} // namespace

void populateNNToLinalgReductionPatterns(RewritePatternSet &patterns) {
  patterns.add<ReduceLowering, ArgReduceLowering<nn::ArgMaxOp, true>,
               ArgReduceLowering<nn::ArgMinOp, false>, LogSoftmaxLowering,
               TopKLowering, InstanceNormLowering, LRNLowering>(
      patterns.getContext());
}

} // namespace kiln::cpu
