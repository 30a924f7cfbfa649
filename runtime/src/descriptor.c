#include "descriptor.h"

#include "error.h"
#include "reader.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Larger alignments than a 64 KiB page (the largest aarch64 page) only come
 * from corrupt data, and would inflate the session's allocation. */
#define KILN_MAX_ARENA_ALIGNMENT 65536u

/* Smallest encodings, used to reject counts that cannot fit in the bytes
 * left before looping over them. */
#define MIN_TENSOR_BYTES 5u  /* u16 name_len, 1 name byte, dtype, rank */
#define MIN_SEGMENT_BYTES 9u /* device, entry_index, num_args */
#define ARG_BYTES 5u         /* kind, index */
#define MIN_LAYER_BYTES 3u   /* u16 name_len, 1 name byte */

typedef struct parser {
  reader r;
  uint32_t version;
  const kiln_desc_storage *out; /* NULL in the validating pass */
  size_t dims_used;
  size_t names_used;
  size_t args_used;
  kiln_error *error;
} parser;

static kiln_status invalid(parser *p, const char *what, size_t index,
                           const char *problem) {
  return kiln_fail(p->error, KILN_ERROR_INVALID_MODEL, "descriptor %s %zu: %s",
                   what, index, problem);
}

/* A count of records of at least `min_bytes` each must fit in the bytes
 * left: checked before looping over them. */
static kiln_status check_count(parser *p, uint32_t count, size_t min_bytes,
                               const char *what) {
  if (count > p->r.left / min_bytes)
    return kiln_fail(p->error, KILN_ERROR_INVALID_MODEL,
                     "descriptor truncated: %u %s cannot fit in %zu bytes",
                     count, what, p->r.left);
  return KILN_OK;
}

static kiln_status truncated(parser *p, const char *what, size_t index) {
  return invalid(p, what, index, "truncated");
}

/* Reads a u16-length name of 1..KILN_MAX_NAME_LEN bytes without NULs. */
static kiln_status parse_name(parser *p, const char *what, size_t index,
                              const uint8_t **name, uint32_t *name_len) {
  if (!read_u16(&p->r, name_len))
    return truncated(p, what, index);
  if (*name_len == 0 || *name_len > KILN_MAX_NAME_LEN)
    return kiln_fail(p->error, KILN_ERROR_INVALID_MODEL,
                     "descriptor %s %zu: name length %u not in 1..%d", what,
                     index, *name_len, KILN_MAX_NAME_LEN);
  if (!read_bytes(&p->r, *name_len, name))
    return truncated(p, what, index);
  /* Names are handed out as C strings. */
  if (memchr(*name, 0, *name_len))
    return invalid(p, what, index, "name contains a NUL byte");
  return KILN_OK;
}

/* Copies a name read by parse_name into the names storage (filling pass);
 * returns the copy, or NULL in the validating pass. */
static const char *store_name(parser *p, const uint8_t *name,
                              uint32_t name_len) {
  char *copy = NULL;
  if (p->out) {
    copy = p->out->names + p->names_used;
    memcpy(copy, name, name_len);
    copy[name_len] = '\0';
  }
  p->names_used += (size_t)name_len + 1;
  return copy;
}

