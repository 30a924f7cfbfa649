//===- StreamDump.h - Kiln NNA streams as text ------------------*- C++ -*-===//
//
// The dumps of kiln-nna-stream and kilnc --emit=nna: a stream's summary
// and its commands, printed from the bytes as the runtime parses them.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TARGETS_NNA_STREAMDUMP_H
#define KILN_TARGETS_NNA_STREAMDUMP_H

#include "targets/nna/StreamBuilder.h"

#include "runtime/src/nna_stream.h"

#include "llvm/Support/raw_ostream.h"

namespace kiln::nna {

/// What the builder made of the stream: commands by opcode, DRAM traffic,
/// SRAM use, sizes, where the arguments and results are, and per op its
/// split (docs/nna.md, "kiln-nna-stream").
void printStreamSummary(llvm::raw_ostream &os, const kiln_nna_config &config,
                        const StreamSummary &summary, bool layerByLayer);

/// One line per command of a parsed stream ("  cmd N: ...").
void printStreamCommands(llvm::raw_ostream &os, const kiln_nna_stream &stream);

} // namespace kiln::nna

#endif // KILN_TARGETS_NNA_STREAMDUMP_H
