/* Kiln NNA plan: the NNA variant of a model, as kilnc --devices=...,nna
 * writes it and libkilnrt runs it on the bundled Kiln NNA simulator
 * (docs/nna.md). The variant is partitioned like the GPU's
 * (kiln/opencl_plan.h): NNA steps run command streams (kiln/nna_stream.h)
 * on the NNA, CPU steps call segments compiled into the model object for
 * what the NNA cannot run (float ops, quantising into and out of int8).
 * The two meet in one host buffer, the arena: it is the NNA's DRAM region 1
 * for every stream, and CPU steps read and write it too, so a value crosses
 * between the devices without a copy.
 *
 * A model whose kiln_model.abi_version is 4 or more points to at most one
 * plan (kiln_model.nna_plan, nna_plan_size; NULL and 0 when it has none).
 * The plan is a self-contained little-endian byte blob:
 *
 *   header (24 bytes):
 *     u32 magic            KILN_NNA_PLAN_MAGIC ("KLNP")
 *     u32 version          KILN_NNA_PLAN_VERSION
 *     u64 payload_size     bytes following the header
 *     u32 checksum         FNV-1a 32 (kiln_fnv1a32) of the payload bytes
 *     u32 reserved         0
 *   payload:
 *     u32 config           KILN_NNA_CONFIG_SMALL or KILN_NNA_CONFIG_LARGE;
 *                          every stream's header names the same
 *     u64 arena_size       bytes of the arena, the NNA's DRAM region 1 (the
 *                          runtime allocates it 64-byte aligned and zeroed
 *                          at session creation, and keeps it between
 *                          runs); every stream's arena_size fits in it
 *     u64 cpu_arena_size   bytes of scratch the CPU segments need
 *     u32 num_streams, each:
 *       u64 size, then `size` bytes: one whole KNNA stream (header
 *       included), validated like any other (docs/nna.md)
 *     u32 num_steps (>= 1), each (run in order):
 *       u8 kind             KILN_NNA_STEP_NNA or KILN_NNA_STEP_CPU
 *       NNA: u32 stream (< num_streams): runs that stream on the arena
 *       CPU: u32 entry (< kiln_model.num_entries), u8 parallel (0 or 1),
 *            u32 num_args, each: ref; the entry is called with the args'
 *              pointers, then the CPU arena, then (parallel = 1) the
 *              session's kiln_parallel
 *   A ref is host memory: u8 kind (KILN_NNA_REF_*), u64 index (input or
 *   output number; for ARENA a byte offset into the arena), u64 size
 *   (bytes, within the tensor or the arena).
 *   Nothing may follow the last step. Every model output is written by
 *   some CPU step (an OUTPUT argument): the NNA only writes its arena.
 *
 * A stream may run in several steps. The NNA steps' results are the
 * simulator's, bit for bit; their cost is its cost model's (cycles at the
 * configuration's clock, DRAM bytes moved), which a profiling session
 * reports per step and per command (kiln_session_nna_segment).
 */
#ifndef KILN_NNA_PLAN_H
#define KILN_NNA_PLAN_H

#include <stdint.h>

#define KILN_NNA_PLAN_MAGIC 0x504e4c4bu /* "KLNP" */
#define KILN_NNA_PLAN_VERSION 1u
#define KILN_NNA_PLAN_HEADER_SIZE 24u

typedef enum kiln_nna_step_kind {
  KILN_NNA_STEP_NNA = 0,
  KILN_NNA_STEP_CPU = 1
} kiln_nna_step_kind;

typedef enum kiln_nna_ref_kind {
  KILN_NNA_REF_INPUT = 0,  /* the caller's model input */
  KILN_NNA_REF_OUTPUT = 1, /* the caller's model output */
  KILN_NNA_REF_ARENA = 2   /* the arena, the NNA's DRAM region 1 */
} kiln_nna_ref_kind;

#endif /* KILN_NNA_PLAN_H */
