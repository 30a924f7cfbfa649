/* The OpenCL plan (format: kiln/opencl_plan.h) parsed and checked against
 * the model's inputs and outputs. Built with or without OpenCL, so that
 * the parser can be tested and fuzzed anywhere. */
#ifndef KILN_RT_OPENCL_PLAN_H
#define KILN_RT_OPENCL_PLAN_H

#include "kiln/opencl_plan.h"
#include "kiln/runtime.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kiln_cl_launch {
  uint32_t kernel;
  uint32_t work_dim;
  uint64_t global[3];
  uint64_t local[3]; /* all 0: the driver chooses */
} kiln_cl_launch;

/* Host memory: a model input or output of the caller, or the session's
 * host block (KILN_CL_REF_HOST: `index` is a byte offset). */
typedef struct kiln_cl_ref {
  uint32_t kind;
  uint64_t index;
  uint64_t size;
} kiln_cl_ref;

typedef struct kiln_cl_copy {
  kiln_cl_ref ref;
  uint64_t device_offset;
} kiln_cl_copy;

typedef struct kiln_cl_step {
  uint32_t kind; /* KILN_CL_STEP_GPU or KILN_CL_STEP_CPU */
  /* GPU */
  uint32_t first_launch, num_launches;
  uint32_t num_uploads, num_downloads;
  kiln_cl_copy *uploads, *downloads;
  /* CPU */
  uint32_t entry;
  bool parallel;
  uint32_t num_args;
  kiln_cl_ref *args;
  uint32_t num_waits;
  uint32_t *waits; /* earlier GPU steps */
} kiln_cl_step;

typedef struct kiln_cl_plan {
  uint64_t arena_size;
  uint64_t weights_size;
  uint64_t host_size;
  uint64_t cpu_arena_size;
  uint32_t num_kernels;
  char **kernel_names;
  uint32_t num_launches;
  kiln_cl_launch *launches;
  uint32_t num_steps;
  kiln_cl_step *steps;
  const char *source; /* into the plan's bytes, not NUL terminated */
  uint32_t source_size;
  const uint8_t *weights; /* into the plan's bytes */
} kiln_cl_plan;

/* Parses `data` into `plan` (which kiln_cl_plan_free releases, whether or
 * not parsing succeeded), checking every copy and argument against the
 * model's tensors, the host block and the arena, and every CPU step's entry
 * against the model's `num_entries`. */
kiln_status kiln_cl_plan_parse(const uint8_t *data, uint64_t size,
                               const kiln_tensor_info *inputs,
                               size_t num_inputs,
                               const kiln_tensor_info *outputs,
                               size_t num_outputs, uint32_t num_entries,
                               kiln_cl_plan *plan, kiln_error *error);
void kiln_cl_plan_free(kiln_cl_plan *plan);

#ifdef __cplusplus
}
#endif

#endif /* KILN_RT_OPENCL_PLAN_H */
