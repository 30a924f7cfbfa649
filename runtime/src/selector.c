/* The variant selector; see selector.h and docs/runtime-selector.md.
 *
 * Search. A label is a prefix of a choice, segments 0..s: its latency,
 * energy and error so far, its weights sum and arena maximum, its last
 * device, and a back-pointer (the label of segment s-1 it extends, and its
 * variant). Two labels with the same last device have the same completions
 * at the same cost, so one that is at least as good for every completion
 * (dominates, see dominates()) makes the other useless. The labels of
 * segment s extend those of s-1 by every allowed variant of s; the
 * undominated ones are kept. At the end border S is added and the best
 * label is read back through the back-pointers.
 *
 * Bounds. Labels that cannot lead anywhere useful are dropped before the
 * filter, which keeps the constrained problems small (without this, the
 * model-zoo problem under memory, error and latency limits kept thousands
 * of labels a segment and took 0.2-0.4 s):
 * - A backward pass gives, per segment and device of the segment before,
 *   the least latency, energy, error, weights and arena the rest of the
 *   chain can add (each on its own). A label whose prefix plus that breaks
 *   a constraint has no feasible completion.
 * - A quick search (a beam of 16 labels) usually finds a good feasible
 *   choice; when it kept every label it was the exact search already.
 * - Otherwise a Lagrangian bound of the objective, which prices the
 *   constraints in (lagrange()), and a second quick search ranked by it
 *   lower the best objective known to be reachable (the ceiling). The exact
 *   search then drops every label whose bound is above the ceiling: none
 *   of its completions can be the best.
 *
 * Order. The candidates of a segment are made parent by parent, each with
 * its variants in index order, from parents in the lexicographic order of
 * their choice vectors; compaction keeps that order. So a candidate's index
 * orders it lexicographically among its segment's candidates, which breaks
 * the last tie without storing the vectors.
 *
 * Memory. The workspace holds, in this order: the variants grouped by
 * segment (seg_start, order), the bounds, every segment's back-pointers
 * (history, label_cap per segment: the whole choice is read back at the
 * end), the previous segment's labels (prev), this segment's candidates
 * (cand, up to label_cap times the most variants of a segment) and two
 * index arrays for sorting (perm, scratch). */
#include "selector.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

typedef struct sel_label {
  double latency;
  double energy;
  double error;
  double estimate; /* a lower bound of the final objective */
  uint64_t weights;
  uint64_t arena;
  uint32_t parent;  /* index among the previous segment's labels */
  uint32_t variant; /* index into problem->variants */
  uint32_t device;
  uint32_t keep;
} sel_label;

typedef struct sel_step {
  uint32_t parent;
  uint32_t variant;
} sel_step;

/* Byte offsets into the (aligned) workspace. */
typedef struct sel_layout {
  size_t seg_start, order, bound_time, bound_energy, most_time, most_energy,
      bound_error, bound_weights, bound_arena, lag_best, lag_cur, history, prev,
      cand, perm, scratch, total;
  uint32_t cap;
  size_t max_cand; /* label_cap * the most variants of one segment */
} sel_layout;

/* Keys of the order after the objective: the objective, then latency,
 * memory, energy. */
enum { KEY_LATENCY, KEY_MEMORY, KEY_ENERGY };

/* The constraints of one search, normalised. */
typedef struct sel_limits {
  uint32_t allowed; /* device mask (0: nothing allowed) */
  uint64_t memory_budget;
  double latency_target;
  double max_error;
  uint32_t objective;
  uint8_t keys[3]; /* the order: objective first, then the rest */
} sel_limits;

typedef struct sel_ctx {
  const kiln_sel_problem *p;
  uint32_t *seg_start; /* num_segments + 1 offsets into order */
  uint32_t *order;     /* variant indices grouped by segment, ascending */
  /* What segments s..S-1 and borders s..S add at least: [s * 3 + device
   * of segment s - 1] for latency and energy, [s] for the rest. */
  double *bound_time;
  double *bound_energy;
  /* The most they can add, same indexing: see surely_less(). */
  double *most_time;
  double *most_energy;
  double *bound_error;
  uint64_t *bound_weights;
  uint64_t *bound_arena; /* the largest of the segments' least arenas */
  /* Lagrangian bounds ([s * 3 + device], see lagrange()): the best so far
   * and the one being computed. */
  double *lag_best;
  double *lag_cur;
  sel_step *history; /* [segment * cap + label] */
  sel_label *prev;
  sel_label *cand;
  uint32_t *perm;
  uint32_t *scratch;
  uint32_t cap;
} sel_ctx;

/* The best label of a search with its totals after border S. */
typedef struct sel_best {
  uint32_t label;
  double latency;
  double energy;
  double error;
  uint64_t memory;
} sel_best;

#define ALIGNMENT 16u
#define ALL_DEVICES ((1u << KILN_SEL_NUM_DEVICES) - 1)

static bool add_size(size_t *acc, size_t n) {
  if (n > SIZE_MAX - *acc)
    return false;
  *acc += n;
  return true;
}

/* acc += count * size, rounded up to ALIGNMENT; the old acc in *offset. */
static bool add_region(size_t *acc, size_t *offset, size_t count, size_t size) {
  if (count != 0 && size > SIZE_MAX / count)
    return false;
  size_t bytes = count * size;
  size_t pad = (ALIGNMENT - bytes % ALIGNMENT) % ALIGNMENT;
  *offset = *acc;
  return add_size(acc, bytes) && add_size(acc, pad);
}

/* The most variants of one segment, counting only those with a segment in
 * range. Counts 256 segments a pass in a stack array, so that sizing needs
 * no workspace and stays linear for models of up to 256 segments. */
