/* The OpenCL plan (format: kiln/opencl_plan.h) parsed and checked against
 * the model's inputs and outputs. Built with or without OpenCL, so that
 * the parser can be tested and fuzzed anywhere. */
#ifndef KILN_RT_OPENCL_PLAN_H
#define KILN_RT_OPENCL_PLAN_H

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

typedef struct kiln_cl_plan {
  uint64_t arena_size;
  uint64_t weights_size;
  size_t num_inputs, num_outputs;
  /* One allocation: the offsets in the arena and the sizes (the
   * descriptor's) of the inputs, then of the outputs. */
  uint64_t *input_offsets, *input_sizes;
  uint64_t *output_offsets, *output_sizes;
  uint32_t num_kernels;
  char **kernel_names;
  uint32_t num_launches;
  kiln_cl_launch *launches;
  const char *source; /* into the plan's bytes, not NUL terminated */
  uint32_t source_size;
  const uint8_t *weights; /* into the plan's bytes */
} kiln_cl_plan;

/* Parses `data` into `plan` (which kiln_cl_plan_free releases, whether or
 * not parsing succeeded). */
kiln_status kiln_cl_plan_parse(const uint8_t *data, uint64_t size,
                               const kiln_tensor_info *inputs,
                               size_t num_inputs,
                               const kiln_tensor_info *outputs,
                               size_t num_outputs, kiln_cl_plan *plan,
                               kiln_error *error);
void kiln_cl_plan_free(kiln_cl_plan *plan);

#ifdef __cplusplus
}
#endif

#endif /* KILN_RT_OPENCL_PLAN_H */
