//===- ObjectEmitter.h - LLVM dialect to object, header, .so ----*- C++ -*-===//
#ifndef KILN_TARGETS_CPU_OBJECTEMITTER_H
#define KILN_TARGETS_CPU_OBJECTEMITTER_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Target/TargetMachine.h"

#include <memory>

#include <cstdint>
#include <string>
#include <vector>

namespace kiln::cpu {

/// Triples kilnc accepts; the first is the default.
extern const char *const kSupportedTriples[3];
bool isSupportedTriple(llvm::StringRef triple);

struct CPUTargetOptions {
  std::string triple = "x86_64-linux-gnu";
  std::string cpu;      // empty: the triple's portable default
  std::string features; // "+a,-b", appended to the default's
  std::string modelName = "model";
  /// Threads that generate machine code, each for a part of the module
  /// (llvm::SplitModule); 0: one per core, at most 8.
  unsigned codegenThreads = 0;
};

/// A model input or output as the descriptor records it.
struct TensorSpec {
  std::string name;
  uint32_t dtype; // kiln_dtype
  std::vector<int64_t> dims;
};

/// Short name of a kiln_dtype ("f32", "i64", ...), as headers print it.
const char *dtypeName(uint32_t dtype);

/// What the runtime needs to know that the LLVM module does not say.
struct ModelSignature {
  std::vector<TensorSpec> inputs, outputs;
  uint64_t arenaSize = 0;
  uint64_t buffersSize = 0; // all intermediate buffers, without reuse
};

/// Reads names, dtypes and shapes from `@main` (on tensors, before
/// lowering): arguments and results carry `kiln.name`. Emits an error and
/// fails for element types the artifact cannot describe.
mlir::LogicalResult readSignature(mlir::ModuleOp module, ModelSignature &sig);

/// Serialises the descriptor blob of runtime/include/kiln/model_format.h;
/// `parallel`: the entry also takes the session's kiln_parallel; `layers`:
/// the layer table (names are cut to KILN_MAX_NAME_LEN bytes, NULs and
/// empty names replaced).
/// `noSegments`: no segment (descriptor version 4), for a model that runs
/// only through its per-segment variants (kiln/variants.h) or only on its
/// GPU or NNA plan.
std::vector<uint8_t> encodeDescriptor(const ModelSignature &sig, bool parallel,
                                      llvm::ArrayRef<std::string> layers,
                                      bool noSegments = false);

/// The PIC, O3 target machine for `opts`. Unknown CPUs and features are
/// errors (LLVM itself only warns); `native` means the host's CPU and
/// features. Call it before the pipeline runs so that a typo fails fast.
mlir::FailureOr<std::unique_ptr<llvm::TargetMachine>>
createTargetMachine(mlir::MLIRContext &ctx, const CPUTargetOptions &opts);

/// The register width the vector kernels are built for on `tm`: 512 where
/// it has AVX-512, otherwise 256 (AVX2; two NEON registers on AArch64).
int64_t vectorKernelBits(const llvm::TargetMachine &tm);

/// Translates `module` (LLVM dialect, bare-pointer `@main(inputs...,
/// outputs..., arena)`) to LLVM IR, adds the entry wrapper, descriptor and
/// `kiln_model_<name>()` (and `kiln_model_get()` when `shared`), optimises
/// at O3 for `tm` and writes an object file to `path` (or textual IR when
/// `emitIR`; "-" is stdout). A non-empty `openclPlan` (kiln/opencl_plan.h)
/// or `nnaPlan` (kiln/nna_plan.h) goes in as the model's GPU or NNA variant;
/// without `cpuVariant` the descriptor lists no segment (the model runs
/// only on those plans).
mlir::LogicalResult emitObject(mlir::ModuleOp module, const ModelSignature &sig,
                               const CPUTargetOptions &opts,
                               llvm::TargetMachine &tm, bool shared,
                               bool emitIR, llvm::StringRef path,
                               llvm::ArrayRef<uint8_t> openclPlan = {},
                               llvm::ArrayRef<uint8_t> nnaPlan = {},
                               bool cpuVariant = true);

/// Writes to `path` the object of a model that runs through per-segment
/// variants: its descriptor (no segments), the variant table `table`
/// (kiln/variants.h) and the functions `subModels` (kiln_model_<name> of
/// each sub-model, in table order: defined by other objects that the caller
/// links in), with kiln_model_<opts.modelName> (and kiln_model_get when
/// `shared`) returning it.
mlir::LogicalResult emitVariantModel(mlir::MLIRContext &ctx,
                                     const ModelSignature &sig,
                                     llvm::ArrayRef<uint8_t> table,
                                     llvm::ArrayRef<std::string> subModels,
                                     const CPUTargetOptions &opts,
                                     llvm::TargetMachine &tm, bool shared,
                                     llvm::StringRef path);

/// What the runtime must know of a lowered CPU segment (an extra entry).
struct SegmentEntry {
  bool parallel = false;   // @main also takes the session's kiln_parallel
  uint64_t arenaBytes = 0; // its memory plan's arena
};

/// Checks a segment module lowered like a model (@main(inputs...,
/// outputs..., arena[, parallel]) with `tensors` inputs and outputs).
mlir::FailureOr<SegmentEntry> segmentEntry(mlir::ModuleOp lowered,
                                           unsigned tensors);

/// Moves the lowered segment into `module` as `kiln.segment.<entry>`,
/// renaming its symbols apart; emitObject makes it model entry `entry`
/// (entries 1, 2, ... in order).
mlir::LogicalResult addSegment(mlir::ModuleOp module, mlir::ModuleOp segment,
                               unsigned entry);

/// The C header declaring `kiln_model_<name>()`.
std::string headerText(const ModelSignature &sig,
                       const CPUTargetOptions &opts);

/// Runs ld.lld with `args` (after the program name); its first error line
/// becomes the diagnostic, prefixed with `what`.
mlir::LogicalResult runLinker(mlir::MLIRContext &ctx,
                              llvm::ArrayRef<llvm::StringRef> args,
                              llvm::StringRef what);

/// Runs the first of `candidates` found on PATH (or as a path) with
/// `args`; `needed` names it when none is there.
mlir::LogicalResult runTool(mlir::MLIRContext &ctx,
                            llvm::ArrayRef<llvm::StringRef> candidates,
                            llvm::StringRef needed,
                            llvm::ArrayRef<llvm::StringRef> args,
                            llvm::StringRef what);

/// Links an object into a shared library with lld.
mlir::LogicalResult linkShared(mlir::MLIRContext &ctx,
                               llvm::StringRef objectPath,
                               llvm::StringRef sharedPath);

} // namespace kiln::cpu

#endif // KILN_TARGETS_CPU_OBJECTEMITTER_H