static uint32_t max_variants_per_segment(const kiln_sel_problem *p) {
  enum { CHUNK = 256 };
  uint32_t counts[CHUNK];
  uint32_t most = 0;
  for (uint32_t base = 0; base < p->num_segments; base += CHUNK) {
    memset(counts, 0, sizeof(counts));
    for (uint32_t v = 0; v < p->num_variants; ++v) {
      uint32_t s = p->variants[v].segment;
      if (s >= base && s - base < CHUNK && s < p->num_segments)
        ++counts[s - base];
    }
    for (uint32_t i = 0; i < CHUNK; ++i)
      if (counts[i] > most)
        most = counts[i];
    if (p->num_segments - base <= CHUNK)
      break;
  }
  return most;
}

static bool make_layout(const kiln_sel_problem *p, uint32_t label_cap,
                        sel_layout *l) {
  if (!p || p->num_segments == 0 || p->num_variants == 0 || !p->variants)
    return false;
  uint32_t most = max_variants_per_segment(p);
  if (most == 0)
    return false;
  l->cap = label_cap ? label_cap : KILN_SEL_DEFAULT_LABEL_CAP;
  l->max_cand = (size_t)l->cap * most;
  /* Candidate indices are uint32_t. */
  if (l->max_cand / most != l->cap || l->max_cand > UINT32_MAX)
    return false;
  size_t acc = 0;
  size_t history = (size_t)p->num_segments * l->cap;
  if (history / l->cap != p->num_segments)
    return false;
  size_t borders = (size_t)p->num_segments + 1;
  return add_region(&acc, &l->seg_start, borders, sizeof(uint32_t)) &&
         add_region(&acc, &l->order, p->num_variants, sizeof(uint32_t)) &&
         add_region(&acc, &l->bound_time, borders * KILN_SEL_NUM_DEVICES,
                    sizeof(double)) &&
         add_region(&acc, &l->bound_energy, borders * KILN_SEL_NUM_DEVICES,
                    sizeof(double)) &&
         add_region(&acc, &l->most_time, borders * KILN_SEL_NUM_DEVICES,
                    sizeof(double)) &&
         add_region(&acc, &l->most_energy, borders * KILN_SEL_NUM_DEVICES,
                    sizeof(double)) &&
         add_region(&acc, &l->bound_error, borders, sizeof(double)) &&
         add_region(&acc, &l->bound_weights, borders, sizeof(uint64_t)) &&
         add_region(&acc, &l->bound_arena, borders, sizeof(uint64_t)) &&
         add_region(&acc, &l->lag_best, borders * KILN_SEL_NUM_DEVICES,
                    sizeof(double)) &&
         add_region(&acc, &l->lag_cur, borders * KILN_SEL_NUM_DEVICES,
                    sizeof(double)) &&
         add_region(&acc, &l->history, history, sizeof(sel_step)) &&
         add_region(&acc, &l->prev, l->cap, sizeof(sel_label)) &&
         add_region(&acc, &l->cand, l->max_cand, sizeof(sel_label)) &&
         add_region(&acc, &l->perm, l->max_cand, sizeof(uint32_t)) &&
         add_region(&acc, &l->scratch, l->max_cand, sizeof(uint32_t)) &&
         add_size(&acc, ALIGNMENT - 1) && /* to align any workspace */
         ((l->total = acc), true);
}

size_t kiln_sel_workspace_size(const kiln_sel_problem *p, uint32_t label_cap) {
  sel_layout l;
  return make_layout(p, label_cap, &l) ? l.total : 0;
}

static bool nonneg_finite(double x) { return isfinite(x) && x >= 0; }

static bool valid_problem(const kiln_sel_problem *p) {
  if (!p || p->num_segments == 0 || !p->variants || !p->border_bytes)
    return false;
  for (uint32_t a = 0; a < KILN_SEL_NUM_DEVICES; ++a)
    for (uint32_t b = 0; b < KILN_SEL_NUM_DEVICES; ++b)
      if (!nonneg_finite(p->transfer_us_per_byte[a][b]) ||
          !nonneg_finite(p->transfer_fixed_us[a][b]) ||
          !nonneg_finite(p->transfer_uj_per_byte[a][b]))
        return false;
  for (uint32_t v = 0; v < p->num_variants; ++v) {
    const kiln_sel_variant *x = &p->variants[v];
    if (x->segment >= p->num_segments || x->device >= KILN_SEL_NUM_DEVICES ||
        !nonneg_finite(x->latency_us) || !nonneg_finite(x->error) ||
        !nonneg_finite(x->energy_uj))
      return false;
  }
  return true;
}

/* Groups the variants by segment (a counting sort, so ascending within a
 * segment) and checks that every segment has one and that no choice's
 * memory can overflow: the largest weights of every segment plus the
 * largest arena fit in 64 bits. */
static bool group_variants(const kiln_sel_problem *p, sel_ctx *x) {
  uint32_t S = p->num_segments;
  memset(x->seg_start, 0, ((size_t)S + 1) * sizeof(uint32_t));
  for (uint32_t v = 0; v < p->num_variants; ++v)
    ++x->seg_start[p->variants[v].segment + 1];
  for (uint32_t s = 0; s < S; ++s) {
    if (x->seg_start[s + 1] == 0)
      return false;
    x->seg_start[s + 1] += x->seg_start[s];
  }
  /* seg_start[s] is the next free slot of segment s while filling; after,
   * seg_start[s] is where segment s + 1 starts, hence the shift. */
  for (uint32_t v = 0; v < p->num_variants; ++v)
    x->order[x->seg_start[p->variants[v].segment]++] = v;
  memmove(x->seg_start + 1, x->seg_start, (size_t)S * sizeof(uint32_t));
  x->seg_start[0] = 0;

  uint64_t memory = 0, arena = 0;
  for (uint32_t s = 0; s < S; ++s) {
    uint64_t weights = 0;
    for (uint32_t k = x->seg_start[s]; k < x->seg_start[s + 1]; ++k) {
      const kiln_sel_variant *v = &p->variants[x->order[k]];
      if (v->weights_bytes > weights)
        weights = v->weights_bytes;
      if (v->arena_bytes > arena)
        arena = v->arena_bytes;
    }
    if (weights > UINT64_MAX - memory)
      return false;
    memory += weights;
  }
  return arena <= UINT64_MAX - memory;
}

