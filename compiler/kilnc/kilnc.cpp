//===- kilnc.cpp - the Kiln compiler driver --------------------------------===//
//
//   kilnc MODEL.onnx --target=TRIPLE -o model.o      object + model.h
//   kilnc MODEL.onnx --emit=shared -o model.so       shared library
//   kilnc MODEL.onnx --emit=mlir -o -                nn IR after import
//
// One pass manager holds the whole pipeline, so the MLIR IR-printing flags
// (--mlir-print-ir-after-all, --print-after=PASS) see every stage. Every
// failure is one line on stderr and exit code 1.
//
//===----------------------------------------------------------------------===//
#include "compiler/kilnc/Report.h"
#include "compiler/onnx/Importer.h"
#include "dialects/nn/NNDialect.h"
#include "dialects/nn/NNOps.h"
#include "dialects/nna/NNADialect.h"
#include "passes/Passes.h"
#include "passes/Pipeline.h"
#include "targets/cpu/LoweringPipeline.h"
#include "targets/cpu/ObjectEmitter.h"
#include "targets/cpu/Passes.h"
#include "targets/nna/Calibration.h"
#include "targets/nna/NNAPlan.h"
#include "targets/opencl/OpenCLPlan.h"
#include "targets/variants/VariantBuilder.h"

#include "kiln/variants.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "llvm/ADT/Statistic.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/IR/PrintPasses.h"
#include "llvm/Pass.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

#include <cstdlib>
#include <limits>
#include <map>

using namespace mlir;
namespace cl = llvm::cl;

