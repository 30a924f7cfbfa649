/* Sessions on models with per-segment variants; see variant_session.h and
 * docs/variants.md.
 *
 * What allocates when. kiln_vsession_create: the parsed table, the border
 * buffers (one block, each value 64-byte aligned), the segments' tensor
 * arrays, the selector's problem and workspace, and the first choice's
 * sub-sessions and shared CPU arena. A selection (set_constraints,
 * reset_devices, load_profile, calibrate, or a run after a device failure)
 * creates the sub-sessions of variants newly chosen, destroys those no
 * longer chosen, and reallocates the shared arena only when a newly chosen
 * CPU variant needs more than it holds. kiln_vsession_run allocates
 * nothing unless a device fails. Calibration allocates its scratch buffers,
 * and the sub-sessions and arenas of variants not chosen, for the call. */
#include "variant_session.h"
#include "error.h"
#include "selector.h"
#include "variants.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ALL_DEVICES ((1u << KILN_SEL_NUM_DEVICES) - 1u)
/* A device mask bit no device has: the selector allows nothing. */
#define NO_DEVICE (1u << KILN_SEL_NUM_DEVICES)
#define NO_VARIANT UINT32_MAX
#define BORDER_ALIGNMENT 64u

/* The estimate model (docs/variants.md). Power: energy = latency x power. */
#define CPU_WATTS_PER_THREAD 1.0
#define GPU_WATTS 2.0
#define NNA_WATTS 0.5
/* Borders are host memory: moving a border into or out of a device costs a
 * fixed time plus a time per byte, each way (the GPU: an OpenCL upload or
 * download; the NNA: (de)quantising on the CPU). The CPU copies nothing.
 * Energy of a border: its per-byte time at TRANSFER_WATTS. */
#define GPU_US_PER_BYTE 0.0002 /* 0.2 ns */
#define GPU_FIXED_US 20.0
#define NNA_US_PER_BYTE 0.0005 /* 0.5 ns */
#define NNA_FIXED_US 5.0
#define TRANSFER_WATTS 1.0

/* Where a value's data is during a run. */
enum { VALUE_INPUT, VALUE_OUTPUT, VALUE_BORDER };

/* KILN_DEVICE_FAULT (fault.h). */
typedef struct device_fault {
  bool on;
  uint32_t device;
  bool create;  /* every sub-session creation on the device fails */
  uint64_t nth; /* else: the nth run on the device fails (1-based) */
  uint64_t runs;
} device_fault;

struct kiln_vsession {
  kiln_variant_table table;
  const kiln_model *model;
  uint32_t threads;
  bool profile;
  char *cache_dir; /* NULL: the environment's */
  size_t num_inputs, num_outputs;
  uint32_t *input_values, *output_values; /* descriptor order -> value */
  /* Per value: VALUE_*, its index among the model's inputs or outputs, and
   * a border's buffer. */
  uint8_t *value_kind;
  uint32_t *value_index;
  void **border_data;
  void *border_block;
  /* Per segment: its inputs then its outputs, from tensor_start[s]. */
  kiln_tensor *tensors;
  size_t *tensor_start;
  size_t max_segment_tensors;
  /* Per variant. */
  kiln_variant_info *infos;
  uint32_t *key; /* the first variant of the same (model, device, threads) */
  kiln_session **subs; /* by key: the live sub-sessions */
  /* The selector. */
  kiln_sel_variant *sel_variants;
  uint64_t *border_bytes;
  kiln_sel_problem problem;
  void *workspace;
  size_t workspace_size;
  uint32_t *choice; /* per segment; NO_VARIANT before the first choice */
  uint32_t *next;
  kiln_sel_result result; /* the choice's totals */
  kiln_sel_constraints want;
  uint32_t want_devices; /* 0: every available device */
  uint32_t available, failed;
  uint32_t binding, exact;
  double select_ms;
  char failure[200]; /* why a device last failed */
  /* The arena the CPU sub-sessions share. */
  void *arena_block;
  void *arena;
  size_t arena_size, arena_alignment;
  uint64_t arena_allocations;
  device_fault fault;
  size_t memory_bytes; /* of the allocations above but the arena, subs */
};

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static const char *device_name(uint32_t device) {
  static const char *const names[] = {"cpu", "gpu", "nna"};
  return device < 3 ? names[device] : "?";
}

/* "cpu, nna"; "none" for an empty mask. */
static const char *device_list(char *buf, size_t size, uint32_t mask) {
  size_t used = 0;
  buf[0] = '\0';
  for (uint32_t d = 0; d < KILN_SEL_NUM_DEVICES && used < size; ++d)
    if (mask & KILN_DEVICE_BIT(d)) {
      int n = snprintf(buf + used, size - used, "%s%s", used ? ", " : "",
                       device_name(d));
      if (n < 0)
        break;
      used += (size_t)n;
    }
  if (!buf[0])
    snprintf(buf, size, "none");
  return buf;
}

/* Zeroed, counted in memory_bytes. */
static void *vs_calloc(kiln_vsession *vs, size_t n, size_t size) {
  if (n == 0)
    n = 1;
  void *p = calloc(n, size);
  if (p)
    vs->memory_bytes += n * size;
  return p;
}

/* KILN_DEVICE_FAULT=<cpu|gpu|nna>:<create|run>[:N]; anything else is
 * ignored. */
static void read_fault(device_fault *f) {
  memset(f, 0, sizeof *f);
  const char *e = getenv("KILN_DEVICE_FAULT");
  if (!e)
    return;
  uint32_t device;
  if (strncmp(e, "cpu:", 4) == 0)
    device = KILN_DEVICE_CPU;
  else if (strncmp(e, "gpu:", 4) == 0)
    device = KILN_DEVICE_GPU;
  else if (strncmp(e, "nna:", 4) == 0)
    device = KILN_DEVICE_NNA;
  else
    return;
  e += 4;
  if (strcmp(e, "create") == 0) {
    *f = (device_fault){true, device, true, 0, 0};
    return;
  }
  if (strncmp(e, "run", 3) != 0)
    return;
  e += 3;
  uint64_t nth = 1;
  if (*e == ':') {
    nth = 0;
    for (++e; *e >= '0' && *e <= '9' && nth < 1000000000u; ++e)
      nth = nth * 10 + (uint64_t)(*e - '0');
    if (nth == 0)
      return;
  }
  if (*e != '\0')
    return;
  *f = (device_fault){true, device, false, nth, 0};
}

/* Whether this run on `device` is the one KILN_DEVICE_FAULT fails. */
static bool fault_run(kiln_vsession *vs, uint32_t device) {
  device_fault *f = &vs->fault;
  if (!f->on || f->create || f->device != device)
    return false;
  return ++f->runs == f->nth;
}