/* How far the rest of the chain can take a label's latency and energy,
 * for telling a strict difference that survives to the end from one the
 * rest may round or overflow away. */
typedef struct sel_rest {
  double most_time;
  double most_energy;
  double rel; /* the relative rounding of the rest's additions */
} sel_rest;

/* Whether a total now x < y stays strictly less when the same rest (at
 * most `most`) is added to both. Each rounded addition errs by at most
 * half an ulp of the final total, so two chains of n additions differ from
 * the exact sums by less than n * DBL_EPSILON * (y + most) together: a
 * larger gap survives. An infinite rest or y never does. */
static bool surely_less(double x, double y, double most, double rel) {
  return y - x > (y + most) * rel;
}

/* Whether label i (candidate index ii) is at least as good as label j
 * (index ji, same last device) for every completion: feasible whenever j
 * is, and before j in the order. Walking the order's keys: a key where i
 * is strictly better for every completion decides (latency and energy add
 * the same amounts to both, see surely_less(); memory is weights +
 * max(arena, ...), strictly less when the weights are and the arena is not
 * more); a key where i may be worse refuses; otherwise (it may tie) the
 * next key, and at the end the index. A metric no constraint or key uses
 * (error without max_error) is ignored, which is what keeps the sets small
 * in the common cases. */
static bool dominates(const sel_label *i, uint32_t ii, const sel_label *j,
                      uint32_t ji, const sel_limits *lim,
                      const sel_rest *rest) {
  if (lim->latency_target > 0 && i->latency > j->latency)
    return false;
  if (lim->memory_budget != 0 &&
      (i->weights > j->weights || i->arena > j->arena))
    return false;
  if (lim->max_error >= 0 && i->error > j->error)
    return false;
  for (int k = 0; k < 3; ++k) {
    switch (lim->keys[k]) {
    case KEY_LATENCY:
      if (i->latency > j->latency)
        return false;
      if (surely_less(i->latency, j->latency, rest->most_time, rest->rel))
        return true;
      break;
    case KEY_ENERGY:
      if (i->energy > j->energy)
        return false;
      if (surely_less(i->energy, j->energy, rest->most_energy, rest->rel))
        return true;
      break;
    default:
      if (i->weights > j->weights || i->arena > j->arena)
        return false;
      if (i->weights < j->weights)
        return true;
      break;
    }
  }
  return ii < ji;
}

static int cmp_double(double a, double b) { return (a > b) - (a < b); }
static int cmp_u64(uint64_t a, uint64_t b) { return (a > b) - (a < b); }

/* The filter's order: device, then the order's keys (memory as weights,
 * then arena), then index. Whenever i dominates j, i comes first, so
 * comparing each candidate with the kept ones before it finds its
 * dominators. */
static int cmp_filter(const sel_label *c, const sel_limits *lim, uint32_t a,
                      uint32_t b) {
  const sel_label *x = &c[a], *y = &c[b];
  int r = cmp_u64(x->device, y->device);
  for (int k = 0; k < 3 && r == 0; ++k) {
    switch (lim->keys[k]) {
    case KEY_LATENCY:
      r = cmp_double(x->latency, y->latency);
      break;
    case KEY_ENERGY:
      r = cmp_double(x->energy, y->energy);
      break;
    default:
      r = cmp_u64(x->weights, y->weights);
      if (r == 0)
        r = cmp_u64(x->arena, y->arena);
      break;
    }
  }
  return r != 0 ? r : cmp_u64(a, b);
}

/* The cap's order: the bound of the final objective (the most promising
 * first), the order's keys, memory as weights + arena, then index. */
static int cmp_cap(const sel_label *c, const sel_limits *lim, uint32_t a,
                   uint32_t b) {
  const sel_label *x = &c[a], *y = &c[b];
  int r = cmp_double(x->estimate, y->estimate);
  for (int k = 0; k < 3 && r == 0; ++k) {
    switch (lim->keys[k]) {
    case KEY_LATENCY:
      r = cmp_double(x->latency, y->latency);
      break;
    case KEY_ENERGY:
      r = cmp_double(x->energy, y->energy);
      break;
    default:
      r = cmp_u64(x->weights + x->arena, y->weights + y->arena);
      break;
    }
  }
  return r != 0 ? r : cmp_u64(a, b);
}

typedef int (*sel_cmp)(const sel_label *, const sel_limits *, uint32_t,
                       uint32_t);

/* Sorts a[0..n) with tmp[0..n) as scratch (qsort may allocate): insertion
 * sort of runs of 16, then bottom-up merges. Returns the array holding the
 * result, a or tmp. */
static uint32_t *sort_indices(uint32_t *a, uint32_t *tmp, uint32_t n,
                              sel_cmp cmp, const sel_label *c,
                              const sel_limits *lim) {
  enum { RUN = 16 };
  /* 64-bit bounds: lo + 2 * width may pass UINT32_MAX. */
  for (uint64_t lo = 0; lo < n; lo += RUN) {
    uint64_t hi = n - lo < RUN ? n : lo + RUN;
    for (uint64_t i = lo + 1; i < hi; ++i) {
      uint32_t v = a[i];
      uint64_t k = i;
      for (; k > lo && cmp(c, lim, a[k - 1], v) > 0; --k)
        a[k] = a[k - 1];
      a[k] = v;
    }
  }
  for (uint64_t width = RUN; width < n; width *= 2) {
    for (uint64_t lo = 0; lo < n; lo += 2 * width) {
      uint64_t mid = n - lo < width ? n : lo + width;
      uint64_t hi = n - mid < width ? n : mid + width;
      uint64_t i = lo, j = mid, o = lo;
      while (i < mid && j < hi)
        tmp[o++] = cmp(c, lim, a[j], a[i]) < 0 ? a[j++] : a[i++];
      while (i < mid)
        tmp[o++] = a[i++];
      while (j < hi)
        tmp[o++] = a[j++];
    }
    uint32_t *t = a;
    a = tmp;
    tmp = t;
  }
  return a;
}

