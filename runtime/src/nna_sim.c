/* The Kiln NNA simulator: executes a validated command stream with the
 * bit-exact arithmetic of docs/nna.md and schedules it with the spec's cost
 * model. The validator (nna_stream.c) has checked every range, so the
 * indexing here needs no checks of its own. */
#include "nna_sim.h"
#include "error.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned long long ull;

/* ---- Arithmetic (docs/nna.md, "Arithmetic") ---------------------------- */

int32_t kiln_nna_srdhm(int32_t a, int32_t b) {
  if (a == INT32_MIN && b == INT32_MIN)
    return INT32_MAX;
  int64_t p = (int64_t)a * b;
  int64_t nudge = p >= 0 ? (1 << 30) : 1 - (1 << 30);
  return (int32_t)((p + nudge) / ((int64_t)1 << 31));
}

int32_t kiln_nna_rdivpot(int32_t x, int32_t e) {
  int32_t mask = (int32_t)(((int64_t)1 << e) - 1);
  int32_t r = x & mask;
  int32_t t = (mask >> 1) + (x < 0);
  return (x >> e) + (r > t);
}

static int32_t sat32(int64_t v) {
  return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int32_t)v;
}

int32_t kiln_nna_mulq(int32_t x, int32_t m, int32_t s) {
  /* A multiplication, not a shift: shifting a negative value is UB. */
  int64_t scaled = (int64_t)x * ((int64_t)1 << (s > 0 ? s : 0));
  return kiln_nna_rdivpot(kiln_nna_srdhm(sat32(scaled), m), s < 0 ? -s : 0);
}

/* The zero-point additions are exact (64 bits) and only then clamped, so a
 * saturated mulq cannot overflow them. */
static int8_t clamp8(int64_t v, int32_t lo, int32_t hi) {
  return (int8_t)(v < lo ? lo : v > hi ? hi : v);
}

/* SDP stage 2: TFLite's quantised add of a and b, with L = 20. */
static int8_t sdp_add(int32_t a, int32_t b, const kiln_nna_add_quant *q) {
  int32_t ua =
      kiln_nna_mulq((a - q->a_zero) * (1 << 20), q->a_mult, q->a_shift);
  int32_t ub =
      kiln_nna_mulq((b - q->b_zero) * (1 << 20), q->b_mult, q->b_shift);
  int32_t u = sat32((int64_t)ua + ub);
  return clamp8((int64_t)kiln_nna_mulq(u, q->o_mult, q->o_shift) + q->o_zero,
                q->lo, q->hi);
}

/* ---- Cost model (docs/nna.md, "Cost model") ---------------------------- */

static uint64_t ceil_div(uint64_t a, uint64_t b) {
  return a / b + (a % b != 0);
}

uint64_t kiln_nna_command_cycles(const kiln_nna_config *cfg,
                                 const kiln_nna_command *cmd) {
  switch (cmd->opcode) {
  case KILN_NNA_DMA_LOAD:
  case KILN_NNA_DMA_STORE:
    return 64 + ceil_div((uint64_t)cmd->dma.rows * cmd->dma.row_bytes,
                         cfg->dma_bytes_per_cycle);
  case KILN_NNA_CONV: {
    const kiln_nna_conv *v = &cmd->conv;
    uint64_t k = v->out.c;
    uint64_t per_tap =
        v->flags & KILN_NNA_CONV_DEPTHWISE
            ? ceil_div(k, cfg->atomic_c)
            : ceil_div(v->cg, cfg->atomic_c) * ceil_div(k, cfg->atomic_k);
    return 16 + per_tap * v->out.h * v->out.w * v->win.kh * v->win.kw;
  }
  case KILN_NNA_ADD: {
    const kiln_nna_cube *o = &cmd->add.out;
    return 16 + ceil_div((uint64_t)o->h * o->w * o->c, cfg->sdp_rate);
  }
  case KILN_NNA_POOL: {
    const kiln_nna_pool *p = &cmd->pool;
    return 16 + ceil_div((uint64_t)p->out.h * p->out.w * p->out.c * p->win.kh *
                             p->win.kw,
                         cfg->pdp_rate);
  }
  default:
    return 0;
  }
}

