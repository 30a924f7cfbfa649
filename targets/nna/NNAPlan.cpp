//===- NNAPlan.cpp - a quantised model to an NNA plan ---------------------===//
//
// The arena is laid out in step order and never reused, as the streams lay
// out theirs: a CPU step's results go after everything placed before it,
// and each stream takes the range after that (its arguments stay where the
// step that produced them put them), so no step overwrites a value a later
// one reads.
//
//===----------------------------------------------------------------------===//
#include "targets/nna/NNAPlan.h"
#include "targets/ArtifactBytes.h"
#include "targets/nna/StreamDump.h"

#include "dialects/nn/NNOps.h"
#include "dialects/nna/NNAOps.h"

#include "kiln/model_format.h"
#include "kiln/nna_plan.h"
#include "runtime/src/nna_plan.h"

#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
namespace nn = kiln::nn;

namespace kiln::nna {
namespace {

/// Arena places are 64-byte aligned, like the streams'.
uint64_t alignArena(uint64_t v) { return (v + 63) / 64 * 64; }

/// Host memory a CPU step reads or writes (KILN_NNA_REF_*).
struct Ref {
  uint8_t kind = KILN_NNA_REF_ARENA;
  uint64_t index = 0; // input or output number, or arena offset
  uint64_t size = 0;  // bytes
};

std::string refText(const Ref &ref) {
  const char *what = ref.kind == KILN_NNA_REF_INPUT    ? "input "
                     : ref.kind == KILN_NNA_REF_OUTPUT ? "output "
                                                       : "arena+";
  return llvm::formatv("{0}{1} ({2} B)", what, ref.index, ref.size).str();
}

struct Step {
  bool nna = false;
  uint32_t index = 0; // stream or entry
  bool parallel = false;
  SmallVector<Ref> args;
};

class PlanBuilder {
public:
  PlanBuilder(func::FuncOp main, const kiln_nna_config &config,
              CompileSegment compileSegment, unsigned firstEntry)
      : main(main), config(config), compileSegment(compileSegment),
        nextEntry(firstEntry) {}

  LogicalResult build(std::vector<uint8_t> &out, PlanSummary &summary);

private:
  LogicalResult cpuStep(const Partition::Step &run, PlanSummary &summary);
  LogicalResult nnaStep(const Partition::Step &run, PlanSummary &summary);
  void encode(std::vector<uint8_t> &out, PlanSummary &summary);
  LogicalResult check(const std::vector<uint8_t> &plan);