/* Whether the final totals (x) come before (y) in the order. */
static bool final_better(const sel_limits *lim, double xl, uint64_t xm,
                         double xe, double yl, uint64_t ym, double ye) {
  for (int k = 0; k < 3; ++k) {
    switch (lim->keys[k]) {
    case KEY_LATENCY:
      if (xl != yl)
        return xl < yl;
      break;
    case KEY_ENERGY:
      if (xe != ye)
        return xe < ye;
      break;
    default:
      if (xm != ym)
        return xm < ym;
      break;
    }
  }
  return false;
}

/* Whether lower bound lb of a double total is surely above limit: with a
 * margin for rounding, since lb adds the same numbers in another order. */
static bool above(double lb, double limit) { return lb > limit + limit * 1e-9; }

/* The backward pass of the bounds under lim (see the top). Returns false
 * when some segment has no allowed variant. */
static bool compute_bounds(const sel_ctx *x, const sel_limits *lim) {
  const kiln_sel_problem *p = x->p;
  uint32_t S = p->num_segments;
  double out = (double)p->border_bytes[S];
  for (uint32_t d = 0; d < KILN_SEL_NUM_DEVICES; ++d) {
    x->bound_time[S * 3 + d] =
        p->transfer_fixed_us[d][0] + out * p->transfer_us_per_byte[d][0];
    x->bound_energy[S * 3 + d] = out * p->transfer_uj_per_byte[d][0];
    x->most_time[S * 3 + d] = x->bound_time[S * 3 + d];
    x->most_energy[S * 3 + d] = x->bound_energy[S * 3 + d];
  }
  x->bound_error[S] = 0;
  x->bound_weights[S] = 0;
  x->bound_arena[S] = 0;
  for (uint32_t s = S; s-- > 0;) {
    double border = (double)p->border_bytes[s];
    double time[KILN_SEL_NUM_DEVICES], energy[KILN_SEL_NUM_DEVICES];
    double most_time[KILN_SEL_NUM_DEVICES], most_energy[KILN_SEL_NUM_DEVICES];
    for (uint32_t d = 0; d < KILN_SEL_NUM_DEVICES; ++d) {
      time[d] = energy[d] = INFINITY;
      most_time[d] = most_energy[d] = 0;
    }
    double error = INFINITY;
    uint64_t weights = UINT64_MAX, arena = UINT64_MAX;
    bool any = false;
    for (uint32_t k = x->seg_start[s]; k < x->seg_start[s + 1]; ++k) {
      const kiln_sel_variant *v = &p->variants[x->order[k]];
      uint32_t b = v->device;
      if (!(lim->allowed & (1u << b)))
        continue;
      any = true;
      uint32_t next = (s + 1) * 3 + b;
      for (uint32_t d = 0; d < KILN_SEL_NUM_DEVICES; ++d) {
        double t = p->transfer_fixed_us[d][b] +
                   border * p->transfer_us_per_byte[d][b] + v->latency_us;
        double e = border * p->transfer_uj_per_byte[d][b] + v->energy_uj;
        double least = t + x->bound_time[next], most = t + x->most_time[next];
        time[d] = least < time[d] ? least : time[d];
        most_time[d] = most > most_time[d] ? most : most_time[d];
        least = e + x->bound_energy[next];
        most = e + x->most_energy[next];
        energy[d] = least < energy[d] ? least : energy[d];
        most_energy[d] = most > most_energy[d] ? most : most_energy[d];
      }
      error = v->error < error ? v->error : error;
      weights = v->weights_bytes < weights ? v->weights_bytes : weights;
      arena = v->arena_bytes < arena ? v->arena_bytes : arena;
    }
    if (!any)
      return false;
    for (uint32_t d = 0; d < KILN_SEL_NUM_DEVICES; ++d) {
      x->bound_time[s * 3 + d] = time[d];
      x->bound_energy[s * 3 + d] = energy[d];
      x->most_time[s * 3 + d] = most_time[d];
      x->most_energy[s * 3 + d] = most_energy[d];
    }
    x->bound_error[s] = error + x->bound_error[s + 1];
    /* No overflow: group_variants checked the largest weights. */
    x->bound_weights[s] = weights + x->bound_weights[s + 1];
    x->bound_arena[s] =
        arena > x->bound_arena[s + 1] ? arena : x->bound_arena[s + 1];
  }
  return true;
}

/* The constraints among memory, latency and error that totals break. */
static uint32_t broken(const sel_limits *lim, const sel_best *b) {
  uint32_t bits = 0;
  if (lim->memory_budget != 0 && b->memory > lim->memory_budget)
    bits |= KILN_SEL_MEMORY;
  if (lim->latency_target > 0 && b->latency > lim->latency_target)
    bits |= KILN_SEL_LATENCY;
  if (lim->max_error >= 0 && b->error > lim->max_error)
    bits |= KILN_SEL_ERROR;
  return bits;
}

/* The Lagrangian bound of the objective. Constraint k (latency, error,
 * weights: the memory budget less the arena is a budget of weights) with
 * multiplier lambda_k >= 0: for any completion that meets the constraints,
 * objective(rest) >= min over all completions of (objective + sum lambda_k
 * metric_k)(rest) - sum lambda_k * (what is left of budget k). The minimum
 * is a backward pass like compute_bounds(), one number per segment and
 * device. */
enum { CON_LATENCY, CON_ERROR, CON_WEIGHTS, NUM_CON };

typedef struct sel_lag {
  bool on;
  double weight[NUM_CON]; /* the multipliers, in objective units per unit */
  const double *bound;    /* [s * 3 + device]: the minimum above */
} sel_lag;

/* w * m, but 0 for a zero multiplier: m may be infinite (huge borders or
 * energies add up to infinity), and 0 * inf would be NaN, which min()
 * would skip, making the bound wrong. */
static double priced(double w, double m) { return w != 0 ? w * m : 0; }

static double latency_transfer(const kiln_sel_problem *p, uint32_t a,
                               uint32_t b, double border) {
  return p->transfer_fixed_us[a][b] + border * p->transfer_us_per_byte[a][b];
}