static uint32_t unit_of(uint32_t opcode) {
  switch (opcode) {
  case KILN_NNA_CONV:
    return KILN_NNA_UNIT_CONV;
  case KILN_NNA_ADD:
    return KILN_NNA_UNIT_SDP;
  case KILN_NNA_POOL:
    return KILN_NNA_UNIT_PDP;
  default:
    return KILN_NNA_UNIT_DMA;
  }
}

/* ---- Footprints: what a command reads and writes, for dependencies ----- */

enum { MEM_SRAM, MEM_CONSTANTS, MEM_ARENA, MEM_ACC };

typedef struct range {
  uint64_t lo, hi; /* [lo, hi) */
  uint32_t mem;
  bool write;
} range;

/* A CONV touches the most: in, weights, params, b, ACC and out. */
enum { MAX_RANGES = 6 };
typedef struct footprint {
  range r[MAX_RANGES];
  int n;
} footprint;

static void add_range(footprint *f, uint32_t mem, uint64_t lo, uint64_t bytes,
                      bool write) {
  range r = {lo, lo + bytes, mem, write};
  f->r[f->n++] = r;
}

static void add_cube(footprint *f, const kiln_nna_cube *q, bool write) {
  add_range(f, MEM_SRAM, q->addr, kiln_nna_cube_extent(q), write);
}

static uint64_t dma_extent(uint64_t stride, const kiln_nna_dma *d) {
  return (uint64_t)(d->rows - 1) * stride + d->row_bytes;
}

static void footprint_of(const kiln_nna_command *cmd, footprint *f) {
  f->n = 0;
  switch (cmd->opcode) {
  case KILN_NNA_DMA_LOAD:
  case KILN_NNA_DMA_STORE: {
    const kiln_nna_dma *d = &cmd->dma;
    bool load = cmd->opcode == KILN_NNA_DMA_LOAD;
    uint32_t dram =
        d->region == KILN_NNA_REGION_CONSTANTS ? MEM_CONSTANTS : MEM_ARENA;
    add_range(f, dram, d->dram, dma_extent(d->dram_stride, d), !load);
    add_range(f, MEM_SRAM, d->sram, dma_extent(d->sram_stride, d), load);
    break;
  }
  case KILN_NNA_CONV: {
    const kiln_nna_conv *v = &cmd->conv;
    uint64_t k = v->out.c;
    add_cube(f, &v->in, false);
    add_range(f, MEM_SRAM, v->weights,
              (uint64_t)v->win.kh * v->win.kw * v->cg * k, false);
    add_range(f, MEM_SRAM, v->params, KILN_NNA_PARAMS_SIZE * k, false);
    /* Every group writes the accumulators (FIRST sets, others add). */
    add_range(f, MEM_ACC, 0, (uint64_t)v->out.h * v->out.w * k, true);
    if (v->flags & KILN_NNA_CONV_LAST)
      add_cube(f, &v->out, true);
    if (v->flags & KILN_NNA_CONV_ADD)
      add_cube(f, &v->b, false);
    break;
  }
  case KILN_NNA_ADD:
    add_cube(f, &cmd->add.a, false);
    add_cube(f, &cmd->add.b, false);
    add_cube(f, &cmd->add.out, true);
    break;
  case KILN_NNA_POOL:
    add_cube(f, &cmd->pool.in, false);
    add_cube(f, &cmd->pool.out, true);
    break;
  }
}

/* Read-after-write, write-after-read or write-after-write on one memory. */
static bool depends(const footprint *a, const footprint *b) {
  for (int i = 0; i < a->n; ++i)
    for (int j = 0; j < b->n; ++j) {
      const range *x = &a->r[i], *y = &b->r[j];
      if (x->mem == y->mem && (x->write || y->write) && x->lo < y->hi &&
          y->lo < x->hi)
        return true;
    }
  return false;
}

/* ---- Execution --------------------------------------------------------- */

