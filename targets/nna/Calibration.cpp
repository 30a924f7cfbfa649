//===- Calibration.cpp - activation ranges of a float model ---------------===//
//
// The float model is compiled for this machine as a shared library whose
// @main also returns every f32 activation, then run through libkilnrt like
// any Kiln model: what the calibration measures is what the CPU variant
// computes.
//
//===----------------------------------------------------------------------===//
#include "targets/nna/Calibration.h"

#include "dialects/nn/NNOps.h"
#include "targets/cpu/LoweringPipeline.h"
#include "targets/cpu/ObjectEmitter.h"
#include "targets/cpu/Passes.h"

#include "kiln/runtime.h"
#include "kiln_tensor_io.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Threading.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

#include <dlfcn.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

using namespace mlir;

namespace kiln::nna {
namespace {

bool observable(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  return type && type.hasStaticShape() && type.getElementType().isF32() &&
         type.getNumElements() > 0;
}

/// @main's f32 arguments, then the f32 results of its ops other than
/// constants, in program order.
SmallVector<Value> observed(func::FuncOp main) {
  SmallVector<Value> values;
  for (BlockArgument arg : main.getArguments())
    if (observable(arg))
      values.push_back(arg);
  for (Operation &op : main.getBody().front().without_terminator())
    if (!isa<nn::ConstantOp>(op))
      for (Value v : op.getResults())
        if (observable(v))
          values.push_back(v);
  return values;
}

} // namespace

LogicalResult readSamples(ModuleOp module, const CalibrationOptions &options,
                          const cpu::ModelSignature &sig,
                          std::vector<Sample> &samples) {
  auto fail = [&](const Twine &why) {
    return module.emitError("--calibrate: ") << why;
  };
  if (options.dir.empty()) {
    std::mt19937_64 rng(options.seed);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (int64_t s = 0; s < options.randomSamples; ++s) {
      Sample sample;
      for (const cpu::TensorSpec &in : sig.inputs) {
        kiln_host_tensor t{};
        t.dtype = kiln_dtype(in.dtype);
        t.rank = in.dims.size();
        size_t n = 1;
        for (auto [i, d] : llvm::enumerate(in.dims)) {
          t.dims[i] = d;
          n *= d;
        }
        if (in.dtype != KILN_DTYPE_F32)
          return fail("random samples need f32 inputs; input '" + in.name +
                      "' is " + cpu::dtypeName(in.dtype) +
                      " (give samples with --calibrate DIR)");
        t.size_bytes = n * sizeof(float);
        t.data = malloc(t.size_bytes ? t.size_bytes : 1);
        if (!t.data)
          return fail("out of memory");
        for (size_t i = 0; i < n; ++i)
          static_cast<float *>(t.data)[i] = normal(rng);
        sample.tensors.push_back(t);
      }
      samples.push_back(std::move(sample));
    }
    return success();
  }
  // Files of one sample: DIR/*.npy for one input, DIR/<sample>/NAME.npy
  // for several.
  std::vector<std::vector<std::string>> files;
  std::error_code ec;
  std::vector<std::string> entries;
  for (llvm::sys::fs::directory_iterator it(options.dir, ec), end;
       it != end && !ec; it.increment(ec))
    entries.push_back(it->path());
  if (ec)
    return fail("cannot read directory '" + options.dir + "': " + ec.message());
  llvm::sort(entries);
  for (const std::string &entry : entries) {
    if (sig.inputs.size() == 1) {
      if (llvm::sys::path::extension(entry) == ".npy")
        files.push_back({entry});
      continue;
    }
    if (!llvm::sys::fs::is_directory(entry))
      continue;
    std::vector<std::string> one;
    for (const cpu::TensorSpec &in : sig.inputs) {
      llvm::SmallString<256> path(entry);
      llvm::sys::path::append(path, in.name + ".npy");
      one.push_back(path.str().str());
    }
    files.push_back(one);
  }
  if (files.empty())
    return fail("no samples in '" + options.dir + "' (" +
                (sig.inputs.size() == 1
                     ? std::string("*.npy files")
                     : std::string("subdirectories of NAME.npy per input")) +
                ")");
  for (const std::vector<std::string> &one : files) {
    Sample sample;
    for (auto [path, in] : llvm::zip(one, sig.inputs)) {
      kiln_host_tensor t{};
      kiln_error error{};
      if (kiln_npy_read(path.c_str(), &t, &error) != KILN_OK)
        return fail("'" + path + "': " + error.message);
      sample.tensors.push_back(t);
      bool same = uint32_t(t.dtype) == in.dtype &&
                  size_t(t.rank) == in.dims.size() &&
                  std::equal(in.dims.begin(), in.dims.end(), t.dims);
      if (!same)
        return fail("'" + path + "' does not have input '" + in.name +
                    "''s dtype and shape");
    }
    samples.push_back(std::move(sample));
  }
  return success();
}

namespace {

/// A temporary file removed when this goes out of scope.
struct TempFile {
  llvm::SmallString<128> path;
  ~TempFile() {
    if (!path.empty())
      llvm::sys::fs::remove(path);
  }
};

} // namespace

FailureOr<std::vector<Range>> calibrate(ModuleOp module,
                                        const CalibrationOptions &options,
                                        int64_t &numSamples) {
  MLIRContext *ctx = module.getContext();
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main || main.getBody().empty())
    return module.emitError("calibration: no @main");
  SmallVector<Value> values = observed(main);

