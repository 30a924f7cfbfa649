//===- Importer.h - ONNX model to nn dialect ---------------------*- C++
//-*-===//
#ifndef KILN_COMPILER_ONNX_IMPORTER_H
#define KILN_COMPILER_ONNX_IMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace kiln::onnx {

struct ImportOptions {
  /// Pins graph inputs to static shapes (`--input-shape name=1x3x224x224`).
  std::map<std::string, std::vector<int64_t>> inputShapes;
  /// Binds graph inputs to constant values, read from ONNX TensorProto files
  /// (`--freeze-input name=value.pb`): the input leaves the model's signature
  /// and the value is compiled in, as if it were an initializer.
  std::map<std::string, std::string> frozenInputs;
  /// Refuses tensors larger than this many bytes: initializers, graph
  /// inputs, and every value the import creates (untrusted files;
  /// `kilnc --max-tensor-bytes`).
  uint64_t maxTensorBytes = uint64_t(4) << 30;
  /// Refuses graphs of more nodes than this, subgraphs included
  /// (`kilnc --max-nodes`).
  int64_t maxNodes = int64_t(1) << 20;
  /// Refuses subgraphs (If, Loop, Scan bodies) nested deeper than this.
  int64_t maxSubgraphDepth = 16;
};

/// Imports an ONNX model file into a module holding `func.func @main` in the
/// nn dialect. Returns null after emitting a diagnostic; never throws.
mlir::OwningOpRef<mlir::ModuleOp> importModelFile(llvm::StringRef path,
                                                  const ImportOptions &options,
                                                  mlir::MLIRContext &context);

/// The same, from the bytes of a model (`sourceName` names it in messages).
mlir::OwningOpRef<mlir::ModuleOp> importModelBytes(llvm::StringRef bytes,
                                                   llvm::StringRef sourceName,
                                                   const ImportOptions &options,
                                                   mlir::MLIRContext &context);

/// Parses "1x3x224x224" into dims; false on malformed text.
bool parseShape(llvm::StringRef text, std::vector<int64_t> &dims);

} // namespace kiln::onnx

#endif // KILN_COMPILER_ONNX_IMPORTER_H
