//===- ObjectEmitter.cpp - LLVM dialect to object, header, .so
//-------------===//
//
// The artifact format is defined once, in runtime/include/kiln/
// model_format.h; this file writes it.
//
//===----------------------------------------------------------------------===//
#include "targets/cpu/ObjectEmitter.h"
#include "targets/ArtifactBytes.h"
#include "passes/Passes.h"
#include "targets/cpu/Passes.h"

#include "kiln/model_format.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/Threading.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"
#include "llvm/Transforms/Utils/ModuleUtils.h"
#include <algorithm>
#include <thread>

// llvm/Transforms/Utils/SplitModule.h is missing from Debian's
// llvm-22-dev; libLLVM exports the function (LLVM 22's declaration).
namespace llvm {
void SplitModule(Module &m, unsigned n,
                 function_ref<void(std::unique_ptr<Module> part)> callback,
                 bool preserveLocals = false, bool roundRobin = false);
} // namespace llvm

using namespace mlir;

namespace kiln::cpu {

const char *const kSupportedTriples[3] = {
    "x86_64-linux-gnu", "aarch64-linux-gnu", "aarch64-linux-android"};

bool isSupportedTriple(llvm::StringRef triple) {
  return llvm::is_contained(kSupportedTriples, triple);
}

namespace {

/// The boundary dtype of element type `t`; MLIR integers are signless, so
/// `isUnsigned` (the importer's kiln.unsigned) picks the unsigned one.
FailureOr<uint32_t> dtypeOf(Type t, bool isUnsigned) {
  if (t.isF32())
    return uint32_t(KILN_DTYPE_F32);
  if (t.isF64())
    return uint32_t(KILN_DTYPE_F64);
  if (t.isF16())
    return uint32_t(KILN_DTYPE_F16);
  if (t.isBF16())
    return uint32_t(KILN_DTYPE_BF16);
  if (t.isInteger(64))
    return uint32_t(isUnsigned ? KILN_DTYPE_U64 : KILN_DTYPE_I64);
  if (t.isInteger(32))
    return uint32_t(isUnsigned ? KILN_DTYPE_U32 : KILN_DTYPE_I32);
  if (t.isInteger(16))
    return uint32_t(isUnsigned ? KILN_DTYPE_U16 : KILN_DTYPE_I16);
  if (t.isInteger(8))
    return uint32_t(isUnsigned ? KILN_DTYPE_U8 : KILN_DTYPE_I8);
  if (t.isInteger(1))
    return uint32_t(KILN_DTYPE_BOOL);
  return failure();
}

LogicalResult specOf(Location loc, Type type, Attribute name,
                     std::string fallback, TensorSpec &spec,
                     bool isUnsigned = false) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape())
    return emitError(loc) << "model inputs and outputs must be statically "
                             "shaped tensors, got "
                          << type;
  if (tensor.getRank() > KILN_MAX_RANK)
    return emitError(loc) << "tensor rank " << tensor.getRank()
                          << " exceeds the artifact's limit of "
                          << KILN_MAX_RANK;
  auto dtype = dtypeOf(tensor.getElementType(), isUnsigned);
  if (failed(dtype))
    return emitError(loc) << "element type " << tensor.getElementType()
                          << " cannot cross the model boundary";
  auto str = dyn_cast_or_null<StringAttr>(name);
  spec.name = str ? str.str() : std::move(fallback);
  if (spec.name.empty() || spec.name.size() > KILN_MAX_NAME_LEN ||
      spec.name.find('\0') != std::string::npos)
    return emitError(loc) << "tensor name '" << spec.name
                          << "' is not 1 to " << KILN_MAX_NAME_LEN
                          << " bytes without NUL";
  spec.dtype = *dtype;
  spec.dims.assign(tensor.getShape().begin(), tensor.getShape().end());
  return success();
}

/// The runtime finds tensors by name, so names are unique per list.
LogicalResult checkUnique(Location loc, const char *what,
                          const std::vector<TensorSpec> &specs) {
  llvm::StringSet<> names;
  for (const TensorSpec &t : specs)
    if (!names.insert(t.name).second)
      return emitError(loc)
             << "two model " << what << "s are named '" << t.name << "'";
  return success();
}

