/* Kiln OpenCL plan: the GPU variant of a model, as kilnc --devices=...,gpu
 * writes it and libkilnrt (built with KILN_ENABLE_OPENCL) runs it.
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
 *     u64 arena_size       bytes of the device buffer that holds the
 *                          model's inputs, outputs and intermediates
 *     u64 weights_size     bytes of the read-only weights buffer
 *     u32 num_inputs       = the descriptor's, each: u64 offset into the
 *                          arena (the input's bytes, as the descriptor
 *                          sizes them, are copied there before a run)
 *     u32 num_outputs      = the descriptor's, each: u64 offset (read back
 *                          after a run)
 *     u32 num_kernels, each: u16 name_len, name bytes (1..KILN_MAX_NAME_LEN)
 *     u32 num_launches, each (in order):
 *       u32 kernel (< num_kernels), u32 work_dim (1..3),
 *       u64 global[3], u64 local[3] (unused dims 1; local all 0: the
 *       driver chooses)
 *     u32 source_size, source bytes: one OpenCL C 1.2 program defining every
 *       kernel as  __kernel void NAME(__global float *arena,
 *                                     __global const float *weights)
 *       with all offsets and shapes compiled in
 *     weights bytes (weights_size)
 *   Nothing may follow the weights. Every offset is 4-byte aligned and
 *   every input and output lies inside the arena.
 */
#ifndef KILN_OPENCL_PLAN_H
#define KILN_OPENCL_PLAN_H

#include <stdint.h>

#define KILN_OPENCL_PLAN_MAGIC 0x4c434c4bu /* "KLCL" */
#define KILN_OPENCL_PLAN_VERSION 1u
#define KILN_OPENCL_PLAN_HEADER_SIZE 24u

#endif /* KILN_OPENCL_PLAN_H */