namespace {

// libLLVM.so registers hundreds of backend options; --help shows only
// kilnc's, grouped as clang groups its own (printHelp).
cl::OptionCategory outputCategory("Output options");
cl::OptionCategory inputCategory("Model input options");
cl::OptionCategory targetCategory("Target options");
cl::OptionCategory optCategory(
    "Optimisation options",
    "-O3 is the default; -O0..-O2 turn graph passes off, and the flags "
    "below override the level");
cl::OptionCategory deviceCategory("Device and variant options");
cl::OptionCategory quantCategory("Quantisation options");
cl::OptionCategory pruneCategory("Pruning options");
cl::OptionCategory diagCategory("Diagnostic and report options");
const cl::OptionCategory *const kCategories[] = {
    &outputCategory, &inputCategory, &targetCategory, &optCategory,
    &deviceCategory, &quantCategory, &pruneCategory,  &diagCategory};

cl::opt<std::string> inputPath(cl::Positional, cl::desc("<model.onnx|.mlir>"),
                               cl::Required, cl::cat(outputCategory));
cl::opt<std::string> outputPath("o", cl::desc("output file (- for stdout)"),
                                cl::value_desc("path"),
                                cl::cat(outputCategory));
cl::opt<std::string>
    targetTriple("target",
                 cl::desc("target triple: x86_64-linux-gnu (default), "
                          "aarch64-linux-gnu, aarch64-linux-android"),
                 cl::init("x86_64-linux-gnu"), cl::cat(targetCategory));
// A string, not a cl::values enum: LLVM prints a bad enum value itself, in
// its own format, and kilnc's errors are all in kilnc's one-line form.
cl::opt<std::string> emitKindName(
    "emit",
    cl::desc("what to write: obj (object file + C header, the default), "
             "shared (shared library that kiln-run loads), mlir (nn dialect "
             "after import), mlir-linalg (after nn -> linalg), mlir-llvm "
             "(LLVM dialect), llvm-ir (optimised LLVM IR), opencl (the GPU "
             "variant's OpenCL C), nna (the NNA variant's steps and "
             "command streams), calibration (the activation ranges "
             "int8 quantisation would use)"),
    cl::value_desc("kind"), cl::init("obj"), cl::cat(outputCategory));
enum class Emit {
  Obj,
  Shared,
  MLIR,
  MLIRLinalg,
  MLIRLLVM,
  LLVMIR,
  OpenCL,
  NNA,
  Calibration
};

cl::list<std::string>
    inputShapes("input-shape",
                cl::desc("pin an input's shape, e.g. input=1x3x224x224"),
                cl::value_desc("name=DIMS"), cl::cat(inputCategory));
cl::list<std::string> frozenInputs(
    "freeze-input",
    cl::desc("compile an input in as a constant, read from an ONNX "
             "TensorProto file (e.g. a shape fed to Reshape)"),
    cl::value_desc("name=FILE.pb"), cl::cat(inputCategory));
cl::opt<std::string>
    modelName("name",
              cl::desc("model name: the object defines kiln_model_<name>() "
                       "(default: the output file's stem)"),
              cl::cat(outputCategory));
cl::opt<bool> noMemoryReuse(
    "no-memory-reuse",
    cl::desc("plan the arena without in-place reuse or copy elision "
             "(liveness-based sharing stays): for measuring their effect"),
    cl::cat(optCategory));
cl::opt<std::string> mcpu("mcpu",
                          cl::desc("target CPU (e.g. cortex-a76, native)"),
                          cl::cat(targetCategory));
cl::opt<unsigned> codegenThreads(
    "codegen-threads",
    cl::desc("threads that generate machine code, each for a part of the "
             "module (default 0: one per core, at most 8; 1: one part)"),
    cl::init(0), cl::cat(targetCategory));
cl::opt<bool> noFuse("no-fuse",
                     cl::desc("keep every nn op a kernel of its own (no "
                              "kiln-fuse-* passes)"),
                     cl::cat(optCategory));
cl::opt<std::string> mattr("mattr",
                           cl::desc("target features (e.g. +dotprod,-avx2)"),
                           cl::cat(targetCategory));
cl::opt<bool> noMerge("no-merge",
                      cl::desc("skip the graph merging passes (sibling "
                               "convolutions on one input, consecutive 1x1 "
                               "convolutions)"),
                      cl::cat(optCategory));
cl::opt<std::string> tileBudgetFlag(
    "tile-budget",
    cl::desc("split convolutions and gemms whose operands and result take "
             "more than this many bytes (suffix K, M: KiB, MiB; 0: no "
             "split; default: the target's last-level cache, 8M on x86-64, "
             "2M on aarch64)"),
    cl::value_desc("BYTES"), cl::cat(optCategory));
cl::opt<std::string> pruneFlag(
    "prune",
    cl::desc("weight pruning: none (default) or pattern (PatDNN: every 3x3 "
             "conv kernel keeps a 4-tap pattern from a set chosen from the "
             "model's weights; docs/passes.md#pattern-pruning)"),
    cl::init("none"), cl::cat(pruneCategory));
cl::opt<int64_t> prunePatterns("prune-patterns",
                               cl::desc("size of the pattern set (default 8)"),
                               cl::init(8), cl::cat(pruneCategory));
cl::opt<double> pruneConnectivity(
    "prune-connectivity",
    cl::desc("with --prune=pattern, the fraction of each 3x3 conv's kernels "
             "to remove entirely (connectivity pruning; 0.71875 with the "
             "patterns: 8x fewer weights)"),
    cl::init(0.0), cl::cat(pruneCategory));
cl::opt<std::string> pruneReport(
    "prune-report",
    cl::desc("write what pattern pruning or detection did, per 3x3 conv, "
             "to this JSON file"),
    cl::cat(pruneCategory));
cl::opt<std::string> devicesFlag(
    "devices",
    cl::desc("devices to compile for, comma-separated: cpu (always: the "
             "fallback), gpu (an OpenCL variant in the artifact; "
             "kiln-run --device=gpu) and nna (the graph quantised to int8, "
             "calibrated with --calibrate, its nna ops as Kiln NNA command "
             "streams; kiln-run --device=nna-sim)"),
    cl::value_desc("cpu[,gpu][,nna]"), cl::init("cpu"),
    cl::cat(deviceCategory));
cl::opt<bool> noCPUVariant(
    "no-cpu-variant",
    cl::desc("with --devices=...,gpu or nna: leave out the CPU variant (the "
             "model runs only on its device, with no CPU fallback); what "
             "--variants uses for its GPU and NNA variants, whose CPU "
             "counterpart is the fp32 variant"),
    cl::cat(deviceCategory));
cl::opt<bool> nnaLayerByLayer(
    "nna-layer-by-layer",
    cl::desc("with --devices=...,nna: build every command stream layer by "
             "layer (each op loads its inputs from and stores its output to "
             "DRAM, no on-chip reuse): the baseline that split/merge and "
             "fusion are measured against"),
    cl::cat(deviceCategory));
cl::opt<std::string> nnaConfigFlag(
    "nna-config",
    cl::desc("with --devices=...,nna: the Kiln NNA configuration the "
             "streams are built for, small (default) or large (docs/nna.md)"),
    cl::value_desc("small|large"), cl::init("small"), cl::cat(deviceCategory));
cl::opt<std::string> variantsFlag(
    "variants",
    cl::desc("compile per-segment variants the runtime chooses between "
             "(kiln_session_set_constraints; docs/variants.md): the model is "
             "cut into --segments parts and each is compiled as each of "
             "these kinds, comma-separated: fp32, int8, pruned (with the "
             "--prune flags, default pattern), opencl, nna; every variant "
             "is measured on the calibration samples"),
    cl::value_desc("fp32,int8,..."), cl::cat(deviceCategory));
cl::opt<std::string> variantThreads(
    "variant-threads",
    cl::desc("with --variants: the CPU thread counts each CPU variant gets "
             "an entry for, comma-separated (default 1)"),
    cl::value_desc("1,4"), cl::init("1"), cl::cat(deviceCategory));
cl::opt<int64_t> segmentCount(
    "segments",
    cl::desc("with --variants: how many segments to cut the model into, "
             "at most (default 4)"),
    cl::init(4), cl::cat(deviceCategory));
cl::opt<std::string> calibrateDir(
    "calibrate",
    cl::desc("calibration samples for int8 quantisation: a directory of "
             ".npy files (one per sample; with several model inputs, one "
             "subdirectory per sample holding NAME.npy per input); without "
             "it, seeded random N(0,1) samples, with a warning"),
    cl::value_desc("dir"), cl::cat(quantCategory));
cl::opt<std::string> calibrateMethod(
    "calibrate-method",
    cl::desc("how an activation's range comes from the samples: minmax "
             "(the extremes over all samples, the default) or mean (the "
             "mean of each sample's min and max: outliers stretch it less)"),
    cl::value_desc("minmax|mean"), cl::init("minmax"), cl::cat(quantCategory));
cl::opt<int64_t> calibrateSamples(
    "calibrate-samples",
    cl::desc("random calibration samples when --calibrate is not given "
             "(default 8)"),
    cl::init(8), cl::cat(quantCategory));
cl::opt<uint64_t> maxTensorBytes(
    "max-tensor-bytes",
    cl::desc("refuse models with a tensor larger than this (initializers, "
             "inputs, and every value the import makes; default 4 GiB)"),
    cl::init(uint64_t(4) << 30), cl::cat(inputCategory));
cl::opt<int64_t> maxNodes(
    "max-nodes",
    cl::desc("refuse graphs of more nodes than this, subgraphs included "
             "(default 1048576)"),
    cl::init(int64_t(1) << 20), cl::cat(inputCategory));
cl::opt<std::string> precisionFlag(
    "precision",
    cl::desc("arithmetic of the CPU variant: f32 (default) or int8 (the "
             "graph quantised as for the NNA, calibrated with --calibrate, "
             "its int8 ops run as CPU code bit-exactly as the NNA would)"),
    cl::value_desc("f32|int8"), cl::init("f32"), cl::cat(quantCategory));
cl::list<std::string> cpuOps(
    "cpu-ops",
    cl::desc("with --devices=...,gpu: ops the GPU variant runs on the CPU "
             "although the GPU could: nn op names (softmax or nn.softmax) or "
             "ONNX node names, comma-separated"),
    cl::value_desc("op|node,..."), cl::CommaSeparated, cl::cat(deviceCategory));
cl::opt<int64_t> openclLocalSize(
    "opencl-local-size",
    cl::desc("work-items per OpenCL work-group (0: the driver chooses; "
             "default 64)"),
    cl::init(64), cl::cat(deviceCategory));
cl::opt<bool>
    autotune("autotune",
             cl::desc("time each pattern-pruned conv's register tiles on this "
                      "machine and keep the fastest (target: this machine's "
                      "architecture); the choices go into the artifact's "
                      ".kiln.autotune section and --stats"),
             cl::cat(optCategory));
cl::opt<std::string> layoutFlag(
    "layout",
    cl::desc("data layout of convolutions and pools: nhwc (default: the "
             "CPU kernels vectorise over channels) or nchw (ONNX's own, no "
             "kiln-layout pass)"),
    cl::value_desc("nhwc|nchw"), cl::init("nhwc"), cl::cat(optCategory));
cl::opt<bool> noFold("no-fold",
                     cl::desc("skip the graph folding passes (identity and "
                              "dead ops, constants, transpose/reshape chains, "
                              "BatchNormalization, Pad)"),
                     cl::cat(optCategory));

// -O0..-O3 as in clang, one flag each (so --help documents each level);
// the last one given counts. applyOptLevel says what each does.
cl::opt<bool> optLevel0(
    "O0",
    cl::desc("no graph passes (as --no-fold --no-merge --no-fuse), NCHW, no "
             "split; LLVM code generation at -O0"),
    cl::cat(optCategory));
cl::opt<bool> optLevel1(
    "O1",
    cl::desc("folding only (as --no-merge --no-fuse), NCHW, no split; LLVM "
             "code generation at -O1"),
    cl::cat(optCategory));
cl::opt<bool> optLevel2(
    "O2",
    cl::desc("folding, merging, channels-last layout and fusion; no split; "
             "LLVM code generation at -O2"),
    cl::cat(optCategory));
cl::opt<bool> optLevel3(
    "O3",
    cl::desc("(default) every graph pass, split at the tile budget; LLVM "
             "code generation at -O3"),
    cl::cat(optCategory));
cl::opt<std::string>
    reportPath("report",
               cl::desc("write a compile report to this HTML file: the graph "
                        "after partitioning, per-layer cost and memory, the "
                        "memory plan, the graph passes' decisions, the device "
                        "variants and the variant table"),
               cl::value_desc("file.html"), cl::cat(diagCategory));

/// Options registered by MLIR and LLVM that are part of kilnc's interface.
/// (--mlir-print-ir-before/after=PASS only know registered passes, which
/// kilnc does not register: --print-after=PASS takes their place.)
/// --print-after=PASS is LLVM's own option: kilnc reads it through
/// llvm::printAfterPasses() and applies it to MLIR passes. --stats is LLVM's
/// too (llvm::AreStatisticsEnabled()), and so is --time-passes
/// (llvm::TimePassesIsEnabled, which kilnc reads and clears: it times its
/// own stages, not LLVM's codegen passes).
const std::pair<const char *, const char *> kSharedOptions[] = {
    {"print-after", "print the IR after the named pass (e.g. "
                    "kiln-plan-memory) to stderr"},
    {"stats", "print a summary of the artifact (tensors, nn ops before and "
              "after each graph pass, fused groups, constants, arena, size) "
              "to stderr"},
    {"time-passes", "print each stage of the compile (import, graph passes, "
                    "lowering, codegen, link, the device variants' and "
                    "--variants' stages) with its time to stderr as it ends"},
    {"mlir-print-ir-after-all", nullptr},
    {"mlir-print-ir-before-all", nullptr},
    {"mlir-print-ir-after-change", nullptr},
    {"mlir-print-ir-after-failure", nullptr},
    {"mlir-print-ir-module-scope", nullptr},
    {"mlir-print-debuginfo", nullptr},
    {"mlir-timing", nullptr}};

/// --help: kilnc's options by group, in kCategories' order, each group's
/// options by name (LLVM's own printer sorts the groups by name).
void printHelp() {
  llvm::raw_ostream &os = llvm::outs();
  os << "OVERVIEW: Kiln ahead-of-time DNN compiler\n\n"
     << "USAGE: kilnc [options] <model.onnx|model.mlir>\n";
  // --help and --version are in LLVM's generic category.
  const cl::OptionCategory *generic =
      cl::getRegisteredOptions().lookup("version")->Categories.front();
  std::map<const cl::OptionCategory *, std::map<std::string, cl::Option *>>
      groups;
  size_t width = 0;
  for (auto &[key, option] : cl::getRegisteredOptions()) {
    if (option->getOptionHiddenFlag() != cl::NotHidden || option->ArgStr != key)
      continue;
    for (const cl::OptionCategory *category : option->Categories)
      if (llvm::is_contained(kCategories, category) || category == generic) {
        groups[category][option->ArgStr.str()] = option;
        width = std::max(width, option->getOptionWidth());
      }
  }
  auto print = [&](const cl::OptionCategory *category) {
    os << "\n" << llvm::StringRef(category->getName()).upper() << ":\n";
    if (!category->getDescription().empty())
      os << "  " << category->getDescription() << "\n";
    os << "\n";
    for (auto &[name, option] : groups[category]) {
      if (name.size() > 2) {
        option->printOptionInfo(width);
        continue;
      }
      // -o and -O0..-O3 with one dash, as in clang; the description where
      // printOptionInfo puts it.
      std::string flag = "  -" + name;
      if (!option->ValueStr.empty())
        flag += " <" + option->ValueStr.str() + ">";
      os << flag;
      os.indent(width > flag.size() + 3 ? width - 3 - flag.size() : 1)
          << " - " << option->HelpStr << "\n";
    }
  };
  for (const cl::OptionCategory *category : kCategories)
    print(category);
  print(generic);
}

/// Parses the command line; a bad one is one `kilnc: error:` line too.
void parseCommandLine(int argc, char **argv) {
  auto &options = cl::getRegisteredOptions();
  for (auto [name, description] : kSharedOptions)
    if (cl::Option *option = options.lookup(name)) {
      option->addCategory(diagCategory);
      option->setHiddenFlag(cl::NotHidden);
      if (description)
        option->setDescription(description);
    }
  cl::HideUnrelatedOptions(kCategories);
  cl::SetVersionPrinter([](llvm::raw_ostream &os) {
    os << "kilnc " KILN_VERSION " (MLIR/LLVM " LLVM_VERSION_STRING ")\n"
       << "targets: x86_64-linux-gnu (default), aarch64-linux-gnu, "
          "aarch64-linux-android\n";
  });
  for (int i = 1; i < argc; ++i) {
    llvm::StringRef arg = argv[i];
    if (arg == "--")
      break;
    if (arg == "-h" || arg == "-help" || arg == "--help") {
      printHelp();
      std::exit(0);
    }
  }
  std::string errors;
  llvm::raw_string_ostream os(errors);
  if (cl::ParseCommandLineOptions(argc, argv,
                                  "Kiln ahead-of-time DNN compiler\n", &os))
    return;
  // An option's own parser has already printed its one line to stderr.
  if (errors.empty())
    std::exit(1);
  // The rest LLVM writes as "kilnc: <problem>" lines (and hints): join them.
  llvm::SmallVector<llvm::StringRef> lines;
  llvm::StringRef(errors).split(lines, '\n', -1, false);
  std::string message;
  for (llvm::StringRef line : lines) {
    line = line.trim();
    line.consume_front("kilnc: ");
    message += (message.empty() ? "" : " ") + line.str();
  }
  llvm::errs() << "kilnc: error: " << message << "\n";
  std::exit(1);
}

/// Errors as clang prints them, on one line and without a caret:
/// `FILE:NODE: error: MESSAGE` in an ONNX node of the model (FILE as the
/// command line names it), `FILE:LINE:COL: error: ...` in a .mlir file,
/// `FILE: error: ...` for a model as a whole and `kilnc: error: ...` where
/// no place applies. First error only: later ones are consequences
/// ("failed to infer ...").
struct OneLineDiagnostics {
  std::string file; // the model
  bool reported = false;
  void handle(Diagnostic &diag) {
    if (diag.getSeverity() != DiagnosticSeverity::Error || reported)
      return;
    reported = true;
    std::string where = describe(diag.getLocation());
    std::string message = diag.str();
    std::replace(message.begin(), message.end(), '\n', ' ');
    llvm::errs() << (where.empty() ? "kilnc" : where) << ": error: " << message
                 << "\n";
  }
  std::string describe(Location loc) const {
    if (auto name = dyn_cast<NameLoc>(loc))
      return file + ":" + name.getName().str();
    if (auto file = dyn_cast<FileLineColLoc>(loc)) {
      std::string s = file.getFilename().str();
      if (file.getLine())
        s += ":" + std::to_string(file.getLine()) + ":" +
             std::to_string(file.getColumn());
      return s;
    }
    if (auto fused = dyn_cast<FusedLoc>(loc))
      for (Location inner : fused.getLocations())
        if (std::string s = describe(inner); !s.empty())
          return s;
    if (auto site = dyn_cast<CallSiteLoc>(loc))
      return describe(site.getCallee());
    return "";
  }
};

[[noreturn]] void fail(const llvm::Twine &message) {
  llvm::errs() << "kilnc: error: " << message << "\n";
  std::exit(1);
}

std::string sanitise(llvm::StringRef name) {
  std::string s;
  for (char c : name)
    s += llvm::isAlnum(c) || c == '_' ? c : '_';
  if (s.empty() || llvm::isDigit(s[0]))
    s = "m_" + s;
  return s;
}

void writeText(llvm::StringRef path, llvm::function_ref<void(
                                          llvm::raw_ostream &)> write) {
  std::string error;
  auto out = openOutputFile(path, &error);
  if (!out)
    fail("cannot write '" + path + "': " + error);
  write(out->os());
  out->keep();
}

/// Bytes of all intermediate tensors of the graph (nn op results that are
/// neither constants nor model outputs), as if each had its own buffer.
/// Reshapes, flattens and identities are views and not counted.
uint64_t intermediateTensorBytes(ModuleOp module) {
  uint64_t bytes = 0;
  module.walk([&](func::FuncOp func) {
    llvm::DenseSet<Value> returned;
    func.walk([&](func::ReturnOp ret) {
      returned.insert(ret.getOperands().begin(), ret.getOperands().end());
    });
    func.walk([&](Operation *op) {
      if (!isa<kiln::nn::NNDialect>(op->getDialect()) ||
          isa<kiln::nn::ConstantOp, kiln::nn::ReshapeOp, kiln::nn::FlattenOp,
              kiln::nn::IdentityOp>(op))
        return;
      for (Value v : op->getResults()) {
        auto type = dyn_cast<RankedTensorType>(v.getType());
        if (!type || !type.hasStaticShape() || returned.contains(v))
          continue;
        bytes += type.getNumElements() *
                 ((type.getElementTypeBitWidth() + 7) / 8);
      }
    });
  });
  return bytes;
}

/// --stats: how many nn ops (constants aside; a fused group counts as the
/// ops inside it) each graph pass removed, counted around the passes that
/// see nn ops.
struct GraphPassCounts : PassInstrumentation {
  std::vector<std::pair<std::string, std::pair<int64_t, int64_t>>> counts;
  int64_t before = 0;