/// The model's kiln_model (runtime/include/kiln/model_format.h, ABI
/// KILN_MODEL_ABI_VERSION): absent parts are NULL and 0.
llvm::GlobalVariable *
createModelStruct(llvm::Module &m, const std::string &prefix,
                  llvm::Constant *descriptor, uint64_t descriptorSize,
                  llvm::Constant *entries, uint64_t numEntries,
                  llvm::Constant *openclPlan, uint64_t openclPlanSize,
                  llvm::Constant *nnaPlan, uint64_t nnaPlanSize,
                  llvm::Constant *variantTable = nullptr,
                  uint64_t variantTableSize = 0,
                  llvm::Constant *variantModels = nullptr,
                  uint64_t numVariantModels = 0) {
  llvm::LLVMContext &c = m.getContext();
  auto *ptrTy = llvm::PointerType::get(c, 0);
  auto *i32 = llvm::Type::getInt32Ty(c);
  auto *i64 = llvm::Type::getInt64Ty(c);
  auto orNull = [&](llvm::Constant *p) {
    return p ? p : llvm::ConstantPointerNull::get(ptrTy);
  };
  auto *modelTy = llvm::StructType::get(
      c, {i32, i32, ptrTy, i64, ptrTy, i32, ptrTy, i64, ptrTy, i64, ptrTy, i64,
          ptrTy, i32});
  auto *model = new llvm::GlobalVariable(
      m, modelTy, true, llvm::GlobalValue::InternalLinkage,
      llvm::ConstantStruct::get(
          modelTy,
          {llvm::ConstantInt::get(i32, KILN_MODEL_MAGIC),
           llvm::ConstantInt::get(i32, KILN_MODEL_ABI_VERSION),
           orNull(descriptor), llvm::ConstantInt::get(i64, descriptorSize),
           orNull(entries), llvm::ConstantInt::get(i32, numEntries),
           orNull(openclPlan), llvm::ConstantInt::get(i64, openclPlanSize),
           orNull(nnaPlan), llvm::ConstantInt::get(i64, nnaPlanSize),
           orNull(variantTable), llvm::ConstantInt::get(i64, variantTableSize),
           orNull(variantModels),
           llvm::ConstantInt::get(i32, numVariantModels)}),
      prefix + "_model");
  model->setAlignment(llvm::Align(8));
  return model;
}

/// An 8-byte aligned constant blob named `name`, or NULL when empty.
llvm::Constant *blobGlobal(llvm::Module &m, llvm::ArrayRef<uint8_t> bytes,
                           const llvm::Twine &name) {
  llvm::LLVMContext &c = m.getContext();
  if (bytes.empty())
    return llvm::ConstantPointerNull::get(llvm::PointerType::get(c, 0));
  auto *data = new llvm::GlobalVariable(
      m, llvm::ArrayType::get(llvm::Type::getInt8Ty(c), bytes.size()), true,
      llvm::GlobalValue::InternalLinkage,
      llvm::ConstantDataArray::get(c, bytes), name);
  data->setAlignment(llvm::Align(8));
  return data;
}

/// Writes `m` to `path` as an object (or textual IR when `emitIR`); a
/// failed write leaves no partial file behind ("-" is stdout).
LogicalResult writeModule(Location loc, llvm::Module &m,
                          llvm::TargetMachine &tm, bool emitIR,
                          llvm::StringRef path) {
  std::error_code ec;
  llvm::ToolOutputFile out(path, ec, llvm::sys::fs::OF_None);
  if (ec)
    return emitError(loc) << "cannot write '" << path << "': " << ec.message();
  if (emitIR) {
    m.print(out.os(), nullptr);
  } else {
    llvm::legacy::PassManager codegen;
    if (tm.addPassesToEmitFile(codegen, out.os(), nullptr,
                               llvm::CodeGenFileType::ObjectFile))
      return emitError(loc) << "the target cannot emit object files";
    codegen.run(m);
  }
  out.os().flush();
  if (out.os().has_error()) {
    out.os().clear_error();
    return emitError(loc) << "cannot write '" << path << "'";
  }
  out.keep();
  return success();
}

/// The exported accessors of `model`: kiln_model_<name>, and kiln_model_get
/// in a shared object (what kiln-run looks up).
void addAccessors(llvm::Module &m, llvm::GlobalVariable *model,
                  const std::string &modelName, bool shared,
                  llvm::SmallVectorImpl<std::string> &exported) {
  exported.push_back("kiln_model_" + modelName);
  if (shared)
    exported.push_back("kiln_model_get");
  auto *ptrTy = llvm::PointerType::get(m.getContext(), 0);
  for (const std::string &name : exported) {
    auto *fn =
        llvm::Function::Create(llvm::FunctionType::get(ptrTy, {}, false),
                               llvm::GlobalValue::ExternalLinkage, name, m);
    llvm::IRBuilder<> b(
        llvm::BasicBlock::Create(m.getContext(), "entry", fn));
    b.CreateRet(model);
  }
}

} // namespace

