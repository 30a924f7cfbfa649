//===- PrunePatterns.cpp - PatDNN pattern and connectivity pruning --------===//
//
// PatDNN (ASPLOS'20) keeps each 3x3 kernel to one of a few 4-tap patterns
// that include the centre, chosen from the model's own weights, and removes
// whole kernels (connectivity pruning); the compiler then runs the sparse
// weights with pattern-specialised code. This pass makes the weights so,
// or recognises weights that already are (a model trained with patterns),
// and records what it did on each conv for kilnc --stats and the reports.
// Every choice breaks ties deterministically (see Passes.td), so a script
// can reproduce the pruned weights independently (test/prune).
//
//===----------------------------------------------------------------------===//
#include "dialects/nn/ConstantEvaluation.h"
#include "dialects/nn/NNOps.h"
#include "passes/Passes.h"

#include "mlir/IR/Matchers.h"
#include "llvm/ADT/bit.h"

#include <cmath>
#include <map>

namespace kiln {
#define GEN_PASS_DEF_PRUNEPATTERNS
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
namespace nn = kiln::nn;

namespace {

constexpr int kTaps = 9;
constexpr unsigned kCentre = 1u << 4;

/// A 3x3 conv's filter as floats: F x C/group kernels of 9 taps.
struct Layer {
  nn::ConvOp conv;
  SmallVector<float> w;
  int64_t kernels = 0;
  ArrayRef<float> kernel(int64_t k) const {
    return ArrayRef<float>(w).slice(k * kTaps, kTaps);
  }
  MutableArrayRef<float> kernel(int64_t k) {
    return MutableArrayRef<float>(w).slice(k * kTaps, kTaps);
  }
};

/// The conv's filter values when it is a constant f32 F x C/g x 3 x 3.
std::optional<Layer> layerOf(nn::ConvOp conv) {
  auto type = cast<RankedTensorType>(conv.getFilter().getType());
  ElementsAttr value;
  if (conv.getChannelsLast() || type.getRank() != 4 ||
      !type.getElementType().isF32() || type.getDimSize(2) != 3 ||
      type.getDimSize(3) != 3 || !type.hasStaticShape() ||
      !matchPattern(conv.getFilter(), m_Constant(&value)))
    return std::nullopt;
  std::optional<SmallVector<char>> raw = nn::rawElements(value);
  if (!raw)
    return std::nullopt;
  Layer layer{conv, {}, type.getDimSize(0) * type.getDimSize(1)};
  layer.w.resize(raw->size() / sizeof(float));
  std::memcpy(layer.w.data(), raw->data(), raw->size());
  return layer;
}

unsigned nonzeroMask(ArrayRef<float> kernel) {
  unsigned mask = 0;
  for (int t = 0; t < kTaps; ++t)
    if (kernel[t] != 0.0f)
      mask |= 1u << t;
  return mask;
}

/// The centre and the 3 other taps of largest magnitude (ties: lower tap).
unsigned candidatePattern(ArrayRef<float> kernel) {
  SmallVector<int> taps = {0, 1, 2, 3, 5, 6, 7, 8};
  llvm::sort(taps, [&](int a, int b) {
    float x = std::fabs(kernel[a]), y = std::fabs(kernel[b]);
    return x != y ? x > y : a < b;
  });
  return kCentre | 1u << taps[0] | 1u << taps[1] | 1u << taps[2];
}

double energy(ArrayRef<float> kernel, unsigned mask) {
  double sum = 0;
  for (int t = 0; t < kTaps; ++t)
    if (mask & (1u << t))
      sum += double(kernel[t]) * double(kernel[t]);
  return sum;
}

/// Whether the layer already is pattern-sparse with at most `limit`
/// distinct 4-tap patterns.
bool conforms(const Layer &layer, int64_t limit) {
  llvm::SmallDenseSet<unsigned> full;
  for (int64_t k = 0; k < layer.kernels; ++k) {
    unsigned mask = nonzeroMask(layer.kernel(k));
    if (mask == 0)
      continue;
    if (llvm::popcount(mask) > 4 || !(mask & kCentre))
      return false;
    if (llvm::popcount(mask) == 4)
      full.insert(mask);
  }
  return int64_t(full.size()) <= limit;
}

struct PrunePatternsPass : kiln::impl::PrunePatternsBase<PrunePatternsPass> {
  using PrunePatternsBase::PrunePatternsBase;

  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    if (numPatterns < 1 || connectivity < 0.0 || connectivity >= 1.0) {
      fn.emitError("kiln-prune-patterns: patterns must be >= 1 and "
                   "connectivity in [0, 1)");
      return signalPassFailure();
    }
    SmallVector<Layer> layers;
    fn.walk([&](nn::ConvOp conv) {
      if (std::optional<Layer> layer = layerOf(conv))
        layers.push_back(std::move(*layer));
    });
    if (layers.empty())
      return;
    bool sparse = llvm::all_of(
        layers, [&](const Layer &l) { return conforms(l, numPatterns); });
    SmallVector<unsigned> set;
    if (prune && !sparse)
      set = choosePatterns(layers);
    // Dense weights compiled without pruning are left unmarked.
    if (!prune && !sparse)
      return;
    for (Layer &layer : layers) {
      SmallVector<float> original = layer.w;
      if (!sparse) {
        project(layer, set);
        removeKernels(layer);
        replaceFilter(layer);
      }
      record(layer, original, sparse);
    }
    if (!set.empty()) {
      SmallVector<int32_t> masks(set.begin(), set.end());
      fn->setAttr("kiln.pattern_set",
                  DenseI32ArrayAttr::get(fn.getContext(), masks));
    }
  }

