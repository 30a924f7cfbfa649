//===- VariantBuilder.cpp - a model as per-segment variants ---------------===//
#include "targets/variants/VariantBuilder.h"

#include "dialects/nn/NNOps.h"
#include "passes/Passes.h"
#include "passes/Pipeline.h"
#include "targets/ArtifactBytes.h"
#include "targets/Partition.h"

#include "kiln/runtime.h"
#include "kiln/variants.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Object/ObjectFile.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <dlfcn.h>
#include <map>
#include <memory>

using namespace mlir;
namespace nn = kiln::nn;

namespace kiln::variants {

const char *const kKindNames[5] = {"fp32", "int8", "pruned", "opencl", "nna"};

namespace {

/// A value crossing a border, as the table records it.
struct BorderValue {
  cpu::TensorSpec spec;
  size_t bytes = 0;
};

struct Segment {
  std::vector<unsigned> inputs, outputs; // indices into the values
  std::string mlirPath;
};

/// One table entry.
struct Variant {
  unsigned segment, model, kind, device, threads;
  double latencyUs;
  uint64_t weightsBytes, arenaBytes;
  double error;
  std::string label;
};

/// The per-sample contents of every border value, filled segment by
/// segment from the fp32 variants.
using SampleValues = std::vector<std::map<unsigned, std::vector<char>>>;

void putF64(std::vector<uint8_t> &b, double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, 8);
  put64(b, bits);
}

std::vector<uint8_t> encodeTable(const std::vector<BorderValue> &values,
                                 const std::vector<Segment> &segments,
                                 const std::vector<Variant> &variants) {
  std::vector<uint8_t> p;
  put32(p, values.size());
  for (const BorderValue &v : values) {
    putName(p, v.spec.name);
    p.push_back(uint8_t(v.spec.dtype));
    p.push_back(uint8_t(v.spec.dims.size()));
    for (int64_t d : v.spec.dims)
      put64(p, uint64_t(d));
  }
  put32(p, segments.size());
  for (const Segment &s : segments) {
    put32(p, s.inputs.size());
    for (unsigned v : s.inputs)
      put32(p, v);
    put32(p, s.outputs.size());
    for (unsigned v : s.outputs)
      put32(p, v);
  }
  put32(p, variants.size());
  for (const Variant &v : variants) {
    put32(p, v.segment);
    put32(p, v.model);
    p.push_back(uint8_t(v.kind));
    p.push_back(uint8_t(v.device));
    put16(p, v.threads);
    putF64(p, v.latencyUs);
    put64(p, v.weightsBytes);
    put64(p, v.arenaBytes);
    putF64(p, v.error);
    putName(p, v.label);
  }
  std::vector<uint8_t> blob;
  putBlob(blob, KILN_VARIANT_TABLE_MAGIC, KILN_VARIANT_TABLE_VERSION, p);
  return blob;
}

/// The dtype of a value crossing between segments; integers are signless
/// inside the compiler, so 8-bit ones cross as int8.
std::optional<uint32_t> borderDtype(Type t) {
  if (t.isF32())
    return KILN_DTYPE_F32;
  if (t.isF16())
    return KILN_DTYPE_F16;
  if (t.isInteger(64))
    return KILN_DTYPE_I64;
  if (t.isInteger(32))
    return KILN_DTYPE_I32;
  if (t.isInteger(8))
    return KILN_DTYPE_I8;
  if (t.isInteger(1))
    return KILN_DTYPE_BOOL;
  return std::nullopt;
}

size_t specBytes(const cpu::TensorSpec &spec) {
  size_t n = kiln_dtype_size(spec.dtype);
  for (int64_t d : spec.dims)
    n *= size_t(d);
  return n;
}

/// Bytes of read-only data (weights, descriptors, plans) in an object.
uint64_t readOnlyBytes(llvm::StringRef objectPath) {
  auto buffer = llvm::MemoryBuffer::getFile(objectPath);
  if (!buffer)
    return 0;
  auto object =
      llvm::object::ObjectFile::createObjectFile((*buffer)->getMemBufferRef());
  if (!object) {
    llvm::consumeError(object.takeError());
    return 0;
  }
  uint64_t bytes = 0;
  for (const llvm::object::SectionRef &section : (*object)->sections()) {
    llvm::Expected<llvm::StringRef> name = section.getName();
    if (!name) {
      llvm::consumeError(name.takeError());
      continue;
    }
    if (name->starts_with(".rodata") || name->starts_with(".lrodata") ||
        name->starts_with(".data.rel.ro"))
      bytes += section.getSize();
  }
  return bytes;
}

/// A compiled sub-model loaded into this process, and sessions on it.
class Loaded {
public:
  ~Loaded() {
    if (handle)
      dlclose(handle);
  }
  LogicalResult load(Location loc, const std::string &so,
                     const std::string &name) {
    handle = dlopen(so.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle)
      return emitError(loc) << "--variants: cannot load '" << so
                            << "': " << dlerror();
    auto get = reinterpret_cast<kiln_model_fn>(
        dlsym(handle, ("kiln_model_" + name).c_str()));
    model = get ? get() : nullptr;
    if (!model)
      return emitError(loc) << "--variants: '" << so << "' defines no kiln_model_"
                            << name;
    return success();
  }
  const kiln_model *model = nullptr;

private:
  void *handle = nullptr;
};

/// Runs a session of `model` on sample `s` of `values`, writing the
/// segment's outputs into `out`; `elapsedUs` is the host time of the run.
struct Runner {
  kiln_session *session = nullptr;
  ~Runner() { kiln_session_destroy(session); }
  LogicalResult create(Location loc, const kiln_model *model, unsigned device,
                       unsigned threads, bool profile,
                       const std::string &what) {
    kiln_session_options o{};
    o.struct_size = sizeof o;
    o.threads = threads;
    o.device = device;
    o.profile = profile;
    o.fallback = KILN_FALLBACK_NONE;
    kiln_error error{};
    if (kiln_session_create(model, &o, &session, &error) != KILN_OK)
      return emitError(loc) << "--variants: " << what << ": " << error.message;
    return success();
  }
  LogicalResult run(Location loc, const Segment &seg,
                    const std::vector<BorderValue> &values,
                    std::map<unsigned, std::vector<char>> &sample,
                    std::map<unsigned, std::vector<char>> &out,
                    const std::string &what, double &elapsedUs) {
    std::vector<kiln_tensor> in, res;
    for (unsigned v : seg.inputs) {
      const cpu::TensorSpec &spec = values[v].spec;
      std::vector<char> &data = sample[v];
      in.push_back({kiln_dtype(spec.dtype), int32_t(spec.dims.size()),
                    spec.dims.data(), data.data(), data.size()});
    }
    for (unsigned v : seg.outputs) {
      const cpu::TensorSpec &spec = values[v].spec;
      std::vector<char> &data = out[v];
      data.assign(values[v].bytes, 0);
      res.push_back({kiln_dtype(spec.dtype), int32_t(spec.dims.size()),
                     spec.dims.data(), data.data(), data.size()});
    }
    kiln_error error{};
    auto t0 = std::chrono::steady_clock::now();
    kiln_status st = kiln_session_run(session, in.data(), in.size(),
                                      res.data(), res.size(), &error);
    elapsedUs = std::chrono::duration<double, std::micro>(
                    std::chrono::steady_clock::now() - t0)
                    .count();
    if (st != KILN_OK)
      return emitError(loc) << "--variants: " << what << ": " << error.message;
    return success();
  }
};

/// Mean relative L2 error of `got` against `want` over the f32 outputs (an
/// output of another dtype counts 0 if equal, 1 if not).
double relativeError(const Segment &seg, const std::vector<BorderValue> &values,
                     std::map<unsigned, std::vector<char>> &got,
                     std::map<unsigned, std::vector<char>> &want) {
  double sum = 0;
  for (unsigned v : seg.outputs) {
    const std::vector<char> &a = got[v], &b = want[v];
    if (values[v].spec.dtype != KILN_DTYPE_F32) {
      sum += a == b ? 0.0 : 1.0;
      continue;
    }
    size_t n = a.size() / 4;
    const float *x = reinterpret_cast<const float *>(a.data());
    const float *y = reinterpret_cast<const float *>(b.data());
    double diff = 0, norm = 0;
    for (size_t i = 0; i < n; ++i) {
      diff += double(x[i] - y[i]) * double(x[i] - y[i]);
      norm += double(y[i]) * double(y[i]);
    }
    sum += std::sqrt(diff) / std::max(std::sqrt(norm), 1e-12);
  }
  return seg.outputs.empty() ? 0.0 : sum / double(seg.outputs.size());
}

/// Runs `kilnc args...`; its messages go to a log whose first error line
/// becomes ours.
LogicalResult runKilnc(Location loc, const Options &options,
                       llvm::ArrayRef<std::string> args, llvm::StringRef what) {
  llvm::SmallString<128> log;
  if (llvm::sys::fs::createTemporaryFile("kilnc-variant", "log", log))
    return emitError(loc) << "cannot create a temporary file";
  llvm::FileRemover removeLog(log);
  llvm::SmallVector<llvm::StringRef> argv = {options.kilnc};
  for (const std::string &a : args)
    argv.push_back(a);
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, log.str(),
                                                log.str()};
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(options.kilnc, argv, std::nullopt,
                                     redirects, 0, 0, &message);
  if (rc == 0)
    return success();
  if (auto text = llvm::MemoryBuffer::getFile(log)) {
    llvm::StringRef all = (*text)->getBuffer();
    size_t at = all.find("error: ");
    message = at == llvm::StringRef::npos
                  ? all.trim().str()
                  : all.substr(at + 7).split('\n').first.str();
  }
  return emitError(loc) << "--variants: compiling " << what << " failed"
                        << (message.empty() ? "" : ": " + message);
}

} // namespace

