#include "trace.h"

#include "json.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Sizes and byte counts stay exact in a double (JSON numbers). */
#define MAX_SIZE ((uint64_t)1 << 53)

typedef struct reader {
  const char *source;
  char *error;
  size_t error_size;
} reader;

/* "SOURCE:LINE:COLUMN: PATH: what" at value v. */
static int fail_at(const reader *r, const kiln_json_value *v, const char *path,
                   const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static int fail_at(const reader *r, const kiln_json_value *v, const char *path,
                   const char *fmt, ...) {
  if (!r->error || r->error_size == 0)
    return -1;
  int n = snprintf(r->error, r->error_size, "%s:%u:%u: %s: ", r->source,
                   v->line, v->column, path);
  if (n < 0 || (size_t)n >= r->error_size)
    return -1;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->error + n, r->error_size - (size_t)n, fmt, ap);
  va_end(ap);
  return -1;
}

static char *copy_string(const char *s) {
  size_t n = strlen(s) + 1;
  char *out = malloc(n);
  if (out)
    memcpy(out, s, n);
  return out;
}

bool kiln_parse_size(const char *text, uint64_t *out) {
  if (!text || !*text)
    return false;
  uint64_t v = 0;
  const char *p = text;
  for (; *p >= '0' && *p <= '9'; ++p) {
    v = v * 10 + (uint64_t)(*p - '0');
    if (v > MAX_SIZE)
      return false;
  }
  if (p == text)
    return false;
  unsigned shift = 0;
  if (*p == 'K' || *p == 'k')
    shift = 10;
  else if (*p == 'M' || *p == 'm')
    shift = 20;
  else if (*p == 'G' || *p == 'g')
    shift = 30;
  if (shift)
    ++p;
  if (*p || v == 0 || v > MAX_SIZE >> shift)
    return false;
  *out = v << shift;
  return true;
}

bool kiln_parse_device(const char *text, size_t length, uint32_t *device) {
  if (length == 3 && memcmp(text, "cpu", 3) == 0)
    *device = KILN_DEVICE_CPU;
  else if (length == 3 && memcmp(text, "gpu", 3) == 0)
    *device = KILN_DEVICE_GPU;
  else if ((length == 3 && memcmp(text, "nna", 3) == 0) ||
           (length == 7 && memcmp(text, "nna-sim", 7) == 0))
    *device = KILN_DEVICE_NNA;
  else
    return false;
  return true;
}

bool kiln_parse_device_list(const char *text, uint32_t *mask, char *why,
                            size_t why_size) {
  uint32_t m = 0;
  const char *p = text;
  for (;;) {
    const char *end = strchr(p, ',');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    uint32_t device;
    if (!kiln_parse_device(p, n, &device)) {
      snprintf(why, why_size, "'%.*s' is not a device (cpu, gpu, nna)",
               (int)(n < 32 ? n : 32), p);
      return false;
    }
    if (m & KILN_DEVICE_BIT(device)) {
      snprintf(why, why_size, "'%.*s' is listed twice", (int)n, p);
      return false;
    }
    m |= KILN_DEVICE_BIT(device);
    if (!end)
      break;
    p = end + 1;
  }
  *mask = m;
  return true;
}

bool kiln_parse_objective(const char *text, uint32_t *objective) {
  if (strcmp(text, "latency") == 0)
    *objective = KILN_OBJECTIVE_LATENCY;
  else if (strcmp(text, "memory") == 0)
    *objective = KILN_OBJECTIVE_MEMORY;
  else if (strcmp(text, "energy") == 0)
    *objective = KILN_OBJECTIVE_ENERGY;
  else
    return false;
  return true;
}

const char *kiln_device_short_name(uint32_t device) {
  static const char *const names[] = {"cpu", "gpu", "nna"};
  return device < 3 ? names[device] : "?";
}