typedef struct machine {
  uint8_t *sram;
  uint32_t *acc;   /* unsigned: the accumulators wrap */
  int8_t *scratch; /* a command's output before it is written */
  const uint8_t *constants;
  uint8_t *arena;
} machine;

static int8_t at(const uint8_t *sram, const kiln_nna_cube *q, uint32_t y,
                 uint32_t x, uint32_t ch) {
  return (int8_t)
      sram[q->addr + (uint64_t)y * q->line + (uint64_t)x * q->pixel + ch];
}

/* Writes a dense h x w x c result into `q`. Outputs are computed into the
 * scratch first, so a command reads all its inputs before writing: an
 * output may overlap its inputs. */
static void put_cube(uint8_t *sram, const kiln_nna_cube *q,
                     const int8_t *values) {
  for (uint32_t y = 0; y < q->h; ++y)
    for (uint32_t x = 0; x < q->w; ++x)
      memcpy(sram + q->addr + (uint64_t)y * q->line + (uint64_t)x * q->pixel,
             values + ((uint64_t)y * q->w + x) * q->c, q->c);
}

static int32_t le32(const uint8_t *p) {
  return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                   (uint32_t)p[3] << 24);
}

static void run_dma(machine *m, const kiln_nna_command *cmd) {
  const kiln_nna_dma *d = &cmd->dma;
  for (uint32_t r = 0; r < d->rows; ++r) {
    uint8_t *sram = m->sram + d->sram + (uint64_t)r * d->sram_stride;
    uint64_t dram = d->dram + (uint64_t)r * d->dram_stride;
    if (cmd->opcode == KILN_NNA_DMA_STORE)
      memcpy(m->arena + dram, sram, d->row_bytes);
    else if (d->region == KILN_NNA_REGION_CONSTANTS)
      memcpy(sram, m->constants + dram, d->row_bytes);
    else
      memcpy(sram, m->arena + dram, d->row_bytes);
  }
}

static kiln_status run_conv(machine *m, uint32_t index, const kiln_nna_conv *v,
                            kiln_error *error) {
  const kiln_nna_window *w = &v->win;
  const uint8_t *params = m->sram + v->params;
  const int8_t *weights = (const int8_t *)(m->sram + v->weights);
  uint32_t k_count = v->out.c, cg = v->cg;
  bool depthwise = v->flags & KILN_NNA_CONV_DEPTHWISE;
  bool first = v->flags & KILN_NNA_CONV_FIRST;
  bool last = v->flags & KILN_NNA_CONV_LAST;
  /* Shifts come from SRAM, so only now can they be checked; all of them
   * before any output is written. */
  for (uint32_t k = 0; last && k < k_count; ++k) {
    int32_t shift = le32(params + KILN_NNA_PARAMS_SIZE * k + 8);
    if (shift < -31 || shift > 30)
      return kiln_fail(error, KILN_ERROR_INVALID_MODEL,
                       "NNA stream: command %u (CONV): params channel %u: "
                       "shift %d outside -31..30 (SRAM byte %llu)",
                       index, k, shift,
                       (ull)v->params + KILN_NNA_PARAMS_SIZE * k + 8);
  }
  uint32_t *acc = m->acc;
  for (uint32_t oy = 0; oy < v->out.h; ++oy)
    for (uint32_t ox = 0; ox < v->out.w; ++ox)
      for (uint32_t k = 0; k < k_count; ++k) {
        uint64_t i = ((uint64_t)oy * v->out.w + ox) * k_count + k;
        uint32_t sum =
            first ? (uint32_t)le32(params + KILN_NNA_PARAMS_SIZE * k) : acc[i];
        for (uint32_t ky = 0; ky < w->kh; ++ky) {
          int64_t iy = (int64_t)oy * w->sh - w->pad_top + ky;
          if (iy < 0 || iy >= v->in.h)
            continue; /* padding: in_zero, which adds nothing */
          for (uint32_t kx = 0; kx < w->kw; ++kx) {
            int64_t ix = (int64_t)ox * w->sw - w->pad_left + kx;
            if (ix < 0 || ix >= v->in.w)
              continue;
            const uint8_t *px = m->sram + v->in.addr +
                                (uint64_t)iy * v->in.line +
                                (uint64_t)ix * v->in.pixel;
            const int8_t *wk =
                weights + (((uint64_t)k * w->kh + ky) * w->kw + kx) * cg;
            if (depthwise) {
              sum += (uint32_t)(((int8_t)px[k] - v->in_zero) * wk[0]);
            } else {
              for (uint32_t ch = 0; ch < cg; ++ch)
                sum += (uint32_t)(((int8_t)px[ch] - v->in_zero) * wk[ch]);
            }
          }
        }
        acc[i] = sum;
      }
  if (!last)
    return KILN_OK;
  for (uint32_t oy = 0; oy < v->out.h; ++oy)
    for (uint32_t ox = 0; ox < v->out.w; ++ox)
      for (uint32_t k = 0; k < k_count; ++k) {
        uint64_t i = ((uint64_t)oy * v->out.w + ox) * k_count + k;
        const uint8_t *p = params + KILN_NNA_PARAMS_SIZE * k;
        int32_t scaled =
            kiln_nna_mulq((int32_t)acc[i], le32(p + 4), le32(p + 8));
        int8_t t = clamp8((int64_t)scaled + v->out_zero, v->lo1, v->hi1);
        if (v->flags & KILN_NNA_CONV_ADD)
          t = sdp_add(t, at(m->sram, &v->b, oy, ox, k), &v->add);
        m->scratch[i] = t;
      }
  put_cube(m->sram, &v->out, m->scratch);
  return KILN_OK;
}

