/* Parsing and checking of the variant table (kiln/variants.h); see
 * variants.h. Every read is checked against the bytes left, and every
 * count against the smallest encoding of what it counts before anything is
 * allocated for it. */
#include "variants.h"
#include "blob_header.h"
#include "descriptor.h"
#include "error.h"
#include "reader.h"
#include "thread_pool.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INVALID(...)                                                           \
  kiln_fail(error, KILN_ERROR_INVALID_MODEL, "variant table: " __VA_ARGS__)
#define TRUNCATED(...) INVALID("truncated " __VA_ARGS__)

/* Smallest encodings. */
#define MIN_VALUE_BYTES 5u    /* u16 name_len, 1 name byte, dtype, rank */
#define MIN_SEGMENT_BYTES 12u /* num_inputs, num_outputs, one output */
#define REF_BYTES 4u
#define MIN_VARIANT_BYTES 47u /* 4+4+1+1+2+8+8+8+8 + u16 label_len + 1 */

/* A double stored as its IEEE-754 bits, little-endian. */
static bool read_f64(reader *r, double *value) {
  uint64_t bits;
  if (!read_u64(r, &bits))
    return false;
  memcpy(value, &bits, sizeof *value);
  return true;
}

typedef struct parser {
  reader r;
  kiln_variant_table *t;
  size_t dims_used, strings_used, refs_used, strings_cap, refs_cap;
  kiln_error *error;
} parser;

/* Copies `len` bytes into the strings storage, NUL terminated. */
static const char *store_string(parser *p, const uint8_t *bytes, size_t len) {
  char *copy = p->t->strings + p->strings_used;
  memcpy(copy, bytes, len);
  copy[len] = '\0';
  p->strings_used += len + 1;
  return copy;
}

static kiln_status parse_value(parser *p, uint32_t index) {
  kiln_error *error = p->error;
  uint32_t name_len, dtype, rank;
  const uint8_t *name;
  if (!read_u16(&p->r, &name_len))
    return TRUNCATED("value %u", index);
  if (name_len == 0 || name_len > KILN_MAX_NAME_LEN)
    return INVALID("value %u: name length %u not in 1..%d", index, name_len,
                   KILN_MAX_NAME_LEN);
  if (!read_bytes(&p->r, name_len, &name))
    return TRUNCATED("value %u", index);
  if (memchr(name, 0, name_len))
    return INVALID("value %u: name contains a NUL byte", index);
  int shown = (int)name_len;
  if (!read_u8(&p->r, &dtype) || !read_u8(&p->r, &rank))
    return TRUNCATED("value %u ('%.*s')", index, shown, (const char *)name);
  size_t size = kiln_dtype_size(dtype);
  if (size == 0)
    return INVALID("value %u ('%.*s'): unknown dtype %u", index, shown,
                   (const char *)name, dtype);
  if (rank > KILN_MAX_RANK)
    return INVALID("value %u ('%.*s'): rank %u exceeds %d", index, shown,
                   (const char *)name, rank, KILN_MAX_RANK);
  int64_t *dims = p->t->dims + p->dims_used;
  for (uint32_t i = 0; i < rank; ++i) {
    uint64_t raw;
    if (!read_u64(&p->r, &raw))
      return TRUNCATED("value %u ('%.*s')", index, shown, (const char *)name);
    if ((int64_t)raw < 0)
      return INVALID("value %u ('%.*s'): dim %u is %lld, must be >= 0", index,
                     shown, (const char *)name, i, (long long)(int64_t)raw);
    if (raw && size > SIZE_MAX / raw)
      return INVALID("value %u ('%.*s'): size in bytes overflows", index, shown,
                     (const char *)name);
    size *= (size_t)raw;
    dims[i] = (int64_t)raw;
  }
  p->dims_used += rank;
  kiln_tensor_info *v = &p->t->values[index];
  v->name = store_string(p, name, name_len);
  v->dtype = (kiln_dtype)dtype;
  v->rank = (int32_t)rank;
  v->dims = dims;
  v->size_bytes = size;
  return KILN_OK;
}