/* A border's cost in the objective. */
static double objective_transfer(const kiln_sel_problem *p,
                                 const sel_limits *lim, uint32_t a, uint32_t b,
                                 double border) {
  if (lim->objective == KILN_SEL_MIN_LATENCY)
    return latency_transfer(p, a, b, border);
  if (lim->objective == KILN_SEL_MIN_ENERGY)
    return border * p->transfer_uj_per_byte[a][b];
  return 0;
}

/* A variant's objective (memory: its weights; the arena is apart) plus its
 * weighted constraint metrics. */
static double lag_variant(const sel_limits *lim, const double *weight,
                          const kiln_sel_variant *v) {
  double o = lim->objective == KILN_SEL_MIN_LATENCY  ? v->latency_us
             : lim->objective == KILN_SEL_MIN_ENERGY ? v->energy_uj
                                                     : (double)v->weights_bytes;
  return o + priced(weight[CON_LATENCY], v->latency_us) +
         priced(weight[CON_ERROR], v->error) +
         priced(weight[CON_WEIGHTS], (double)v->weights_bytes);
}

/* out[s * 3 + d]: the least objective + weighted metrics of segments
 * s..S-1 and borders s..S, segment s - 1 having run on d. */
static void lag_bounds(const sel_ctx *x, const sel_limits *lim,
                       const double *weight, double *out) {
  const kiln_sel_problem *p = x->p;
  uint32_t S = p->num_segments;
  double border = (double)p->border_bytes[S];
  for (uint32_t d = 0; d < KILN_SEL_NUM_DEVICES; ++d)
    out[S * 3 + d] =
        objective_transfer(p, lim, d, 0, border) +
        priced(weight[CON_LATENCY], latency_transfer(p, d, 0, border));
  for (uint32_t s = S; s-- > 0;) {
    border = (double)p->border_bytes[s];
    double least[KILN_SEL_NUM_DEVICES] = {INFINITY, INFINITY, INFINITY};
    for (uint32_t k = x->seg_start[s]; k < x->seg_start[s + 1]; ++k) {
      const kiln_sel_variant *v = &p->variants[x->order[k]];
      uint32_t b = v->device;
      if (!(lim->allowed & (1u << b)))
        continue;
      double rest = lag_variant(lim, weight, v) + out[(s + 1) * 3 + b];
      for (uint32_t d = 0; d < KILN_SEL_NUM_DEVICES; ++d) {
        double c =
            objective_transfer(p, lim, d, b, border) +
            priced(weight[CON_LATENCY], latency_transfer(p, d, b, border)) +
            rest;
        least[d] = c < least[d] ? c : least[d];
      }
    }
    for (uint32_t d = 0; d < KILN_SEL_NUM_DEVICES; ++d)
      out[s * 3 + d] = least[d];
  }
}

/* What remains of each budget after a prefix (the whole budget for the
 * empty one, next == 0): the rest of the chain must fit in it. */
static void lag_residual(const sel_ctx *x, const sel_limits *lim, uint32_t next,
                         double latency, double error, uint64_t weights,
                         uint64_t arena, double *residual) {
  uint64_t rest_arena = x->bound_arena[next];
  uint64_t used = weights + (arena > rest_arena ? arena : rest_arena);
  residual[CON_LATENCY] = lim->latency_target - latency;
  residual[CON_ERROR] = lim->max_error - error;
  residual[CON_WEIGHTS] =
      used >= lim->memory_budget ? 0 : (double)(lim->memory_budget - used);
}

/* Walks the chain from the app, taking at each segment the variant that
 * lag_bounds() found least, and returns that choice's totals. */
static void lag_walk(const sel_ctx *x, const sel_limits *lim,
                     const double *weight, const double *bound, sel_best *t) {
  const kiln_sel_problem *p = x->p;
  uint32_t d = 0;
  uint64_t weights = 0, arena = 0;
  t->latency = t->energy = t->error = 0;
  for (uint32_t s = 0; s < p->num_segments; ++s) {
    double border = (double)p->border_bytes[s];
    const kiln_sel_variant *pick = NULL;
    double least = INFINITY;
    for (uint32_t k = x->seg_start[s]; k < x->seg_start[s + 1]; ++k) {
      const kiln_sel_variant *v = &p->variants[x->order[k]];
      uint32_t b = v->device;
      if (!(lim->allowed & (1u << b)))
        continue;
      double c =
          objective_transfer(p, lim, d, b, border) +
          priced(weight[CON_LATENCY], latency_transfer(p, d, b, border)) +
          lag_variant(lim, weight, v) + bound[(s + 1) * 3 + b];
      if (!pick || c < least) {
        pick = v;
        least = c;
      }
    }
    /* compute_bounds() found an allowed variant in every segment. */
    uint32_t b = pick->device;
    /* Summed as search() sums them. */
    t->latency += latency_transfer(p, d, b, border);
    t->latency += pick->latency_us;
    t->energy += border * p->transfer_uj_per_byte[d][b];
    t->energy += pick->energy_uj;
    t->error += pick->error;
    weights += pick->weights_bytes;
    arena = pick->arena_bytes > arena ? pick->arena_bytes : arena;
    d = b;
  }
  double border = (double)p->border_bytes[p->num_segments];
  t->latency += latency_transfer(p, d, 0, border);
  t->energy += border * p->transfer_uj_per_byte[d][0];
  t->memory = weights + arena;
}

static double objective_of(const sel_limits *lim, const sel_best *b) {
  return lim->objective == KILN_SEL_MIN_LATENCY  ? b->latency
         : lim->objective == KILN_SEL_MIN_MEMORY ? (double)b->memory
                                                 : b->energy;
}

/* Multiplier steps: enough to get near the best multipliers on the model
 * zoo, at a microsecond or two each. */
#define LAG_STEPS 30

/* Looks for the multipliers whose bound at the start of the chain is
 * highest (subgradient ascent with Polyak steps, budgets normalised to 1)
 * and sets *lag to them. Each step's least choice that meets the
 * constraints may lower *ceiling, the best objective known reachable. */