  // The clone returns the activations after the model's own outputs.
  OwningOpRef<ModuleOp> clone(cast<ModuleOp>(module->clone()));
  auto cmain = clone->lookupSymbol<func::FuncOp>("main");
  // Arguments are measured on the samples themselves (returning one would
  // make an output that is an input).
  SmallVector<Value> cvalues = llvm::to_vector(llvm::make_filter_range(
      observed(cmain), [](Value v) { return !isa<BlockArgument>(v); }));
  Operation *ret = cmain.getBody().front().getTerminator();
  unsigned numOutputs = ret->getNumOperands();
  SmallVector<Value> results(ret->getOperands());
  results.append(cvalues.begin(), cvalues.end());
  OpBuilder b(ret);
  func::ReturnOp::create(b, ret->getLoc(), results);
  ret->erase();
  SmallVector<Type> types;
  for (Value v : results)
    types.push_back(v.getType());
  SmallVector<DictionaryAttr> attrs;
  for (unsigned i = 0; i < results.size(); ++i)
    attrs.push_back(
        i < numOutputs
            ? cmain.getResultAttrDict(i)
            : b.getDictionaryAttr(b.getNamedAttr(
                  "kiln.name", b.getStringAttr(llvm::formatv(
                                   "kiln.calibration.{0}", i - numOutputs)))));
  cmain.setType(b.getFunctionType(cmain.getArgumentTypes(), types));
  cmain.setAllResultAttrs(attrs);

  cpu::ModelSignature sig;
  if (failed(cpu::readSignature(*clone, sig)))
    return failure();
  std::vector<Sample> samples;
  if (failed(readSamples(module, options, sig, samples)))
    return failure();

  // Compiled for this machine, whatever the artifact's target.
  cpu::CPUTargetOptions host;
  host.triple = llvm::Triple(llvm::sys::getProcessTriple()).isAArch64()
                    ? "aarch64-linux-gnu"
                    : "x86_64-linux-gnu";
  host.modelName = "kiln_calibration";
  auto tm = cpu::createTargetMachine(*ctx, host);
  if (failed(tm))
    return failure();
  PassManager pm(ctx);
  // The ops already went through the graph passes: lowered as they are.
  pm.addPass(cpu::createConvertNNToLinalgPass());
  cpu::buildLinalgToLLVMPipeline(pm, {}, cpu::vectorKernelBits(**tm));
  if (failed(pm.run(*clone)))
    return failure();
  for (auto fn : clone->getOps<LLVM::LLVMFuncOp>())
    if (fn.getName() == "main")
      if (auto size = fn->getAttrOfType<IntegerAttr>(kArenaSizeAttr))
        sig.arenaSize = size.getInt();
  TempFile object, library;
  if (llvm::sys::fs::createTemporaryFile("kiln-calibration", "o",
                                         object.path) ||
      llvm::sys::fs::createTemporaryFile("kiln-calibration", "so",
                                         library.path))
    return module.emitError("calibration: cannot create a temporary file");
  if (failed(cpu::emitObject(*clone, sig, host, **tm, /*shared=*/true,
                             /*emitIR=*/false, object.path)) ||
      failed(cpu::linkShared(*ctx, object.path, library.path)))
    return failure();

