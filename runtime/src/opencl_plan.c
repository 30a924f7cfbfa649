/* Parsing of the OpenCL plan (kiln/opencl_plan.h). Every read is checked
 * against the bytes left, so arbitrary input never reads out of bounds. */
#include "opencl_plan.h"
#include "error.h"
#include "reader.h"

#include "kiln/opencl_plan.h"

#include <stdlib.h>
#include <string.h>

#define TRUNCATED(what)                                                        \
  kiln_fail(error, KILN_ERROR_INVALID_MODEL, "OpenCL plan: truncated %s", what)

/* Places of `count` tensors of `infos` in an arena of `arena` bytes. */
static kiln_status read_places(reader *c, const char *what, uint32_t count,
                               const kiln_tensor_info *infos, uint64_t arena,
                               uint64_t *offsets, kiln_error *error) {
  for (uint32_t i = 0; i < count; ++i) {
    if (!read_u64(c, &offsets[i]))
      return TRUNCATED(what);
    if (offsets[i] % 4 || offsets[i] > arena ||
        infos[i].size_bytes > arena - offsets[i])
      return kiln_fail(error, KILN_ERROR_INVALID_MODEL,
                       "OpenCL plan: %s '%s' (%zu bytes at %llu) is not "
                       "inside the %llu-byte arena",
                       what, infos[i].name, infos[i].size_bytes,
                       (unsigned long long)offsets[i],
                       (unsigned long long)arena);
  }
  return KILN_OK;
}

kiln_status kiln_cl_plan_parse(const uint8_t *data, uint64_t size,
                               const kiln_tensor_info *inputs,
                               size_t num_inputs,
                               const kiln_tensor_info *outputs,
                               size_t num_outputs, kiln_cl_plan *plan,
                               kiln_error *error) {
  memset(plan, 0, sizeof *plan);
  if (!data || size < KILN_OPENCL_PLAN_HEADER_SIZE)
    return kiln_fail(error, KILN_ERROR_INVALID_MODEL,
                     "OpenCL plan: %llu bytes, shorter than its header",
                     (unsigned long long)size);
  reader c = {data, size};
  uint32_t magic, version, checksum, reserved;
  uint64_t payload;
  read_u32(&c, &magic);
  read_u32(&c, &version);
  read_u64(&c, &payload);
  read_u32(&c, &checksum);
  read_u32(&c, &reserved);
  if (magic != KILN_OPENCL_PLAN_MAGIC)
    return kiln_fail(error, KILN_ERROR_INVALID_MODEL,
                     "OpenCL plan: bad magic 0x%08x", magic);
  if (version != KILN_OPENCL_PLAN_VERSION)
    return kiln_fail(error, KILN_ERROR_INVALID_MODEL,
                     "OpenCL plan: version %u, this runtime reads %u", version,
                     KILN_OPENCL_PLAN_VERSION);
  if (payload != c.left)
    return kiln_fail(error, KILN_ERROR_INVALID_MODEL,
                     "OpenCL plan: payload of %llu bytes, %llu present",
                     (unsigned long long)payload, (unsigned long long)c.left);
  if (kiln_fnv1a32(c.p, (size_t)c.left) != checksum)
    return kiln_fail(error, KILN_ERROR_INVALID_MODEL,
                     "OpenCL plan: checksum mismatch (corrupt artifact)");

  uint32_t n;
  if (!read_u64(&c, &plan->arena_size) || !read_u64(&c, &plan->weights_size))
    return TRUNCATED("sizes");
  if (!read_u32(&c, &n) || n != num_inputs)
    return kiln_fail(error, KILN_ERROR_INVALID_MODEL,
                     "OpenCL plan: inputs differ from the descriptor's");
  plan->num_inputs = n;
  plan->num_outputs = num_outputs;
  plan->input_offsets =
      calloc(2 * (num_inputs + num_outputs) + 1, sizeof(uint64_t));
  if (!plan->input_offsets)
    return kiln_fail(error, KILN_ERROR_OUT_OF_MEMORY, "OpenCL plan: offsets");
  plan->input_sizes = plan->input_offsets + num_inputs;
  plan->output_offsets = plan->input_sizes + num_inputs;
  plan->output_sizes = plan->output_offsets + num_outputs;
  for (size_t i = 0; i < num_inputs; ++i)
    plan->input_sizes[i] = inputs[i].size_bytes;
  for (size_t i = 0; i < num_outputs; ++i)
    plan->output_sizes[i] = outputs[i].size_bytes;
  kiln_status st = read_places(&c, "input", n, inputs, plan->arena_size,
                               plan->input_offsets, error);
  if (st != KILN_OK)
    return st;
  if (!read_u32(&c, &n) || n != num_outputs)
    return kiln_fail(error, KILN_ERROR_INVALID_MODEL,
                     "OpenCL plan: outputs differ from the descriptor's");
  st = read_places(&c, "output", n, outputs, plan->arena_size,
                   plan->output_offsets, error);
  if (st != KILN_OK)
    return st;

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
  free(plan->input_offsets);
  memset(plan, 0, sizeof *plan);
}