  static int64_t countOps(Operation *root) {
    int64_t n = 0;
    root->walk([&](Operation *op) {
      if (isa<kiln::nn::NNDialect>(op->getDialect()) &&
          !isa<kiln::nn::ConstantOp, kiln::nn::FusedOp, kiln::nn::YieldOp>(op))
        ++n;
    });
    return n;
  }
  void runBeforePass(Pass *, Operation *op) override { before = countOps(op); }
  void runAfterPass(Pass *pass, Operation *op) override {
    // Only Kiln's graph passes: the lowering removes every nn op.
    if (before && pass->getArgument().starts_with("kiln-"))
      counts.push_back({pass->getArgument().str(), {before, countOps(op)}});
  }
};

/// The graph passes' decisions, counted just before the nn IR is lowered
/// (the groups and pieces are gone afterwards) for --stats.
struct GraphDecisions {
  std::map<std::string, int64_t> fusions; // nn.fused groups by kind
  int64_t splitOps = 0, splitPieces = 0;  // kiln-split
  int64_t dwPwPairs = 0, dwPwBands = 0;   // kiln-fuse-depthwise-pointwise
  int64_t channelsLast = -1; // ops kiln-layout made NHWC; -1: it did not run
  int64_t transposes = 0;    // nn.transpose ops left before lowering
};

/// What kiln-prune-patterns did: per 3x3 conv its kiln.prune dictionary,
/// and the pattern set.
struct PruneResults {
  std::vector<std::pair<std::string, DictionaryAttr>> layers;
  std::vector<int32_t> patternSet;
  bool ran = false;
  bool sparse = false; // the weights already were pattern-sparse
};

struct PruneRecorder : PassInstrumentation {
  PruneResults &results;
  explicit PruneRecorder(PruneResults &results) : results(results) {}
  void runAfterPass(Pass *pass, Operation *op) override {
    if (pass->getArgument() != "kiln-prune-patterns")
      return;
    results.ran = true;
    if (auto set = op->getAttrOfType<DenseI32ArrayAttr>("kiln.pattern_set"))
      results.patternSet.assign(set.asArrayRef().begin(),
                                set.asArrayRef().end());
    op->walk([&](kiln::nn::ConvOp conv) {
      auto info = conv->getAttrOfType<DictionaryAttr>("kiln.prune");
      if (!info)
        return;
      std::string name = kiln::nn::nodeName(conv.getLoc());
      results.layers.push_back({name.empty() ? "(unnamed)" : name, info});
      if (auto sparse = info.getAs<BoolAttr>("sparse"))
        results.sparse = sparse.getValue();
    });
  }
};

int64_t pruneField(DictionaryAttr info, llvm::StringRef key) {
  auto value = info.getAs<IntegerAttr>(key);
  return value ? value.getInt() : 0;
}

/// --prune-report: the pattern set and, per 3x3 conv, the counts and the
/// kept weight norm.
void writePruneReport(const PruneResults &results, llvm::StringRef mode,
                      llvm::StringRef path) {
  std::error_code ec;
  llvm::ToolOutputFile out(path, ec, llvm::sys::fs::OF_None);
  if (ec)
    fail("cannot write '" + path + "': " + ec.message());
  llvm::raw_ostream &os = out.os();
  os << "{\n  \"prune\": \"" << mode
     << "\",\n  \"already_sparse\": " << (results.sparse ? "true" : "false")
     << ",\n  \"pattern_set\": [";
  llvm::interleaveComma(results.patternSet, os);
  os << "],\n  \"layers\": [";
  for (auto [i, entry] : llvm::enumerate(results.layers)) {
    auto &[name, info] = entry;
    auto norm = info.getAs<FloatAttr>("kept_norm");
    os << (i ? "," : "") << "\n    {\"name\": \"";
    llvm::printEscapedString(name, os);
    os << "\", \"kernels\": " << pruneField(info, "kernels")
       << ", \"zero_kernels\": " << pruneField(info, "zero_kernels")
       << ", \"weights\": " << pruneField(info, "weights")
       << ", \"nonzero\": " << pruneField(info, "nonzero")
       << ", \"kept_norm\": "
       << llvm::format("%.6f", norm ? norm.getValueAsDouble() : 1.0) << "}";
  }
  os << "\n  ]\n}\n";
  out.keep();
}

struct DecisionCounter : PassInstrumentation {
  GraphDecisions &decisions;
  explicit DecisionCounter(GraphDecisions &decisions)
      : decisions(decisions) {}
  void runAfterPass(Pass *pass, Operation *op) override {
    if (pass->getArgument() != "kiln-layout")
      return;
    decisions.channelsLast = std::max<int64_t>(decisions.channelsLast, 0);
    op->walk([&](Operation *inner) {
      if (inner->hasAttr("channels_last"))
        ++decisions.channelsLast;
    });
  }
  void runBeforePass(Pass *pass, Operation *op) override {
    if (pass->getArgument() != "convert-nn-to-linalg")
      return;
    op->walk([&](Operation *inner) {
      if (isa<kiln::nn::TransposeOp>(inner))
        ++decisions.transposes;
      if (auto fused = dyn_cast<kiln::nn::FusedOp>(inner))
        ++decisions.fusions[kiln::nn::stringifyFusedKind(fused.getKind())
                                .str()];
      // Every piece carries [index, count]; both pieces of a band of a
      // depthwise + pointwise pair carry [band, bands], and so do the
      // pieces kiln-split cuts them into: a band's op is counted once, by
      // its first piece.
      auto piece = inner->getAttrOfType<DenseI64ArrayAttr>("kiln.split");
      if (piece) {
        ++decisions.splitPieces;
        if (piece.asArrayRef().front() == 0)
          ++decisions.splitOps;
      }
      if (auto band = inner->getAttrOfType<DenseI64ArrayAttr>("kiln.dw_pw");
          band && (!piece || piece.asArrayRef().front() == 0)) {
        ++decisions.dwPwBands;
        if (band.asArrayRef().front() == 0)
          ++decisions.dwPwPairs;
      }
    });
  }
};

/// One line on pattern pruning: what was pruned, or found already sparse.
std::string pruneSummary(const PruneResults &pruned) {
  if (!pruned.ran)
    return "not run";
  if (pruned.layers.empty())
    return "none (3x3 convs kept dense)";
  int64_t weights = 0, nonzero = 0, kernels = 0, zeroKernels = 0;
  double minNorm = 1.0;
  for (auto &[name, info] : pruned.layers) {
    weights += pruneField(info, "weights");
    nonzero += pruneField(info, "nonzero");
    kernels += pruneField(info, "kernels");
    zeroKernels += pruneField(info, "zero_kernels");
    if (auto norm = info.getAs<FloatAttr>("kept_norm"))
      minNorm = std::min(minNorm, norm.getValueAsDouble());
  }
  std::string text;
  llvm::raw_string_ostream os(text);
  os << (pruned.sparse
             ? "already pattern-sparse (kept as is), "
             : "pattern, " + std::to_string(pruned.patternSet.size()) +
                   " patterns, ")
     << pruned.layers.size() << " 3x3 convs: " << nonzero << " of " << weights
     << " weights left ("
     << llvm::format("%.2fx", nonzero ? double(weights) / nonzero : 0.0)
     << " fewer), " << zeroKernels << " of " << kernels
     << " kernels removed, smallest kept norm "
     << llvm::format("%.3f", minNorm);
  return text;
}

/// One line on the layout: what kiln-layout moved, the transposes left.
std::string layoutSummary(const GraphDecisions &decisions) {
  return (decisions.channelsLast < 0
              ? std::string("nchw")
              : "nhwc, " + std::to_string(decisions.channelsLast) +
                    " convs and pools channels-last") +
         "; " + std::to_string(decisions.transposes) + " transposes left";
}

/// --stats: the artifact at a glance.
void printSummary(ModuleOp module, const kiln::cpu::ModelSignature &sig,
                  uint64_t graphBytes,
                  const kiln::cpu::CPUTargetOptions &target,
                  const GraphPassCounts &passCounts,
                  const GraphDecisions &decisions, const PruneResults &pruned,
                  int64_t tileBudget, llvm::StringRef output) {
  uint64_t weightBytes = 0, weights = 0;
  module.walk([&](LLVM::GlobalOp global) {
    auto value = dyn_cast_or_null<ElementsAttr>(global.getValueOrNull());
    if (!global.getConstant() || !value)
      return;
    ++weights;
    weightBytes += value.getNumElements() *
                   ((value.getElementType().getIntOrFloatBitWidth() + 7) / 8);
  });
  uint64_t fileSize = 0;
  llvm::sys::fs::file_size(output, fileSize);
  llvm::raw_ostream &os = llvm::errs();
  os << "kilnc: model '" << target.modelName << "' for " << target.triple
     << "\n";
  auto list = [&](const char *what,
                  const std::vector<kiln::cpu::TensorSpec> &specs) {
    for (const kiln::cpu::TensorSpec &t : specs) {
      os << "kilnc:   " << what << " '" << t.name
         << "': " << kiln::cpu::dtypeName(t.dtype) << " ";
      llvm::interleave(t.dims, os, "x");
      os << "\n";
    }
  };
  list("input ", sig.inputs);
  list("output", sig.outputs);
  for (const auto &[pass, count] : passCounts.counts)
    os << "kilnc:   " << pass << ": " << count.first << " -> " << count.second
       << " nn ops\n";
  os << "kilnc:   constants: " << weights << " (" << weightBytes
     << " bytes)\n"
     << "kilnc:   arena: " << sig.arenaSize << " bytes; intermediate tensors "
     << graphBytes << " bytes (arena/tensors "
     << llvm::format("%.1f%%", graphBytes ? 100.0 * sig.arenaSize / graphBytes
                                          : 0.0)
     << "); lowered buffers " << sig.buffersSize << " bytes\n"
     << "kilnc:   fused groups:";
  if (decisions.fusions.empty())
    os << " none";
  for (const auto &[kind, count] : decisions.fusions)
    os << " " << kind << " " << count;
  os << "\n"
     << "kilnc:   layout: " << layoutSummary(decisions) << "\n"
     << "kilnc:   prune: " << pruneSummary(pruned) << "\n"
     << "kilnc:   depthwise+pointwise: " << decisions.dwPwPairs / 2
     << " pairs in " << decisions.dwPwBands / 2 << " bands\n"
     << "kilnc:   split (tile budget " << tileBudget
     << " bytes): " << decisions.splitOps << " ops into "
     << decisions.splitPieces << " pieces\n"
     << "kilnc:   wrote '" << output << "' (" << fileSize << " bytes)\n";
  if (auto tuned = module->getAttrOfType<ArrayAttr>(kiln::cpu::kAutotuneAttr))
    for (auto record : tuned.getAsRange<StringAttr>())
      os << "kilnc:   autotune: " << record.getValue() << "\n";
}

/// --tile-budget's value in bytes: a count with an optional K or M suffix
/// (KiB, MiB), or, when not given, the target's last-level cache: a
/// desktop x86-64's L3 share, a phone's L3 (Cortex-A76 cluster). The CPU
/// kernels tile for L1/L2 themselves; an L2-sized budget cut ResNet18 into
/// 112 pieces that cost 10 points of arena (docs/passes.md).
std::optional<int64_t> parseTileBudget(llvm::StringRef text,
                                       llvm::StringRef triple) {
  if (text.empty())
    return (triple.starts_with("aarch64") ? 2 : 8) * 1024 * 1024;
  int64_t scale = 1;
  if (text.consume_back("K") || text.consume_back("KiB"))
    scale = 1024;
  else if (text.consume_back("M") || text.consume_back("MiB"))
    scale = 1024 * 1024;
  int64_t value = 0;
  if (text.getAsInteger(10, value) || value < 0 ||
      value > std::numeric_limits<int64_t>::max() / scale)
    return std::nullopt;
  return value * scale;
}

/// -O0..-O3: the last one given (default 3) sets the graph pass flags the
/// command line leaves unset; returns the level.
unsigned applyOptLevel() {
  cl::opt<bool> *levels[] = {&optLevel0, &optLevel1, &optLevel2, &optLevel3};
  unsigned level = 3, position = 0;
  for (auto [i, flag] : llvm::enumerate(levels))
    if (flag->getNumOccurrences() && flag->getPosition() >= position) {
      level = i;
      position = flag->getPosition();
    }
  if (level == 0)
    noFold = true;
  if (level <= 1)
    noMerge = noFuse = true;
  if (level <= 1 && !layoutFlag.getNumOccurrences())
    layoutFlag = std::string("nchw");
  if (level <= 2 && !tileBudgetFlag.getNumOccurrences())
    tileBudgetFlag = std::string("0");
  return level;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  registerDefaultTimingManagerCLOptions();
  parseCommandLine(argc, argv);
  // --time-passes is LLVM's flag: kilnc times its own stages instead of
  // printing LLVM's per-pass report.
  kiln::report::StageTimer timer(llvm::TimePassesIsEnabled);
  llvm::TimePassesIsEnabled = false;
  unsigned optLevel = applyOptLevel();
  llvm::install_fatal_error_handler([](void *, const char *reason, bool) {
    llvm::errs() << "kilnc: error: internal: " << reason << "\n";
    std::exit(1);
  });

  if (!kiln::cpu::isSupportedTriple(targetTriple))
    fail("unknown target triple '" + targetTriple +
         "' (supported: x86_64-linux-gnu, aarch64-linux-gnu, "
         "aarch64-linux-android)");
  std::optional<int64_t> parsedBudget =
      parseTileBudget(tileBudgetFlag, targetTriple);
  if (!parsedBudget)
    fail("--tile-budget: '" + tileBudgetFlag +
         "' is not a byte count (e.g. 1048576, 512K, 2M, 0)");
  int64_t tileBudget = *parsedBudget;
  if (layoutFlag != "nhwc" && layoutFlag != "nchw")
    fail("--layout: '" + layoutFlag + "' is not a layout (nhwc, nchw)");
  if (pruneFlag != "none" && pruneFlag != "pattern")
    fail("--prune: '" + pruneFlag + "' is not a pruning (none, pattern)");
  // A 4-tap pattern with the centre picks 3 of the 8 other taps: 56.
  if (prunePatterns < 1 || prunePatterns > 56)
    fail("--prune-patterns: " + llvm::Twine(prunePatterns.getValue()) +
         " is not in 1..56 (4-tap patterns that include the centre)");
  if (!(pruneConnectivity >= 0.0 && pruneConnectivity < 1.0))
    fail("--prune-connectivity: " +
         llvm::Twine(std::to_string(pruneConnectivity.getValue())) +
         " is not in [0, 1)");
  if (precisionFlag != "f32" && precisionFlag != "int8")
    fail("--precision: '" + precisionFlag + "' is not f32 or int8");
  if (pruneConnectivity > 0.0 && pruneFlag != "pattern")
    fail("--prune-connectivity needs --prune=pattern");

  std::optional<Emit> parsedEmit =
      llvm::StringSwitch<std::optional<Emit>>(emitKindName)
          .Case("obj", Emit::Obj)
          .Case("shared", Emit::Shared)
          .Case("mlir", Emit::MLIR)
          .Case("mlir-linalg", Emit::MLIRLinalg)
          .Case("mlir-llvm", Emit::MLIRLLVM)
          .Case("llvm-ir", Emit::LLVMIR)
          .Case("opencl", Emit::OpenCL)
          .Case("nna", Emit::NNA)
          .Case("calibration", Emit::Calibration)
          .Default(std::nullopt);
  if (!parsedEmit)
    fail("unknown --emit kind '" + emitKindName +
         "' (obj, shared, mlir, mlir-linalg, mlir-llvm, llvm-ir, opencl, nna, "
         "calibration)");
  const Emit emitKind = *parsedEmit;

  bool toObject = emitKind == Emit::Obj || emitKind == Emit::Shared;
  std::string output = outputPath;
  if (output.empty()) {
    llvm::SmallString<128> stem(llvm::sys::path::stem(inputPath));
    output = toObject ? (stem + (emitKind == Emit::Obj ? ".o" : ".so")).str()
                      : "-";
  }
  if (toObject && output == "-")
    fail("object and shared outputs need a file name (-o)");
  std::optional<kiln::report::Report> report;
  if (!reportPath.empty()) {
    if (!toObject)
      fail("--report describes an object or a shared object (--emit=obj or "
           "shared), not --emit=" +
           emitKindName);
    report.emplace();
    for (int i = 0; i < argc; ++i)
      report->command += (i ? " " : "") + std::string(argv[i]);
  }

  kiln::onnx::ImportOptions importOptions;
  importOptions.maxTensorBytes = maxTensorBytes;
  importOptions.maxNodes = maxNodes;
  for (const std::string &spec : inputShapes) {
    auto [name, dims] = llvm::StringRef(spec).rsplit('=');
    std::vector<int64_t> shape;
    if (name.empty() || !kiln::onnx::parseShape(dims, shape))
      fail("bad --input-shape '" + spec + "' (expected NAME=1x3x224x224)");
    importOptions.inputShapes[name.str()] = shape;
  }
  for (const std::string &spec : frozenInputs) {
    auto [name, file] = llvm::StringRef(spec).split('=');
    if (name.empty() || file.empty())
      fail("bad --freeze-input '" + spec + "' (expected NAME=FILE.pb)");
    importOptions.frozenInputs[name.str()] = file.str();
  }

  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registry.insert<kiln::nn::NNDialect, kiln::nna::NNADialect>();
  MLIRContext context(registry);
  // A model is one function, so threads buy nothing; IR printing needs none.
  context.disableMultithreading();
  context.loadAllAvailableDialects();
  OneLineDiagnostics diagnostics;
  diagnostics.file = inputPath;
  context.getDiagEngine().registerHandler(
      [&](Diagnostic &d) { diagnostics.handle(d); });

  kiln::cpu::CPUTargetOptions target;
  target.triple = targetTriple;
  target.cpu = mcpu;
  target.features = mattr;
  target.codegenThreads = codegenThreads;
  target.modelName = sanitise(
      modelName.empty()
          ? llvm::sys::path::stem(output == "-" ? inputPath : output)
          : llvm::StringRef(modelName));
  bool gpu = emitKindName == "opencl";
  // No op for the GPU: nothing to print for --emit=opencl, otherwise the
  // artifact is the CPU variant alone.
  auto noGPUVariant = [&](const std::string &why) {
    if (emitKindName == "opencl")
      fail("--emit=opencl: no op can run on the GPU (first: " + why + ")");
    llvm::errs() << "kilnc: warning: --devices=gpu: no op can run on the GPU, "
                    "so the artifact has no GPU variant (first: "
                 << why << ")\n";
  };
  bool nna = emitKindName == "nna";
  for (llvm::StringRef device : llvm::split(devicesFlag, ',')) {
    if (device == "gpu")
      gpu = true;
    else if (device == "nna")
      nna = true;
    else if (device != "cpu")
      fail("--devices: '" + device + "' is not a device (cpu, gpu, nna)");
  }
  if (noCPUVariant && !gpu && !nna)
    fail("--no-cpu-variant needs --devices with gpu or nna: the model would "
         "have no code to run");
  const kiln_nna_config *nnaConfig =
      nnaConfigFlag == "small"   ? kiln_nna_config_get(KILN_NNA_CONFIG_SMALL)
      : nnaConfigFlag == "large" ? kiln_nna_config_get(KILN_NNA_CONFIG_LARGE)
                                 : nullptr;
  if (!nnaConfig)
    fail("--nna-config: '" + nnaConfigFlag +
         "' is not an NNA configuration (small, large)");
  if (autotune && llvm::Triple(targetTriple).getArch() !=
                      llvm::Triple(llvm::sys::getProcessTriple()).getArch())
    fail("--autotune times the kernels on this machine (" +
         llvm::sys::getProcessTriple() + "); it cannot tune for " +
         targetTriple);
  // Before the model: a typo in --mcpu/--mattr fails in milliseconds.
  auto targetMachine = kiln::cpu::createTargetMachine(context, target);
  if (failed(targetMachine))
    return 1;
  if (optLevel < 3)
    (*targetMachine)
        ->setOptLevel(optLevel == 0   ? llvm::CodeGenOptLevel::None
                      : optLevel == 1 ? llvm::CodeGenOptLevel::Less
                                      : llvm::CodeGenOptLevel::Default);

  timer.begin("import");
  OwningOpRef<ModuleOp> module;
  if (llvm::StringRef(inputPath).ends_with(".mlir")) {
    llvm::SourceMgr sourceMgr;
    std::string error;
    auto file = openInputFile(inputPath, &error);
    if (!file)
      fail(error);
    sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
    module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  } else {
    module = kiln::onnx::importModelFile(inputPath, importOptions, context);
  }
  if (!module)
    return 1;

  auto print = [&](llvm::raw_ostream &os) {
    module->print(os, OpPrintingFlags().enableDebugInfo(
                          OpPrintingFlags().shouldPrintDebugInfo()));
    os << "\n";
  };
  if (emitKind == Emit::MLIR) {
    writeText(output, print);
    timer.finish();
    return 0;
  }

  bool hasNN = false;
  module->walk([&](Operation *op) {
    if (isa<kiln::nn::NNDialect>(op->getDialect()))
      hasNN = true;
  });

  // Names, dtypes and shapes cross into the artifact as the model states them.
  kiln::cpu::ModelSignature signature;
  if (failed(kiln::cpu::readSignature(*module, signature)))
    return 1;
  uint64_t graphBytes = intermediateTensorBytes(*module);

  // --report: what every compile knows, then the page.
  auto writeReport = [&]() {
    kiln::report::Report &r = *report;
    r.version = "kilnc " KILN_VERSION " (MLIR/LLVM " LLVM_VERSION_STRING ")";
    r.input = inputPath;
    r.output = output;
    uint64_t fileSize = 0;
    llvm::sys::fs::file_size(output, fileSize);
    auto spec = [](const kiln::cpu::TensorSpec &t) {
      std::string s = t.name + ": " + kiln::cpu::dtypeName(t.dtype) + " ";
      for (auto [i, d] : llvm::enumerate(t.dims))
        s += (i ? "x" : "") + std::to_string(d);
      return s;
    };
    r.facts = {{"model", inputPath},
               {"output", output + " (--emit=" + emitKindName + ", " +
                              std::to_string(fileSize) + " bytes)"},
               {"name", "kiln_model_" + target.modelName},
               {"target", targetTriple + (mcpu.empty() ? "" : ", cpu " + mcpu) +
                              (mattr.empty() ? "" : ", " + mattr)}};
    r.facts.push_back(
        {"optimisation",
         !variantsFlag.empty()
             ? "-O" + std::to_string(optLevel) +
                   " for every sub-model, with the flags of its kind"
             : "-O" + std::to_string(optLevel) + ": fold " +
                   (noFold ? "off" : "on") + ", merge " +
                   (noMerge ? "off" : "on") + ", layout " + layoutFlag +
                   ", fuse " + (noFuse ? "off" : "on") + ", tile budget " +
                   std::to_string(tileBudget) + " bytes, memory reuse " +
                   (noMemoryReuse ? "off" : "on")});
    r.facts.push_back(
        {"devices", variantsFlag.empty()
                        ? devicesFlag + ", precision " + precisionFlag
                        : "--variants=" + variantsFlag});
    if (pruneFlag != "none")
      r.facts.push_back({"pruning", pruneFlag});
    for (const kiln::cpu::TensorSpec &t : signature.inputs)
      r.facts.push_back({"input", spec(t)});
    for (const kiln::cpu::TensorSpec &t : signature.outputs)
      r.facts.push_back({"output tensor", spec(t)});
    if (variantsFlag.empty())
      r.facts.push_back(
          {"arena", std::to_string(signature.arenaSize) +
                        " bytes (intermediate tensors as imported: " +
                        std::to_string(graphBytes) + " bytes)"});
    r.stages = timer.stages();
    std::string error;
    if (!kiln::report::writeReport(r, reportPath, error))
      fail(error);
  };

  if (!variantsFlag.empty()) {
    if (emitKind != Emit::Obj && emitKind != Emit::Shared)
      fail("--variants writes an object or a shared object (--emit=obj or "
           "shared)");
    if (devicesFlag != "cpu" || precisionFlag != "f32")
      fail("--variants chooses the devices and precisions itself: leave out "
           "--devices and --precision");
    kiln::variants::Options vo;
    for (llvm::StringRef kind : llvm::split(variantsFlag, ',')) {
      auto *it = llvm::find(kiln::variants::kKindNames, kind);
      if (it == std::end(kiln::variants::kKindNames))
        fail("--variants: '" + kind +
             "' is not a variant kind (fp32, int8, pruned, opencl, nna)");
      unsigned k = it - std::begin(kiln::variants::kKindNames);
      if (llvm::is_contained(vo.kinds, k))
        fail("--variants: '" + kind + "' is listed twice");
      vo.kinds.push_back(k);
    }
    if (!llvm::is_contained(vo.kinds, unsigned(KILN_VARIANT_FP32)))
      fail("--variants must include fp32: the other kinds are measured "
           "against it, and it is what every device falls back to");
    vo.threads.clear();
    for (llvm::StringRef t : llvm::split(variantThreads, ',')) {
      unsigned n;
      if (t.getAsInteger(10, n) || n < 1 || n > 256)
        fail("--variant-threads: '" + t + "' is not a thread count (1..256)");
      vo.threads.push_back(n);
    }
    if (segmentCount < 1 || segmentCount > 64)
      fail("--segments must be 1..64");
    vo.segments = segmentCount;
    vo.kilnc = llvm::sys::fs::getMainExecutable(
        argv[0], reinterpret_cast<void *>(&parseCommandLine));
    vo.targetArgs.push_back("--target=" + targetTriple);
    if (!mcpu.empty())
      vo.targetArgs.push_back("--mcpu=" + mcpu);
    if (!mattr.empty())
      vo.targetArgs.push_back("--mattr=" + mattr);
    if (optLevel < 3)
      vo.targetArgs.push_back("-O" + std::to_string(optLevel));
    vo.pruneArgs = {"--prune=pattern",
                    "--prune-patterns=" + std::to_string(prunePatterns),
                    "--prune-connectivity=" +
                        std::to_string(pruneConnectivity.getValue())};
    vo.nnaArgs = {"--nna-config=" + nnaConfigFlag};
    std::string host = llvm::Triple(llvm::sys::getProcessTriple()).getArch() ==
                               llvm::Triple::aarch64
                           ? "aarch64-linux-gnu"
                           : "x86_64-linux-gnu";
    if (llvm::Triple(host).getArch() != llvm::Triple(targetTriple).getArch())
      vo.hostTriple = host;
    vo.calibration.dir = calibrateDir;
    vo.calibration.randomSamples = calibrateSamples;
    if (calibrateDir.empty())
      llvm::errs() << "kilnc: warning: no --calibrate DIR: measuring the "
                      "variants on "
                   << calibrateSamples
                   << " seeded random N(0,1) samples; real inputs may differ\n";
    std::string header;
    if (emitKind == Emit::Obj) {
      llvm::SmallString<128> h(output);
      llvm::sys::path::replace_extension(h, ".h");
      header = h.str().str();
    }
    timer.begin("variants");
    if (failed(kiln::variants::build(
            *module, signature, vo, target, **targetMachine,
            emitKind == Emit::Shared, output, header,
            llvm::AreStatisticsEnabled() ? &llvm::errs() : nullptr)))
      return 1;
    if (report) {
      timer.begin("report");
      // The segments as the builder cuts them: its graph pipeline (unfused,
      // NCHW) and kiln-cut-segments, run again on a copy.
      OwningOpRef<ModuleOp> cut = module->clone();
      PassManager cutPm(&context);
      kiln::GraphPipelineOptions unfused;
      unfused.fuse = false;
      kiln::buildGraphPipeline(cutPm, unfused);
      kiln::CutSegmentsOptions cutOptions;
      cutOptions.segments = vo.segments;
      cutPm.addNestedPass<func::FuncOp>(kiln::createCutSegments(cutOptions));
      if (succeeded(cutPm.run(*cut))) {
        report->graphs.push_back(kiln::report::collectGraph(
            cut->lookupSymbol<func::FuncOp>("main"), "Segments"));
        report->graphs.back().note =
            "Coloured by segment: the graph every variant starts from "
            "(folded and merged, unfused, NCHW), cut by kiln-cut-segments. "
            "Each segment's variants run where the variant table says.";
      }
      std::string error;
      report->variants = kiln::report::readVariantTable(output, error);
      if (!report->variants)
        report->variantsNote = error;
      report->memoryNote = "--variants: every sub-model plans its own "
                           "arena; the variant table lists each one's.";
      report->devicesNote = "--variants: the opencl and nna variants are "
                            "sub-models; see Variants.";
      writeReport();
    }
    timer.finish();
    return 0;
  }

  PassManager pm(&context);
  if (failed(applyPassManagerCLOptions(pm)))
    fail("bad pass manager options");
  DefaultTimingManager timing; // --mlir-timing reports per-pass times
  applyDefaultTimingManagerCLOptions(timing);
  TimingScope rootTiming = timing.getRootScope();
  pm.enableTiming(rootTiming);
  // MLIR's pass statistics are compiled out of release LLVM builds, so
  // --stats is kilnc's own summary of the artifact.
  bool stats = llvm::AreStatisticsEnabled();
  // --print-after=PASS, for every pass manager of the CPU variant.
  auto printAfter = [](PassManager &passes) {
    if (std::vector<std::string> names = llvm::printAfterPasses();
        !names.empty())
      passes.enableIRPrinting(
          [](Pass *, Operation *) { return false; },
          [names](Pass *pass, Operation *) {
            return llvm::is_contained(names, pass->getArgument());
          },
          /*printModuleScope=*/true, /*printAfterOnlyOnChange=*/false);
  };
  printAfter(pm);
  auto passCounts = std::make_unique<GraphPassCounts>();
  GraphPassCounts &graphCounts = *passCounts;
  GraphDecisions decisions;
  if (stats || report) {
    pm.addInstrumentation(std::move(passCounts));
    pm.addInstrumentation(std::make_unique<DecisionCounter>(decisions));
  }
  if (report)
    pm.addInstrumentation(std::make_unique<kiln::report::Recorder>(*report));
  pm.addInstrumentation(std::make_unique<kiln::report::StageSplitter>(timer));
  std::vector<uint8_t> openclPlan;
  kiln::opencl::PlanSummary gpuSummary;
  std::vector<uint8_t> nnaPlan;
  kiln::nna::PlanSummary nnaSummary;
  // Of the GPU variant, then of the NNA variant: model entries 1, 2, ...
  std::vector<OwningOpRef<ModuleOp>> cpuSegments;
  PruneResults pruned;
  if (stats || !pruneReport.empty() || report)
    pm.addInstrumentation(std::make_unique<PruneRecorder>(pruned));
  if (hasNN) {
    kiln::GraphPipelineOptions graphOptions;
    graphOptions.fold = !noFold;
    graphOptions.merge = !noMerge;
    graphOptions.fuse = !noFuse;
    graphOptions.tileBudget = tileBudget;
    graphOptions.channelsLast = layoutFlag == "nhwc";
    graphOptions.prunePatterns = pruneFlag == "pattern";
    graphOptions.patterns = prunePatterns;
    graphOptions.connectivity = pruneConnectivity;
    // What int8 quantisation starts from: the graph after the passes,
    // NCHW, uncut and unfused (the NNA fuses by its own rules and needs the
    // range of every op's result), run on the calibration samples.
    auto prepareForQuantisation = [&](ModuleOp m) {
      PassManager prepare(&context);
      kiln::GraphPipelineOptions nchw = graphOptions;
      nchw.channelsLast = false;
      nchw.tileBudget = 0;
      nchw.fuse = false;
      kiln::buildGraphPipeline(prepare, nchw);
      return prepare.run(m);
    };
    auto calibrateModule = [&](ModuleOp m, int64_t &samples) {
      kiln::nna::CalibrationOptions calibration;
      calibration.dir = calibrateDir;
      if (calibrateSamples < 1 || calibrateSamples > 100000)
        fail("--calibrate-samples must be 1..100000");
      calibration.randomSamples = calibrateSamples;
      if (calibrateMethod != "minmax" && calibrateMethod != "mean")
        fail("--calibrate-method: '" + calibrateMethod +
             "' is not minmax or mean");
      calibration.method =
          calibrateMethod == "mean"
              ? kiln::nna::CalibrationOptions::Method::MeanMinMax
              : kiln::nna::CalibrationOptions::Method::MinMax;
      if (calibrateDir.empty())
        llvm::errs() << "kilnc: warning: no --calibrate DIR: calibrating on "
                     << calibrateSamples
                     << " seeded random N(0,1) samples; ranges on real "
                        "inputs may differ\n";
      return kiln::nna::calibrate(m, calibration, samples);
    };
    // The int8 graph: calibrated, the ranges attached as kiln.range, and
    // the chains the NNA runs turned into nna ops.
    auto quantise = [&](ModuleOp m) -> LogicalResult {
      int64_t samples = 0;
      FailureOr<std::vector<kiln::nna::Range>> ranges;
      if (failed(prepareForQuantisation(m)) ||
          failed(ranges = calibrateModule(m, samples)))
        return failure();
      auto main = m.lookupSymbol<func::FuncOp>("main");
      OpBuilder attrs(&context);
      for (const kiln::nna::Range &r : *ranges) {
        auto range = attrs.getDenseF64ArrayAttr({r.min, r.max});
        if (auto arg = dyn_cast<BlockArgument>(r.value))
          main.setArgAttr(arg.getArgNumber(), "kiln.range", range);
        else if (r.value.getDefiningOp()->getNumResults() == 1)
          r.value.getDefiningOp()->setAttr("kiln.range", range);
      }
      PassManager quantisePm(&context);
      printAfter(quantisePm);
      quantisePm.addNestedPass<func::FuncOp>(kiln::createQLinearToQDQ());
      quantisePm.addNestedPass<func::FuncOp>(kiln::createQuantizeForNNA());
      return quantisePm.run(m);
    };
    // The CPU variant from the int8 graph: nna ops run as CPU code.
    if (precisionFlag == "int8" && emitKind != Emit::Calibration) {
      timer.begin("quantise (int8)");
      if (failed(quantise(*module)))
        return 1;
    }
    if (emitKind == Emit::Calibration) {
      timer.begin("calibration");
      OwningOpRef<ModuleOp> calibrated = module->clone();
      int64_t samples = 0;
      FailureOr<std::vector<kiln::nna::Range>> ranges;
      if (failed(prepareForQuantisation(*calibrated)) ||
          failed(ranges = calibrateModule(*calibrated, samples)))
        return 1;
      writeText(output, [&](llvm::raw_ostream &os) {
        os << "# activation ranges over " << samples
           << " samples: value, op, min, max\n";
        auto main = calibrated->lookupSymbol<func::FuncOp>("main");
        for (const kiln::nna::Range &r : *ranges) {
          std::string name, op = "input";
          if (auto arg = dyn_cast<BlockArgument>(r.value)) {
            auto attr = main.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                          "kiln.name");
            name = attr ? attr.str()
                        : "input" + std::to_string(arg.getArgNumber());
          } else {
            name = kiln::nn::nodeName(r.value.getLoc());
            op = r.value.getDefiningOp()->getName().getStringRef().str();
          }
          os << (name.empty() ? "(unnamed)" : name) << " " << op << " "
             << llvm::format("%.9g %.9g", r.min, r.max) << "\n";
        }
      });
      timer.finish();
      return 0;
    }
    // The device variants: the same graph passes, NCHW and uncut. Ops the
    // accelerator cannot run become CPU segments, each compiled like a
    // model of its own (NCHW) and linked in as an extra entry.
    kiln::GraphPipelineOptions nchwOptions = graphOptions;
    nchwOptions.channelsLast = false;
    nchwOptions.tileBudget = 0;
    auto compileSegment = [&](ModuleOp segment,
                              unsigned) -> FailureOr<kiln::SegmentABI> {
      OwningOpRef<ModuleOp> owned(cast<ModuleOp>(segment->clone()));
      auto segmentMain = owned->lookupSymbol<func::FuncOp>("main");
      unsigned tensors =
          segmentMain.getNumArguments() + segmentMain.getNumResults();
      PassManager segmentPm(&context);
      // The ops went through the graph passes already, NCHW; the CPU
      // layout would have to reach inside their fused groups.
      kiln::buildGraphPipeline(segmentPm, nchwOptions);
      segmentPm.addPass(kiln::cpu::createConvertNNToLinalgPass());
      kiln::PlanMemoryOptions segmentPlan;
      segmentPlan.inPlace = segmentPlan.elideCopies = !noMemoryReuse;
      kiln::cpu::buildLinalgToLLVMPipeline(
          segmentPm, segmentPlan, kiln::cpu::vectorKernelBits(**targetMachine));
      if (failed(segmentPm.run(*owned)))
        return failure();
      FailureOr<kiln::cpu::SegmentEntry> abi =
          kiln::cpu::segmentEntry(*owned, tensors);
      if (failed(abi))
        return failure();
      cpuSegments.push_back(std::move(owned));
      return kiln::SegmentABI{abi->parallel, abi->arenaBytes};
    };
    if (gpu) {
      timer.begin("gpu variant");
      OwningOpRef<ModuleOp> gpuModule = module->clone();
      PassManager gpuPm(&context);
      kiln::buildGraphPipeline(gpuPm, nchwOptions);
      if (failed(gpuPm.run(*gpuModule)))
        return 1;
      kiln::opencl::PlanOptions planOptions;
      planOptions.cpuOps.assign(cpuOps.begin(), cpuOps.end());
      if (openclLocalSize < 0 || openclLocalSize > 1024)
        fail("--opencl-local-size must be 0..1024");
      planOptions.localSize = openclLocalSize;
      FailureOr<std::vector<uint8_t>> plan = kiln::opencl::buildPlan(
          *gpuModule, planOptions, compileSegment, gpuSummary);
      if (failed(plan))
        return 1;
      if (plan->empty())
        noGPUVariant(gpuSummary.cpuOps.empty()
                         ? std::string("the graph has no ops, its outputs are "
                                       "inputs, constants or views of them")
                         : gpuSummary.cpuOps.front());
      openclPlan = std::move(*plan);
      if (report && !openclPlan.empty())
        kiln::report::addGPU(*report, *gpuModule, gpuSummary,
                             openclPlan.size());
      if (emitKind == Emit::OpenCL) {
        writeText(output,
                  [&](llvm::raw_ostream &os) { os << gpuSummary.source; });
        timer.finish();
        return 0;
      }
    }
    if (nna) {
      // The NNA variant: the int8 graph (the CPU variant's when that is
      // int8 already), its nna ops as streams, the rest as CPU segments.
      OwningOpRef<ModuleOp> nnaModule = module->clone();
      if (precisionFlag != "int8") {
        timer.begin("nna variant: quantise");
        if (failed(quantise(*nnaModule)))
          return 1;
      }
      timer.begin("nna variant: plan");
      nnaSummary.layerByLayer = nnaLayerByLayer;
      FailureOr<std::vector<uint8_t>> plan =
          kiln::nna::buildPlan(*nnaModule, *nnaConfig, compileSegment,
                               cpuSegments.size() + 1, nnaSummary);
      if (failed(plan))
        return 1;
      if (plan->empty()) {
        if (emitKind == Emit::NNA)
          fail("--emit=nna: no op can run on the NNA");
        llvm::errs() << "kilnc: warning: --devices=nna: no op can run on the "
                        "NNA, so the artifact has no NNA variant\n";
      }
      nnaPlan = std::move(*plan);
      if (report && !nnaPlan.empty())
        kiln::report::addNNA(*report, *nnaModule, *nnaConfig, nnaSummary,
                             nnaPlan.size());
      if (emitKind == Emit::NNA) {
        std::string dump;
        llvm::raw_string_ostream os(dump);
        if (llvm::Error e =
                kiln::nna::printPlan(os, *nnaConfig, nnaPlan, nnaSummary))
          fail(llvm::toString(std::move(e)));
        writeText(output, [&](llvm::raw_ostream &out) { out << dump; });
        timer.finish();
        return 0;
      }
    }
    kiln::buildGraphPipeline(pm, graphOptions);
    pm.addPass(kiln::cpu::createConvertNNToLinalgPass());
  }
  if (gpu && !hasNN)
    noGPUVariant("the model has no nn ops: its outputs are constants");
  if (emitKind == Emit::NNA && !hasNN)
    fail("--emit=nna: the model has no nn ops: its outputs are constants");
  if (nna && !hasNN)
    llvm::errs() << "kilnc: warning: --devices=nna: the model has no nn ops, "
                    "so the artifact has no NNA variant\n";
  timer.begin(hasNN ? "graph passes" : "lowering");
  if (emitKind == Emit::MLIRLinalg) {
    if (failed(pm.run(*module)))
      return 1;
    if (!pruneReport.empty())
      writePruneReport(pruned, pruneFlag, pruneReport);
    writeText(output, print);
    timer.finish();
    return 0;
  }

