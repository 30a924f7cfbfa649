/* clock_gettime */
#define _POSIX_C_SOURCE 200809L

#include "scenario.h"
#include "kiln_run.h"
#include "variant_session.h"

#include "variant_report.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* What a step's choice can break (kiln_constraints' fields). */
enum {
  BROKE_MEMORY = 1u,
  BROKE_LATENCY = 2u,
  BROKE_DEVICES = 4u,
  BROKE_ACCURACY = 8u
};

typedef enum step_status {
  STEP_OK = 0,
  STEP_INFEASIBLE, /* the constraints: the previous choice ran */
  STEP_RUN_FAILED  /* a run failed: nothing feasible was left */
} step_status;

/* One step's outcome. */
typedef struct step_result {
  step_status status;
  char message[256]; /* the runtime's, for infeasible and failed steps */
  uint32_t binding;  /* KILN_CONSTRAINT_* of an infeasible step */
  kiln_selection sel; /* after the runs; sel.variants is `choice` */
  uint32_t *choice;
  double *times_ms; /* runs_per_step, of which `runs` happened */
  uint64_t runs;
  double median_ms, total_ms;
  uint32_t broke; /* BROKE_* of a feasible step */
  kiln_usage_log usage;
  bool failed_run_device; /* the failed run made a device fail */
} step_result;

typedef struct totals {
  size_t steps, infeasible, violations, failed, device_failures;
  uint64_t runs;
  double total_ms;
} totals;

/* ---- Device faults ---------------------------------------------------- */

/* device_fault:DEV: the next run of a variant on DEV fails once (the
 * runtime's test hook, what KILN_DEVICE_FAULT=DEV:run does from creation). */
static kiln_status inject_fault(kiln_session *session, uint32_t device,
                                kiln_error *error) {
  return kiln_session_inject_device_fault(session, device, false, 1, error);
}

/* ---- Names ------------------------------------------------------------ */

static const char *const binding_names[] = {"devices", "memory", "latency",
                                            "accuracy", "combination"};
static const char *const broke_names[] = {"memory", "latency", "devices",
                                          "accuracy"};

/* "memory+latency" of a bit set, names[i] for bit i. */
static void bit_names(char *buf, size_t size, uint32_t bits,
                      const char *const *names, size_t count) {
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < count && used < size; ++i)
    if (bits & (1u << i)) {
      int n = snprintf(buf + used, size - used, "%s%s", used ? "+" : "",
                       names[i]);
      if (n < 0)
        break;
      used += (size_t)n;
    }
}

/* ---- JSON output ------------------------------------------------------- */

static void json_string(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *p = (const unsigned char *)s; *p; ++p) {
    if (*p == '"' || *p == '\\')
      fprintf(f, "\\%c", *p);
    else if (*p == '\n')
      fputs("\\n", f);
    else if (*p < 0x20 || *p == 0x7f)
      fprintf(f, "\\u%04x", *p);
    else
      fputc(*p, f);
  }
  fputc('"', f);
}

/* A finite number, or null. */
static void json_number(FILE *f, double x) {
  if (isfinite(x))
    fprintf(f, "%.9g", x);
  else
    fputs("null", f);
}

static void json_devices(FILE *f, uint32_t mask) {
  fputc('[', f);
  bool any = false;
  for (uint32_t d = 0; d < 3; ++d)
    if (mask & KILN_DEVICE_BIT(d)) {
      fprintf(f, "%s\"%s\"", any ? ", " : "", kiln_device_short_name(d));
      any = true;
    }
  fputc(']', f);
}

static void json_bits(FILE *f, uint32_t bits, const char *const *names,
                      size_t count) {
  fputc('[', f);
  bool any = false;
  for (size_t i = 0; i < count; ++i)
    if (bits & (1u << i)) {
      fprintf(f, "%s\"%s\"", any ? ", " : "", names[i]);
      any = true;
    }
  fputc(']', f);
}