const char *kiln_objective_name(uint32_t objective) {
  static const char *const names[] = {"latency", "memory", "energy"};
  return objective < 3 ? names[objective] : "?";
}

bool kiln_trace_apply(const kiln_trace_event *event, kiln_constraints *c) {
  uint32_t all = c->allowed_devices ? c->allowed_devices
                                    : KILN_TRACE_ALL_DEVICES;
  switch (event->kind) {
  case KILN_TRACE_GPU_BUSY:
    c->allowed_devices = all & ~KILN_DEVICE_BIT(KILN_DEVICE_GPU);
    return true;
  case KILN_TRACE_GPU_FREE:
    c->allowed_devices = all | KILN_DEVICE_BIT(KILN_DEVICE_GPU);
    return true;
  case KILN_TRACE_NNA_UNAVAILABLE:
    c->allowed_devices = all & ~KILN_DEVICE_BIT(KILN_DEVICE_NNA);
    return true;
  case KILN_TRACE_NNA_AVAILABLE:
    c->allowed_devices = all | KILN_DEVICE_BIT(KILN_DEVICE_NNA);
    return true;
  case KILN_TRACE_MEMORY_PRESSURE:
    c->memory_budget = event->bytes;
    return true;
  case KILN_TRACE_BATTERY_SAVER:
    c->objective = KILN_OBJECTIVE_ENERGY;
    return true;
  case KILN_TRACE_DEVICE_FAULT:
  case KILN_TRACE_RESET_DEVICES:
    return false;
  }
  return false;
}

/* Refuses members of object v not in `known` (a NULL-terminated list). */
static int check_members(const reader *r, const kiln_json_value *v,
                         const char *path, const char *const *known,
                         const char *list) {
  for (size_t i = 0; i < v->count; ++i) {
    bool ok = false;
    for (const char *const *k = known; *k && !ok; ++k)
      ok = strcmp(v->keys[i], *k) == 0;
    if (!ok)
      return fail_at(r, &v->items[i], path,
                     "unknown field \"%s\" (known: %s)", v->keys[i], list);
  }
  return 0;
}

static int expect_type(const reader *r, const kiln_json_value *v,
                       const char *path, kiln_json_type type) {
  if (v->type == type)
    return 0;
  return fail_at(r, v, path, "expected %s %s, got %s",
                 type == KILN_JSON_ARRAY || type == KILN_JSON_OBJECT ? "an"
                                                                     : "a",
                 kiln_json_type_name(type), kiln_json_type_name(v->type));
}

/* A size: a string like "8M" or a whole number of bytes. */
static int read_size(const reader *r, const kiln_json_value *v,
                     const char *path, uint64_t *out) {
  if (v->type == KILN_JSON_STRING) {
    if (kiln_parse_size(v->string, out))
      return 0;
    return fail_at(r, v, path,
                   "expected a size > 0 such as \"512K\", \"8M\" or \"1G\", "
                   "got \"%s\"",
                   v->string);
  }
  if (v->type == KILN_JSON_NUMBER && v->number >= 1 &&
      v->number <= (double)MAX_SIZE && floor(v->number) == v->number) {
    *out = (uint64_t)v->number;
    return 0;
  }
  return fail_at(r, v, path,
                 "expected a size > 0: a whole number of bytes, or a string "
                 "such as \"8M\"");
}