static void lagrange(const sel_ctx *x, const sel_limits *lim, double *ceiling,
                     sel_lag *lag) {
  double scale[NUM_CON] = {0, 0, 0}; /* 1 / budget; 0: not a constraint */
  if (lim->latency_target > 0 && lim->objective != KILN_SEL_MIN_LATENCY)
    scale[CON_LATENCY] = 1 / lim->latency_target;
  if (lim->max_error > 0)
    scale[CON_ERROR] = 1 / lim->max_error;
  if (lim->memory_budget != 0 && lim->objective != KILN_SEL_MIN_MEMORY)
    scale[CON_WEIGHTS] = 1 / (double)lim->memory_budget;
  lag->on = false;
  lag->bound = x->lag_best;
  if (scale[CON_LATENCY] == 0 && scale[CON_ERROR] == 0 &&
      scale[CON_WEIGHTS] == 0)
    return;
  double residual[NUM_CON];
  lag_residual(x, lim, 0, 0, 0, 0, 0, residual);
  double lambda[NUM_CON] = {0, 0, 0}; /* per normalised budget */
  double best_dual = -INFINITY, theta = 2;
  int stale = 0;
  for (int step = 0; step < LAG_STEPS; ++step) {
    double weight[NUM_CON];
    for (int k = 0; k < NUM_CON; ++k)
      weight[k] = lambda[k] * scale[k];
    lag_bounds(x, lim, weight, x->lag_cur);
    sel_best t;
    lag_walk(x, lim, weight, x->lag_cur, &t);
    if (broken(lim, &t) == 0 && objective_of(lim, &t) < *ceiling)
      *ceiling = objective_of(lim, &t);
    double dual = x->lag_cur[0];
    for (int k = 0; k < NUM_CON; ++k)
      dual -= priced(weight[k], residual[k]);
    if (dual > best_dual) {
      best_dual = dual;
      memcpy(lag->weight, weight, sizeof(weight));
      memcpy(x->lag_best, x->lag_cur,
             ((size_t)x->p->num_segments + 1) * 3 * sizeof(double));
      lag->on = true;
      stale = 0;
    } else if (++stale == 3) {
      theta /= 2;
      stale = 0;
    }
    /* The subgradient: how far the walked choice overruns each budget
     * (for weights, how far its memory overruns the memory budget). */
    double used[NUM_CON] = {t.latency, t.error,
                            (double)(t.memory - x->bound_arena[0])};
    double g[NUM_CON], norm = 0;
    for (int k = 0; k < NUM_CON; ++k) {
      g[k] = scale[k] != 0 ? (used[k] - residual[k]) * scale[k] : 0;
      norm += g[k] * g[k];
    }
    /* Without a known choice, aim at half again the bound. */
    double target = isfinite(*ceiling) ? *ceiling : fabs(dual) * 1.5 + 1;
    if (norm == 0 || !isfinite(norm) || dual >= target)
      break;
    bool finite = true;
    for (int k = 0; k < NUM_CON; ++k) {
      lambda[k] += theta * (target - dual) / norm * g[k];
      lambda[k] = lambda[k] > 0 ? lambda[k] : 0;
      finite = finite && isfinite(lambda[k] * scale[k]);
    }
    if (!finite)
      break;
  }
}

/* One search under lim keeping at most cap labels a segment, dropping
 * labels whose objective bound is above ceiling (INFINITY: none): greedy
 * (the quick searches) keeps the first undominated ones by the bound,
 * otherwise all undominated ones, then the best by the bound if they are
 * too many. Returns whether it found a feasible choice, the best in *best;
 * sets *capped when the cap may have dropped a label. */