  func::FuncOp main;
  const kiln_nna_config &config;
  CompileSegment compileSegment;
  unsigned nextEntry;
  Partition partition;
  llvm::DenseMap<Value, Ref> refs; // where each value crossing steps is
  uint64_t arenaEnd = 0, cpuArenaBytes = 0;
  std::vector<std::vector<uint8_t>> streams;
  std::vector<Step> steps;
};

/// Results of a CPU step that later steps read go to the arena (the NNA
/// reads nothing else); model outputs to the caller's buffers.
LogicalResult PlanBuilder::cpuStep(const Partition::Step &run,
                                   PlanSummary &summary) {
  FailureOr<CPUSegment> segment = compileCPUSegment(
      main, run.ops, partition,
      [](Operation *def) { return isa<nn::ConstantOp>(def); }, compileSegment,
      nextEntry);
  if (failed(segment))
    return failure();
  Step step;
  step.index = nextEntry++;
  step.parallel = segment->abi.parallel;
  cpuArenaBytes = std::max(cpuArenaBytes, segment->abi.arenaBytes);
  for (Value v : segment->arguments) {
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      step.args.push_back(
          {KILN_NNA_REF_INPUT, arg.getArgNumber(), byteSize(v)});
      continue;
    }
    auto it = refs.find(v);
    if (it == refs.end())
      return run.ops.front()->emitError(
          "NNA target: internal error: a CPU step reads a value no earlier "
          "step placed");
    step.args.push_back(it->second);
  }
  for (auto &[v, output] : segment->results) {
    if (output) {
      Ref ref{KILN_NNA_REF_OUTPUT, *output, byteSize(v)};
      step.args.push_back(ref);
      refs.try_emplace(v, ref);
      continue;
    }
    Ref ref{KILN_NNA_REF_ARENA, alignArena(arenaEnd), byteSize(v)};
    arenaEnd = ref.index + ref.size;
    refs[v] = ref;
    step.args.push_back(ref);
  }
  std::string line = llvm::formatv("cpu entry {0}:", step.index).str();
  for (auto [i, ref] : llvm::enumerate(step.args))
    line += (i == segment->arguments.size() ? " -> "
             : i                            ? ", "
                                            : " ") +
            refText(ref);
  summary.steps.push_back(line);
  steps.push_back(std::move(step));
  return success();
}

/// A function of the step's nna ops and their constants, whose arguments
/// are the cubes it reads from other steps and whose results the cubes
/// later steps read, built into one stream in the shared arena.
LogicalResult PlanBuilder::nnaStep(const Partition::Step &run,
                                   PlanSummary &summary) {
  Location loc = run.ops.front()->getLoc();
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  OpBuilder b(main.getContext());
  b.setInsertionPointToEnd(module->getBody());
  auto fn = func::FuncOp::create(b, loc, "main", b.getFunctionType({}, {}));
  Block *body = fn.addEntryBlock();
  b.setInsertionPointToEnd(body);
  IRMapping map;
  StreamOptions options;
  options.layerByLayer = summary.layerByLayer;
  SmallVector<Type> argTypes, resultTypes;
  for (Operation *op : run.ops) {
    for (Value v : op->getOperands()) {
      if (map.contains(v))
        continue;
      if (auto constant = v.getDefiningOp<nn::ConstantOp>()) {
        b.clone(*constant, map);
        continue;
      }
      auto it = refs.find(v);
      if (it == refs.end() || it->second.kind != KILN_NNA_REF_ARENA)
        return op->emitError("NNA target: '")
               << op->getName()
               << "' reads a value that is not in the arena (a model input "
                  "or output); the NNA reads only what a CPU step or an "
                  "earlier stream put there";
      map.map(v, body->addArgument(v.getType(), v.getLoc()));
      argTypes.push_back(v.getType());
      options.argumentOffsets.push_back(it->second.index);
    }
    b.clone(*op, map);
  }
  SmallVector<Value> results, produced;
  for (Operation *op : run.ops)
    for (Value r : op->getResults())
      if (partition.readLater.count(r)) {
        results.push_back(map.lookup(r));
        resultTypes.push_back(r.getType());
        produced.push_back(r);
      }
  func::ReturnOp::create(b, loc, results);
  fn.setType(b.getFunctionType(argTypes, resultTypes));
  options.arenaBase = alignArena(arenaEnd);
  StreamSummary stream;
  FailureOr<std::vector<uint8_t>> bytes =
      buildStream(fn, config, options, stream);
  if (failed(bytes))
    return failure();
  for (auto [v, placed] : llvm::zip_equal(produced, stream.results))
    refs[v] = Ref{KILN_NNA_REF_ARENA, placed.offset, byteSize(v)};
  arenaEnd = std::max(arenaEnd, stream.arenaSize);
  Step step;
  step.nna = true;
  step.index = streams.size();
  summary.steps.push_back(llvm::formatv("nna stream {0}", step.index).str());
  steps.push_back(std::move(step));
  streams.push_back(std::move(*bytes));
  summary.commands += stream.numCommands();
  summary.dramBytes += stream.dramLoaded + stream.dramStored;
  summary.constantBytes += stream.constSize;
  summary.streams.push_back(std::move(stream));
  return success();
}

void PlanBuilder::encode(std::vector<uint8_t> &out, PlanSummary &summary) {
  std::vector<uint8_t> p;
  put32(p, config.id);
  put64(p, alignArena(arenaEnd));
  put64(p, cpuArenaBytes);
  put32(p, streams.size());
  for (const std::vector<uint8_t> &s : streams) {
    put64(p, s.size());
    summary.streamBytes.push_back(
        {KILN_NNA_PLAN_HEADER_SIZE + p.size(), s.size()});
    p.insert(p.end(), s.begin(), s.end());
  }
  put32(p, steps.size());
  for (const Step &step : steps) {
    p.push_back(step.nna ? KILN_NNA_STEP_NNA : KILN_NNA_STEP_CPU);
    put32(p, step.index);
    if (step.nna)
      continue;
    p.push_back(step.parallel);
    put32(p, step.args.size());
    for (const Ref &ref : step.args) {
      p.push_back(ref.kind);
      put64(p, ref.index);
      put64(p, ref.size);
    }
  }
  putBlob(out, KILN_NNA_PLAN_MAGIC, KILN_NNA_PLAN_VERSION, p);
}

/// The compiler must never hand the runtime a plan it would refuse: the
/// runtime's parser checks it against @main's tensors (by size; names are
/// for its messages) and the entries compiled so far.
LogicalResult PlanBuilder::check(const std::vector<uint8_t> &plan) {
  std::vector<std::string> names;
  for (unsigned i = 0; i < main.getNumArguments(); ++i)
    names.push_back("input " + std::to_string(i));
  for (unsigned i = 0; i < main.getNumResults(); ++i)
    names.push_back("output " + std::to_string(i));
  Operation *ret = main.getBody().front().getTerminator();
  std::vector<kiln_tensor_info> inputs, outputs;
  for (BlockArgument arg : main.getArguments())
    inputs.push_back(
        {names[inputs.size()].c_str(), {}, 0, nullptr, byteSize(arg)});
  for (Value v : ret->getOperands())
    outputs.push_back({names[inputs.size() + outputs.size()].c_str(),
                       {},
                       0,
                       nullptr,
                       byteSize(v)});
  kiln_nna_plan parsed{};
  kiln_error err{};
  kiln_status st = kiln_nna_plan_parse(
      plan.data(), plan.size(), inputs.data(), inputs.size(), outputs.data(),
      outputs.size(), nextEntry, &parsed, &err);
  kiln_nna_plan_free(&parsed);
  if (st != KILN_OK)
    return main.emitError("NNA target: internal error: the plan builder made "
                          "a plan the runtime refuses: ")
           << err.message;
  return success();
}

LogicalResult PlanBuilder::build(std::vector<uint8_t> &out,
                                 PlanSummary &summary) {
  SmallVector<Operation *> ops;
  llvm::DenseMap<Operation *, bool> onNNA;
  bool anyNNA = false;
  for (Operation &op : main.getBody().front().without_terminator()) {
    if (isa<nn::ConstantOp>(op))
      continue;
    ops.push_back(&op);
    onNNA[&op] = isa<ConvOp, AddOp, PoolOp>(op);
    anyNNA |= onNNA[&op];
  }
  if (!anyNNA)
    return success(); // no NNA variant
  // The NNA writes only its arena: every output comes from a CPU step.
  for (Value v : main.getBody().front().getTerminator()->getOperands()) {
    Operation *def = v.getDefiningOp();
    if (!def || isa<nn::ConstantOp>(def))
      return main.emitError("NNA target: an output that is an input or a "
                            "constant is not supported");
    if (onNNA.lookup(def))
      return def->emitError("NNA target: an output computed by the NNA is "
                            "not supported (the NNA writes only its arena)");
  }
  partition.schedule(ops, onNNA);
  for (const Partition::Step &run : partition.steps) {
    if (failed(run.accel ? nnaStep(run, summary) : cpuStep(run, summary)))
      return failure();
    ++(run.accel ? summary.nnaSteps : summary.cpuSteps);
  }
  encode(out, summary);
  if (failed(check(out)))
    return failure();
  summary.arenaBytes = alignArena(arenaEnd);
  summary.cpuArenaBytes = cpuArenaBytes;
  return success();
}

} // namespace