  /// The `numPatterns` most frequent candidates over all layers.
  SmallVector<unsigned> choosePatterns(ArrayRef<Layer> layers) {
    std::map<unsigned, int64_t> counts;
    for (const Layer &layer : layers)
      for (int64_t k = 0; k < layer.kernels; ++k)
        ++counts[candidatePattern(layer.kernel(k))];
    SmallVector<std::pair<unsigned, int64_t>> ranked(counts.begin(),
                                                     counts.end());
    llvm::sort(ranked, [](auto &a, auto &b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    SmallVector<unsigned> set;
    for (auto [mask, count] : ranked)
      if (int64_t(set.size()) < numPatterns)
        set.push_back(mask);
    return set;
  }

  /// Every kernel keeps the pattern of `set` that keeps most of it.
  static void project(Layer &layer, ArrayRef<unsigned> set) {
    for (int64_t k = 0; k < layer.kernels; ++k) {
      MutableArrayRef<float> kernel = layer.kernel(k);
      unsigned best = set.front();
      double bestEnergy = energy(kernel, best);
      for (unsigned mask : set.drop_front())
        if (double e = energy(kernel, mask); e > bestEnergy) {
          best = mask;
          bestEnergy = e;
        }
      for (int t = 0; t < kTaps; ++t)
        if (!(best & (1u << t)))
          kernel[t] = 0.0f;
    }
  }

  /// Connectivity pruning: the weakest kernels of the layer become 0.
  void removeKernels(Layer &layer) {
    int64_t n = int64_t(std::floor(connectivity * double(layer.kernels)));
    if (n == 0)
      return;
    SmallVector<int64_t> order(layer.kernels);
    for (int64_t k = 0; k < layer.kernels; ++k)
      order[k] = k;
    SmallVector<double> norms(layer.kernels);
    for (int64_t k = 0; k < layer.kernels; ++k)
      norms[k] = energy(layer.kernel(k), (1u << kTaps) - 1);
    llvm::sort(order, [&](int64_t a, int64_t b) {
      return norms[a] != norms[b] ? norms[a] < norms[b] : a < b;
    });
    for (int64_t k : ArrayRef<int64_t>(order).take_front(n))
      llvm::fill(layer.kernel(k), 0.0f);
  }

  static void replaceFilter(Layer &layer) {
    OpBuilder b(layer.conv);
    auto type = cast<RankedTensorType>(layer.conv.getFilter().getType());
    ArrayRef<char> raw(reinterpret_cast<const char *>(layer.w.data()),
                       layer.w.size() * sizeof(float));
    Operation *old = layer.conv.getFilter().getDefiningOp();
    Value filter = nn::ConstantOp::create(b, old->getLoc(), type,
                                          nn::constantValue(type, raw));
    layer.conv.getFilterMutable().assign(filter);
    if (old->use_empty())
      old->erase();
  }

  static void record(Layer &layer, ArrayRef<float> original, bool sparse) {
    int64_t zeroKernels = 0, nonzero = 0;
    double before = 0, after = 0;
    for (int64_t k = 0; k < layer.kernels; ++k) {
      unsigned mask = nonzeroMask(layer.kernel(k));
      zeroKernels += mask == 0;
      nonzero += llvm::popcount(mask);
    }
    for (size_t i = 0; i < original.size(); ++i) {
      before += double(original[i]) * original[i];
      after += double(layer.w[i]) * layer.w[i];
    }
    Builder b(layer.conv.getContext());
    NamedAttribute fields[] = {
        b.getNamedAttr("kernels", b.getI64IntegerAttr(layer.kernels)),
        b.getNamedAttr("zero_kernels", b.getI64IntegerAttr(zeroKernels)),
        b.getNamedAttr("weights", b.getI64IntegerAttr(layer.w.size())),
        b.getNamedAttr("nonzero", b.getI64IntegerAttr(nonzero)),
        b.getNamedAttr(
            "kept_norm",
            b.getF64FloatAttr(before > 0 ? std::sqrt(after / before) : 1.0)),
        b.getNamedAttr("sparse", b.getBoolAttr(sparse))};
    layer.conv->setAttr("kiln.prune", b.getDictionaryAttr(fields));
  }
};

} // namespace
