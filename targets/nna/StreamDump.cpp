//===- StreamDump.cpp - Kiln NNA streams as text --------------------------===//
#include "targets/nna/StreamDump.h"

#include "llvm/ADT/StringExtras.h"

using namespace llvm;

namespace kiln::nna {
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

} // namespace

void printStreamSummary(raw_ostream &os, const kiln_nna_config &config,
                        const StreamSummary &s, bool layerByLayer) {
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
  auto tensor = [&](const char *what, size_t i, const ArenaTensor &t) {
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

void printStreamCommands(raw_ostream &os, const kiln_nna_stream &stream) {
  for (uint32_t i = 0; i < stream.num_commands; ++i) {
    os << "  cmd " << i << ": ";
    printCommand(os, stream.commands[i]);
    os << "\n";
  }
}

} // namespace kiln::nna