FailureOr<std::vector<uint8_t>> buildPlan(ModuleOp module,
                                          const kiln_nna_config &config,
                                          CompileSegment compileSegment,
                                          unsigned firstEntry,
                                          PlanSummary &summary) {
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main || main.getBody().empty())
    return module.emitError("NNA target: no @main");
  bool layerByLayer = summary.layerByLayer;
  summary = PlanSummary();
  summary.layerByLayer = layerByLayer;
  std::vector<uint8_t> out;
  PlanBuilder builder(main, config, compileSegment, firstEntry);
  if (failed(builder.build(out, summary)))
    return failure();
  return out;
}

llvm::Error printPlan(raw_ostream &os, const kiln_nna_config &config,
                      ArrayRef<uint8_t> plan, const PlanSummary &summary) {
  os << "nna-plan: config " << config.name << ", arena " << summary.arenaBytes
     << ", cpu arena " << summary.cpuArenaBytes << ", "
     << summary.streams.size() << " streams, " << summary.steps.size()
     << " steps\n";
  for (auto [i, step] : llvm::enumerate(summary.steps))
    os << "step " << i << ": " << step << "\n";
  for (auto [i, s] : llvm::enumerate(summary.streams)) {
    auto [offset, size] = summary.streamBytes[i];
    kiln_nna_stream stream{};
    kiln_error err{};
    llvm::scope_exit freeStream([&] { kiln_nna_stream_free(&stream); });
    if (kiln_nna_stream_parse(plan.data() + offset, size, &stream, &err) !=
        KILN_OK)
      return llvm::createStringError("NNA plan: stream " + std::to_string(i) +
                                     ": " + err.message);
    os << "stream " << i << ":\n";
    printStreamSummary(os, config, s, summary.layerByLayer);
    printStreamCommands(os, stream);
  }
  return llvm::Error::success();
}

} // namespace kiln::nna
