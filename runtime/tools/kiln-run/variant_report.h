/* kiln-run on models with per-segment variants: the variant table, the
 * current choice, and which variant each segment ran in each run. */
#ifndef KILN_RUN_VARIANT_REPORT_H
#define KILN_RUN_VARIANT_REPORT_H

#include "kiln/runtime.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Prints every variant (index, segment, label, device, threads, latency
 * and whether it was measured, weights, arena, error; the chosen ones
 * marked '*'), then the choice and its predicted totals. Returns 0, or 1
 * after a "kiln-run: error:" line. */
int kiln_print_variants(const kiln_session *session, FILE *f);

/* Prints "s0 fp32x1 | s1 nna | ..." of the current choice (no newline). */
void kiln_print_choice(const kiln_session *session, const uint32_t *choice,
                       FILE *f);

/* Runs that used the same variants, in a row; a run in which a device
 * failed is a range of its own. */
typedef struct kiln_usage_range {
  bool warmup;          /* warm-up runs (not timed) */
  uint64_t first, last; /* 1-based run numbers */
  uint32_t *used;       /* per segment, the variant (after a failure: of
                           the choice the run finished with) */
  /* A run in which a device failed: the choice it started with, the
   * devices that failed, and the segments where the failure can have
   * happened (those of the first choice on a failed device: the public API
   * does not say which one failed; the first choice ran before it, the
   * new one from it). before is NULL and failed_devices 0 otherwise. */
  uint32_t *before;
  uint32_t failed_devices;
  uint32_t fault_first, fault_last;
} kiln_usage_range;

/* The variants used by a sequence of runs, from the choice before and
 * after each run and the failed devices (kiln_session_selection). */
typedef struct kiln_usage_log {
  size_t num_segments;
  kiln_usage_range *ranges;
  size_t num_ranges, capacity;
  uint32_t *before; /* the choice before the run in progress */
  uint32_t failed_before;
} kiln_usage_log;

/* 0, or 1 after an error line. A session without variants gets an empty
 * log that records nothing. */
int kiln_usage_init(kiln_usage_log *log, const kiln_session *session);
void kiln_usage_free(kiln_usage_log *log);
/* Around each kiln_session_run; `after` returns 0 or 1 (out of memory). */
void kiln_usage_before(kiln_usage_log *log, const kiln_session *session);
int kiln_usage_after(kiln_usage_log *log, const kiln_session *session,
                     bool warmup, uint64_t run);
/* "runs 1-3: fp32 | nna | int8" per range, `indent` spaces first; a run
 * with a failure: "run 4: nna | nna -> nna | fp32 (nna failed at segment
 * 1)", or "at one of segments 0-1" when the API cannot tell. */
void kiln_usage_print(const kiln_usage_log *log, const kiln_session *session,
                      int indent, FILE *f);

#ifdef __cplusplus
}
#endif
#endif /* KILN_RUN_VARIANT_REPORT_H */