LogicalResult build(ModuleOp original, const cpu::ModelSignature &sig,
                    const Options &options, const cpu::CPUTargetOptions &target,
                    llvm::TargetMachine &tm, bool shared, llvm::StringRef path,
                    llvm::StringRef header, llvm::raw_ostream *stats) {
  MLIRContext &ctx = *original.getContext();
  Location loc = original.getLoc();
  // The graph every variant starts from: folded and merged, NCHW, unfused
  // and unpruned (those are the variants' own choices), then cut.
  OwningOpRef<ModuleOp> module = original.clone();
  PassManager pm(&ctx);
  GraphPipelineOptions graph;
  graph.fuse = false;
  buildGraphPipeline(pm, graph);
  CutSegmentsOptions cut;
  cut.segments = options.segments;
  pm.addNestedPass<func::FuncOp>(createCutSegments(cut));
  if (failed(pm.run(*module)))
    return failure();
  auto main = module->lookupSymbol<func::FuncOp>("main");
  auto count = main->getAttrOfType<IntegerAttr>("kiln.segments");
  if (!count)
    return emitError(loc) << "--variants: the model has no ops to run";

  Partition partition;
  partition.steps.resize(count.getInt());
  for (Operation &op : main.getBody().front().without_terminator()) {
    auto s = op.getAttrOfType<IntegerAttr>("kiln.segment");
    if (!s || isa<nn::ConstantOp>(op))
      continue;
    partition.steps[s.getInt()].ops.push_back(&op);
    partition.stepOf[&op] = s.getInt();
  }
  for (auto [s, step] : llvm::enumerate(partition.steps))
    for (Operation *op : step.ops)
      for (Value r : op->getResults())
        for (Operation *user : r.getUsers())
          if (auto it = partition.stepOf.find(user);
              it != partition.stepOf.end() && it->second != s)
            partition.readLater.insert(r);

  // The border values: model inputs first, then each segment's outputs.
  std::vector<BorderValue> values;
  llvm::DenseMap<Value, unsigned> valueOf;
  llvm::StringSet<> names;
  auto addValue = [&](const cpu::TensorSpec &spec) {
    values.push_back({spec, specBytes(spec)});
    names.insert(spec.name);
    return unsigned(values.size() - 1);
  };
  for (auto [i, arg] : llvm::enumerate(main.getArguments()))
    valueOf[arg] = addValue(sig.inputs[i]);

  llvm::SmallString<128> work;
  if (llvm::sys::fs::createUniqueDirectory("kilnc-variants", work))
    return emitError(loc) << "cannot create a temporary directory";
  struct RemoveDir {
    std::string path;
    ~RemoveDir() { llvm::sys::fs::remove_directories(path); }
  } removeWork{work.str().str()};
  auto workPath = [&](const llvm::Twine &name) {
    llvm::SmallString<128> p(work);
    llvm::sys::path::append(p, name);
    return p.str().str();
  };

  std::vector<Segment> segments;
  for (auto [s, step] : llvm::enumerate(partition.steps)) {
    if (step.ops.empty())
      continue;
    CPUSegment parts;
    OwningOpRef<ModuleOp> segModule = extractSegment(
        main, step.ops, partition,
        [](Operation *op) { return isa<nn::ConstantOp>(op); }, parts);
    auto segMain = segModule->lookupSymbol<func::FuncOp>("main");
    segMain->removeAttr("kiln.segments");
    segModule->walk([](Operation *op) { op->removeAttr("kiln.segment"); });
    Segment seg;
    OpBuilder b(&ctx);
    for (auto [i, v] : llvm::enumerate(parts.arguments)) {
      auto it = valueOf.find(v);
      if (it == valueOf.end())
        return emitError(v.getLoc()) << "--variants: a value crosses into "
                                        "segment "
                                     << s << " from nowhere";
      seg.inputs.push_back(it->second);
      segMain.setArgAttr(i, "kiln.name",
                         b.getStringAttr(values[it->second].spec.name));
      if (auto arg = dyn_cast<BlockArgument>(v))
        if (Attribute u = main.getArgAttr(arg.getArgNumber(), "kiln.unsigned"))
          segMain.setArgAttr(i, "kiln.unsigned", u);
    }
    for (auto [i, result] : llvm::enumerate(parts.results)) {
      auto [v, output] = result;
      unsigned index;
      if (output) {
        index = addValue(sig.outputs[*output]);
        if (Attribute u = main.getResultAttr(*output, "kiln.unsigned"))
          segMain.setResultAttr(i, "kiln.unsigned", u);
      } else {
        auto type = cast<RankedTensorType>(v.getType());
        std::optional<uint32_t> dtype = borderDtype(type.getElementType());
        if (!dtype || !type.hasStaticShape())
          return emitError(v.getLoc())
                 << "--variants: a value of type " << type
                 << " cannot cross between segments";
        cpu::TensorSpec spec;
        std::string base = nn::nodeName(v.getLoc());
        spec.name = base.empty() ? "value" : base;
        for (unsigned k = 1; names.contains(spec.name); ++k)
          spec.name = (base.empty() ? "value" : base) + "#" + std::to_string(k);
        spec.dtype = *dtype;
        spec.dims.assign(type.getShape().begin(), type.getShape().end());
        index = addValue(spec);
      }
      valueOf.try_emplace(v, index);
      seg.outputs.push_back(index);
      segMain.setResultAttr(i, "kiln.name",
                            b.getStringAttr(values[index].spec.name));
    }
    seg.mlirPath = workPath("segment" + llvm::Twine(segments.size()) + ".mlir");
    std::error_code ec;
    llvm::raw_fd_ostream os(seg.mlirPath, ec);
    if (ec)
      return emitError(loc) << "cannot write '" << seg.mlirPath << "'";
    segModule->print(os, OpPrintingFlags().enableDebugInfo());
    segments.push_back(std::move(seg));
  }
  for (unsigned o = 0; o < sig.outputs.size(); ++o)
    if (llvm::none_of(segments, [&](const Segment &s) {
          return llvm::any_of(s.outputs, [&](unsigned v) {
            return values[v].spec.name == sig.outputs[o].name;
          });
        }))
      return emitError(loc) << "--variants: output '" << sig.outputs[o].name
                            << "' is not computed by any op";

  // The calibration samples, and each segment's fp32 results on them.
  std::vector<nna::Sample> samples;
  if (failed(nna::readSamples(original, options.calibration, sig, samples)))
    return failure();
  SampleValues sampleValues(samples.size());
  for (auto [s, sample] : llvm::enumerate(samples))
    for (auto [i, t] : llvm::enumerate(sample.tensors)) {
      const char *data = static_cast<const char *>(t.data);
      sampleValues[s][unsigned(i)].assign(data, data + t.size_bytes);
    }

  std::string hostName = target.modelName;
  bool cross = !options.hostTriple.empty();
  std::vector<std::string> objects; // the artifact's sub-model objects
  std::vector<std::string> subModels;
  std::vector<Variant> variants;
  auto compile = [&](const Segment &seg, unsigned s, unsigned kind,
                     bool forHost, const std::string &name,
                     const std::string &object,
                     const std::string &calibration) -> LogicalResult {
    std::vector<std::string> args = {seg.mlirPath, "--emit=obj",
                                     "--name=" + name, "-o", object};
    if (forHost)
      args.push_back("--target=" + options.hostTriple);
    else
      llvm::append_range(args, options.targetArgs);
    switch (kind) {
    case KILN_VARIANT_INT8:
      llvm::append_range(args, std::vector<std::string>{
                                   "--precision=int8", "--calibrate",
                                   calibration});
      break;
    case KILN_VARIANT_PRUNED:
      llvm::append_range(args, options.pruneArgs);
      break;
    // The GPU and NNA variants leave out the CPU code their plans would fall
    // back to: the fp32 variant is the CPU's, and is stored once.
    case KILN_VARIANT_OPENCL:
      llvm::append_range(args, std::vector<std::string>{"--devices=cpu,gpu",
                                                        "--no-cpu-variant"});
      break;
    case KILN_VARIANT_NNA:
      llvm::append_range(args, std::vector<std::string>{
                                   "--devices=cpu,nna", "--no-cpu-variant",
                                   "--calibrate", calibration});
      llvm::append_range(args, options.nnaArgs);
      break;
    default:
      break;
    }
    return runKilnc(loc, options, args,
                    "segment " + std::to_string(s) + " as " + kKindNames[kind]);
  };

  std::vector<std::unique_ptr<Loaded>> loaded;
  for (auto [s, seg] : llvm::enumerate(segments)) {
    // Calibration samples for this segment: its inputs on every sample
    // (DIR/*.npy for one input, DIR/<sample>/NAME.npy for several).
    std::string calibration = workPath("calibration" + llvm::Twine(s));
    bool wantCalibration = llvm::any_of(options.kinds, [](unsigned k) {
      return k == KILN_VARIANT_INT8 || k == KILN_VARIANT_NNA;
    });
    if (wantCalibration) {
      llvm::sys::fs::create_directories(calibration);
      for (auto [k, sample] : llvm::enumerate(sampleValues)) {
        for (unsigned v : seg.inputs) {
          const cpu::TensorSpec &spec = values[v].spec;
          std::string file;
          if (seg.inputs.size() == 1) {
            file = calibration + "/" + std::to_string(k) + ".npy";
          } else {
            std::string dir = calibration + "/" + std::to_string(k);
            llvm::sys::fs::create_directories(dir);
            file = dir + "/" + spec.name + ".npy";
          }
          kiln_error error{};
          if (kiln_npy_write(file.c_str(), kiln_dtype(spec.dtype),
                             int32_t(spec.dims.size()), spec.dims.data(),
                             sample[v].data(), &error) != KILN_OK)
            return emitError(loc) << "--variants: " << error.message;
        }
      }
    }
    std::vector<std::map<unsigned, std::vector<char>>> reference;
    for (unsigned kind : options.kinds) {
      std::string name = hostName + "_s" + std::to_string(s) + "_" +
                         kKindNames[kind];
      std::string what = "segment " + std::to_string(s) + " " +
                         kKindNames[kind];
      std::string hostObject = workPath(name + ".host.o");
      if (failed(compile(seg, s, kind, cross, name, hostObject, calibration)))
        return failure();
      std::string object = hostObject;
      if (cross) {
        object = workPath(name + ".o");
        if (failed(compile(seg, s, kind, false, name, object, calibration)))
          return failure();
      }
      std::string so = workPath(name + ".so");
      if (failed(cpu::linkShared(ctx, hostObject, so)))
        return failure();
      loaded.push_back(std::make_unique<Loaded>());
      if (failed(loaded.back()->load(loc, so, name)))
        return failure();
      const kiln_model *model = loaded.back()->model;
      unsigned device = kind == KILN_VARIANT_OPENCL ? KILN_DEVICE_GPU
                        : kind == KILN_VARIANT_NNA  ? KILN_DEVICE_NNA
                                                    : KILN_DEVICE_CPU;
      bool cpuKind = device == KILN_DEVICE_CPU;
      std::vector<unsigned> threadCounts =
          cpuKind ? options.threads : std::vector<unsigned>{0};
      unsigned modelIndex = subModels.size();
      bool any = false;
      for (unsigned threads : threadCounts) {
        Runner runner;
        {
          // A device this machine lacks (no OpenCL platform) drops the
          // variant with a warning rather than the build.
          ScopedDiagnosticHandler quiet(&ctx, [&](Diagnostic &d) {
            llvm::errs() << "kilnc: warning: --variants: " << what
                         << " left out: " << d.str() << "\n";
            return success();
          });
          if (failed(runner.create(loc, model, device, threads,
                                   device == KILN_DEVICE_NNA, what)))
            break;
        }
        // The outputs on every sample (fp32: the reference the other
        // kinds are compared with, and the next segments' inputs).
        std::vector<std::map<unsigned, std::vector<char>>> outs(
            sampleValues.size());
        double unused;
        for (size_t k = 0; k < sampleValues.size(); ++k)
          if (failed(runner.run(loc, seg, values, sampleValues[k], outs[k],
                                what, unused)))
            return failure();
        double error = 0;
        if (kind == KILN_VARIANT_FP32) {
          if (reference.empty())
            reference = outs;
        } else {
          for (size_t k = 0; k < outs.size(); ++k)
            error += relativeError(seg, values, outs[k], reference[k]);
          error /= std::max<size_t>(1, outs.size());
        }
        // Latency: the median of timed runs on the first sample. On the
        // NNA, what the simulator reports (cycles at its clock) for NNA
        // steps plus the host time of the CPU steps.
        std::vector<double> times;
        for (unsigned r = 0; r < options.timedRuns; ++r) {
          std::map<unsigned, std::vector<char>> scratch;
          double us;
          if (device == KILN_DEVICE_NNA)
            kiln_session_reset_profile(runner.session);
          if (failed(runner.run(loc, seg, values, sampleValues[0], scratch,
                                what, us)))
            return failure();
          if (device == KILN_DEVICE_NNA) {
            us = 0;
            for (size_t i = 0; i < kiln_session_nna_segments(runner.session);
                 ++i) {
              const kiln_nna_segment_profile *p =
                  kiln_session_nna_segment(runner.session, i);
              us += p->device == KILN_DEVICE_NNA
                        ? double(p->cycles) / p->clock_mhz
                        : double(p->host_ns) / 1e3;
            }
          }
          times.push_back(us);
        }
        std::sort(times.begin(), times.end());
        Variant v;
        v.segment = s;
        v.model = modelIndex;
        v.kind = kind;
        v.device = device;
        v.threads = threads;
        v.latencyUs = times.empty() ? 0 : times[times.size() / 2];
        v.weightsBytes = readOnlyBytes(object);
        v.arenaBytes = kiln_session_memory_bytes(runner.session);
        v.error = error;
        v.label = kKindNames[kind];
        if (cpuKind && threads != 1)
          v.label += "x" + std::to_string(threads);
        variants.push_back(v);
        any = true;
      }
      if (kind == KILN_VARIANT_FP32 && reference.empty())
        return emitError(loc) << "--variants: " << what << " did not run";
      if (!any)
        continue;
      subModels.push_back(name);
      objects.push_back(object);
    }
    // The next segments read this one's fp32 outputs.
    for (size_t k = 0; k < sampleValues.size(); ++k)
      for (auto &[v, data] : reference[k])
        sampleValues[k][v] = data;
  }

  std::vector<uint8_t> table = encodeTable(values, segments, variants);
  std::string top = workPath("top.o");
  if (failed(cpu::emitVariantModel(ctx, sig, table, subModels, target, tm,
                                   shared, top)))
    return failure();
  std::vector<std::string> linkArgs;
  if (shared)
    linkArgs = {"-shared", "-z", "noexecstack"};
  else
    linkArgs = {"-r"};
  linkArgs.push_back("-o");
  linkArgs.push_back(path.str());
  linkArgs.push_back(top);
  llvm::append_range(linkArgs, objects);
  llvm::SmallVector<llvm::StringRef> refs(linkArgs.begin(), linkArgs.end());
  if (failed(cpu::runLinker(ctx, refs, "linking '" + path.str() + "'")))
    return failure();
  if (!header.empty()) {
    std::error_code ec;
    llvm::raw_fd_ostream os(header, ec);
    if (ec)
      return emitError(loc) << "cannot write '" << header << "'";
    os << cpu::headerText(sig, target);
  }

  if (stats) {
    *stats << "kilnc:   variants: " << segments.size() << " segments, "
           << variants.size() << " variants, " << subModels.size()
           << " sub-models, table " << table.size() << " bytes\n";
    for (auto [s, seg] : llvm::enumerate(segments)) {
      *stats << "kilnc:     segment " << s << ": in";
      for (unsigned v : seg.inputs)
        *stats << " " << values[v].spec.name;
      *stats << "; out";
      for (unsigned v : seg.outputs)
        *stats << " " << values[v].spec.name;
      *stats << "\n";
      for (const Variant &v : variants)
        if (v.segment == s)
          *stats << llvm::format(
              "kilnc:       %-10s %9.1f us  weights %9llu  arena %9llu  "
              "error %.2e\n",
              v.label.c_str(), v.latencyUs, (unsigned long long)v.weightsBytes,
              (unsigned long long)v.arenaBytes, v.error);
    }
  }
  return success();
}

} // namespace kiln::variants
