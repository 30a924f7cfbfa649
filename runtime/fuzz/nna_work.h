/* The NNA fuzz targets' bound on a run's time: what the simulator computes
 * for one stream (bytes moved plus multiply-accumulates), so that only
 * small streams and plans are run. */
#ifndef KILN_FUZZ_NNA_WORK_H
#define KILN_FUZZ_NNA_WORK_H

#include "nna_stream.h" /* runtime/src */

#include <stdint.h>

static inline uint64_t nna_stream_work(const kiln_nna_stream *s) {
  uint64_t total = 0;
  for (uint32_t i = 0; i < s->num_commands; ++i) {
    const kiln_nna_command *c = &s->commands[i];
    switch (c->opcode) {
    case KILN_NNA_DMA_LOAD:
    case KILN_NNA_DMA_STORE:
      total += (uint64_t)c->dma.rows * c->dma.row_bytes;
      break;
    case KILN_NNA_CONV:
      total += (uint64_t)c->conv.out.h * c->conv.out.w * c->conv.out.c *
               c->conv.win.kh * c->conv.win.kw * c->conv.cg;
      break;
    case KILN_NNA_ADD:
      total += (uint64_t)c->add.out.h * c->add.out.w * c->add.out.c;
      break;
    case KILN_NNA_POOL:
      total += (uint64_t)c->pool.out.h * c->pool.out.w * c->pool.out.c *
               c->pool.win.kh * c->pool.win.kw;
      break;
    }
  }
  return total;
}

#endif /* KILN_FUZZ_NNA_WORK_H */
