//===- NNAStreamPass.cpp - build, print and simulate an NNA stream --------===//
//
// The stream builder seen from lit: what it split, merged and emitted, and
// what the runtime's simulator makes of it. The commands are printed from
// the bytes as the runtime parses them, so the dump shows what the device
// would run, not what the builder meant to emit.
//
//===----------------------------------------------------------------------===//
#include "targets/nna/Passes.h"
#include "targets/nna/StreamBuilder.h"

#include "kiln/model_format.h"
#include "runtime/src/nna_sim.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <bitset>

namespace kiln::nna {
#define GEN_PASS_DEF_NNASTREAMPASS
#include "targets/nna/Passes.h.inc"
} // namespace kiln::nna

using namespace mlir;

namespace {

void printCube(raw_ostream &os, const kiln_nna_cube &q) {
  os << "sram:" << q.addr << " " << q.h << "x" << q.w << "x" << q.c;
  if (q.pixel != q.c || q.line != q.w * q.pixel)
    os << " [pixel " << q.pixel << " line " << q.line << "]";
}

void printWindow(raw_ostream &os, const kiln_nna_window &w) {
  os << " kernel " << w.kh << "x" << w.kw << " stride " << w.sh;
  if (w.sw != w.sh)
    os << "x" << w.sw;
  os << " pads " << w.pad_top << "," << w.pad_left << "," << w.pad_bottom << ","
     << w.pad_right;
}

void printDmaShape(raw_ostream &os, const kiln_nna_dma &d, bool load) {
  os << " " << d.rows << " rows x " << d.row_bytes << " B";
  uint64_t src = load ? d.dram_stride : d.sram_stride;
  uint64_t dst = load ? d.sram_stride : d.dram_stride;
  if (d.rows > 1 && (src != d.row_bytes || dst != d.row_bytes))
    os << " (strides " << src << " -> " << dst << ")";
}

void printCommand(raw_ostream &os, const kiln_nna_command &c) {
  os << kiln_nna_opcode_name(c.opcode);
  switch (c.opcode) {
  case KILN_NNA_DMA_LOAD:
    os << " r" << c.dma.region << "+" << c.dma.dram
       << " -> sram:" << c.dma.sram;
    printDmaShape(os, c.dma, true);
    break;
  case KILN_NNA_DMA_STORE:
    os << " sram:" << c.dma.sram << " -> r1+" << c.dma.dram;
    printDmaShape(os, c.dma, false);
    break;
  case KILN_NNA_CONV: {
    const kiln_nna_conv &v = c.conv;
    os << " in=";
    printCube(os, v.in);
    os << " out=";
    printCube(os, v.out);
    os << " weights=sram:" << v.weights << " params=sram:" << v.params;
    printWindow(os, v.win);
    os << " flags ";
    llvm::ListSeparator sep("|");
    for (auto [bit, name] : {std::pair(KILN_NNA_CONV_FIRST, "FIRST"),
                             {KILN_NNA_CONV_LAST, "LAST"},
                             {KILN_NNA_CONV_DEPTHWISE, "DEPTHWISE"},
                             {KILN_NNA_CONV_ADD, "ADD"}})
      if (v.flags & bit)
        os << sep << name;
    if (v.flags & KILN_NNA_CONV_ADD) {
      os << " b=";
      printCube(os, v.b);
    }
    break;
  }
  case KILN_NNA_ADD:
    os << " a=";
    printCube(os, c.add.a);
    os << " b=";
    printCube(os, c.add.b);
    os << " out=";
    printCube(os, c.add.out);
    break;
  case KILN_NNA_POOL:
    os << (c.pool.mode == KILN_NNA_POOL_MAX ? " max" : " avg") << " in=";
    printCube(os, c.pool.in);
    os << " out=";
    printCube(os, c.pool.out);
    printWindow(os, c.pool.win);
    break;
  }
}

void printSummary(raw_ostream &os, const kiln_nna_config &config,
                  const kiln::nna::StreamSummary &s, bool layerByLayer) {
  os << "nna-stream: config " << config.name
     << (layerByLayer ? ", layer by layer" : ", fused") << "\n";
  os << "  commands " << s.numCommands() << ":";
  llvm::ListSeparator sep(",");
  for (uint32_t op = KILN_NNA_DMA_LOAD; op <= KILN_NNA_POOL; ++op)
    os << sep << " " << kiln_nna_opcode_name(op) << " " << s.commands[op];
  os << "\n  dram bytes " << s.dramLoaded + s.dramStored << ": loaded "
     << s.dramLoaded << ", stored " << s.dramStored << "\n";
  os << "  sram peak " << s.sramPeak << ", top " << s.sramTop << "\n";
  os << "  constants " << s.constSize << ", arena " << s.arenaSize << "\n";
  auto tensor = [&](const char *what, size_t i,
                    const kiln::nna::ArenaTensor &t) {
    os << "  " << what << " " << i << ": r1+" << t.offset << " " << t.h << "x"
       << t.w << "x" << t.c << "\n";
  };
  for (auto [i, t] : llvm::enumerate(s.arguments))
    tensor("argument", i, t);
  for (auto [i, t] : llvm::enumerate(s.results))
    tensor("result", i, t);
  for (auto [i, t] : llvm::enumerate(s.ops)) {
    os << "  op " << i << " " << t.name << ": tiles "
       << t.rowTiles * t.outChannelGroups * t.inChannelGroups << " = rows "
       << t.rowTiles << " x out-ch " << t.outChannelGroups << " x in-ch "
       << t.inChannelGroups << ", out " << (t.outputInSram ? "sram" : "dram");
    if (t.doubleBuffered)
      os << ", double-buffered";
    if (t.channelGroupsOuter)
      os << ", out-ch groups outer";
    os << ", dram " << t.dramBytes << "\n";
  }
}

/// splitmix64: the same bytes for a seed on every host.
uint64_t nextRandom(uint64_t &state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

struct NNAStreamPass : kiln::nna::impl::NNAStreamPassBase<NNAStreamPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto main = module.lookupSymbol<func::FuncOp>("main");
    if (!main || main.isExternal()) {
      module.emitError("kiln-nna-stream: no @main with a body");
      return signalPassFailure();
    }
    const kiln_nna_config *cfg =
        config == "small"   ? kiln_nna_config_get(KILN_NNA_CONFIG_SMALL)
        : config == "large" ? kiln_nna_config_get(KILN_NNA_CONFIG_LARGE)
                            : nullptr;
    if (!cfg) {
      module.emitError("kiln-nna-stream: config '")
          << config << "' is neither small nor large";
      return signalPassFailure();
    }
    kiln::nna::StreamOptions options;
    options.layerByLayer = layerByLayer;
    kiln::nna::StreamSummary summary;
    FailureOr<std::vector<uint8_t>> bytes =
        kiln::nna::buildStream(main, *cfg, options, summary);
    if (failed(bytes))
      return signalPassFailure();

    kiln_nna_stream stream{};
    kiln_error err{};
    llvm::scope_exit freeStream([&] { kiln_nna_stream_free(&stream); });
    if (kiln_nna_stream_parse(bytes->data(), bytes->size(), &stream, &err) !=
        KILN_OK) {
      main.emitError("kiln-nna-stream: ") << err.message;
      return signalPassFailure();
    }
    raw_ostream &os = llvm::outs();
    printSummary(os, *cfg, summary, layerByLayer);
    if (printCommands)
      for (uint32_t i = 0; i < stream.num_commands; ++i) {
        os << "  cmd " << i << ": ";
        printCommand(os, stream.commands[i]);
        os << "\n";
      }
    if (simulate && failed(runSimulator(os, stream, summary, main)))
      return signalPassFailure();
    os.flush();
  }

