/* kiln_nna_plan_fuzz: untrusted bytes -> kiln_nna_plan_parse, the reader of
 * a model's NNA variant (kiln/nna_plan.h, version 1), checked against a
 * fixed signature (inputs a, b and output out: f32 2x3, 24 bytes each) and
 * a model of 7 CPU entries (as the unit tests' NNA model has), then, for
 * small plans, the NNA device on it. Like the other targets, each input is
 * tried as is and with its payload size and checksum rewritten to match,
 * so that mutations get past the header. Beyond "no crash, no leak": on
 * failure the message is set. On success there is at least one step; the
 * config is known and every stream is of it, with its region 1 inside the
 * plan's arena and its constants inside the input; every NNA step runs one
 * of the streams; every CPU step calls an entry below 7 with parallel 0 or
 * 1, and each argument lies inside its tensor (INPUT, OUTPUT: at most 24
 * bytes) or the arena (computed here in 128 bits), of no other kind; some
 * CPU step writes the output. When the arenas take at most 1 MiB and the
 * NNA steps' work (MACs, window taps, elements and DMA bytes, as the
 * nna_stream target counts it) is at most 2^22, the device runs the plan
 * once with profiling, its entries no-ops that count their calls: the run
 * succeeds, with every CPU step called once and a profile of one run per
 * step whose NNA steps' commands are their stream's and add up to the
 * step's DRAM bytes, and whose span is at most the commands' cycles; or it
 * fails on a per-channel shift. */
#include "fuzz_checks.h"
#include "kiln/nna_plan.h"
#include "kiln/nna_stream.h"
#include "nna_device.h" /* runtime/src */
#include "nna_plan.h"   /* runtime/src */
#include "nna_work.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned __int128 u128;

enum { NUM_INPUTS = 2, NUM_OUTPUTS = 1, NUM_ENTRIES = 7, TENSOR_BYTES = 24 };

static int calls;
static void entry(void **args) {
  (void)args;
  ++calls;
}

static void check_ref(const kiln_nna_plan *plan, const kiln_nna_ref *ref) {
  switch (ref->kind) {
  case KILN_NNA_REF_INPUT:
    CHECK(ref->index < NUM_INPUTS && ref->size <= TENSOR_BYTES);
    break;
  case KILN_NNA_REF_OUTPUT:
    CHECK(ref->index < NUM_OUTPUTS && ref->size <= TENSOR_BYTES);
    break;
  case KILN_NNA_REF_ARENA:
    CHECK((u128)ref->index + ref->size <= plan->arena_size);
    break;
  default:
    CHECK(!"a ref of unknown kind");
  }
}

static void check_plan(const kiln_nna_plan *plan, const uint8_t *data,
                       size_t size) {
  CHECK(plan->config && plan->config->id < KILN_NNA_NUM_CONFIGS);
  CHECK(plan->num_steps > 0 && plan->steps);
  for (uint32_t i = 0; i < plan->num_streams; ++i) {
    const kiln_nna_stream *s = &plan->streams[i];
    CHECK(s->config && s->config->id == plan->config->id);
    CHECK(s->arena_size <= plan->arena_size);
    CHECK(s->constants >= data &&
          (u128)(s->constants - data) + s->const_size <= size);
  }
  bool written = false;
  for (uint32_t i = 0; i < plan->num_steps; ++i) {
    const kiln_nna_step *s = &plan->steps[i];
    if (s->kind == KILN_NNA_STEP_NNA) {
      CHECK(s->stream < plan->num_streams);
      continue;
    }
    CHECK(s->kind == KILN_NNA_STEP_CPU);
    CHECK(s->entry < NUM_ENTRIES);
    CHECK(s->num_args == 0 || s->args);
    for (uint32_t a = 0; a < s->num_args; ++a) {
      check_ref(plan, &s->args[a]);
      written |= s->args[a].kind == KILN_NNA_REF_OUTPUT;
    }
  }
  CHECK(written);
}

/* Runs the plan once on the device (which takes it) and checks the run and
 * its profile. */