FailureOr<std::unique_ptr<llvm::TargetMachine>>
createTargetMachine(MLIRContext &ctx, const CPUTargetOptions &opts) {
  static const bool initialised = [] {
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargets();
    llvm::InitializeAllTargetMCs();
    llvm::InitializeAllAsmPrinters();
    return true;
  }();
  (void)initialised;
  Location loc = UnknownLoc::get(&ctx);
  llvm::Triple triple(llvm::Triple::normalize(opts.triple));
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return emitError(loc) << "no LLVM target for '" << opts.triple
                          << "': " << error;

  // Defaults: x86-64-v3 (AVX2 and FMA, which the vector kernels are built
  // around; any x86-64 workstation since 2013-2015) stops short of AVX-512,
  // which valgrind cannot run; AArch64 always has NEON.
  std::string cpu = opts.cpu;
  llvm::SmallVector<std::string> features;
  if (triple.isAArch64()) {
    if (cpu.empty())
      cpu = "generic";
    features.push_back("+neon");
  } else if (cpu.empty()) {
    cpu = "x86-64-v3";
  }
  if (cpu == "native") {
    if (llvm::Triple(llvm::sys::getProcessTriple()).getArch() !=
        triple.getArch())
      return emitError(loc) << "--mcpu=native names the host's CPU, which "
                               "cannot run '"
                            << opts.triple << "' code";
    cpu = llvm::sys::getHostCPUName().str();
    // The host's CPU name can be a guess; its feature bits are not.
    for (const auto &feature : llvm::sys::getHostCPUFeatures())
      features.push_back((feature.second ? "+" : "-") + feature.first().str());
  }

  // LLVM only warns about unknown CPUs and features and then ignores them;
  // a typo in --mcpu/--mattr must not silently give a different binary.
  std::unique_ptr<llvm::MCSubtargetInfo> probe(
      target->createMCSubtargetInfo(triple, "", ""));
  if (!probe->isCPUStringValid(cpu))
    return emitError(loc) << "unknown CPU '" << opts.cpu << "' for '"
                          << opts.triple << "'";
  llvm::SmallVector<llvm::StringRef> requested;
  llvm::StringRef(opts.features).split(requested, ',', -1, false);
  for (llvm::StringRef feature : requested) {
    llvm::StringRef name = feature.trim();
    bool enable = !name.consume_front("-");
    if (enable)
      name.consume_front("+");
    if (!llvm::any_of(
            probe->getAllProcessorFeatures(),
            [&](const llvm::SubtargetFeatureKV &kv) { return name == kv.Key; }))
      return emitError(loc) << "unknown target feature '" << name << "' for '"
                            << opts.triple << "'";
    features.push_back((enable ? "+" : "-") + name.str());
  }

  llvm::TargetOptions targetOptions;
  std::unique_ptr<llvm::TargetMachine> tm(target->createTargetMachine(
      triple, cpu, llvm::join(features, ","), targetOptions, llvm::Reloc::PIC_,
      std::nullopt, llvm::CodeGenOptLevel::Aggressive));
  if (!tm)
    return emitError(loc) << "cannot create a target machine for '"
                          << opts.triple << "' (cpu '" << cpu << "')";
  return tm;
}

int64_t vectorKernelBits(const llvm::TargetMachine &tm) {
  return tm.getTargetTriple().isX86() &&
                 tm.getMCSubtargetInfo()->checkFeatures("+avx512f")
             ? 512
             : 256;
}

const char *dtypeName(uint32_t dtype) {
  const char *name = kiln_dtype_short_name(dtype);
  return name ? name : "?";
}

LogicalResult readSignature(ModuleOp module, ModelSignature &sig) {
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main)
    return module.emitError("the module has no 'main' function");
  sig.inputs.clear();
  sig.outputs.clear();
  for (unsigned i = 0; i < main.getNumArguments(); ++i) {
    TensorSpec spec;
    if (failed(specOf(main.getLoc(), main.getArgument(i).getType(),
                      main.getArgAttr(i, "kiln.name"),
                      "input" + std::to_string(i), spec,
                      main.getArgAttr(i, "kiln.unsigned") != nullptr)))
      return failure();
    sig.inputs.push_back(std::move(spec));
  }
  for (unsigned i = 0; i < main.getNumResults(); ++i) {
    TensorSpec spec;
    if (failed(specOf(main.getLoc(), main.getResultTypes()[i],
                      main.getResultAttr(i, "kiln.name"),
                      "output" + std::to_string(i), spec,
                      main.getResultAttr(i, "kiln.unsigned") != nullptr)))
      return failure();
    sig.outputs.push_back(std::move(spec));
  }
  if (sig.outputs.empty())
    return main.emitError("the model has no outputs");
  if (failed(checkUnique(main.getLoc(), "input", sig.inputs)) ||
      failed(checkUnique(main.getLoc(), "output", sig.outputs)))
    return failure();
  return success();
}

