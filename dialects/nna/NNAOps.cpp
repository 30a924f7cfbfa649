//===- NNAOps.cpp - nna dialect operations
//---------------------------------===//
//
// The verifiers are docs/nna.md's command rules that hold whatever the
// configuration: a graph of nna ops that verifies lowers to commands the
// runtime's validator accepts, once split to fit the configuration.
//
//===----------------------------------------------------------------------===//
#include "dialects/nna/NNAOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace kiln::nna;

namespace {

bool isInt8(int64_t v) { return v >= -128 && v <= 127; }

/// Checks a window op's kernel, strides and pads against the input and
/// result shapes: `maxKernel`/`maxStride` bound them, every pad is smaller
/// than its kernel, and the result is ⌊(in + pads − k) / s⌋ + 1.
LogicalResult checkWindow(Operation *op, ArrayRef<int64_t> kernel,
                          ArrayRef<int64_t> strides, ArrayRef<int64_t> pads,
                          ArrayRef<int64_t> in, ArrayRef<int64_t> out,
                          int64_t maxKernel, int64_t maxStride) {
  if (kernel.size() != 2 || strides.size() != 2 || pads.size() != 4)
    return op->emitOpError("needs 2 kernel sizes, 2 strides and 4 pads");
  for (int d = 0; d < 2; ++d) {
    if (kernel[d] < 1 || kernel[d] > maxKernel)
      return op->emitOpError("kernel size ")
             << kernel[d] << " is outside 1.." << maxKernel;
    if (strides[d] < 1 || strides[d] > maxStride)
      return op->emitOpError("stride ")
             << strides[d] << " is outside 1.." << maxStride;
    // pads: top, left, bottom, right.
    for (int64_t pad : {pads[d], pads[d + 2]})
      if (pad < 0 || pad >= kernel[d])
        return op->emitOpError("pad ")
               << pad << " is not in 0.." << kernel[d] - 1;
    int64_t want = (in[d] + pads[d] + pads[d + 2] - kernel[d]) / strides[d] + 1;
    if (in[d] + pads[d] + pads[d + 2] < kernel[d] || out[d] != want)
      return op->emitOpError("result dim ")
             << d << " is " << out[d] << ", the window gives "
             << (in[d] + pads[d] + pads[d + 2] < kernel[d] ? 0 : want);
  }
  return success();
}

LogicalResult checkClamp(Operation *op, int64_t lo, int64_t hi) {
  if (!isInt8(lo) || !isInt8(hi) || lo > hi)
    return op->emitOpError("clamp [")
           << lo << ", " << hi << "] is not an int8 range";
  return success();
}

} // namespace

LogicalResult RequantAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                  int64_t aZero, int64_t aMult, int64_t aShift,
                                  int64_t bZero, int64_t bMult, int64_t bShift,
                                  int64_t oMult, int64_t oShift, int64_t oZero,
                                  int64_t lo, int64_t hi) {
  for (int64_t zero : {aZero, bZero, oZero})
    if (!isInt8(zero))
      return emitError() << "zero point " << zero << " is not int8";
  for (int64_t mult : {aMult, bMult, oMult})
    if (mult < 0 || mult > INT32_MAX)
      return emitError() << "multiplier " << mult
                         << " is not a non-negative int32";
  for (int64_t shift : {aShift, bShift, oShift})
    if (shift < -31 || shift > 30)
      return emitError() << "shift " << shift << " is outside -31..30";
  if (!isInt8(lo) || !isInt8(hi) || lo > hi)
    return emitError() << "clamp [" << lo << ", " << hi
                       << "] is not an int8 range";
  return success();
}

LogicalResult ConvOp::verify() {
  ArrayRef<int64_t> in = getInput().getType().getShape(),
                    w = getWeights().getType().getShape(),
                    p = getParams().getType().getShape(),
                    out = getResult().getType().getShape();
  int64_t k = w[0], cg = w[3];
  if (w[1] != getKernel()[0] || w[2] != getKernel()[1])
    return emitOpError("weights are ")
           << w[1] << "x" << w[2] << " per channel, the kernel "
           << getKernel()[0] << "x" << getKernel()[1];
  if (getDepthwise() ? (cg != 1 || k != in[2]) : cg != in[2])
    return emitOpError(getDepthwise()
                           ? "depthwise: weights need 1 input channel and "
                             "as many outputs as the input's "
                           : "weights' input channels ")
           << "(" << cg << ", " << k << ") do not match the input's " << in[2]
           << " channels";
  if (out[2] != k || p[0] != k || p[1] != 3)
    return emitOpError("result has ")
           << out[2] << " channels and params " << p[0] << "x" << p[1]
           << "; the weights give " << k << " channels (params " << k << "x3)";
  if (failed(checkWindow(*this, getKernel(), getStrides(), getPads(), in, out,
                         11, 4)))
    return failure();
  // The taps of one output times the largest |product| stay below 2^31.
  if (getKernel()[0] * getKernel()[1] * cg * 255 * 128 >= (int64_t(1) << 31))
    return emitOpError("has ")
           << getKernel()[0] * getKernel()[1] * cg
           << " taps per output: the int32 accumulator could overflow";
  if (!isInt8(getInZero()) || !isInt8(getOutZero()))
    return emitOpError("zero points must be int8");
  if (getClamp().size() != 2 ||
      failed(checkClamp(*this, getClamp()[0], getClamp()[1])))
    return failure();
  if (bool(getAddend()) != bool(getAdd()))
    return emitOpError("needs both an addend and add parameters, or neither");
  if (getAddend() && getAddend().getType() != getResult().getType())
    return emitOpError("addend's type differs from the result's");
  return success();
}

LogicalResult AddOp::verify() {
  if (getLhs().getType() != getResult().getType() ||
      getRhs().getType() != getResult().getType())
    return emitOpError("operands and result must have one type");
  return success();
}

LogicalResult PoolOp::verify() {
  ArrayRef<int64_t> in = getInput().getType().getShape(),
                    out = getResult().getType().getShape();
  if (getMode() != "max" && getMode() != "avg")
    return emitOpError("mode '") << getMode() << "' is not max or avg";
  if (out[2] != in[2])
    return emitOpError("changes the channel count");
  // A window over the whole input (a global pool) may be up to 255 wide.
  bool global = getKernel().size() == 2 && getKernel()[0] == in[0] &&
                getKernel()[1] == in[1] &&
                llvm::all_of(getPads(), [](int64_t p) { return p == 0; });
  if (failed(checkWindow(*this, getKernel(), getStrides(), getPads(), in, out,
                         global ? 255 : 16, 16)))
    return failure();
  // A pad smaller than its kernel leaves every window an input element,
  // which max pooling needs.
  if (!isInt8(getInZero()))
    return emitOpError("zero point must be int8");
  return success();
}

#define GET_OP_CLASSES
#include "dialects/nna/NNAOps.cpp.inc"
