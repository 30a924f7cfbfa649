//===- NNToLinalgResize.cpp - nn -> linalg: resampling --------------------===//
//
// nn.resize is resolved per dimension at compile time: for every output index
// the source taps (input indices, clamped to the edge) and their weights are
// computed exactly as the ONNX reference implementation does
// (onnx/backend/test/case/node/resize.py), in double precision. Then:
//   * dimensions where every output reads one input element with weight 1
//     (nearest, and linear/cubic at integer coordinates) are gathered all at
//     once by one linalg.generic that reads the input with tensor.extract;
//   * every other dimension is one linalg.generic of weighted taps, one
//     dimension after the other (interpolation is separable).
// The tap tables are constant tensors read with the output index along that
// dimension. An output coordinate outside the input in tf_crop_and_resize is
// marked by index -1 and gives extrapolation_value.
//
//===----------------------------------------------------------------------===//
#include "targets/cpu/NNToLinalgPatterns.h"

#include <algorithm>
#include <cmath>

using namespace mlir;
using namespace kiln;

namespace kiln::cpu {
namespace {

/// The taps of one dimension: for output index x, `index[x][t]` (clamped
/// into the input, or -1 for "outside": extrapolate) and `weight[x][t]`.
struct AxisTaps {
  std::vector<std::vector<int64_t>> index;
  std::vector<std::vector<double>> weight;
  bool anyOutside = false;