  kiln::PlanMemoryOptions plan;
  plan.inPlace = plan.elideCopies = !noMemoryReuse;
  kiln::cpu::buildLinalgToLLVMPipeline(
      pm, plan, kiln::cpu::vectorKernelBits(**targetMachine), autotune);
  if (failed(pm.run(*module)))
    return 1;
  if (!pruneReport.empty())
    writePruneReport(pruned, pruneFlag, pruneReport);
  for (auto fn : module->getOps<LLVM::LLVMFuncOp>())
    if (fn.getName() == "main")
      if (auto size = fn->getAttrOfType<IntegerAttr>(kiln::kArenaSizeAttr)) {
        signature.arenaSize = size.getInt();
        if (auto all = fn->getAttrOfType<IntegerAttr>(kiln::kBuffersSizeAttr))
          signature.buffersSize = all.getInt();
      }
  for (auto [i, segment] : llvm::enumerate(cpuSegments))
    if (failed(kiln::cpu::addSegment(*module, *segment, i + 1)))
      return 1;
  // --no-cpu-variant: @main does nothing and the descriptor lists no
  // segment, so its code and weights go; the device plans and their CPU
  // steps (the segments, entries 1, 2, ...) stay.
  if (noCPUVariant) {
    for (auto fn : module->getOps<LLVM::LLVMFuncOp>())
      if (fn.getName() == "main") {
        fn.getBody().dropAllReferences();
        fn.getBody().getBlocks().clear();
        OpBuilder b(fn);
        Block *entry = fn.addEntryBlock(b);
        b.setInsertionPointToEnd(entry);
        LLVM::ReturnOp::create(b, fn.getLoc(), ValueRange());
      }
    // Then what only it used: its outlined loops, their dispatch
    // declarations, its weights. A loop kiln.task.X is its dispatch
    // kiln.dispatch.X's, by name (kiln-outline-parallel).
    for (bool erased = true; erased;) {
      erased = false;
      for (Operation &op : llvm::make_early_inc_range(*module->getBody())) {
        auto fn = dyn_cast<LLVM::LLVMFuncOp>(op);
        llvm::StringRef name = fn ? fn.getName() : "";
        bool entry =
            fn && (name == "main" || name.starts_with("kiln.segment.") ||
                   (name.consume_front("kiln.task.") &&
                    module->lookupSymbol(("kiln.dispatch." + name).str())));
        if (((fn && !entry) || isa<LLVM::GlobalOp>(op)) &&
            SymbolTable::symbolKnownUseEmpty(&op, *module)) {
          op.erase();
          erased = true;
        }
      }
    }
  }
  if (emitKind == Emit::MLIRLLVM) {
    writeText(output, print);
    timer.finish();
    return 0;
  }

