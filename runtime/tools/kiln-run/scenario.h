/* kiln-run --scenario: replays a trace (trace.h) on a session of a model
 * with per-segment variants and prints a timeline (docs/variants.md,
 * "Scenario traces"). */
#ifndef KILN_RUN_SCENARIO_H
#define KILN_RUN_SCENARIO_H

#include "kiln/runtime.h"
#include "trace.h"

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kiln_scenario_config {
  kiln_session *session;
  const kiln_trace *trace;
  const char *trace_path;
  /* The constraints before the first step (kiln-run's flags). */
  kiln_constraints initial;
  const kiln_tensor *inputs;
  size_t num_inputs;
  kiln_tensor *outputs;
  size_t num_outputs;
  const char *json_path; /* --scenario-json, or NULL */
  FILE *out;             /* the timeline */
} kiln_scenario_config;

/* For each step: applies its constraints and events, re-selects, runs the
 * model trace->runs_per_step times and prints a row; then a summary.
 * Returns 0; 1 after a "kiln-run: error:" line when something failed (an
 * API call, a run, writing the JSON) or a feasible step's choice broke its
 * constraints. */
int kiln_scenario_run(const kiln_scenario_config *config);

#ifdef __cplusplus
}
#endif
#endif /* KILN_RUN_SCENARIO_H */
