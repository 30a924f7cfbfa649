/* Model descriptor parsing (format: kiln/model_format.h).
 *
 * The parser runs twice over the same bytes: a validating pass that only
 * counts, so that the session can size one allocation, and a filling pass
 * that writes into that allocation. Both passes check every read against
 * the bytes left, so arbitrary input never reads out of bounds. */
#ifndef KILN_RT_DESCRIPTOR_H
#define KILN_RT_DESCRIPTOR_H

#include "kiln/runtime.h"

typedef struct kiln_desc_arg {
  kiln_arg_kind kind;
  uint32_t index;
} kiln_desc_arg;

typedef struct kiln_desc_segment {
  kiln_entry_fn entry;
  uint32_t num_args;
  const kiln_desc_arg *args;
  void **argv; /* num_args slots, filled on every run */
} kiln_desc_segment;

/* What the validating pass found; sizes the filling pass's storage. */
typedef struct kiln_desc_counts {
  size_t num_inputs;
  size_t num_outputs;
  size_t num_segments;
  size_t total_dims;       /* over all inputs and outputs */
  size_t total_name_bytes; /* over all names, one NUL each included */
  size_t total_args;       /* over all segments */
  size_t num_layers;
  uint64_t arena_size;
  uint32_t arena_alignment;
} kiln_desc_counts;

/* Arrays sized from kiln_desc_counts; the filling pass writes them. */
typedef struct kiln_desc_storage {
  kiln_tensor_info *inputs;
  kiln_tensor_info *outputs;
  int64_t *dims;
  char *names;
  kiln_desc_segment *segments;
  kiln_desc_arg *args;
  void **argv;
  kiln_layer_profile *layers; /* names filled, times zero */
} kiln_desc_storage;

/* Validates model and its descriptor and fills counts. With storage, also
 * fills it (the model must be the one counts came from). */
kiln_status kiln_desc_parse(const kiln_model *model, kiln_desc_counts *counts,
                            const kiln_desc_storage *storage,
                            kiln_error *error);

#endif /* KILN_RT_DESCRIPTOR_H */
