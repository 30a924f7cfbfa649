/* Scenario traces for kiln-run --scenario (docs/variants.md, "Scenario
 * traces"): a sequence of steps, each replacing the constraints of a model
 * with variants and/or changing them with events (a device busy or back, a
 * memory budget, battery saver, a device fault, devices reset), then
 * running the model. This file reads and checks a trace; scenario.c
 * replays it on a session. */
#ifndef KILN_RUN_TRACE_H
#define KILN_RUN_TRACE_H

#include "kiln/runtime.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Limits of a trace beyond the JSON reader's (1 MiB, depth 32). */
#define KILN_TRACE_MAX_STEPS 10000u
#define KILN_TRACE_MAX_EVENTS 64u       /* per step */
#define KILN_TRACE_MAX_NAME 64u         /* bytes of a step's name */
#define KILN_TRACE_MAX_RUNS 100000u     /* model_runs_per_step */

/* Every device (KILN_DEVICE_BIT of cpu, gpu, nna). */
#define KILN_TRACE_ALL_DEVICES 7u

typedef enum kiln_trace_event_kind {
  KILN_TRACE_GPU_BUSY = 0,     /* gpu leaves the allowed devices */
  KILN_TRACE_GPU_FREE,         /* gpu is allowed again */
  KILN_TRACE_NNA_UNAVAILABLE,  /* nna leaves the allowed devices */
  KILN_TRACE_NNA_AVAILABLE,    /* nna is allowed again */
  KILN_TRACE_MEMORY_PRESSURE,  /* memory_pressure:SIZE: the budget */
  KILN_TRACE_BATTERY_SAVER,    /* the objective becomes energy */
  KILN_TRACE_DEVICE_FAULT,     /* device_fault:DEV: its next run fails */
  KILN_TRACE_RESET_DEVICES     /* kiln_session_reset_devices */
} kiln_trace_event_kind;

typedef struct kiln_trace_event {
  kiln_trace_event_kind kind;
  uint64_t bytes;  /* KILN_TRACE_MEMORY_PRESSURE */
  uint32_t device; /* KILN_TRACE_DEVICE_FAULT: kiln_device */
  char *text;      /* as the trace writes it */
} kiln_trace_event;

typedef struct kiln_trace_step {
  char *name;
  bool has_constraints;
  kiln_constraints constraints; /* when has_constraints; struct_size set */
  kiln_trace_event *events;
  size_t num_events;
} kiln_trace_step;

typedef struct kiln_trace {
  uint64_t runs_per_step; /* model_runs_per_step, default 1 */
  kiln_trace_step *steps;
  size_t num_steps;
  uint32_t fault_devices; /* KILN_DEVICE_BIT of the devices faulted */
} kiln_trace;

/* Reads a trace from text[0..size). Returns 0, or -1 with
 * "SOURCE:LINE:COLUMN: where: what" in error (SOURCE is `source`, e.g. the
 * file's name) and *out empty. */
int kiln_trace_parse(const char *text, size_t size, const char *source,
                     kiln_trace *out, char *error, size_t error_size);
/* kiln_trace_parse on a file (at most 1 MiB). */
int kiln_trace_load(const char *path, kiln_trace *out, char *error,
                    size_t error_size);
void kiln_trace_free(kiln_trace *trace);

/* Applies an event that changes constraints to *c (a mask of 0 counts as
 * every device); returns false, leaving *c alone, for the events that act
 * on the session (device_fault, reset_devices). */
bool kiln_trace_apply(const kiln_trace_event *event, kiln_constraints *c);

/* Sizes: decimal bytes with an optional K, M or G (powers of 1024; either
 * case); the whole text, > 0, at most 2^53. */
bool kiln_parse_size(const char *text, uint64_t *out);
/* "cpu", "gpu", "nna" (or "nna-sim") -> kiln_device; false otherwise. */
bool kiln_parse_device(const char *text, size_t length, uint32_t *device);
/* "cpu,nna" -> KILN_DEVICE_BIT mask (non-empty, no repeats); false with a
 * reason in `why` otherwise. */
bool kiln_parse_device_list(const char *text, uint32_t *mask, char *why,
                            size_t why_size);
/* "latency", "memory", "energy" -> kiln_objective. */
bool kiln_parse_objective(const char *text, uint32_t *objective);

const char *kiln_device_short_name(uint32_t device); /* "cpu", "gpu", "nna" */
const char *kiln_objective_name(uint32_t objective);

#ifdef __cplusplus
}
#endif
#endif /* KILN_RUN_TRACE_H */
