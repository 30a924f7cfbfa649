//===- OpenCLPlan.cpp - nn dialect to an OpenCL plan ----------------------===//
//
// One kernel per nn op or fused group, each a work-item per output element
// with every shape, stride and offset compiled in: a fused group's anchor
// (conv, gemm, matmul) or pooling computes the element, its elementwise ops
// follow as scalar expressions, and one store writes it. Reshapes and
// flattens are views (no kernel). Values live in one device arena planned
// by liveness; constants go to one read-only weights buffer.
//
//===----------------------------------------------------------------------===//
#include "targets/opencl/OpenCLPlan.h"
#include "targets/ArtifactBytes.h"

#include "dialects/nn/ConstantEvaluation.h"
#include "dialects/nn/NNOps.h"

#include "kiln/model_format.h"
#include "kiln/opencl_plan.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <map>

using namespace mlir;
namespace nn = kiln::nn;

namespace kiln::opencl {
namespace {

/// Buffers start at multiples of 64 bytes (16 floats).
constexpr int64_t kAlign = 16;

int64_t alignUp(int64_t v) { return (v + kAlign - 1) / kAlign * kAlign; }

std::string floatLiteral(double v) {
  if (std::isnan(v))
    return "NAN";
  if (std::isinf(v))
    return v > 0 ? "INFINITY" : "(-INFINITY)";
  return llvm::formatv("{0:e9}f", v).str();
}

RankedTensorType tensorType(Value v) {
  return dyn_cast<RankedTensorType>(v.getType());
}

/// Where a value's elements are: arena or weights, from an offset (floats).
struct Place {
  bool weights = false;
  int64_t offset = 0;
  std::string base() const {
    return llvm::formatv("({0} + {1})", weights ? "weights" : "arena", offset)
        .str();
  }
};

/// Host memory a value is read from or written to by the runtime.
struct Ref {
  uint8_t kind = KILN_CL_REF_HOST;
  uint64_t index = 0; // input or output number, or byte offset (HOST)
  uint64_t size = 0;  // bytes
};

/// A step of the plan: GPU kernels with their copies, or a CPU segment.
struct Step {
  bool gpu = true;
  SmallVector<Operation *> ops;
  // GPU
  uint32_t firstLaunch = 0, numLaunches = 0;
  // Host to device before the launches, device to host after them; the
  // device offsets are the values' places.
  SmallVector<std::pair<Value, Ref>> uploads, downloads;
  // CPU
  uint32_t entry = 0;
  bool parallel = false;
  SmallVector<Ref> args;
  SmallVector<uint32_t> waits;
};

struct Launch {
  uint32_t kernel;
  uint64_t global, local;
};

class PlanBuilder {
public:
  PlanBuilder(func::FuncOp main, const PlanOptions &options,
              CompileSegment compileSegment)
      : main(main), options(options), compileSegment(compileSegment) {}

  LogicalResult build(std::vector<uint8_t> &out, PlanSummary &summary);

private:
  func::FuncOp main;
  const PlanOptions &options;
  CompileSegment compileSegment;
  std::string source;
  std::vector<std::string> kernelNames;
  std::vector<Launch> launches;
  std::vector<float> weights;
  // Views: reshape, flatten, and slices of a contiguous range; their
  // elements start `viewOffset` floats into their root's.
  llvm::DenseMap<Value, Value> rootOf;
  llvm::DenseMap<Value, int64_t> viewOffset;
  // Concat by placement: the producer of each input writes it straight into
  // the concat's buffer, at this offset (floats); the concat has no kernel.
  llvm::DenseMap<Value, std::pair<Value, int64_t>> placedIn;
  llvm::DenseSet<Operation *> placedConcats;
  llvm::DenseMap<Value, Place> places;
  int64_t arenaFloats = 0;
  llvm::DenseMap<Value, Ref> hostRefs;
  Partition partition{[this](Value v) { return root(v); }};
  llvm::DenseMap<Operation *, size_t> &stepOf = partition.stepOf;
  uint64_t hostBytes = 0, cpuArenaBytes = 0;
  std::vector<Step> steps;

  Value root(Value v) {
    auto it = rootOf.find(v);
    return it == rootOf.end() ? v : it->second;
  }
  Place place(Value v) {
    Place p = places.lookup(root(v));
    p.offset += viewOffset.lookup(v);
    return p;
  }
  bool isView(Operation *op) {
    return isa<nn::ReshapeOp, nn::FlattenOp>(op) || contiguousSlice(op);
  }
  std::optional<int64_t> contiguousSlice(Operation *op);
  void placeConcats();
  static bool isConstant(Value v) {
    return v.getDefiningOp() && isa<nn::ConstantOp>(v.getDefiningOp());
  }