/* ---- The estimate model ------------------------------------------------- */

static double watts(const kiln_vsession *vs, uint32_t v) {
  switch (vs->infos[v].device) {
  case KILN_DEVICE_GPU:
    return GPU_WATTS;
  case KILN_DEVICE_NNA:
    return NNA_WATTS;
  default:
    return CPU_WATTS_PER_THREAD * vs->infos[v].threads;
  }
}

/* Border costs: the estimate model's, or none once latencies are measured
 * (a measured host-to-host time includes its copies). */
static void set_transfers(kiln_vsession *vs, bool measured) {
  static const double per_byte[3] = {0, GPU_US_PER_BYTE, NNA_US_PER_BYTE};
  static const double fixed[3] = {0, GPU_FIXED_US, NNA_FIXED_US};
  for (uint32_t a = 0; a < KILN_SEL_NUM_DEVICES; ++a)
    for (uint32_t b = 0; b < KILN_SEL_NUM_DEVICES; ++b) {
      double t = measured ? 0 : per_byte[a] + per_byte[b];
      vs->problem.transfer_us_per_byte[a][b] = t;
      vs->problem.transfer_fixed_us[a][b] = measured ? 0 : fixed[a] + fixed[b];
      vs->problem.transfer_uj_per_byte[a][b] = t * TRANSFER_WATTS;
    }
}

/* Variant v's latency, estimated or measured. */
static void set_latency(kiln_vsession *vs, uint32_t v, double latency_us,
                        bool measured) {
  double energy = latency_us * watts(vs, v);
  vs->sel_variants[v].latency_us = latency_us;
  /* Finite for the selector, however large the latency. */
  vs->sel_variants[v].energy_uj = isfinite(energy) ? energy : DBL_MAX;
  vs->infos[v].latency_ms = latency_us / 1000.0;
  vs->infos[v].measured = measured;
}

/* ---- Sub-sessions and the shared arena ---------------------------------- */

static const kiln_model *sub_model(const kiln_vsession *vs, uint32_t v) {
  return vs->model->variant_models[vs->table.variants[v].model]();
}

/* Creates variant v's sub-session unless it is live. */
static kiln_status create_sub(kiln_vsession *vs, uint32_t v,
                              kiln_error *error) {
  uint32_t k = vs->key[v];
  if (vs->subs[k])
    return KILN_OK;
  const kiln_variant_info *info = &vs->infos[v];
  if (vs->fault.on && vs->fault.create && vs->fault.device == info->device)
    return kiln_fail(error, KILN_ERROR_DEVICE,
                     "the %s cannot be prepared (KILN_DEVICE_FAULT)",
                     device_name(info->device));
  kiln_session_options options = {sizeof options,     info->threads,
                                  vs->profile,        info->device,
                                  KILN_FALLBACK_NONE, vs->cache_dir};
  return kiln_session_create_without_arena(sub_model(vs, v), &options,
                                           &vs->subs[k], error);
}

/* Destroys the sub-sessions no segment of `choice` runs. */
static void drop_unused(kiln_vsession *vs, const uint32_t *choice) {
  for (uint32_t k = 0; k < vs->table.num_variants; ++k) {
    if (!vs->subs[k])
      continue;
    bool used = false;
    for (uint32_t s = 0; s < vs->table.num_segments && !used; ++s)
      used = choice[s] != NO_VARIANT && vs->key[choice[s]] == k;
    if (!used) {
      kiln_session_destroy(vs->subs[k]);
      vs->subs[k] = NULL;
    }
  }
}

/* An aligned block of `size` bytes: *block is what to free. */
static void *alloc_aligned(size_t size, size_t alignment, void **block) {
  *block = NULL;
  if (size > SIZE_MAX - alignment)
    return NULL;
  *block = malloc(size + alignment - 1);
  if (!*block)
    return NULL;
  uintptr_t p =
      ((uintptr_t)*block + alignment - 1) & ~(uintptr_t)(alignment - 1);
  return (void *)p;
}

/* Gives the CPU sub-sessions of `choice` (all live) the shared arena,
 * reallocating it first when one needs more than it holds. */
static kiln_status share_arena(kiln_vsession *vs, const uint32_t *choice,
                               kiln_error *error) {
  size_t need = 0, alignment = BORDER_ALIGNMENT;
  for (uint32_t s = 0; s < vs->table.num_segments; ++s) {
    const kiln_session *sub = vs->subs[vs->key[choice[s]]];
    if (vs->infos[choice[s]].device != KILN_DEVICE_CPU)
      continue;
    size_t size = kiln_session_arena_size(sub);
    size_t align = kiln_session_arena_alignment(sub);
    need = size > need ? size : need;
    alignment = align > alignment ? align : alignment;
  }
  if (need > vs->arena_size || alignment > vs->arena_alignment) {
    void *block;
    void *arena = alloc_aligned(need, alignment, &block);
    if (!arena) {
      free(block);
      return kiln_fail(error, KILN_ERROR_OUT_OF_MEMORY,
                       "cannot allocate the variants' arena of %zu bytes",
                       need);
    }
    free(vs->arena_block);
    vs->arena_block = block;
    vs->arena = arena;
    vs->arena_size = need;
    vs->arena_alignment = alignment;
    vs->arena_allocations++;
  }
  for (uint32_t s = 0; s < vs->table.num_segments; ++s) {
    kiln_session *sub = vs->subs[vs->key[choice[s]]];
    kiln_status st = KILN_OK;
    if (vs->infos[choice[s]].device == KILN_DEVICE_CPU)
      st = kiln_session_use_arena(sub, vs->arena, vs->arena_size, error);
    if (st != KILN_OK)
      return st;
  }
  return KILN_OK;
}

/* ---- Selection ----------------------------------------------------------- */

/* The most accurate choice's summed error on the devices `allowed`. */
static double least_error(const kiln_vsession *vs, uint32_t allowed) {
  double total = 0;
  for (uint32_t s = 0; s < vs->table.num_segments; ++s) {
    double best = INFINITY;
    for (uint32_t v = 0; v < vs->table.num_variants; ++v)
      if (vs->infos[v].segment == s &&
          (allowed & KILN_DEVICE_BIT(vs->infos[v].device)) &&
          vs->infos[v].error < best)
        best = vs->infos[v].error;
    total += best;
  }
  return total;
}

/* Appends to buf. */
static void append(char *buf, size_t size, const char *fmt, ...)
    KILN_PRINTF(3, 4);
static void append(char *buf, size_t size, const char *fmt, ...) {
  size_t used = strlen(buf);
  if (used + 1 >= size)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf + used, size - used, fmt, ap);
  va_end(ap);
}

/* The message of an infeasible selection under `c`: each binding
 * constraint, with what the best choice without it needs. */
