/* Parsing of the NNA plan (kiln/nna_plan.h). Every read is checked against
 * the bytes left, and every stream goes through the stream validator, so
 * arbitrary input never reads out of bounds, here or when it runs. */
#include "nna_plan.h"
#include "blob_header.h"
#include "error.h"
#include "reader.h"

#include "kiln/nna_plan.h"
#include "kiln/nna_stream.h"

#include <stdlib.h>
#include <string.h>

#define TRUNCATED(what)                                                        \
  kiln_fail(error, KILN_ERROR_INVALID_MODEL, "NNA plan: truncated %s", what)

#define INVALID(...)                                                           \
  kiln_fail(error, KILN_ERROR_INVALID_MODEL, "NNA plan: " __VA_ARGS__)

typedef unsigned long long ull;

/* Smallest encodings: counts that cannot fit in the bytes left are refused
 * before anything is allocated for them. */
#define MIN_STREAM_BYTES (8u + KILN_NNA_HEADER_SIZE)
#define MIN_STEP_BYTES 5u /* kind, stream */
#define REF_BYTES 17u     /* kind, index, size */

typedef struct context {
  const kiln_tensor_info *inputs, *outputs;
  size_t num_inputs, num_outputs;
  uint64_t arena_size;
  bool *written; /* per output: some CPU step writes it */
} context;

/* A CPU argument: its bytes lie inside the tensor or the arena. */
static kiln_status read_ref(reader *c, const context *x, uint32_t step,
                            uint32_t arg, kiln_nna_ref *ref,
                            kiln_error *error) {
  if (!read_u8(c, &ref->kind) || !read_u64(c, &ref->index) ||
      !read_u64(c, &ref->size))
    return TRUNCATED("step argument");
  switch (ref->kind) {
  case KILN_NNA_REF_INPUT:
  case KILN_NNA_REF_OUTPUT: {
    bool in = ref->kind == KILN_NNA_REF_INPUT;
    size_t count = in ? x->num_inputs : x->num_outputs;
    if (ref->index >= count)
      return INVALID("step %u argument %u refers to %s %llu of %zu", step, arg,
                     in ? "input" : "output", (ull)ref->index, count);
    const kiln_tensor_info *t = &(in ? x->inputs : x->outputs)[ref->index];
    if (ref->size > t->size_bytes)
      return INVALID("step %u argument %u: %llu bytes exceed %s '%s' (%zu "
                     "bytes)",
                     step, arg, (ull)ref->size, in ? "input" : "output",
                     t->name, t->size_bytes);
    if (!in)
      x->written[ref->index] = true;
    return KILN_OK;
  }
  case KILN_NNA_REF_ARENA:
    if (ref->index > x->arena_size || ref->size > x->arena_size - ref->index)
      return INVALID("step %u argument %u (%llu bytes at %llu) is not inside "
                     "the %llu-byte arena",
                     step, arg, (ull)ref->size, (ull)ref->index,
                     (ull)x->arena_size);
    return KILN_OK;
  default:
    return INVALID("step %u argument %u of unknown kind %u", step, arg,
                   ref->kind);
  }
}

static kiln_status read_step(reader *c, const context *x, kiln_nna_plan *plan,
                             uint32_t index, uint32_t num_entries,
                             kiln_error *error) {
  kiln_nna_step *s = &plan->steps[index];
  if (!read_u8(c, &s->kind))
    return TRUNCATED("step");
  if (s->kind == KILN_NNA_STEP_NNA) {
    if (!read_u32(c, &s->stream))
      return TRUNCATED("step");
    if (s->stream >= plan->num_streams)
      return INVALID("step %u runs stream %u of %u", index, s->stream,
                     plan->num_streams);
    return KILN_OK;
  }
  if (s->kind != KILN_NNA_STEP_CPU)
    return INVALID("step %u of unknown kind %u", index, s->kind);
  uint32_t parallel;
  if (!read_u32(c, &s->entry) || !read_u8(c, &parallel) ||
      !read_u32(c, &s->num_args))
    return TRUNCATED("step");
  if (s->entry >= num_entries)
    return INVALID("step %u calls entry %u of %u", index, s->entry,
                   num_entries);
  if (parallel > 1)
    return INVALID("step %u: parallel is %u, not 0 or 1", index, parallel);
  s->parallel = parallel;
  if (s->num_args > c->left / REF_BYTES)
    return TRUNCATED("step arguments");
  s->args = calloc(s->num_args ? s->num_args : 1, sizeof(kiln_nna_ref));
  if (!s->args)
    return kiln_fail(error, KILN_ERROR_OUT_OF_MEMORY, "NNA plan: arguments");
  for (uint32_t a = 0; a < s->num_args; ++a) {
    kiln_status st = read_ref(c, x, index, a, &s->args[a], error);
    if (st != KILN_OK)
      return st;
  }
  return KILN_OK;
}