/* `count` value indices of segment `index` (`what`: "input", "output"). */
static kiln_status parse_refs(parser *p, uint32_t index, const char *what,
                              uint32_t count, const uint32_t **out) {
  kiln_error *error = p->error;
  if (count > p->r.left / REF_BYTES || count > p->refs_cap - p->refs_used)
    return TRUNCATED("segment %u: %u %ss", index, count, what);
  uint32_t *refs = p->t->refs + p->refs_used;
  for (uint32_t i = 0; i < count; ++i) {
    read_u32(&p->r, &refs[i]);
    if (refs[i] >= p->t->num_values)
      return INVALID("segment %u %s %u refers to value %u of %u", index, what,
                     i, refs[i], p->t->num_values);
    for (uint32_t j = 0; j < i; ++j)
      if (refs[j] == refs[i])
        return INVALID("segment %u lists %s '%s' twice", index, what,
                       p->t->values[refs[i]].name);
  }
  p->refs_used += count;
  *out = refs;
  return KILN_OK;
}

static kiln_status parse_segment(parser *p, uint32_t index) {
  kiln_error *error = p->error;
  kiln_vt_segment *s = &p->t->segments[index];
  kiln_status st;
  if (!read_u32(&p->r, &s->num_inputs))
    return TRUNCATED("segment %u", index);
  if ((st = parse_refs(p, index, "input", s->num_inputs, &s->inputs)) !=
      KILN_OK)
    return st;
  if (!read_u32(&p->r, &s->num_outputs))
    return TRUNCATED("segment %u", index);
  if (s->num_outputs == 0)
    return INVALID("segment %u has no outputs", index);
  if ((st = parse_refs(p, index, "output", s->num_outputs, &s->outputs)) !=
      KILN_OK)
    return st;
  for (uint32_t i = 0; i < s->num_outputs; ++i) {
    uint32_t v = s->outputs[i];
    if (p->t->producer[v] >= 0)
      return INVALID("value '%s' is written by segments %d and %u (values "
                     "are written once)",
                     p->t->values[v].name, p->t->producer[v], index);
    p->t->producer[v] = (int32_t)index;
  }
  return KILN_OK;
}

/* Inputs are model inputs (written by no segment) or outputs of earlier
 * segments; checked once every segment's outputs are known. */
static kiln_status check_order(const kiln_variant_table *t, kiln_error *error) {
  for (uint32_t s = 0; s < t->num_segments; ++s) {
    const kiln_vt_segment *seg = &t->segments[s];
    for (uint32_t i = 0; i < seg->num_inputs; ++i) {
      uint32_t v = seg->inputs[i];
      int32_t by = t->producer[v];
      if (by == (int32_t)s)
        return INVALID("segment %u reads '%s', which it writes itself", s,
                       t->values[v].name);
      if (by > (int32_t)s)
        return INVALID("segment %u reads '%s' before segment %d writes it", s,
                       t->values[v].name, by);
    }
  }
  return KILN_OK;
}

static bool kind_runs_on(uint32_t kind, uint32_t device) {
  switch (kind) {
  case KILN_VARIANT_FP32:
  case KILN_VARIANT_INT8:
  case KILN_VARIANT_PRUNED:
    return device == KILN_DEVICE_CPU;
  case KILN_VARIANT_OPENCL:
    return device == KILN_DEVICE_GPU;
  case KILN_VARIANT_NNA:
    return device == KILN_DEVICE_NNA;
  default:
    return false;
  }
}

