/* Parsing of the OpenCL plan (kiln/opencl_plan.h). Every read is checked
 * against the bytes left, so arbitrary input never reads out of bounds. */
#include "opencl_plan.h"
#include "blob_header.h"
#include "error.h"
#include "reader.h"

#include "kiln/opencl_plan.h"

#include <stdlib.h>
#include <string.h>

#define TRUNCATED(what)                                                        \
  kiln_fail(error, KILN_ERROR_INVALID_MODEL, "OpenCL plan: truncated %s", what)

#define INVALID(...)                                                           \
  kiln_fail(error, KILN_ERROR_INVALID_MODEL, "OpenCL plan: " __VA_ARGS__)

typedef struct context {
  const kiln_tensor_info *inputs, *outputs;
  size_t num_inputs, num_outputs;
  uint64_t host_size;
  bool *written; /* per output: some step writes it */
} context;

/* A ref: its bytes lie inside the tensor or the host block. */
static kiln_status read_ref(reader *c, const context *x, const char *what,
                            uint32_t step, kiln_cl_ref *ref,
                            kiln_error *error) {
  if (!read_u8(c, &ref->kind) || !read_u64(c, &ref->index) ||
      !read_u64(c, &ref->size))
    return TRUNCATED(what);
  uint64_t limit;
  switch (ref->kind) {
  case KILN_CL_REF_INPUT:
  case KILN_CL_REF_OUTPUT: {
    bool in = ref->kind == KILN_CL_REF_INPUT;
    if (ref->index >= (in ? x->num_inputs : x->num_outputs))
      return INVALID("step %u: %s refers to %s %llu of %zu", step, what,
                     in ? "input" : "output", (unsigned long long)ref->index,
                     in ? x->num_inputs : x->num_outputs);
    limit = (in ? x->inputs : x->outputs)[ref->index].size_bytes;
    if (ref->size > limit)
      return INVALID("step %u: %s of %llu bytes exceeds %s '%s' (%llu bytes)",
                     step, what, (unsigned long long)ref->size,
                     in ? "input" : "output",
                     (in ? x->inputs : x->outputs)[ref->index].name,
                     (unsigned long long)limit);
    return KILN_OK;
  }
  case KILN_CL_REF_HOST:
    if (ref->index > x->host_size || ref->size > x->host_size - ref->index)
      return INVALID("step %u: %s (%llu bytes at %llu) is not inside the "
                     "%llu-byte host block",
                     step, what, (unsigned long long)ref->size,
                     (unsigned long long)ref->index,
                     (unsigned long long)x->host_size);
    return KILN_OK;
  default:
    return INVALID("step %u: %s of unknown kind %u", step, what, ref->kind);
  }
}

/* A device copy: 4-byte aligned, inside the arena. */
static kiln_status check_device(uint64_t offset, uint64_t size, uint64_t arena,
                                uint32_t step, kiln_error *error) {
  if (offset % 4 || offset > arena || size > arena - offset)
    return INVALID("step %u: a copy of %llu bytes at %llu is not inside the "
                   "%llu-byte arena",
                   step, (unsigned long long)size, (unsigned long long)offset,
                   (unsigned long long)arena);
  return KILN_OK;
}

/* `count` copies; a copy takes 25 bytes, so a larger count cannot fit. */
static kiln_status read_copies(reader *c, const context *x, uint64_t arena,
                               uint32_t step, bool upload, uint32_t *count,
                               kiln_cl_copy **copies, kiln_error *error) {
  const char *what = upload ? "upload" : "download";
  if (!read_u32(c, count) || *count > c->left / 25)
    return TRUNCATED(what);
  *copies = calloc(*count ? *count : 1, sizeof(kiln_cl_copy));
  if (!*copies)
    return kiln_fail(error, KILN_ERROR_OUT_OF_MEMORY, "OpenCL plan: copies");
  for (uint32_t i = 0; i < *count; ++i) {
    kiln_cl_copy *copy = &(*copies)[i];
    kiln_status st = KILN_OK;
    if (!upload && !read_u64(c, &copy->device_offset))
      return TRUNCATED(what);
    if ((st = read_ref(c, x, what, step, &copy->ref, error)) != KILN_OK)
      return st;
    if (upload && !read_u64(c, &copy->device_offset))
      return TRUNCATED(what);
    if ((st = check_device(copy->device_offset, copy->ref.size, arena, step,
                           error)) != KILN_OK)
      return st;
    if (!upload && copy->ref.kind == KILN_CL_REF_INPUT)
      return INVALID("step %u: downloads into input %llu (the caller's, "
                     "read-only)",
                     step, (unsigned long long)copy->ref.index);
    if (!upload && copy->ref.kind == KILN_CL_REF_OUTPUT)
      x->written[copy->ref.index] = true;
    if (upload && copy->ref.kind == KILN_CL_REF_OUTPUT &&
        !x->written[copy->ref.index])
      return INVALID("step %u: uploads output %llu before a step writes it",
                     step, (unsigned long long)copy->ref.index);
  }
  return KILN_OK;
}