  size_t numTaps() const {
    size_t n = 0;
    for (const auto &v : index)
      n = std::max(n, v.size());
    return n;
  }
  /// Every output reads exactly one input element with weight 1.
  bool isGather() const {
    for (size_t x = 0; x < index.size(); ++x)
      if (index[x].size() != 1 || (index[x][0] >= 0 && weight[x][0] != 1.0))
        return false;
    return true;
  }
  bool isIdentity(int64_t inSize) const {
    if (static_cast<int64_t>(index.size()) != inSize || !isGather() ||
        anyOutside)
      return false;
    for (int64_t x = 0; x < inSize; ++x)
      if (index[x][0] != x)
        return false;
    return true;
  }
};

std::vector<double> cubicCoeffs(double r, double a) {
  return {((a * (r + 1) - 5 * a) * (r + 1) + 8 * a) * (r + 1) - 4 * a,
          ((a + 2) * r - (a + 3)) * r * r + 1,
          ((a + 2) * (1 - r) - (a + 3)) * (1 - r) * (1 - r) + 1,
          ((a * ((1 - r) + 1) - 5 * a) * ((1 - r) + 1) + 8 * a) *
                  ((1 - r) + 1) -
              4 * a};
}

AxisTaps computeTaps(nn::ResizeOp op, int64_t d) {
  auto inType = cast<RankedTensorType>(op.getInput().getType());
  int64_t rank = inType.getRank();
  int64_t inSize = inType.getDimSize(d), outSize = op.getSizes()[d];
  double in = static_cast<double>(inSize);
  double scale = op.getScales()[d];
  double length = scale * in; // the reference's (unrounded) output width
  StringRef coord = op.getCoordinateTransformationMode();
  StringRef mode = op.getMode(), nearest = op.getNearestMode();
  AxisTaps taps;
  for (int64_t xi = 0; xi < outSize; ++xi) {
    double x = static_cast<double>(xi), xo = 0;
    bool outside = false;
    if (coord == "half_pixel") {
      xo = (x + 0.5) / scale - 0.5;
    } else if (coord == "pytorch_half_pixel") {
      xo = length == 1 ? -0.5 : (x + 0.5) / scale - 0.5;
    } else if (coord == "align_corners") {
      xo = length == 1 ? 0.0 : x * (in - 1) / (length - 1);
    } else if (coord == "asymmetric") {
      xo = x / scale;
    } else if (coord == "tf_half_pixel_for_nn") {
      xo = (x + 0.5) / scale;
    } else { // tf_crop_and_resize
      double start = op.getRoi()[d], end = op.getRoi()[rank + d];
      xo = length == 1 ? (end - start) * (in - 1) / 2
                       : x * (end - start) * (in - 1) / (length - 1);
      xo += start * (in - 1);
      outside = xo < 0 || xo > in - 1;
    }
    std::vector<int64_t> idx;
    std::vector<double> w;
    if (outside) {
      taps.anyOutside = true;
      taps.index.push_back({-1});
      taps.weight.push_back({0.0});
      continue;
    }
    auto clampIndex = [&](int64_t i) {
      return std::clamp<int64_t>(i, 0, inSize - 1);
    };
    if (mode == "nearest") {
      double fl = std::floor(xo), frac = xo - fl;
      int64_t i = static_cast<int64_t>(fl);
      bool up;
      if (frac == 0)
        up = false;
      else if (nearest == "round_prefer_floor")
        up = frac > 0.5;
      else if (nearest == "round_prefer_ceil")
        up = frac >= 0.5;
      else if (nearest == "floor")
        up = false;
      else if (nearest == "ceil")
        up = true;
      else // simple (Resize-10, Upsample): ceil when downsampling
        up = scale < 1;
      taps.index.push_back({clampIndex(i + (up ? 1 : 0))});
      taps.weight.push_back({1.0});
      continue;
    }
    // Taps k, k+1 (linear) or k-1 .. k+2 (cubic) with ratio in (0, 1]: the
    // reference prefers the left neighbours, so an integer coordinate x
    // has k = x - 1 and ratio 1.
    double fl = std::floor(xo);
    int64_t k = static_cast<int64_t>(fl) - (xo == fl ? 1 : 0);
    double ratio = xo - static_cast<double>(k);
    int64_t first;
    std::vector<double> coeffs;
    if (mode == "linear") {
      first = k;
      coeffs = {1 - ratio, ratio};
    } else {
      first = k - 1;
      coeffs = cubicCoeffs(ratio, op.getCubicCoeffA().convertToDouble());
    }
    if (op.getExcludeOutside()) {
      double sum = 0;
      for (size_t t = 0; t < coeffs.size(); ++t) {
        int64_t i = first + static_cast<int64_t>(t);
        if (i < 0 || i >= inSize)
          coeffs[t] = 0;
        sum += coeffs[t];
      }
      for (double &c : coeffs)
        c /= sum;
    }
    // Drop zero taps; merge taps that the edge clamp maps to one element.
    for (size_t t = 0; t < coeffs.size(); ++t) {
      if (coeffs[t] == 0)
        continue;
      int64_t i = clampIndex(first + static_cast<int64_t>(t));
      auto it = std::find(idx.begin(), idx.end(), i);
      if (it != idx.end())
        w[it - idx.begin()] += coeffs[t];
      else {
        idx.push_back(i);
        w.push_back(coeffs[t]);
      }
    }
    if (idx.empty()) { // all coefficients 0 (cannot happen for a sane a)
      idx.push_back(clampIndex(k));
      w.push_back(0.0);
    }
    taps.index.push_back(idx);
    taps.weight.push_back(w);
  }
  return taps;
}

Value indexTable(OpBuilder &b, Location loc, ArrayRef<int64_t> values) {
  auto type = RankedTensorType::get({static_cast<int64_t>(values.size())},
                                    b.getI64Type());
  return arith::ConstantOp::create(b, loc,
                                   DenseElementsAttr::get(type, values));
}

Value weightTable(OpBuilder &b, Location loc, Type elementType,
                  ArrayRef<double> values) {
  auto type =
      RankedTensorType::get({static_cast<int64_t>(values.size())}, elementType);
  SmallVector<Attribute> attrs;
  for (double v : values)
    attrs.push_back(b.getFloatAttr(elementType, v));
  return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(type, attrs));
}

/// The iteration point of the enclosing linalg.generic.
SmallVector<Value> iterationPoint(OpBuilder &b, Location loc, int64_t rank) {
  SmallVector<Value> coords;
  for (int64_t d = 0; d < rank; ++d)
    coords.push_back(linalg::IndexOp::create(b, loc, d));
  return coords;
}

/// Reads `source` at `point` with dimension `axes[i]` replaced by
/// `indices[i]` (i64). With `outside`, a negative index means "outside" (the
/// element read is then index 0) and `outside` is set to whether any was.
Value gatherAt(OpBuilder &b, Location loc, Value source, ArrayRef<Value> point,
               ArrayRef<int64_t> axes, ValueRange indices,
               Value *outside = nullptr) {
  SmallVector<Value> coords(point);
  Value zero;
  for (auto [axis, i] : llvm::zip(axes, indices)) {
    Value idx = i;
    if (outside) {
      if (!zero)
        zero = arith::ConstantIntOp::create(b, loc, 0, 64);
      Value o =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, i, zero);
      *outside = *outside ? arith::OrIOp::create(b, loc, *outside, o) : o;
      idx = arith::MaxSIOp::create(b, loc, i, zero);
    }
    coords[axis] = arith::IndexCastOp::create(b, loc, b.getIndexType(), idx);
  }
  return tensor::ExtractOp::create(b, loc, source, coords);
}

