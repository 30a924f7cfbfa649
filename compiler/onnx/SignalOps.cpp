//===- SignalOps.cpp - ONNX import: signal processing ---------------------===//
//
// The window functions of opset 17 (HannWindow, HammingWindow,
// BlackmanWindow) and MelWeightMatrix. Their inputs are sizes, which an
// ahead-of-time compiler needs as constants anyway; their results are then
// constants, computed here.
//
// DFT and STFT as products with constant cosine and sine matrices: with
// static shapes they are compile-time constants, and the products are
// contractions the CPU backend already schedules.
//
//===----------------------------------------------------------------------===//

#include "compiler/onnx/ImporterImpl.h"

#include "llvm/ADT/StringSwitch.h"

#include <cmath>

using namespace mlir;
namespace ox = ::onnx;

namespace kiln::onnx {

LogicalResult Importer::importWindow(const ox::NodeProto &n, Location loc) {
  const ConstTensor *sizeT;
  if (failed(constantInput(n, 0, loc, sizeT)))
    return failure();
  if (sizeT->numElements() != 1)
    return unsupported(n, loc, "size must hold one value");
  int64_t size = sizeT->intAt(0);
  if (size < 1 || size > (int64_t(1) << 24))
    return unsupported(
        n, loc, "size " + llvm::Twine(size) + " (1 to 2^24 are supported)");
  int32_t dtype = attrInt(n, "output_datatype", ox::TensorProto::FLOAT);
  if (dtype != ox::TensorProto::FLOAT && dtype != ox::TensorProto::DOUBLE)
    return unsupported(n, loc,
                       "output_datatype " + llvm::Twine(dtype) +
                           " (float and double only)");
  // A periodic window of length N is the symmetric one of length N + 1
  // without its last sample.
  bool periodic = attrInt(n, "periodic", 1) != 0;
  double denom = periodic ? double(size) : double(size - 1);
  // cos(k * 2 pi n / denom) coefficients: a0 - a1 cos(..) + a2 cos(2 ..).
  double a0, a1, a2 = 0;
  llvm::StringRef op = n.op_type();
  if (op == "HannWindow") {
    a0 = 0.5;
    a1 = 0.5;
  } else if (op == "HammingWindow") {
    a0 = 25.0 / 46.0;
    a1 = 1.0 - a0;
  } else {
    a0 = 0.42;
    a1 = 0.5;
    a2 = 0.08;
  }
  ConstTensor w;
  w.dtype = dtype;
  w.shape = {size};
  w.bytes.resize(size * elementSize(dtype));
  for (int64_t i = 0; i < size; ++i) {
    // A symmetric window of length 1 is the single sample 1.
    double x = denom > 0 ? 2.0 * M_PI * double(i) / denom : 0.0;
    double v = a0 - a1 * std::cos(x) + a2 * std::cos(2.0 * x);
    if (denom <= 0)
      v = 1.0;
    if (dtype == ox::TensorProto::FLOAT) {
      float f = static_cast<float>(v);
      std::memcpy(w.bytes.data() + 4 * i, &f, 4);
    } else {
      std::memcpy(w.bytes.data() + 8 * i, &v, 8);
    }
  }
  consts[n.output(0)] = std::move(w);
  return success();
}

namespace {
/// The DFT's [len x outLen] matrix A (cosines) or B (sines): X[k] =
/// sum_j x[j] (A + i B)[j][k], with A = scale cos t, B = scale sign sin t,
/// t = 2 pi j k / len; sign -1 forward, +1 inverse; scale 1/len inverse.
ConstTensor dftMatrix(int32_t dtype, int64_t len, int64_t outLen, bool inverse,
                      bool sine) {
  double scale = inverse ? 1.0 / double(len) : 1.0;
  double sign = inverse ? 1.0 : -1.0;
  ConstTensor m;
  m.dtype = dtype;
  m.shape = {len, outLen};
  size_t es = elementSize(dtype);
  m.bytes.resize(len * outLen * es);
  for (int64_t j = 0; j < len; ++j)
    for (int64_t k = 0; k < outLen; ++k) {
      // j * k mod N keeps the angle small and exact.
      double t = 2.0 * M_PI * double((j * k) % len) / double(len);
      double v = sine ? scale * sign * std::sin(t) : scale * std::cos(t);
      char *dst = m.bytes.data() + (j * outLen + k) * es;
      if (es == 4) {
        float f = static_cast<float>(v);
        std::memcpy(dst, &f, 4);
      } else {
        std::memcpy(dst, &v, 8);
      }
    }
  return m;
}
} // namespace

LogicalResult Importer::importDFT(const ox::NodeProto &n, Location loc) {
  auto x = inputType(n, 0, loc);
  if (failed(x))
    return failure();
  Type et = x->getElementType();
  if (!et.isF32() && !et.isF64())
    return unsupported(n, loc, "a non-float input (float and double only)");
  int64_t rank = x->getRank();
  int64_t parts = rank > 0 ? x->getDimSize(rank - 1) : 0;
  if (rank < 3 || (parts != 1 && parts != 2))
    return unsupported(n, loc, "the input must be [batch, ..., 1 or 2]");
  int64_t axis = attrInt(n, "axis", 1);
  if (axis < 0)
    axis += rank;
  if (axis < 1 || axis > rank - 2)
    return unsupported(n, loc, "axis must name a signal dimension");
  int64_t len = x->getDimSize(axis);
  if (has(n, 1)) {
    const ConstTensor *lengthT;
    if (failed(constantInput(n, 1, loc, lengthT)))
      return failure();
    if (lengthT->numElements() != 1 || lengthT->intAt(0) != len)
      return unsupported(n, loc,
                         "a dft_length other than the signal's "
                         "length (padding or truncating it)");
  }
  bool inverse = attrInt(n, "inverse", 0) != 0;
  bool onesided = attrInt(n, "onesided", 0) != 0;
  if (onesided && (inverse || parts == 2))
    return unsupported(n, loc, "onesided with a complex input or inverse");
  constexpr int64_t kMaxLength = 4096;
  if (len > kMaxLength)
    return unsupported(n, loc,
                       "a signal longer than " + llvm::Twine(kMaxLength) +
                           " (" + llvm::Twine(len) + ")");
  int64_t outLen = onesided ? len / 2 + 1 : len;

  // X = sum_j (re_j + i im_j)(A + i B)[j][k] (dftMatrix):
  // re = re_j . A - im_j . B, im = im_j . A + re_j . B.
  int32_t dtype = et.isF32() ? ox::TensorProto::FLOAT : ox::TensorProto::DOUBLE;
  auto matrix = [&](bool sine) {
    return materialize(dftMatrix(dtype, len, outLen, inverse, sine), loc);
  };
  auto a = matrix(false), b = matrix(true);
  if (failed(a) || failed(b))
    return failure();

  // The real and imaginary parts, without the last dim, the axis moved last.
  llvm::SmallVector<int64_t> shape(x->getShape().drop_back());
  std::vector<int64_t> perm;
  for (int64_t d = 0; d < rank - 1; ++d)
    if (d != axis)
      perm.push_back(d);
  perm.push_back(axis);
  std::vector<int64_t> inversePerm(rank - 1);
  for (int64_t d = 0; d < rank - 1; ++d)
    inversePerm[perm[d]] = d;
  bool moved = axis != rank - 2;
  auto part = [&](int64_t i) -> FailureOr<Value> {
    std::vector<int64_t> offsets(rank, 0),
        sizes(x->getShape().begin(), x->getShape().end()), steps(rank, 1);
    offsets.back() = i;
    sizes.back() = 1;
    auto s = create(nn::SliceOp::getOperationName(), loc, {values[n.input(0)]},
                    {named("offsets", i64s(offsets)),
                     named("sizes", i64s(sizes)), named("steps", i64s(steps))});
    if (failed(s))
      return failure();
    auto r = reshapeTo(*s, shape, loc);
    if (failed(r) || !moved)
      return r;
    return create(nn::TransposeOp::getOperationName(), loc, {*r},
                  {named("perm", i64s(perm))});
  };
  auto binary = [&](llvm::StringRef op, Value l, Value r) {
    return create(op, loc, {l, r}, {});
  };
  llvm::StringRef matmul = nn::MatMulOp::getOperationName();
  auto re = part(0);
  if (failed(re))
    return failure();
  auto reA = binary(matmul, *re, *a), reB = binary(matmul, *re, *b);
  if (failed(reA) || failed(reB))
    return failure();
  Value outRe = *reA, outIm = *reB;
  if (parts == 2) {
    auto im = part(1);
    if (failed(im))
      return failure();
    auto imA = binary(matmul, *im, *a), imB = binary(matmul, *im, *b);
    if (failed(imA) || failed(imB))
      return failure();
    auto r = binary(nn::SubOp::getOperationName(), outRe, *imB);
    auto i = binary(nn::AddOp::getOperationName(), *imA, outIm);
    if (failed(r) || failed(i))
      return failure();
    outRe = *r;
    outIm = *i;
  }

  // Move the axis back and stack [re, im] as the last dim.
  llvm::SmallVector<int64_t> outShape(shape);
  outShape[axis] = outLen;
  outShape.push_back(1);
  llvm::SmallVector<Value> stacked;
  for (Value v : {outRe, outIm}) {
    if (moved) {
      auto t = create(nn::TransposeOp::getOperationName(), loc, {v},
                      {named("perm", i64s(inversePerm))});
      if (failed(t))
        return failure();
      v = *t;
    }
    auto r = reshapeTo(v, outShape, loc);
    if (failed(r))
      return failure();
    stacked.push_back(*r);
  }
  auto r = create(nn::ConcatOp::getOperationName(), loc, stacked,
                  {named("axis", builder.getI64IntegerAttr(rank - 1))});
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

/// STFT: frames gathered with compile-time indices, times the window, times
/// the DFT matrices.
LogicalResult Importer::importSTFT(const ox::NodeProto &n, Location loc) {
  auto x = inputType(n, 0, loc);
  if (failed(x))
    return failure();
  Type et = x->getElementType();
  if (!et.isF32() && !et.isF64())
    return unsupported(n, loc, "a non-float signal (float and double only)");
  if (x->getRank() != 3 || x->getDimSize(2) != 1)
    return unsupported(n, loc, "a signal other than real [batch, length, 1]");
  const ConstTensor *stepT;
  if (failed(constantInput(n, 1, loc, stepT)))
    return failure();
  int64_t step = stepT->numElements() == 1 ? stepT->intAt(0) : 0;
  int64_t frameLength = 0;
  if (has(n, 3)) {
    const ConstTensor *lengthT;
    if (failed(constantInput(n, 3, loc, lengthT)))
      return failure();
    frameLength = lengthT->numElements() == 1 ? lengthT->intAt(0) : 0;
  }
  if (has(n, 2)) {
    auto w = inputType(n, 2, loc);
    if (failed(w))
      return failure();
    if (w->getRank() != 1 || w->getElementType() != et ||
        (frameLength && w->getDimSize(0) != frameLength))
      return unsupported(n, loc,
                         "a window that is not 1-D, of the signal's "
                         "type and the frame's length");
    frameLength = w->getDimSize(0);
  }
  int64_t batch = x->getDimSize(0), length = x->getDimSize(1);
  constexpr int64_t kMaxLength = 4096;
  if (step < 1 || frameLength < 1 || frameLength > length ||
      frameLength > kMaxLength)
    return unsupported(n, loc,
                       "frame_step " + llvm::Twine(step) +
                           " and frame length " + llvm::Twine(frameLength) +
                           " (need step >= 1, "
                           "1 <= length <= min(signal, 4096))");
  bool onesided = attrInt(n, "onesided", 1) != 0;
  int64_t frames = (length - frameLength) / step + 1;
  int64_t bins = onesided ? frameLength / 2 + 1 : frameLength;

  std::vector<int64_t> idx;
  for (int64_t f = 0; f < frames; ++f)
    for (int64_t j = 0; j < frameLength; ++j)
      idx.push_back(f * step + j);
  auto indices =
      materialize(ConstTensor::fromInts(idx, {frames, frameLength}), loc);
  auto signal = reshapeTo(values[n.input(0)], {batch, length}, loc);
  if (failed(indices) || failed(signal))
    return failure();
  auto framed =
      create(nn::GatherOp::getOperationName(), loc, {*signal, *indices},
             {named("axis", builder.getI64IntegerAttr(1))});
  if (failed(framed))
    return failure();
  Value v = *framed;
  if (has(n, 2)) {
    auto w =
        create(nn::MulOp::getOperationName(), loc, {v, values[n.input(2)]}, {});
    if (failed(w))
      return failure();
    v = *w;
  }
  int32_t dtype = et.isF32() ? ox::TensorProto::FLOAT : ox::TensorProto::DOUBLE;
  auto a = materialize(dftMatrix(dtype, frameLength, bins, false, false), loc);
  auto b = materialize(dftMatrix(dtype, frameLength, bins, false, true), loc);
  if (failed(a) || failed(b))
    return failure();
  llvm::SmallVector<Value> stacked;
  for (Value m : {*a, *b}) {
    auto p = create(nn::MatMulOp::getOperationName(), loc, {v, m}, {});
    if (failed(p))
      return failure();
    auto r = reshapeTo(*p, {batch, frames, bins, 1}, loc);
    if (failed(r))
      return failure();
    stacked.push_back(*r);
  }
  auto r = create(nn::ConcatOp::getOperationName(), loc, stacked,
                  {named("axis", builder.getI64IntegerAttr(3))});
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

/// MelWeightMatrix has only scalar inputs: the matrix is a constant, built
/// as ONNX's reference does (mel edges in float32, bins floored).
LogicalResult Importer::importMelWeightMatrix(const ox::NodeProto &n,
                                              Location loc) {
  const ConstTensor *t[5];
  for (int i = 0; i < 5; ++i) {
    if (failed(constantInput(n, i, loc, t[i])))
      return failure();
    if (t[i]->numElements() != 1)
      return unsupported(n, loc,
                         "input " + llvm::Twine(i) + " must be a scalar");
  }
  int64_t melBins = t[0]->intAt(0), dftLength = t[1]->intAt(0),
          sampleRate = t[2]->intAt(0);
  float lower = static_cast<float>(t[3]->floatAt(0)),
        upper = static_cast<float>(t[4]->floatAt(0));
  int32_t dtype = attrInt(n, "output_datatype", ox::TensorProto::FLOAT);
  if (dtype != ox::TensorProto::FLOAT && dtype != ox::TensorProto::DOUBLE)
    return unsupported(n, loc,
                       "output_datatype " + llvm::Twine(dtype) +
                           " (float and double only)");
  if (melBins < 1 || melBins > 4096 || dftLength < 1 || dftLength > 65536 ||
      sampleRate < 1 || !(lower >= 0) || !(upper > lower))
    return unsupported(n, loc,
                       "num_mel_bins, dft_length, sample_rate or the "
                       "edges out of range");
  int64_t spectrumBins = dftLength / 2 + 1;
  auto mel = [](float hz) { return 2595.0f * std::log10(1.0f + hz / 700.0f); };
  float lowMel = mel(lower), highMel = mel(upper);
  float step = (highMel - lowMel) / static_cast<float>(melBins + 2);
  std::vector<int64_t> edges(melBins + 2);
  for (int64_t i = 0; i < melBins + 2; ++i) {
    double m = double(i) * double(step) + double(lowMel);
    double hz = 700.0 * (std::pow(10.0, m / 2595.0) - 1.0);
    edges[i] = static_cast<int64_t>(
        std::floor(double(dftLength + 1) * hz / double(sampleRate)));
    if (edges[i] < 0 || edges[i] >= spectrumBins)
      return unsupported(n, loc,
                         "a mel band edge outside the spectrum's " +
                             llvm::Twine(spectrumBins) + " bins");
  }
  std::vector<double> w(spectrumBins * melBins, 0.0);
  for (int64_t i = 0; i < melBins; ++i) {
    int64_t lo = edges[i], center = edges[i + 1], hi = edges[i + 2];
    if (center == lo)
      w[center * melBins + i] = 1.0;
    else
      for (int64_t j = lo; j <= center; ++j)
        w[j * melBins + i] = double(j - lo) / double(center - lo);
    for (int64_t j = center; j < hi; ++j)
      w[j * melBins + i] = double(hi - j) / double(hi - center);
  }
  ConstTensor out;
  out.dtype = dtype;
  out.shape = {spectrumBins, melBins};
  size_t es = elementSize(dtype);
  out.bytes.resize(w.size() * es);
  for (size_t i = 0; i < w.size(); ++i) {
    if (es == 4) {
      float f = static_cast<float>(w[i]);
      std::memcpy(out.bytes.data() + 4 * i, &f, 4);
    } else {
      std::memcpy(out.bytes.data() + 8 * i, &w[i], 8);
    }
  }
  consts[n.output(0)] = std::move(out);
  return success();
}

llvm::ArrayRef<OpHandler> Importer::signalOps() {
  static const OpHandler table[] = {
      {"HannWindow", &Importer::importWindow},
      {"HammingWindow", &Importer::importWindow},
      {"BlackmanWindow", &Importer::importWindow},
      {"DFT", &Importer::importDFT},
      {"STFT", &Importer::importSTFT},
      {"MelWeightMatrix", &Importer::importMelWeightMatrix},
  };
  return table;
}

} // namespace kiln::onnx