static void json_constraints(FILE *f, const kiln_constraints *c) {
  fputs("{\"memory_budget\": ", f);
  if (c->memory_budget)
    fprintf(f, "%llu", (unsigned long long)c->memory_budget);
  else
    fputs("null", f);
  fputs(", \"latency_target_ms\": ", f);
  if (c->latency_target_ms > 0)
    json_number(f, c->latency_target_ms);
  else
    fputs("null", f);
  fputs(", \"allowed_devices\": ", f);
  if (c->allowed_devices)
    json_devices(f, c->allowed_devices);
  else
    fputs("null", f);
  fputs(", \"accuracy_floor\": ", f);
  if (c->accuracy_floor > 0)
    json_number(f, c->accuracy_floor);
  else
    fputs("null", f);
  fprintf(f, ", \"objective\": \"%s\"}", kiln_objective_name(c->objective));
}

static void json_labels(FILE *f, const kiln_session *s, const uint32_t *v,
                        size_t n) {
  fputc('[', f);
  for (size_t i = 0; i < n; ++i) {
    fputs(i ? ", " : "", f);
    const kiln_variant_info *info = kiln_session_variant(s, v[i]);
    json_string(f, info ? info->label : "?");
  }
  fputc(']', f);
}

static void json_step(FILE *f, const kiln_scenario_config *c, size_t index,
                      const kiln_constraints *cons, const step_result *r) {
  const kiln_trace_step *step = &c->trace->steps[index];
  const kiln_session *s = c->session;
  size_t S = kiln_session_num_segments(s);
  static const char *const status[] = {"ok", "infeasible", "run_failed"};
  fprintf(f, "%s\n    {\"name\": ", index ? "," : "");
  json_string(f, step->name);
  fputs(", \"constraints\": ", f);
  json_constraints(f, cons);
  fputs(", \"events\": [", f);
  for (size_t e = 0; e < step->num_events; ++e) {
    fputs(e ? ", " : "", f);
    json_string(f, step->events[e].text);
  }
  fprintf(f, "],\n     \"status\": \"%s\", \"binding\": ", status[r->status]);
  json_bits(f, r->binding, binding_names, 5);
  fputs(", \"message\": ", f);
  json_string(f, r->message);
  fputs(",\n     \"choice\": ", f);
  json_labels(f, s, r->choice, S);
  fputs(", \"variants\": [", f);
  for (size_t i = 0; i < S; ++i)
    fprintf(f, "%s%u", i ? ", " : "", r->choice[i]);
  fputs("], \"devices\": [", f);
  for (size_t i = 0; i < S; ++i) {
    const kiln_variant_info *info = kiln_session_variant(s, r->choice[i]);
    fprintf(f, "%s\"%s\"", i ? ", " : "",
            kiln_device_short_name(info ? info->device : 99));
  }
  fputs("],\n     \"predicted_latency_ms\": ", f);
  json_number(f, r->sel.latency_ms);
  fputs(", \"energy_mj\": ", f);
  json_number(f, r->sel.energy_mj);
  fprintf(f, ", \"memory_bytes\": %llu, \"accuracy\": ",
          (unsigned long long)r->sel.memory_bytes);
  json_number(f, r->sel.accuracy);
  fputs(", \"select_ms\": ", f);
  json_number(f, r->sel.select_ms);
  fputs(", \"failed_devices\": ", f);
  json_devices(f, r->sel.failed_devices);
  fputs(",\n     \"measured_median_ms\": ", f);
  if (r->runs)
    json_number(f, r->median_ms);
  else
    fputs("null", f);
  fputs(", \"measured_ms\": [", f);
  for (uint64_t i = 0; i < r->runs; ++i) {
    fputs(i ? ", " : "", f);
    json_number(f, r->times_ms[i]);
  }
  fputs("], \"violations\": ", f);
  json_bits(f, r->broke, broke_names, 4);
  fputs(",\n     \"runs\": [", f);
  for (size_t i = 0; i < r->usage.num_ranges; ++i) {
    const kiln_usage_range *u = &r->usage.ranges[i];
    fprintf(f, "%s{\"first\": %llu, \"last\": %llu, \"variants\": ",
            i ? ", " : "", (unsigned long long)u->first,
            (unsigned long long)u->last);
    json_labels(f, s, u->used, S);
    fputs(", \"failed\": ", f);
    if (u->before) {
      fputs("{\"devices\": ", f);
      json_devices(f, u->failed_devices);
      fprintf(f, ", \"segments\": [%u, %u], \"before\": ", u->fault_first,
              u->fault_last);
      json_labels(f, s, u->before, S);
      fputc('}', f);
    } else {
      fputs("null", f);
    }
    fputc('}', f);
  }
  fputs("]}", f);
}

