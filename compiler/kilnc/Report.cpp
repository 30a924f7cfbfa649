//===- Report.cpp - kilnc --report and --time-passes ----------------------===//
//
// Collecting (from the IR while the passes run, and from the variant table
// in the artifact) and writing the HTML page. The page is one file: CSS,
// the SVG charts and a small script inline, every name escaped.
//
//===----------------------------------------------------------------------===//
#include "compiler/kilnc/Report.h"

#include "dialects/nn/NNOps.h"
#include "dialects/nna/NNAOps.h"

#include "kiln/model_format.h"
#include "kiln/variants.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

using namespace mlir;

namespace kiln::report {
namespace {

//===----------------------------------------------------------------------===//
// Collecting
//===----------------------------------------------------------------------===//

/// Every ONNX node a location names, in order, once each.
void locationNodes(Location loc, std::vector<std::string> &out) {
  if (auto fused = dyn_cast<FusedLoc>(loc)) {
    for (Location inner : fused.getLocations())
      locationNodes(inner, out);
    return;
  }
  if (auto site = dyn_cast<CallSiteLoc>(loc))
    return locationNodes(site.getCallee(), out);
  std::string name = nn::nodeName(loc);
  if (!name.empty() && !llvm::is_contained(out, name))
    out.push_back(name);
}

uint64_t elementsOf(Type type) {
  auto shaped = dyn_cast<ShapedType>(type);
  return shaped && shaped.hasStaticShape() ? shaped.getNumElements() : 0;
}

uint64_t bytesOf(Type type) {
  auto shaped = dyn_cast<ShapedType>(type);
  if (!shaped || !shaped.hasStaticShape() ||
      !shaped.getElementType().isIntOrFloat())
    return 0;
  return shaped.getNumElements() *
         ((shaped.getElementType().getIntOrFloatBitWidth() + 7) / 8);
}

/// Multiply-accumulates of a conv or matrix product: result elements times
/// the reduction; 0 for other ops. A fused group counts its anchor.
uint64_t macsOf(Operation *op) {
  if (auto fused = dyn_cast<nn::FusedOp>(op)) {
    uint64_t sum = 0;
    for (Operation &inner : fused.getBody().front())
      sum += macsOf(&inner);
    return sum;
  }
  // Result elements times filter elements per output channel: the same
  // for every filter layout.
  auto perChannel = [](Value result, Value filter, int64_t channels) {
    return channels > 0 ? elementsOf(result.getType()) *
                              (elementsOf(filter.getType()) / channels)
                        : 0;
  };
  if (auto conv = dyn_cast<nn::ConvOp>(op)) {
    ArrayRef<int64_t> shape = conv.getType().getShape();
    if (shape.size() < 2)
      return 0;
    return perChannel(conv.getResult(), conv.getFilter(),
                      conv.getChannelsLast() ? shape.back() : shape[1]);
  }
  if (auto conv = dyn_cast<nna::ConvOp>(op))
    return perChannel(conv.getResult(), conv.getWeights(),
                      conv.getType().getShape().back());
  if (auto conv = dyn_cast<nn::ConvTransposeOp>(op)) {
    auto input = cast<RankedTensorType>(conv.getInput().getType());
    auto filter = cast<RankedTensorType>(conv.getFilter().getType());
    if (input.getRank() < 2 || !filter.getShape()[0])
      return 0;
    return elementsOf(input) * (elementsOf(filter) / filter.getShape()[0]);
  }
  if (auto gemm = dyn_cast<nn::GemmOp>(op)) {
    auto a = cast<RankedTensorType>(gemm.getA().getType());
    if (a.getRank() != 2)
      return 0;
    return elementsOf(gemm.getType()) * a.getShape()[gemm.getTransA() ? 0 : 1];
  }
  if (auto matmul = dyn_cast<nn::MatMulOp>(op)) {
    auto lhs = cast<RankedTensorType>(matmul.getLhs().getType());
    if (lhs.getRank() < 1)
      return 0;
    return elementsOf(matmul.getType()) * lhs.getShape().back();
  }
  return 0;
}

bool isView(Operation *op) {
  return isa<nn::ReshapeOp, nn::FlattenOp, nn::IdentityOp>(op);
}

func::FuncOp mainOf(Operation *op) {
  if (auto fn = dyn_cast<func::FuncOp>(op))
    return fn.getName() == "main" ? fn : func::FuncOp();
  if (auto module = dyn_cast<ModuleOp>(op))
    return module.lookupSymbol<func::FuncOp>("main");
  return {};
}

std::string nameOr(Location loc, llvm::StringRef fallback) {
  std::string name = nn::nodeName(loc);
  return name.empty() ? fallback.str() : name;
}

/// The arena's buffers after kiln-plan-memory: each memref.view of the
/// arena argument, live from the view to the last op of the entry block
/// that touches it or a value computed from it (as the pass counts).
MemoryPlan collectMemoryPlan(func::FuncOp main) {
  MemoryPlan plan;
  if (main.isExternal() || main.getNumArguments() == 0)
    return plan;
  Block &entry = main.front();
  Value arena = main.getArgument(main.getNumArguments() - 1);
  llvm::DenseMap<Operation *, int64_t> position;
  for (auto [i, op] : llvm::enumerate(entry))
    position[&op] = i;
  plan.positions = entry.getOperations().size();
  plan.recorded = true;
  if (auto size = main->getAttrOfType<IntegerAttr>("kiln.arena_size"))
    plan.arenaBytes = size.getInt();
  if (auto size = main->getAttrOfType<IntegerAttr>("kiln.buffers_size"))
    plan.buffersBytes = size.getInt();
  for (Operation &op : entry) {
    auto view = dyn_cast<memref::ViewOp>(op);
    if (!view || view.getSource() != arena)
      continue;
    Buffer buffer;
    buffer.name = nameOr(view.getLoc(), "(unnamed)");
    if (auto offset =
            view.getByteShift().getDefiningOp<arith::ConstantIndexOp>())
      buffer.offset = offset.value();
    buffer.size = bytesOf(view.getType());
    buffer.first = buffer.last = position.lookup(view);
    llvm::SetVector<Value> aliases;
    aliases.insert(view.getResult());
    Operation *lastUser = nullptr;
    for (size_t i = 0; i < aliases.size(); ++i)
      for (Operation *user : aliases[i].getUsers()) {
        for (Value r : user->getResults())
          if (isa<BaseMemRefType>(r.getType()))
            aliases.insert(r);
        if (user->hasTrait<OpTrait::IsTerminator>())
          for (Value r : user->getParentOp()->getResults())
            if (isa<BaseMemRefType>(r.getType()))
              aliases.insert(r);
        Operation *top = entry.findAncestorOpInBlock(*user);
        if (top && position.lookup(top) >= buffer.last) {
          buffer.last = position.lookup(top);
          lastUser = user;
        }
      }
    buffer.lastUser = lastUser ? nameOr(lastUser->getLoc(), "") : "";
    plan.buffers.push_back(std::move(buffer));
  }
  return plan;
}

} // namespace

Graph collectGraph(func::FuncOp main, llvm::StringRef title,
                   std::function<void(Operation *, Layer &)> device) {
  Graph graph;
  graph.title = title.str();
  if (!main || main.isExternal())
    return graph;
  llvm::DenseMap<Value, size_t> producer;
  for (BlockArgument arg : main.getArguments()) {
    Layer input;
    auto name =
        main.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "kiln.name");
    input.name =
        name ? name.str() : "input " + std::to_string(arg.getArgNumber());
    input.op = "input";
    input.device = "input";
    input.outputBytes = bytesOf(arg.getType());
    producer[arg] = graph.layers.size();
    graph.layers.push_back(std::move(input));
  }
  Operation *ret = main.front().getTerminator();
  llvm::DenseSet<Value> returned(ret->getOperands().begin(),
                                 ret->getOperands().end());
  for (Operation &op : main.front().without_terminator()) {
    if (isa<nn::ConstantOp>(op) || op.hasTrait<OpTrait::ConstantLike>())
      continue;
    Layer layer;
    layer.name = nameOr(op.getLoc(), "(unnamed)");
    layer.op = op.getName().getStringRef().str();
    if (auto fused = dyn_cast<nn::FusedOp>(op))
      layer.op += " " + nn::stringifyFusedKind(fused.getKind()).str();
    locationNodes(op.getLoc(), layer.nodes);
    layer.device = isView(&op) ? "view" : "cpu";
    if (layer.device != "view") {
      layer.macs = macsOf(&op);
      for (Value r : op.getResults()) {
        layer.elements += elementsOf(r.getType());
        layer.outputBytes += bytesOf(r.getType());
      }
    }
    for (Value v : op.getOperands())
      if (auto it = producer.find(v);
          it != producer.end() && !llvm::is_contained(layer.inputs, it->second))
        layer.inputs.push_back(it->second);
    for (Value r : op.getResults()) {
      producer[r] = graph.layers.size();
      layer.output |= returned.contains(r);
    }
    if (auto segment = op.getAttrOfType<IntegerAttr>("kiln.segment"))
      layer.segment = segment.getInt();
    if (device)
      device(&op, layer);
    graph.layers.push_back(std::move(layer));
  }
  return graph;
}