std::vector<uint8_t> encodeDescriptor(const ModelSignature &sig, bool parallel,
                                      llvm::ArrayRef<std::string> layers,
                                      bool noSegments) {
  std::vector<uint8_t> payload;
  put32(payload, sig.inputs.size());
  put32(payload, sig.outputs.size());
  for (const auto *list : {&sig.inputs, &sig.outputs})
    for (const TensorSpec &t : *list) {
      putName(payload, t.name);
      payload.push_back(uint8_t(t.dtype));
      payload.push_back(uint8_t(t.dims.size()));
      for (int64_t d : t.dims)
        put64(payload, uint64_t(d));
    }
  put64(payload, sig.arenaSize);
  put32(payload, uint32_t(kArenaAlignment));
  // One segment on the CPU: entry 0 takes inputs, outputs, the arena, then
  // (if it has parallel loops) the session's kiln_parallel. None in a model
  // that runs through its variants or only on its device plans.
  put32(payload, noSegments ? 0 : 1);
  if (!noSegments) {
    payload.push_back(KILN_DEVICE_CPU);
    put32(payload, 0);
    put32(payload, sig.inputs.size() + sig.outputs.size() + 1 + parallel);
    for (size_t i = 0; i < sig.inputs.size(); ++i) {
      payload.push_back(KILN_ARG_INPUT);
      put32(payload, i);
    }
    for (size_t i = 0; i < sig.outputs.size(); ++i) {
      payload.push_back(KILN_ARG_OUTPUT);
      put32(payload, i);
    }
    payload.push_back(KILN_ARG_ARENA);
    put32(payload, 0);
    if (parallel) {
      payload.push_back(KILN_ARG_PARALLEL);
      put32(payload, 0);
    }
  }
  put32(payload, layers.size());
  for (const std::string &layer : layers) {
    std::string name = layer.substr(0, KILN_MAX_NAME_LEN);
    std::replace(name.begin(), name.end(), '\0', '?');
    putName(payload, name.empty() ? "(unnamed)" : name);
  }

  std::vector<uint8_t> blob;
  put32(blob, KILN_DESCRIPTOR_MAGIC);
  put32(blob, KILN_DESCRIPTOR_VERSION);
  put32(blob, payload.size());
  put32(blob, kiln_fnv1a32(payload.data(), payload.size()));
  blob.insert(blob.end(), payload.begin(), payload.end());
  return blob;
}

/// How many parts to generate code for in parallel: `threads` (0: the
/// cores, at most 8), but one for a module of few functions, where the
/// split's bitcode round trip would cost more than it saves.
unsigned partsFor(const llvm::Module &m, unsigned threads) {
  if (threads == 0)
    threads = std::min(8u, llvm::hardware_concurrency().compute_thread_count());
  unsigned functions = 0;
  for (const llvm::Function &f : m)
    functions += !f.isDeclaration();
  return functions < 8 ? 1 : std::max(1u, threads);
}

/// Machine code for `m` in `parts` parts (llvm::SplitModule), generated on
/// as many threads, each part in its own LLVMContext (reached through
/// bitcode, as LLVM's ParallelCG does), then joined by a relocatable link
/// into the one object at `path`. The split makes internal symbols that
/// parts share global and hidden; they get the model's name first, so that
/// two models still link into one app.
LogicalResult emitParts(ModuleOp module, llvm::Module &m,
                        llvm::TargetMachine &tm, unsigned parts,
                        llvm::StringRef path) {
  std::string tag = "kiln." + m.getModuleIdentifier() + ".";
  unsigned unnamed = 0;
  std::string own = "kiln_" + m.getModuleIdentifier() + "_";
  auto rename = [&](llvm::GlobalValue &v) {
    // Names that already carry the model's are unique as they are.
    if (v.isDeclaration() || !v.hasLocalLinkage() ||
        v.getName().starts_with(own))
      return;
    v.setName(v.hasName() ? tag + v.getName().str()
                          : tag + "anon" + std::to_string(unnamed++));
  };
  for (llvm::Function &f : m)
    rename(f);
  for (llvm::GlobalVariable &g : m.globals())
    rename(g);

  std::vector<llvm::SmallString<0>> bitcode;
  // Round robin over the functions by size: the parts take about as long.
  llvm::SplitModule(
      m, parts,
      [&](std::unique_ptr<llvm::Module> part) {
        bitcode.emplace_back();
        llvm::raw_svector_ostream os(bitcode.back());
        llvm::WriteBitcodeToFile(*part, os);
      },
      /*preserveLocals=*/false, /*roundRobin=*/true);

  llvm::SmallVector<llvm::SmallString<128>> files(bitcode.size());
  llvm::SmallVector<std::unique_ptr<llvm::FileRemover>> removers;
  for (llvm::SmallString<128> &file : files) {
    if (llvm::sys::fs::createTemporaryFile("kilnc-part", "o", file))
      return module.emitError("cannot create a temporary file");
    removers.push_back(std::make_unique<llvm::FileRemover>(file));
  }
  const llvm::Target &target = tm.getTarget();
  llvm::Triple triple = tm.getTargetTriple();
  std::string cpu = tm.getTargetCPU().str(),
              features = tm.getTargetFeatureString().str();
  llvm::TargetOptions options = tm.Options;
  auto reloc = tm.getRelocationModel();
  auto codeModel = tm.getCodeModel();
  auto level = tm.getOptLevel();
  std::vector<std::string> errors(bitcode.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < bitcode.size(); ++i)
    threads.emplace_back([&, i] {
      llvm::LLVMContext context;
      auto part = llvm::parseBitcodeFile(
          llvm::MemoryBufferRef(bitcode[i].str(), "part"), context);
      if (!part) {
        errors[i] = llvm::toString(part.takeError());
        return;
      }
      std::unique_ptr<llvm::TargetMachine> machine(target.createTargetMachine(
          triple, cpu, features, options, reloc, codeModel, level));
      if (!machine) {
        errors[i] = "cannot create a target machine for a part";
        return;
      }
      auto optimise = makeOptimizingTransformer(3, 0, machine.get());
      if (llvm::Error err = optimise(part->get())) {
        errors[i] =
            "LLVM optimisation failed: " + llvm::toString(std::move(err));
        return;
      }
      std::error_code ec;
      llvm::raw_fd_ostream out(files[i], ec);
      llvm::legacy::PassManager codegen;
      if (ec || machine->addPassesToEmitFile(
                    codegen, out, nullptr, llvm::CodeGenFileType::ObjectFile)) {
        errors[i] = "cannot generate code for a part";
        return;
      }
      codegen.run(**part);
      out.close();
      if (out.has_error()) {
        out.clear_error();
        errors[i] = "cannot write a part of the object";
      }
    });
  for (std::thread &t : threads)
    t.join();
  for (const std::string &error : errors)
    if (!error.empty())
      return module.emitError(error);
  llvm::SmallVector<llvm::StringRef> args = {"-r", "-o", path};
  for (llvm::SmallString<128> &file : files)
    args.push_back(file);
  std::string what = ("joining the parts of '" + path + "'").str();
  // The symbols the split made global go back to local: the object
  // defines kiln_model_<name> (and kiln_model_get) and nothing else.
  return failure(
      failed(runLinker(*module.getContext(), args, what)) ||
      failed(runTool(*module.getContext(),
                     {"llvm-objcopy-22", "/usr/lib/llvm-22/bin/llvm-objcopy"},
                     "llvm-objcopy-22 (install llvm-22)",
                     {"--localize-hidden", path}, what)));
}