  LogicalResult runSimulator(raw_ostream &os, const kiln_nna_stream &stream,
                             const kiln::nna::StreamSummary &summary,
                             func::FuncOp main) {
    std::vector<uint8_t> arena(stream.arena_size, 0);
    if (inputSeed >= 0)
      for (auto [i, t] : llvm::enumerate(summary.arguments)) {
        uint64_t state = uint64_t(inputSeed) * 0x100000001b3ull + i;
        uint64_t n = uint64_t(t.h) * t.w * t.c;
        for (uint64_t b = 0; b < n; ++b)
          arena[t.offset + b] = uint8_t(nextRandom(state));
      }
    kiln_nna_report report{};
    kiln_error err{};
    if (kiln_nna_simulate(&stream, arena.data(), arena.size(), &report, &err) !=
        KILN_OK)
      return main.emitError("kiln-nna-stream: the simulator failed: ")
             << err.message;
    os << "simulate: cycles " << report.cycles << ", dram read "
       << report.dram_read << " B, written " << report.dram_written
       << " B, busy dma " << report.busy[KILN_NNA_UNIT_DMA] << " conv "
       << report.busy[KILN_NNA_UNIT_CONV] << " sdp "
       << report.busy[KILN_NNA_UNIT_SDP] << " pdp "
       << report.busy[KILN_NNA_UNIT_PDP] << "\n";
    kiln_nna_report_free(&report);
    for (auto [i, t] : llvm::enumerate(summary.results)) {
      const uint8_t *data = arena.data() + t.offset;
      size_t n = size_t(t.h) * t.w * t.c;
      std::bitset<256> seen;
      for (size_t b = 0; b < n; ++b)
        seen.set(data[b]);
      os << "result " << i << ": fnv1a "
         << llvm::format_hex(kiln_fnv1a32(data, n), 10) << ", distinct "
         << seen.count() << "\n";
    }
    return success();
  }
};

} // namespace