static void run(kiln_nna_plan *plan) {
  static const kiln_entry_fn entries[NUM_ENTRIES] = {entry, entry, entry, entry,
                                                     entry, entry, entry};
  kiln_model model;
  memset(&model, 0, sizeof model);
  model.entries = entries;
  model.num_entries = NUM_ENTRIES;
  kiln_parallel parallel = {NULL, NULL};
  uint32_t cpu_steps = 0;
  for (uint32_t i = 0; i < plan->num_steps; ++i)
    cpu_steps += plan->steps[i].kind == KILN_NNA_STEP_CPU;
  /* Kept for the checks: the device owns the plan from here. */
  kiln_nna_stream *streams = plan->streams;
  kiln_nna_step *steps = plan->steps;
  kiln_nna_device *d;
  kiln_error error;
  memset(&error, 0, sizeof error);
  kiln_status st =
      kiln_nna_device_create(plan, &model, &parallel, true, &d, &error);
  if (st != KILN_OK) {
    CHECK(st == KILN_ERROR_OUT_OF_MEMORY && error.message[0]);
    return;
  }
  static const int64_t dims[2] = {2, 3};
  float a[6] = {0}, b[6] = {0}, out[6] = {0};
  kiln_tensor in[NUM_INPUTS] = {{KILN_DTYPE_F32, 2, dims, a, TENSOR_BYTES},
                                {KILN_DTYPE_F32, 2, dims, b, TENSOR_BYTES}};
  kiln_tensor o[NUM_OUTPUTS] = {{KILN_DTYPE_F32, 2, dims, out, TENSOR_BYTES}};
  calls = 0;
  st = kiln_nna_device_run(d, in, o, &error);
  if (st != KILN_OK) {
    CHECK(error.status == st && strstr(error.message, "shift") != NULL);
  } else {
    CHECK((uint32_t)calls == cpu_steps);
    size_t n = kiln_nna_device_segments(d);
    CHECK(kiln_nna_device_segment(d, n) == NULL);
    for (size_t i = 0; i < n; ++i) {
      const kiln_nna_segment_profile *seg = kiln_nna_device_segment(d, i);
      CHECK(seg && seg->runs == 1);
      if (steps[i].kind == KILN_NNA_STEP_CPU) {
        CHECK(seg->device == KILN_DEVICE_CPU && seg->index == steps[i].entry);
        CHECK(!seg->commands && !seg->cycles && !seg->dram_read);
        continue;
      }
      const kiln_nna_stream *s = &streams[steps[i].stream];
      CHECK(seg->device == KILN_DEVICE_NNA && seg->index == steps[i].stream);
      CHECK(seg->num_commands == s->num_commands);
      CHECK(seg->clock_mhz == s->config->clock_mhz);
      uint64_t cycles = 0, read = 0, written = 0;
      for (uint32_t c = 0; c < seg->num_commands; ++c) {
        CHECK(seg->commands[c].opcode == s->commands[c].opcode);
        cycles += seg->commands[c].cycles;
        read += seg->commands[c].dram_read;
        written += seg->commands[c].dram_written;
      }
      CHECK(seg->cycles <= cycles);
      CHECK(seg->dram_read == read && seg->dram_written == written);
    }
  }
  kiln_nna_device_destroy(d);
}

static void try_plan(const uint8_t *data, size_t size) {
  static const int64_t dims[2] = {2, 3};
  kiln_tensor_info in[NUM_INPUTS] = {
      {"a", KILN_DTYPE_F32, 2, dims, TENSOR_BYTES},
      {"b", KILN_DTYPE_F32, 2, dims, TENSOR_BYTES}};
  kiln_tensor_info out[NUM_OUTPUTS] = {
      {"out", KILN_DTYPE_F32, 2, dims, TENSOR_BYTES}};
  kiln_nna_plan plan;
  kiln_error error;
  memset(&error, 0, sizeof error);
  kiln_status st = kiln_nna_plan_parse(data, size, in, NUM_INPUTS, out,
                                       NUM_OUTPUTS, NUM_ENTRIES, &plan, &error);
  if (st != KILN_OK) {
    CHECK(error.status == st && error.message[0] != '\0');
    kiln_nna_plan_free(&plan);
    return;
  }
  check_plan(&plan, data, size);
  uint64_t total = 0;
  for (uint32_t i = 0; i < plan.num_steps && total <= (1u << 22); ++i)
    if (plan.steps[i].kind == KILN_NNA_STEP_NNA)
      total += nna_stream_work(&plan.streams[plan.steps[i].stream]) + 1;
  if (plan.arena_size <= (1u << 20) && plan.cpu_arena_size <= (1u << 20) &&
      total <= (1u << 22))
    run(&plan);
  kiln_nna_plan_free(&plan);
  CHECK(plan.streams == NULL && plan.steps == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  _Static_assert(KILN_NNA_PLAN_HEADER_SIZE == 24,
                 "the shared repair knows a 24-byte header");
  try_with_repaired_header(data, size, try_plan);
  return 0;
}