static bool search(const sel_ctx *x, const sel_limits *lim, uint32_t cap,
                   bool greedy, double ceiling, const sel_lag *lag,
                   sel_best *best, bool *capped) {
  const kiln_sel_problem *p = x->p;
  /* The app's side of border 0: the CPU, nothing spent. */
  sel_label root;
  memset(&root, 0, sizeof(root));
  uint32_t num_prev = 1;
  for (uint32_t s = 0; s < p->num_segments; ++s) {
    uint64_t bytes = p->border_bytes[s];
    double border = (double)bytes;
    uint32_t n = 0;
    for (uint32_t pi = 0; pi < num_prev; ++pi) {
      const sel_label *par = s == 0 ? &root : &x->prev[pi];
      uint32_t a = par->device;
      for (uint32_t k = x->seg_start[s]; k < x->seg_start[s + 1]; ++k) {
        uint32_t vi = x->order[k];
        const kiln_sel_variant *v = &p->variants[vi];
        uint32_t b = v->device;
        if (!(lim->allowed & (1u << b)))
          continue;
        sel_label *l = &x->cand[n];
        l->latency = par->latency + (p->transfer_fixed_us[a][b] +
                                     border * p->transfer_us_per_byte[a][b]);
        l->latency += v->latency_us;
        l->energy = par->energy + border * p->transfer_uj_per_byte[a][b];
        l->energy += v->energy_uj;
        l->error = par->error + v->error;
        l->weights = par->weights + v->weights_bytes;
        l->arena = par->arena > v->arena_bytes ? par->arena : v->arena_bytes;
        /* Every metric only grows, so a prefix past a budget stays past
         * it (weights + arena bound the final memory); that is exact. The
         * bounds of the rest drop more, with a margin for rounding. */
        if ((lim->latency_target > 0 && l->latency > lim->latency_target) ||
            (lim->max_error >= 0 && l->error > lim->max_error))
          continue;
        double time = l->latency + x->bound_time[(s + 1) * 3 + b];
        double energy = l->energy + x->bound_energy[(s + 1) * 3 + b];
        uint64_t rest_arena = x->bound_arena[s + 1];
        uint64_t memory = l->weights + x->bound_weights[s + 1] +
                          (l->arena > rest_arena ? l->arena : rest_arena);
        if ((lim->latency_target > 0 && above(time, lim->latency_target)) ||
            (lim->memory_budget != 0 && memory > lim->memory_budget) ||
            (lim->max_error >= 0 &&
             above(l->error + x->bound_error[s + 1], lim->max_error)))
          continue;
        l->estimate = lim->objective == KILN_SEL_MIN_LATENCY  ? time
                      : lim->objective == KILN_SEL_MIN_MEMORY ? (double)memory
                                                              : energy;
        if (lag && lag->on) {
          double residual[NUM_CON];
          lag_residual(x, lim, s + 1, l->latency, l->error, l->weights,
                       l->arena, residual);
          double prefix = lim->objective == KILN_SEL_MIN_LATENCY ? l->latency
                          : lim->objective == KILN_SEL_MIN_ENERGY
                              ? l->energy
                              : (double)(memory - x->bound_weights[s + 1]);
          double rest = lag->bound[(s + 1) * 3 + b], size = fabs(rest);
          for (int k = 0; k < NUM_CON; ++k) {
            rest -= priced(lag->weight[k], residual[k]);
            size += fabs(priced(lag->weight[k], residual[k]));
          }
          /* The subtractions may round by about size's last digits. With
           * infinities the estimate is NaN and not taken. */
          double estimate = prefix + rest - size * 1e-9;
          if (estimate > l->estimate)
            l->estimate = estimate;
        }
        if (above(l->estimate, ceiling))
          continue;
        l->parent = pi;
        l->variant = vi;
        l->device = b;
        l->keep = 0;
        ++n;
      }
    }
    if (n == 0)
      return false;

    sel_rest rest[KILN_SEL_NUM_DEVICES];
    for (uint32_t d = 0; d < KILN_SEL_NUM_DEVICES; ++d) {
      rest[d].most_time = x->most_time[(s + 1) * 3 + d];
      rest[d].most_energy = x->most_energy[(s + 1) * 3 + d];
      /* 2 (S - s) + 1 additions to come, and one for luck. */
      rest[d].rel = (2.0 * (p->num_segments - s) + 2) * DBL_EPSILON;
    }
    for (uint32_t i = 0; i < n; ++i)
      x->perm[i] = i;
    if (greedy) {
      /* The first cap undominated candidates by the cap's order. Only a
       * walk that reaches the end without filling the cap is exact. */
      uint32_t *sorted =
          sort_indices(x->perm, x->scratch, n, cmp_cap, x->cand, lim);
      uint32_t *kept = sorted == x->perm ? x->scratch : x->perm;
      uint32_t num_kept = 0;
      for (uint32_t i = 0; i < n; ++i) {
        uint32_t j = sorted[i];
        const sel_label *cj = &x->cand[j];
        bool dominated = false;
        for (uint32_t q = 0; q < num_kept && !dominated; ++q)
          dominated = x->cand[kept[q]].device == cj->device &&
                      dominates(&x->cand[kept[q]], kept[q], cj, j, lim,
                                &rest[cj->device]);
        if (dominated)
          continue;
        if (num_kept == cap) {
          *capped = true;
          break;
        }
        x->cand[j].keep = 1;
        kept[num_kept++] = j;
      }
    } else {
      /* Pareto filter. In cmp_filter's order every dominator of a
       * candidate comes before it; comparing with the kept ones of its
       * device only may keep a few dominated labels, never drops a needed
       * one. */
      uint32_t *sorted =
          sort_indices(x->perm, x->scratch, n, cmp_filter, x->cand, lim);
      uint32_t *kept = sorted == x->perm ? x->scratch : x->perm;
      uint32_t num_kept = 0, device_start = 0;
      for (uint32_t i = 0; i < n; ++i) {
        uint32_t j = sorted[i];
        const sel_label *cj = &x->cand[j];
        if (num_kept > device_start &&
            x->cand[kept[num_kept - 1]].device != cj->device)
          device_start = num_kept;
        bool dominated = false;
        for (uint32_t q = device_start; q < num_kept && !dominated; ++q)
          dominated = dominates(&x->cand[kept[q]], kept[q], cj, j, lim,
                                &rest[cj->device]);
        if (!dominated) {
          x->cand[j].keep = 1;
          kept[num_kept++] = j;
        }
      }
      /* Over the cap: keep the best by the cap's order, give up
       * exactness. */
      if (num_kept > cap) {
        *capped = true;
        uint32_t *by_cap =
            sort_indices(kept, sorted, num_kept, cmp_cap, x->cand, lim);
        for (uint32_t q = cap; q < num_kept; ++q)
          x->cand[by_cap[q]].keep = 0;
      }
    }
    /* Compact in candidate (= lexicographic) order. */
    sel_step *history = x->history + (size_t)s * x->cap;
    uint32_t m = 0;
    for (uint32_t j = 0; j < n; ++j) {
      if (!x->cand[j].keep)
        continue;
      x->prev[m] = x->cand[j];
      history[m].parent = x->cand[j].parent;
      history[m].variant = x->cand[j].variant;
      ++m;
    }
    num_prev = m;
  }

  /* Border S back to the app on the CPU; the first of equals in
   * lexicographic order wins. */
  uint64_t bytes = p->border_bytes[p->num_segments];
  double border = (double)bytes;
  bool found = false;
  for (uint32_t i = 0; i < num_prev; ++i) {
    const sel_label *l = &x->prev[i];
    uint32_t a = l->device;
    double latency = l->latency + (p->transfer_fixed_us[a][0] +
                                   border * p->transfer_us_per_byte[a][0]);
    double energy = l->energy + border * p->transfer_uj_per_byte[a][0];
    uint64_t memory = l->weights + l->arena;
    if (lim->latency_target > 0 && latency > lim->latency_target)
      continue;
    if (found && !final_better(lim, latency, memory, energy, best->latency,
                               best->memory, best->energy))
      continue;
    found = true;
    best->label = i;
    best->latency = latency;
    best->energy = energy;
    best->error = l->error;
    best->memory = memory;
  }
  return found;
}

/* Labels a segment in the quick searches: enough to find a good choice on
 * the model zoo, few enough to cost little. */
#define QUICK_CAP 16u