/* ---- The replay --------------------------------------------------------- */

/* What in `c` the current choice breaks. */
static uint32_t broken(const kiln_session *s, const kiln_selection *sel,
                       const kiln_constraints *c) {
  uint32_t broke = 0;
  if (c->memory_budget && sel->memory_bytes > c->memory_budget)
    broke |= BROKE_MEMORY;
  /* The selector sums the same numbers; allow for rounding only. */
  if (c->latency_target_ms > 0 &&
      sel->latency_ms > c->latency_target_ms * (1 + 1e-9))
    broke |= BROKE_LATENCY;
  if (c->accuracy_floor > 0 && sel->accuracy < c->accuracy_floor - 1e-12)
    broke |= BROKE_ACCURACY;
  uint32_t allowed = c->allowed_devices ? c->allowed_devices
                                        : KILN_TRACE_ALL_DEVICES;
  allowed &= ~sel->failed_devices;
  for (size_t i = 0; i < kiln_session_num_segments(s); ++i) {
    const kiln_variant_info *info = kiln_session_variant(s, sel->variants[i]);
    if (!info || !(allowed & KILN_DEVICE_BIT(info->device)))
      broke |= BROKE_DEVICES;
  }
  return broke;
}

/* Applies step `index`'s constraints and events to *cons and the session,
 * and re-selects. */
static int apply_step(const kiln_scenario_config *c, size_t index,
                      kiln_constraints *cons, step_result *r) {
  const kiln_trace_step *step = &c->trace->steps[index];
  kiln_error err;
  if (step->has_constraints)
    *cons = step->constraints;
  for (size_t e = 0; e < step->num_events; ++e) {
    const kiln_trace_event *ev = &step->events[e];
    if (kiln_trace_apply(ev, cons))
      continue;
    kiln_status st = KILN_OK;
    if (ev->kind == KILN_TRACE_RESET_DEVICES) {
      /* It re-selects under the session's constraints, which are replaced
       * just after: that choice's feasibility does not matter. */
      st = kiln_session_reset_devices(c->session, &err);
      if (st == KILN_ERROR_INFEASIBLE)
        st = KILN_OK;
    } else if (ev->kind == KILN_TRACE_DEVICE_FAULT) {
      st = inject_fault(c->session, ev->device, &err);
    }
    if (st != KILN_OK)
      return kiln_run_fail("step '%s', event '%s': %s", step->name, ev->text,
                           err.message);
  }
  kiln_status st = kiln_session_set_constraints(c->session, cons, &err);
  if (st == KILN_ERROR_INFEASIBLE) {
    kiln_selection sel;
    r->status = STEP_INFEASIBLE;
    snprintf(r->message, sizeof r->message, "%s", err.message);
    if (kiln_session_selection(c->session, &sel, &err) == KILN_OK)
      r->binding = sel.binding;
    return 0;
  }
  if (st != KILN_OK)
    return kiln_run_fail("step '%s': %s", step->name, err.message);
  return 0;
}

/* Runs the model runs_per_step times, timing each run. */
static int run_step(const kiln_scenario_config *c, step_result *r) {
  kiln_error err;
  for (uint64_t i = 0; i < c->trace->runs_per_step; ++i) {
    kiln_usage_before(&r->usage, c->session);
    double start = kiln_run_now_ms();
    kiln_status st = kiln_session_run(c->session, c->inputs, c->num_inputs,
                                      c->outputs, c->num_outputs, &err);
    double ms = kiln_run_now_ms() - start;
    if (st != KILN_OK) {
      kiln_selection sel;
      r->failed_run_device =
          kiln_session_selection(c->session, &sel, NULL) == KILN_OK &&
          (sel.failed_devices & ~r->usage.failed_before) != 0;
      r->status = STEP_RUN_FAILED;
      snprintf(r->message, sizeof r->message, "run %llu: %s",
               (unsigned long long)(i + 1), err.message);
      break;
    }
    r->times_ms[r->runs++] = ms;
    r->total_ms += ms;
    if (kiln_usage_after(&r->usage, c->session, false, i + 1) != 0)
      return 1;
  }
  if (r->runs) {
    double *sorted = malloc(r->runs * sizeof *sorted);
    if (!sorted)
      return kiln_run_fail("out of memory");
    memcpy(sorted, r->times_ms, r->runs * sizeof *sorted);
    qsort(sorted, r->runs, sizeof *sorted, kiln_run_compare_doubles);
    size_t n = (size_t)r->runs;
    r->median_ms =
        n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    free(sorted);
  }
  return 0;
}

