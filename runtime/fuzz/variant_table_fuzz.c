/* kiln_variant_table_fuzz: untrusted bytes -> kiln_vt_parse, the reader of
 * a model's per-segment variant table (kiln/variants.h, version 1), then,
 * for a table that parses, the checks against a fixed model and a fixed
 * set of sub-models, and a session on it. Like the other targets, each
 * input is tried as is and with its payload size and checksum rewritten to
 * match, so that mutations get past the header.
 *
 * The fixed set (the seeds of make_corpus.py's variant_table_seeds() are
 * written for it): the model x -> y; five sub-models, f32 2x3 each, whose
 * one CPU entry adds a constant through its arena: 0 x -> h (+1), 1 x -> h
 * (+2), 2 h -> y (+100), 3 x -> y (+1000), 4 x -> h (+3) carrying a bogus
 * NNA plan and GPU plan (present, so the table checks accept NNA and GPU
 * variants of it; creating such a sub-session fails on the plan).
 *
 * Checks beyond "no crash, no leak": on failure the message is set. On
 * success: values with names of 1..1024 bytes, unique, a known dtype, rank
 * <= 8, size_bytes = dtype x dims (computed here in 128 bits); producers
 * in range, each value written by at most one segment; segments with
 * inputs before their use and at least one output; variants of a segment
 * in range, a model below 5, a known kind on its device, threads <= 256,
 * finite latency and error >= 0, a label of 1..64 printable bytes; every
 * segment with a variant. When the table also fits the model and the
 * sub-models (and no variant asks for more than 4 threads), a session is
 * created (or fails with a message); a session's
 * choice has one variant of each segment, on the CPU or the NNA, and its
 * run succeeds with y = x + the chosen constants, or fails with a message
 * (a sub-session that cannot be made); a request derived from the input's
 * last bytes succeeds, or is infeasible with a binding set and the choice
 * kept; queries out of range return NULL. */
#include "fuzz_checks.h"
#include "kiln/runtime.h"
#include "kiln/variants.h"
#include "variant_session.h" /* runtime/src */
#include "variants.h"        /* runtime/src */

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

typedef unsigned __int128 u128;

enum { NUM_MODELS = 5, ELEMENTS = 6 };

/* The constant each sub-model adds. */
static const int kAdds[NUM_MODELS] = {1, 2, 100, 1000, 3};

#define DEFINE_ENTRY(C)                                                        \
  static void add_##C(void **args) {                                           \
    const float *in = args[0];                                                 \
    float *out = args[1], *arena = args[2];                                    \
    for (int i = 0; i < ELEMENTS; ++i)                                         \
      arena[i] = in[i] + C;                                                    \
    memcpy(out, arena, ELEMENTS * sizeof(float));                              \
  }
DEFINE_ENTRY(1)
DEFINE_ENTRY(2)
DEFINE_ENTRY(100)
DEFINE_ENTRY(1000)
DEFINE_ENTRY(3)

static const kiln_entry_fn kEntries[NUM_MODELS][1] = {
    {add_1}, {add_2}, {add_100}, {add_1000}, {add_3}};

/* A descriptor (version 4) of one f32 2x3 input and output and one CPU
 * segment calling entry 0 on them and a 64-byte arena; or, with segment
 * false, the model's own (x -> y, no segments). */
typedef struct desc {
  uint8_t bytes[128];
  size_t size;
} desc;

static void put(desc *d, uint64_t v, int n) {
  for (int i = 0; i < n; ++i)
    d->bytes[d->size++] = (uint8_t)(v >> (8 * i));
}

static void put_tensor(desc *d, const char *name) {
  put(d, strlen(name), 2);
  memcpy(d->bytes + d->size, name, strlen(name));
  d->size += strlen(name);
  put(d, KILN_DTYPE_F32, 1);
  put(d, 2, 1);
  put(d, 2, 8);
  put(d, 3, 8);
}

