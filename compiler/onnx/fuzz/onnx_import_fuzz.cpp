//===- onnx_import_fuzz.cpp - libFuzzer target for the ONNX importer ------===//
//
// Input: the bytes of an ONNX model. Runs kiln::onnx::importModelBytes with
// small limits in a fresh context and, when the import succeeds, the MLIR
// verifier on the module, which must pass (the importer returns verified
// modules or null). Diagnostics and libonnx's warnings are swallowed, or
// printed to stderr when KILN_FUZZ_VERBOSE is set (to see why a replayed
// input is refused). See README.md.
//
//===----------------------------------------------------------------------===//
#include "compiler/onnx/Importer.h"
#include "dialects/nn/NNDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>

namespace {

/// The dialects the importer makes ops of (it loads them itself; the
/// registry only lets the context create them).
const mlir::DialectRegistry &registry() {
  static const mlir::DialectRegistry *r = [] {
    auto *r = new mlir::DialectRegistry;
    r->insert<kiln::nn::NNDialect, mlir::func::FuncDialect>();
    return r;
  }();
  return *r;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  // libonnx writes warnings (experimental ops, models its version converter
  // cannot read) to std::cerr: quiet too, unless KILN_FUZZ_VERBOSE is set.
  if (!std::getenv("KILN_FUZZ_VERBOSE"))
    std::cerr.rdbuf(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // A context per input: uniqued types and attributes (every constant's
  // DenseElementsAttr) would otherwise pile up over millions of inputs.
  mlir::MLIRContext context(registry(), mlir::MLIRContext::Threading::DISABLED);
  static const bool verbose = std::getenv("KILN_FUZZ_VERBOSE") != nullptr;
  mlir::ScopedDiagnosticHandler quiet(&context, [](mlir::Diagnostic &d) {
    if (verbose)
      llvm::errs() << d.getLocation() << ": " << d << "\n";
    return mlir::success();
  });
  kiln::onnx::ImportOptions options;
  options.maxTensorBytes = uint64_t(1) << 20;
  options.maxNodes = 4096;
  mlir::OwningOpRef<mlir::ModuleOp> module = kiln::onnx::importModelBytes(
      llvm::StringRef(reinterpret_cast<const char *>(data), size), "fuzz",
      options, context);
  if (module && mlir::failed(mlir::verify(*module))) {
    std::fprintf(stderr, "check failed: an imported module does not verify\n");
    std::abort();
  }
  return 0;
}
