/* Sessions: one allocation holding the bookkeeping and the arena, plus the
 * thread pool, created once; kiln_session_run only validates and calls
 * entries. A model with per-segment variants runs through its variant part
 * (variant_session.c). */
#include "descriptor.h"
#include "error.h"
#include "fault.h"
#include "nna_device.h"
#include "opencl.h"
#include "thread_pool.h"
#include "variant_session.h"

#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The arena is at least cache-line aligned whatever the model asks, so that
 * generated vector code never straddles lines at the arena base. */
#define KILN_MIN_ARENA_ALIGNMENT 64u

struct kiln_session {
  size_t num_inputs;
  size_t num_outputs;
  size_t num_segments;
  const kiln_tensor_info *inputs;
  const kiln_tensor_info *outputs;
  kiln_desc_segment *segments;
  void *arena; /* NULL until kiln_session_use_arena without one of its own */
  size_t arena_size;
  size_t arena_alignment;
  size_t memory_bytes;
  kiln_thread_pool *pool;
  /* Profiling: compiled code gets `profiler`, which forwards run() to the
   * pool and times the spans between marks. */
  bool profile;
  kiln_parallel profiler;
  size_t num_layers;
  kiln_layer_profile *layers;
  uint32_t current_layer; /* KILN_LAYER_END: none open */
  uint64_t span_start_ns;
  uint64_t profiled_runs;
  /* The GPU or NNA variant, when the session runs it (at most one). */
  kiln_opencl *gpu;
  kiln_nna_device *nna;
  bool fallback_to_cpu;
  kiln_program_source program_source;
  char fallback_reason[256];
  /* A model with per-segment variants: its segments run there. */
  kiln_vsession *variants;
};

/* The OpenCL binary cache directory: options', else the environment's. */
static void cache_dir_for(const char *option, char *buf, size_t size) {
  buf[0] = '\0';
  if (option) {
    snprintf(buf, size, "%s", option);
    return;
  }
  const char *dir = getenv("KILN_CACHE_DIR");
  if (dir && dir[0]) {
    snprintf(buf, size, "%s", dir);
    return;
  }
  dir = getenv("XDG_CACHE_HOME");
  if (dir && dir[0]) {
    snprintf(buf, size, "%s/kiln", dir);
    return;
  }
  dir = getenv("HOME");
  if (dir && dir[0])
    snprintf(buf, size, "%s/.cache/kiln", dir);
}

/* Prepares the model's GPU variant for `s`. */
static kiln_status open_gpu(kiln_session *s, const kiln_model *model,
                            const char *cache_option, kiln_error *error) {
  if (model->abi_version < 3 || !model->opencl_plan)
    return kiln_fail(error, KILN_ERROR_DEVICE,
                     "the model has no GPU variant (compile it with kilnc "
                     "--devices=cpu,gpu)");
  kiln_cl_plan plan;
  kiln_status st = kiln_cl_plan_parse(
      model->opencl_plan, model->opencl_plan_size, s->inputs, s->num_inputs,
      s->outputs, s->num_outputs, model->num_entries, &plan, error);
  if (st != KILN_OK) {
    kiln_cl_plan_free(&plan);
    return st;
  }
  char dir[1024];
  cache_dir_for(cache_option, dir, sizeof dir);
  /* CPU steps get the pool itself: the profiler's layer marks index the
   * CPU variant's layers, not the segments'. */
  return kiln_opencl_create(&plan, model, kiln_thread_pool_parallel(s->pool),
                            dir, &s->gpu, &s->program_source, error);
}