static kiln_status infeasible(kiln_vsession *vs, const kiln_sel_constraints *c,
                              uint32_t binding, kiln_status status,
                              kiln_error *error) {
  char msg[256] = "infeasible: ";
  char a[64], b[64];
  uint32_t allowed = c->allowed_devices & ALL_DEVICES;
  if (binding & KILN_SEL_COMBINATION) {
    append(msg, sizeof msg,
           "no constraint alone is binding, their "
           "combination is (devices %s",
           device_list(a, sizeof a, allowed));
    if (c->memory_budget)
      append(msg, sizeof msg, ", memory budget %llu bytes",
             (unsigned long long)c->memory_budget);
    if (c->latency_target_us > 0)
      append(msg, sizeof msg, ", latency target %.3f ms",
             c->latency_target_us / 1000.0);
    if (c->max_error >= 0)
      append(msg, sizeof msg, ", accuracy floor %g", 1.0 - c->max_error);
    append(msg, sizeof msg, ")");
    return kiln_fail(error, status, "%s", msg);
  }
  const char *sep = "";
  if (binding & KILN_SEL_DEVICES) {
    /* The devices asked for: those left once failed ones are excluded may
     * be none, which says less. */
    append(msg, sizeof msg, "devices %s are binding (failed: %s)",
           device_list(a, sizeof a,
                       vs->want_devices ? vs->want_devices : ALL_DEVICES),
           device_list(b, sizeof b, vs->failed));
    sep = "; ";
  }
  if (binding & KILN_SEL_MEMORY) {
    kiln_sel_constraints drop = *c;
    drop.memory_budget = 0;
    drop.objective = KILN_SEL_MIN_MEMORY;
    kiln_sel_result r = {.choice = vs->next};
    kiln_select(&vs->problem, &drop, vs->workspace, vs->workspace_size, 0, &r);
    append(msg, sizeof msg,
           "%smemory budget %llu bytes is binding (the smallest choice "
           "needs %llu)",
           sep, (unsigned long long)c->memory_budget,
           (unsigned long long)r.memory_bytes);
    sep = "; ";
  }
  if (binding & KILN_SEL_LATENCY) {
    kiln_sel_constraints drop = *c;
    drop.latency_target_us = 0;
    drop.objective = KILN_SEL_MIN_LATENCY;
    kiln_sel_result r = {.choice = vs->next};
    kiln_select(&vs->problem, &drop, vs->workspace, vs->workspace_size, 0, &r);
    append(msg, sizeof msg,
           "%slatency target %.3f ms is binding (the fastest choice takes "
           "%.3f ms)",
           sep, c->latency_target_us / 1000.0, r.latency_us / 1000.0);
    sep = "; ";
  }
  if (binding & KILN_SEL_ERROR)
    append(msg, sizeof msg,
           "%saccuracy floor %g is binding (the most accurate choice reaches "
           "%g)",
           sep, 1.0 - c->max_error, 1.0 - least_error(vs, allowed));
  return kiln_fail(error, status, "%s", msg);
}

/* Selects under the last constraints without the failed devices, creates
 * the sub-sessions the choice needs (a device that cannot create its
 * sub-session is marked failed and the selection redone) and makes it the
 * session's. KILN_ERROR_INFEASIBLE (and its message) when no choice is
 * left: the previous choice stays. */
static kiln_status reselect(kiln_vsession *vs, kiln_error *error) {
  uint32_t S = vs->table.num_segments;
  for (;;) {
    kiln_sel_constraints c = vs->want;
    uint32_t allowed = (vs->want_devices ? vs->want_devices : ALL_DEVICES) &
                       vs->available & ~vs->failed;
    c.allowed_devices = allowed ? allowed : NO_DEVICE;
    kiln_sel_result r = {.choice = vs->next};
    uint64_t start = now_ns();
    kiln_sel_status ss =
        kiln_select(&vs->problem, &c, vs->workspace, vs->workspace_size, 0, &r);
    vs->select_ms = (double)(now_ns() - start) / 1e6;
    /* The constraints were checked: only the problem can be wrong. */
    if (ss == KILN_SEL_INVALID)
      return kiln_fail(error, KILN_ERROR_INVALID_MODEL,
                       "variant table: the selector refuses it (weights and "
                       "arenas too large to add up)");
    if (ss == KILN_SEL_INFEASIBLE) {
      vs->binding = r.binding;
      drop_unused(vs, vs->choice);
      return infeasible(vs, &c, r.binding, KILN_ERROR_INFEASIBLE, error);
    }
    kiln_status st = KILN_OK;
    bool retry = false;
    for (uint32_t s = 0; s < S && st == KILN_OK && !retry; ++s) {
      uint32_t v = vs->next[s];
      kiln_error why = {KILN_OK, ""};
      st = create_sub(vs, v, &why);
      if (st == KILN_ERROR_DEVICE) {
        vs->failed |= KILN_DEVICE_BIT(vs->infos[v].device);
        snprintf(vs->failure, sizeof vs->failure, "%s", why.message);
        st = KILN_OK;
        retry = true;
      } else if (st != KILN_OK) {
        kiln_fail(error, st, "variant %u ('%s'): %s", v, vs->infos[v].label,
                  why.message);
      }
    }
    if (retry)
      continue;
    if (st == KILN_OK)
      st = share_arena(vs, vs->next, error);
    if (st != KILN_OK) {
      drop_unused(vs, vs->choice);
      return st;
    }
    memcpy(vs->choice, vs->next, S * sizeof *vs->choice);
    vs->result = r;
    vs->result.choice = NULL;
    vs->binding = 0;
    vs->exact = r.exact;
    drop_unused(vs, vs->choice);
    return KILN_OK;
  }
}

/* ---- Creation ------------------------------------------------------------ */

static kiln_status out_of_memory(kiln_error *error) {
  return kiln_fail(error, KILN_ERROR_OUT_OF_MEMORY,
                   "cannot allocate the variants' bookkeeping");
}

/* `size` rounded up to BORDER_ALIGNMENT (less than size if it wraps). */
static size_t padded(size_t size) {
  return (size + BORDER_ALIGNMENT - 1) / BORDER_ALIGNMENT * BORDER_ALIGNMENT;
}