static void make_desc(desc *d, const char *in, const char *out, bool segment) {
  d->size = 16;
  put(d, 1, 4);
  put(d, 1, 4);
  put_tensor(d, in);
  put_tensor(d, out);
  put(d, segment ? 64 : 0, 8); /* arena */
  put(d, 64, 4);               /* alignment */
  put(d, segment ? 1 : 0, 4);
  if (segment) {
    put(d, KILN_DEVICE_CPU, 1);
    put(d, 0, 4); /* entry */
    put(d, 3, 4);
    put(d, KILN_ARG_INPUT, 1);
    put(d, 0, 4);
    put(d, KILN_ARG_OUTPUT, 1);
    put(d, 0, 4);
    put(d, KILN_ARG_ARENA, 1);
    put(d, 0, 4);
  }
  put(d, 0, 4); /* layers */
  size_t payload = d->size - 16;
  uint32_t sum = kiln_fnv1a32(d->bytes + 16, payload);
  size_t end = d->size;
  d->size = 0;
  put(d, KILN_DESCRIPTOR_MAGIC, 4);
  put(d, KILN_DESCRIPTOR_VERSION, 4);
  put(d, payload, 4);
  put(d, sum, 4);
  d->size = end;
}

static desc kSubDescs[NUM_MODELS], kTopDesc;
static kiln_model kSubs[NUM_MODELS];
static const uint8_t kBogusPlan[32] = {1, 2, 3};

#define DEFINE_FN(I)                                                           \
  static const kiln_model *model_##I(void) { return &kSubs[I]; }
DEFINE_FN(0)
DEFINE_FN(1)
DEFINE_FN(2)
DEFINE_FN(3)
DEFINE_FN(4)
static const kiln_model_fn kModelFns[NUM_MODELS] = {model_0, model_1, model_2,
                                                    model_3, model_4};

static void init(void) {
  static bool done;
  if (done)
    return;
  done = true;
  static const char *const io[NUM_MODELS][2] = {
      {"x", "h"}, {"x", "h"}, {"h", "y"}, {"x", "y"}, {"x", "h"}};
  for (int i = 0; i < NUM_MODELS; ++i) {
    make_desc(&kSubDescs[i], io[i][0], io[i][1], true);
    kiln_model *m = &kSubs[i];
    memset(m, 0, sizeof *m);
    m->magic = KILN_MODEL_MAGIC;
    m->abi_version = KILN_MODEL_ABI_VERSION;
    m->descriptor = kSubDescs[i].bytes;
    m->descriptor_size = kSubDescs[i].size;
    m->entries = kEntries[i];
    m->num_entries = 1;
  }
  kSubs[4].opencl_plan = kBogusPlan;
  kSubs[4].opencl_plan_size = sizeof kBogusPlan;
  kSubs[4].nna_plan = kBogusPlan;
  kSubs[4].nna_plan_size = sizeof kBogusPlan;
  make_desc(&kTopDesc, "x", "y", false);
}

static void check_error(kiln_status st, const kiln_error *error) {
  CHECK(st != KILN_OK);
  CHECK(error->status == st);
  CHECK(memchr(error->message, 0, sizeof error->message) != NULL);
  CHECK(error->message[0] != '\0');
}