void addGPU(Report &report, ModuleOp module, const opencl::PlanSummary &summary,
            uint64_t planBytes) {
  // summary.cpuOps: "'node' (nn.op): why", or "(unnamed) (nn.op): why".
  auto onCPU = [&](Operation *op) {
    std::string where = nn::nodeName(op->getLoc());
    std::string key = (where.empty() ? "(unnamed)" : "'" + where + "'") + " (" +
                      op->getName().getStringRef().str() + "):";
    return llvm::any_of(summary.cpuOps, [&](const std::string &line) {
      return llvm::StringRef(line).starts_with(key);
    });
  };
  report.graphs.push_back(
      collectGraph(module.lookupSymbol<func::FuncOp>("main"),
                   "GPU variant (OpenCL)", [&](Operation *op, Layer &layer) {
                     if (layer.device != "view")
                       layer.device = onCPU(op) ? "cpu" : "gpu";
                   }));
  report.graphs.back().note =
      "NCHW and unsplit, as the GPU variant is built; ops the OpenCL target "
      "lacks (or --cpu-ops names) run in CPU segments.";
  DeviceVariant v;
  v.title = "GPU (OpenCL)";
  v.facts = {{"kernels", std::to_string(summary.kernels)},
             {"OpenCL C", std::to_string(summary.sourceBytes) + " bytes"},
             {"device arena", std::to_string(summary.arenaBytes) + " bytes"},
             {"weights", std::to_string(summary.weightBytes) + " bytes"},
             {"plan", std::to_string(planBytes) + " bytes"},
             {"segments", std::to_string(summary.gpuSegments) + " gpu, " +
                              std::to_string(summary.cpuSegments) + " cpu (" +
                              std::to_string(summary.overlapping) +
                              " may overlap the gpu segment before them)"}};
  for (const std::string &line : summary.cpuOps)
    v.notes.push_back("on the CPU: " + line);
  if (summary.cpuOps.empty())
    v.notes.push_back("every op runs on the GPU");
  report.devices.push_back(std::move(v));
}

void addNNA(Report &report, ModuleOp module, const kiln_nna_config &config,
            const nna::PlanSummary &summary, uint64_t planBytes) {
  // Each stream's ops are named "nna.conv <location>": match them to the
  // nna ops in order.
  std::vector<std::pair<int64_t, std::string>> streamOps;
  for (auto [i, stream] : llvm::enumerate(summary.streams))
    for (const nna::OpTiles &op : stream.ops)
      streamOps.push_back({int64_t(i), op.name});
  std::vector<bool> taken(streamOps.size());
  report.graphs.push_back(collectGraph(
      module.lookupSymbol<func::FuncOp>("main"), "NNA variant",
      [&](Operation *op, Layer &layer) {
        if (!isa<nna::NNADialect>(op->getDialect()))
          return;
        layer.device = "nna";
        std::string prefix = op->getName().getStringRef().str() + " ";
        for (auto [k, entry] : llvm::enumerate(streamOps))
          if (!taken[k] && llvm::StringRef(entry.second).starts_with(prefix) &&
              llvm::StringRef(entry.second).contains(layer.name)) {
            taken[k] = true;
            layer.stream = entry.first;
            break;
          }
      }));
  report.graphs.back().note =
      "The graph quantised to int8: nna ops run as Kiln NNA command streams, "
      "the rest (quantise, dequantise, what the NNA lacks) in CPU steps.";
  DeviceVariant v;
  v.title = std::string("NNA (") + config.name + ")";
  v.facts = {{"build", summary.layerByLayer ? "layer by layer" : "fused"},
             {"steps", std::to_string(summary.nnaSteps) + " nna, " +
                           std::to_string(summary.cpuSteps) + " cpu"},
             {"streams", std::to_string(summary.streams.size())},
             {"commands", std::to_string(summary.commands)},
             {"DRAM traffic", std::to_string(summary.dramBytes) + " bytes"},
             {"arena", std::to_string(summary.arenaBytes) +
                           " bytes (cpu steps: " +
                           std::to_string(summary.cpuArenaBytes) + ")"},
             {"constants", std::to_string(summary.constantBytes) + " bytes"},
             {"plan", std::to_string(planBytes) + " bytes"}};
  v.header = {"stream",       "op",      "row tiles",       "out ch groups",
              "in ch groups", "in SRAM", "double-buffered", "DRAM bytes"};
  for (auto [i, stream] : llvm::enumerate(summary.streams))
    for (const nna::OpTiles &op : stream.ops)
      v.rows.push_back(
          {std::to_string(i), op.name, std::to_string(op.rowTiles),
           std::to_string(op.outChannelGroups),
           std::to_string(op.inChannelGroups), op.outputInSram ? "yes" : "no",
           op.doubleBuffered ? "yes" : "no", std::to_string(op.dramBytes)});
  for (const std::string &step : summary.steps)
    v.notes.push_back("step: " + step);
  report.devices.push_back(std::move(v));
}

