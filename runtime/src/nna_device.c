/* The NNA device: the plan's steps in order on one host arena, NNA steps
 * on the simulator, CPU steps through the model's entries. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include "nna_device.h"
#include "error.h"
#include "fault.h"
#include "nna_sim.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef unsigned long long ull;

struct kiln_nna_device {
  kiln_nna_plan plan;
  const kiln_entry_fn *entries;
  kiln_parallel *parallel;
  bool profile;
  /* One zeroed block: the arena, then the CPU arena, each at 64 bytes. */
  unsigned char *block;
  uint8_t *arena;
  void *cpu_arena;
  void **argv;
  kiln_nna_segment_profile *segments;     /* per step */
  kiln_nna_command_profile *command_data; /* every NNA step's commands */
  size_t num_command_data;
};

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static kiln_status alloc_memory(kiln_nna_device *d, kiln_error *error) {
  const kiln_nna_plan *p = &d->plan;
  uint64_t limit = (uint64_t)PTRDIFF_MAX - 128;
  if (p->arena_size > limit || p->cpu_arena_size > limit - p->arena_size)
    return kiln_fail(error, KILN_ERROR_OUT_OF_MEMORY,
                     "NNA: arenas of %llu + %llu bytes: too large",
                     (ull)p->arena_size, (ull)p->cpu_arena_size);
  /* malloc aligns to 16 at least; both arenas want 64. */
  size_t cpu_at = ((size_t)p->arena_size + 63) / 64 * 64;
  size_t total = cpu_at + (size_t)p->cpu_arena_size + 64;
  d->block = kiln_fault("KILN_ALLOC_FAULT", "device") ? NULL : calloc(total, 1);
  if (!d->block)
    return kiln_fail(error, KILN_ERROR_OUT_OF_MEMORY,
                     "NNA: cannot allocate %zu bytes of arenas", total);
  uintptr_t base = ((uintptr_t)d->block + 63) & ~(uintptr_t)63;
  d->arena = (uint8_t *)base;
  d->cpu_arena = (void *)(base + cpu_at);

  uint32_t max_args = 0;
  uint64_t commands = 0;
  for (uint32_t i = 0; i < p->num_steps; ++i) {
    const kiln_nna_step *s = &p->steps[i];
    if (s->kind == KILN_NNA_STEP_CPU && s->num_args > max_args)
      max_args = s->num_args;
    if (s->kind == KILN_NNA_STEP_NNA)
      commands += p->streams[s->stream].num_commands;
  }
  if (commands > SIZE_MAX / sizeof(kiln_nna_command_profile))
    return kiln_fail(error, KILN_ERROR_OUT_OF_MEMORY,
                     "NNA: profiles of %llu commands: too many", (ull)commands);
  d->argv = calloc((size_t)max_args + 2, sizeof(void *));
  d->segments = calloc(p->num_steps, sizeof(kiln_nna_segment_profile));
  d->command_data =
      calloc(commands ? (size_t)commands : 1, sizeof(kiln_nna_command_profile));
  if (!d->argv || !d->segments || !d->command_data)
    return kiln_fail(error, KILN_ERROR_OUT_OF_MEMORY,
                     "NNA: profiles of %u steps", p->num_steps);
  d->num_command_data = (size_t)commands;
  /* What the profile says of each step whether or not it is on. */
  kiln_nna_command_profile *next = d->command_data;
  for (uint32_t i = 0; i < p->num_steps; ++i) {
    const kiln_nna_step *s = &p->steps[i];
    kiln_nna_segment_profile *seg = &d->segments[i];
    if (s->kind == KILN_NNA_STEP_CPU) {
      seg->device = KILN_DEVICE_CPU;
      seg->index = s->entry;
      continue;
    }
    const kiln_nna_stream *stream = &p->streams[s->stream];
    seg->device = KILN_DEVICE_NNA;
    seg->index = s->stream;
    seg->clock_mhz = p->config->clock_mhz;
    seg->num_commands = stream->num_commands;
    seg->commands = next;
    for (uint32_t c = 0; c < stream->num_commands; ++c)
      next[c].opcode = stream->commands[c].opcode;
    next += stream->num_commands;
  }
  return KILN_OK;
}

kiln_status kiln_nna_device_create(kiln_nna_plan *plan, const kiln_model *model,
                                   kiln_parallel *parallel, bool profile,
                                   kiln_nna_device **out, kiln_error *error) {
  *out = NULL;
  kiln_nna_device *d = calloc(1, sizeof *d);
  if (!d) {
    kiln_nna_plan_free(plan);
    return kiln_fail(error, KILN_ERROR_OUT_OF_MEMORY, "NNA: session");
  }
  d->plan = *plan;
  memset(plan, 0, sizeof *plan);
  d->entries = model->entries;
  d->parallel = parallel;
  d->profile = profile;
  kiln_status st = KILN_OK;
  /* The descriptor parser checks its segments' entries; the plan's CPU
   * steps may call others. */
  for (uint32_t i = 0; i < d->plan.num_steps && st == KILN_OK; ++i)
    if (d->plan.steps[i].kind == KILN_NNA_STEP_CPU &&
        !model->entries[d->plan.steps[i].entry])
      st = kiln_fail(error, KILN_ERROR_INVALID_MODEL,
                     "NNA plan: step %u calls entry %u, which is NULL", i,
                     d->plan.steps[i].entry);
  if (st == KILN_OK)
    st = alloc_memory(d, error);
  if (st != KILN_OK) {
    kiln_nna_device_destroy(d);
    return st;
  }
  *out = d;
  return KILN_OK;
}

