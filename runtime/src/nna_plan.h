/* The NNA plan (format: kiln/nna_plan.h) parsed and checked against the
 * model's inputs and outputs, with every stream in it validated
 * (nna_stream.h), so that running it needs no further checks. */
#ifndef KILN_RT_NNA_PLAN_H
#define KILN_RT_NNA_PLAN_H

#include "kiln/nna_plan.h"
#include "kiln/runtime.h"
#include "nna_stream.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Host memory: a model input or output of the caller, or the arena
 * (KILN_NNA_REF_ARENA: `index` is a byte offset). */
typedef struct kiln_nna_ref {
  uint32_t kind;
  uint64_t index;
  uint64_t size;
} kiln_nna_ref;

typedef struct kiln_nna_step {
  uint32_t kind; /* KILN_NNA_STEP_NNA or KILN_NNA_STEP_CPU */
  /* NNA */
  uint32_t stream;
  /* CPU */
  uint32_t entry;
  bool parallel;
  uint32_t num_args;
  kiln_nna_ref *args;
} kiln_nna_step;

typedef struct kiln_nna_plan {
  const kiln_nna_config *config;
  uint64_t arena_size;
  uint64_t cpu_arena_size;
  uint32_t num_streams;
  kiln_nna_stream *streams; /* their constants point into the plan bytes */
  uint32_t num_steps;
  kiln_nna_step *steps;
} kiln_nna_plan;

/* Parses `data` into `plan` (which kiln_nna_plan_free releases, whether or
 * not parsing succeeded): the header, every stream (kiln_nna_stream_parse;
 * its config must be the plan's and its arena fit the plan's), every CPU
 * argument against the model's tensors and the arena, every CPU step's
 * entry against the model's `num_entries`, and that some step writes each
 * output. `data` must outlive the plan. Failures are
 * KILN_ERROR_INVALID_MODEL with a message naming the part. */
kiln_status kiln_nna_plan_parse(const uint8_t *data, uint64_t size,
                                const kiln_tensor_info *inputs,
                                size_t num_inputs,
                                const kiln_tensor_info *outputs,
                                size_t num_outputs, uint32_t num_entries,
                                kiln_nna_plan *plan, kiln_error *error);
void kiln_nna_plan_free(kiln_nna_plan *plan);

#ifdef __cplusplus
}
#endif

#endif /* KILN_RT_NNA_PLAN_H */