static kiln_status read_step(reader *c, const context *x, kiln_cl_plan *plan,
                             uint32_t index, uint32_t num_entries,
                             kiln_error *error) {
  kiln_cl_step *s = &plan->steps[index];
  if (!read_u8(c, &s->kind))
    return TRUNCATED("step");
  kiln_status st;
  if (s->kind == KILN_CL_STEP_GPU) {
    if (!read_u32(c, &s->first_launch) || !read_u32(c, &s->num_launches))
      return TRUNCATED("step");
    if (s->first_launch > plan->num_launches ||
        s->num_launches > plan->num_launches - s->first_launch)
      return INVALID("step %u: launches %u..%u of %u", index, s->first_launch,
                     s->first_launch + s->num_launches, plan->num_launches);
    if ((st = read_copies(c, x, plan->arena_size, index, true, &s->num_uploads,
                          &s->uploads, error)) != KILN_OK)
      return st;
    return read_copies(c, x, plan->arena_size, index, false, &s->num_downloads,
                       &s->downloads, error);
  }
  if (s->kind != KILN_CL_STEP_CPU)
    return INVALID("step %u: unknown kind %u", index, s->kind);
  uint32_t parallel;
  if (!read_u32(c, &s->entry) || !read_u8(c, &parallel) ||
      !read_u32(c, &s->num_args))
    return TRUNCATED("step");
  if (s->entry >= num_entries || parallel > 1)
    return INVALID("step %u: entry %u of %u", index, s->entry, num_entries);
  s->parallel = parallel;
  /* A ref takes 17 bytes. */
  if (s->num_args > c->left / 17)
    return TRUNCATED("step arguments");
  s->args = calloc(s->num_args ? s->num_args : 1, sizeof(kiln_cl_ref));
  if (!s->args)
    return kiln_fail(error, KILN_ERROR_OUT_OF_MEMORY, "OpenCL plan: args");
  for (uint32_t a = 0; a < s->num_args; ++a) {
    if ((st = read_ref(c, x, "argument", index, &s->args[a], error)) != KILN_OK)
      return st;
    if (s->args[a].kind == KILN_CL_REF_OUTPUT)
      x->written[s->args[a].index] = true;
  }
  if (!read_u32(c, &s->num_waits) || s->num_waits > c->left / 4)
    return TRUNCATED("step waits");
  s->waits = calloc(s->num_waits ? s->num_waits : 1, sizeof(uint32_t));
  if (!s->waits)
    return kiln_fail(error, KILN_ERROR_OUT_OF_MEMORY, "OpenCL plan: waits");
  for (uint32_t w = 0; w < s->num_waits; ++w) {
    if (!read_u32(c, &s->waits[w]))
      return TRUNCATED("step waits");
    if (s->waits[w] >= index ||
        plan->steps[s->waits[w]].kind != KILN_CL_STEP_GPU)
      return INVALID("step %u waits for step %u, not an earlier GPU step",
                     index, s->waits[w]);
  }
  return KILN_OK;
}

