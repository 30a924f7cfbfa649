/* A Kiln NNA command stream (format: kiln/nna_stream.h, spec: docs/nna.md)
 * decoded and validated. Once kiln_nna_stream_parse accepts a stream, every
 * SRAM and DRAM range of its commands lies inside its memory and every
 * shape is consistent, so the simulator (nna_sim.h) indexes without
 * further checks. */
#ifndef KILN_RT_NNA_STREAM_H
#define KILN_RT_NNA_STREAM_H

#include "kiln/nna_stream.h"
#include "kiln/runtime.h"

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* An int8 h x w x c tensor in SRAM, channels innermost. */
typedef struct kiln_nna_cube {
  uint32_t addr;
  uint32_t h, w, c;
  uint32_t pixel, line; /* strides in bytes */
} kiln_nna_cube;

typedef struct kiln_nna_window {
  uint32_t kh, kw, sh, sw;
  uint32_t pad_top, pad_left, pad_bottom, pad_right;
} kiln_nna_window;

/* SDP stage 2, TFLite's quantised add of `a` and `b` (for a CONV, `a` is
 * its requantised result t, a_zero its out_zero). */
typedef struct kiln_nna_add_quant {
  int32_t a_zero, a_mult, a_shift;
  int32_t b_zero, b_mult, b_shift;
  int32_t o_mult, o_shift, o_zero;
  int32_t lo, hi;
} kiln_nna_add_quant;

/* DMA_LOAD (DRAM `region` -> SRAM) or DMA_STORE (SRAM -> the arena). */
typedef struct kiln_nna_dma {
  uint32_t region; /* a store's is always KILN_NNA_REGION_ARENA */
  uint64_t dram, dram_stride;
  uint32_t sram, sram_stride;
  uint32_t rows, row_bytes;
} kiln_nna_dma;

typedef struct kiln_nna_conv {
  kiln_nna_cube in, out;
  uint32_t weights, params; /* SRAM addresses */
  kiln_nna_window win;
  uint32_t flags; /* KILN_NNA_CONV_* */
  int32_t in_zero, out_zero, lo1, hi1;
  kiln_nna_cube b;        /* with KILN_NNA_CONV_ADD */
  kiln_nna_add_quant add; /* with KILN_NNA_CONV_ADD */
  uint32_t cg;            /* input channels per output: in.c, 1 depthwise */
} kiln_nna_conv;

typedef struct kiln_nna_eltwise {
  kiln_nna_cube a, b, out;
  kiln_nna_add_quant q;
} kiln_nna_eltwise;

typedef struct kiln_nna_pool {
  kiln_nna_cube in, out;
  kiln_nna_window win;
  uint32_t mode; /* KILN_NNA_POOL_* */
  bool count_include_pad;
  int32_t in_zero;
} kiln_nna_pool;

typedef struct kiln_nna_command {
  uint32_t opcode; /* kiln_nna_opcode: selects the member below */
  union {
    kiln_nna_dma dma; /* DMA_LOAD, DMA_STORE */
    kiln_nna_conv conv;
    kiln_nna_eltwise add;
    kiln_nna_pool pool;
  };
} kiln_nna_command;

typedef struct kiln_nna_stream {
  const kiln_nna_config *config;
  uint64_t const_size, arena_size;
  const uint8_t *constants; /* region 0: into the parsed bytes */
  uint32_t num_commands;
  kiln_nna_command *commands;
} kiln_nna_stream;

/* Decodes and validates `data` (every rule of docs/nna.md, "What the
 * validator rejects") into `out`, which kiln_nna_stream_free releases
 * whether or not parsing succeeded. `out->constants` points into `data`,
 * which must outlive it. Failures are KILN_ERROR_INVALID_MODEL with a
 * message naming the command, its opcode and the field. */
kiln_status kiln_nna_stream_parse(const uint8_t *data, uint64_t size,
                                  kiln_nna_stream *out, kiln_error *error);
void kiln_nna_stream_free(kiln_nna_stream *stream);

/* Bytes from a cube's first element to one past its last. */
static inline uint64_t kiln_nna_cube_extent(const kiln_nna_cube *q) {
  return (uint64_t)(q->h - 1) * q->line + (uint64_t)(q->w - 1) * q->pixel +
         q->c;
}

#ifdef __cplusplus
}
#endif

#endif /* KILN_RT_NNA_STREAM_H */