/* The promises of a table that parsed. */
static void check_table(const kiln_variant_table *t) {
  for (uint32_t v = 0; v < t->num_values; ++v) {
    const kiln_tensor_info *info = &t->values[v];
    size_t len = strlen(info->name);
    CHECK(len >= 1 && len <= KILN_MAX_NAME_LEN);
    for (uint32_t w = 0; w < v; ++w)
      CHECK(strcmp(t->values[w].name, info->name) != 0);
    CHECK(info->rank >= 0 && info->rank <= KILN_MAX_RANK);
    u128 size = kiln_dtype_size((uint32_t)info->dtype);
    CHECK(size != 0);
    for (int32_t i = 0; i < info->rank; ++i) {
      CHECK(info->dims[i] >= 0);
      size *= (u128)info->dims[i];
      CHECK(size <= SIZE_MAX);
    }
    CHECK(size == info->size_bytes);
    CHECK(t->producer[v] >= -1 && t->producer[v] < (int32_t)t->num_segments);
  }
  CHECK(t->num_segments >= 1 && t->num_variants >= 1);
  for (uint32_t s = 0; s < t->num_segments; ++s) {
    const kiln_vt_segment *seg = &t->segments[s];
    CHECK(seg->num_outputs >= 1);
    for (uint32_t i = 0; i < seg->num_inputs; ++i) {
      CHECK(seg->inputs[i] < t->num_values);
      CHECK(t->producer[seg->inputs[i]] < (int32_t)s);
    }
    for (uint32_t i = 0; i < seg->num_outputs; ++i) {
      CHECK(seg->outputs[i] < t->num_values);
      CHECK(t->producer[seg->outputs[i]] == (int32_t)s);
    }
    bool has = false;
    for (uint32_t v = 0; v < t->num_variants; ++v)
      has |= t->variants[v].segment == s;
    CHECK(has);
  }
  for (uint32_t v = 0; v < t->num_variants; ++v) {
    const kiln_vt_variant *x = &t->variants[v];
    CHECK(x->segment < t->num_segments && x->model < NUM_MODELS);
    CHECK(x->kind <= KILN_VARIANT_NNA && x->device <= KILN_DEVICE_NNA);
    CHECK((x->kind <= KILN_VARIANT_PRUNED) == (x->device == KILN_DEVICE_CPU));
    CHECK(x->threads <= 256);
    CHECK(isfinite(x->latency_us) && x->latency_us >= 0);
    CHECK(isfinite(x->error) && x->error >= 0);
    size_t len = strlen(x->label);
    CHECK(len >= 1 && len <= KILN_MAX_VARIANT_LABEL);
    for (size_t i = 0; i < len; ++i)
      CHECK(x->label[i] > ' ' && x->label[i] <= '~');
  }
}

/* The session's choice: a variant of each segment on an allowed device. */
static void check_choice(const kiln_session *s, const kiln_selection *sel,
                         uint32_t allowed) {
  size_t S = kiln_session_num_segments(s);
  for (size_t i = 0; i < S; ++i) {
    const kiln_variant_info *v = kiln_session_variant(s, sel->variants[i]);
    CHECK(v && v->segment == i);
    CHECK(v->device != KILN_DEVICE_GPU); /* no OpenCL in this build */
    CHECK(allowed & KILN_DEVICE_BIT(v->device));
    CHECK(!(sel->failed_devices & KILN_DEVICE_BIT(v->device)));
  }
}

/* A run: y = x + the constants of the chosen sub-models of its segments,
 * in order, or a failure with a message. */
static void run(kiln_session *s, const kiln_variant_table *t) {
  static const int64_t dims[2] = {2, 3};
  float x[ELEMENTS] = {0, 1, 2, 3, 4, 5}, y[ELEMENTS];
  kiln_tensor in = {KILN_DTYPE_F32, 2, dims, x, sizeof x};
  kiln_tensor out = {KILN_DTYPE_F32, 2, dims, y, sizeof y};
  kiln_error error;
  memset(&error, 0, sizeof error);
  kiln_status st = kiln_session_run(s, &in, 1, &out, 1, &error);
  if (st != KILN_OK) {
    check_error(st, &error);
    return;
  }
  kiln_selection sel;
  CHECK(kiln_session_selection(s, &sel, &error) == KILN_OK);
  /* The model is x -> y, so the chain's values are x, maybe h, y. */
  float add = 0;
  for (uint32_t i = 0; i < t->num_segments; ++i) {
    const kiln_vt_variant *v = &t->variants[sel.variants[i]];
    CHECK(v->device == KILN_DEVICE_CPU);
    add += (float)kAdds[v->model];
  }
  for (int i = 0; i < ELEMENTS; ++i)
    CHECK(y[i] == x[i] + add);
}