static int read_constraints(const reader *r, const kiln_json_value *v,
                            const char *path, kiln_constraints *c) {
  static const char *const known[] = {"memory_budget", "latency_target_ms",
                                      "allowed_devices", "accuracy_floor",
                                      "objective", NULL};
  char sub[96];
  if (expect_type(r, v, path, KILN_JSON_OBJECT) ||
      check_members(r, v, path, known,
                    "memory_budget, latency_target_ms, allowed_devices, "
                    "accuracy_floor, objective"))
    return -1;
  *c = (kiln_constraints){.struct_size = sizeof *c};
  const kiln_json_value *m;
  if ((m = kiln_json_get(v, "memory_budget"))) {
    snprintf(sub, sizeof sub, "%s.memory_budget", path);
    if (read_size(r, m, sub, &c->memory_budget))
      return -1;
  }
  if ((m = kiln_json_get(v, "latency_target_ms"))) {
    snprintf(sub, sizeof sub, "%s.latency_target_ms", path);
    if (m->type != KILN_JSON_NUMBER || !(m->number > 0))
      return fail_at(r, m, sub, "expected a number of milliseconds > 0");
    c->latency_target_ms = m->number;
  }
  if ((m = kiln_json_get(v, "accuracy_floor"))) {
    snprintf(sub, sizeof sub, "%s.accuracy_floor", path);
    if (m->type != KILN_JSON_NUMBER || !(m->number > 0 && m->number <= 1))
      return fail_at(r, m, sub, "expected a number in (0, 1]");
    c->accuracy_floor = m->number;
  }
  if ((m = kiln_json_get(v, "objective"))) {
    snprintf(sub, sizeof sub, "%s.objective", path);
    if (m->type != KILN_JSON_STRING || !kiln_parse_objective(m->string,
                                                             &c->objective))
      return fail_at(r, m, sub,
                     "expected \"latency\", \"memory\" or \"energy\"");
  }
  if ((m = kiln_json_get(v, "allowed_devices"))) {
    snprintf(sub, sizeof sub, "%s.allowed_devices", path);
    if (expect_type(r, m, sub, KILN_JSON_ARRAY))
      return -1;
    if (m->count == 0)
      return fail_at(r, m, sub,
                     "no device listed (leave the field out to allow every "
                     "device)");
    for (size_t i = 0; i < m->count; ++i) {
      const kiln_json_value *d = &m->items[i];
      uint32_t device;
      snprintf(sub, sizeof sub, "%s.allowed_devices[%zu]", path, i);
      if (d->type != KILN_JSON_STRING ||
          !kiln_parse_device(d->string, d->length, &device))
        return fail_at(r, d, sub, "expected \"cpu\", \"gpu\" or \"nna\"");
      if (c->allowed_devices & KILN_DEVICE_BIT(device))
        return fail_at(r, d, sub, "\"%s\" is listed twice", d->string);
      c->allowed_devices |= KILN_DEVICE_BIT(device);
    }
  }
  return 0;
}

static int read_event(const reader *r, const kiln_json_value *v,
                      const char *path, kiln_trace_event *e) {
  static const struct {
    const char *name;
    kiln_trace_event_kind kind;
  } plain[] = {
      {"gpu_busy", KILN_TRACE_GPU_BUSY},
      {"gpu_free", KILN_TRACE_GPU_FREE},
      {"nna_unavailable", KILN_TRACE_NNA_UNAVAILABLE},
      {"nna_available", KILN_TRACE_NNA_AVAILABLE},
      {"battery_saver", KILN_TRACE_BATTERY_SAVER},
      {"reset_devices", KILN_TRACE_RESET_DEVICES},
  };
  if (v->type != KILN_JSON_STRING)
    return fail_at(r, v, path, "expected an event name (a string), got %s",
                   kiln_json_type_name(v->type));
  const char *s = v->string;
  bool found = false;
  for (size_t i = 0; i < sizeof plain / sizeof plain[0] && !found; ++i)
    if (strcmp(s, plain[i].name) == 0) {
      e->kind = plain[i].kind;
      found = true;
    }
  static const char memory[] = "memory_pressure:", fault[] = "device_fault:";
  if (!found && strncmp(s, memory, sizeof memory - 1) == 0) {
    e->kind = KILN_TRACE_MEMORY_PRESSURE;
    if (!kiln_parse_size(s + sizeof memory - 1, &e->bytes))
      return fail_at(r, v, path,
                     "\"%s\": memory_pressure needs a size > 0 such as "
                     "memory_pressure:4M",
                     s);
    found = true;
  }
  if (!found && strncmp(s, fault, sizeof fault - 1) == 0) {
    const char *d = s + sizeof fault - 1;
    e->kind = KILN_TRACE_DEVICE_FAULT;
    if (!kiln_parse_device(d, strlen(d), &e->device))
      return fail_at(r, v, path,
                     "\"%s\": device_fault needs a device: device_fault:cpu, "
                     "device_fault:gpu or device_fault:nna",
                     s);
    found = true;
  }
  if (!found)
    return fail_at(r, v, path,
                   "unknown event \"%s\" (known: gpu_busy, gpu_free, "
                   "nna_unavailable, nna_available, memory_pressure:SIZE, "
                   "battery_saver, device_fault:DEVICE, reset_devices)",
                   s);
  e->text = copy_string(s);
  if (!e->text)
    return fail_at(r, v, path, "out of memory");
  return 0;
}