struct ResizeLowering : NNPattern<nn::ResizeOp> {
  using NNPattern::NNPattern;
  LogicalResult
  matchAndRewrite(nn::ResizeOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto inType = cast<RankedTensorType>(op.getInput().getType());
    Type elementType = inType.getElementType();
    int64_t rank = inType.getRank();
    double extrapolation = op.getExtrapolationValue().convertToDouble();

    SmallVector<int64_t> gatherAxes, weightedAxes;
    std::vector<AxisTaps> taps(rank);
    for (int64_t d = 0; d < rank; ++d) {
      taps[d] = computeTaps(op, d);
      if (taps[d].isIdentity(inType.getDimSize(d)))
        continue;
      (taps[d].isGather() ? gatherAxes : weightedAxes).push_back(d);
    }
    if (!weightedAxes.empty() && !isa<FloatType>(elementType))
      return rewriter.notifyMatchFailure(op, "interpolation of integers");
    // Shrinking dimensions first keeps the intermediates small.
    llvm::sort(weightedAxes, [&](int64_t a, int64_t b) {
      double sa = op.getScales()[a], sb = op.getScales()[b];
      return sa != sb ? sa < sb : a < b;
    });

    Value current = adaptor.getInput();
    SmallVector<int64_t> shape(inType.getShape());
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    auto axisMap = [&](int64_t d) {
      return AffineMap::get(rank, 0, {rewriter.getAffineDimExpr(d)},
                            rewriter.getContext());
    };

    if (!gatherAxes.empty()) {
      bool checkOutside = false;
      SmallVector<Value> tables;
      SmallVector<AffineMap> maps;
      for (int64_t d : gatherAxes) {
        SmallVector<int64_t> idx;
        for (const auto &v : taps[d].index)
          idx.push_back(v[0]);
        tables.push_back(indexTable(rewriter, loc, idx));
        maps.push_back(axisMap(d));
        shape[d] = op.getSizes()[d];
        checkOutside |= taps[d].anyOutside;
      }
      auto type = RankedTensorType::get(shape, elementType);
      maps.push_back(rewriter.getMultiDimIdentityMap(rank));
      Value source = current;
      current = linalg::GenericOp::create(
                    rewriter, loc, type, tables,
                    emptyTensor(rewriter, loc, type), maps, iterators,
                    [&](OpBuilder &b, Location l, ValueRange args) {
                      Value outside;
                      Value r = gatherAt(
                          b, l, source, iterationPoint(b, l, rank), gatherAxes,
                          args.drop_back(), checkOutside ? &outside : nullptr);
                      if (checkOutside)
                        r = arith::SelectOp::create(
                            b, l, outside,
                            scalar(b, l, elementType, extrapolation), r);
                      linalg::YieldOp::create(b, l, r);
                    })
                    .getResult(0);
    }

    for (int64_t d : weightedAxes) {
      const AxisTaps &t = taps[d];
      size_t numTaps = t.numTaps();
      SmallVector<Value> tables;
      SmallVector<AffineMap> maps;
      for (size_t k = 0; k < numTaps; ++k) {
        SmallVector<int64_t> idx;
        SmallVector<double> w;
        for (size_t x = 0; x < t.index.size(); ++x) {
          bool has = k < t.index[x].size();
          // Missing taps read the first tap's element (index 0 when that is
          // "outside", -1) with weight 0.
          idx.push_back(has ? t.index[x][k]
                            : std::max<int64_t>(t.index[x][0], 0));
          w.push_back(has ? t.weight[x][k] : 0.0);
        }
        tables.push_back(indexTable(rewriter, loc, idx));
        tables.push_back(weightTable(rewriter, loc, elementType, w));
        maps.push_back(axisMap(d));
        maps.push_back(axisMap(d));
      }
      shape[d] = op.getSizes()[d];
      auto type = RankedTensorType::get(shape, elementType);
      maps.push_back(rewriter.getMultiDimIdentityMap(rank));
      Value source = current;
      bool checkOutside = t.anyOutside;
      current =
          linalg::GenericOp::create(
              rewriter, loc, type, tables, emptyTensor(rewriter, loc, type),
              maps, iterators,
              [&](OpBuilder &b, Location l, ValueRange args) {
                Value acc, outside;
                SmallVector<Value> point = iterationPoint(b, l, rank);
                for (size_t k = 0; k < numTaps; ++k) {
                  Value v =
                      gatherAt(b, l, source, point, {d}, args[2 * k],
                               checkOutside && k == 0 ? &outside : nullptr);
                  Value term = arith::MulFOp::create(b, l, args[2 * k + 1], v);
                  acc = acc ? arith::AddFOp::create(b, l, acc, term) : term;
                }
                if (checkOutside)
                  acc = arith::SelectOp::create(
                      b, l, outside, scalar(b, l, elementType, extrapolation),
                      acc);
                linalg::YieldOp::create(b, l, acc);
              })
              .getResult(0);
    }
    rewriter.replaceOp(op, current);
    return success();
  }
};

} // namespace

void populateNNToLinalgResizePatterns(RewritePatternSet &patterns) {
  patterns.add<ResizeLowering>(patterns.getContext());
}

} // namespace kiln::cpu
