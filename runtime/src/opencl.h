/* The OpenCL executor: runs a model's OpenCL plan on the first GPU (or, with
 * none, the first OpenCL device, e.g. POCL's CPU device). Only built with
 * KILN_ENABLE_OPENCL; without it kiln_opencl_create says so. */
#ifndef KILN_RT_OPENCL_H
#define KILN_RT_OPENCL_H

#include "opencl_plan.h"

typedef struct kiln_opencl kiln_opencl;

/* Builds the plan's program (or loads its binary from `cache_dir`, when
 * not NULL or empty), creates its kernels, the device arena and weights
 * buffers, and the host memory of its CPU steps, which call `model`'s
 * entries with `parallel`. Takes ownership of `plan` (freed on failure
 * too). */
kiln_status kiln_opencl_create(kiln_cl_plan *plan, const kiln_model *model,
                               kiln_parallel *parallel, const char *cache_dir,
                               kiln_opencl **out, kiln_program_source *source,
                               kiln_error *error);

/* Runs the plan's steps in order: a GPU step is enqueued (copies in,
 * kernels, copies out) and the host goes on; a CPU step waits for the GPU
 * steps it reads from, then calls its entry. Returns when the queue is
 * done. The tensors were checked against the descriptor. */
kiln_status kiln_opencl_run(kiln_opencl *cl, const kiln_tensor *inputs,
                            kiln_tensor *outputs, kiln_error *error);

/* The work-group sizes in use (kiln_session_gpu_tuning). */
void kiln_opencl_tuning(const kiln_opencl *cl, kiln_gpu_tuning *out);

/* Tunes the launches' work-group sizes (kiln_session_tune_gpu). */
kiln_status kiln_opencl_tune(kiln_opencl *cl, kiln_gpu_tuning *out,
                             kiln_error *error);

void kiln_opencl_destroy(kiln_opencl *cl);

#endif /* KILN_RT_OPENCL_H */
