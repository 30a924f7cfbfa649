/* The Kiln NNA simulator (docs/nna.md): runs a validated command stream
 * (nna_stream.h) bit-exactly on a caller's DRAM arena and reports its cost:
 * per command the unit, start and end cycle, and DRAM traffic, from the
 * spec's cost model and its dependency scoreboard. */
#ifndef KILN_RT_NNA_SIM_H
#define KILN_RT_NNA_SIM_H

#include "nna_stream.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum kiln_nna_unit {
  KILN_NNA_UNIT_DMA = 0,  /* DMA_LOAD, DMA_STORE */
  KILN_NNA_UNIT_CONV = 1, /* CONV (with its SDP stages) */
  KILN_NNA_UNIT_SDP = 2,  /* ADD */
  KILN_NNA_UNIT_PDP = 3   /* POOL */
} kiln_nna_unit;
#define KILN_NNA_NUM_UNITS 4

typedef struct kiln_nna_command_report {
  uint32_t opcode, unit;
  uint64_t start, end, cycles;      /* end = start + cycles */
  uint64_t dram_read, dram_written; /* bytes */
} kiln_nna_command_report;

typedef struct kiln_nna_report {
  uint32_t num_commands;
  kiln_nna_command_report *commands;
  uint64_t cycles; /* the last end */
  uint64_t dram_read, dram_written;
  uint64_t busy[KILN_NNA_NUM_UNITS]; /* cycles each unit worked */
} kiln_nna_report;

/* Runs `s` on `arena` (DRAM region 1, at least s->arena_size bytes, which
 * the stream reads and writes) with fresh zeroed SRAM and ACC, and fills
 * `report` (released by kiln_nna_report_free; empty after a failure).
 * Fails (KILN_ERROR_INVALID_MODEL, naming the command and channel) when a
 * CONV meets a per-channel shift outside -31..30 in SRAM, which only
 * running can see; the arena may then hold the earlier commands' writes. */
kiln_status kiln_nna_simulate(const kiln_nna_stream *s, uint8_t *arena,
                              uint64_t arena_size, kiln_nna_report *report,
                              kiln_error *error);
void kiln_nna_report_free(kiln_nna_report *report);

/* The cycles of one command on `config` (docs/nna.md, Cost model). */
uint64_t kiln_nna_command_cycles(const kiln_nna_config *config,
                                 const kiln_nna_command *cmd);

/* The spec's arithmetic, exported for tests of its edge cases. */
int32_t kiln_nna_srdhm(int32_t a, int32_t b);
int32_t kiln_nna_rdivpot(int32_t x, int32_t e);         /* 0 <= e <= 31 */
int32_t kiln_nna_mulq(int32_t x, int32_t m, int32_t s); /* -31 <= s <= 30 */

#ifdef __cplusplus
}
#endif

#endif /* KILN_RT_NNA_SIM_H */