static void print_header(const kiln_scenario_config *c) {
  fprintf(c->out,
          "scenario: %s: %zu steps, %llu run%s per step, %zu segments\n",
          c->trace_path, c->trace->num_steps,
          (unsigned long long)c->trace->runs_per_step,
          c->trace->runs_per_step == 1 ? "" : "s",
          kiln_session_num_segments(c->session));
  fprintf(c->out, "  %-20s %9s %9s %11s %8s %8s  %-28s %s\n", "step",
          "pred ms", "meas ms", "memory", "accuracy", "sel ms", "status",
          "choice");
}

static void print_row(const kiln_scenario_config *c, size_t index,
                      const kiln_constraints *cons, const step_result *r) {
  const kiln_trace_step *step = &c->trace->steps[index];
  FILE *f = c->out;
  char status[64], bits[64];
  switch (r->status) {
  case STEP_INFEASIBLE:
    bit_names(bits, sizeof bits, r->binding, binding_names, 5);
    snprintf(status, sizeof status, "infeasible: %s", bits);
    break;
  case STEP_RUN_FAILED:
    snprintf(status, sizeof status, "run failed");
    break;
  default:
    if (r->broke) {
      bit_names(bits, sizeof bits, r->broke, broke_names, 4);
      snprintf(status, sizeof status, "VIOLATED: %s", bits);
    } else {
      snprintf(status, sizeof status, "ok");
    }
  }
  char measured[32] = "-";
  if (r->runs)
    snprintf(measured, sizeof measured, "%.3f", r->median_ms);
  fprintf(f, "  %-20s %9.3f %9s %11llu %8.4f %8.3f  %-28s ", step->name,
          r->sel.latency_ms, measured, (unsigned long long)r->sel.memory_bytes,
          r->sel.accuracy, r->sel.select_ms, status);
  kiln_print_choice(c->session, r->choice, f);
  fputc('\n', f);
  if (step->num_events) {
    fprintf(f, "      events:");
    for (size_t e = 0; e < step->num_events; ++e)
      fprintf(f, "%s %s", e ? "," : "", step->events[e].text);
    fputc('\n', f);
  }
  if (r->status != STEP_OK)
    fprintf(f, "      %s\n", r->message);
  if (r->broke & BROKE_MEMORY)
    fprintf(f, "      memory %llu bytes is over the budget of %llu\n",
            (unsigned long long)r->sel.memory_bytes,
            (unsigned long long)cons->memory_budget);
  if (r->broke & BROKE_LATENCY)
    fprintf(f, "      predicted latency %.3f ms is over the target of %.3f\n",
            r->sel.latency_ms, cons->latency_target_ms);
  if (r->broke & BROKE_ACCURACY)
    fprintf(f, "      accuracy %.4f is under the floor of %g\n",
            r->sel.accuracy, cons->accuracy_floor);
  if (r->broke & BROKE_DEVICES)
    fprintf(f, "      a chosen variant runs on a device not allowed\n");
  /* Runs that did not all use the row's choice: which ran what. */
  bool uniform = r->usage.num_ranges <= 1;
  for (size_t i = 0; i < r->usage.num_ranges && uniform; ++i)
    uniform = r->usage.ranges[i].before == NULL;
  if (!uniform)
    kiln_usage_print(&r->usage, c->session, 6, f);
}

static void free_result(step_result *r) {
  free(r->choice);
  free(r->times_ms);
  kiln_usage_free(&r->usage);
}