static kiln_status parse_variant(parser *p, uint32_t index,
                                 uint32_t num_models) {
  kiln_error *error = p->error;
  kiln_vt_variant *v = &p->t->variants[index];
  uint32_t label_len;
  const uint8_t *label;
  if (!read_u32(&p->r, &v->segment) || !read_u32(&p->r, &v->model) ||
      !read_u8(&p->r, &v->kind) || !read_u8(&p->r, &v->device) ||
      !read_u16(&p->r, &v->threads) || !read_f64(&p->r, &v->latency_us) ||
      !read_u64(&p->r, &v->weights_bytes) ||
      !read_u64(&p->r, &v->arena_bytes) || !read_f64(&p->r, &v->error) ||
      !read_u16(&p->r, &label_len))
    return TRUNCATED("variant %u", index);
  if (label_len == 0 || label_len > KILN_MAX_VARIANT_LABEL)
    return INVALID("variant %u: label length %u not in 1..%u", index, label_len,
                   KILN_MAX_VARIANT_LABEL);
  if (!read_bytes(&p->r, label_len, &label))
    return TRUNCATED("variant %u", index);
  for (uint32_t i = 0; i < label_len; ++i)
    if (label[i] <= ' ' || label[i] > '~')
      return INVALID("variant %u: label byte %u is 0x%02x (labels are "
                     "printable ASCII without spaces)",
                     index, i, label[i]);
  v->label = store_string(p, label, label_len);
  if (v->segment >= p->t->num_segments)
    return INVALID("variant %u ('%s'): segment %u of %u", index, v->label,
                   v->segment, p->t->num_segments);
  if (v->model >= num_models)
    return INVALID("variant %u ('%s'): sub-model %u of %u", index, v->label,
                   v->model, num_models);
  if (v->kind > KILN_VARIANT_NNA)
    return INVALID("variant %u ('%s'): unknown kind %u", index, v->label,
                   v->kind);
  if (v->device > KILN_DEVICE_NNA)
    return INVALID("variant %u ('%s'): unknown device %u", index, v->label,
                   v->device);
  if (!kind_runs_on(v->kind, v->device))
    return INVALID("variant %u ('%s'): kind %u does not run on device %u",
                   index, v->label, v->kind, v->device);
  if (v->threads > KILN_MAX_THREADS)
    return INVALID("variant %u ('%s'): %u threads, at most %u", index, v->label,
                   v->threads, KILN_MAX_THREADS);
  if (!isfinite(v->latency_us) || v->latency_us < 0)
    return INVALID("variant %u ('%s'): latency %g us is not a finite "
                   "number >= 0",
                   index, v->label, v->latency_us);
  if (!isfinite(v->error) || v->error < 0)
    return INVALID("variant %u ('%s'): error %g is not a finite number >= 0",
                   index, v->label, v->error);
  return KILN_OK;
}

/* Allocates n elements of `size` (at least one), zeroed; NULL on failure. */
static void *alloc_array(size_t n, size_t size) {
  return calloc(n ? n : 1, size);
}