FailureOr<SegmentEntry> segmentEntry(ModuleOp lowered, unsigned tensors) {
  auto main = lowered.lookupSymbol<LLVM::LLVMFuncOp>("main");
  unsigned n = main ? main.getNumArguments() : 0;
  if (!main || n < tensors + 1 || n > tensors + 2)
    return lowered.emitError("lowered segment 'main' does not take (inputs..., "
                             "outputs..., arena[, parallel])");
  SegmentEntry entry;
  entry.parallel = n == tensors + 2;
  if (auto size = main->getAttrOfType<IntegerAttr>(kiln::kArenaSizeAttr))
    entry.arenaBytes = size.getInt();
  return entry;
}

LogicalResult addSegment(ModuleOp module, ModuleOp segment, unsigned entry) {
  std::string tag = "s" + std::to_string(entry) + "_";
  SymbolTable into(module);
  SmallVector<Operation *> drop;
  for (Operation &op : segment.getBody()->getOperations()) {
    auto name = op.getAttrOfType<StringAttr>(SymbolTable::getSymbolAttrName());
    if (!name)
      continue;
    StringRef old = name.getValue();
    std::string renamed;
    if (old == "main")
      renamed = "kiln.segment." + std::to_string(entry);
    else if (old.starts_with("kiln.dispatch.") || old.starts_with("kiln.task."))
      renamed = (old.substr(0, old.rfind('.') + 1) + tag +
                 old.substr(old.rfind('.') + 1))
                    .str();
    else if (auto fn = dyn_cast<LLVM::LLVMFuncOp>(op);
             fn && fn.isExternal() && into.lookup(old)) {
      drop.push_back(&op); // one declaration serves both
      continue;
    } else {
      renamed = (old + "." + tag.substr(0, tag.size() - 1)).str();
    }
    if (failed(SymbolTable::replaceAllSymbolUses(
            &op, StringAttr::get(module.getContext(), renamed), segment)))
      return segment.emitError("cannot rename '") << old << "'";
    SymbolTable::setSymbolName(&op, renamed);
  }
  for (Operation *op : drop)
    op->erase();
  for (Operation &op :
       llvm::make_early_inc_range(segment.getBody()->getOperations()))
    op.moveBefore(module.getBody(), module.getBody()->end());
  return success();
}

