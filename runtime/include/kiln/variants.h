/* Kiln variant table: a model compiled with per-segment variants
 * (`kilnc --variants=...`, issue 9; docs/variants.md).
 *
 * The model is cut into a chain of segments at values that separate the
 * graph; each segment is compiled several ways (fp32 on the CPU, int8 on
 * the CPU, pattern-pruned, OpenCL, NNA), each way a complete model of its
 * own (a sub-model: descriptor, entries, plans) whose inputs and outputs
 * are the segment's border values, by name. The runtime picks one variant
 * per segment to fit the constraints of the moment
 * (kiln_session_set_constraints) and passes the border values between them
 * in host memory.
 *
 * A model whose kiln_model.abi_version is 5 or more points to at most one
 * table (kiln_model.variant_table, variant_table_size; NULL and 0 when it
 * has none) and to its sub-models (kiln_model.variant_models, one function
 * per sub-model returning it). A model with a table has no segments and no
 * entries of its own (its descriptor, version 4, lists 0 segments): it runs
 * only through its variants. The table is a self-contained little-endian
 * blob:
 *
 *   header (24 bytes):
 *     u32 magic            KILN_VARIANT_TABLE_MAGIC ("KLNV")
 *     u32 version          KILN_VARIANT_TABLE_VERSION
 *     u64 payload_size     bytes following the header
 *     u32 checksum         FNV-1a 32 (kiln_fnv1a32) of the payload bytes
 *     u32 reserved         0
 *   payload:
 *     u32 num_values       tensors crossing a border: the model's inputs
 *                          and outputs, and values between segments
 *     value[num_values]:   u16 name_len, name bytes (1..KILN_MAX_NAME_LEN),
 *                          u8 dtype (kiln_dtype), u8 rank (0..KILN_MAX_RANK),
 *                          i64 dims[rank] (>= 0)
 *     u32 num_segments (>= 1), each (run in order):
 *       u32 num_inputs, u32 value[num_inputs]
 *       u32 num_outputs, u32 value[num_outputs]
 *       Every input is a model input or an output of an earlier segment;
 *       every model output is an output of some segment; values are
 *       written once.
 *     u32 num_variants (>= 1), each:
 *       u32 segment        (< num_segments)
 *       u32 model          index into kiln_model.variant_models
 *       u8 kind            kiln_variant_kind
 *       u8 device          kiln_device the variant runs on
 *       u16 threads        CPU threads it runs with; 0: the session's
 *       f64 latency_us     estimated host-to-host time of one run (>= 0)
 *       u64 weights_bytes  its constants (weights, plans)
 *       u64 arena_bytes    its scratch
 *       f64 error          accuracy proxy: mean relative error of its
 *                          outputs against the fp32 variant's on the
 *                          calibration inputs (>= 0; 0 for fp32)
 *       u16 label_len, label bytes (1..64): "fp32", "fp32x4", "int8", ...
 *     Every segment has at least one variant. A sub-model's inputs and
 *     outputs are its segment's values: the same names, dtypes and shapes,
 *     in the table's order. Several variants may share a sub-model (fp32
 *     at 1 and at N threads): its weights are stored once.
 *   Nothing may follow the last variant.
 */
#ifndef KILN_VARIANTS_H
#define KILN_VARIANTS_H

#include <stdint.h>

#define KILN_VARIANT_TABLE_MAGIC 0x564e4c4bu /* "KLNV" */
#define KILN_VARIANT_TABLE_VERSION 1u
#define KILN_MAX_VARIANT_LABEL 64u

typedef enum kiln_variant_kind {
  KILN_VARIANT_FP32 = 0,   /* float on the CPU */
  KILN_VARIANT_INT8 = 1,   /* int8 on the CPU (kilnc --precision=int8) */
  KILN_VARIANT_PRUNED = 2, /* float, pattern-pruned weights (--prune) */
  KILN_VARIANT_OPENCL = 3, /* the GPU (with CPU steps for what it lacks) */
  KILN_VARIANT_NNA = 4     /* the NNA (with CPU steps for what it lacks) */
} kiln_variant_kind;

#endif /* KILN_VARIANTS_H */