  LogicalResult unsupported(Operation *op, const Twine &why) {
    return op->emitError("OpenCL target: '") << op->getName() << "' " << why;
  }
  LogicalResult collectWeights(Operation *op);
  std::optional<std::string> whyCPU(Operation *op);
  Ref hostRef(Value r);
  void planCopies();
  void planArena();
  LogicalResult emitKernel(Operation *op);
  LogicalResult compileCPUStep(Step &step, unsigned entry);
  std::string load(Value v, ArrayRef<std::string> coords,
                   std::string base = "");
  std::optional<std::string> scalar(Operation *op, ArrayRef<std::string> args);
  LogicalResult head(Operation *op, ArrayRef<std::string> coords,
                     llvm::function_ref<std::string(Value)> operandBase,
                     std::string &body, std::string &value);
  void encode(std::vector<uint8_t> &out);
};

LogicalResult PlanBuilder::collectWeights(Operation *op) {
  auto constant = cast<nn::ConstantOp>(op);
  if (places.count(constant.getResult()))
    return success();
  auto type = tensorType(constant.getResult());
  std::optional<SmallVector<char>> raw = nn::rawElements(constant.getValue());
  if (!raw)
    return unsupported(op, "has data that is not loaded");
  int64_t offset = alignUp(weights.size());
  weights.resize(offset + type.getNumElements(), 0.0f);
  std::memcpy(weights.data() + offset, raw->data(),
              type.getNumElements() * sizeof(float));
  places[constant.getResult()] = Place{true, offset};
  return success();
}

/// Why `op` runs on the CPU, or nothing when the GPU runs it: kept there by
/// the options, or no kernel can be emitted for it (a dry run of
/// emitKernel, whose error becomes the reason).
std::optional<std::string> PlanBuilder::whyCPU(Operation *op) {
  auto named = [&](Operation *o) {
    StringRef full = o->getName().getStringRef();
    for (const std::string &want : options.cpuOps)
      if (want == full ||
          (full.starts_with("nn.") && want == full.drop_front(3)))
        return true;
    return false;
  };
  bool kept = named(op) ||
              llvm::is_contained(options.cpuOps, nn::nodeName(op->getLoc()));
  if (auto fused = dyn_cast<nn::FusedOp>(op))
    for (Operation &inner : fused.getBody().front().without_terminator())
      kept |= named(&inner);
  if (kept)
    return std::string("kept on the CPU by --cpu-ops");
  if (op->getNumResults() != 1)
    return std::string("has several results");
  for (Value v : op->getOperands())
    if (isConstant(root(v)) &&
        !nn::rawElements(
            cast<nn::ConstantOp>(root(v).getDefiningOp()).getValue()))
      return std::string("reads a constant whose data is not loaded");
  std::string why;
  size_t sourceSize = source.size(), kernels = kernelNames.size(),
         launched = launches.size();
  LogicalResult emitted = failure();
  {
    ScopedDiagnosticHandler capture(op->getContext(), [&](Diagnostic &d) {
      if (why.empty())
        why = d.str();
      return success();
    });
    emitted = emitKernel(op);
  }
  source.resize(sourceSize);
  kernelNames.resize(kernels);
  launches.resize(launched);
  if (succeeded(emitted))
    return std::nullopt;
  StringRef reason(why);
  reason.consume_front("OpenCL target: ");
  reason.consume_front(("'" + op->getName().getStringRef() + "' ").str());
  return reason.str();
}

/// Where the runtime keeps root `r` on the host: the caller's input or
/// (first) output, else a slot of host memory of its own. Slots are never
/// reused, so a copy in flight never races a CPU step.
Ref PlanBuilder::hostRef(Value r) {
  auto it = hostRefs.find(r);
  if (it != hostRefs.end())
    return it->second;
  Ref ref;
  ref.size = byteSize(r);
  if (auto arg = dyn_cast<BlockArgument>(r)) {
    ref = {KILN_CL_REF_INPUT, arg.getArgNumber(), ref.size};
  } else {
    bool output = false;
    for (OpOperand &o : main.getBody().front().getTerminator()->getOpOperands())
      if (root(o.get()) == r) {
        ref = {KILN_CL_REF_OUTPUT, o.getOperandNumber(), ref.size};
        output = true;
        break;
      }
    if (!output) {
      hostBytes = (hostBytes + 63) / 64 * 64;
      ref = {KILN_CL_REF_HOST, hostBytes, ref.size};
      hostBytes += ref.size;
    }
  }
  hostRefs[r] = ref;
  return ref;
}

/// The offset (floats) of a slice whose elements are a contiguous range of
/// its input (the dims before the first cut one are 1, the ones after it
/// whole, steps 1), when it is not a model output: then it is a view.
std::optional<int64_t> PlanBuilder::contiguousSlice(Operation *op) {
  auto slice = dyn_cast<nn::SliceOp>(op);
  if (!slice)
    return std::nullopt;
  auto in = tensorType(slice.getInput());
  if (!in || !in.hasStaticShape() || !in.getElementType().isF32())
    return std::nullopt;
  // An output must be its root's bytes, whole.
  std::function<bool(Value)> returned = [&](Value v) {
    return llvm::any_of(v.getUsers(), [&](Operation *user) {
      return isa<func::ReturnOp>(user) ||
             (isa<nn::ReshapeOp, nn::FlattenOp>(user) &&
              returned(user->getResult(0)));
    });
  };
  if (returned(slice.getResult()))
    return std::nullopt;
  ArrayRef<int64_t> shape = in.getShape(), offsets = slice.getOffsets(),
                    sizes = slice.getSizes(), steps = slice.getSteps();
  int64_t rank = shape.size(), cut = rank;
  for (int64_t d = 0; d < rank; ++d)
    if (sizes[d] != shape[d]) {
      cut = d;
      break;
    }
  int64_t offset = 0, stride = 1;
  for (int64_t d = rank - 1; d >= 0; --d) {
    if (d > cut && (sizes[d] != shape[d] || steps[d] != 1))
      return std::nullopt;
    if (d < cut && shape[d] != 1)
      return std::nullopt;
    if (d == cut) {
      if ((steps[d] != 1 && sizes[d] > 1) || offsets[d] < 0)
        return std::nullopt;
      offset = offsets[d] * stride;
    }
    stride *= shape[d];
  }
  return offset;
}

/// Concat by placement: a GPU concat along an axis with only 1s before it
/// holds its inputs one after another, so when each input is the whole
/// result of its own GPU kernel (not claimed by another concat), those
/// kernels write into the concat's buffer and the concat runs nothing.
void PlanBuilder::placeConcats() {
  llvm::DenseSet<Value> claimed;
  for (const Step &step : steps) {
    if (!step.gpu)
      continue;
    for (Operation *op : step.ops) {
      auto cat = dyn_cast<nn::ConcatOp>(op);
      if (!cat)
        continue;
      auto out = tensorType(cat.getResult());
      int64_t axis = int64_t(cat.getAxis());
      axis += axis < 0 ? out.getRank() : 0;
      bool ok = llvm::all_of(out.getShape().take_front(axis),
                             [](int64_t d) { return d == 1; });
      SmallVector<Value> roots;
      for (Value v : cat.getInputs()) {
        Value r = root(v);
        Operation *def = r.getDefiningOp();
        ok &=
            def && !isConstant(r) && stepOf.count(def) &&
            steps[stepOf.lookup(def)].gpu && !placedConcats.count(def) &&
            viewOffset.lookup(v) == 0 &&
            tensorType(r).getNumElements() == tensorType(v).getNumElements() &&
            tensorType(r).getNumElements() > 0 && !claimed.count(r) &&
            !llvm::is_contained(roots, r);
        roots.push_back(r);
      }
      if (!ok)
        continue;
      int64_t offset = 0;
      for (Value r : roots) {
        claimed.insert(r);
        placedIn[r] = {cat.getResult(), offset};
        offset += tensorType(r).getNumElements();
      }
      placedConcats.insert(op);
    }
  }
}

/// Device copies: a GPU step uploads what it reads from the host (model
/// inputs, CPU results) unless an earlier step did; it downloads what it
/// produces for a CPU step or a model output.
void PlanBuilder::planCopies() {
  llvm::DenseMap<Operation *, size_t> stepOf;
  for (auto [i, step] : llvm::enumerate(steps))
    for (Operation *op : step.ops)
      stepOf[op] = i;
  llvm::DenseSet<Value> onDevice, toHost;
  for (const Step &step : steps)
    if (!step.gpu)
      for (Operation *op : step.ops)
        for (Value v : op->getOperands())
          toHost.insert(root(v));
  Operation *ret = main.getBody().front().getTerminator();
  for (Value v : ret->getOperands())
    toHost.insert(root(v));
  for (Step &step : steps) {
    if (!step.gpu)
      continue;
    for (Operation *op : step.ops)
      for (Value v : op->getOperands()) {
        Value r = root(v);
        Operation *def = r.getDefiningOp();
        if (isConstant(r) || onDevice.count(r) ||
            (def && steps[stepOf.lookup(def)].gpu))
          continue;
        onDevice.insert(r);
        step.uploads.push_back({r, hostRef(r)});
      }
    for (Operation *op : step.ops) {
      Value r = op->getResult(0);
      onDevice.insert(r);
      if (!toHost.count(r))
        continue;
      bool copied = false;
      for (OpOperand &o : ret->getOpOperands())
        if (root(o.get()) == r) {
          step.downloads.push_back(
              {r, Ref{KILN_CL_REF_OUTPUT, o.getOperandNumber(), byteSize(r)}});
          copied = true;
        }
      if (!copied)
        step.downloads.push_back({r, hostRef(r)});
    }
  }
}

/// Greedy first fit by liveness over the GPU ops in step order: a value's
/// bytes are free again after the last kernel that reads it, or after its
/// step when it is downloaded; uploads take theirs at the step's start.
void PlanBuilder::planArena() {
  llvm::DenseMap<Value, int64_t> lastUse;
  int64_t t = 0;
  for (Step &step : steps) {
    if (!step.gpu)
      continue;
    for (Operation *op : step.ops) {
      for (Value v : op->getOperands())
        lastUse[root(v)] = t;
      ++t;
    }
    for (auto &download : step.downloads)
      lastUse[download.first] = t - 1;
  }
  struct Block {
    int64_t offset, size, freeAfter;
  };
  std::vector<Block> blocks;
  // A concat placed by its inputs lives while any of them does.
  for (auto &[input, where] : placedIn)
    lastUse[where.first] =
        std::max(lastUse.lookup(where.first), lastUse.lookup(input));
  std::function<void(Value, int64_t)> allocate = [&](Value v, int64_t at) {
    if (places.count(v))
      return; // a placed concat, allocated with its first input
    if (auto it = placedIn.find(v); it != placedIn.end()) {
      auto [concat, offset] = it->second;
      allocate(concat, at);
      places[v] = Place{false, places[concat].offset + offset};
      return;
    }
    int64_t size = alignUp(tensorType(v).getNumElements());
    int64_t freeAfter = lastUse.count(v) ? lastUse[v] : at;
    llvm::erase_if(blocks, [&](const Block &b) { return b.freeAfter < at; });
    llvm::sort(blocks, [](const Block &a, const Block &b) {
      return a.offset < b.offset;
    });
    int64_t offset = 0;
    for (const Block &b : blocks) {
      if (offset + size <= b.offset)
        break;
      offset = std::max(offset, b.offset + b.size);
    }
    blocks.push_back({offset, size, freeAfter});
    arenaFloats = std::max(arenaFloats, offset + size);
    places[v] = Place{false, offset};
  };
  t = 0;
  for (Step &step : steps) {
    if (!step.gpu)
      continue;
    for (auto &upload : step.uploads)
      allocate(upload.first, t);
    for (Operation *op : step.ops)
      allocate(op->getResult(0), t++);
  }
}

/// Element `coords` (the output's, right-aligned) of `v` with numpy
/// broadcasting: dims of 1 read index 0. `base` is where the elements are
/// (default: the value's place).
std::string PlanBuilder::load(Value v, ArrayRef<std::string> coords,
                              std::string base) {
  auto type = tensorType(v);
  ArrayRef<int64_t> shape = type.getShape();
  int64_t rank = shape.size(), skip = int64_t(coords.size()) - rank;
  assert(skip >= 0 && "broadcast to a lower rank");
  std::string index = "0";
  int64_t stride = 1;
  for (int64_t d = rank - 1; d >= 0; --d) {
    if (shape[d] != 1)
      index += llvm::formatv(" + {0} * {1}", coords[skip + d], stride).str();
    stride *= shape[d];
  }
  return llvm::formatv("{0}[{1}]", base.empty() ? place(v).base() : base, index)
      .str();
}

/// The scalar expression of an elementwise op on `args`.
std::optional<std::string> PlanBuilder::scalar(Operation *op,
                                               ArrayRef<std::string> args) {
  auto un = [&](const char *fmt) -> std::string {
    return llvm::formatv(fmt, args[0]).str();
  };
  auto bin = [&](const char *fmt) -> std::string {
    return llvm::formatv(fmt, args[0], args[1]).str();
  };
  return llvm::TypeSwitch<Operation *, std::optional<std::string>>(op)
      .Case([&](nn::ReluOp) { return un("fmax({0}, 0.0f)"); })
      .Case([&](nn::ClipOp c) {
        return llvm::formatv("fmin(fmax({0}, {1}), {2})", args[0],
                             floatLiteral(c.getMin().convertToFloat()),
                             floatLiteral(c.getMax().convertToFloat()))
            .str();
      })
      .Case([&](nn::SigmoidOp) { return un("(1.0f / (1.0f + exp(-{0})))"); })
      .Case([&](nn::HardSwishOp) {
        return un("({0} * fmax(0.0f, fmin(1.0f, {0} / 6.0f + 0.5f)))");
      })
      .Case([&](nn::HardSigmoidOp h) {
        return llvm::formatv("fmax(0.0f, fmin(1.0f, {1} * {0} + {2}))", args[0],
                             floatLiteral(h.getAlpha().convertToFloat()),
                             floatLiteral(h.getBeta().convertToFloat()))
            .str();
      })
      .Case([&](nn::LeakyReluOp l) {
        return llvm::formatv("({0} < 0.0f ? {1} * {0} : {0})", args[0],
                             floatLiteral(l.getAlpha().convertToFloat()))
            .str();
      })
      .Case([&](nn::TanhOp) { return un("tanh({0})"); })
      .Case([&](nn::ExpOp) { return un("exp({0})"); })
      .Case([&](nn::LogOp) { return un("log({0})"); })
      .Case([&](nn::SqrtOp) { return un("sqrt({0})"); })
      .Case([&](nn::AbsOp) { return un("fabs({0})"); })
      .Case([&](nn::NegOp) { return un("(-{0})"); })
      .Case([&](nn::ReciprocalOp) { return un("(1.0f / {0})"); })
      .Case([&](nn::ErfOp) { return un("erf({0})"); })
      .Case([&](nn::CeilOp) { return un("ceil({0})"); })
      .Case([&](nn::FloorOp) { return un("floor({0})"); })
      .Case([&](nn::RoundOp) { return un("rint({0})"); }) // halves to even
      .Case([&](nn::SignOp) {
        return un("(isnan({0}) ? {0} : {0} > 0.0f ? 1.0f : {0} < 0.0f ? "
                  "-1.0f : 0.0f)");
      })
      .Case([&](nn::SoftplusOp) { return un("log(exp({0}) + 1.0f)"); })
      .Case([&](nn::SoftsignOp) { return un("({0} / (1.0f + fabs({0})))"); })
      .Case([&](nn::SinOp) { return un("sin({0})"); })
      .Case([&](nn::CosOp) { return un("cos({0})"); })
      .Case([&](nn::TanOp) { return un("tan({0})"); })
      .Case([&](nn::AsinOp) { return un("asin({0})"); })
      .Case([&](nn::AcosOp) { return un("acos({0})"); })
      .Case([&](nn::AtanOp) { return un("atan({0})"); })
      .Case([&](nn::SinhOp) { return un("sinh({0})"); })
      .Case([&](nn::CoshOp) { return un("cosh({0})"); })
      .Case([&](nn::AsinhOp) { return un("asinh({0})"); })
      .Case([&](nn::AcoshOp) { return un("acosh({0})"); })
      .Case([&](nn::AtanhOp) { return un("atanh({0})"); })
      .Case([&](nn::EluOp e) {
        return llvm::formatv("({0} < 0.0f ? {1} * (exp({0}) - 1.0f) : {0})",
                             args[0],
                             floatLiteral(e.getAlpha().convertToFloat()))
            .str();
      })
      .Case([&](nn::CeluOp e) {
        std::string a = floatLiteral(e.getAlpha().convertToFloat());
        return llvm::formatv("(fmax(0.0f, {0}) + fmin(0.0f, {1} * (exp({0} / "
                             "{1}) - 1.0f)))",
                             args[0], a)
            .str();
      })
      .Case([&](nn::SeluOp e) {
        return llvm::formatv(
                   "({2} * ({0} <= 0.0f ? {1} * (exp({0}) - 1.0f) : {0}))",
                   args[0], floatLiteral(e.getAlpha().convertToFloat()),
                   floatLiteral(e.getGamma().convertToFloat()))
            .str();
      })
      .Case([&](nn::ThresholdedReluOp t) {
        return llvm::formatv("({0} > {1} ? {0} : 0.0f)", args[0],
                             floatLiteral(t.getAlpha().convertToFloat()))
            .str();
      })
      .Case([&](nn::ShrinkOp t) {
        std::string l = floatLiteral(t.getLambd().convertToFloat()),
                    b = floatLiteral(t.getBias().convertToFloat());
        return llvm::formatv("({0} < -{1} ? {0} + {2} : {0} > {1} ? {0} - {2} "
                             ": 0.0f)",
                             args[0], l, b)
            .str();
      })
      .Case([&](nn::PReluOp) { return bin("({0} < 0.0f ? {1} * {0} : {0})"); })
      .Case([&](nn::MaxOp) { return bin("fmax({0}, {1})"); })
      .Case([&](nn::MinOp) { return bin("fmin({0}, {1})"); })
      .Case([&](nn::PowOp) { return bin("pow({0}, {1})"); })
      .Case([&](nn::AddOp) { return bin("({0} + {1})"); })
      .Case([&](nn::SubOp) { return bin("({0} - {1})"); })
      .Case([&](nn::MulOp) { return bin("({0} * {1})"); })
      .Case([&](nn::DivOp) { return bin("({0} / {1})"); })
      .Default([](Operation *) { return std::nullopt; });
}

/// The code computing `op`'s element at `coords` into `value`, for the
/// anchors and pools; `operandBase` says where an operand's elements are.
LogicalResult
PlanBuilder::head(Operation *op, ArrayRef<std::string> c,
                  llvm::function_ref<std::string(Value)> operandBase,
                  std::string &body, std::string &value) {
  llvm::raw_string_ostream os(body);
  value = "acc";
  if (auto conv = dyn_cast<nn::ConvOp>(op)) {
    auto in = tensorType(conv.getInput()), w = tensorType(conv.getFilter());
    if (in.getRank() != 4 || conv.getChannelsLast())
      return unsupported(op, "is not a 2-D NCHW convolution");
    int64_t C = in.getDimSize(1), H = in.getDimSize(2), W = in.getDimSize(3);
    int64_t F = w.getDimSize(0), CG = w.getDimSize(1), KH = w.getDimSize(2),
            KW = w.getDimSize(3), G = conv.getGroup();
    ArrayRef<int64_t> s = conv.getStrides(), p = conv.getPads(),
                      d = conv.getDilations();
    os << "  float acc = "
       << (conv.getBias() ? operandBase(conv.getBias()) + "[" + c[1] + "]"
                          : std::string("0.0f"))
       << ";\n";
    os << llvm::formatv(
        "  const long g = {0} / {1};\n"
        "  __global const float *x = {2} + ({3} * {4} + g * {5}) * {6};\n"
        "  __global const float *f = {7} + {0} * {5} * {8};\n"
        "  for (long c = 0; c < {5}; ++c, x += {6}, f += {8})\n"
        "    for (long kh = 0; kh < {9}; ++kh) {{\n"
        "      const long ih = {10} * {11} - {12} + kh * {13};\n"
        "      if (ih < 0 || ih >= {14}) continue;\n"
        "      for (long kw = 0; kw < {15}; ++kw) {{\n"
        "        const long iw = {16} * {17} - {18} + kw * {19};\n"
        "        if (iw < 0 || iw >= {20}) continue;\n"
        "        acc += x[ih * {20} + iw] * f[kh * {15} + kw];\n"
        "      }\n"
        "    }\n",
        c[1], F / G, operandBase(conv.getInput()), c[0], C, CG, H * W,
        operandBase(conv.getFilter()), KH * KW, KH, c[2], s[0], p[0], d[0], H,
        KW, c[3], s[1], p[1], d[1], W);
    return success();
  }
  if (auto gemm = dyn_cast<nn::GemmOp>(op)) {
    auto a = tensorType(gemm.getA());
    int64_t K = gemm.getTransA() ? a.getDimSize(0) : a.getDimSize(1);
    auto b = tensorType(gemm.getB());
    int64_t lda = a.getDimSize(1), ldb = b.getDimSize(1);
    std::string ai = gemm.getTransA()
                         ? llvm::formatv("k * {0} + {1}", lda, c[0]).str()
                         : llvm::formatv("{0} * {1} + k", c[0], lda).str();
    std::string bi = gemm.getTransB()
                         ? llvm::formatv("{0} * {1} + k", c[1], ldb).str()
                         : llvm::formatv("k * {0} + {1}", ldb, c[1]).str();
    os << llvm::formatv("  float sum = 0.0f;\n"
                        "  for (long k = 0; k < {0}; ++k)\n"
                        "    sum += {1}[{2}] * {3}[{4}];\n",
                        K, operandBase(gemm.getA()), ai,
                        operandBase(gemm.getB()), bi);
    os << "  float acc = " << floatLiteral(gemm.getAlpha().convertToFloat())
       << " * sum";
    if (gemm.getC()) {
      // C broadcasts to M x N.
      std::string cc = load(gemm.getC(), c, operandBase(gemm.getC()));
      os << " + " << floatLiteral(gemm.getBeta().convertToFloat()) << " * "
         << cc;
    }
    os << ";\n";
    return success();
  }
  if (auto mm = dyn_cast<nn::MatMulOp>(op)) {
    auto a = tensorType(mm.getLhs()), b = tensorType(mm.getRhs());
    auto out = tensorType(op->getResult(0));
    if (a.getRank() < 2 || b.getRank() < 2 || !a.getElementType().isF32())
      return unsupported(op, "has operands of rank < 2 or not f32");
    int64_t rank = out.getRank(), K = a.getDimSize(a.getRank() - 1),
            M = a.getDimSize(a.getRank() - 2),
            N = b.getDimSize(b.getRank() - 1);
    // Batch offsets with broadcasting over the leading dims.
    auto batchOffset = [&](RankedTensorType t, int64_t matrix) {
      std::string index = "0";
      int64_t stride = matrix;
      int64_t skip = rank - t.getRank();
      for (int64_t d = t.getRank() - 3; d >= 0; --d) {
        if (t.getDimSize(d) != 1)
          index += llvm::formatv(" + {0} * {1}", c[skip + d], stride).str();
        stride *= t.getDimSize(d);
      }
      return index;
    };
    os << llvm::formatv("  float acc = 0.0f;\n"
                        "  __global const float *a = {0} + {1} + {2} * {3};\n"
                        "  __global const float *b = {4} + {5} + {6};\n"
                        "  for (long k = 0; k < {3}; ++k)\n"
                        "    acc += a[k] * b[k * {7}];\n",
                        operandBase(mm.getLhs()), batchOffset(a, M * K),
                        c[rank - 2], K, operandBase(mm.getRhs()),
                        batchOffset(b, K * N), c[rank - 1], N);
    return success();
  }
  if (isa<nn::MaxPoolOp, nn::AvgPoolOp>(op)) {
    Value input = op->getOperand(0);
    auto in = tensorType(input);
    bool isMax = isa<nn::MaxPoolOp>(op);
    ArrayRef<int64_t> k, s, p;
    SmallVector<int64_t> d = {1, 1};
    bool includePad = false;
    if (auto mp = dyn_cast<nn::MaxPoolOp>(op)) {
      if (mp.getChannelsLast())
        return unsupported(op, "is channels-last");
      k = mp.getKernelShape(), s = mp.getStrides(), p = mp.getPads();
      d.assign(mp.getDilations().begin(), mp.getDilations().end());
    } else {
      auto ap = cast<nn::AvgPoolOp>(op);
      if (ap.getChannelsLast())
        return unsupported(op, "is channels-last");
      k = ap.getKernelShape(), s = ap.getStrides(), p = ap.getPads();
      includePad = ap.getCountIncludePad();
    }
    if (in.getRank() != 4 || !in.getElementType().isF32())
      return unsupported(op, "is not a 2-D f32 pool");
    int64_t H = in.getDimSize(2), W = in.getDimSize(3);
    os << llvm::formatv(
        "  __global const float *x = {0} + ({1} * {2} + {3}) * {4};\n"
        "  float acc = {5};\n"
        "  long count = 0;\n"
        "  for (long kh = 0; kh < {6}; ++kh) {{\n"
        "    const long ih = {7} * {8} - {9} + kh * {10};\n"
        "    for (long kw = 0; kw < {11}; ++kw) {{\n"
        "      const long iw = {12} * {13} - {14} + kw * {15};\n"
        "      const bool in = ih >= 0 && ih < {16} && iw >= 0 && iw < {17};\n",
        operandBase(input), c[0], in.getDimSize(1), c[1], H * W,
        isMax ? "-INFINITY" : "0.0f", k[0], c[2], s[0], p[0], d[0], k[1], c[3],
        s[1], p[1], d[1], H, W);
    if (isMax)
      os << "      if (in) acc = fmax(acc, x[ih * " << W << " + iw]);\n";
    else if (includePad)
      // Pads count, the part of a window past them (ceil_mode) does not.
      os << "      if (ih < " << H + p[2] << " && iw < " << W + p[3]
         << ") ++count;\n"
         << "      if (in) acc += x[ih * " << W << " + iw];\n";
    else
      os << "      if (in) { acc += x[ih * " << W << " + iw]; ++count; }\n";
    os << "    }\n  }\n";
    if (!isMax)
      os << "  acc = count ? acc / (float)count : 0.0f;\n";
    return success();
  }
  if (auto pool = dyn_cast<nn::GlobalAvgPoolOp>(op)) {
    auto in = tensorType(pool.getInput());
    if (in.getRank() != 4)
      return unsupported(op, "is not 2-D");
    int64_t HW = in.getDimSize(2) * in.getDimSize(3);
    os << llvm::formatv("  __global const float *x = {0} + ({1} * {2} + {3}) "
                        "* {4};\n"
                        "  float acc = 0.0f;\n"
                        "  for (long j = 0; j < {4}; ++j) acc += x[j];\n"
                        "  acc /= {5};\n",
                        operandBase(pool.getInput()), c[0], in.getDimSize(1),
                        c[1], HW, floatLiteral(double(HW)));
    return success();
  }
  if (auto cat = dyn_cast<nn::ConcatOp>(op)) {
    int64_t rank = tensorType(op->getResult(0)).getRank();
    // I64Attr accessors return uint64_t: a negative axis comes back huge.
    int64_t axis = int64_t(cat.getAxis());
    axis += axis < 0 ? rank : 0;
    os << "  float acc;\n";
    int64_t start = 0;
    for (Value v : cat.getInputs()) {
      auto t = tensorType(v);
      if (!t.getElementType().isF32())
        return unsupported(op, "concatenates non-f32 tensors");
      int64_t size = t.getDimSize(axis);
      SmallVector<std::string> inner(c.begin(), c.end());
      inner[axis] = llvm::formatv("({0} - {1})", c[axis], start).str();
      std::string l = load(v, inner, operandBase(v));
      os << "  " << (start ? "else " : "") << "if (" << c[axis] << " < "
         << start + size << ") acc = " << l << ";\n";
      start += size;
    }
    return success();
  }
  if (auto tr = dyn_cast<nn::TransposeOp>(op)) {
    SmallVector<std::string> inner(c.size());
    for (auto [i, p] : llvm::enumerate(tr.getPerm()))
      inner[p] = c[i];
    std::string l = load(tr.getInput(), inner, operandBase(tr.getInput()));
    os << "  float acc = " << l << ";\n";
    return success();
  }
  if (isa<nn::ReduceMeanOp, nn::ReduceOp>(op)) {
    Value input = op->getOperand(0);
    auto in = tensorType(input);
    ArrayRef<int64_t> axes;
    bool keep;
    StringRef kind = "mean";
    if (auto mean = dyn_cast<nn::ReduceMeanOp>(op)) {
      axes = mean.getAxes(), keep = mean.getKeepdims();
    } else {
      auto reduce = cast<nn::ReduceOp>(op);
      axes = reduce.getAxes(), keep = reduce.getKeepdims();
      kind = reduce.getKind();
      if (kind != "sum" && kind != "max" && kind != "min")
        return unsupported(op, "reduces by '" + kind + "'");
    }
    // Input coordinates: kept dims from the output's, reduced ones looped.
    SmallVector<std::string> inner;
    int64_t next = 0, count = 1;
    std::string loops, close;
    for (int64_t d = 0; d < in.getRank(); ++d) {
      if (llvm::is_contained(axes, d)) {
        std::string r = llvm::formatv("r{0}", d).str();
        loops += llvm::formatv("  for (long {0} = 0; {0} < {1}; ++{0})\n", r,
                               in.getDimSize(d))
                     .str();
        inner.push_back(r);
        count *= in.getDimSize(d);
        next += keep;
      } else {
        inner.push_back(c[next++]);
      }
    }
    std::string l = load(input, inner, operandBase(input));
    std::string init = kind == "max"   ? "-INFINITY"
                       : kind == "min" ? "INFINITY"
                                       : "0.0f";
    std::string step = kind == "max"   ? "acc = fmax(acc, " + l + ");"
                       : kind == "min" ? "acc = fmin(acc, " + l + ");"
                                       : "acc += " + l + ";";
    os << "  float acc = " << init << ";\n" << loops << "    " << step << "\n";
    if (kind == "mean")
      os << "  acc /= " << floatLiteral(double(count)) << ";\n";
    return success();
  }
  if (auto resize = dyn_cast<nn::ResizeOp>(op)) {
    auto in = tensorType(resize.getInput());
    StringRef mode = resize.getMode(),
              coord = resize.getCoordinateTransformationMode(),
              nearest = resize.getNearestMode();
    if ((mode != "nearest" && mode != "linear") ||
        coord == "tf_crop_and_resize")
      return unsupported(op, "resizes by '" + mode + "' with '" + coord +
                                 "' (the OpenCL target has nearest and "
                                 "linear)");
    ArrayRef<double> scales = resize.getScales();
    // Per dim: the source coordinate (ONNX's x_original), then one tap
    // (nearest, or a dim that keeps its length at scale 1) or two.
    SmallVector<std::string> lo, hi, frac;
    for (int64_t d = 0; d < in.getRank(); ++d) {
      int64_t n = in.getDimSize(d);
      double scale = scales[d], length = scale * double(n);
      std::string x = c[d], sc = floatLiteral(scale);
      if (scale == 1.0 && coord != "tf_half_pixel_for_nn" &&
          coord != "align_corners") {
        lo.push_back(x), hi.push_back(""), frac.push_back("");
        continue;
      }
      std::string src;
      if (coord == "half_pixel" ||
          (coord == "pytorch_half_pixel" && length > 1.0))
        src = llvm::formatv("(({0} + 0.5f) / {1} - 0.5f)", x, sc).str();
      else if (coord == "pytorch_half_pixel")
        src = "(-0.5f)";
      else if (coord == "align_corners")
        src = length == 1.0
                  ? "0.0f"
                  : llvm::formatv("((float){0} * {1})", x,
                                  floatLiteral(double(n - 1) / (length - 1.0)))
                        .str();
      else if (coord == "asymmetric")
        src = llvm::formatv("((float){0} / {1})", x, sc).str();
      else if (coord == "tf_half_pixel_for_nn")
        src = llvm::formatv("(({0} + 0.5f) / {1})", x, sc).str();
      else
        return unsupported(op, "has coordinate mode '" + coord + "'");
      os << "  const float s" << d << " = " << src << ";\n";
      std::string s_ = llvm::formatv("s{0}", d).str(),
                  last = std::to_string(n - 1);
      if (mode == "nearest") {
        std::string r =
            nearest == "round_prefer_ceil" ? "floor(" + s_ + " + 0.5f)"
            : nearest == "floor"           ? "floor(" + s_ + ")"
            : nearest == "ceil"            ? "ceil(" + s_ + ")"
            : nearest == "simple"
                ? (scale >= 1.0 ? "floor(" + s_ + ")" : "ceil(" + s_ + ")")
                : "ceil(" + s_ + " - 0.5f)"; // round_prefer_floor
        lo.push_back("clamp((long)" + r + ", 0l, " + last + "l)");
        hi.push_back(""), frac.push_back("");
        continue;
      }
      os << llvm::formatv(
          "  const float f{0} = floor(s{0});\n"
          "  const float w{0} = s{0} - f{0};\n"
          "  const long a{0} = clamp((long)f{0}, 0l, {1}l);\n"
          "  const long b{0} = clamp((long)f{0} + 1, 0l, {1}l);\n",
          d, last);
      lo.push_back("a" + std::to_string(d));
      hi.push_back("b" + std::to_string(d));
      frac.push_back("w" + std::to_string(d));
    }
    // The sum over the taps of the product of their weights.
    SmallVector<int64_t> two;
    for (auto [d, h] : llvm::enumerate(hi))
      if (!h.empty())
        two.push_back(d);
    if (two.size() > 4)
      return unsupported(op, "interpolates more than 4 dimensions");
    os << "  float acc = 0.0f;\n";
    for (int64_t m = 0; m < (int64_t(1) << two.size()); ++m) {
      SmallVector<std::string> at(lo.begin(), lo.end());
      std::string w = "1.0f";
      for (auto [k, d] : llvm::enumerate(two)) {
        bool upper = m >> k & 1;
        at[d] = upper ? hi[d] : lo[d];
        w += upper ? " * " + frac[d] : " * (1.0f - " + frac[d] + ")";
      }
      std::string l =
          load(resize.getInput(), at, operandBase(resize.getInput()));
      os << "  acc += " << w << " * " << l << ";\n";
    }
    return success();
  }
  if (auto slice = dyn_cast<nn::SliceOp>(op)) {
    SmallVector<std::string> inner;
    for (auto [d, x] : llvm::enumerate(c))
      inner.push_back(llvm::formatv("({0} + {1} * {2})", slice.getOffsets()[d],
                                    x, slice.getSteps()[d])
                          .str());
    std::string l =
        load(slice.getInput(), inner, operandBase(slice.getInput()));
    os << "  const float acc = " << l << ";\n";
    return success();
  }
  if (auto pad = dyn_cast<nn::PadOp>(op)) {
    auto t = tensorType(pad.getInput());
    int64_t rank = t.getRank();
    ArrayRef<int64_t> pads = pad.getPads();
    StringRef mode = pad.getMode();
    // Source coordinates: constant mode tests the range, edge clamps,
    // reflect mirrors.
    SmallVector<std::string> inner;
    std::string inside = "1";
    for (int64_t d = 0; d < rank; ++d) {
      int64_t n = t.getDimSize(d);
      std::string x = llvm::formatv("({0} - {1})", c[d], pads[d]).str();
      if (mode == "edge")
        x = llvm::formatv("clamp({0}, 0l, {1}l)", x, n - 1).str();
      else if (mode == "reflect")
        x = llvm::formatv("({0} < 0 ? -{0} : {0} >= {1} ? 2 * {2} - {0} : {0})",
                          x, n, n - 1)
                .str();
      else
        inside += llvm::formatv(" && {0} >= 0 && {0} < {1}", x, n).str();
      inner.push_back(x);
    }
    std::string l = load(pad.getInput(), inner, operandBase(pad.getInput()));
    os << "  const float acc = (" << inside << ") ? " << l << " : "
       << floatLiteral(pad.getValue().convertToFloat()) << ";\n";
    return success();
  }
  if (auto sm = dyn_cast<nn::SoftmaxOp>(op)) {
    auto t = tensorType(sm.getInput());
    int64_t rank = t.getRank();
    int64_t axis = int64_t(sm.getAxis());
    axis += axis < 0 ? rank : 0;
    // ONNX 13: along `axis`; each work-item rescans its row.
    int64_t n = t.getDimSize(axis), inner = 1;
    for (int64_t dd = axis + 1; dd < rank; ++dd)
      inner *= t.getDimSize(dd);
    os << llvm::formatv(
        "  __global const float *x = {0} + (i / ({1} * {2})) * {1} * {2} + "
        "i % {2};\n"
        "  float m = -INFINITY, s = 0.0f;\n"
        "  for (long j = 0; j < {1}; ++j) m = fmax(m, x[j * {2}]);\n"
        "  for (long j = 0; j < {1}; ++j) s += exp(x[j * {2}] - m);\n"
        "  float acc = exp(x[{3} * {2}] - m) / s;\n",
        operandBase(sm.getInput()), n, inner, c[axis]);
    return success();
  }
  return unsupported(op, "has no OpenCL kernel");
}

LogicalResult PlanBuilder::emitKernel(Operation *op) {
  auto out = tensorType(op->getResult(0));
  if (!out || !out.getElementType().isF32() || !out.hasStaticShape())
    return unsupported(op, "has a result that is not a static f32 tensor");
  for (Value v : op->getOperands()) {
    auto t = tensorType(v);
    if (!t || !t.getElementType().isF32())
      return unsupported(op, "reads a tensor that is not f32");
  }
  if (out.getNumElements() == 0)
    return success(); // nothing to compute: no kernel, no launch
  std::string name = llvm::formatv("k{0}", kernelNames.size()).str();
  int64_t rank = out.getRank();
  SmallVector<std::string> coords;
  std::string code;
  llvm::raw_string_ostream os(code);
  os << "__kernel void " << name
     << "(__global float *arena, __global const float *weights) {\n"
     << "  const long i = get_global_id(0);\n"
     << "  if (i >= " << out.getNumElements() << ") return;\n";
  // Output coordinates, innermost first.
  os << "  long t = i;\n";
  coords.resize(rank);
  for (int64_t d = rank - 1; d >= 0; --d) {
    coords[d] = llvm::formatv("c{0}", d).str();
    os << "  const long c" << d << " = t % " << out.getDimSize(d)
       << "; t /= " << out.getDimSize(d) << ";\n";
  }
  std::string result;
  if (auto fused = dyn_cast<nn::FusedOp>(op)) {
    Block &body = fused.getBody().front();
    llvm::DenseMap<Value, std::string> scalars;
    auto operandBase = [&](Value v) {
      auto arg = cast<BlockArgument>(v);
      return place(fused.getInputs()[arg.getArgNumber()]).base();
    };
    int64_t n = 0;
    for (Operation &inner : body.without_terminator()) {
      std::string var = llvm::formatv("v{0}", n++).str();
      if (&inner == fused.getAnchor()) {
        std::string text, value;
        if (failed(head(&inner, coords, operandBase, text, value)))
          return failure();
        os << text << "  const float " << var << " = " << value << ";\n";
      } else {
        SmallVector<std::string> args;
        for (Value v : inner.getOperands()) {
          if (scalars.count(v)) {
            args.push_back(scalars[v]);
            continue;
          }
          Value outer =
              fused.getInputs()[cast<BlockArgument>(v).getArgNumber()];
          args.push_back(load(outer, coords));
        }
        std::optional<std::string> e = scalar(&inner, args);
        if (!e)
          return unsupported(&inner, "has no OpenCL expression");
        os << "  const float " << var << " = " << *e << ";\n";
      }
      scalars[inner.getResult(0)] = var;
    }
    result = scalars[body.getTerminator()->getOperand(0)];
  } else {
    // Elementwise ops read their operands at the output's coordinates
    // (broadcast); anything else is a head.
    SmallVector<std::string> args;
    for (Value v : op->getOperands())
      if (tensorType(v).getRank() <= rank)
        args.push_back(load(v, coords));
    std::optional<std::string> e;
    if (args.size() == op->getNumOperands())
      e = scalar(op, args);
    if (e) {
      result = *e;
    } else {
      std::string text;
      if (failed(head(
              op, coords, [&](Value v) { return place(v).base(); }, text,
              result)))
        return failure();
      os << text;
    }
  }
  os << "  arena[" << place(op->getResult(0)).offset << " + i] = " << result
     << ";\n}\n\n";
  source += code;
  // Work-groups of options.localSize work-items (the grid rounded up to
  // whole groups, the guard above skipping the excess); a kernel smaller
  // than one group is one group.
  uint64_t n = out.getNumElements(), local = options.localSize;
  if (local && n < local)
    local = n;
  uint64_t global = local ? (n + local - 1) / local * local : n;
  launches.push_back({uint32_t(kernelNames.size()), global, local});
  kernelNames.push_back(name);
  return success();
}

/// A CPU step as a model entry (views and constants are cloned in): its
/// arguments and results live in host memory, and it waits for the GPU
/// steps whose results it reads.
LogicalResult PlanBuilder::compileCPUStep(Step &step, unsigned entry) {
  FailureOr<CPUSegment> segment = compileCPUSegment(
      main, step.ops, partition,
      [&](Operation *def) { return isa<nn::ConstantOp>(def) || isView(def); },
      compileSegment, entry);
  if (failed(segment))
    return failure();
  for (Value v : segment->arguments) {
    step.args.push_back(hostRef(v));
    Operation *def = v.getDefiningOp();
    if (def && steps[stepOf.lookup(def)].gpu &&
        !llvm::is_contained(step.waits, stepOf.lookup(def)))
      step.waits.push_back(stepOf.lookup(def));
  }
  for (auto &[r, output] : segment->results)
    step.args.push_back(output ? Ref{KILN_CL_REF_OUTPUT, *output, byteSize(r)}
                               : hostRef(r));
  step.entry = entry;
  step.parallel = segment->abi.parallel;
  cpuArenaBytes = std::max(cpuArenaBytes, segment->abi.arenaBytes);
  return success();
}

void putRef(std::vector<uint8_t> &p, const Ref &ref) {
  p.push_back(ref.kind);
  put64(p, ref.index);
  put64(p, ref.size);
}

void PlanBuilder::encode(std::vector<uint8_t> &out) {
  std::vector<uint8_t> p;
  put64(p, uint64_t(arenaFloats) * 4);
  put64(p, uint64_t(weights.size()) * 4);
  put64(p, hostBytes);
  put64(p, cpuArenaBytes);
  put32(p, kernelNames.size());
  for (const std::string &name : kernelNames)
    putName(p, name);
  put32(p, launches.size());
  for (const Launch &l : launches) {
    put32(p, l.kernel);
    put32(p, 1);
    for (uint64_t g : {l.global, uint64_t(1), uint64_t(1)})
      put64(p, g);
    for (uint64_t g :
         {l.local, uint64_t(l.local ? 1 : 0), uint64_t(l.local ? 1 : 0)})
      put64(p, g);
  }
  put32(p, steps.size());
  for (const Step &step : steps) {
    p.push_back(step.gpu ? KILN_CL_STEP_GPU : KILN_CL_STEP_CPU);
    if (step.gpu) {
      put32(p, step.firstLaunch);
      put32(p, step.numLaunches);
      put32(p, step.uploads.size());
      for (auto &[value, ref] : step.uploads) {
        putRef(p, ref);
        put64(p, uint64_t(places.lookup(value).offset) * 4);
      }
      put32(p, step.downloads.size());
      for (auto &[value, ref] : step.downloads) {
        put64(p, uint64_t(places.lookup(value).offset) * 4);
        putRef(p, ref);
      }
      continue;
    }
    put32(p, step.entry);
    p.push_back(step.parallel);
    put32(p, step.args.size());
    for (const Ref &ref : step.args)
      putRef(p, ref);
    put32(p, step.waits.size());
    for (uint32_t w : step.waits)
      put32(p, w);
  }
  put32(p, source.size());
  p.insert(p.end(), source.begin(), source.end());
  const uint8_t *w = reinterpret_cast<const uint8_t *>(weights.data());
  p.insert(p.end(), w, w + weights.size() * 4);
  putBlob(out, KILN_OPENCL_PLAN_MAGIC, KILN_OPENCL_PLAN_VERSION, p);
}

LogicalResult PlanBuilder::build(std::vector<uint8_t> &out,
                                 PlanSummary &summary) {
  source = "// Kiln: OpenCL C 1.2, one work-item per output element.\n\n";
  SmallVector<Operation *> ops;
  for (Operation &op : main.getBody().front().without_terminator()) {
    if (isa<nn::ConstantOp>(op))
      continue;
    if (isa<nn::ReshapeOp, nn::FlattenOp>(op)) {
      rootOf[op.getResult(0)] = root(op.getOperand(0));
      viewOffset[op.getResult(0)] = viewOffset.lookup(op.getOperand(0));
      continue;
    }
    if (std::optional<int64_t> offset = contiguousSlice(&op)) {
      rootOf[op.getResult(0)] = root(op.getOperand(0));
      viewOffset[op.getResult(0)] =
          viewOffset.lookup(op.getOperand(0)) + *offset;
      continue;
    }
    ops.push_back(&op);
  }
  Operation *ret = main.getBody().front().getTerminator();
  // Partition: each op on the GPU unless it cannot run there or is kept off.
  llvm::DenseMap<Operation *, bool> onGPU;
  bool anyGPU = false;
  for (Operation *op : ops) {
    std::optional<std::string> why = whyCPU(op);
    onGPU[op] = !why;
    anyGPU |= !why;
    if (why) {
      std::string where = nn::nodeName(op->getLoc());
      where = where.empty() ? "(unnamed)" : "'" + where + "'";
      summary.cpuOps.push_back(
          where + " (" + op->getName().getStringRef().str() + "): " + *why);
    }
  }
  if (!anyGPU)
    return success(); // no GPU variant
  for (Value v : ret->getOperands()) {
    Value r = root(v);
    if (isa<BlockArgument>(r) || isConstant(r))
      return main.emitError("OpenCL target: an output that is an input or a "
                            "constant is not supported");
  }
  partition.schedule(ops, onGPU);
  for (const Partition::Step &run : partition.steps) {
    steps.emplace_back();
    steps.back().gpu = run.accel;
    steps.back().ops = run.ops;
  }
  for (Step &step : steps)
    if (step.gpu)
      for (Operation *op : step.ops)
        for (Value v : op->getOperands())
          if (isConstant(root(v)) &&
              failed(collectWeights(root(v).getDefiningOp())))
            return failure();
  planCopies();
  placeConcats();
  planArena();
  unsigned entry = 1; // entry 0 is the CPU variant's
  for (auto [i, step] : llvm::enumerate(steps)) {
    if (step.gpu) {
      step.firstLaunch = launches.size();
      for (Operation *op : step.ops)
        if (!placedConcats.count(op) && failed(emitKernel(op)))
          return failure();
      step.numLaunches = launches.size() - step.firstLaunch;
      ++summary.gpuSegments;
      continue;
    }
    if (failed(compileCPUStep(step, entry++)))
      return failure();
    ++summary.cpuSegments;
    summary.overlapping +=
        i > 0 && !llvm::is_contained(step.waits, uint32_t(i - 1));
  }
  encode(out);
  summary.kernels = kernelNames.size();
  summary.arenaBytes = arenaFloats * 4;
  summary.weightBytes = weights.size() * 4;
  summary.sourceBytes = source.size();
  summary.source = source;
  return success();
}

} // namespace

FailureOr<std::vector<uint8_t>> buildPlan(ModuleOp module,
                                          const PlanOptions &options,
                                          CompileSegment compileSegment,
                                          PlanSummary &summary) {
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main || main.getBody().empty())
    return module.emitError("OpenCL target: no @main");
  std::vector<uint8_t> out;
  PlanBuilder builder(main, options, compileSegment);
  if (failed(builder.build(out, summary)))
    return failure();
  return out;
}

} // namespace kiln::opencl