/* Border buffers and the segments' tensors. */
static kiln_status lay_out_values(kiln_vsession *vs, kiln_error *error) {
  const kiln_variant_table *t = &vs->table;
  vs->value_kind = vs_calloc(vs, t->num_values, 1);
  vs->value_index = vs_calloc(vs, t->num_values, sizeof(uint32_t));
  vs->border_data = vs_calloc(vs, t->num_values, sizeof(void *));
  if (!vs->value_kind || !vs->value_index || !vs->border_data)
    return out_of_memory(error);
  size_t total = 0;
  for (uint32_t v = 0; v < t->num_values; ++v) {
    vs->value_kind[v] = VALUE_BORDER;
    for (size_t i = 0; i < vs->num_inputs; ++i)
      if (vs->input_values[i] == v) {
        vs->value_kind[v] = VALUE_INPUT;
        vs->value_index[v] = (uint32_t)i;
      }
    for (size_t o = 0; o < vs->num_outputs; ++o)
      if (vs->output_values[o] == v) {
        vs->value_kind[v] = VALUE_OUTPUT;
        vs->value_index[v] = (uint32_t)o;
      }
    if (vs->value_kind[v] != VALUE_BORDER)
      continue;
    size_t size = padded(t->values[v].size_bytes);
    if (size < t->values[v].size_bytes || size > SIZE_MAX - total)
      return kiln_fail(error, KILN_ERROR_OUT_OF_MEMORY,
                       "value '%s' of %zu bytes: the borders are too large",
                       t->values[v].name, t->values[v].size_bytes);
    total += size;
  }
  char *base = alloc_aligned(total, BORDER_ALIGNMENT, &vs->border_block);
  if (!base)
    return kiln_fail(error, KILN_ERROR_OUT_OF_MEMORY,
                     "cannot allocate %zu bytes of border buffers", total);
  vs->memory_bytes += total + BORDER_ALIGNMENT - 1;
  for (uint32_t v = 0; v < t->num_values; ++v)
    if (vs->value_kind[v] == VALUE_BORDER) {
      vs->border_data[v] = base;
      base += padded(t->values[v].size_bytes);
    }

  size_t refs = 0;
  for (uint32_t s = 0; s < t->num_segments; ++s) {
    size_t n = (size_t)t->segments[s].num_inputs + t->segments[s].num_outputs;
    refs += n;
    if (n > vs->max_segment_tensors)
      vs->max_segment_tensors = n;
  }
  vs->tensors = vs_calloc(vs, refs, sizeof(kiln_tensor));
  vs->tensor_start = vs_calloc(vs, t->num_segments, sizeof(size_t));
  if (!vs->tensors || !vs->tensor_start)
    return out_of_memory(error);
  size_t at = 0;
  for (uint32_t s = 0; s < t->num_segments; ++s) {
    const kiln_vt_segment *seg = &t->segments[s];
    vs->tensor_start[s] = at;
    for (uint32_t i = 0; i < seg->num_inputs + seg->num_outputs; ++i) {
      uint32_t v = i < seg->num_inputs ? seg->inputs[i]
                                       : seg->outputs[i - seg->num_inputs];
      const kiln_tensor_info *info = &t->values[v];
      vs->tensors[at++] = (kiln_tensor){info->dtype, info->rank, info->dims,
                                        NULL, info->size_bytes};
    }
  }
  return KILN_OK;
}

/* Variant infos, sub-session keys and the selector's problem. */
static kiln_status build_problem(kiln_vsession *vs, kiln_error *error) {
  const kiln_variant_table *t = &vs->table;
  uint32_t V = t->num_variants, S = t->num_segments;
  vs->infos = vs_calloc(vs, V, sizeof(kiln_variant_info));
  vs->key = vs_calloc(vs, V, sizeof(uint32_t));
  vs->subs = vs_calloc(vs, V, sizeof(kiln_session *));
  vs->sel_variants = vs_calloc(vs, V, sizeof(kiln_sel_variant));
  vs->border_bytes = vs_calloc(vs, (size_t)S + 1, sizeof(uint64_t));
  vs->choice = vs_calloc(vs, S, sizeof(uint32_t));
  vs->next = vs_calloc(vs, S, sizeof(uint32_t));
  if (!vs->infos || !vs->key || !vs->subs || !vs->sel_variants ||
      !vs->border_bytes || !vs->choice || !vs->next)
    return out_of_memory(error);
  for (uint32_t s = 0; s < S; ++s)
    vs->choice[s] = NO_VARIANT;
  for (uint32_t v = 0; v < V; ++v) {
    const kiln_vt_variant *var = &t->variants[v];
    vs->infos[v] = (kiln_variant_info){
        .segment = var->segment,
        .kind = var->kind,
        .device = var->device,
        .threads = var->threads ? var->threads : vs->threads,
        .label = var->label,
        .weights_bytes = var->weights_bytes,
        .arena_bytes = var->arena_bytes,
        .error = var->error,
    };
    vs->key[v] = v;
    for (uint32_t w = 0; w < v; ++w)
      if (t->variants[w].model == var->model &&
          vs->infos[w].device == var->device &&
          vs->infos[w].threads == vs->infos[v].threads) {
        vs->key[v] = w;
        break;
      }
    vs->sel_variants[v] = (kiln_sel_variant){
        .segment = var->segment,
        .device = var->device,
        .weights_bytes = var->weights_bytes,
        .arena_bytes = var->arena_bytes,
        .error = var->error,
    };
    set_latency(vs, v, var->latency_us, false);
  }
  /* Border s: segment s's inputs; border S: the model's outputs. */
  for (uint32_t s = 0; s <= S; ++s) {
    uint64_t bytes = 0;
    size_t n = s < S ? t->segments[s].num_inputs : vs->num_outputs;
    for (size_t i = 0; i < n; ++i) {
      uint32_t v = s < S ? t->segments[s].inputs[i] : vs->output_values[i];
      uint64_t size = t->values[v].size_bytes;
      bytes = size > UINT64_MAX - bytes ? UINT64_MAX : bytes + size;
    }
    vs->border_bytes[s] = bytes;
  }
  vs->problem = (kiln_sel_problem){
      .num_segments = S,
      .variants = vs->sel_variants,
      .num_variants = V,
      .border_bytes = vs->border_bytes,
  };
  set_transfers(vs, false);
  vs->workspace_size = kiln_sel_workspace_size(&vs->problem, 0);
  if (vs->workspace_size == 0)
    return kiln_fail(error, KILN_ERROR_INVALID_MODEL,
                     "variant table: too large for the selector");
  vs->workspace = vs_calloc(vs, vs->workspace_size, 1);
  if (!vs->workspace)
    return out_of_memory(error);
  return KILN_OK;
}