static void run_add(machine *m, const kiln_nna_eltwise *v) {
  uint64_t i = 0;
  for (uint32_t y = 0; y < v->out.h; ++y)
    for (uint32_t x = 0; x < v->out.w; ++x)
      for (uint32_t ch = 0; ch < v->out.c; ++ch)
        m->scratch[i++] = sdp_add(at(m->sram, &v->a, y, x, ch),
                                  at(m->sram, &v->b, y, x, ch), &v->q);
  put_cube(m->sram, &v->out, m->scratch);
}

static void run_pool(machine *m, const kiln_nna_pool *v) {
  const kiln_nna_window *w = &v->win;
  uint64_t i = 0;
  for (uint32_t oy = 0; oy < v->out.h; ++oy)
    for (uint32_t ox = 0; ox < v->out.w; ++ox)
      for (uint32_t ch = 0; ch < v->out.c; ++ch) {
        int32_t best = INT32_MIN;
        int64_t sum = 0, n = 0;
        for (uint32_t ky = 0; ky < w->kh; ++ky)
          for (uint32_t kx = 0; kx < w->kw; ++kx) {
            int64_t iy = (int64_t)oy * w->sh - w->pad_top + ky;
            int64_t ix = (int64_t)ox * w->sw - w->pad_left + kx;
            if (iy < 0 || iy >= v->in.h || ix < 0 || ix >= v->in.w) {
              if (v->count_include_pad)
                sum += v->in_zero; /* a padded tap */
              continue;
            }
            int32_t e = at(m->sram, &v->in, (uint32_t)iy, (uint32_t)ix, ch);
            best = e > best ? e : best;
            sum += e;
            ++n;
          }
        if (v->mode == KILN_NNA_POOL_MAX) {
          m->scratch[i++] = (int8_t)best; /* the validator saw n >= 1 */
          continue;
        }
        if (v->count_include_pad)
          n = (int64_t)w->kh * w->kw;
        m->scratch[i++] =
            (int8_t)(sum >= 0 ? (sum + n / 2) / n : (sum - n / 2) / n);
      }
  put_cube(m->sram, &v->out, m->scratch);
}

/* The largest output a command writes through the scratch. */
static uint64_t scratch_size(const kiln_nna_stream *s) {
  uint64_t most = 1;
  for (uint32_t i = 0; i < s->num_commands; ++i) {
    const kiln_nna_command *cmd = &s->commands[i];
    const kiln_nna_cube *q = cmd->opcode == KILN_NNA_CONV   ? &cmd->conv.out
                             : cmd->opcode == KILN_NNA_ADD  ? &cmd->add.out
                             : cmd->opcode == KILN_NNA_POOL ? &cmd->pool.out
                                                            : NULL;
    if (q && (uint64_t)q->h * q->w * q->c > most)
      most = (uint64_t)q->h * q->w * q->c;
  }
  return most;
}