LogicalResult emitObject(ModuleOp module, const ModelSignature &sig,
                         const CPUTargetOptions &opts, llvm::TargetMachine &tm,
                         bool shared, bool emitIR, llvm::StringRef path,
                         llvm::ArrayRef<uint8_t> openclPlan,
                         llvm::ArrayRef<uint8_t> nnaPlan, bool cpuVariant) {
  MLIRContext &ctx = *module.getContext();
  DialectRegistry registry;
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  ctx.appendDialectRegistry(registry);

  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, llvmContext, opts.modelName);
  if (!llvmModule)
    return module.emitError("translation to LLVM IR failed");
  llvm::Module &m = *llvmModule;
  m.setTargetTriple(tm.getTargetTriple());
  m.setDataLayout(tm.createDataLayout());

  const std::string prefix = "kiln_" + opts.modelName;
  llvm::Function *main = m.getFunction("main");
  size_t numArgs = sig.inputs.size() + sig.outputs.size() + 1;
  // kiln-outline-parallel adds the kiln_parallel pointer as a last argument.
  bool parallel = main && main->arg_size() == numArgs + 1;
  if (!main || main->arg_size() != numArgs + parallel ||
      !main->getReturnType()->isVoidTy() ||
      llvm::any_of(main->args(), [](llvm::Argument &a) {
        return !a.getType()->isPointerTy();
      }))
    return module.emitError("lowered 'main' does not take (inputs..., "
                            "outputs..., arena[, parallel]) pointers");
  main->setName(prefix + "_main");

  llvm::Type *ptrTy = llvm::PointerType::getUnqual(llvmContext);
  llvm::Type *i32 = llvm::Type::getInt32Ty(llvmContext);
  llvm::Type *i64 = llvm::Type::getInt64Ty(llvmContext);
  llvm::Type *voidTy = llvm::Type::getVoidTy(llvmContext);
  // Calls `callee` with the pointers in the array `args` (as many as
  // `callee` takes before `extra`), then `extra`.
  auto callUnpacked = [&](llvm::IRBuilder<> &b, llvm::Function *callee,
                          llvm::Value *args,
                          llvm::ArrayRef<llvm::Value *> extra) {
    llvm::SmallVector<llvm::Value *> values;
    for (unsigned i = 0; i < callee->arg_size() - extra.size(); ++i)
      values.push_back(
          b.CreateLoad(ptrTy, b.CreateConstGEP1_64(ptrTy, args, i)));
    values.append(extra.begin(), extra.end());
    b.CreateCall(callee, values);
  };
  // Entry 0 runs the model; entries 1, 2, ... the GPU variant's CPU
  // segments (addSegment).
  llvm::SmallVector<llvm::Constant *> entryFns;
  for (unsigned k = 0;; ++k) {
    llvm::Function *callee =
        k ? m.getFunction("kiln.segment." + std::to_string(k)) : main;
    if (!callee)
      break;
    if (k)
      callee->setName(prefix + "_segment" + std::to_string(k));
    auto *entry =
        llvm::Function::Create(llvm::FunctionType::get(voidTy, {ptrTy}, false),
                               llvm::GlobalValue::InternalLinkage,
                               prefix + "_entry" + std::to_string(k), m);
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(llvmContext, "entry", entry));
    callUnpacked(b, callee, entry->getArg(0), {});
    b.CreateRetVoid();
    entryFns.push_back(entry);
  }

  // kiln.dispatch.N(par, args..., count) hands kiln.task.N(args..., begin,
  // end) to par->run (model_format.h) through a trampoline that unpacks the
  // argument array; the array lives on the stack, run() is synchronous.
  auto *taskTy = llvm::FunctionType::get(voidTy, {ptrTy, i64, i64}, false);
  auto *runTy = llvm::FunctionType::get(voidTy, {ptrTy, ptrTy, ptrTy, i64},
                                        false);
  for (llvm::Function &dispatch : llvm::make_early_inc_range(m)) {
    llvm::StringRef name = dispatch.getName();
    if (!dispatch.isDeclaration() || !name.consume_front("kiln.dispatch."))
      continue;
    llvm::Function *task = m.getFunction(("kiln.task." + name).str());
    unsigned n = dispatch.arg_size() - 2;
    if (!task || dispatch.arg_size() < 2 || task->arg_size() != n + 2 ||
        !dispatch.getArg(n + 1)->getType()->isIntegerTy(64))
      return module.emitError("malformed parallel task ")
             << dispatch.getName().str();
    auto *trampoline = llvm::Function::Create(
        taskTy, llvm::GlobalValue::InternalLinkage,
        prefix + "_task" + name.str(), m);
    {
      llvm::IRBuilder<> b(
          llvm::BasicBlock::Create(llvmContext, "entry", trampoline));
      callUnpacked(b, task, trampoline->getArg(0),
                   {trampoline->getArg(1), trampoline->getArg(2)});
      b.CreateRetVoid();
    }
    llvm::IRBuilder<> b(
        llvm::BasicBlock::Create(llvmContext, "entry", &dispatch));
    llvm::Value *array = b.CreateAlloca(ptrTy, b.getInt32(n));
    for (unsigned i = 0; i < n; ++i)
      b.CreateStore(dispatch.getArg(i + 1),
                    b.CreateConstGEP1_64(ptrTy, array, i));
    llvm::Value *par = dispatch.getArg(0);
    llvm::Value *run = b.CreateLoad(ptrTy, par); // kiln_parallel::run
    b.CreateCall(runTy, run, {par, trampoline, array, dispatch.getArg(n + 1)});
    b.CreateRetVoid();
  }

  // kiln-mark-layers' calls of @kiln.mark(par, layer) become par->mark.
  if (llvm::Function *mark = m.getFunction("kiln.mark")) {
    if (!mark->isDeclaration() || mark->arg_size() != 2 ||
        !mark->getArg(1)->getType()->isIntegerTy(32))
      return module.emitError("malformed kiln.mark declaration");
    mark->setName(prefix + "_mark");
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(llvmContext, "entry", mark));
    llvm::Value *par = mark->getArg(0);
    llvm::Value *fn = b.CreateLoad(
        ptrTy, b.CreateConstGEP1_64(ptrTy, par, 1)); // kiln_parallel::mark
    b.CreateCall(llvm::FunctionType::get(voidTy, {ptrTy, i32}, false), fn,
                 {par, mark->getArg(1)});
    b.CreateRetVoid();
  }
  std::vector<std::string> layers;
  if (auto names = module->getAttrOfType<ArrayAttr>(kLayersAttr))
    for (auto name : names.getAsRange<StringAttr>())
      layers.push_back(name.str());
  std::vector<uint8_t> blob =
      encodeDescriptor(sig, parallel, layers, /*noSegments=*/!cpuVariant);
  auto *descriptor = new llvm::GlobalVariable(
      m, llvm::ArrayType::get(llvm::Type::getInt8Ty(llvmContext), blob.size()),
      true, llvm::GlobalValue::InternalLinkage,
      llvm::ConstantDataArray::get(llvmContext, llvm::ArrayRef(blob)),
      prefix + "_descriptor");
  descriptor->setAlignment(llvm::Align(8));
  auto *entriesTy = llvm::ArrayType::get(ptrTy, entryFns.size());
  auto *entries = new llvm::GlobalVariable(
      m, entriesTy, true, llvm::GlobalValue::InternalLinkage,
      llvm::ConstantArray::get(entriesTy, entryFns), prefix + "_entries");
  // The GPU variant (kiln/opencl_plan.h) and the NNA variant
  // (kiln/nna_plan.h), if any: 8-byte aligned blobs, or NULL.
  llvm::Constant *plan = blobGlobal(m, openclPlan, prefix + "_opencl_plan");
  llvm::Constant *nna = blobGlobal(m, nnaPlan, prefix + "_nna_plan");
  llvm::GlobalVariable *model = createModelStruct(
      m, prefix, descriptor, blob.size(), entries, entryFns.size(), plan,
      openclPlan.size(), nna, nnaPlan.size());

  // kiln-autotune-patterns' choices, as text in a section of their own
  // (llvm-readelf -p .kiln.autotune model.o).
  if (auto tuned = module->getAttrOfType<ArrayAttr>(kAutotuneAttr)) {
    std::string text;
    for (auto record : tuned.getAsRange<StringAttr>())
      text += record.getValue().str() + "\n";
    auto *records = new llvm::GlobalVariable(
        m,
        llvm::ArrayType::get(llvm::Type::getInt8Ty(llvmContext), text.size()),
        true, llvm::GlobalValue::InternalLinkage,
        llvm::ConstantDataArray::getString(llvmContext, text, false),
        prefix + "_autotune");
    records->setSection(kAutotuneSection);
    llvm::appendToUsed(m, {records});
  }

  llvm::SmallVector<std::string> exported;
  addAccessors(m, model, opts.modelName, shared, exported);
  // Only the accessors are visible: two models linked into one app never
  // clash, and unused code can be dropped.
  for (llvm::Function &f : m)
    if (!f.isDeclaration() && !llvm::is_contained(exported, f.getName()))
      f.setLinkage(llvm::GlobalValue::InternalLinkage);
  for (llvm::GlobalVariable &g : m.globals())
    if (!g.isDeclaration())
      g.setLinkage(llvm::GlobalValue::InternalLinkage);

  // Self-describing IR: the optimiser and --emit=llvm-ir see the target.
  for (llvm::Function &f : m) {
    if (f.isDeclaration())
      continue;
    f.addFnAttr("target-cpu", tm.getTargetCPU());
    if (!tm.getTargetFeatureString().empty())
      f.addFnAttr("target-features", tm.getTargetFeatureString());
  }

  // In parts, each part is optimised on its own thread too: the functions
  // (tasks, their trampolines, @main) need little from each other.
  unsigned parts = partsFor(m, opts.codegenThreads);
  if (!emitIR && parts > 1)
    return emitParts(module, m, tm, parts, path);

  auto optimise = makeOptimizingTransformer(3, 0, &tm);
  if (llvm::Error err = optimise(&m))
    return module.emitError("LLVM optimisation failed: ")
           << llvm::toString(std::move(err));

  return writeModule(module.getLoc(), m, tm, emitIR, path);
}