kiln_status kiln_vsession_create(const kiln_vsession_config *config,
                                 kiln_vsession **out, kiln_error *error) {
  *out = NULL;
  kiln_vsession *vs = calloc(1, sizeof *vs);
  if (!vs)
    return out_of_memory(error);
  vs->memory_bytes = sizeof *vs;
  const kiln_model *model = config->model;
  vs->model = model;
  vs->threads = config->threads;
  vs->profile = config->profile;
  vs->num_inputs = config->num_inputs;
  vs->num_outputs = config->num_outputs;
  vs->available =
      KILN_DEVICE_BIT(KILN_DEVICE_CPU) | KILN_DEVICE_BIT(KILN_DEVICE_NNA);
#ifdef KILN_ENABLE_OPENCL
  vs->available |= KILN_DEVICE_BIT(KILN_DEVICE_GPU);
#endif
  vs->want = (kiln_sel_constraints){0, 0, 0, -1, KILN_SEL_MIN_LATENCY};
  read_fault(&vs->fault);
  *out = vs;

  if (config->cache_dir) {
    size_t n = strlen(config->cache_dir) + 1;
    vs->cache_dir = vs_calloc(vs, n, 1);
    if (!vs->cache_dir)
      return out_of_memory(error);
    memcpy(vs->cache_dir, config->cache_dir, n);
  }
  kiln_status st =
      kiln_vt_parse(model->variant_table, model->variant_table_size,
                    model->num_variant_models, &vs->table, error);
  if (st != KILN_OK)
    return st;
  vs->input_values = vs_calloc(vs, vs->num_inputs, sizeof(uint32_t));
  vs->output_values = vs_calloc(vs, vs->num_outputs, sizeof(uint32_t));
  if (!vs->input_values || !vs->output_values)
    return out_of_memory(error);
  if ((st = kiln_vt_check_io(&vs->table, config->inputs, vs->num_inputs,
                             config->outputs, vs->num_outputs, vs->input_values,
                             vs->output_values, error)) != KILN_OK ||
      (st = kiln_vt_check_models(&vs->table, model->variant_models,
                                 model->num_variant_models, error)) !=
          KILN_OK ||
      (st = lay_out_values(vs, error)) != KILN_OK ||
      (st = build_problem(vs, error)) != KILN_OK)
    return st;
  kiln_error why = {KILN_OK, ""};
  st = reselect(vs, &why);
  if (st == KILN_ERROR_INFEASIBLE) {
    char failed[64];
    return kiln_fail(error, KILN_ERROR_DEVICE,
                     "no choice of variants runs on the available devices "
                     "(failed: %s%s%s): %s",
                     device_list(failed, sizeof failed, vs->failed),
                     vs->failure[0] ? ", " : "", vs->failure, why.message);
  }
  if (st != KILN_OK && error)
    *error = why;
  return st;
}

void kiln_vsession_destroy(kiln_vsession *vs) {
  if (!vs)
    return;
  for (uint32_t k = 0; vs->subs && k < vs->table.num_variants; ++k)
    kiln_session_destroy(vs->subs[k]);
  kiln_vt_free(&vs->table);
  free(vs->cache_dir);
  free(vs->input_values);
  free(vs->output_values);
  free(vs->value_kind);
  free(vs->value_index);
  free(vs->border_data);
  free(vs->border_block);
  free(vs->tensors);
  free(vs->tensor_start);
  free(vs->infos);
  free(vs->key);
  free(vs->subs);
  free(vs->sel_variants);
  free(vs->border_bytes);
  free(vs->workspace);
  free(vs->choice);
  free(vs->next);
  free(vs->arena_block);
  free(vs);
}

size_t kiln_vsession_memory_bytes(const kiln_vsession *vs) {
  if (!vs)
    return 0;
  size_t total = vs->memory_bytes;
  if (vs->arena_block)
    total += vs->arena_size + vs->arena_alignment - 1;
  for (uint32_t k = 0; k < vs->table.num_variants; ++k)
    total += kiln_session_memory_bytes(vs->subs[k]);
  return total;
}

size_t kiln_vsession_arena_size(const kiln_vsession *vs) {
  return vs ? vs->arena_size : 0;
}

/* ---- Running ------------------------------------------------------------- */

/* Points segment s's tensors at the model's inputs and outputs and the
 * borders; returns its first tensor. */
static kiln_tensor *bind_segment(kiln_vsession *vs, uint32_t s,
                                 const kiln_tensor *inputs,
                                 const kiln_tensor *outputs) {
  const kiln_vt_segment *seg = &vs->table.segments[s];
  kiln_tensor *t = vs->tensors + vs->tensor_start[s];
  for (uint32_t i = 0; i < seg->num_inputs + seg->num_outputs; ++i) {
    uint32_t v = i < seg->num_inputs ? seg->inputs[i]
                                     : seg->outputs[i - seg->num_inputs];
    switch (vs->value_kind[v]) {
    case VALUE_INPUT:
      t[i].data = inputs[vs->value_index[v]].data;
      break;
    case VALUE_OUTPUT:
      t[i].data = outputs[vs->value_index[v]].data;
      break;
    default:
      t[i].data = vs->border_data[v];
      break;
    }
  }
  return t;
}

/* Runs variant v's live sub-session on `t` (its segment's inputs, then
 * outputs). */
static kiln_status run_variant(kiln_vsession *vs, uint32_t v, kiln_tensor *t,
                               kiln_error *error) {
  const kiln_vt_segment *seg = &vs->table.segments[vs->infos[v].segment];
  if (fault_run(vs, vs->infos[v].device))
    return kiln_fail(error, KILN_ERROR_DEVICE,
                     "the %s failed a run (KILN_DEVICE_FAULT)",
                     device_name(vs->infos[v].device));
  return kiln_session_run(vs->subs[vs->key[v]], t, seg->num_inputs,
                          t + seg->num_inputs, seg->num_outputs, error);
}

kiln_status kiln_vsession_run(kiln_vsession *vs, const kiln_tensor *inputs,
                              kiln_tensor *outputs, kiln_error *error) {
  for (uint32_t s = 0; s < vs->table.num_segments;) {
    uint32_t v = vs->choice[s];
    kiln_tensor *t = bind_segment(vs, s, inputs, outputs);
    kiln_error why = {KILN_OK, ""};
    kiln_status st = run_variant(vs, v, t, &why);
    if (st == KILN_OK) {
      ++s;
      continue;
    }
    const kiln_variant_info *info = &vs->infos[v];
    if (st != KILN_ERROR_DEVICE)
      return kiln_fail(error, st, "segment %u (variant '%s'): %s", s,
                       info->label, why.message);
    /* Exclude the device, re-pick, and go on from this segment: its
     * inputs are intact. */
    vs->failed |= KILN_DEVICE_BIT(info->device);
    snprintf(vs->failure, sizeof vs->failure, "%s", why.message);
    kiln_error pick = {KILN_OK, ""};
    st = reselect(vs, &pick);
    if (st == KILN_ERROR_INFEASIBLE) {
      char failed[64];
      return kiln_fail(error, KILN_ERROR_DEVICE,
                       "segment %u: the %s failed (%s); nothing feasible is "
                       "left without the failed devices (%s): %s",
                       s, device_name(info->device), vs->failure,
                       device_list(failed, sizeof failed, vs->failed),
                       pick.message);
    }
    if (st != KILN_OK) {
      if (error)
        *error = pick;
      return st;
    }
  }
  return KILN_OK;
}