static kiln_status parse_tensor(parser *p, const char *what, size_t index,
                                kiln_tensor_info *info) {
  uint32_t name_len, dtype, rank;
  const uint8_t *name;
  kiln_status st = parse_name(p, what, index, &name, &name_len);
  if (st != KILN_OK)
    return st;
  if (!read_u8(&p->r, &dtype) || !read_u8(&p->r, &rank))
    return truncated(p, what, index);
  int name_shown = (int)name_len;
  size_t size = kiln_dtype_size(dtype);
  if (size == 0)
    return kiln_fail(p->error, KILN_ERROR_INVALID_MODEL,
                     "descriptor %s '%.*s': unknown dtype %u", what, name_shown,
                     (const char *)name, dtype);
  if (rank > KILN_MAX_RANK)
    return kiln_fail(p->error, KILN_ERROR_INVALID_MODEL,
                     "descriptor %s '%.*s': rank %u exceeds %d", what,
                     name_shown, (const char *)name, rank, KILN_MAX_RANK);
  int64_t *dims = p->out ? p->out->dims + p->dims_used : NULL;
  for (uint32_t i = 0; i < rank; ++i) {
    uint64_t raw;
    if (!read_uint(&p->r, 8, &raw))
      return truncated(p, what, index);
    int64_t dim = (int64_t)raw;
    if (dim < 0)
      return kiln_fail(p->error, KILN_ERROR_INVALID_MODEL,
                       "descriptor %s '%.*s': dim %u is %lld, must be >= 0",
                       what, name_shown, (const char *)name, i, (long long)dim);
    if (raw && size > SIZE_MAX / raw)
      return kiln_fail(p->error, KILN_ERROR_INVALID_MODEL,
                       "descriptor %s '%.*s': size in bytes overflows", what,
                       name_shown, (const char *)name);
    size *= (size_t)raw;
    if (dims)
      dims[i] = dim;
  }
  const char *copy = store_name(p, name, name_len);
  if (p->out) {
    info->name = copy;
    info->dtype = (kiln_dtype)dtype;
    info->rank = (int32_t)rank;
    info->dims = dims;
    info->size_bytes = size;
  }
  p->dims_used += rank;
  return KILN_OK;
}

static kiln_status parse_segment(parser *p, const kiln_model *model,
                                 size_t index, size_t num_inputs,
                                 size_t num_outputs) {
  uint32_t device, entry_index, num_args;
  if (!read_u8(&p->r, &device) || !read_u32(&p->r, &entry_index) ||
      !read_u32(&p->r, &num_args))
    return truncated(p, "segment", index);
  if (device != KILN_DEVICE_CPU)
    return kiln_fail(p->error, KILN_ERROR_UNSUPPORTED,
                     "descriptor segment %zu: device %u is not supported by "
                     "this runtime",
                     index, device);
  if (entry_index >= model->num_entries)
    return kiln_fail(p->error, KILN_ERROR_INVALID_MODEL,
                     "descriptor segment %zu: entry index %u out of range "
                     "(model has %u entries)",
                     index, entry_index, model->num_entries);
  if (!model->entries[entry_index])
    return kiln_fail(p->error, KILN_ERROR_INVALID_MODEL,
                     "descriptor segment %zu: entry %u is NULL", index,
                     entry_index);
  if (num_args > p->r.left / ARG_BYTES)
    return truncated(p, "segment", index);
  kiln_desc_arg *args = p->out ? p->out->args + p->args_used : NULL;
  for (uint32_t a = 0; a < num_args; ++a) {
    uint32_t kind, arg_index;
    if (!read_u8(&p->r, &kind) || !read_u32(&p->r, &arg_index))
      return truncated(p, "segment", index);
    size_t limit;
    switch (kind) {
    case KILN_ARG_INPUT:
      limit = num_inputs;
      break;
    case KILN_ARG_OUTPUT:
      limit = num_outputs;
      break;
    case KILN_ARG_ARENA:
      limit = 1;
      break;
    case KILN_ARG_PARALLEL:
      if (p->version < 2)
        return kiln_fail(p->error, KILN_ERROR_INVALID_MODEL,
                         "descriptor segment %zu arg %u: kind 3 (parallel) "
                         "needs descriptor version 2, this one is version %u",
                         index, a, p->version);
      if (arg_index != 0)
        return kiln_fail(p->error, KILN_ERROR_INVALID_MODEL,
                         "descriptor segment %zu arg %u: a parallel arg must "
                         "have index 0, got %u",
                         index, a, arg_index);
      limit = 1;
      break;
    default:
      return kiln_fail(p->error, KILN_ERROR_INVALID_MODEL,
                       "descriptor segment %zu arg %u: unknown kind %u", index,
                       a, kind);
    }
    if (arg_index >= limit)
      return kiln_fail(p->error, KILN_ERROR_INVALID_MODEL,
                       "descriptor segment %zu arg %u: index %u out of range "
                       "(limit %zu)",
                       index, a, arg_index, limit);
    if (args) {
      args[a].kind = (kiln_arg_kind)kind;
      args[a].index = arg_index;
    }
  }
  if (p->out) {
    kiln_desc_segment *seg = &p->out->segments[index];
    seg->entry = model->entries[entry_index];
    seg->num_args = num_args;
    seg->args = args;
    seg->argv = p->out->argv + p->args_used;
  }
  p->args_used += num_args;
  return KILN_OK;
}

