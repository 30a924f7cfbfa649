/* The variant table of a model with per-segment variants (format:
 * kiln/variants.h) parsed and checked: on its own (kiln_vt_parse), against
 * the model's own descriptor (kiln_vt_check_io) and against the sub-models
 * it indexes (kiln_vt_check_models), so that a session can run it without
 * further checks. Every read of the table's bytes is bounds-checked, so
 * arbitrary input never reads out of bounds. Failures are
 * KILN_ERROR_INVALID_MODEL with a message naming the value, segment or
 * variant ("variant table: ..."). */
#ifndef KILN_RT_VARIANTS_H
#define KILN_RT_VARIANTS_H

#include "kiln/runtime.h"
#include "kiln/variants.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kiln_vt_segment {
  uint32_t num_inputs;
  uint32_t num_outputs;
  const uint32_t *inputs; /* value indices */
  const uint32_t *outputs;
} kiln_vt_segment;

typedef struct kiln_vt_variant {
  uint32_t segment;
  uint32_t model; /* index into kiln_model.variant_models */
  uint32_t kind;  /* kiln_variant_kind */
  uint32_t device;
  uint32_t threads; /* 0: the session's */
  double latency_us;
  uint64_t weights_bytes;
  uint64_t arena_bytes;
  double error;
  const char *label; /* NUL terminated, 1..64 printable bytes, no spaces */
} kiln_vt_variant;

typedef struct kiln_variant_table {
  uint32_t num_values;
  kiln_tensor_info *values; /* names NUL terminated */
  /* Per value: the segment that writes it, or -1 for a model input. */
  int32_t *producer;
  uint32_t num_segments;
  kiln_vt_segment *segments;
  uint32_t num_variants;
  kiln_vt_variant *variants;
  /* Storage behind the pointers above. */
  int64_t *dims;
  char *strings;
  uint32_t *refs;
} kiln_variant_table;

/* Parses and checks the `size` bytes at `data` into `table` (which
 * kiln_vt_free releases, whether or not parsing succeeded): the header
 * (magic, version, payload size, FNV-1a checksum, reserved 0), the values
 * (names of 1..KILN_MAX_NAME_LEN bytes without NULs, unique; known dtypes;
 * rank <= KILN_MAX_RANK; dims >= 0 with a byte size that fits), the
 * segments (>= 1; value indices in range; no value twice in a segment; >= 1
 * output; every input a model input, i.e. written by no segment, or written
 * by an earlier segment; every value written at most once), the variants
 * (>= 1; segment in range; model < num_models; a known kind on its device:
 * fp32, int8 and pruned on the CPU, OpenCL on the GPU, NNA on the NNA;
 * threads <= 256; latency and error finite and >= 0; a label of 1..64
 * printable ASCII bytes without spaces), a variant for every segment, and
 * no trailing bytes. */
kiln_status kiln_vt_parse(const uint8_t *data, uint64_t size,
                          uint32_t num_models, kiln_variant_table *table,
                          kiln_error *error);
void kiln_vt_free(kiln_variant_table *table);

/* Checks the table against the model's own descriptor: the model inputs
 * (the values no segment writes) are the descriptor's inputs and the
 * descriptor's outputs are values some segment writes, by name, with the
 * same dtype and dims. Fills input_values[i] / output_values[o] with the
 * value index of descriptor input i / output o. */
kiln_status kiln_vt_check_io(const kiln_variant_table *table,
                             const kiln_tensor_info *inputs, size_t num_inputs,
                             const kiln_tensor_info *outputs,
                             size_t num_outputs, uint32_t *input_values,
                             uint32_t *output_values, kiln_error *error);

/* Calls the function of every sub-model a variant uses, parses its
 * descriptor and checks that its inputs and outputs are its segment's
 * values (names, dtypes, dims, order), that it runs on its own segments
 * (no nested variants), and that a GPU or NNA variant's sub-model carries
 * the plan its device runs. A sub-model used by several variants is
 * checked once; they must all be of one segment. Allocates only while
 * checking. */
kiln_status kiln_vt_check_models(const kiln_variant_table *table,
                                 const kiln_model_fn *models,
                                 uint32_t num_models, kiln_error *error);

#ifdef __cplusplus
}
#endif

#endif /* KILN_RT_VARIANTS_H */