/* ---- The public API of models with variants ------------------------------ */

static kiln_status variants_of(const kiln_session *session, kiln_vsession **vs,
                               kiln_error *error) {
  if (!session)
    return kiln_fail(error, KILN_ERROR_INVALID_ARGUMENT, "session is NULL");
  *vs = kiln_session_variants(session);
  if (!*vs)
    return kiln_fail(error, KILN_ERROR_UNSUPPORTED,
                     "the model has no per-segment variants");
  return KILN_OK;
}

kiln_status kiln_session_set_constraints(kiln_session *session,
                                         const kiln_constraints *constraints,
                                         kiln_error *error) {
  kiln_vsession *vs;
  kiln_status st = variants_of(session, &vs, error);
  if (st != KILN_OK)
    return st;
  kiln_sel_constraints want = {0, 0, 0, -1, KILN_SEL_MIN_LATENCY};
  uint32_t devices = 0;
  const kiln_constraints *c = constraints;
  if (c) {
    size_t known = offsetof(kiln_constraints, objective) + sizeof c->objective;
    if (c->struct_size < known)
      return kiln_fail(error, KILN_ERROR_INVALID_ARGUMENT,
                       "constraints->struct_size is %u, expected at least %zu",
                       c->struct_size, known);
    if (!isfinite(c->latency_target_ms) || c->latency_target_ms < 0)
      return kiln_fail(error, KILN_ERROR_INVALID_ARGUMENT,
                       "constraints: latency_target_ms %g is not a finite "
                       "number >= 0",
                       c->latency_target_ms);
    if (!isfinite(c->accuracy_floor) || c->accuracy_floor < 0 ||
        c->accuracy_floor > 1)
      return kiln_fail(error, KILN_ERROR_INVALID_ARGUMENT,
                       "constraints: accuracy_floor %g is not in [0, 1]",
                       c->accuracy_floor);
    if (c->allowed_devices & ~ALL_DEVICES)
      return kiln_fail(error, KILN_ERROR_INVALID_ARGUMENT,
                       "constraints: allowed_devices 0x%x names devices that "
                       "do not exist (bits 0 cpu, 1 gpu, 2 nna)",
                       c->allowed_devices);
    if (c->objective > KILN_OBJECTIVE_ENERGY)
      return kiln_fail(error, KILN_ERROR_INVALID_ARGUMENT,
                       "constraints: objective %u is not known", c->objective);
    want.memory_budget = c->memory_budget;
    want.latency_target_us = c->latency_target_ms * 1000.0;
    want.max_error = c->accuracy_floor > 0 ? 1.0 - c->accuracy_floor : -1;
    want.objective = c->objective;
    devices = c->allowed_devices;
  }
  kiln_sel_constraints old = vs->want;
  uint32_t old_devices = vs->want_devices;
  vs->want = want;
  vs->want_devices = devices;
  st = reselect(vs, error);
  if (st != KILN_OK) {
    /* The session stays as it was, choice and constraints. */
    vs->want = old;
    vs->want_devices = old_devices;
  }
  return st;
}

size_t kiln_session_num_segments(const kiln_session *session) {
  kiln_vsession *vs = kiln_session_variants(session);
  return vs ? vs->table.num_segments : 0;
}

size_t kiln_session_num_variants(const kiln_session *session) {
  kiln_vsession *vs = kiln_session_variants(session);
  return vs ? vs->table.num_variants : 0;
}

const kiln_variant_info *kiln_session_variant(const kiln_session *session,
                                              size_t index) {
  kiln_vsession *vs = kiln_session_variants(session);
  return vs && index < vs->table.num_variants ? &vs->infos[index] : NULL;
}

kiln_status kiln_session_selection(const kiln_session *session,
                                   kiln_selection *out, kiln_error *error) {
  kiln_vsession *vs;
  kiln_status st = variants_of(session, &vs, error);
  if (st != KILN_OK)
    return st;
  if (!out)
    return kiln_fail(error, KILN_ERROR_INVALID_ARGUMENT, "out is NULL");
  *out = (kiln_selection){
      .variants = vs->choice,
      .latency_ms = vs->result.latency_us / 1000.0,
      .energy_mj = vs->result.energy_uj / 1000.0,
      .memory_bytes = vs->result.memory_bytes,
      .accuracy = 1.0 - vs->result.error,
      .binding = vs->binding,
      .failed_devices = vs->failed,
      .exact = vs->exact,
      .select_ms = vs->select_ms,
  };
  return KILN_OK;
}

kiln_status kiln_session_reset_devices(kiln_session *session,
                                       kiln_error *error) {
  kiln_vsession *vs;
  kiln_status st = variants_of(session, &vs, error);
  if (st != KILN_OK)
    return st;
  vs->failed = 0;
  vs->failure[0] = '\0';
  return reselect(vs, error);
}

uint64_t kiln_session_shared_arena_allocations(const kiln_session *session) {
  kiln_vsession *vs = kiln_session_variants(session);
  return vs ? vs->arena_allocations : 0;
}

kiln_status kiln_session_inject_device_fault(kiln_session *session,
                                             uint32_t device, bool create,
                                             uint64_t nth, kiln_error *error) {
  kiln_vsession *vs;
  kiln_status st = variants_of(session, &vs, error);
  if (st != KILN_OK)
    return st;
  if (device >= KILN_SEL_NUM_DEVICES)
    return kiln_fail(error, KILN_ERROR_INVALID_ARGUMENT,
                     "device %u is not known", device);
  vs->fault = (device_fault){create || nth > 0, device, create, nth, 0};
  return KILN_OK;
}

size_t kiln_session_live_sub_sessions(const kiln_session *session) {
  kiln_vsession *vs = kiln_session_variants(session);
  size_t n = 0;
  for (uint32_t k = 0; vs && k < vs->table.num_variants; ++k)
    n += vs->subs[k] != NULL;
  return n;
}

/* ---- Calibration and profiles -------------------------------------------- */

#define PROFILE_HEADER "kiln-variant-profile 1"
/* Longer lines are refused: a variant's line takes at most 10 + 10 + 64 +
 * a latency's digits. */
#define PROFILE_LINE_MAX 256

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static kiln_status write_profile(const kiln_vsession *vs, const char *path,
                                 kiln_error *error) {
  FILE *f = fopen(path, "w");
  if (!f)
    return kiln_fail(error, KILN_ERROR_INVALID_ARGUMENT,
                     "cannot write profile '%s': %s", path, strerror(errno));
  fprintf(f, "%s\n", PROFILE_HEADER);
  for (uint32_t v = 0; v < vs->table.num_variants; ++v) {
    const kiln_variant_info *info = &vs->infos[v];
    if (info->measured)
      fprintf(f, "%u %u %s %.3f\n", v, info->segment, info->label,
              vs->sel_variants[v].latency_us);
    else
      fprintf(f, "%u %u %s -\n", v, info->segment, info->label);
  }
  fprintf(f, "end\n");
  bool failed = ferror(f) != 0;
  if (fclose(f) != 0 || failed)
    return kiln_fail(error, KILN_ERROR_INVALID_ARGUMENT,
                     "cannot write profile '%s'", path);
  return KILN_OK;
}