kiln_status kiln_vt_parse(const uint8_t *data, uint64_t size,
                          uint32_t num_models, kiln_variant_table *table,
                          kiln_error *error) {
  memset(table, 0, sizeof *table);
  parser p = {.t = table, .error = error};
  kiln_status st =
      kiln_blob_header(data, size, "variant table", KILN_VARIANT_TABLE_MAGIC,
                       KILN_VARIANT_TABLE_VERSION, &p.r, error);
  if (st != KILN_OK)
    return st;
  /* Names and labels take at least one byte more in the table (their
   * length) than their NUL terminated copies; refs 4 bytes each. */
  p.strings_cap = p.r.left + 1;
  p.refs_cap = p.r.left / REF_BYTES;
  table->strings = alloc_array(p.strings_cap, 1);
  table->refs = alloc_array(p.refs_cap, sizeof(uint32_t));
  if (!table->strings || !table->refs)
    return kiln_fail(error, KILN_ERROR_OUT_OF_MEMORY, "variant table: names");

  uint32_t n;
  if (!read_u32(&p.r, &n))
    return TRUNCATED("value count");
  if (n > p.r.left / MIN_VALUE_BYTES)
    return TRUNCATED("values: %u cannot fit in %zu bytes", n, p.r.left);
  table->values = alloc_array(n, sizeof(kiln_tensor_info));
  table->producer = alloc_array(n, sizeof(int32_t));
  table->dims = alloc_array((size_t)n * KILN_MAX_RANK, sizeof(int64_t));
  if (!table->values || !table->producer || !table->dims)
    return kiln_fail(error, KILN_ERROR_OUT_OF_MEMORY, "variant table: values");
  table->num_values = n;
  for (uint32_t i = 0; i < n; ++i) {
    table->producer[i] = -1;
    if ((st = parse_value(&p, i)) != KILN_OK)
      return st;
    for (uint32_t j = 0; j < i; ++j)
      if (strcmp(table->values[i].name, table->values[j].name) == 0)
        return INVALID("values %u and %u are both named '%s'", j, i,
                       table->values[i].name);
  }

  if (!read_u32(&p.r, &n))
    return TRUNCATED("segment count");
  if (n == 0)
    return INVALID("no segments");
  if (n > p.r.left / MIN_SEGMENT_BYTES)
    return TRUNCATED("segments: %u cannot fit in %zu bytes", n, p.r.left);
  table->segments = alloc_array(n, sizeof(kiln_vt_segment));
  if (!table->segments)
    return kiln_fail(error, KILN_ERROR_OUT_OF_MEMORY,
                     "variant table: segments");
  table->num_segments = n;
  for (uint32_t s = 0; s < n; ++s)
    if ((st = parse_segment(&p, s)) != KILN_OK)
      return st;
  if ((st = check_order(table, error)) != KILN_OK)
    return st;

  if (!read_u32(&p.r, &n))
    return TRUNCATED("variant count");
  if (n == 0)
    return INVALID("no variants");
  if (n > p.r.left / MIN_VARIANT_BYTES)
    return TRUNCATED("variants: %u cannot fit in %zu bytes", n, p.r.left);
  table->variants = alloc_array(n, sizeof(kiln_vt_variant));
  if (!table->variants)
    return kiln_fail(error, KILN_ERROR_OUT_OF_MEMORY,
                     "variant table: variants");
  table->num_variants = n;
  for (uint32_t i = 0; i < n; ++i)
    if ((st = parse_variant(&p, i, num_models)) != KILN_OK)
      return st;
  if (p.r.left)
    return INVALID("%zu bytes after the last variant", p.r.left);
  for (uint32_t s = 0; s < table->num_segments; ++s) {
    bool found = false;
    for (uint32_t i = 0; i < n && !found; ++i)
      found = table->variants[i].segment == s;
    if (!found)
      return INVALID("segment %u has no variant", s);
  }
  return KILN_OK;
}

void kiln_vt_free(kiln_variant_table *table) {
  free(table->values);
  free(table->producer);
  free(table->segments);
  free(table->variants);
  free(table->dims);
  free(table->strings);
  free(table->refs);
  memset(table, 0, sizeof *table);
}

static bool same_shape(const kiln_tensor_info *a, const kiln_tensor_info *b) {
  if (a->dtype != b->dtype || a->rank != b->rank)
    return false;
  for (int32_t i = 0; i < a->rank; ++i)
    if (a->dims[i] != b->dims[i])
      return false;
  return true;
}

/* "f32 2x3" */
static void describe(char *buf, size_t size, const kiln_tensor_info *t) {
  char dtype[32], shape[160];
  kiln_format_dtype(dtype, sizeof dtype, (int)t->dtype);
  kiln_format_shape(shape, sizeof shape, t->rank, t->dims);
  snprintf(buf, size, "%s %s", dtype, shape);
}