static kiln_status check_unique(kiln_error *error, const char *what,
                                const kiln_tensor_info *infos, size_t n) {
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < i; ++j)
      if (strcmp(infos[i].name, infos[j].name) == 0)
        return kiln_fail(error, KILN_ERROR_INVALID_MODEL,
                         "descriptor: two %ss are named '%s'", what,
                         infos[i].name);
  return KILN_OK;
}

static kiln_status parse_header(const kiln_model *model, reader *r,
                                uint32_t *version_out, kiln_error *error) {
  if (model->descriptor_size < KILN_DESCRIPTOR_HEADER_SIZE)
    return kiln_fail(error, KILN_ERROR_INVALID_MODEL,
                     "descriptor is %llu bytes, shorter than its header",
                     (unsigned long long)model->descriptor_size);
  if (model->descriptor_size > SIZE_MAX)
    return kiln_fail(error, KILN_ERROR_INVALID_MODEL,
                     "descriptor of %llu bytes does not fit in memory",
                     (unsigned long long)model->descriptor_size);
  r->p = model->descriptor;
  r->left = (size_t)model->descriptor_size;
  uint32_t magic, version, payload_size, checksum;
  read_u32(r, &magic);
  read_u32(r, &version);
  read_u32(r, &payload_size);
  read_u32(r, &checksum);
  if (magic != KILN_DESCRIPTOR_MAGIC)
    return kiln_fail(error, KILN_ERROR_INVALID_MODEL,
                     "bad descriptor magic 0x%08x (expected 0x%08x)", magic,
                     KILN_DESCRIPTOR_MAGIC);
  /* Version 2 only added an arg kind, version 3 the layer table. */
  if (version < 1 || version > KILN_DESCRIPTOR_VERSION)
    return kiln_fail(error, KILN_ERROR_INVALID_MODEL,
                     "descriptor version %u, this runtime reads versions 1 to "
                     "%u",
                     version, KILN_DESCRIPTOR_VERSION);
  *version_out = version;
  if (payload_size != r->left)
    return kiln_fail(error, KILN_ERROR_INVALID_MODEL,
                     "descriptor header announces %u payload bytes, "
                     "the model has %zu",
                     payload_size, r->left);
  uint32_t actual = kiln_fnv1a32(r->p, r->left);
  if (actual != checksum)
    return kiln_fail(error, KILN_ERROR_INVALID_MODEL,
                     "descriptor checksum mismatch (stored 0x%08x, computed "
                     "0x%08x)",
                     checksum, actual);
  return KILN_OK;
}