LogicalResult emitVariantModel(MLIRContext &ctx, const ModelSignature &sig,
                               llvm::ArrayRef<uint8_t> table,
                               llvm::ArrayRef<std::string> subModels,
                               const CPUTargetOptions &opts,
                               llvm::TargetMachine &tm, bool shared,
                               llvm::StringRef path) {
  llvm::LLVMContext llvmContext;
  llvm::Module m(opts.modelName, llvmContext);
  m.setTargetTriple(tm.getTargetTriple());
  m.setDataLayout(tm.createDataLayout());
  const std::string prefix = "kiln_" + opts.modelName;
  std::vector<uint8_t> blob =
      encodeDescriptor(sig, false, {}, /*noSegments=*/true);
  llvm::Constant *descriptor = blobGlobal(m, blob, prefix + "_descriptor");
  llvm::Constant *tableData = blobGlobal(m, table, prefix + "_variants");
  auto *ptrTy = llvm::PointerType::get(llvmContext, 0);
  auto *getTy = llvm::FunctionType::get(ptrTy, {}, false);
  SmallVector<llvm::Constant *> fns;
  for (const std::string &name : subModels)
    fns.push_back(llvm::cast<llvm::Constant>(
        m.getOrInsertFunction("kiln_model_" + name, getTy).getCallee()));
  auto *fnsTy = llvm::ArrayType::get(ptrTy, fns.size());
  auto *models = new llvm::GlobalVariable(
      m, fnsTy, true, llvm::GlobalValue::InternalLinkage,
      llvm::ConstantArray::get(fnsTy, fns), prefix + "_variant_models");
  llvm::GlobalVariable *model = createModelStruct(
      m, prefix, descriptor, blob.size(), nullptr, 0, nullptr, 0, nullptr, 0,
      tableData, table.size(), models, fns.size());
  llvm::SmallVector<std::string> exported;
  addAccessors(m, model, opts.modelName, shared, exported);
  return writeModule(UnknownLoc::get(&ctx), m, tm, /*emitIR=*/false, path);
}

