//===- SignalOps.cpp - ONNX import: signal processing ---------------------===//
//
// The window functions of opset 17 (HannWindow, HammingWindow,
// BlackmanWindow). Their only input is the window's length, which an
// ahead-of-time compiler needs as a constant anyway; the window itself is
// then a constant, computed here in double precision.
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

llvm::ArrayRef<OpHandler> Importer::signalOps() {
  static const OpHandler table[] = {
      {"HannWindow", &Importer::importWindow},
      {"HammingWindow", &Importer::importWindow},
      {"BlackmanWindow", &Importer::importWindow},
  };
  return table;
}

} // namespace kiln::onnx