static int read_step(const reader *r, const kiln_json_value *v, size_t index,
                     kiln_trace_step *step) {
  static const char *const known[] = {"name", "description", "constraints",
                                      "events", NULL};
  char path[64], sub[96];
  snprintf(path, sizeof path, "steps[%zu]", index);
  if (expect_type(r, v, path, KILN_JSON_OBJECT) ||
      check_members(r, v, path, known,
                    "name, description, constraints, events"))
    return -1;
  const kiln_json_value *name = kiln_json_get(v, "name");
  snprintf(sub, sizeof sub, "%s.name", path);
  if (!name)
    return fail_at(r, v, path, "a step needs a \"name\"");
  if (expect_type(r, name, sub, KILN_JSON_STRING))
    return -1;
  if (name->length == 0 || name->length > KILN_TRACE_MAX_NAME)
    return fail_at(r, name, sub, "a name has 1 to %u bytes",
                   KILN_TRACE_MAX_NAME);
  for (size_t i = 0; i < name->length; ++i)
    if ((unsigned char)name->string[i] < 0x20 || name->string[i] == 0x7f)
      return fail_at(r, name, sub, "a name may not hold control characters");
  step->name = copy_string(name->string);
  if (!step->name)
    return fail_at(r, v, path, "out of memory");
  const kiln_json_value *m = kiln_json_get(v, "description");
  snprintf(sub, sizeof sub, "%s.description", path);
  if (m && expect_type(r, m, sub, KILN_JSON_STRING))
    return -1;
  if ((m = kiln_json_get(v, "constraints"))) {
    snprintf(sub, sizeof sub, "%s.constraints", path);
    if (read_constraints(r, m, sub, &step->constraints))
      return -1;
    step->has_constraints = true;
  }
  if ((m = kiln_json_get(v, "events"))) {
    snprintf(sub, sizeof sub, "%s.events", path);
    if (expect_type(r, m, sub, KILN_JSON_ARRAY))
      return -1;
    if (m->count > KILN_TRACE_MAX_EVENTS)
      return fail_at(r, m, sub, "more than %u events", KILN_TRACE_MAX_EVENTS);
    step->events = calloc(m->count ? m->count : 1, sizeof *step->events);
    if (!step->events)
      return fail_at(r, m, sub, "out of memory");
    for (size_t i = 0; i < m->count; ++i) {
      snprintf(sub, sizeof sub, "%s.events[%zu]", path, i);
      if (read_event(r, &m->items[i], sub, &step->events[i]))
        return -1;
      ++step->num_events;
    }
  }
  return 0;
}