static int64_t find_value(const kiln_variant_table *t, const char *name) {
  for (uint32_t v = 0; v < t->num_values; ++v)
    if (strcmp(t->values[v].name, name) == 0)
      return v;
  return -1;
}

kiln_status kiln_vt_check_io(const kiln_variant_table *t,
                             const kiln_tensor_info *inputs, size_t num_inputs,
                             const kiln_tensor_info *outputs,
                             size_t num_outputs, uint32_t *input_values,
                             uint32_t *output_values, kiln_error *error) {
  char want[200], got[200];
  for (size_t i = 0; i < num_inputs + num_outputs; ++i) {
    bool in = i < num_inputs;
    const kiln_tensor_info *d = in ? &inputs[i] : &outputs[i - num_inputs];
    const char *what = in ? "input" : "output";
    int64_t v = find_value(t, d->name);
    if (v < 0)
      return INVALID("model %s '%s' is not one of its values", what, d->name);
    if (in && t->producer[v] >= 0)
      return INVALID("model input '%s' is written by segment %d", d->name,
                     t->producer[v]);
    if (!in && t->producer[v] < 0)
      return INVALID("model output '%s' is written by no segment", d->name);
    if (!same_shape(d, &t->values[v])) {
      describe(want, sizeof want, d);
      describe(got, sizeof got, &t->values[v]);
      return INVALID("model %s '%s' is %s in the descriptor, %s in the table",
                     what, d->name, want, got);
    }
    if (in)
      input_values[i] = (uint32_t)v;
    else
      output_values[i - num_inputs] = (uint32_t)v;
  }
  /* Names are unique on both sides, so equal counts make it a bijection. */
  for (uint32_t v = 0; v < t->num_values; ++v) {
    if (t->producer[v] >= 0)
      continue;
    bool found = false;
    for (size_t i = 0; i < num_inputs && !found; ++i)
      found = input_values[i] == v;
    if (!found)
      return INVALID("value '%s' is written by no segment but is not a model "
                     "input",
                     t->values[v].name);
  }
  return KILN_OK;
}

