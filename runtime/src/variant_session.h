/* Sessions on models with per-segment variants (kiln/variants.h,
 * docs/variants.md): the part of a kiln_session that parses the variant
 * table, owns the border buffers, the selector's problem and workspace, the
 * variants' sub-sessions and the arena the CPU ones share, and runs the
 * segments. The public functions of the "per-segment variants" section of
 * kiln/runtime.h are defined in variant_session.c.
 *
 * Also the session internals it needs (defined in session.c), which are not
 * part of the public API. */
#ifndef KILN_RT_VARIANT_SESSION_H
#define KILN_RT_VARIANT_SESSION_H

#include "kiln/runtime.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- session.c: internals for the variant session ----------------------- */

/* kiln_session_create without an arena of the session's own: the session
 * must be handed one with kiln_session_use_arena before it runs CPU
 * segments (a run refuses otherwise). GPU and NNA sessions created with
 * KILN_FALLBACK_NONE never run CPU segments, so need none. */
kiln_status kiln_session_create_without_arena(
    const kiln_model *model, const kiln_session_options *options,
    kiln_session **out_session, kiln_error *error);
/* Makes the session run its CPU segments in `arena`, which the caller owns
 * and keeps alive while the session may run: `size` must be at least
 * kiln_session_arena_size and `arena` aligned to
 * kiln_session_arena_alignment (else KILN_ERROR_INVALID_ARGUMENT). */
kiln_status kiln_session_use_arena(kiln_session *session, void *arena,
                                   size_t size, kiln_error *error);
/* The alignment the session's arena needs: the model's, at least 64. */
size_t kiln_session_arena_alignment(const kiln_session *session);

/* ---- variant_session.c, called by session.c ----------------------------- */

typedef struct kiln_vsession kiln_vsession;

/* Everything kiln_session_create knows that a variant session needs. */
typedef struct kiln_vsession_config {
  const kiln_model *model;
  const kiln_tensor_info *inputs; /* the model's own descriptor's */
  size_t num_inputs;
  const kiln_tensor_info *outputs;
  size_t num_outputs;
  uint32_t threads; /* the session's (1..256) */
  bool profile;
  const char *cache_dir; /* options', copied */
} kiln_vsession_config;

/* Parses and checks the table and the sub-models, allocates the border
 * buffers and the selector's workspace, selects (no constraints, minimum
 * latency) and creates the chosen variants' sub-sessions. */
kiln_status kiln_vsession_create(const kiln_vsession_config *config,
                                 kiln_vsession **out, kiln_error *error);
void kiln_vsession_destroy(kiln_vsession *vs);
/* Runs the segments after kiln_session_run checked the tensors. */
kiln_status kiln_vsession_run(kiln_vsession *vs, const kiln_tensor *inputs,
                              kiln_tensor *outputs, kiln_error *error);
/* Bytes held: bookkeeping, borders, workspace, the shared arena and the
 * live sub-sessions'. */
size_t kiln_vsession_memory_bytes(const kiln_vsession *vs);
/* Bytes of the arena the CPU variants share now. */
size_t kiln_vsession_arena_size(const kiln_vsession *vs);

/* session.c: the session's variant part, NULL for other models. */
kiln_vsession *kiln_session_variants(const kiln_session *session);

/* ---- test hooks ---------------------------------------------------------- */

/* How many times the session allocated the arena its CPU variants share
 * (the first time included): a choice whose CPU variants fit the current
 * arena does not reallocate it. 0 for a model without variants. */
uint64_t kiln_session_shared_arena_allocations(const kiln_session *session);

/* Live sub-sessions of a session on a model with variants (0 otherwise). */
size_t kiln_session_live_sub_sessions(const kiln_session *session);

/* What KILN_DEVICE_FAULT (fault.h) does from a session's creation, for a
 * live session: with `create`, every creation of a sub-session on `device`
 * fails from now on; else the nth run (1: the next) of a variant on
 * `device` from now on fails once; both with KILN_ERROR_DEVICE. `nth` 0
 * without `create` clears the fault. KILN_ERROR_UNSUPPORTED for a model
 * without variants, KILN_ERROR_INVALID_ARGUMENT for an unknown device. */
kiln_status kiln_session_inject_device_fault(kiln_session *session,
                                             uint32_t device, bool create,
                                             uint64_t nth, kiln_error *error);

#ifdef __cplusplus
}
#endif

#endif /* KILN_RT_VARIANT_SESSION_H */