kiln_status kiln_cl_plan_parse(const uint8_t *data, uint64_t size,
                               const kiln_tensor_info *inputs,
                               size_t num_inputs,
                               const kiln_tensor_info *outputs,
                               size_t num_outputs, uint32_t num_entries,
                               kiln_cl_plan *plan, kiln_error *error) {
  memset(plan, 0, sizeof *plan);
  reader c;
  kiln_status header =
      kiln_blob_header(data, size, "OpenCL plan", KILN_OPENCL_PLAN_MAGIC,
                       KILN_OPENCL_PLAN_VERSION, &c, error);
  if (header != KILN_OK)
    return header;

  uint32_t n;
  if (!read_u64(&c, &plan->arena_size) || !read_u64(&c, &plan->weights_size) ||
      !read_u64(&c, &plan->host_size) || !read_u64(&c, &plan->cpu_arena_size))
    return TRUNCATED("sizes");

  /* No kernels at all is a model whose outputs are all empty. */
  if (!read_u32(&c, &n))
    return TRUNCATED("kernel count");
  /* A name takes at least 3 bytes: a count this large cannot fit. */
  if (n > c.left / 3)
    return TRUNCATED("kernel names");
  plan->num_kernels = n;
  plan->kernel_names = calloc(n ? n : 1, sizeof(char *));
  if (!plan->kernel_names)
    return kiln_fail(error, KILN_ERROR_OUT_OF_MEMORY, "OpenCL plan: names");
  for (uint32_t k = 0; k < n; ++k) {
    uint32_t len;
    const uint8_t *bytes;
    if (!read_u16(&c, &len) || len == 0 || len > KILN_MAX_NAME_LEN ||
        !read_bytes(&c, len, &bytes))
      return TRUNCATED("kernel name");
    if (memchr(bytes, '\0', len))
      return kiln_fail(error, KILN_ERROR_INVALID_MODEL,
                       "OpenCL plan: kernel name %u holds a NUL byte", k);
    char *name = malloc((size_t)len + 1);
    if (!name)
      return kiln_fail(error, KILN_ERROR_OUT_OF_MEMORY, "OpenCL plan: name");
    memcpy(name, bytes, len);
    name[len] = '\0';
    plan->kernel_names[k] = name;
  }

  if (!read_u32(&c, &n) || n > c.left / 56)
    return TRUNCATED("launches");
  plan->num_launches = n;
  plan->launches = calloc(n ? n : 1, sizeof(kiln_cl_launch));
  if (!plan->launches)
    return kiln_fail(error, KILN_ERROR_OUT_OF_MEMORY, "OpenCL plan: launches");
  for (uint32_t i = 0; i < n; ++i) {
    kiln_cl_launch *l = &plan->launches[i];
    if (!read_u32(&c, &l->kernel) || !read_u32(&c, &l->work_dim))
      return TRUNCATED("launch");
    if (l->kernel >= plan->num_kernels || l->work_dim < 1 || l->work_dim > 3)
      return kiln_fail(error, KILN_ERROR_INVALID_MODEL,
                       "OpenCL plan: launch %u: kernel %u of %u, %u dims", i,
                       l->kernel, plan->num_kernels, l->work_dim);
    for (int d = 0; d < 3; ++d)
      if (!read_u64(&c, &l->global[d]) || l->global[d] == 0 ||
          l->global[d] > (uint64_t)SIZE_MAX)
        return kiln_fail(error, KILN_ERROR_INVALID_MODEL,
                         "OpenCL plan: launch %u: bad global size", i);
    bool any = false;
    for (int d = 0; d < 3; ++d) {
      if (!read_u64(&c, &l->local[d]) || l->local[d] > l->global[d])
        return kiln_fail(error, KILN_ERROR_INVALID_MODEL,
                         "OpenCL plan: launch %u: bad local size", i);
      any |= l->local[d] != 0;
    }
    for (int d = 0; any && d < 3; ++d)
      if (l->local[d] == 0 || l->global[d] % l->local[d])
        return kiln_fail(error, KILN_ERROR_INVALID_MODEL,
                         "OpenCL plan: launch %u: local size does not divide "
                         "the global size",
                         i);
  }

  if (!read_u32(&c, &n) || n == 0 || n > c.left / 13)
    return TRUNCATED("steps");
  plan->num_steps = n;
  plan->steps = calloc(n, sizeof(kiln_cl_step));
  bool *written = calloc(num_outputs ? num_outputs : 1, sizeof(bool));
  if (!plan->steps || !written) {
    free(written);
    return kiln_fail(error, KILN_ERROR_OUT_OF_MEMORY, "OpenCL plan: steps");
  }
  context x = {inputs,      outputs,         num_inputs,
               num_outputs, plan->host_size, written};
  kiln_status st = KILN_OK;
  for (uint32_t i = 0; i < n && st == KILN_OK; ++i)
    st = read_step(&c, &x, plan, i, num_entries, error);
  for (size_t i = 0; i < num_outputs && st == KILN_OK; ++i)
    if (!written[i])
      st = INVALID("no step writes output '%s'", outputs[i].name);
  free(written);
  if (st != KILN_OK)
    return st;

  uint32_t source_size;
  const uint8_t *source;
  if (!read_u32(&c, &source_size) || source_size == 0 ||
      !read_bytes(&c, source_size, &source))
    return TRUNCATED("source");
  plan->source = (const char *)source;
  plan->source_size = source_size;
  const uint8_t *weights;
  if (plan->weights_size > c.left ||
      !read_bytes(&c, (size_t)plan->weights_size, &weights))
    return TRUNCATED("weights");
  plan->weights = weights;
  if (c.left)
    return kiln_fail(error, KILN_ERROR_INVALID_MODEL,
                     "OpenCL plan: %llu bytes after the weights",
                     (unsigned long long)c.left);
  return KILN_OK;
}

void kiln_cl_plan_free(kiln_cl_plan *plan) {
  for (uint32_t k = 0; plan->kernel_names && k < plan->num_kernels; ++k)
    free(plan->kernel_names[k]);
  free(plan->kernel_names);
  free(plan->launches);
  for (uint32_t i = 0; plan->steps && i < plan->num_steps; ++i) {
    free(plan->steps[i].uploads);
    free(plan->steps[i].downloads);
    free(plan->steps[i].args);
    free(plan->steps[i].waits);
  }
  free(plan->steps);
  memset(plan, 0, sizeof *plan);
}