/* Host memory of a ref (the plan parser checked its bounds). */
static void *host_of(kiln_nna_device *d, const kiln_nna_ref *ref,
                     const kiln_tensor *inputs, kiln_tensor *outputs) {
  switch (ref->kind) {
  case KILN_NNA_REF_INPUT:
    return inputs[ref->index].data;
  case KILN_NNA_REF_OUTPUT:
    return outputs[ref->index].data;
  default:
    return d->arena + ref->index;
  }
}

static kiln_status run_nna(kiln_nna_device *d, uint32_t index,
                           kiln_error *error) {
  const kiln_nna_step *s = &d->plan.steps[index];
  kiln_nna_report report;
  kiln_error why = {KILN_OK, ""};
  kiln_status st = kiln_nna_simulate(&d->plan.streams[s->stream], d->arena,
                                     d->plan.arena_size, &report, &why);
  if (st != KILN_OK)
    return kiln_fail(error, st, "NNA step %u (stream %u): %s", index, s->stream,
                     why.message);
  if (d->profile) {
    kiln_nna_segment_profile *seg = &d->segments[index];
    /* The segment's commands are this device's own, seg->commands is
     * only const to the caller. */
    kiln_nna_command_profile *commands =
        d->command_data + (seg->commands - d->command_data);
    seg->cycles += report.cycles;
    seg->dram_read += report.dram_read;
    seg->dram_written += report.dram_written;
    for (uint32_t c = 0; c < report.num_commands; ++c) {
      commands[c].cycles += report.commands[c].cycles;
      commands[c].dram_read += report.commands[c].dram_read;
      commands[c].dram_written += report.commands[c].dram_written;
    }
  }
  kiln_nna_report_free(&report);
  return KILN_OK;
}

static void run_cpu(kiln_nna_device *d, uint32_t index,
                    const kiln_tensor *inputs, kiln_tensor *outputs) {
  const kiln_nna_step *s = &d->plan.steps[index];
  uint32_t n = 0;
  for (; n < s->num_args; ++n)
    d->argv[n] = host_of(d, &s->args[n], inputs, outputs);
  d->argv[n++] = d->cpu_arena;
  if (s->parallel)
    d->argv[n] = d->parallel;
  d->entries[s->entry](d->argv);
}

kiln_status kiln_nna_device_run(kiln_nna_device *d, const kiln_tensor *inputs,
                                kiln_tensor *outputs, kiln_error *error) {
  for (uint32_t i = 0; i < d->plan.num_steps; ++i) {
    uint64_t start = d->profile ? now_ns() : 0;
    if (d->plan.steps[i].kind == KILN_NNA_STEP_NNA) {
      kiln_status st = run_nna(d, i, error);
      if (st != KILN_OK)
        return st;
    } else {
      run_cpu(d, i, inputs, outputs);
    }
    if (d->profile) {
      d->segments[i].host_ns += now_ns() - start;
      d->segments[i].runs++;
    }
  }
  return KILN_OK;
}

void kiln_nna_device_info(const kiln_nna_device *d, kiln_nna_info *out) {
  const kiln_nna_plan *p = &d->plan;
  *out = (kiln_nna_info){.config = p->config->id,
                         .config_name = p->config->name,
                         .clock_mhz = p->config->clock_mhz,
                         .num_streams = p->num_streams,
                         .num_steps = p->num_steps,
                         .arena_size = p->arena_size,
                         .cpu_arena_size = p->cpu_arena_size};
}

size_t kiln_nna_device_segments(const kiln_nna_device *d) {
  return d ? d->plan.num_steps : 0;
}

const kiln_nna_segment_profile *
kiln_nna_device_segment(const kiln_nna_device *d, size_t index) {
  return d && index < d->plan.num_steps ? &d->segments[index] : NULL;
}

void kiln_nna_device_reset_profile(kiln_nna_device *d) {
  if (!d)
    return;
  for (uint32_t i = 0; i < d->plan.num_steps; ++i) {
    kiln_nna_segment_profile *seg = &d->segments[i];
    seg->runs = seg->host_ns = seg->cycles = 0;
    seg->dram_read = seg->dram_written = 0;
  }
  for (size_t c = 0; c < d->num_command_data; ++c) {
    d->command_data[c].cycles = 0;
    d->command_data[c].dram_read = d->command_data[c].dram_written = 0;
  }
}

void kiln_nna_device_destroy(kiln_nna_device *d) {
  if (!d)
    return;
  kiln_nna_plan_free(&d->plan);
  free(d->block);
  free(d->argv);
  free(d->segments);
  free(d->command_data);
  free(d);
}
