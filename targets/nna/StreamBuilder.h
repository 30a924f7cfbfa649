//===- StreamBuilder.h - nna ops to a Kiln NNA command stream ---*- C++ -*-===//
//
// The NNA target's split and merge: a segment of nna ops becomes one v1
// command stream (docs/nna.md, "Compiler: command streams"). Each op is
// split into tiles that fit the configuration's SRAM and ACC, in NVDLA's
// order of preference; values whose consumers can read them on chip stay in
// SRAM (merge), everything else goes through the DRAM arena.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TARGETS_NNA_STREAMBUILDER_H
#define KILN_TARGETS_NNA_STREAMBUILDER_H

#include "kiln/nna_stream.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <cstdint>
#include <string>
#include <vector>

namespace kiln::nna {

struct StreamOptions {
  /// The baseline: every op loads its inputs and weights from DRAM and
  /// stores its output there; nothing stays in SRAM between ops and no
  /// buffer is doubled.
  bool layerByLayer = false;
  /// Where the stream's own arena places begin: several streams share one
  /// arena (a plan's) by taking disjoint ranges of it.
  uint64_t arenaBase = 0;
  /// Arena offsets of the arguments when something else (an earlier stream,
  /// a CPU step) has placed them already; empty: placed from `arenaBase`.
  std::vector<uint64_t> argumentOffsets;
};

/// A cube in the arena (DRAM region 1): dense h x w x c, channels innermost.
struct ArenaTensor {
  uint64_t offset = 0;
  int64_t h = 0, w = 0, c = 0;
};

/// How one op was split and where its result went.
struct OpTiles {
  std::string name; // the op's name and location
  int64_t rowTiles = 1, outChannelGroups = 1, inChannelGroups = 1;
  bool outputInSram = false;   // kept in SRAM for its consumers
  bool doubleBuffered = false; // some buffer has two copies
  bool channelGroupsOuter = false;
  uint64_t dramBytes = 0; // what its DMA commands move
};

struct StreamSummary {
  uint64_t commands[KILN_NNA_POOL + 1] = {}; // by opcode
  uint64_t dramLoaded = 0, dramStored = 0;   // sum of rows x row_bytes
  /// The most SRAM in use at once: resident values and one op's buffers.
  uint64_t sramPeak = 0;
  /// One past the highest SRAM byte any command touches.
  uint64_t sramTop = 0;
  uint64_t constSize = 0, arenaSize = 0;
  std::vector<ArenaTensor> arguments, results;
  std::vector<OpTiles> ops;
  uint64_t numCommands() const {
    uint64_t n = 0;
    for (uint64_t c : commands)
      n += c;
    return n;
  }
};

/// Builds the stream of `fn`, whose body holds only nna ops, the
/// nn.constant ops of their weights and parameters, and func.return; its
/// arguments and results are int8 HxWxC cubes that the runtime places in
/// the arena at the offsets recorded in `summary`. Fails with an error on
/// the offending op when the function is not such a segment or an op cannot
/// be split to fit `config`. The stream is checked with the runtime's
/// validator before it is returned.
mlir::FailureOr<std::vector<uint8_t>> buildStream(mlir::func::FuncOp fn,
                                                  const kiln_nna_config &config,
                                                  const StreamOptions &options,
                                                  StreamSummary &summary);

} // namespace kiln::nna

#endif // KILN_TARGETS_NNA_STREAMBUILDER_H