static void try_session(const uint8_t *data, size_t size,
                        const kiln_variant_table *t) {
  kiln_model top;
  memset(&top, 0, sizeof top);
  top.magic = KILN_MODEL_MAGIC;
  top.abi_version = KILN_MODEL_ABI_VERSION;
  top.descriptor = kTopDesc.bytes;
  top.descriptor_size = kTopDesc.size;
  top.variant_table = data;
  top.variant_table_size = size;
  top.variant_models = kModelFns;
  top.num_variant_models = NUM_MODELS;
  kiln_session *s = NULL;
  kiln_error error;
  memset(&error, 0, sizeof error);
  kiln_status st = kiln_session_create(&top, NULL, &s, &error);
  if (st != KILN_OK) {
    check_error(st, &error);
    CHECK(s == NULL);
    return;
  }
  CHECK(kiln_session_num_segments(s) == t->num_segments);
  CHECK(kiln_session_num_variants(s) == t->num_variants);
  CHECK(kiln_session_variant(s, t->num_variants) == NULL);
  kiln_selection sel;
  CHECK(kiln_session_selection(s, &sel, &error) == KILN_OK);
  check_choice(s, &sel, 7);
  run(s, t);

  /* A request from the last bytes: budget, target, devices, objective. */
  uint8_t b[4] = {0};
  for (size_t i = 0; i < 4 && i < size; ++i)
    b[i] = data[size - 1 - i];
  kiln_constraints c;
  memset(&c, 0, sizeof c);
  c.struct_size = sizeof c;
  c.memory_budget = (uint64_t)b[0] * 64;
  c.latency_target_ms = b[1] / 100.0;
  c.allowed_devices = b[2] & 7;
  c.accuracy_floor = (b[3] & 0xf) / 15.0;
  c.objective = (b[3] >> 4) % 3;
  uint32_t before[64];
  size_t S = t->num_segments < 64 ? t->num_segments : 64;
  CHECK(kiln_session_selection(s, &sel, &error) == KILN_OK);
  memcpy(before, sel.variants, S * sizeof *before);
  st = kiln_session_set_constraints(s, &c, &error);
  CHECK(kiln_session_selection(s, &sel, &error) == KILN_OK);
  if (st == KILN_OK) {
    CHECK(sel.binding == 0);
    check_choice(s, &sel, c.allowed_devices ? c.allowed_devices : 7);
  } else {
    check_error(st, &error);
    if (st == KILN_ERROR_INFEASIBLE) {
      CHECK(sel.binding != 0);
      CHECK(memcmp(before, sel.variants, S * sizeof *before) == 0);
    }
  }
  run(s, t);
  kiln_session_destroy(s);
}

static void try_table(const uint8_t *data, size_t size) {
  init();
  kiln_variant_table t;
  kiln_error error;
  memset(&error, 0, sizeof error);
  kiln_status st = kiln_vt_parse(data, size, NUM_MODELS, &t, &error);
  if (st != KILN_OK) {
    check_error(st, &error);
    kiln_vt_free(&t);
    return;
  }
  check_table(&t);
  static const int64_t dims[2] = {2, 3};
  const kiln_tensor_info in = {"x", KILN_DTYPE_F32, 2, dims, 24};
  const kiln_tensor_info out = {"y", KILN_DTYPE_F32, 2, dims, 24};
  uint32_t in_value, out_value;
  st = kiln_vt_check_io(&t, &in, 1, &out, 1, &in_value, &out_value, &error);
  if (st == KILN_OK)
    st = kiln_vt_check_models(&t, kModelFns, NUM_MODELS, &error);
  /* Sessions whose variants start many threads would make each execution
   * slow: those stop at the checks. */
  bool few_threads = true;
  for (uint32_t v = 0; v < t.num_variants; ++v)
    few_threads &= t.variants[v].threads <= 4;
  if (st != KILN_OK)
    check_error(st, &error);
  else if (few_threads)
    try_session(data, size, &t);
  kiln_vt_free(&t);
  CHECK(t.values == NULL && t.variants == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  try_with_repaired_header(data, size, try_table);
  return 0;
}