/* Prepares the model's NNA variant for `s`. */
static kiln_status open_nna(kiln_session *s, const kiln_model *model,
                            kiln_error *error) {
  /* An older model's struct ends before nna_plan. */
  if (model->abi_version < 4 || !model->nna_plan)
    return kiln_fail(error, KILN_ERROR_DEVICE,
                     "the model has no NNA variant (compile it with kilnc "
                     "--devices=cpu,nna)");
  kiln_nna_plan plan;
  kiln_status st = kiln_nna_plan_parse(
      model->nna_plan, model->nna_plan_size, s->inputs, s->num_inputs,
      s->outputs, s->num_outputs, model->num_entries, &plan, error);
  if (st != KILN_OK) {
    kiln_nna_plan_free(&plan);
    return st;
  }
  /* CPU steps get the pool itself, as on the GPU: layer marks index the
   * CPU variant's layers. */
  return kiln_nna_device_create(&plan, model,
                                kiln_thread_pool_parallel(s->pool), s->profile,
                                &s->nna, error);
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static kiln_session *profiling_session(kiln_parallel *self) {
  return (kiln_session *)((char *)self - offsetof(kiln_session, profiler));
}

static void profile_run(kiln_parallel *self, kiln_task_fn task,
                        void *const *args, int64_t count) {
  kiln_parallel *pool =
      kiln_thread_pool_parallel(profiling_session(self)->pool);
  pool->run(pool, task, args, count);
}

/* Closes the open span, if any, and opens `layer`'s when it is one. */
static void profile_mark(kiln_parallel *self, uint32_t layer) {
  kiln_session *s = profiling_session(self);
  uint64_t now = now_ns();
  if (s->current_layer < s->num_layers)
    s->layers[s->current_layer].total_ns += now - s->span_start_ns;
  s->current_layer = KILN_LAYER_END;
  if (layer < s->num_layers) {
    s->current_layer = layer;
    s->layers[layer].spans++;
    s->span_start_ns = now;
  }
}

/* A running layout of arrays inside the session's one allocation. */
typedef struct layout {
  size_t end;
  bool overflow;
} layout;

/* Places `count` items of `size` bytes at `align`; returns their offset. */
static size_t layout_add(layout *l, size_t align, size_t size, size_t count) {
  size_t offset = (l->end + align - 1) / align * align;
  if (offset < l->end || (count && size > (SIZE_MAX - offset) / count)) {
    l->overflow = true;
    return 0;
  }
  l->end = offset + size * count;
  return offset;
}

/* Whether `model` runs through per-segment variants: its descriptor has no
 * segments, it has a table (model ABI 5 on). A model without segments and
 * without a table runs only on its GPU or NNA plan (kilnc
 * --no-cpu-variant: a variant's sub-model). */
static kiln_status check_variant_model(const kiln_model *model,
                                       const kiln_desc_counts *counts,
                                       bool *has_variants, kiln_error *error) {
  /* An older model's struct ends before variant_table. */
  bool table = model->abi_version >= 5 && model->variant_table;
  bool plans = (model->abi_version >= 3 && model->opencl_plan) ||
               (model->abi_version >= 4 && model->nna_plan);
  *has_variants = table;
  if (counts->num_segments == 0 && !table && !plans)
    return kiln_fail(error, KILN_ERROR_INVALID_MODEL,
                     "descriptor has no segments and the model no variant "
                     "table or device plan (model ABI %u)",
                     model->abi_version);
  if (counts->num_segments != 0 && table)
    return kiln_fail(error, KILN_ERROR_INVALID_MODEL,
                     "the model has a variant table and %zu segments of its "
                     "own (a model with variants runs only through them)",
                     counts->num_segments);
  return KILN_OK;
}

/* kiln_session_create; own_arena false leaves the arena out of the block,
 * for kiln_session_use_arena. */
static kiln_status create_session(const kiln_model *model,
                                  const kiln_session_options *options,
                                  bool own_arena, kiln_session **out_session,
                                  kiln_error *error) {
  if (!out_session)
    return kiln_fail(error, KILN_ERROR_INVALID_ARGUMENT, "out_session is NULL");
  *out_session = NULL;
  /* threads: the calling thread plus threads - 1 workers run the parallel
   * loops of compiled code (KILN_ARG_PARALLEL); 0 means 1, no workers. */
  uint32_t threads = 1;
  bool profile = false;
  uint32_t device = KILN_DEVICE_CPU, fallback = KILN_FALLBACK_NONE;
  const char *cache_dir = NULL;
  if (options) {
    size_t known =
        offsetof(kiln_session_options, threads) + sizeof options->threads;
    if (options->struct_size < known)
      return kiln_fail(error, KILN_ERROR_INVALID_ARGUMENT,
                       "options->struct_size is %u, expected at least %zu",
                       options->struct_size, known);
    if (options->threads > KILN_MAX_THREADS)
      return kiln_fail(error, KILN_ERROR_INVALID_ARGUMENT,
                       "options->threads is %u, at most %u are supported",
                       options->threads, KILN_MAX_THREADS);
    if (options->threads > 0)
      threads = options->threads;
    /* Older callers' options end before profile. */
    if (options->struct_size >=
        offsetof(kiln_session_options, profile) + sizeof options->profile)
      profile = options->profile != 0;
    if (options->struct_size >=
        offsetof(kiln_session_options, cache_dir) + sizeof options->cache_dir) {
      device = options->device;
      fallback = options->fallback;
      cache_dir = options->cache_dir;
      if (device > KILN_DEVICE_NNA || fallback > KILN_FALLBACK_CPU)
        return kiln_fail(error, KILN_ERROR_INVALID_ARGUMENT,
                         "options: device %u or fallback %u is not known",
                         device, fallback);
    }
  }

  kiln_desc_counts counts;
  kiln_status st = kiln_desc_parse(model, &counts, NULL, error);
  if (st != KILN_OK)
    return st;
  bool has_variants;
  if ((st = check_variant_model(model, &counts, &has_variants, error)) !=
      KILN_OK)
    return st;
  if (has_variants && device != KILN_DEVICE_CPU)
    return kiln_fail(error, KILN_ERROR_INVALID_ARGUMENT,
                     "options: device %u: a model with per-segment variants "
                     "picks the device of each segment itself (restrict them "
                     "with kiln_session_set_constraints)",
                     device);
  if (!has_variants && counts.num_segments == 0 && device == KILN_DEVICE_CPU)
    return kiln_fail(error, KILN_ERROR_UNSUPPORTED,
                     "the model has no CPU variant (kilnc --no-cpu-variant): "
                     "run it on the device it was compiled for");
  uint64_t arena_size = own_arena ? counts.arena_size : 0;

  /* The session struct comes first so that destroy can free it. */
  layout l = {sizeof(kiln_session), false};
  size_t inputs_off = layout_add(&l, alignof(kiln_tensor_info),
                                 sizeof(kiln_tensor_info), counts.num_inputs);
  size_t outputs_off = layout_add(&l, alignof(kiln_tensor_info),
                                  sizeof(kiln_tensor_info), counts.num_outputs);
  size_t dims_off =
      layout_add(&l, alignof(int64_t), sizeof(int64_t), counts.total_dims);
  size_t segments_off =
      layout_add(&l, alignof(kiln_desc_segment), sizeof(kiln_desc_segment),
                 counts.num_segments);
  size_t args_off = layout_add(&l, alignof(kiln_desc_arg),
                               sizeof(kiln_desc_arg), counts.total_args);
  size_t argv_off =
      layout_add(&l, alignof(void *), sizeof(void *), counts.total_args);
  size_t layers_off = layout_add(&l, alignof(kiln_layer_profile),
                                 sizeof(kiln_layer_profile), counts.num_layers);
  size_t names_off = layout_add(&l, 1, 1, counts.total_name_bytes);
  size_t end = l.end;
  size_t alignment = counts.arena_alignment > KILN_MIN_ARENA_ALIGNMENT
                         ? counts.arena_alignment
                         : KILN_MIN_ARENA_ALIGNMENT;
  /* malloc only promises max_align_t, so reserve room to align the arena.
   * Objects beyond PTRDIFF_MAX break pointer arithmetic; refuse them here
   * rather than hand malloc a nonsensical size. */
  size_t reserve = alignment - 1;
  size_t limit = (size_t)PTRDIFF_MAX;
  if (l.overflow || end > limit - reserve || arena_size > limit - reserve - end)
    return kiln_fail(error, KILN_ERROR_OUT_OF_MEMORY,
                     "model needs an arena of %llu bytes: too large",
                     (unsigned long long)counts.arena_size);
  size_t total = end + reserve + (size_t)arena_size;
  char *block =
      kiln_fault("KILN_ALLOC_FAULT", "session") ? NULL : malloc(total);
  if (!block)
    return kiln_fail(error, KILN_ERROR_OUT_OF_MEMORY,
                     "cannot allocate %zu bytes for the session (arena %llu "
                     "bytes)",
                     total, (unsigned long long)counts.arena_size);

  kiln_session *s = (kiln_session *)block;
  kiln_desc_storage storage = {
      .inputs = (kiln_tensor_info *)(block + inputs_off),
      .outputs = (kiln_tensor_info *)(block + outputs_off),
      .dims = (int64_t *)(block + dims_off),
      .names = block + names_off,
      .segments = (kiln_desc_segment *)(block + segments_off),
      .args = (kiln_desc_arg *)(block + args_off),
      .argv = (void **)(block + argv_off),
      .layers = (kiln_layer_profile *)(block + layers_off),
  };
  st = kiln_desc_parse(model, &counts, &storage, error);
  kiln_thread_pool *pool = NULL;
  /* A model with variants runs no code of its own: its sub-sessions have
   * the threads. */
  if (st == KILN_OK)
    st = kiln_thread_pool_create(has_variants ? 1 : threads, &pool, error);
  if (st != KILN_OK) {
    free(block);
    return st;
  }
  uintptr_t arena = ((uintptr_t)(block + end) + reserve) & ~(uintptr_t)reserve;
  *s = (kiln_session){
      .num_inputs = counts.num_inputs,
      .num_outputs = counts.num_outputs,
      .num_segments = counts.num_segments,
      .inputs = storage.inputs,
      .outputs = storage.outputs,
      .segments = storage.segments,
      .arena = own_arena ? (void *)arena : NULL,
      .arena_size = (size_t)counts.arena_size,
      .arena_alignment = alignment,
      .memory_bytes = total,
      .pool = pool,
      .profile = profile,
      .profiler = {.run = profile_run, .mark = profile_mark},
      .num_layers = counts.num_layers,
      .layers = storage.layers,
      .current_layer = KILN_LAYER_END,
      /* Without CPU code of its own there is nothing to fall back to. */
      .fallback_to_cpu =
          fallback == KILN_FALLBACK_CPU && counts.num_segments > 0,
  };
  if (has_variants) {
    kiln_vsession_config config = {model,      s->inputs,      s->num_inputs,
                                   s->outputs, s->num_outputs, threads,
                                   profile,    cache_dir};
    st = kiln_vsession_create(&config, &s->variants, error);
    if (st != KILN_OK) {
      kiln_session_destroy(s);
      return st;
    }
  }
  if (device == KILN_DEVICE_GPU || device == KILN_DEVICE_NNA) {
    kiln_error why = {KILN_OK, ""};
    st = device == KILN_DEVICE_GPU ? open_gpu(s, model, cache_dir, &why)
                                   : open_nna(s, model, &why);
    if (st != KILN_OK && !s->fallback_to_cpu) {
      if (error)
        *error = why;
      kiln_session_destroy(s);
      return st;
    }
    if (st != KILN_OK)
      snprintf(s->fallback_reason, sizeof s->fallback_reason, "%s",
               why.message);
  }
  *out_session = s;
  return KILN_OK;
}

kiln_status kiln_session_create(const kiln_model *model,
                                const kiln_session_options *options,
                                kiln_session **out_session, kiln_error *error) {
  return create_session(model, options, true, out_session, error);
}

kiln_status kiln_session_create_without_arena(
    const kiln_model *model, const kiln_session_options *options,
    kiln_session **out_session, kiln_error *error) {
  return create_session(model, options, false, out_session, error);
}

kiln_status kiln_session_use_arena(kiln_session *session, void *arena,
                                   size_t size, kiln_error *error) {
  if (!session)
    return kiln_fail(error, KILN_ERROR_INVALID_ARGUMENT, "session is NULL");
  if (size < session->arena_size || (!arena && session->arena_size) ||
      (uintptr_t)arena % session->arena_alignment != 0)
    return kiln_fail(error, KILN_ERROR_INVALID_ARGUMENT,
                     "arena of %zu bytes at %p: the model needs %zu bytes "
                     "aligned to %zu",
                     size, arena, session->arena_size,
                     session->arena_alignment);
  session->arena = arena;
  return KILN_OK;
}

size_t kiln_session_arena_alignment(const kiln_session *session) {
  return session ? session->arena_alignment : 0;
}

kiln_vsession *kiln_session_variants(const kiln_session *session) {
  return session ? session->variants : NULL;
}

void kiln_session_destroy(kiln_session *session) {
  if (!session)
    return;
  kiln_vsession_destroy(session->variants);
  kiln_opencl_destroy(session->gpu);
  kiln_nna_device_destroy(session->nna);
  kiln_thread_pool_destroy(session->pool);
  /* The session struct sits at offset 0 of its block. */
  free(session);
}

size_t kiln_session_num_inputs(const kiln_session *session) {
  return session ? session->num_inputs : 0;
}

size_t kiln_session_num_outputs(const kiln_session *session) {
  return session ? session->num_outputs : 0;
}

const kiln_tensor_info *kiln_session_input(const kiln_session *session,
                                           size_t index) {
  return session && index < session->num_inputs ? &session->inputs[index]
                                                : NULL;
}

const kiln_tensor_info *kiln_session_output(const kiln_session *session,
                                            size_t index) {
  return session && index < session->num_outputs ? &session->outputs[index]
                                                 : NULL;
}

static int64_t find(const kiln_tensor_info *infos, size_t n, const char *name) {
  if (!name)
    return -1;
  for (size_t i = 0; i < n; ++i)
    if (strcmp(infos[i].name, name) == 0)
      return (int64_t)i;
  return -1;
}

int64_t kiln_session_find_input(const kiln_session *session, const char *name) {
  return session ? find(session->inputs, session->num_inputs, name) : -1;
}

int64_t kiln_session_find_output(const kiln_session *session,
                                 const char *name) {
  return session ? find(session->outputs, session->num_outputs, name) : -1;
}

size_t kiln_session_memory_bytes(const kiln_session *session) {
  if (!session)
    return 0;
  return session->memory_bytes + kiln_vsession_memory_bytes(session->variants);
}

size_t kiln_session_arena_size(const kiln_session *session) {
  if (session && session->variants)
    return kiln_vsession_arena_size(session->variants);
  return session ? session->arena_size : 0;
}

kiln_device kiln_session_device(const kiln_session *session) {
  if (session && session->gpu)
    return KILN_DEVICE_GPU;
  return session && session->nna ? KILN_DEVICE_NNA : KILN_DEVICE_CPU;
}

const char *kiln_session_fallback_reason(const kiln_session *session) {
  return session ? session->fallback_reason : "";
}

kiln_program_source kiln_session_program_source(const kiln_session *session) {
  return session && session->gpu ? session->program_source : KILN_PROGRAM_NONE;
}

kiln_status kiln_session_gpu_tuning(const kiln_session *session,
                                    kiln_gpu_tuning *out, kiln_error *error) {
  if (!session || !out)
    return kiln_fail(error, KILN_ERROR_INVALID_ARGUMENT,
                     "session or out is NULL");
  if (!session->gpu)
    return kiln_fail(error, KILN_ERROR_DEVICE,
                     "the session does not run on the GPU");
  kiln_opencl_tuning(session->gpu, out);
  return KILN_OK;
}

kiln_status kiln_session_tune_gpu(kiln_session *session, kiln_gpu_tuning *out,
                                  kiln_error *error) {
  if (!session || !out)
    return kiln_fail(error, KILN_ERROR_INVALID_ARGUMENT,
                     "session or out is NULL");
  if (!session->gpu)
    return kiln_fail(error, KILN_ERROR_DEVICE,
                     "the session does not run on the GPU");
  return kiln_opencl_tune(session->gpu, out, error);
}

kiln_status kiln_session_nna_info(const kiln_session *session,
                                  kiln_nna_info *out, kiln_error *error) {
  if (!session || !out)
    return kiln_fail(error, KILN_ERROR_INVALID_ARGUMENT,
                     "session or out is NULL");
  if (!session->nna)
    return kiln_fail(error, KILN_ERROR_DEVICE,
                     "the session does not run on the NNA");
  kiln_nna_device_info(session->nna, out);
  return KILN_OK;
}

size_t kiln_session_nna_segments(const kiln_session *session) {
  return session ? kiln_nna_device_segments(session->nna) : 0;
}

const kiln_nna_segment_profile *
kiln_session_nna_segment(const kiln_session *session, size_t index) {
  return session ? kiln_nna_device_segment(session->nna, index) : NULL;
}

size_t kiln_session_num_layers(const kiln_session *session) {
  return session ? session->num_layers : 0;
}

const kiln_layer_profile *kiln_session_layer(const kiln_session *session,
                                             size_t index) {
  return session && index < session->num_layers ? &session->layers[index]
                                                : NULL;
}

uint64_t kiln_session_profiled_runs(const kiln_session *session) {
  return session ? session->profiled_runs : 0;
}

void kiln_session_reset_profile(kiln_session *session) {
  if (!session)
    return;
  for (size_t i = 0; i < session->num_layers; ++i) {
    session->layers[i].total_ns = 0;
    session->layers[i].spans = 0;
  }
  kiln_nna_device_reset_profile(session->nna);
  session->profiled_runs = 0;
}

static kiln_status check_tensor(const kiln_tensor_info *want,
                                const kiln_tensor *got, const char *what,
                                kiln_error *error) {
  if (got->dtype != want->dtype) {
    char a[32], b[32];
    kiln_format_dtype(a, sizeof a, (int)want->dtype);
    kiln_format_dtype(b, sizeof b, (int)got->dtype);
    return kiln_fail(error, KILN_ERROR_DTYPE_MISMATCH,
                     "%s '%s': expected dtype %s, got %s", what, want->name, a,
                     b);
  }
  char expected[160];
  kiln_format_shape(expected, sizeof expected, want->rank, want->dims);
  if (got->rank < 0 || got->rank > KILN_MAX_RANK)
    return kiln_fail(error, KILN_ERROR_SHAPE_MISMATCH,
                     "%s '%s': expected shape %s, got rank %d", what,
                     want->name, expected, (int)got->rank);
  if (got->rank > 0 && !got->dims)
    return kiln_fail(error, KILN_ERROR_INVALID_ARGUMENT,
                     "%s '%s': dims is NULL", what, want->name);
  bool same = got->rank == want->rank;
  for (int32_t i = 0; same && i < got->rank; ++i)
    same = got->dims[i] == want->dims[i];
  if (!same) {
    char actual[160];
    kiln_format_shape(actual, sizeof actual, got->rank, got->dims);
    return kiln_fail(error, KILN_ERROR_SHAPE_MISMATCH,
                     "%s '%s': expected shape %s, got %s", what, want->name,
                     expected, actual);
  }
  if (!got->data && want->size_bytes)
    return kiln_fail(error, KILN_ERROR_INVALID_ARGUMENT,
                     "%s '%s': data is NULL", what, want->name);
  if (got->size_bytes < want->size_bytes)
    return kiln_fail(error, KILN_ERROR_INVALID_ARGUMENT,
                     "%s '%s': buffer holds %zu bytes, needs %zu", what,
                     want->name, got->size_bytes, want->size_bytes);
  return KILN_OK;
}

/* After a failed run on a device: its error, or with the CPU fallback its
 * reason kept and KILN_OK, for the caller to drop the device and redo the
 * run on the CPU, which runs from then on. */
static kiln_status fall_back(kiln_session *session, kiln_status st,
                             const kiln_error *why, kiln_error *error) {
  if (!session->fallback_to_cpu) {
    if (error)
      *error = *why;
    return st;
  }
  snprintf(session->fallback_reason, sizeof session->fallback_reason, "%s",
           why->message);
  return KILN_OK;
}

kiln_status kiln_session_run(kiln_session *session, const kiln_tensor *inputs,
                             size_t num_inputs, kiln_tensor *outputs,
                             size_t num_outputs, kiln_error *error) {
  if (!session)
    return kiln_fail(error, KILN_ERROR_INVALID_ARGUMENT, "session is NULL");
  if (num_inputs != session->num_inputs)
    return kiln_fail(error, KILN_ERROR_INVALID_ARGUMENT,
                     "expected %zu inputs, got %zu", session->num_inputs,
                     num_inputs);
  if (num_outputs != session->num_outputs)
    return kiln_fail(error, KILN_ERROR_INVALID_ARGUMENT,
                     "expected %zu outputs, got %zu", session->num_outputs,
                     num_outputs);
  if ((num_inputs && !inputs) || (num_outputs && !outputs))
    return kiln_fail(error, KILN_ERROR_INVALID_ARGUMENT, "%s array is NULL",
                     num_inputs && !inputs ? "inputs" : "outputs");
  kiln_status st;
  for (size_t i = 0; i < num_inputs; ++i)
    if ((st = check_tensor(&session->inputs[i], &inputs[i], "input", error)) !=
        KILN_OK)
      return st;
  for (size_t i = 0; i < num_outputs; ++i)
    if ((st = check_tensor(&session->outputs[i], &outputs[i], "output",
                           error)) != KILN_OK)
      return st;

  if (session->variants)
    return kiln_vsession_run(session->variants, inputs, outputs, error);
  if (session->gpu) {
    kiln_error why = {KILN_OK, ""};
    st = kiln_opencl_run(session->gpu, inputs, outputs, &why);
    if (st == KILN_OK)
      return KILN_OK;
    if ((st = fall_back(session, st, &why, error)) != KILN_OK)
      return st;
    kiln_opencl_destroy(session->gpu);
    session->gpu = NULL;
  }
  if (session->nna) {
    kiln_error why = {KILN_OK, ""};
    st = kiln_nna_device_run(session->nna, inputs, outputs, &why);
    if (st == KILN_OK) {
      if (session->profile)
        session->profiled_runs++;
      return KILN_OK;
    }
    if ((st = fall_back(session, st, &why, error)) != KILN_OK)
      return st;
    kiln_nna_device_destroy(session->nna);
    session->nna = NULL;
  }
  if (!session->arena && session->arena_size)
    return kiln_fail(error, KILN_ERROR_INVALID_ARGUMENT,
                     "the session has no arena (kiln_session_use_arena)");
  for (size_t s = 0; s < session->num_segments; ++s) {
    kiln_desc_segment *seg = &session->segments[s];
    for (uint32_t a = 0; a < seg->num_args; ++a) {
      const kiln_desc_arg *arg = &seg->args[a];
      switch (arg->kind) {
      case KILN_ARG_INPUT:
        seg->argv[a] = inputs[arg->index].data;
        break;
      case KILN_ARG_OUTPUT:
        seg->argv[a] = outputs[arg->index].data;
        break;
      case KILN_ARG_ARENA:
        seg->argv[a] = session->arena;
        break;
      case KILN_ARG_PARALLEL:
        seg->argv[a] = session->profile
                           ? &session->profiler
                           : kiln_thread_pool_parallel(session->pool);
        break;
      }
    }
    seg->entry(seg->argv);
    /* A segment's code ends its last layer itself; this only guards
     * against a span left open. */
    if (session->profile)
      profile_mark(&session->profiler, KILN_LAYER_END);
  }
  if (session->profile)
    session->profiled_runs++;
  return KILN_OK;
}
