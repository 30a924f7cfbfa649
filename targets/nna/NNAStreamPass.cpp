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
#include "targets/nna/StreamDump.h"

#include "kiln/model_format.h"
#include "runtime/src/nna_sim.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <bitset>

namespace kiln::nna {
#define GEN_PASS_DEF_NNASTREAMPASS
#include "targets/nna/Passes.h.inc"
} // namespace kiln::nna

using namespace mlir;

namespace {

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
    kiln::nna::printStreamSummary(os, *cfg, summary, layerByLayer);
    if (printCommands)
      kiln::nna::printStreamCommands(os, stream);
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
