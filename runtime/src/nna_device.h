/* The NNA device: runs a model's NNA plan (nna_plan.h), its NNA steps on
 * the bundled Kiln NNA simulator (nna_sim.h) and its CPU steps through the
 * model's entries, all on one host arena. With profiling on it sums, per
 * step, the simulator's report (cycles, DRAM bytes, per command) and the
 * host time spent. */
#ifndef KILN_RT_NNA_DEVICE_H
#define KILN_RT_NNA_DEVICE_H

#include "nna_plan.h"

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kiln_nna_device kiln_nna_device;

/* Allocates the arena (zeroed) and the CPU arena once, and the profile of
 * every step; CPU steps call `model`'s entries (each must be non-NULL) with
 * `parallel`. Takes ownership of `plan` (freed on failure too). */
kiln_status kiln_nna_device_create(kiln_nna_plan *plan, const kiln_model *model,
                                   kiln_parallel *parallel, bool profile,
                                   kiln_nna_device **out, kiln_error *error);

/* Runs the steps in order. The tensors were checked against the
 * descriptor. Fails only when the simulator does (a per-channel shift out
 * of range in SRAM, or no memory for its SRAM and report); the outputs and
 * the arena may then hold part of the run's writes. */
kiln_status kiln_nna_device_run(kiln_nna_device *d, const kiln_tensor *inputs,
                                kiln_tensor *outputs, kiln_error *error);

/* The plan's shape (kiln_session_nna_info). */
void kiln_nna_device_info(const kiln_nna_device *d, kiln_nna_info *out);

/* One per step of the plan (kiln_session_nna_segment). */
size_t kiln_nna_device_segments(const kiln_nna_device *d);
const kiln_nna_segment_profile *
kiln_nna_device_segment(const kiln_nna_device *d, size_t index);
void kiln_nna_device_reset_profile(kiln_nna_device *d);

void kiln_nna_device_destroy(kiln_nna_device *d);

#ifdef __cplusplus
}
#endif

#endif /* KILN_RT_NNA_DEVICE_H */