kiln_status kiln_desc_parse(const kiln_model *model, kiln_desc_counts *counts,
                            const kiln_desc_storage *storage,
                            kiln_error *error) {
  if (!model)
    return kiln_fail(error, KILN_ERROR_INVALID_ARGUMENT, "model is NULL");
  if (model->magic != KILN_MODEL_MAGIC)
    return kiln_fail(error, KILN_ERROR_INVALID_MODEL,
                     "bad model magic 0x%08x (expected 0x%08x): not a Kiln "
                     "model",
                     model->magic, KILN_MODEL_MAGIC);
  /* Version 2 only added kiln_parallel::mark, which the session provides to
   * every model; versions 3 and 4 appended the GPU and NNA plans, which the
   * session reads only from models of those versions. */
  if (model->abi_version < 1 || model->abi_version > KILN_MODEL_ABI_VERSION)
    return kiln_fail(error, KILN_ERROR_INVALID_MODEL,
                     "model ABI version %u, this runtime supports versions 1 "
                     "to %u",
                     model->abi_version, KILN_MODEL_ABI_VERSION);
  if (!model->descriptor)
    return kiln_fail(error, KILN_ERROR_INVALID_MODEL,
                     "model has no descriptor");
  if (model->num_entries > 0 && !model->entries)
    return kiln_fail(error, KILN_ERROR_INVALID_MODEL,
                     "model has %u entries but no entry table",
                     model->num_entries);

  parser p = {.out = storage, .error = error};
  kiln_status st = parse_header(model, &p.r, &p.version, error);
  if (st != KILN_OK)
    return st;

  uint32_t num_inputs, num_outputs;
  if (!read_u32(&p.r, &num_inputs) || !read_u32(&p.r, &num_outputs))
    return kiln_fail(error, KILN_ERROR_INVALID_MODEL,
                     "descriptor truncated in tensor counts");
  if ((uint64_t)num_inputs + num_outputs > p.r.left / MIN_TENSOR_BYTES)
    return kiln_fail(error, KILN_ERROR_INVALID_MODEL,
                     "descriptor truncated: %u inputs and %u outputs cannot "
                     "fit in %zu bytes",
                     num_inputs, num_outputs, p.r.left);
  for (size_t i = 0; i < num_inputs; ++i)
    if ((st = parse_tensor(&p, "input", i,
                           storage ? &storage->inputs[i] : NULL)) != KILN_OK)
      return st;
  for (size_t i = 0; i < num_outputs; ++i)
    if ((st = parse_tensor(&p, "output", i,
                           storage ? &storage->outputs[i] : NULL)) != KILN_OK)
      return st;

  uint64_t arena_size;
  uint32_t alignment, num_segments;
  if (!read_uint(&p.r, 8, &arena_size) || !read_u32(&p.r, &alignment) ||
      !read_u32(&p.r, &num_segments))
    return kiln_fail(error, KILN_ERROR_INVALID_MODEL,
                     "descriptor truncated in arena and segment count");
  if (alignment == 0 || (alignment & (alignment - 1)) != 0 ||
      alignment > KILN_MAX_ARENA_ALIGNMENT)
    return kiln_fail(error, KILN_ERROR_INVALID_MODEL,
                     "descriptor arena alignment %u is not a power of two "
                     "up to %u",
                     alignment, KILN_MAX_ARENA_ALIGNMENT);
  /* Version 4: none in a model that runs through per-segment variants,
   * which the session checks. */
  if (num_segments == 0 && p.version < 4)
    return kiln_fail(error, KILN_ERROR_INVALID_MODEL,
                     "descriptor has no segments");
  if ((st = check_count(&p, num_segments, MIN_SEGMENT_BYTES, "segments")) !=
      KILN_OK)
    return st;
  for (size_t s = 0; s < num_segments; ++s)
    if ((st = parse_segment(&p, model, s, num_inputs, num_outputs)) != KILN_OK)
      return st;
  uint32_t num_layers = 0;
  if (p.version >= 3) {
    if (!read_u32(&p.r, &num_layers))
      return kiln_fail(error, KILN_ERROR_INVALID_MODEL,
                       "descriptor truncated in layer count");
    if ((st = check_count(&p, num_layers, MIN_LAYER_BYTES, "layers")) !=
        KILN_OK)
      return st;
    for (size_t i = 0; i < num_layers; ++i) {
      const uint8_t *name;
      uint32_t name_len;
      if ((st = parse_name(&p, "layer", i, &name, &name_len)) != KILN_OK)
        return st;
      const char *copy = store_name(&p, name, name_len);
      if (storage)
        storage->layers[i] = (kiln_layer_profile){.name = copy};
    }
  }
  if (p.r.left != 0)
    return kiln_fail(error, KILN_ERROR_INVALID_MODEL,
                     "descriptor has %zu trailing bytes after the last %s",
                     p.r.left, p.version >= 3 ? "layer" : "segment");
  if (storage) {
    if ((st = check_unique(error, "input", storage->inputs, num_inputs)) !=
            KILN_OK ||
        (st = check_unique(error, "output", storage->outputs, num_outputs)) !=
            KILN_OK)
      return st;
  }

  counts->num_inputs = num_inputs;
  counts->num_outputs = num_outputs;
  counts->num_segments = num_segments;
  counts->total_dims = p.dims_used;
  counts->total_name_bytes = p.names_used;
  counts->total_args = p.args_used;
  counts->num_layers = num_layers;
  counts->arena_size = arena_size;
  counts->arena_alignment = alignment;
  return KILN_OK;
}