int kiln_scenario_run(const kiln_scenario_config *c) {
  const kiln_trace *t = c->trace;
  size_t S = kiln_session_num_segments(c->session);
  if (S == 0)
    return kiln_run_fail(
        "--scenario needs a model compiled with kilnc --variants=...: "
        "this one has no per-segment variants");
  FILE *json = NULL;
  if (c->json_path) {
    json = fopen(c->json_path, "w");
    if (!json)
      return kiln_run_fail("cannot write '%s'", c->json_path);
    fputs("{\"trace\": ", json);
    json_string(json, c->trace_path);
    fprintf(json, ", \"model_runs_per_step\": %llu, \"segments\": %zu,\n",
            (unsigned long long)t->runs_per_step, S);
    fputs(" \"steps\": [", json);
  }
  print_header(c);
  kiln_constraints cons = c->initial;
  totals sum = {0};
  int status = 0;
  for (size_t i = 0; i < t->num_steps && status == 0; ++i) {
    step_result r = {0};
    r.choice = calloc(S, sizeof *r.choice);
    r.times_ms = calloc((size_t)t->runs_per_step, sizeof *r.times_ms);
    if (!r.choice || !r.times_ms || kiln_usage_init(&r.usage, c->session)) {
      free_result(&r);
      status = kiln_run_fail("out of memory");
      break;
    }
    kiln_error err;
    status = apply_step(c, i, &cons, &r);
    if (status == 0)
      status = run_step(c, &r);
    if (status == 0 &&
        kiln_session_selection(c->session, &r.sel, &err) != KILN_OK)
      status = kiln_run_fail("%s", err.message);
    if (status != 0) {
      free_result(&r);
      break;
    }
    memcpy(r.choice, r.sel.variants, S * sizeof *r.choice);
    r.sel.variants = r.choice;
    if (r.status == STEP_OK)
      r.broke = broken(c->session, &r.sel, &cons);
    for (size_t k = 0; k < r.usage.num_ranges; ++k)
      sum.device_failures += r.usage.ranges[k].before != NULL;
    sum.device_failures += r.failed_run_device;
    ++sum.steps;
    sum.infeasible += r.status == STEP_INFEASIBLE;
    sum.failed += r.status == STEP_RUN_FAILED;
    sum.violations += r.broke != 0;
    sum.runs += r.runs;
    sum.total_ms += r.total_ms;
    print_row(c, i, &cons, &r);
    if (json)
      json_step(json, c, i, &cons, &r);
    free_result(&r);
  }
  if (status == 0) {
    double mean = sum.runs ? sum.total_ms / (double)sum.runs : 0;
    fprintf(c->out,
            "summary: %zu steps, %zu infeasible, %zu violations, %zu failed, "
            "%zu device failures; %llu runs, total %.3f ms, mean %.3f ms\n",
            sum.steps, sum.infeasible, sum.violations, sum.failed,
            sum.device_failures, (unsigned long long)sum.runs, sum.total_ms,
            mean);
  }
  if (json) {
    if (status == 0) {
      double mean = sum.runs ? sum.total_ms / (double)sum.runs : 0;
      fprintf(json,
              "\n ],\n \"summary\": {\"steps\": %zu, \"infeasible\": %zu, "
              "\"violations\": %zu, \"failed\": %zu, \"device_failures\": "
              "%zu, \"runs\": %llu, \"total_ms\": ",
              sum.steps, sum.infeasible, sum.violations, sum.failed,
              sum.device_failures, (unsigned long long)sum.runs);
      json_number(json, sum.total_ms);
      fputs(", \"mean_ms\": ", json);
      json_number(json, mean);
      fputs("}}\n", json);
    }
    bool bad = ferror(json) != 0;
    if (fclose(json) != 0 || bad)
      status =
          status ? status : kiln_run_fail("cannot write '%s'", c->json_path);
  }
  if (status != 0)
    return status;
  /* The timeline comes before the error line. */
  fflush(c->out);
  if (sum.violations)
    return kiln_run_fail("%zu feasible step%s chose variants that break their "
                         "constraints",
                         sum.violations, sum.violations == 1 ? "" : "s");
  if (sum.failed)
    return kiln_run_fail("%zu step%s had a run fail", sum.failed,
                         sum.failed == 1 ? "" : "s");
  return 0;
}
