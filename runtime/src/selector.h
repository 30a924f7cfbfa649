/* The variant selector: one precompiled variant per segment of a model's
 * chain, under memory, latency, device and accuracy constraints (issue 9).
 *
 * A model is a chain of segments 0..S-1 that run in order and meet on host
 * memory borders; each segment has variants for the CPU, the GPU or the NNA
 * (kiln_device). kiln_select picks the variant of every segment that is
 * best for the objective among the choices that meet the constraints, by a
 * dynamic program over the chain with Pareto labels; see
 * docs/runtime-selector.md. It allocates nothing: the caller sizes a
 * workspace once with kiln_sel_workspace_size and hands it to every call,
 * so that a session can re-select while it runs (a device failed, the
 * budget changed).
 *
 * The model.
 * - Border s (0 <= s <= S) is border_bytes[s] bytes flowing into segment s
 *   (border 0 from the app, border S out of the last segment to the app).
 *   The app is on the CPU, so border 0 moves from the CPU to segment 0's
 *   device and border S from the last segment's device to the CPU, costed
 *   like every other border. A border of b bytes from device x to device y
 *   costs transfer_fixed_us[x][y] + b * transfer_us_per_byte[x][y] of
 *   latency and b * transfer_uj_per_byte[x][y] of energy.
 * - Latency and energy: the chosen variants' plus every border's, summed
 *   along the chain in this order (so that another implementation can get
 *   the same bits): for s = 0..S-1, total += border s's cost, then total +=
 *   the variant's; at the end total += border S's cost.
 * - Error: the sum of the chosen variants' errors (an additive proxy of the
 *   output error against fp32).
 * - Memory: the sum of the chosen variants' weights_bytes plus the largest
 *   of their arena_bytes: segments run one after another in one arena.
 *
 * The choice. Feasible: every chosen variant's device is allowed, memory <=
 * memory_budget, latency <= latency_target_us, error <= max_error (each
 * where set). Best: the smallest objective, then the smallest latency,
 * then memory, then energy, then the lexicographically smallest vector of
 * variant indices, so that equal problems always give equal choices.
 */
#ifndef KILN_RT_SELECTOR_H
#define KILN_RT_SELECTOR_H

#include <stddef.h>
#include <stdint.h>

/* Devices, numbered as kiln_device: 0 CPU, 1 GPU, 2 NNA. */
#define KILN_SEL_NUM_DEVICES 3u

/* Labels kept per segment when label_cap is 0. Enough that the property
 * test's chains and the model zoo's never reach it. */
#define KILN_SEL_DEFAULT_LABEL_CAP 4096u

typedef enum kiln_sel_status {
  KILN_SEL_OK = 0,
  KILN_SEL_INFEASIBLE = 1, /* no choice meets the constraints */
  KILN_SEL_INVALID = 2     /* a malformed problem, constraints or workspace */
} kiln_sel_status;

/* kiln_sel_result.binding bits. */
enum {
  KILN_SEL_DEVICES = 1u,
  KILN_SEL_MEMORY = 2u,
  KILN_SEL_LATENCY = 4u,
  KILN_SEL_ERROR = 8u,
  KILN_SEL_COMBINATION = 16u
};

/* kiln_sel_constraints.objective. */
enum {
  KILN_SEL_MIN_LATENCY = 0u,
  KILN_SEL_MIN_MEMORY = 1u,
  KILN_SEL_MIN_ENERGY = 2u
};

/* One precompiled variant of one segment. Numbers are finite and >= 0. */
typedef struct kiln_sel_variant {
  uint32_t segment; /* < num_segments */
  uint32_t device;  /* kiln_device: 0 CPU, 1 GPU, 2 NNA */
  double latency_us;
  uint64_t weights_bytes;
  uint64_t arena_bytes;
  double error; /* output error against fp32; adds up along the chain */
  double energy_uj;
} kiln_sel_variant;

typedef struct kiln_sel_problem {
  uint32_t num_segments;            /* >= 1 */
  const kiln_sel_variant *variants; /* in any order; >= 1 per segment */
  uint32_t num_variants;
  const uint64_t *border_bytes; /* num_segments + 1 entries */
  /* [from device][to device]; finite and >= 0; the diagonal is normally 0 */
  double transfer_us_per_byte[KILN_SEL_NUM_DEVICES][KILN_SEL_NUM_DEVICES];
  double transfer_fixed_us[KILN_SEL_NUM_DEVICES][KILN_SEL_NUM_DEVICES];
  double transfer_uj_per_byte[KILN_SEL_NUM_DEVICES][KILN_SEL_NUM_DEVICES];
} kiln_sel_problem;

typedef struct kiln_sel_constraints {
  uint64_t memory_budget;   /* bytes; 0: none */
  double latency_target_us; /* 0: none; not negative or NaN */
  uint32_t allowed_devices; /* bit 1u << device; 0: all */
  double max_error;         /* < 0: none; not NaN */
  uint32_t objective;       /* KILN_SEL_MIN_LATENCY/MEMORY/ENERGY */
} kiln_sel_constraints;

typedef struct kiln_sel_result {
  uint32_t *choice; /* set by the caller: num_segments entries, filled with
                       indices into problem->variants when KILN_SEL_OK */
  /* The chosen variants' totals when KILN_SEL_OK, else 0. */
  double latency_us;
  uint64_t memory_bytes;
  double error;
  double energy_uj;
  /* When KILN_SEL_INFEASIBLE: the constraints that each alone make it so
   * (dropping that one alone makes the problem feasible), or
   * KILN_SEL_COMBINATION alone when none does. 0 when KILN_SEL_OK. */
  uint32_t binding;
  /* 1 when the answer is exact; 0 when some segment had more than
   * label_cap labels and the search kept only the best label_cap by the
   * objective: the choice is feasible but may not be the best, and an
   * infeasible answer may be wrong. */
  uint32_t exact;
} kiln_sel_result;

/* Bytes of workspace kiln_select needs for this problem and label cap (0:
 * KILN_SEL_DEFAULT_LABEL_CAP), alignment slack included; 0 when the problem
 * cannot be sized (NULL, no segments or variants, or a size past SIZE_MAX).
 * About label_cap * (8 * S + 72 * V + 64) bytes, V the most variants of
 * one segment: 2.4 MB for 12 segments of 6 variants at the default cap. */
size_t kiln_sel_workspace_size(const kiln_sel_problem *p, uint32_t label_cap);

/* Selects one variant per segment into out->choice and the totals into
 * *out. c NULL means no constraints and the minimum latency. The workspace
 * (any alignment) must hold kiln_sel_workspace_size(p, label_cap) bytes;
 * its contents need not survive between calls. No allocation, no global
 * state: calls on different workspaces may run in parallel.
 * KILN_SEL_INVALID (and *out untouched) for a NULL argument, no segments, a
 * variant with segment >= num_segments, device > 2 or a number that is
 * negative or not finite, a segment without variants, weights and arenas
 * whose total could overflow, a negative or NaN transfer cost, a negative
 * or NaN latency target, a NaN max_error, an unknown objective, or a
 * workspace that is too small. */
kiln_sel_status kiln_select(const kiln_sel_problem *p,
                            const kiln_sel_constraints *c, void *workspace,
                            size_t workspace_size, uint32_t label_cap,
                            kiln_sel_result *out);

#endif /* KILN_RT_SELECTOR_H */