/* The descriptor of sub-model `m`, checked against segment `s` of `t`. */
static kiln_status check_model(const kiln_variant_table *t,
                               const kiln_vt_variant *var, uint32_t index,
                               const kiln_model *model, kiln_error *error) {
  kiln_desc_counts counts;
  kiln_error why = {KILN_OK, ""};
  kiln_status st = kiln_desc_parse(model, &counts, NULL, &why);
  if (st != KILN_OK)
    return INVALID("variant %u ('%s'): sub-model %u: %s", index, var->label,
                   var->model, why.message);
  /* A GPU or NNA variant's sub-model may lack CPU code of its own (kilnc
   * --no-cpu-variant): the fp32 variants are the CPU's. */
  if (model->abi_version >= 5 && model->variant_table)
    return INVALID("variant %u ('%s'): sub-model %u has variants of its own "
                   "(variants do not nest)",
                   index, var->label, var->model);
  if (counts.num_segments == 0 && var->device == KILN_DEVICE_CPU)
    return INVALID("variant %u ('%s'): sub-model %u has no CPU code", index,
                   var->label, var->model);
  if (var->device == KILN_DEVICE_GPU &&
      (model->abi_version < 3 || !model->opencl_plan))
    return INVALID("variant %u ('%s'): sub-model %u has no GPU plan", index,
                   var->label, var->model);
  if (var->device == KILN_DEVICE_NNA &&
      (model->abi_version < 4 || !model->nna_plan))
    return INVALID("variant %u ('%s'): sub-model %u has no NNA plan", index,
                   var->label, var->model);
  const kiln_vt_segment *seg = &t->segments[var->segment];
  if (counts.num_inputs != seg->num_inputs ||
      counts.num_outputs != seg->num_outputs)
    return INVALID("variant %u ('%s'): sub-model %u has %zu inputs and %zu "
                   "outputs, segment %u has %u and %u",
                   index, var->label, var->model, counts.num_inputs,
                   counts.num_outputs, var->segment, seg->num_inputs,
                   seg->num_outputs);
  /* The filling pass, into storage of its own. */
  size_t tensors = counts.num_inputs + counts.num_outputs;
  kiln_tensor_info *infos = alloc_array(tensors, sizeof(kiln_tensor_info));
  int64_t *dims = alloc_array(counts.total_dims, sizeof(int64_t));
  char *names = alloc_array(counts.total_name_bytes, 1);
  kiln_desc_segment *segments =
      alloc_array(counts.num_segments, sizeof(kiln_desc_segment));
  kiln_desc_arg *args = alloc_array(counts.total_args, sizeof(kiln_desc_arg));
  void **argv = alloc_array(counts.total_args, sizeof(void *));
  kiln_layer_profile *layers =
      alloc_array(counts.num_layers, sizeof(kiln_layer_profile));
  if (!infos || !dims || !names || !segments || !args || !argv || !layers) {
    st = kiln_fail(error, KILN_ERROR_OUT_OF_MEMORY,
                   "variant table: checking sub-model %u", var->model);
  } else {
    kiln_desc_storage storage = {
        infos, infos + counts.num_inputs, dims, names, segments, args, argv,
        layers};
    st = kiln_desc_parse(model, &counts, &storage, &why);
    if (st != KILN_OK)
      st = INVALID("variant %u ('%s'): sub-model %u: %s", index, var->label,
                   var->model, why.message);
  }
  for (size_t i = 0; i < tensors && st == KILN_OK; ++i) {
    bool in = i < counts.num_inputs;
    uint32_t k = (uint32_t)(in ? i : i - counts.num_inputs);
    const kiln_tensor_info *want =
        &t->values[in ? seg->inputs[k] : seg->outputs[k]];
    const kiln_tensor_info *got = &infos[i];
    if (strcmp(want->name, got->name) != 0 || !same_shape(want, got)) {
      char a[200], b[200];
      describe(a, sizeof a, want);
      describe(b, sizeof b, got);
      st = INVALID("variant %u ('%s'): segment %u %s %u is '%s' %s, "
                   "sub-model %u's is '%s' %s",
                   index, var->label, var->segment, in ? "input" : "output", k,
                   want->name, a, var->model, got->name, b);
    }
  }
  free(infos);
  free(dims);
  free(names);
  free(segments);
  free(args);
  free(argv);
  free(layers);
  return st;
}

kiln_status kiln_vt_check_models(const kiln_variant_table *t,
                                 const kiln_model_fn *models,
                                 uint32_t num_models, kiln_error *error) {
  if (num_models > 0 && !models)
    return INVALID("the model has %u sub-models but no function table",
                   num_models);
  for (uint32_t i = 0; i < t->num_variants; ++i) {
    const kiln_vt_variant *v = &t->variants[i];
    /* A sub-model is checked at its first variant. */
    bool seen = false;
    for (uint32_t j = 0; j < i && !seen; ++j) {
      const kiln_vt_variant *w = &t->variants[j];
      if (w->model != v->model)
        continue;
      if (w->segment != v->segment)
        return INVALID("variants %u and %u share sub-model %u but are of "
                       "segments %u and %u",
                       j, i, v->model, w->segment, v->segment);
      /* The plan a device needs was checked for the first variant's. */
      seen = w->device == v->device;
    }
    if (seen)
      continue;
    kiln_model_fn fn = models[v->model];
    if (!fn)
      return INVALID("variant %u ('%s'): sub-model %u has no function", i,
                     v->label, v->model);
    const kiln_model *model = fn();
    if (!model)
      return INVALID("variant %u ('%s'): sub-model %u's function returned "
                     "NULL",
                     i, v->label, v->model);
    kiln_status st = check_model(t, v, i, model, error);
    if (st != KILN_OK)
      return st;
  }
  return KILN_OK;
}