/* The measured latencies are the session's now: border transfers cost
 * nothing more (they are inside the times). Re-selects. */
static kiln_status use_measured(kiln_vsession *vs, const double *latency_us,
                                const bool *measured, kiln_error *error) {
  for (uint32_t v = 0; v < vs->table.num_variants; ++v)
    if (measured[v])
      set_latency(vs, v, latency_us[v], true);
  set_transfers(vs, true);
  return reselect(vs, error);
}

kiln_status kiln_session_calibrate(kiln_session *session,
                                   const kiln_tensor *inputs, size_t num_inputs,
                                   uint32_t runs, const char *profile_path,
                                   kiln_error *error) {
  kiln_vsession *vs;
  kiln_status st = variants_of(session, &vs, error);
  if (st != KILN_OK)
    return st;
  if (runs == 0)
    return kiln_fail(error, KILN_ERROR_INVALID_ARGUMENT,
                     "calibrate: runs must be at least 1");
  const kiln_variant_table *t = &vs->table;
  uint32_t V = t->num_variants;
  /* Scratch: the model's outputs, then the largest segment's outputs. */
  size_t outputs_size = 0, scratch_size = 0;
  for (size_t o = 0; o < vs->num_outputs; ++o)
    outputs_size += padded(t->values[vs->output_values[o]].size_bytes);
  for (uint32_t s = 0; s < t->num_segments; ++s) {
    size_t bytes = 0;
    for (uint32_t i = 0; i < t->segments[s].num_outputs; ++i)
      bytes += padded(t->values[t->segments[s].outputs[i]].size_bytes);
    scratch_size = bytes > scratch_size ? bytes : scratch_size;
  }
  void *block = NULL;
  char *scratch = outputs_size > SIZE_MAX - scratch_size
                      ? NULL
                      : alloc_aligned(outputs_size + scratch_size,
                                      BORDER_ALIGNMENT, &block);
  kiln_tensor *model_outputs =
      calloc(vs->num_outputs ? vs->num_outputs : 1, sizeof(kiln_tensor));
  kiln_tensor *tensors =
      calloc(vs->max_segment_tensors ? vs->max_segment_tensors : 1,
             sizeof(kiln_tensor));
  double *samples = calloc(runs, sizeof(double));
  double *latency = calloc(V, sizeof(double));
  bool *measured = calloc(V, sizeof(bool));
  if (!scratch || !model_outputs || !tensors || !samples || !latency ||
      !measured) {
    st = kiln_fail(error, KILN_ERROR_OUT_OF_MEMORY,
                   "calibrate: cannot allocate its buffers");
    goto done;
  }
  size_t at = 0;
  for (size_t o = 0; o < vs->num_outputs; ++o) {
    const kiln_tensor_info *info = &t->values[vs->output_values[o]];
    model_outputs[o] = (kiln_tensor){info->dtype, info->rank, info->dims,
                                     scratch + at, info->size_bytes};
    at += padded(info->size_bytes);
  }
  char *segment_scratch = scratch + outputs_size;
  /* A run with the current choice fills the borders. */
  st = kiln_session_run(session, inputs, num_inputs, model_outputs,
                        vs->num_outputs, error);
  if (st != KILN_OK)
    goto done;

  for (uint32_t v = 0; v < V && st == KILN_OK; ++v) {
    const kiln_variant_info *info = &vs->infos[v];
    uint32_t s = info->segment, k = vs->key[v];
    const kiln_vt_segment *seg = &t->segments[s];
    if (vs->failed & KILN_DEVICE_BIT(info->device))
      continue;
    bool temporary = vs->subs[k] == NULL;
    kiln_error why = {KILN_OK, ""};
    st = create_sub(vs, v, &why);
    if (st == KILN_ERROR_DEVICE) {
      vs->failed |= KILN_DEVICE_BIT(info->device);
      snprintf(vs->failure, sizeof vs->failure, "%s", why.message);
      st = KILN_OK;
      continue;
    }
    if (st != KILN_OK) {
      kiln_fail(error, st, "calibrate: variant %u ('%s'): %s", v, info->label,
                why.message);
      break;
    }
    kiln_session *sub = vs->subs[k];
    void *arena_block = NULL;
    if (temporary && info->device == KILN_DEVICE_CPU) {
      size_t need = kiln_session_arena_size(sub);
      size_t align = kiln_session_arena_alignment(sub);
      void *arena = vs->arena;
      size_t size = vs->arena_size;
      if (need > vs->arena_size || align > vs->arena_alignment) {
        arena = alloc_aligned(need, align, &arena_block);
        size = need;
      }
      st = arena ? kiln_session_use_arena(sub, arena, size, error)
                 : kiln_fail(error, KILN_ERROR_OUT_OF_MEMORY,
                             "calibrate: an arena of %zu bytes", need);
    }
    /* Inputs as in a run, outputs into the scratch. */
    memcpy(tensors, bind_segment(vs, s, inputs, model_outputs),
           ((size_t)seg->num_inputs + seg->num_outputs) * sizeof(kiln_tensor));
    size_t offset = 0;
    for (uint32_t i = 0; i < seg->num_outputs; ++i) {
      kiln_tensor *o = &tensors[seg->num_inputs + i];
      o->data = segment_scratch + offset;
      offset += padded(o->size_bytes);
    }
    uint32_t done_runs = 0;
    for (uint32_t r = 0; r < runs && st == KILN_OK; ++r) {
      uint64_t start = now_ns();
      st = run_variant(vs, v, tensors, &why);
      samples[r] = (double)(now_ns() - start) / 1000.0;
      if (st == KILN_OK)
        done_runs++;
    }
    if (st == KILN_ERROR_DEVICE) {
      vs->failed |= KILN_DEVICE_BIT(info->device);
      snprintf(vs->failure, sizeof vs->failure, "%s", why.message);
      st = KILN_OK;
    } else if (st != KILN_OK && why.status != KILN_OK) {
      kiln_fail(error, st, "calibrate: variant %u ('%s'): %s", v, info->label,
                why.message);
    }
    if (st == KILN_OK && done_runs == runs) {
      qsort(samples, runs, sizeof(double), compare_doubles);
      latency[v] = runs % 2 ? samples[runs / 2]
                            : (samples[runs / 2 - 1] + samples[runs / 2]) / 2;
      measured[v] = true;
    }
    if (temporary) {
      kiln_session_destroy(sub);
      vs->subs[k] = NULL;
    }
    free(arena_block);
  }
  if (st != KILN_OK)
    goto done;
  /* Re-selects, then writes the profile even when the last constraints
   * turn out infeasible with the measured times. */
  st = use_measured(vs, latency, measured, error);
  if (profile_path) {
    kiln_error why = {KILN_OK, ""};
    kiln_status written = write_profile(vs, profile_path, &why);
    if (written != KILN_OK) {
      st = written;
      if (error)
        *error = why;
    }
  }
done:
  free(block);
  free(model_outputs);
  free(tensors);
  free(samples);
  free(latency);
  free(measured);
  return st;
}

