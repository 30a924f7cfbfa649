/* Kiln NNA command stream: the program of the Kiln NNA, a made-up
 * NVDLA-like accelerator that kilnc targets (--nna-config=small|large) and
 * libkilnrt validates and simulates bit-exactly with a cycle cost model.
 * docs/nna.md is the full spec (units, arithmetic, validator rules, costs);
 * this header holds its format constants and the two configurations.
 *
 * A stream is a self-contained little-endian byte blob:
 *
 *   header (24 bytes):
 *     u32 magic            KILN_NNA_MAGIC ("KNNA")
 *     u32 version          KILN_NNA_VERSION
 *     u64 payload_size     bytes following the header
 *     u32 checksum         FNV-1a 32 (kiln_fnv1a32) of the payload bytes
 *     u32 config           KILN_NNA_CONFIG_SMALL or KILN_NNA_CONFIG_LARGE
 *   payload:
 *     u64 const_size       bytes of DRAM region 0, the last of the payload
 *     u64 arena_size       bytes of DRAM region 1 the runtime allocates
 *     u32 num_commands, then the commands in order, each a u8 opcode
 *       followed by its fields (KILN_NNA_*_FIELDS bytes):
 *       DMA_LOAD   u8 region, u64 src, u64 src_stride, u32 dst,
 *                  u32 dst_stride, u32 rows, u32 row_bytes
 *                  (DRAM region -> SRAM)
 *       DMA_STORE  u32 src, u32 src_stride, u64 dst, u64 dst_stride,
 *                  u32 rows, u32 row_bytes (SRAM -> the arena, region 1)
 *       CONV       cube in, cube out, u32 weights, u32 params, u8 kh, kw,
 *                  sh, sw, pad_top, pad_left, pad_bottom, pad_right,
 *                  u8 flags (KILN_NNA_CONV_*), i8 in_zero, out_zero,
 *                  lo1, hi1, then the add fields (present always, used
 *                  with KILN_NNA_CONV_ADD): cube b, i8 b_zero,
 *                  i32 t_mult, i8 t_shift, i32 b_mult, i8 b_shift,
 *                  i32 o_mult, i8 o_shift, i8 o_zero, lo2, hi2
 *       ADD        cube a, cube b, cube out, i8 a_zero, i32 a_mult,
 *                  i8 a_shift, i8 b_zero, i32 b_mult, i8 b_shift,
 *                  i32 o_mult, i8 o_shift, i8 o_zero, lo, hi
 *       POOL       cube in, cube out, u8 mode (KILN_NNA_POOL_*), kh, kw,
 *                  sh, sw, pad_top, pad_left, pad_bottom, pad_right,
 *                  u8 count_include_pad, i8 in_zero
 *     constants (const_size bytes)
 *   A cube is u32 addr, u16 h, u16 w, u16 c, u32 pixel, u32 line: the int8
 *   element (y, x, ch) is SRAM byte addr + y*line + x*pixel + ch.
 *   Nothing may follow the constants. Weights are [K][kh][kw][cg] int8;
 *   per-channel parameters 12 bytes per output channel (i32 bias, i32
 *   multiplier, i32 shift). SRAM, ACC and the rates come from the
 *   configuration (kiln_nna_config_get).
 */
#ifndef KILN_NNA_STREAM_H
#define KILN_NNA_STREAM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KILN_NNA_MAGIC 0x414e4e4bu /* "KNNA" */
#define KILN_NNA_VERSION 1u
#define KILN_NNA_HEADER_SIZE 24u
#define KILN_NNA_CUBE_SIZE 18u
/* Bytes of each command's fields, after its opcode byte. */
#define KILN_NNA_DMA_LOAD_FIELDS 33u
#define KILN_NNA_DMA_STORE_FIELDS 32u
#define KILN_NNA_CONV_FIELDS 94u
#define KILN_NNA_ADD_FIELDS 74u
#define KILN_NNA_POOL_FIELDS 47u
/* Per-channel parameters of a CONV, per output channel. */
#define KILN_NNA_PARAMS_SIZE 12u

typedef enum kiln_nna_opcode {
  KILN_NNA_DMA_LOAD = 1,
  KILN_NNA_DMA_STORE = 2,
  KILN_NNA_CONV = 3,
  KILN_NNA_ADD = 4,
  KILN_NNA_POOL = 5
} kiln_nna_opcode;

typedef enum kiln_nna_conv_flag {
  KILN_NNA_CONV_FIRST = 1,     /* starts the accumulators from the bias */
  KILN_NNA_CONV_LAST = 2,      /* runs the SDP stages, writes the output */
  KILN_NNA_CONV_DEPTHWISE = 4, /* K = in.c, cg = 1 */
  KILN_NNA_CONV_ADD = 8        /* SDP stage 2: adds cube b (with LAST) */
} kiln_nna_conv_flag;

typedef enum kiln_nna_pool_mode {
  KILN_NNA_POOL_MAX = 0,
  KILN_NNA_POOL_AVERAGE = 1
} kiln_nna_pool_mode;

typedef enum kiln_nna_config_id {
  KILN_NNA_CONFIG_SMALL = 0,
  KILN_NNA_CONFIG_LARGE = 1
} kiln_nna_config_id;
#define KILN_NNA_NUM_CONFIGS 2u

typedef enum kiln_nna_region {
  KILN_NNA_REGION_CONSTANTS = 0, /* the stream's constants, read-only */
  KILN_NNA_REGION_ARENA = 1      /* activations, allocated by the runtime */
} kiln_nna_region;

/* One configuration's parameters (docs/nna.md, Configurations). */
typedef struct kiln_nna_config {
  uint32_t id; /* kiln_nna_config_id */
  const char *name;
  uint32_t atomic_c;            /* MAC array input channels per cycle */
  uint32_t atomic_k;            /* MAC array output channels per cycle */
  uint32_t sram_bytes;          /* the on-chip buffer (CBUF) */
  uint32_t acc_entries;         /* int32 accumulators */
  uint32_t dma_bytes_per_cycle; /* DMA bandwidth */
  uint32_t sdp_rate;            /* ADD elements per cycle */
  uint32_t pdp_rate;            /* POOL window elements per cycle */
  uint32_t clock_mhz;           /* only to turn cycles into time */
} kiln_nna_config;

/* The configuration `id`, NULL when there is none. Each translation unit
 * has its own copy of the table: compare configurations by id. */
static inline const kiln_nna_config *kiln_nna_config_get(uint32_t id) {
  static const kiln_nna_config configs[KILN_NNA_NUM_CONFIGS] = {
      {KILN_NNA_CONFIG_SMALL, "small", 32, 16, 256u * 1024u, 16384, 16, 16, 8,
       800},
      {KILN_NNA_CONFIG_LARGE, "large", 64, 32, 1024u * 1024u, 65536, 32, 32, 16,
       1000}};
  return id < KILN_NNA_NUM_CONFIGS ? &configs[id] : 0;
}

/* The opcode's name as docs/nna.md spells it, "unknown" for others. */
static inline const char *kiln_nna_opcode_name(uint32_t opcode) {
  switch (opcode) {
  case KILN_NNA_DMA_LOAD:
    return "DMA_LOAD";
  case KILN_NNA_DMA_STORE:
    return "DMA_STORE";
  case KILN_NNA_CONV:
    return "CONV";
  case KILN_NNA_ADD:
    return "ADD";
  case KILN_NNA_POOL:
    return "POOL";
  default:
    return "unknown";
  }
}

#ifdef __cplusplus
}
#endif
#endif /* KILN_NNA_STREAM_H */
