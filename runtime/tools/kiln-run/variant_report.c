#include "variant_report.h"

#include "trace.h"

#include <stdlib.h>
#include <string.h>

static int fail_oom(void) {
  fprintf(stderr, "kiln-run: error: out of memory\n");
  return 1;
}

static const char *label_of(const kiln_session *s, uint32_t v) {
  const kiln_variant_info *info = kiln_session_variant(s, v);
  return info ? info->label : "?";
}

/* "cpu, nna", or "none". */
static void print_devices(uint32_t mask, FILE *f) {
  bool any = false;
  for (uint32_t d = 0; d < 3; ++d)
    if (mask & KILN_DEVICE_BIT(d)) {
      fprintf(f, "%s%s", any ? ", " : "", kiln_device_short_name(d));
      any = true;
    }
  if (!any)
    fprintf(f, "none");
}

void kiln_print_choice(const kiln_session *session, const uint32_t *choice,
                       FILE *f) {
  size_t n = kiln_session_num_segments(session);
  for (size_t s = 0; s < n; ++s)
    fprintf(f, "%s%s", s ? " | " : "", label_of(session, choice[s]));
}

int kiln_print_variants(const kiln_session *session, FILE *f) {
  kiln_selection sel;
  kiln_error err;
  if (kiln_session_selection(session, &sel, &err) != KILN_OK) {
    fprintf(stderr, "kiln-run: error: %s%s\n", err.message,
            err.status == KILN_ERROR_UNSUPPORTED
                ? " (--variants needs a model compiled with kilnc "
                  "--variants=...)"
                : "");
    return 1;
  }
  size_t segments = kiln_session_num_segments(session);
  size_t n = kiln_session_num_variants(session);
  fprintf(f, "variants: %zu segments, %zu variants (* chosen)\n", segments, n);
  fprintf(f, "  %5s %4s  %-12s %-6s %7s %11s %-4s %11s %11s %9s\n", "index",
          "seg", "label", "device", "threads", "latency ms", "", "weights",
          "arena", "error");
  for (size_t v = 0; v < n; ++v) {
    const kiln_variant_info *info = kiln_session_variant(session, v);
    bool chosen = info->segment < segments &&
                  sel.variants[info->segment] == (uint32_t)v;
    fprintf(f, "%c %5zu %4u  %-12s %-6s %7u %11.3f %-4s %11llu %11llu %9.2e\n",
            chosen ? '*' : ' ', v, info->segment, info->label,
            kiln_device_short_name(info->device), info->threads,
            info->latency_ms, info->measured ? "meas" : "est",
            (unsigned long long)info->weights_bytes,
            (unsigned long long)info->arena_bytes, info->error);
  }
  fprintf(f, "choice: ");
  kiln_print_choice(session, sel.variants, f);
  fprintf(f, "\n");
  fprintf(f,
          "predicted: latency %.3f ms, energy %.3f mJ, memory %llu bytes, "
          "accuracy %.4f; selected in %.3f ms%s\n",
          sel.latency_ms, sel.energy_mj, (unsigned long long)sel.memory_bytes,
          sel.accuracy, sel.select_ms,
          sel.exact ? "" : " (label cap reached: may not be the best)");
  if (sel.failed_devices) {
    fprintf(f, "failed devices: ");
    print_devices(sel.failed_devices, f);
    fprintf(f, " (excluded until kiln_session_reset_devices)\n");
  }
  return 0;
}

int kiln_usage_init(kiln_usage_log *log, const kiln_session *session) {
  memset(log, 0, sizeof *log);
  log->num_segments = kiln_session_num_segments(session);
  if (log->num_segments == 0)
    return 0;
  log->before = calloc(log->num_segments, sizeof *log->before);
  return log->before ? 0 : fail_oom();
}

void kiln_usage_free(kiln_usage_log *log) {
  for (size_t i = 0; i < log->num_ranges; ++i) {
    free(log->ranges[i].used);
    free(log->ranges[i].before);
  }
  free(log->ranges);
  free(log->before);
  memset(log, 0, sizeof *log);
}

void kiln_usage_before(kiln_usage_log *log, const kiln_session *session) {
  kiln_selection sel;
  if (log->num_segments == 0 ||
      kiln_session_selection(session, &sel, NULL) != KILN_OK)
    return;
  memcpy(log->before, sel.variants, log->num_segments * sizeof *log->before);
  log->failed_before = sel.failed_devices;
}

static uint32_t *copy_choice(const uint32_t *choice, size_t n) {
  uint32_t *out = malloc(n * sizeof *out);
  if (out)
    memcpy(out, choice, n * sizeof *out);
  return out;
}

int kiln_usage_after(kiln_usage_log *log, const kiln_session *session,
                     bool warmup, uint64_t run) {
  kiln_selection sel;
  size_t S = log->num_segments;
  if (S == 0 || kiln_session_selection(session, &sel, NULL) != KILN_OK)
    return 0;
  uint32_t failed = sel.failed_devices & ~log->failed_before;
  kiln_usage_range *last =
      log->num_ranges ? &log->ranges[log->num_ranges - 1] : NULL;
  if (!failed && last && !last->before && last->warmup == warmup &&
      last->last + 1 == run &&
      memcmp(last->used, sel.variants, S * sizeof *sel.variants) == 0) {
    last->last = run;
    return 0;
  }
  if (log->num_ranges == log->capacity) {
    size_t capacity = log->capacity ? log->capacity * 2 : 4;
    kiln_usage_range *ranges =
        realloc(log->ranges, capacity * sizeof *ranges);
    if (!ranges)
      return fail_oom();
    log->ranges = ranges;
    log->capacity = capacity;
  }
  kiln_usage_range *r = &log->ranges[log->num_ranges];
  memset(r, 0, sizeof *r);
  r->warmup = warmup;
  r->first = r->last = run;
  r->used = copy_choice(sel.variants, S);
  if (!r->used)
    return fail_oom();
  ++log->num_ranges;
  if (!failed)
    return 0;
  r->before = copy_choice(log->before, S);
  if (!r->before)
    return fail_oom();
  r->failed_devices = failed;
  /* The failing segment ran a variant on a failed device. */
  bool any = false;
  for (uint32_t s = 0; s < S; ++s) {
    const kiln_variant_info *info = kiln_session_variant(session,
                                                         log->before[s]);
    if (info && (failed & KILN_DEVICE_BIT(info->device))) {
      if (!any)
        r->fault_first = s;
      r->fault_last = s;
      any = true;
    }
  }
  return 0;
}

void kiln_usage_print(const kiln_usage_log *log, const kiln_session *session,
                      int indent, FILE *f) {
  for (size_t i = 0; i < log->num_ranges; ++i) {
    const kiln_usage_range *r = &log->ranges[i];
    const char *what = r->warmup ? "warmup" : "run";
    if (r->first == r->last)
      fprintf(f, "%*s%s %llu: ", indent, "", what,
              (unsigned long long)r->first);
    else
      fprintf(f, "%*s%ss %llu-%llu: ", indent, "", what,
              (unsigned long long)r->first, (unsigned long long)r->last);
    if (r->before) {
      kiln_print_choice(session, r->before, f);
      fprintf(f, " -> ");
    }
    kiln_print_choice(session, r->used, f);
    if (r->before) {
      fprintf(f, " (");
      print_devices(r->failed_devices, f);
      if (r->fault_first == r->fault_last)
        fprintf(f, " failed at segment %u)", r->fault_first);
      else
        fprintf(f, " failed at one of segments %u-%u)", r->fault_first,
                r->fault_last);
    }
    fprintf(f, "\n");
  }
}