kiln_status kiln_nna_simulate(const kiln_nna_stream *s, uint8_t *arena,
                              uint64_t arena_size, kiln_nna_report *report,
                              kiln_error *error) {
  if (!report || !s || !s->config || (!s->commands && s->num_commands))
    return kiln_fail(error, KILN_ERROR_INVALID_ARGUMENT,
                     "NNA simulator: no stream or report");
  memset(report, 0, sizeof *report);
  if (arena_size < s->arena_size || (!arena && s->arena_size))
    return kiln_fail(error, KILN_ERROR_INVALID_ARGUMENT,
                     "NNA simulator: an arena of %llu bytes, the stream "
                     "needs %llu",
                     (ull)(arena ? arena_size : 0), (ull)s->arena_size);
  const kiln_nna_config *cfg = s->config;
  uint32_t n = s->num_commands;
  /* Sizes: the SRAM and ACC of a configuration, the scratch at most one
   * SRAM (a validated cube fits the SRAM, and h * w * c <= its extent). */
  machine m = {calloc(cfg->sram_bytes, 1),
               calloc(cfg->acc_entries, sizeof(uint32_t)),
               malloc((size_t)scratch_size(s)), s->constants, arena};
  footprint *fp = calloc(n ? n : 1, sizeof(footprint));
  report->commands = calloc(n ? n : 1, sizeof(kiln_nna_command_report));
  kiln_status st = KILN_OK;
  if (!m.sram || !m.acc || !m.scratch || !fp || !report->commands)
    st = kiln_fail(error, KILN_ERROR_OUT_OF_MEMORY, "NNA simulator: memory");
  report->num_commands = n;

  uint64_t unit_free[KILN_NNA_NUM_UNITS] = {0};
  for (uint32_t i = 0; i < n && st == KILN_OK; ++i) {
    const kiln_nna_command *cmd = &s->commands[i];
    kiln_nna_command_report *r = &report->commands[i];
    r->opcode = cmd->opcode;
    r->unit = unit_of(cmd->opcode);
    r->cycles = kiln_nna_command_cycles(cfg, cmd);
    /* Starts when its unit is free and every earlier command it depends
     * on has ended; a command that ended by then cannot delay it. */
    footprint_of(cmd, &fp[i]);
    uint64_t start = unit_free[r->unit];
    for (uint32_t j = 0; j < i; ++j)
      if (report->commands[j].end > start && depends(&fp[i], &fp[j]))
        start = report->commands[j].end;
    r->start = start;
    r->end = start + r->cycles;
    unit_free[r->unit] = r->end;
    report->busy[r->unit] += r->cycles;
    if (r->end > report->cycles)
      report->cycles = r->end;

    switch (cmd->opcode) {
    case KILN_NNA_DMA_LOAD:
    case KILN_NNA_DMA_STORE: {
      uint64_t bytes = (uint64_t)cmd->dma.rows * cmd->dma.row_bytes;
      if (cmd->opcode == KILN_NNA_DMA_LOAD)
        r->dram_read = bytes;
      else
        r->dram_written = bytes;
      run_dma(&m, cmd);
      break;
    }
    case KILN_NNA_CONV:
      st = run_conv(&m, i, &cmd->conv, error);
      break;
    case KILN_NNA_ADD:
      run_add(&m, &cmd->add);
      break;
    case KILN_NNA_POOL:
      run_pool(&m, &cmd->pool);
      break;
    }
    report->dram_read += r->dram_read;
    report->dram_written += r->dram_written;
  }
  free(m.sram);
  free(m.acc);
  free(m.scratch);
  free(fp);
  if (st != KILN_OK)
    kiln_nna_report_free(report);
  return st;
}

void kiln_nna_report_free(kiln_nna_report *report) {
  if (!report)
    return;
  free(report->commands);
  memset(report, 0, sizeof *report);
}