std::string headerText(const ModelSignature &sig,
                       const CPUTargetOptions &opts) {
  std::string guard =
      "KILN_MODEL_" + llvm::StringRef(opts.modelName).upper() + "_H";
  std::string s;
  llvm::raw_string_ostream os(s);
  os << "/* Generated by kilnc for " << opts.triple << ". Do not edit.\n *\n";
  auto list = [&](const char *what, const std::vector<TensorSpec> &ts) {
    for (const TensorSpec &t : ts) {
      os << " *   " << what << " '" << t.name << "': " << dtypeName(t.dtype)
         << " ";
      for (size_t i = 0; i < t.dims.size(); ++i)
        os << (i ? "x" : "") << t.dims[i];
      os << "\n";
    }
  };
  list("input ", sig.inputs);
  list("output", sig.outputs);
  os << " *   arena: " << sig.arenaSize << " bytes\n */\n";
  os << "#ifndef " << guard << "\n#define " << guard << "\n\n"
     << "#include \"kiln/model_format.h\"\n\n"
     << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
     << "/* Pass the result to kiln_session_create (kiln/runtime.h). */\n"
     << "const kiln_model *kiln_model_" << opts.modelName << "(void);\n\n"
     << "#ifdef __cplusplus\n}\n#endif\n#endif /* " << guard << " */\n";
  return s;
}

LogicalResult linkShared(MLIRContext &ctx, llvm::StringRef objectPath,
                         llvm::StringRef sharedPath) {
  return runLinker(
      ctx, {"-shared", "-z", "noexecstack", "-o", sharedPath, objectPath},
      ("linking '" + sharedPath + "'").str());
}

LogicalResult runLinker(MLIRContext &ctx, llvm::ArrayRef<llvm::StringRef> args,
                        llvm::StringRef what) {
  return runTool(ctx, {"ld.lld-22", "/usr/lib/llvm-22/bin/ld.lld", "ld.lld"},
                 "ld.lld-22 (install lld-22)", args, what);
}

LogicalResult runTool(MLIRContext &ctx,
                      llvm::ArrayRef<llvm::StringRef> candidates,
                      llvm::StringRef needed,
                      llvm::ArrayRef<llvm::StringRef> args,
                      llvm::StringRef what) {
  Location loc = UnknownLoc::get(&ctx);
  std::string linker;
  for (llvm::StringRef candidate : candidates) {
    if (auto found = llvm::sys::findProgramByName(candidate)) {
      linker = *found;
      break;
    }
  }
  if (linker.empty())
    return emitError(loc) << what << ": " << needed << " not found";
  // The linker's messages become the one line kilnc prints.
  llvm::SmallString<128> log;
  if (llvm::sys::fs::createTemporaryFile("kilnc-ld", "log", log))
    return emitError(loc) << "cannot create a temporary file";
  llvm::FileRemover removeLog(log);
  llvm::SmallVector<llvm::StringRef> argv = {linker};
  argv.append(args.begin(), args.end());
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, log.str(),
                                                log.str()};
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(linker, argv, std::nullopt, redirects, 0,
                                     0, &message);
  if (rc == 0)
    return success();
  if (auto output = llvm::MemoryBuffer::getFile(log)) {
    llvm::StringRef text = (*output)->getBuffer();
    size_t at = text.find("error: ");
    if (at != llvm::StringRef::npos)
      message = text.substr(at + 7).split('\n').first.str();
  }
  return emitError(loc) << what << " failed"
                        << (message.empty() ? "" : ": " + message);
}

} // namespace kiln::cpu