/* Stream `index`: valid on its own, for the plan's config, its region 1
 * inside the plan's arena. */
static kiln_status read_stream(reader *c, kiln_nna_plan *plan, uint32_t index,
                               kiln_error *error) {
  uint64_t size;
  const uint8_t *bytes;
  if (!read_u64(c, &size) || size > c->left ||
      !read_bytes(c, (size_t)size, &bytes))
    return INVALID("truncated stream %u", index);
  kiln_nna_stream *s = &plan->streams[index];
  kiln_error why = {KILN_OK, ""};
  kiln_status st = kiln_nna_stream_parse(bytes, size, s, &why);
  if (st != KILN_OK) {
    /* The stream's message already says "NNA stream: ". */
    const char *prefix = "NNA stream: ";
    const char *what = why.message;
    if (strncmp(what, prefix, strlen(prefix)) == 0)
      what += strlen(prefix);
    return kiln_fail(error, st, "NNA plan: stream %u: %s", index, what);
  }
  if (s->config->id != plan->config->id)
    return INVALID("stream %u is for the %s config, the plan for %s", index,
                   s->config->name, plan->config->name);
  if (s->arena_size > plan->arena_size)
    return INVALID("stream %u needs a %llu-byte arena, the plan's has %llu",
                   index, (ull)s->arena_size, (ull)plan->arena_size);
  return KILN_OK;
}

kiln_status kiln_nna_plan_parse(const uint8_t *data, uint64_t size,
                                const kiln_tensor_info *inputs,
                                size_t num_inputs,
                                const kiln_tensor_info *outputs,
                                size_t num_outputs, uint32_t num_entries,
                                kiln_nna_plan *plan, kiln_error *error) {
  memset(plan, 0, sizeof *plan);
  reader c;
  uint32_t config;
  kiln_status header =
      kiln_blob_header(data, size, "NNA plan", KILN_NNA_PLAN_MAGIC,
                       KILN_NNA_PLAN_VERSION, &c, error);
  if (header != KILN_OK)
    return header;
  if (!read_u32(&c, &config) || !read_u64(&c, &plan->arena_size) ||
      !read_u64(&c, &plan->cpu_arena_size))
    return TRUNCATED("config and sizes");
  plan->config = kiln_nna_config_get(config);
  if (!plan->config)
    return INVALID("unknown config %u (0 small, 1 large)", config);

  uint32_t n;
  if (!read_u32(&c, &n) || n > c.left / MIN_STREAM_BYTES)
    return TRUNCATED("streams");
  plan->streams = calloc(n ? n : 1, sizeof(kiln_nna_stream));
  if (!plan->streams)
    return kiln_fail(error, KILN_ERROR_OUT_OF_MEMORY, "NNA plan: streams");
  plan->num_streams = n;
  kiln_status st;
  for (uint32_t i = 0; i < n; ++i)
    if ((st = read_stream(&c, plan, i, error)) != KILN_OK)
      return st;

  if (!read_u32(&c, &n))
    return TRUNCATED("step count");
  if (n == 0)
    return INVALID("no steps");
  if (n > c.left / MIN_STEP_BYTES)
    return TRUNCATED("steps");
  plan->steps = calloc(n, sizeof(kiln_nna_step));
  bool *written = calloc(num_outputs ? num_outputs : 1, sizeof(bool));
  if (!plan->steps || !written) {
    free(written);
    return kiln_fail(error, KILN_ERROR_OUT_OF_MEMORY, "NNA plan: steps");
  }
  plan->num_steps = n;
  context x = {inputs,      outputs,          num_inputs,
               num_outputs, plan->arena_size, written};
  st = KILN_OK;
  for (uint32_t i = 0; i < n && st == KILN_OK; ++i)
    st = read_step(&c, &x, plan, i, num_entries, error);
  if (st == KILN_OK && c.left)
    st = INVALID("%llu bytes after the last step", (ull)c.left);
  for (size_t i = 0; i < num_outputs && st == KILN_OK; ++i)
    if (!written[i])
      st = INVALID("no CPU step writes output '%s' (the NNA writes only its "
                   "arena)",
                   outputs[i].name);
  free(written);
  return st;
}

void kiln_nna_plan_free(kiln_nna_plan *plan) {
  for (uint32_t i = 0; plan->streams && i < plan->num_streams; ++i)
    kiln_nna_stream_free(&plan->streams[i]);
  free(plan->streams);
  for (uint32_t i = 0; plan->steps && i < plan->num_steps; ++i)
    free(plan->steps[i].args);
  free(plan->steps);
  memset(plan, 0, sizeof *plan);
}