/* The best choice under lim. First a quick search, exact when it kept
 * every label. Else multipliers for the Lagrangian bound and a second
 * quick search ranked by it, which find choices that meet the
 * constraints, then the exact search, which drops every label whose bound
 * is above the best of those. Clears *exact when the exact search hit the
 * cap. */
static bool solve(const sel_ctx *x, const sel_limits *lim, sel_best *best,
                  uint32_t *exact) {
  if (!compute_bounds(x, lim))
    return false;
  /* Half the cap, so that a small cap (the tests') still goes through
   * every step below. */
  uint32_t quick = x->cap / 2 < QUICK_CAP ? x->cap / 2 : QUICK_CAP;
  quick = quick ? quick : 1;
  bool capped = false;
  bool found = search(x, lim, quick, true, INFINITY, NULL, best, &capped);
  if (!capped)
    return found;
  if (quick == x->cap) {
    *exact = 0;
    return found;
  }
  double ceiling = found ? objective_of(lim, best) : INFINITY;
  sel_lag lag;
  lagrange(x, lim, &ceiling, &lag);
  /* A second quick search, ranked by the Lagrangian bound, which weighs
   * the constraints in: a better (or a first) ceiling. */
  if (lag.on) {
    sel_best quick_best;
    if (search(x, lim, quick, true, ceiling, &lag, &quick_best, &capped) &&
        objective_of(lim, &quick_best) < ceiling)
      ceiling = objective_of(lim, &quick_best);
  }
  capped = false;
  found = search(x, lim, x->cap, false, ceiling, &lag, best, &capped);
  if (capped)
    *exact = 0;
  return found;
}

static void set_keys(sel_limits *lim) {
  static const uint8_t keys[3][3] = {
      {KEY_LATENCY, KEY_MEMORY, KEY_ENERGY},  /* min latency */
      {KEY_MEMORY, KEY_LATENCY, KEY_ENERGY},  /* min memory */
      {KEY_ENERGY, KEY_LATENCY, KEY_MEMORY}}; /* min energy */
  memcpy(lim->keys, keys[lim->objective], sizeof(lim->keys));
}

kiln_sel_status kiln_select(const kiln_sel_problem *p,
                            const kiln_sel_constraints *c, void *workspace,
                            size_t workspace_size, uint32_t label_cap,
                            kiln_sel_result *out) {
  if (!valid_problem(p) || !workspace || !out || !out->choice)
    return KILN_SEL_INVALID;
  sel_limits lim = {ALL_DEVICES, 0, 0, -1, KILN_SEL_MIN_LATENCY, {0}};
  if (c) {
    if (isnan(c->latency_target_us) || c->latency_target_us < 0 ||
        isnan(c->max_error) || c->objective > KILN_SEL_MIN_ENERGY)
      return KILN_SEL_INVALID;
    /* Bits of devices that do not exist allow nothing. */
    lim.allowed =
        c->allowed_devices ? c->allowed_devices & ALL_DEVICES : ALL_DEVICES;
    lim.memory_budget = c->memory_budget;
    lim.latency_target = c->latency_target_us;
    lim.max_error = c->max_error < 0 ? -1 : c->max_error;
    lim.objective = c->objective;
  }
  set_keys(&lim);

  sel_layout l;
  if (!make_layout(p, label_cap, &l) || workspace_size < l.total)
    return KILN_SEL_INVALID;
  uintptr_t addr = (uintptr_t)workspace;
  unsigned char *base =
      (unsigned char *)workspace + (ALIGNMENT - addr % ALIGNMENT) % ALIGNMENT;
  sel_ctx x = {p,
               (uint32_t *)(base + l.seg_start),
               (uint32_t *)(base + l.order),
               (double *)(base + l.bound_time),
               (double *)(base + l.bound_energy),
               (double *)(base + l.most_time),
               (double *)(base + l.most_energy),
               (double *)(base + l.bound_error),
               (uint64_t *)(base + l.bound_weights),
               (uint64_t *)(base + l.bound_arena),
               (double *)(base + l.lag_best),
               (double *)(base + l.lag_cur),
               (sel_step *)(base + l.history),
               (sel_label *)(base + l.prev),
               (sel_label *)(base + l.cand),
               (uint32_t *)(base + l.perm),
               (uint32_t *)(base + l.scratch),
               l.cap};
  if (!group_variants(p, &x))
    return KILN_SEL_INVALID;

  uint32_t exact = 1;
  sel_best best;
  if (solve(&x, &lim, &best, &exact)) {
    uint32_t label = best.label;
    for (uint32_t s = p->num_segments; s-- > 0;) {
      const sel_step *step = &x.history[(size_t)s * x.cap + label];
      out->choice[s] = step->variant;
      label = step->parent;
    }
    out->latency_us = best.latency;
    out->memory_bytes = best.memory;
    out->error = best.error;
    out->energy_uj = best.energy;
    out->binding = 0;
    out->exact = exact;
    return KILN_SEL_OK;
  }

  /* Infeasible: which constraints alone make it so? Search again without
   * each one that is set; only a dropped constraint can make it feasible. */
  uint32_t binding = 0;
  for (uint32_t bit = KILN_SEL_DEVICES; bit <= KILN_SEL_ERROR; bit <<= 1) {
    sel_limits drop = lim;
    if (bit == KILN_SEL_DEVICES && lim.allowed != ALL_DEVICES)
      drop.allowed = ALL_DEVICES;
    else if (bit == KILN_SEL_MEMORY && lim.memory_budget != 0)
      drop.memory_budget = 0;
    else if (bit == KILN_SEL_LATENCY && lim.latency_target > 0)
      drop.latency_target = 0;
    else if (bit == KILN_SEL_ERROR && lim.max_error >= 0)
      drop.max_error = -1;
    else
      continue;
    if (solve(&x, &drop, &best, &exact))
      binding |= bit;
  }
  out->latency_us = 0;
  out->memory_bytes = 0;
  out->error = 0;
  out->energy_uj = 0;
  out->binding = binding ? binding : KILN_SEL_COMBINATION;
  out->exact = exact;
  return KILN_SEL_INFEASIBLE;
}