void Recorder::runBeforePass(Pass *pass, Operation *op) {
  llvm::StringRef arg = pass->getArgument();
  if (arg.starts_with("kiln-merge-")) {
    before.clear();
    op->walk([&](Operation *inner) {
      std::vector<std::string> nodes;
      locationNodes(inner->getLoc(), nodes);
      if (nodes.size() > 1)
        before[llvm::join(nodes, "\x1f")] = 1;
    });
    return;
  }
  if (arg != "convert-nn-to-linalg")
    return;
  func::FuncOp main = mainOf(op);
  if (!main)
    return;
  report.graphs.insert(report.graphs.begin(),
                       collectGraph(main, "CPU variant"));
  Decisions &d = report.decisions;
  main.walk([&](Operation *inner) {
    if (auto fused = dyn_cast<nn::FusedOp>(inner)) {
      Group group;
      group.kind = nn::stringifyFusedKind(fused.getKind()).str();
      Operation *anchor = fused.getAnchor();
      group.op = anchor ? anchor->getName().getStringRef().str()
                        : std::string("elementwise");
      locationNodes(fused.getLoc(), group.nodes);
      d.fused.push_back(std::move(group));
    }
    auto piece = inner->getAttrOfType<DenseI64ArrayAttr>("kiln.split");
    if (piece && piece.size() == 2 && piece[0] == 0) {
      Group group;
      group.kind = "split";
      group.op = inner->getName().getStringRef().str();
      locationNodes(inner->getLoc(), group.nodes);
      group.pieces = piece[1];
      d.split.push_back(std::move(group));
    }
    auto band = inner->getAttrOfType<DenseI64ArrayAttr>("kiln.dw_pw");
    if (band && band.size() == 2 && band[0] == 0 && (!piece || piece[0] == 0)) {
      Group group;
      group.kind = "band";
      group.op = inner->getName().getStringRef().str();
      locationNodes(inner->getLoc(), group.nodes);
      group.pieces = band[1];
      d.bands.push_back(std::move(group));
    }
  });
  report.decisionsRecorded = true;
}

void Recorder::runAfterPass(Pass *pass, Operation *op) {
  llvm::StringRef arg = pass->getArgument();
  if (arg.starts_with("kiln-merge-")) {
    op->walk([&](Operation *inner) {
      if (!isa<nn::NNDialect>(inner->getDialect()) ||
          isa<nn::SliceOp, nn::ConstantOp>(inner))
        return;
      std::vector<std::string> nodes;
      locationNodes(inner->getLoc(), nodes);
      std::string key = llvm::join(nodes, "\x1f");
      if (nodes.size() < 2 || before.count(key))
        return;
      before[key] = 1; // once per merged op
      report.decisions.merged.push_back(
          {arg.str(), inner->getName().getStringRef().str(), nodes, 0});
    });
    return;
  }
  if (arg == "kiln-plan-memory")
    if (func::FuncOp main = mainOf(op))
      report.memory = collectMemoryPlan(main);
}

//===----------------------------------------------------------------------===//
// The variant table
//===----------------------------------------------------------------------===//

namespace {

/// Little-endian reads that fail past the end.
struct Reader {
  const uint8_t *p, *end;
  bool ok = true;
  uint64_t get(unsigned bytes) {
    if (!ok || size_t(end - p) < bytes) {
      ok = false;
      return 0;
    }
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; ++i)
      v |= uint64_t(p[i]) << (8 * i);
    p += bytes;
    return v;
  }
  double f64() {
    uint64_t bits = get(8);
    double d;
    std::memcpy(&d, &bits, 8);
    return d;
  }
  std::string name() {
    uint64_t n = get(2);
    if (!ok || size_t(end - p) < n) {
      ok = false;
      return {};
    }
    std::string s(reinterpret_cast<const char *>(p), n);
    p += n;
    return s;
  }
};

std::optional<VariantTable> parseTable(Reader r) {
  VariantTable table;
  std::vector<std::string> names;
  uint64_t values = r.get(4);
  for (uint64_t i = 0; r.ok && i < values; ++i) {
    names.push_back(r.name());
    r.get(1); // dtype
    uint64_t rank = r.get(1);
    for (uint64_t k = 0; k < rank; ++k)
      r.get(8);
  }
  auto name = [&](uint64_t v) {
    return v < names.size() ? names[v] : "#" + std::to_string(v);
  };
  uint64_t segments = r.get(4);
  for (uint64_t s = 0; r.ok && s < segments; ++s) {
    std::vector<std::string> ins, outs;
    uint64_t n = r.get(4);
    for (uint64_t i = 0; r.ok && i < n; ++i)
      ins.push_back(name(r.get(4)));
    n = r.get(4);
    for (uint64_t i = 0; r.ok && i < n; ++i)
      outs.push_back(name(r.get(4)));
    table.segments.push_back({ins, outs});
  }
  static const char *const kinds[] = {"fp32", "int8", "pruned", "opencl",
                                      "nna"};
  static const char *const devices[] = {"cpu", "gpu", "nna"};
  uint64_t variants = r.get(4);
  for (uint64_t i = 0; r.ok && i < variants; ++i) {
    VariantRow row;
    row.segment = r.get(4);
    row.model = r.get(4);
    uint64_t kind = r.get(1), device = r.get(1);
    row.kind = kind < 5 ? kinds[kind] : std::to_string(kind);
    row.device = device < 3 ? devices[device] : std::to_string(device);
    row.threads = r.get(2);
    row.latencyUs = r.f64();
    row.weightsBytes = r.get(8);
    row.arenaBytes = r.get(8);
    row.error = r.f64();
    row.label = r.name();
    table.rows.push_back(std::move(row));
  }
  if (!r.ok || r.p != r.end)
    return std::nullopt;
  return table;
}

} // namespace

