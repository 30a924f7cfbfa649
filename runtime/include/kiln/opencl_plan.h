/* Kiln OpenCL plan: the GPU variant of a model, as kilnc --devices=...,gpu
 * writes it and libkilnrt (built with KILN_ENABLE_OPENCL) runs it. The
 * variant is partitioned: GPU steps run OpenCL kernels, CPU steps call
 * segments compiled into the model object for ops the GPU cannot run (or
 * that kilnc --cpu-ops kept on the CPU).
 *
 * A model whose kiln_model.abi_version is 3 or more points to at most one
 * plan (kiln_model.opencl_plan, opencl_plan_size; NULL and 0 when it has
 * none). The plan is a self-contained little-endian byte blob:
 *
 *   header (24 bytes):
 *     u32 magic            KILN_OPENCL_PLAN_MAGIC ("KLCL")
 *     u32 version          KILN_OPENCL_PLAN_VERSION
 *     u64 payload_size     bytes following the header
 *     u32 checksum         FNV-1a 32 (kiln_fnv1a32) of the payload bytes
 *     u32 reserved         0
 *   payload:
 *     u64 arena_size       bytes of the device buffer holding the values
 *                          the kernels read and write
 *     u64 weights_size     bytes of the read-only weights buffer
 *     u64 host_size        bytes of host memory for values that cross
 *                          between devices (neither model input nor output)
 *     u64 cpu_arena_size   bytes of scratch the CPU segments need
 *     u32 num_kernels, each: u16 name_len, name bytes (1..KILN_MAX_NAME_LEN)
 *     u32 num_launches, each:
 *       u32 kernel (< num_kernels), u32 work_dim (1..3),
 *       u64 global[3], u64 local[3] (unused dims 1; local all 0: the
 *       driver chooses; otherwise each global is a multiple of its local)
 *     u32 num_steps, each (run in order):
 *       u8 kind             KILN_CL_STEP_GPU or KILN_CL_STEP_CPU
 *       GPU: u32 first_launch, u32 num_launches (a range of the launches),
 *            u32 num_uploads, each: ref, u64 device offset (copied into the
 *              arena before the launches),
 *            u32 num_downloads, each: u64 device offset, ref (copied out
 *              after them)
 *       CPU: u32 entry (< kiln_model.num_entries), u8 parallel,
 *            u32 num_args, each: ref; the entry is called with the args'
 *              pointers, then the CPU arena, then (parallel = 1) the
 *              session's kiln_parallel,
 *            u32 num_waits, each: u32 step (an earlier GPU step whose
 *              downloads the entry reads: the CPU step waits for it;
 *              otherwise it may run while the GPU works)
 *     u32 source_size, source bytes: one OpenCL C 1.2 program defining every
 *       kernel as  __kernel void NAME(__global float *arena,
 *                                     __global const float *weights)
 *       with all offsets and shapes compiled in
 *     weights bytes (weights_size)
 *   A ref is host memory: u8 kind (KILN_CL_REF_*), u64 index (input or
 *   output number; for HOST a byte offset into host memory), u64 size
 *   (bytes, within the tensor or host memory).
 *   Nothing may follow the weights. Every device offset is 4-byte aligned
 *   and every copy lies inside the arena; every model output is written by
 *   some step.
 */
#ifndef KILN_OPENCL_PLAN_H
#define KILN_OPENCL_PLAN_H

#include <stdint.h>

#define KILN_OPENCL_PLAN_MAGIC 0x4c434c4bu /* "KLCL" */
#define KILN_OPENCL_PLAN_VERSION 2u
#define KILN_OPENCL_PLAN_HEADER_SIZE 24u

typedef enum kiln_cl_step_kind {
  KILN_CL_STEP_GPU = 0,
  KILN_CL_STEP_CPU = 1
} kiln_cl_step_kind;

typedef enum kiln_cl_ref_kind {
  KILN_CL_REF_INPUT = 0,  /* the caller's model input */
  KILN_CL_REF_OUTPUT = 1, /* the caller's model output */
  KILN_CL_REF_HOST = 2    /* the session's host memory */
} kiln_cl_ref_kind;

#endif /* KILN_OPENCL_PLAN_H */