static int read_trace(const reader *r, const kiln_json_value *root,
                      kiln_trace *t) {
  static const char *const known[] = {"description", "model_runs_per_step",
                                      "steps", NULL};
  if (expect_type(r, root, "trace", KILN_JSON_OBJECT) ||
      check_members(r, root, "trace", known,
                    "description, model_runs_per_step, steps"))
    return -1;
  const kiln_json_value *m = kiln_json_get(root, "description");
  if (m && expect_type(r, m, "description", KILN_JSON_STRING))
    return -1;
  t->runs_per_step = 1;
  if ((m = kiln_json_get(root, "model_runs_per_step"))) {
    if (m->type != KILN_JSON_NUMBER || m->number < 1 ||
        m->number > KILN_TRACE_MAX_RUNS || floor(m->number) != m->number)
      return fail_at(r, m, "model_runs_per_step",
                     "expected a whole number from 1 to %u",
                     KILN_TRACE_MAX_RUNS);
    t->runs_per_step = (uint64_t)m->number;
  }
  const kiln_json_value *steps = kiln_json_get(root, "steps");
  if (!steps)
    return fail_at(r, root, "trace", "no \"steps\" array");
  if (expect_type(r, steps, "steps", KILN_JSON_ARRAY))
    return -1;
  if (steps->count == 0 || steps->count > KILN_TRACE_MAX_STEPS)
    return fail_at(r, steps, "steps", "a trace has 1 to %u steps",
                   KILN_TRACE_MAX_STEPS);
  t->steps = calloc(steps->count, sizeof *t->steps);
  if (!t->steps)
    return fail_at(r, steps, "steps", "out of memory");
  for (size_t i = 0; i < steps->count; ++i) {
    /* Counted first, so that kiln_trace_free releases a partial step. */
    ++t->num_steps;
    if (read_step(r, &steps->items[i], i, &t->steps[i]))
      return -1;
    for (size_t k = 0; k < t->steps[i].num_events; ++k)
      if (t->steps[i].events[k].kind == KILN_TRACE_DEVICE_FAULT)
        t->fault_devices |= KILN_DEVICE_BIT(t->steps[i].events[k].device);
  }
  return 0;
}

int kiln_trace_parse(const char *text, size_t size, const char *source,
                     kiln_trace *out, char *error, size_t error_size) {
  memset(out, 0, sizeof *out);
  kiln_json_document doc;
  char why[256];
  if (kiln_json_parse(text, size, NULL, &doc, why, sizeof why) != 0) {
    if (error && error_size)
      snprintf(error, error_size, "%s:%s", source, why);
    return -1;
  }
  reader r = {source, error, error_size};
  int status = read_trace(&r, doc.root, out);
  kiln_json_free(&doc);
  if (status != 0)
    kiln_trace_free(out);
  return status;
}

int kiln_trace_load(const char *path, kiln_trace *out, char *error,
                    size_t error_size) {
  static const kiln_json_limits limits = KILN_JSON_DEFAULT_LIMITS;
  memset(out, 0, sizeof *out);
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(error, error_size, "cannot open trace '%s': %s", path,
             strerror(errno));
    return -1;
  }
  /* One byte more than allowed tells a file that is too large. */
  char *text = malloc(limits.max_size + 1);
  if (!text) {
    fclose(f);
    snprintf(error, error_size, "out of memory reading '%s'", path);
    return -1;
  }
  size_t n = fread(text, 1, limits.max_size + 1, f);
  bool failed = ferror(f) != 0;
  fclose(f);
  int status = -1;
  if (failed)
    snprintf(error, error_size, "cannot read trace '%s'", path);
  else if (n > limits.max_size)
    snprintf(error, error_size, "trace '%s' is larger than %zu bytes", path,
             limits.max_size);
  else
    status = kiln_trace_parse(text, n, path, out, error, error_size);
  free(text);
  return status;
}

void kiln_trace_free(kiln_trace *trace) {
  if (!trace)
    return;
  for (size_t i = 0; i < trace->num_steps; ++i) {
    kiln_trace_step *s = &trace->steps[i];
    free(s->name);
    for (size_t k = 0; k < s->num_events; ++k)
      free(s->events[k].text);
    free(s->events);
  }
  free(trace->steps);
  memset(trace, 0, sizeof *trace);
}
