/* The OpenCL executor: runs a model's OpenCL plan on the first GPU (or, with
 * none, the first OpenCL device, e.g. POCL's CPU device). Only built with
 * KILN_ENABLE_OPENCL; without it kiln_opencl_create says so. */
#ifndef KILN_RT_OPENCL_H
#define KILN_RT_OPENCL_H

#include "opencl_plan.h"

typedef struct kiln_opencl kiln_opencl;

/* Builds the plan's program (or loads its binary from `cache_dir`, when
 * not NULL or empty), creates its kernels and the device arena and weights
 * buffers. Takes ownership of `plan` (freed on failure too). */
kiln_status kiln_opencl_create(kiln_cl_plan *plan, const char *cache_dir,
                               kiln_opencl **out, kiln_program_source *source,
                               kiln_error *error);

/* Copies the inputs in, runs every launch in order, copies the outputs
 * out; the tensors were checked against the descriptor. */
kiln_status kiln_opencl_run(kiln_opencl *cl, const kiln_tensor *inputs,
                            kiln_tensor *outputs, kiln_error *error);

void kiln_opencl_destroy(kiln_opencl *cl);

#endif /* KILN_RT_OPENCL_H */