/* Reads one line of at most PROFILE_LINE_MAX - 1 bytes into buf without
 * its newline (and a '\r' before it). 1: a line, 0: end of file, -1: too
 * long or holding a NUL byte. */
static int read_line(FILE *f, char *buf) {
  size_t n = 0;
  int c;
  while ((c = getc(f)) != EOF && c != '\n') {
    if (c == '\0' || n + 1 >= PROFILE_LINE_MAX)
      return -1;
    buf[n++] = (char)c;
  }
  if (c == EOF && n == 0)
    return 0;
  if (n && buf[n - 1] == '\r')
    --n;
  buf[n] = '\0';
  return 1;
}

/* Splits `line` at spaces and tabs into at most `max` fields; returns how
 * many it found (max + 1 when there are more). */
static size_t split(char *line, char **fields, size_t max) {
  size_t n = 0;
  char *p = line;
  for (;;) {
    while (*p == ' ' || *p == '\t')
      *p++ = '\0';
    if (!*p)
      return n;
    if (n == max)
      return max + 1;
    fields[n++] = p;
    while (*p && *p != ' ' && *p != '\t')
      ++p;
  }
}

/* A decimal u32 filling the whole field. */
static bool parse_u32(const char *s, uint32_t *out) {
  uint64_t v = 0;
  if (!*s)
    return false;
  for (; *s; ++s) {
    if (*s < '0' || *s > '9')
      return false;
    v = v * 10 + (uint64_t)(*s - '0');
    if (v > UINT32_MAX)
      return false;
  }
  *out = (uint32_t)v;
  return true;
}

static kiln_status bad_line(kiln_error *error, const char *path, unsigned line,
                            const char *fmt, ...) KILN_PRINTF(4, 5);
static kiln_status bad_line(kiln_error *error, const char *path, unsigned line,
                            const char *fmt, ...) {
  char what[160];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  return kiln_fail(error, KILN_ERROR_INVALID_ARGUMENT,
                   "profile '%.64s' line %u: %s", path, line, what);
}

/* The lines of an open profile: the header, one per variant, "end". */
static kiln_status read_profile(const kiln_vsession *vs, FILE *f,
                                const char *path, double *latency,
                                bool *measured, kiln_error *error) {
  char line[PROFILE_LINE_MAX];
  uint32_t V = vs->table.num_variants;
  int got = read_line(f, line);
  if (got < 0)
    return bad_line(error, path, 1, "too long or holding a NUL byte");
  if (got == 0 || strcmp(line, PROFILE_HEADER) != 0)
    return bad_line(error, path, 1, "not '%s' (not a variant profile)",
                    PROFILE_HEADER);
  for (uint32_t v = 0; v <= V; ++v) {
    unsigned n = v + 2;
    got = read_line(f, line);
    if (got < 0)
      return bad_line(error, path, n, "too long or holding a NUL byte");
    if (got == 0)
      return bad_line(error, path, n,
                      "the file ends after %u of the model's %u variants", v,
                      V);
    char *fields[4];
    size_t count = split(line, fields, 4);
    bool end = count == 1 && strcmp(fields[0], "end") == 0;
    if (v == V) {
      if (!end)
        return bad_line(error, path, n,
                        "expected 'end' after the model's %u variants", V);
      break;
    }
    if (end)
      return bad_line(error, path, n,
                      "'end' after %u variants, the model has "
                      "%u",
                      v, V);
    uint32_t index, segment;
    if (count != 4 || !parse_u32(fields[0], &index) ||
        !parse_u32(fields[1], &segment))
      return bad_line(error, path, n,
                      "expected '<index> <segment> <label> <latency_us>'");
    const kiln_variant_info *info = &vs->infos[v];
    if (index != v)
      return bad_line(error, path, n, "variant %u, expected %u", index, v);
    if (segment != info->segment)
      return bad_line(error, path, n,
                      "variant %u is of segment %u, the model's of %u", v,
                      segment, info->segment);
    if (strcmp(fields[2], info->label) != 0)
      return bad_line(error, path, n,
                      "variant %u is '%.64s', the model's is "
                      "'%s'",
                      v, fields[2], info->label);
    if (strcmp(fields[3], "-") == 0)
      continue; /* not measured */
    char *rest;
    double us = strtod(fields[3], &rest);
    if (*rest || rest == fields[3] || !isfinite(us) || us < 0)
      return bad_line(error, path, n,
                      "latency '%.32s' is not a finite number >= 0", fields[3]);
    latency[v] = us;
    measured[v] = true;
  }
  /* Blank lines may follow, nothing else. */
  unsigned n = V + 3;
  while ((got = read_line(f, line)) > 0 && line[strspn(line, " \t")] == '\0')
    ++n;
  if (got != 0)
    return bad_line(error, path, n, "text after 'end'");
  return KILN_OK;
}

kiln_status kiln_session_load_profile(kiln_session *session,
                                      const char *profile_path,
                                      kiln_error *error) {
  kiln_vsession *vs;
  kiln_status st = variants_of(session, &vs, error);
  if (st != KILN_OK)
    return st;
  if (!profile_path)
    return kiln_fail(error, KILN_ERROR_INVALID_ARGUMENT,
                     "profile_path is NULL");
  FILE *f = fopen(profile_path, "r");
  if (!f)
    return kiln_fail(error, KILN_ERROR_INVALID_ARGUMENT,
                     "cannot open profile '%s': %s", profile_path,
                     strerror(errno));
  uint32_t V = vs->table.num_variants;
  double *latency = calloc(V, sizeof(double));
  bool *measured = calloc(V, sizeof(bool));
  if (!latency || !measured)
    st = kiln_fail(error, KILN_ERROR_OUT_OF_MEMORY,
                   "load_profile: cannot allocate");
  else
    st = read_profile(vs, f, profile_path, latency, measured, error);
  fclose(f);
  if (st == KILN_OK)
    st = use_measured(vs, latency, measured, error);
  free(latency);
  free(measured);
  return st;
}