  timer.begin("codegen");
  if (emitKind == Emit::LLVMIR) {
    if (failed(kiln::cpu::emitObject(*module, signature, target,
                                     **targetMachine, false, true, output)))
      return 1;
    timer.finish();
    return 0;
  }

  bool shared = emitKind == Emit::Shared;
  std::string objectPath = output;
  llvm::SmallString<128> tmpObject;
  if (shared) {
    if (llvm::sys::fs::createTemporaryFile("kilnc", "o", tmpObject))
      fail("cannot create a temporary file");
    objectPath = tmpObject.str().str();
  }
  if (failed(kiln::cpu::emitObject(*module, signature, target, **targetMachine,
                                   shared, false, objectPath, openclPlan,
                                   nnaPlan, /*cpuVariant=*/!noCPUVariant)))
    return 1;
  if (shared) {
    timer.begin("link");
    LogicalResult linked =
        kiln::cpu::linkShared(context, objectPath, output);
    llvm::sys::fs::remove(objectPath);
    if (failed(linked))
      return 1;
  } else {
    llvm::SmallString<128> header(output);
    llvm::sys::path::replace_extension(header, ".h");
    writeText(header, [&](llvm::raw_ostream &os) {
      os << kiln::cpu::headerText(signature, target);
    });
  }
  timer.end();
  if (stats && !openclPlan.empty()) {
    llvm::errs() << "kilnc:   gpu (OpenCL): " << gpuSummary.kernels
                 << " kernels, " << gpuSummary.sourceBytes
                 << " bytes of OpenCL C, device arena " << gpuSummary.arenaBytes
                 << " bytes, weights " << gpuSummary.weightBytes << " bytes\n"
                 << "kilnc:   gpu variant segments: " << gpuSummary.gpuSegments
                 << " gpu, " << gpuSummary.cpuSegments << " cpu ("
                 << gpuSummary.overlapping
                 << " may overlap the gpu segment before them)\n";
    for (const std::string &op : gpuSummary.cpuOps)
      llvm::errs() << "kilnc:     on the cpu: " << op << "\n";
  }
  if (stats && !nnaPlan.empty()) {
    llvm::errs() << "kilnc:   nna (" << nnaConfig->name
                 << "): " << nnaSummary.nnaSteps << " nna steps, "
                 << nnaSummary.cpuSteps << " cpu steps, "
                 << nnaSummary.streams.size() << " streams, "
                 << nnaSummary.commands << " commands, dram "
                 << nnaSummary.dramBytes << " bytes, arena "
                 << nnaSummary.arenaBytes << " bytes, constants "
                 << nnaSummary.constantBytes << " bytes, plan "
                 << nnaPlan.size() << " bytes\n";
    for (auto [i, stream] : llvm::enumerate(nnaSummary.streams)) {
      llvm::errs() << "kilnc:     stream " << i << ": " << stream.ops.size()
                   << " nna ops, " << stream.numCommands() << " commands, dram "
                   << stream.dramLoaded + stream.dramStored << " bytes\n";
    }
  }
  if (stats)
    printSummary(*module, signature, graphBytes, target, graphCounts, decisions,
                 pruned, tileBudget, output);
  if (report) {
    kiln::report::Decisions &d = report->decisions;
    d.passes = graphCounts.counts;
    d.facts = {{"layout", layoutSummary(decisions)},
               {"split", "tile budget " + std::to_string(tileBudget) +
                             " bytes: " + std::to_string(decisions.splitOps) +
                             " ops into " +
                             std::to_string(decisions.splitPieces) + " pieces"},
               {"depthwise+pointwise",
                std::to_string(decisions.dwPwPairs / 2) + " pairs in " +
                    std::to_string(decisions.dwPwBands / 2) + " bands"},
               {"pruning", pruneSummary(pruned)}};
    for (auto &[name, info] : pruned.layers)
      d.pruned.push_back(
          {name, std::to_string(pruneField(info, "nonzero")) + " of " +
                     std::to_string(pruneField(info, "weights")) +
                     " weights left, " +
                     std::to_string(pruneField(info, "zero_kernels")) + " of " +
                     std::to_string(pruneField(info, "kernels")) +
                     " kernels removed"});
    if (report->devices.empty())
      report->devicesNote =
          "No device variant: the artifact is CPU code only (--devices=" +
          devicesFlag + ").";
    report->variantsNote =
        "No variants: compiled without --variants, so the artifact has one "
        "CPU variant" +
        std::string(report->devices.empty() ? ""
                                            : " and the device variants "
                                              "above") +
        ".";
    if (!report->memory.recorded)
      report->memoryNote = "The memory plan did not run.";
    else if (!report->devices.empty())
      report->memoryNote = "This is the CPU variant's arena; the device "
                           "variants' arenas are under Devices.";
    if (report->graphs.empty() || !report->decisionsRecorded)
      report->graphsNote = "The model has no nn ops: there is no graph to "
                           "show.";
    timer.begin("report");
    writeReport();
  }
  timer.finish();
  return 0;
}