std::optional<VariantTable> readVariantTable(llvm::StringRef artifact,
                                             std::string &error) {
  auto file = llvm::MemoryBuffer::getFile(artifact, /*IsText=*/false,
                                          /*RequiresNullTerminator=*/false);
  if (!file) {
    error = "cannot read '" + artifact.str() + "'";
    return std::nullopt;
  }
  llvm::StringRef bytes = (*file)->getBuffer();
  const char magic[4] = {char(KILN_VARIANT_TABLE_MAGIC & 0xff),
                         char(KILN_VARIANT_TABLE_MAGIC >> 8 & 0xff),
                         char(KILN_VARIANT_TABLE_MAGIC >> 16 & 0xff),
                         char(KILN_VARIANT_TABLE_MAGIC >> 24)};
  // The blob is stored as it was encoded: find a header whose payload's
  // checksum holds.
  for (size_t at = bytes.find(llvm::StringRef(magic, 4));
       at != llvm::StringRef::npos;
       at = bytes.find(llvm::StringRef(magic, 4), at + 1)) {
    auto *begin = reinterpret_cast<const uint8_t *>(bytes.data()) + at;
    auto *end = reinterpret_cast<const uint8_t *>(bytes.end());
    Reader header{begin + 4, end};
    uint64_t version = header.get(4), size = header.get(8),
             checksum = header.get(4);
    header.get(4);
    if (!header.ok || version != KILN_VARIANT_TABLE_VERSION ||
        size > uint64_t(end - header.p) ||
        kiln_fnv1a32(header.p, size) != checksum)
      continue;
    if (auto table = parseTable(Reader{header.p, header.p + size}))
      return table;
  }
  error = "no variant table in '" + artifact.str() + "'";
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Writing
//===----------------------------------------------------------------------===//

namespace {

std::string escape(llvm::StringRef text) {
  std::string s;
  for (char c : text) {
    switch (c) {
    case '&':
      s += "&amp;";
      break;
    case '<':
      s += "&lt;";
      break;
    case '>':
      s += "&gt;";
      break;
    case '"':
      s += "&quot;";
      break;
    case '\'':
      s += "&#39;";
      break;
    default:
      s += (static_cast<unsigned char>(c) < 0x20 && c != '\n') ? ' ' : c;
    }
  }
  return s;
}

/// 1234567 -> "1.23 M" (three significant digits); below 1000 exact.
std::string count(double v, const char *unit = "") {
  static const char *const prefixes[] = {"", " K", " M", " G", " T"};
  int i = 0;
  while (std::fabs(v) >= 999.5 && i < 4) {
    v /= 1000;
    ++i;
  }
  char text[32];
  if (i == 0 && v == std::floor(v))
    std::snprintf(text, sizeof text, "%lld", static_cast<long long>(v));
  else
    std::snprintf(text, sizeof text, "%.3g", v);
  return std::string(text) + prefixes[i] + (*unit ? " " : "") + unit;
}

std::string bytes(double v) {
  static const char *const units[] = {"B", "KiB", "MiB", "GiB"};
  int i = 0;
  while (v >= 1024 && i < 3) {
    v /= 1024;
    ++i;
  }
  return i == 0 ? llvm::formatv("{0} B", int64_t(v)).str()
                : llvm::formatv("{0:f1} {1}", v, units[i]).str();
}

const char *deviceColour(llvm::StringRef device) {
  if (device == "gpu")
    return "#59a14f";
  if (device == "nna")
    return "#e15759";
  if (device == "view")
    return "#bab0ac";
  if (device == "input")
    return "#ffffff";
  return "#4e79a7"; // cpu
}

const char *paletteColour(int64_t i) {
  static const char *const palette[] = {"#4e79a7", "#f28e2b", "#59a14f",
                                        "#e15759", "#76b7b2", "#edc948",
                                        "#b07aa1", "#ff9da7", "#9c755f"};
  return palette[((i % 9) + 9) % 9];
}

/// A short label for a node box.
std::string shortOp(const Layer &layer) {
  llvm::StringRef op = layer.op;
  if (op.consume_front("nn.fused ")) {
    if (op == "elementwise")
      return "elementwise+";
    return (op.split('_').first + "+").str();
  }
  op.consume_front("nn.");
  op.consume_front("nna.");
  std::string s = op.str();
  return s.size() > 12 ? s.substr(0, 11) + "." : s;
}

class Page {
public:
  explicit Page(llvm::raw_ostream &os) : os(os) {}
  void write(const Report &r);

private:
  llvm::raw_ostream &os;
  void facts(const std::vector<std::pair<std::string, std::string>> &rows);
  void graph(const Graph &g, bool bySegment);
  void layers(const Graph &g);
  void memory(const Report &r);
  void decisions(const Report &r);
  void devices(const Report &r);
  void variants(const Report &r);
  void stages(const Report &r);
  void bar(double value, double max, const char *colour, int width = 160);
  void note(llvm::StringRef text) {
    os << "<p class=\"note\">" << escape(text) << "</p>\n";
  }
  void groups(llvm::StringRef title, const std::vector<Group> &list,
              llvm::StringRef piecesHeader);
};

void Page::bar(double value, double max, const char *colour, int width) {
  double w = max > 0 ? std::max(0.0, value / max * width) : 0;
  os << "<svg class=\"bar\" width=\"" << width << "\" height=\"10\">"
     << "<rect width=\"" << llvm::format("%.1f", w)
     << "\" height=\"10\" fill=\"" << colour << "\"></rect></svg>";
}

void Page::facts(const std::vector<std::pair<std::string, std::string>> &rows) {
  os << "<table class=\"facts\">\n";
  for (const auto &[key, value] : rows)
    os << "<tr><th>" << escape(key) << "</th><td>" << escape(value)
       << "</td></tr>\n";
  os << "</table>\n";
}

/// The graph as a strip of boxes in program order, coloured by device (or
/// by segment), edges between neighbours as short links and the others as
/// arcs above the strip.
void Page::graph(const Graph &g, bool bySegment) {
  const int step = 18, boxW = 14, top = 118, boxH = 74, left = 10;
  size_t n = g.layers.size();
  int width = left * 2 + int(n) * step;
  int height = top + boxH + 40;
  os << "<h3>" << escape(g.title) << "</h3>\n";
  if (!g.note.empty())
    note(g.note);
  os << "<div class=\"scroll\"><svg class=\"graph\" width=\"" << width
     << "\" height=\"" << height << "\" viewBox=\"0 0 " << width << " "
     << height << "\" role=\"img\">\n";
  auto centre = [&](size_t i) { return left + int(i) * step + boxW / 2; };
  os << "<g class=\"edges\">";
  for (size_t c = 0; c < n; ++c)
    for (size_t p : g.layers[c].inputs) {
      if (p + 1 == c) {
        os << "<line x1=\"" << left + int(p) * step + boxW << "\" y1=\""
           << top + boxH / 2 << "\" x2=\"" << left + int(c) * step << "\" y2=\""
           << top + boxH / 2 << "\"></line>";
        continue;
      }
      int x1 = centre(p), x2 = centre(c);
      double d = double(c > p ? c - p : p - c);
      int h = int(std::min(110.0, 10.0 + 2.5 * d));
      os << "<path d=\"M" << x1 << " " << top << " C" << x1 << " " << top - h
         << " " << x2 << " " << top - h << " " << x2 << " " << top
         << "\"></path>";
    }
  os << "</g>\n";
  for (size_t i = 0; i < n; ++i) {
    const Layer &l = g.layers[i];
    int x = left + int(i) * step;
    const char *fill = bySegment && l.segment >= 0 ? paletteColour(l.segment)
                                                   : deviceColour(l.device);
    std::string title = l.name + "\n" + l.op + "\ndevice: " + l.device;
    if (l.segment >= 0)
      title += "\nsegment " + std::to_string(l.segment);
    if (l.stream >= 0)
      title += "\nnna stream " + std::to_string(l.stream);
    if (l.macs)
      title += "\n" + count(double(l.macs), "MAC");
    if (l.elements)
      title += "\n" + count(double(l.elements)) + " elements";
    if (l.outputBytes)
      title += "\noutput " + bytes(double(l.outputBytes));
    if (l.nodes.size() > 1)
      title += "\nnodes: " + llvm::join(l.nodes, ", ");
    if (l.output)
      title += "\nmodel output";
    os << "<g class=\"node\" data-layer=\"" << escape(l.name) << "\">"
       << "<title>" << escape(title) << "</title>"
       << "<rect x=\"" << x << "\" y=\"" << top << "\" width=\"" << boxW
       << "\" height=\"" << boxH << "\" fill=\"" << fill << "\""
       << (l.device == "input" ? " class=\"in\"" : "") << "></rect>"
       << "<text class=\"" << (l.device == "input" ? "nl dark" : "nl")
       << "\" transform=\"translate(" << x + boxW / 2 + 3 << " "
       << top + boxH - 4 << ") rotate(-90)\">"
       << escape(l.device == "input" ? "input" : shortOp(l)) << "</text>";
    if (l.output)
      os << "<text class=\"tick\" x=\"" << x + boxW / 2 << "\" y=\""
         << top + boxH + 12 << "\">out</text>";
    os << "</g>\n";
    if (i % 10 == 0)
      os << "<text class=\"tick\" x=\"" << x + boxW / 2 << "\" y=\""
         << top + boxH + 26 << "\">" << i << "</text>\n";
  }
  os << "</svg></div>\n";
}

/// Per layer (ops of one ONNX node or group, summed, in order of first
/// appearance): MACs, elements and output bytes as bars.
void Page::layers(const Graph &g) {
  struct Row {
    std::string name, op, device;
    int64_t segment = -1;
    uint64_t macs = 0, elements = 0, bytes = 0;
    int64_t ops = 0;
    std::pair<uint64_t, uint64_t> top = {0, 0}; // of the op named in `op`
  };
  std::vector<Row> rows;
  std::map<std::string, size_t> index;
  for (const Layer &l : g.layers) {
    if (l.device == "input" || l.device == "view")
      continue;
    auto [it, added] = index.try_emplace(l.name, rows.size());
    if (added)
      rows.push_back({l.name, l.op, l.device, l.segment});
    Row &row = rows[it->second];
    // The op that does most of the work names the layer (a conv, not the
    // pad or transpose before it).
    if (std::make_pair(l.macs, l.elements) > row.top) {
      row.top = {l.macs, l.elements};
      row.op = l.op;
    }
    row.macs += l.macs;
    row.elements += l.elements;
    row.bytes += l.outputBytes;
    ++row.ops;
  }
  uint64_t maxMacs = 0, maxElements = 0, maxBytes = 0, macs = 0, elements = 0,
           total = 0;
  for (const Row &row : rows) {
    maxMacs = std::max(maxMacs, row.macs);
    maxElements = std::max(maxElements, row.elements);
    maxBytes = std::max(maxBytes, row.bytes);
    macs += row.macs;
    elements += row.elements;
    total += row.bytes;
  }
  bool segments =
      llvm::any_of(rows, [](const Row &r) { return r.segment >= 0; });
  os << "<p>" << rows.size() << " layers (" << escape(g.title)
     << "): " << count(double(macs), "MAC") << ", " << count(double(elements))
     << " result elements, " << bytes(double(total))
     << " of results. Click a column to sort.</p>\n"
     << "<div class=\"scroll tall\"><table class=\"sortable layers\">\n"
     << "<thead><tr><th>#</th><th>layer</th><th>op</th><th>ops</th>"
     << (segments ? "<th>segment</th>" : "")
     << "<th>MACs</th><th>elements</th><th>output bytes</th></tr></thead>"
     << "<tbody>\n";
  for (auto [i, row] : llvm::enumerate(rows)) {
    os << "<tr data-layer=\"" << escape(row.name) << "\"><td data-v=\"" << i
       << "\">" << i << "</td><td>" << escape(row.name) << "</td><td>"
       << escape(row.op) << "</td><td data-v=\"" << row.ops << "\">" << row.ops
       << "</td>";
    if (segments)
      os << "<td data-v=\"" << row.segment << "\">" << row.segment << "</td>";
    os << "<td class=\"num\" data-v=\"" << row.macs << "\">";
    bar(double(row.macs), double(maxMacs), "#4e79a7");
    os << " " << (row.macs ? count(double(row.macs)) : "")
       << "</td><td class=\"num\" data-v=\"" << row.elements << "\">";
    bar(double(row.elements), double(maxElements), "#76b7b2", 100);
    os << " " << count(double(row.elements))
       << "</td><td class=\"num\" data-v=\"" << row.bytes << "\">";
    bar(double(row.bytes), double(maxBytes), "#f28e2b", 120);
    os << " " << bytes(double(row.bytes)) << "</td></tr>\n";
  }
  os << "</tbody></table></div>\n";
}

void Page::memory(const Report &r) {
  const MemoryPlan &m = r.memory;
  if (!m.recorded) {
    note(r.memoryNote.empty() ? "No memory plan was recorded." : r.memoryNote);
    return;
  }
  os << "<p>The CPU variant's arena: " << bytes(double(m.arenaBytes)) << " ("
     << m.arenaBytes << " bytes) for " << m.buffers.size()
     << " buffers that would take " << bytes(double(m.buffersBytes))
     << " each in its own bytes (before in-place reuse and copy elision). "
     << "Each box is a buffer: across, the ops of @main it is live for; "
     << "down, its bytes in the arena.</p>\n";
  if (!r.memoryNote.empty())
    note(r.memoryNote);
  const int w = 960, h = 300, l = 70, t = 10, b = 30;
  // Across: from the first buffer's first op to the last one's last.
  int64_t from = m.positions, to = 0;
  for (const Buffer &buf : m.buffers) {
    from = std::min(from, buf.first);
    to = std::max(to, buf.last + 1);
  }
  if (from >= to)
    from = 0, to = std::max<int64_t>(1, m.positions);
  double xs = double(w - l - 10) / double(to - from);
  double ys = double(h - t - b) / std::max<int64_t>(1, m.arenaBytes);
  os << "<div class=\"scroll\"><svg class=\"timeline\" width=\"" << w
     << "\" height=\"" << h << "\" viewBox=\"0 0 " << w << " " << h
     << "\" role=\"img\">\n"
     << "<rect class=\"frame\" x=\"" << l << "\" y=\"" << t << "\" width=\""
     << w - l - 10 << "\" height=\"" << h - t - b << "\"></rect>\n";
  for (int k = 0; k <= 4; ++k) {
    double off = m.arenaBytes * k / 4.0;
    os << "<text class=\"axis\" x=\"" << l - 4 << "\" y=\""
       << llvm::format("%.1f", t + off * ys + 4) << "\">" << bytes(off)
       << "</text>\n";
  }
  os << "<text class=\"axis mid\" x=\"" << (w + l) / 2 << "\" y=\"" << h - 8
     << "\">ops " << from << ".." << to - 1 << " of @main's " << m.positions
     << " after the memory plan</text>\n";
  for (auto [i, buf] : llvm::enumerate(m.buffers)) {
    double x = l + (buf.first - from) * xs,
           bw = std::max(1.5, (buf.last - buf.first + 1) * xs);
    double y = t + buf.offset * ys, bh = std::max(1.0, buf.size * ys);
    os << "<rect class=\"buf\" data-layer=\"" << escape(buf.name) << "\" x=\""
       << llvm::format("%.1f", x) << "\" y=\"" << llvm::format("%.1f", y)
       << "\" width=\"" << llvm::format("%.1f", bw) << "\" height=\""
       << llvm::format("%.1f", bh) << "\" fill=\"" << paletteColour(i)
       << "\"><title>"
       << escape(buf.name + "\n" + bytes(double(buf.size)) + " at offset " +
                 std::to_string(buf.offset) + "\nlive at ops " +
                 std::to_string(buf.first) + ".." + std::to_string(buf.last) +
                 (buf.lastUser.empty() ? "" : "\nlast read by " + buf.lastUser))
       << "</title></rect>\n";
  }
  os << "</svg></div>\n"
     << "<details><summary>The buffers (" << m.buffers.size()
     << ")</summary><div class=\"scroll tall\"><table class=\"sortable\">"
     << "<thead><tr><th>written by</th><th>offset</th><th>bytes</th>"
     << "<th>first op</th><th>last op</th><th>last read by</th></tr></thead>"
     << "<tbody>\n";
  for (const Buffer &buf : m.buffers)
    os << "<tr data-layer=\"" << escape(buf.name) << "\"><td>"
       << escape(buf.name) << "</td><td class=\"num\" data-v=\"" << buf.offset
       << "\">" << buf.offset << "</td><td class=\"num\" data-v=\"" << buf.size
       << "\">" << buf.size << "</td><td class=\"num\" data-v=\"" << buf.first
       << "\">" << buf.first << "</td><td class=\"num\" data-v=\"" << buf.last
       << "\">" << buf.last << "</td><td>" << escape(buf.lastUser)
       << "</td></tr>\n";
  os << "</tbody></table></div></details>\n";
}

void Page::groups(llvm::StringRef title, const std::vector<Group> &list,
                  llvm::StringRef piecesHeader) {
  os << "<h3>" << escape(title) << " (" << list.size() << ")</h3>\n";
  if (list.empty()) {
    note("none");
    return;
  }
  os << "<div class=\"scroll short\"><table class=\"sortable\"><thead><tr>"
     << "<th>kind</th><th>op</th>"
     << (piecesHeader.empty() ? "" : "<th>" + escape(piecesHeader) + "</th>")
     << "<th>ONNX nodes</th></tr></thead><tbody>\n";
  for (const Group &g : list) {
    os << "<tr data-layer=\"" << escape(g.nodes.empty() ? "" : g.nodes[0])
       << "\"><td>" << escape(g.kind) << "</td><td>" << escape(g.op) << "</td>";
    if (!piecesHeader.empty())
      os << "<td class=\"num\" data-v=\"" << g.pieces << "\">" << g.pieces
         << "</td>";
    os << "<td>" << escape(llvm::join(g.nodes, ", ")) << "</td></tr>\n";
  }
  os << "</tbody></table></div>\n";
}

void Page::decisions(const Report &r) {
  const Decisions &d = r.decisions;
  if (!r.decisionsRecorded) {
    note("The graph passes did not run on the CPU variant (a model without "
         "nn ops, or --variants: each sub-model runs its own).");
    return;
  }
  os << "<h3>nn ops before and after each graph pass</h3>\n"
     << "<table class=\"passes\"><thead><tr><th>pass</th><th>before</th>"
     << "<th>after</th><th>change</th></tr></thead><tbody>\n";
  for (const auto &[pass, c] : d.passes)
    os << "<tr><td>" << escape(pass) << "</td><td class=\"num\">" << c.first
       << "</td><td class=\"num\">" << c.second << "</td><td class=\"num\">"
       << (c.second >= c.first ? "+" : "") << c.second - c.first
       << "</td></tr>\n";
  os << "</tbody></table>\n";
  facts(d.facts);
  groups("Fused groups", d.fused, "");
  groups("Merged ops", d.merged, "");
  groups("Split ops", d.split, "pieces");
  groups("Ops of depthwise + pointwise pairs run in bands", d.bands, "bands");
  if (!d.pruned.empty()) {
    os << "<h3>Pruned 3x3 convolutions (" << d.pruned.size() << ")</h3>\n"
       << "<div class=\"scroll short\"><table><thead><tr><th>layer</th>"
       << "<th>what</th></tr></thead><tbody>\n";
    for (const auto &[name, what] : d.pruned)
      os << "<tr data-layer=\"" << escape(name) << "\"><td>" << escape(name)
         << "</td><td>" << escape(what) << "</td></tr>\n";
    os << "</tbody></table></div>\n";
  }
}

void Page::devices(const Report &r) {
  if (r.devices.empty()) {
    note(r.devicesNote);
    return;
  }
  for (const DeviceVariant &v : r.devices) {
    os << "<h3>" << escape(v.title) << "</h3>\n";
    facts(v.facts);
    if (!v.rows.empty()) {
      os << "<div class=\"scroll short\"><table class=\"sortable\"><thead>"
         << "<tr>";
      for (const std::string &h : v.header)
        os << "<th>" << escape(h) << "</th>";
      os << "</tr></thead><tbody>\n";
      for (const auto &row : v.rows) {
        os << "<tr>";
        for (const std::string &cell : row) {
          bool number = !cell.empty() && llvm::all_of(cell, [](char c) {
            return llvm::isDigit(c) || c == '.';
          });
          os << (number ? "<td class=\"num\" data-v=\"" + escape(cell) + "\">"
                        : std::string("<td>"))
             << escape(cell) << "</td>";
        }
        os << "</tr>\n";
      }
      os << "</tbody></table></div>\n";
    }
    if (!v.notes.empty()) {
      os << "<ul class=\"notes\">\n";
      for (const std::string &n : v.notes)
        os << "<li>" << escape(n) << "</li>\n";
      os << "</ul>\n";
    }
  }
  if (!r.devicesNote.empty())
    note(r.devicesNote);
}

void Page::variants(const Report &r) {
  if (!r.variants) {
    note(r.variantsNote);
    return;
  }
  const VariantTable &t = *r.variants;
  os << "<p>" << t.segments.size() << " segments, " << t.rows.size()
     << " variants, as the artifact's variant table (kiln/variants.h) "
        "holds them: measured on this machine on the calibration samples; "
        "error is the mean relative error of the outputs against the fp32 "
        "variant's.</p>\n";
  if (!r.variantsNote.empty())
    note(r.variantsNote);
  os << "<table><thead><tr><th>segment</th><th>inputs</th><th>outputs</th>"
     << "</tr></thead><tbody>\n";
  for (auto [s, seg] : llvm::enumerate(t.segments))
    os << "<tr><td><span class=\"swatch\" style=\"background:"
       << paletteColour(s) << "\"></span> " << s << "</td><td>"
       << escape(llvm::join(seg.first, ", ")) << "</td><td>"
       << escape(llvm::join(seg.second, ", ")) << "</td></tr>\n";
  os << "</tbody></table>\n";
  double maxLatency = 0, maxWeights = 0, maxArena = 0, maxError = 0;
  for (const VariantRow &v : t.rows) {
    maxLatency = std::max(maxLatency, v.latencyUs);
    maxWeights = std::max(maxWeights, double(v.weightsBytes));
    maxArena = std::max(maxArena, double(v.arenaBytes));
    maxError = std::max(maxError, v.error);
  }
  os << "<div class=\"scroll\"><table class=\"sortable variants\"><thead><tr>"
     << "<th>segment</th><th>variant</th><th>kind</th><th>device</th>"
     << "<th>threads</th><th>latency</th><th>weights</th><th>arena</th>"
     << "<th>error</th></tr></thead><tbody>\n";
  for (const VariantRow &v : t.rows) {
    os << "<tr><td data-v=\"" << v.segment << "\">" << v.segment << "</td><td>"
       << escape(v.label) << "</td><td>" << escape(v.kind) << "</td><td>"
       << escape(v.device) << "</td><td data-v=\"" << v.threads << "\">"
       << v.threads << "</td><td class=\"num\" "
       << "data-v=\"" << llvm::format("%.3f", v.latencyUs) << "\">";
    bar(v.latencyUs, maxLatency, deviceColour(v.device), 120);
    os << llvm::format(" %.1f us", v.latencyUs)
       << "</td><td class=\"num\" data-v=\"" << v.weightsBytes << "\">";
    bar(double(v.weightsBytes), maxWeights, "#f28e2b", 100);
    os << " " << bytes(double(v.weightsBytes))
       << "</td><td class=\"num\" data-v=\"" << v.arenaBytes << "\">";
    bar(double(v.arenaBytes), maxArena, "#76b7b2", 100);
    os << " " << bytes(double(v.arenaBytes))
       << "</td><td class=\"num\" data-v=\"" << llvm::format("%.6g", v.error)
       << "\">";
    bar(v.error, maxError, "#e15759", 80);
    os << llvm::format(" %.2e", v.error) << "</td></tr>\n";
  }
  os << "</tbody></table></div>\n";
}

void Page::stages(const Report &r) {
  double total = 0, longest = 0;
  for (const auto &[name, s] : r.stages) {
    total += s;
    longest = std::max(longest, s);
  }
  os << "<table><thead><tr><th>stage</th><th>seconds</th></tr></thead>"
     << "<tbody>\n";
  for (const auto &[name, s] : r.stages) {
    os << "<tr><td>" << escape(name) << "</td><td class=\"num\">";
    bar(s, longest, "#b07aa1", 160);
    os << llvm::format(" %.3f", s) << "</td></tr>\n";
  }
  os << "<tr><th>total</th><td class=\"num\">" << llvm::format("%.3f", total)
     << "</td></tr></tbody></table>\n";
}

const char kStyle[] = R"css(
body { font: 13px/1.4 system-ui, sans-serif; margin: 0 24px 24px; color: #222; }
header h1 { font-size: 20px; margin: 16px 0 2px; }
h2 { font-size: 16px; border-bottom: 1px solid #ccc; margin-top: 28px; }
h3 { font-size: 14px; margin: 16px 0 6px; }
nav a { margin-right: 12px; }
code, .cmd { font-family: ui-monospace, monospace; font-size: 12px; }
.cmd { color: #555; word-break: break-all; }
table { border-collapse: collapse; margin: 4px 0; }
th, td { border: 1px solid #ddd; padding: 2px 6px; text-align: left;
         vertical-align: middle; }
thead th { background: #f3f3f3; position: sticky; top: 0; }
table.sortable thead th { cursor: pointer; }
table.sortable th[data-dir="asc"]::after { content: " \25b2"; }
table.sortable th[data-dir="desc"]::after { content: " \25bc"; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
table.facts th { background: #f8f8f8; font-weight: 600; }
.scroll { overflow: auto; max-width: 100%; }
.tall { max-height: 520px; }
.short { max-height: 260px; }
.note { color: #666; font-style: italic; }
svg.bar { vertical-align: middle; }
svg.graph .edges line, svg.graph .edges path { stroke: #888; fill: none; }
svg.graph rect.in { stroke: #4e79a7; }
svg.graph .nl { font-size: 9px; fill: #fff; }
svg.graph .nl.dark { fill: #333; }
svg.graph .tick, svg .axis { font-size: 9px; fill: #666; text-anchor: middle; }
svg .axis { text-anchor: end; }
svg .axis.mid { text-anchor: middle; }
svg.timeline rect.frame { fill: #fafafa; stroke: #ccc; }
svg.timeline rect.buf { stroke: #fff; stroke-width: 0.5; opacity: 0.85; }
.hl { outline: 2px solid #d62728; }
svg .hl rect, svg rect.hl { stroke: #d62728; stroke-width: 2; }
tr.hl td { background: #fde7e7; }
.legend span { display: inline-block; margin-right: 14px; }
.swatch { display: inline-block; width: 10px; height: 10px; border: 1px solid #999;
          vertical-align: middle; }
#status { color: #888; }
)css";

const char kScript[] = R"js(
(function () {
  "use strict";
  function each(list, f) { Array.prototype.forEach.call(list, f); }
  // Sort a table by a column: data-v numbers, otherwise the text.
  each(document.querySelectorAll("table.sortable"), function (table) {
    var heads = table.tHead.rows[0].cells;
    each(heads, function (th, col) {
      th.addEventListener("click", function () {
        var dir = th.getAttribute("data-dir") === "desc" ? 1 : -1;
        each(heads, function (h) { h.removeAttribute("data-dir"); });
        th.setAttribute("data-dir", dir > 0 ? "asc" : "desc");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[col], y = b.cells[col];
          var vx = x.getAttribute("data-v"), vy = y.getAttribute("data-v");
          if (vx !== null && vy !== null)
            return dir * (parseFloat(vx) - parseFloat(vy));
          return dir * x.textContent.localeCompare(y.textContent);
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
  // Hovering a layer anywhere marks it everywhere: graph, table, arena.
  var byLayer = Object.create(null);
  each(document.querySelectorAll("[data-layer]"), function (el) {
    var name = el.getAttribute("data-layer");
    (byLayer[name] = byLayer[name] || []).push(el);
  });
  Object.keys(byLayer).forEach(function (name) {
    byLayer[name].forEach(function (el) {
      el.addEventListener("mouseenter", function () {
        byLayer[name].forEach(function (e) { e.classList.add("hl"); });
      });
      el.addEventListener("mouseleave", function () {
        byLayer[name].forEach(function (e) { e.classList.remove("hl"); });
      });
    });
  });
  // A graph node scrolls the layer table to its row.
  each(document.querySelectorAll("svg.graph g.node"), function (node) {
    node.addEventListener("click", function () {
      var rows = byLayer[node.getAttribute("data-layer")] || [];
      for (var i = 0; i < rows.length; i++)
        if (rows[i].tagName === "TR") {
          rows[i].scrollIntoView({block: "center"});
          break;
        }
    });
  });
  var sections = document.querySelectorAll("section").length;
  var status = document.getElementById("status");
  status.textContent = sections + " sections, " +
      document.querySelectorAll("svg").length + " charts, " +
      Object.keys(byLayer).length + " layers linked";
  document.body.setAttribute("data-rendered", "1");
})();
)js";

void Page::write(const Report &r) {
  os << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta "
        "charset=\"utf-8\">\n"
     << "<meta name=\"viewport\" content=\"width=device-width, "
        "initial-scale=1\">\n"
     << "<title>Kiln compile report: " << escape(r.input) << "</title>\n"
     << "<style>" << kStyle << "</style>\n</head>\n<body>\n"
     << "<header><h1>Kiln compile report</h1>\n<p class=\"cmd\">"
     << escape(r.command) << "</p>\n<nav><a href=\"#summary\">summary</a>"
     << "<a href=\"#graph\">graph</a><a href=\"#layers\">layers</a>"
     << "<a href=\"#memory\">memory plan</a><a href=\"#decisions\">"
     << "decisions</a><a href=\"#devices\">devices</a><a href=\"#variants\">"
     << "variants</a><a href=\"#stages\">stages</a></nav></header>\n";

  os << "<section id=\"summary\"><h2>Summary</h2>\n";
  facts(r.facts);
  os << "</section>\n";

  os << "<section id=\"graph\"><h2>Graph after partitioning</h2>\n"
     << "<p class=\"legend\">";
  for (const char *device : {"input", "cpu", "gpu", "nna", "view"})
    os << "<span><span class=\"swatch\" style=\"background:"
       << deviceColour(device) << "\"></span> " << device << "</span>";
  os << " Boxes are the ops of @main in program order (hover for the node, "
        "cost and size); arcs join an op to the ops that read it further "
        "on.</p>\n";
  for (const Graph &g : r.graphs)
    graph(g, g.layers.end() != llvm::find_if(g.layers, [](const Layer &l) {
               return l.segment >= 0;
             }));
  if (!r.graphsNote.empty())
    note(r.graphsNote);
  os << "</section>\n";

  os << "<section id=\"layers\"><h2>Per-layer cost and memory</h2>\n"
     << "<p class=\"note\">Estimated from the shapes: multiply-accumulates "
        "for convolutions and matrix products (result elements times the "
        "reduction), result elements for every op, and the bytes of its "
        "results; views (reshape, flatten) cost nothing.</p>\n";
  if (r.graphs.empty())
    note("No graph was recorded.");
  else
    layers(r.graphs.front());
  os << "</section>\n";

  os << "<section id=\"memory\"><h2>Memory plan</h2>\n";
  memory(r);
  os << "</section>\n";

  os << "<section id=\"decisions\"><h2>Fusion, merge and split decisions"
     << "</h2>\n";
  decisions(r);
  os << "</section>\n";

  os << "<section id=\"devices\"><h2>Devices</h2>\n";
  devices(r);
  os << "</section>\n";

  os << "<section id=\"variants\"><h2>Variants</h2>\n";
  variants(r);
  os << "</section>\n";

  os << "<section id=\"stages\"><h2>Compile stages</h2>\n";
  stages(r);
  os << "</section>\n";

  os << "<footer><p class=\"note\">" << escape(r.version)
     << " &middot; <span id=\"status\">(script did not run)</span></p>"
     << "</footer>\n<script>" << kScript << "</script>\n</body>\n</html>\n";
}

} // namespace

bool writeReport(const Report &report, llvm::StringRef path,
                 std::string &error) {
  std::error_code ec;
  llvm::ToolOutputFile out(path, ec, llvm::sys::fs::OF_None);
  if (ec) {
    error = "cannot write '" + path.str() + "': " + ec.message();
    return false;
  }
  Page(out.os()).write(report);
  out.os().flush();
  if (out.os().has_error()) {
    error = "cannot write '" + path.str() + "'";
    out.os().clear_error();
    return false;
  }
  out.keep();
  return true;
}

//===----------------------------------------------------------------------===//
// --time-passes
//===----------------------------------------------------------------------===//

void StageTimer::begin(llvm::StringRef name) {
  end();
  current = name.str();
  started = Clock::now();
}

void StageTimer::end() {
  if (current.empty())
    return;
  double s = std::chrono::duration<double>(Clock::now() - started).count();
  done.push_back({current, s});
  if (print)
    llvm::errs() << llvm::format("kilnc: time: %-24s %8.3f s\n",
                                 current.c_str(), s);
  current.clear();
}

void StageTimer::finish() {
  end();
  if (print)
    llvm::errs() << llvm::format(
        "kilnc: time: %-24s %8.3f s\n", "total",
        std::chrono::duration<double>(Clock::now() - first).count());
}

void StageSplitter::runBeforePass(Pass *pass, Operation *) {
  if (pass->getArgument() == "convert-nn-to-linalg")
    timer.begin("lowering");
}

} // namespace kiln::report
