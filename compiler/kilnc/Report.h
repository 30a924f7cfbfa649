//===- Report.h - kilnc --report and --time-passes --------------*- C++ -*-===//
//
// What a compile did, collected into plain data while kilnc runs (the graph
// after partitioning, per-layer cost, the memory plan, the graph passes'
// decisions, the device variants, the variant table) and written by
// writeReport as one self-contained HTML page. StageTimer times the stages
// of a compile for --time-passes.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_KILNC_REPORT_H
#define KILN_COMPILER_KILNC_REPORT_H

#include "targets/nna/NNAPlan.h"
#include "targets/opencl/OpenCLPlan.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassInstrumentation.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Chrono.h"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kiln::report {

/// One node of a graph: a model input or a top-level op of @main.
struct Layer {
  std::string name; // the ONNX node (a fused group's first node)
  std::string op;   // "nn.conv", "nn.fused conv_epilogue", "input", ...
  std::vector<std::string> nodes; // every ONNX node its location names
  uint64_t macs = 0;     // multiply-accumulates (convs, matrix products)
  uint64_t elements = 0; // elements of its results
  uint64_t outputBytes = 0;
  std::string device;         // "cpu", "gpu", "nna", "view" (no work), "input"
  int64_t segment = -1;       // --variants: the segment it is in
  int64_t stream = -1;        // NNA: the command stream it is in
  bool output = false;        // a model output
  std::vector<size_t> inputs; // layers it reads (indices)
};

/// A graph after partitioning: one per variant the artifact holds.
struct Graph {
  std::string title;
  std::string note;
  std::vector<Layer> layers;
};

/// One buffer of the CPU variant's arena, after kiln-plan-memory.
struct Buffer {
  std::string name;     // the ONNX node that writes it
  std::string lastUser; // the ONNX node that reads it last
  int64_t offset = 0, size = 0;
  int64_t first = 0, last = 0; // positions in @main's entry block
};

struct MemoryPlan {
  bool recorded = false;
  int64_t arenaBytes = 0;
  int64_t buffersBytes = 0; // every buffer in its own bytes
  int64_t positions = 0;    // ops in @main's entry block
  std::vector<Buffer> buffers;
};

/// A group of ONNX nodes the graph passes turned into one op.
struct Group {
  std::string kind; // fused kind, or the merging pass
  std::string op;
  std::vector<std::string> nodes;
  int64_t pieces = 0; // split: pieces; depthwise+pointwise: bands
};

struct Decisions {
  std::vector<std::pair<std::string, std::pair<int64_t, int64_t>>> passes;
  std::vector<Group> fused, merged, split, bands;
  std::vector<std::pair<std::string, std::string>> facts;  // layout, prune
  std::vector<std::pair<std::string, std::string>> pruned; // layer, counts
};

/// One row of the artifact's variant table (kiln/variants.h).
struct VariantRow {
  uint32_t segment = 0, model = 0;
  std::string kind, device, label;
  uint32_t threads = 0;
  double latencyUs = 0, error = 0;
  uint64_t weightsBytes = 0, arenaBytes = 0;
};

struct VariantTable {
  std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>>
      segments; // inputs and outputs by name
  std::vector<VariantRow> rows;
};

/// A device variant (GPU or NNA) beside the CPU code.
struct DeviceVariant {
  std::string title;
  std::vector<std::pair<std::string, std::string>> facts;
  std::vector<std::string> notes;  // ops on the CPU and why, plan steps
  std::vector<std::string> header; // of `rows`
  std::vector<std::vector<std::string>> rows;
};

struct Report {
  std::string version, command, input, output, target, options;
  std::vector<std::pair<std::string, std::string>> facts;
  std::vector<Graph> graphs;
  std::string graphsNote; // why a graph is missing
  MemoryPlan memory;
  std::string memoryNote;
  Decisions decisions;
  bool decisionsRecorded = false;
  std::vector<DeviceVariant> devices;
  std::string devicesNote;
  std::optional<VariantTable> variants;
  std::string variantsNote;
  std::vector<std::pair<std::string, double>> stages; // seconds
};

/// The layers of @main in program order: its arguments, then every op but
/// constants and the return. `device` names each op's device (and may set
/// its stream); null: "cpu" ("view" for reshapes and flattens).
Graph collectGraph(mlir::func::FuncOp main, llvm::StringRef title,
                   std::function<void(mlir::Operation *, Layer &)> device = {});

/// The GPU variant: its graph (ops on the CPU as `summary.cpuOps` lists
/// them), facts and the ops kept on the CPU with why.
void addGPU(Report &report, mlir::ModuleOp module,
            const opencl::PlanSummary &summary, uint64_t planBytes);

/// The NNA variant: its graph (nna ops on the NNA, by stream), facts, the
/// streams' ops and the plan's steps.
void addNNA(Report &report, mlir::ModuleOp module,
            const kiln_nna_config &config, const nna::PlanSummary &summary,
            uint64_t planBytes);

/// The CPU pass manager's instrumentation for --report: which ops the
/// merging passes made, the graph and the fused, split and banded groups
/// just before nn -> linalg, the arena after kiln-plan-memory.
class Recorder : public mlir::PassInstrumentation {
public:
  explicit Recorder(Report &report) : report(report) {}
  void runBeforePass(mlir::Pass *pass, mlir::Operation *op) override;
  void runAfterPass(mlir::Pass *pass, mlir::Operation *op) override;

private:
  Report &report;
  std::map<std::string, int> before; // merging: locations before the pass
};

/// Reads the variant table from an artifact kilnc wrote (an object or a
/// shared object holds the table's bytes as they are). Empty on failure.
std::optional<VariantTable> readVariantTable(llvm::StringRef artifact,
                                             std::string &error);

/// Writes the report as one HTML page (inline CSS, SVG and script; nothing
/// fetched). Fails with a message.
bool writeReport(const Report &report, llvm::StringRef path,
                 std::string &error);

/// --time-passes: the stages of a compile, each printed to stderr as it
/// ends ("kilnc: time: lowering  1.234 s"), then the total.
class StageTimer {
public:
  explicit StageTimer(bool print) : print(print) {}
  /// Ends the current stage, if any, and starts `name`.
  void begin(llvm::StringRef name);
  /// Ends the current stage.
  void end();
  /// Ends the current stage and prints the total.
  void finish();
  const std::vector<std::pair<std::string, double>> &stages() const {
    return done;
  }

private:
  using Clock = std::chrono::steady_clock;
  bool print;
  std::string current;
  Clock::time_point started, first = Clock::now();
  std::vector<std::pair<std::string, double>> done;
};

/// Ends the graph passes' stage at nn -> linalg: the graph passes and the
/// lowering run in one pass manager.
class StageSplitter : public mlir::PassInstrumentation {
public:
  explicit StageSplitter(StageTimer &timer) : timer(timer) {}
  void runBeforePass(mlir::Pass *pass, mlir::Operation *) override;

private:
  StageTimer &timer;
};

} // namespace kiln::report

#endif // KILN_COMPILER_KILNC_REPORT_H