  void *lib = dlopen(library.path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!lib)
    return module.emitError("calibration: cannot load the model: ")
           << dlerror();
  llvm::scope_exit closeLib([&] { dlclose(lib); });
  auto get =
      reinterpret_cast<const kiln_model *(*)()>(dlsym(lib, "kiln_model_get"));
  kiln_session_options sessionOptions{};
  sessionOptions.struct_size = sizeof sessionOptions;
  sessionOptions.threads =
      std::max(1u, llvm::hardware_concurrency().compute_thread_count());
  kiln_session *session = nullptr;
  kiln_error error{};
  if (!get ||
      kiln_session_create(get(), &sessionOptions, &session, &error) != KILN_OK)
    return module.emitError("calibration: cannot create a session: ")
           << (get ? error.message : "no kiln_model_get");
  llvm::scope_exit closeSession([&] { kiln_session_destroy(session); });

  std::vector<std::vector<float>> outputs(results.size());
  std::vector<kiln_tensor> outTensors(results.size());
  for (size_t i = 0; i < results.size(); ++i) {
    const kiln_tensor_info *info = kiln_session_output(session, i);
    outputs[i].resize((info->size_bytes + 3) / 4 + 1);
    outTensors[i] = {info->dtype, info->rank, info->dims, outputs[i].data(),
                     info->size_bytes};
  }
  std::vector<Range> ranges;
  for (Value v : values)
    ranges.push_back({v, std::numeric_limits<float>::infinity(),
                      -std::numeric_limits<float>::infinity()});
  for (Sample &sample : samples) {
    std::vector<kiln_tensor> in;
    for (kiln_host_tensor &t : sample.tensors)
      in.push_back({t.dtype, t.rank, t.dims, t.data, t.size_bytes});
    if (kiln_session_run(session, in.data(), in.size(), outTensors.data(),
                         outTensors.size(), &error) != KILN_OK)
      return module.emitError("calibration: run failed: ") << error.message;
    size_t next = numOutputs;
    for (Range &r : ranges) {
      const float *data;
      size_t n;
      if (auto arg = dyn_cast<BlockArgument>(r.value)) {
        const kiln_host_tensor &t = sample.tensors[arg.getArgNumber()];
        data = static_cast<const float *>(t.data);
        n = t.size_bytes / 4;
      } else {
        data = outputs[next].data();
        n = kiln_session_output(session, next)->size_bytes / 4;
        ++next;
      }
      float lo = std::numeric_limits<float>::infinity(), hi = -lo;
      for (size_t e = 0; e < n; ++e)
        if (std::isfinite(data[e])) {
          lo = std::min(lo, data[e]);
          hi = std::max(hi, data[e]);
        }
      if (lo > hi)
        continue; // no finite value in this sample
      if (options.method == CalibrationOptions::Method::MinMax) {
        r.min = std::min(r.min, lo);
        r.max = std::max(r.max, hi);
      } else {
        // Running sums, divided by the sample count below.
        r.min = (std::isinf(r.min) ? 0.0f : r.min) + lo;
        r.max = (std::isinf(r.max) ? 0.0f : r.max) + hi;
      }
    }
  }
  if (options.method == CalibrationOptions::Method::MeanMinMax)
    for (Range &r : ranges)
      if (std::isfinite(r.min) && std::isfinite(r.max)) {
        r.min /= samples.size();
        r.max /= samples.size();
      }
  numSamples = samples.size();
  return ranges;
}

} // namespace kiln::nna
