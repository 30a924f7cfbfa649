/* Parsing and validation of Kiln NNA command streams (kiln/nna_stream.h,
 * docs/nna.md). Every read is checked against the bytes left and every
 * range is computed in 64 bits in a way that cannot wrap, so that arbitrary
 * input never reads out of bounds here, nor makes the simulator do so. */
#include "nna_stream.h"
#include "error.h"
#include "reader.h"

#include "kiln/model_format.h"
#include "kiln/nna_stream.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INVALID(...)                                                           \
  kiln_fail(error, KILN_ERROR_INVALID_MODEL, "NNA stream: " __VA_ARGS__)

typedef unsigned long long ull;

/* What the checks of one command need. */
typedef struct context {
  const kiln_nna_config *cfg;
  uint64_t const_size, arena_size;
  uint32_t index, opcode; /* the command being checked */
  kiln_error *error;
  /* The accumulation that a FIRST opened and no LAST closed yet. */
  bool open;
  uint32_t open_index;
  uint32_t open_h, open_w, open_c;
} context;

/* A failure of the current command: "command I (OPCODE): what". */
static kiln_status bad(const context *x, const char *fmt, ...)
    KILN_PRINTF(2, 3);
static kiln_status bad(const context *x, const char *fmt, ...) {
  char what[200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  return kiln_fail(x->error, KILN_ERROR_INVALID_MODEL,
                   "NNA stream: command %u (%s): %s", x->index,
                   kiln_nna_opcode_name(x->opcode), what);
}

static bool read_i8(reader *r, int32_t *v) {
  uint32_t u;
  if (!read_u8(r, &u))
    return false;
  *v = (int8_t)u;
  return true;
}

static bool read_i32(reader *r, int32_t *v) {
  uint32_t u;
  if (!read_u32(r, &u))
    return false;
  *v = (int32_t)u;
  return true;
}

static bool read_cube(reader *r, kiln_nna_cube *q) {
  return read_u32(r, &q->addr) && read_u16(r, &q->h) && read_u16(r, &q->w) &&
         read_u16(r, &q->c) && read_u32(r, &q->pixel) && read_u32(r, &q->line);
}

/* kh, kw, sh, sw, then the pads in the stream's order. */
static bool read_window(reader *r, kiln_nna_window *w) {
  return read_u8(r, &w->kh) && read_u8(r, &w->kw) && read_u8(r, &w->sh) &&
         read_u8(r, &w->sw) && read_u8(r, &w->pad_top) &&
         read_u8(r, &w->pad_left) && read_u8(r, &w->pad_bottom) &&
         read_u8(r, &w->pad_right);
}

static kiln_status check_sram(const context *x, const char *field,
                              uint64_t addr, uint64_t bytes) {
  uint64_t sram = x->cfg->sram_bytes;
  /* addr < 2^32 and bytes < 2^49 here, so the sum in the message fits. */
  if (addr > sram || bytes > sram - addr)
    return bad(x, "%s: SRAM bytes %llu..%llu pass the %s config's %llu", field,
               (ull)addr, (ull)(addr + bytes), x->cfg->name, (ull)sram);
  return KILN_OK;
}

static kiln_status check_cube(const context *x, const char *name,
                              const kiln_nna_cube *q) {
  if (!q->h || !q->w || !q->c)
    return bad(x, "%s: zero dimension in %ux%ux%u", name, q->h, q->w, q->c);
  if (q->pixel < q->c)
    return bad(x, "%s.pixel %u < %s.c %u", name, q->pixel, name, q->c);
  if ((uint64_t)q->line < (uint64_t)q->w * q->pixel)
    return bad(x, "%s.line %u < %s.w %u x pixel %u", name, q->line, name, q->w,
               q->pixel);
  return check_sram(x, name, q->addr, kiln_nna_cube_extent(q));
}

static bool same_shape(const kiln_nna_cube *a, const kiln_nna_cube *b) {
  return a->h == b->h && a->w == b->w && a->c == b->c;
}

static kiln_status check_same_shape(const context *x, const char *name,
                                    const kiln_nna_cube *q,
                                    const kiln_nna_cube *out) {
  if (!same_shape(q, out))
    return bad(x, "%s %ux%ux%u differs from out %ux%ux%u", name, q->h, q->w,
               q->c, out->h, out->w, out->c);
  return KILN_OK;
}

/* `rows` (>= 1) rows of `row` bytes, `stride` apart from `base`, inside
 * `limit` bytes; written so that no term can wrap. */
static bool rows_inside(uint64_t base, uint64_t rows, uint64_t stride,
                        uint64_t row, uint64_t limit) {
  if (base > limit || row > limit - base)
    return false;
  return rows == 1 || stride <= (limit - base - row) / (rows - 1);
}

static kiln_status check_dma(const context *x, const kiln_nna_dma *d,
                             bool load) {
  const char *dram = load ? "src" : "dst", *sram = load ? "dst" : "src";
  if (load && d->region != KILN_NNA_REGION_CONSTANTS &&
      d->region != KILN_NNA_REGION_ARENA)
    return bad(x, "region %u is neither 0 (constants) nor 1 (arena)",
               d->region);
  if (!d->rows || !d->row_bytes)
    return bad(x, "rows %u x row_bytes %u: an empty copy", d->rows,
               d->row_bytes);
  if (d->dram_stride < d->row_bytes)
    return bad(x, "%s_stride %llu < row_bytes %u", dram, (ull)d->dram_stride,
               d->row_bytes);
  if (d->sram_stride < d->row_bytes)
    return bad(x, "%s_stride %u < row_bytes %u", sram, d->sram_stride,
               d->row_bytes);
  if (!rows_inside(d->sram, d->rows, d->sram_stride, d->row_bytes,
                   x->cfg->sram_bytes))
    return bad(x,
               "%s: %u rows of %u bytes, %u apart from %u, pass the %s "
               "config's %u-byte SRAM",
               sram, d->rows, d->row_bytes, d->sram_stride, d->sram,
               x->cfg->name, x->cfg->sram_bytes);
  uint64_t limit =
      d->region == KILN_NNA_REGION_CONSTANTS ? x->const_size : x->arena_size;
  if (!rows_inside(d->dram, d->rows, d->dram_stride, d->row_bytes, limit))
    return bad(x,
               "%s: %u rows of %u bytes, %llu apart from %llu, pass "
               "region %u (%s, %llu bytes)",
               dram, d->rows, d->row_bytes, (ull)d->dram_stride, (ull)d->dram,
               d->region,
               d->region == KILN_NNA_REGION_CONSTANTS ? "constants" : "arena",
               (ull)limit);
  return KILN_OK;
}

/* Kernel 1..kmax_h x 1..kmax_w, stride 1..smax, each pad below its kernel. */
static kiln_status check_window(const context *x, const kiln_nna_window *w,
                                uint32_t kmax_h, uint32_t kmax_w, uint32_t smax,
                                const char *why) {
  if (w->kh < 1 || w->kh > kmax_h)
    return bad(x, "kh %u outside 1..%u%s", w->kh, kmax_h, why);
  if (w->kw < 1 || w->kw > kmax_w)
    return bad(x, "kw %u outside 1..%u%s", w->kw, kmax_w, why);
  if (w->sh < 1 || w->sh > smax)
    return bad(x, "sh %u outside 1..%u", w->sh, smax);
  if (w->sw < 1 || w->sw > smax)
    return bad(x, "sw %u outside 1..%u", w->sw, smax);
  const struct {
    const char *name, *kname;
    uint32_t pad, k;
  } pads[4] = {{"pad_top", "kh", w->pad_top, w->kh},
               {"pad_left", "kw", w->pad_left, w->kw},
               {"pad_bottom", "kh", w->pad_bottom, w->kh},
               {"pad_right", "kw", w->pad_right, w->kw}};
  for (int i = 0; i < 4; ++i)
    if (pads[i].pad >= pads[i].k)
      return bad(x, "%s %u is not smaller than %s %u", pads[i].name,
                 pads[i].pad, pads[i].kname, pads[i].k);
  return KILN_OK;
}

/* out = floor((in + pads - k) / s) + 1 along one dimension. */
static kiln_status check_out_dim(const context *x, const char *dim, uint32_t in,
                                 uint32_t pad_a, uint32_t pad_b, uint32_t k,
                                 uint32_t s, uint32_t out) {
  uint64_t padded = (uint64_t)in + pad_a + pad_b;
  if (padded < k)
    return bad(x, "in.%s %u + pads %u + %u is smaller than the kernel's %u",
               dim, in, pad_a, pad_b, k);
  uint64_t want = (padded - k) / s + 1;
  if (out != want)
    return bad(x, "out.%s %u, expected (%u + %u + %u - %u) / %u + 1 = %llu",
               dim, out, in, pad_a, pad_b, k, s, (ull)want);
  return KILN_OK;
}

static kiln_status check_out_shape(const context *x, const kiln_nna_cube *in,
                                   const kiln_nna_cube *out,
                                   const kiln_nna_window *w) {
  kiln_status st = check_out_dim(x, "h", in->h, w->pad_top, w->pad_bottom,
                                 w->kh, w->sh, out->h);
  if (st == KILN_OK)
    st = check_out_dim(x, "w", in->w, w->pad_left, w->pad_right, w->kw, w->sw,
                       out->w);
  return st;
}

static kiln_status check_shift(const context *x, const char *name,
                               int32_t shift) {
  if (shift < -31 || shift > 30)
    return bad(x, "%s %d outside -31..30", name, shift);
  return KILN_OK;
}

static kiln_status check_clamp(const context *x, const char *lo_name,
                               int32_t lo, const char *hi_name, int32_t hi) {
  if (lo > hi)
    return bad(x, "%s %d > %s %d", lo_name, lo, hi_name, hi);
  return KILN_OK;
}

/* The shifts and clamp of an SDP add; `names` are the stream's field names
 * for a_shift, b_shift, o_shift, lo, hi. */
static kiln_status check_add_quant(const context *x,
                                   const kiln_nna_add_quant *q,
                                   const char *const names[5]) {
  kiln_status st;
  if ((st = check_shift(x, names[0], q->a_shift)) != KILN_OK ||
      (st = check_shift(x, names[1], q->b_shift)) != KILN_OK ||
      (st = check_shift(x, names[2], q->o_shift)) != KILN_OK)
    return st;
  return check_clamp(x, names[3], q->lo, names[4], q->hi);
}

static kiln_status parse_conv(reader *r, context *x, kiln_nna_conv *v) {
  kiln_nna_add_quant *q = &v->add;
  if (!read_cube(r, &v->in) || !read_cube(r, &v->out) ||
      !read_u32(r, &v->weights) || !read_u32(r, &v->params) ||
      !read_window(r, &v->win) || !read_u8(r, &v->flags) ||
      !read_i8(r, &v->in_zero) || !read_i8(r, &v->out_zero) ||
      !read_i8(r, &v->lo1) || !read_i8(r, &v->hi1) || !read_cube(r, &v->b) ||
      !read_i8(r, &q->b_zero) || !read_i32(r, &q->a_mult) ||
      !read_i8(r, &q->a_shift) || !read_i32(r, &q->b_mult) ||
      !read_i8(r, &q->b_shift) || !read_i32(r, &q->o_mult) ||
      !read_i8(r, &q->o_shift) || !read_i8(r, &q->o_zero) ||
      !read_i8(r, &q->lo) || !read_i8(r, &q->hi))
    return bad(x, "truncated");
  q->a_zero = v->out_zero; /* t_zero */

  const uint32_t known = KILN_NNA_CONV_FIRST | KILN_NNA_CONV_LAST |
                         KILN_NNA_CONV_DEPTHWISE | KILN_NNA_CONV_ADD;
  bool first = v->flags & KILN_NNA_CONV_FIRST;
  bool last = v->flags & KILN_NNA_CONV_LAST;
  bool depthwise = v->flags & KILN_NNA_CONV_DEPTHWISE;
  bool add = v->flags & KILN_NNA_CONV_ADD;
  if (v->flags & ~known)
    return bad(x, "flags 0x%x: unknown bits 0x%x", v->flags, v->flags & ~known);
  if (add && !last)
    return bad(x, "flags 0x%x: ADD without LAST (the add is an output stage)",
               v->flags);
  kiln_status st;
  if ((st = check_cube(x, "in", &v->in)) != KILN_OK ||
      (st = check_cube(x, "out", &v->out)) != KILN_OK ||
      (st = check_window(x, &v->win, 11, 11, 4, "")) != KILN_OK)
    return st;
  uint32_t k = v->out.c;
  if (depthwise && k != v->in.c)
    return bad(x, "DEPTHWISE with out.c %u != in.c %u", k, v->in.c);
  if ((st = check_out_shape(x, &v->in, &v->out, &v->win)) != KILN_OK)
    return st;
  uint64_t outputs = (uint64_t)v->out.h * v->out.w * k;
  if (outputs > x->cfg->acc_entries)
    return bad(x,
               "out %ux%ux%u needs %llu accumulators, the %s config's ACC "
               "holds %u",
               v->out.h, v->out.w, k, (ull)outputs, x->cfg->name,
               x->cfg->acc_entries);
  v->cg = depthwise ? 1 : v->in.c;
  uint64_t taps = (uint64_t)v->win.kh * v->win.kw * v->cg;
  if (taps * 255 * 128 >= (1ull << 31))
    return bad(x, "kh %u x kw %u x cg %u x 255 x 128 reaches 2^31", v->win.kh,
               v->win.kw, v->cg);
  if ((st = check_sram(x, "weights", v->weights, taps * k)) != KILN_OK ||
      (st = check_sram(x, "params", v->params,
                       (uint64_t)KILN_NNA_PARAMS_SIZE * k)) != KILN_OK ||
      (st = check_clamp(x, "lo1", v->lo1, "hi1", v->hi1)) != KILN_OK)
    return st;
  if (add) {
    static const char *const names[5] = {"t_shift", "b_shift", "o_shift", "lo2",
                                         "hi2"};
    if ((st = check_cube(x, "b", &v->b)) != KILN_OK ||
        (st = check_same_shape(x, "b", &v->b, &v->out)) != KILN_OK ||
        (st = check_add_quant(x, q, names)) != KILN_OK)
      return st;
  }

  /* Input-channel groups: FIRST opens the accumulators, LAST closes them,
   * and everything between continues the same output. */
  if (first && x->open)
    return bad(x,
               "FIRST while the accumulation that command %u opened is "
               "still open",
               x->open_index);
  if (!first && !x->open)
    return bad(x, "flags 0x%x: no FIRST, but no accumulation is open",
               v->flags);
  if (!first &&
      (v->out.h != x->open_h || v->out.w != x->open_w || k != x->open_c))
    return bad(x,
               "out %ux%ux%u does not continue the %ux%ux%u accumulation "
               "that command %u opened",
               v->out.h, v->out.w, k, x->open_h, x->open_w, x->open_c,
               x->open_index);
  if (first) {
    x->open = true;
    x->open_index = x->index;
    x->open_h = v->out.h;
    x->open_w = v->out.w;
    x->open_c = k;
  }
  if (last)
    x->open = false;
  return KILN_OK;
}

static kiln_status parse_add(reader *r, const context *x, kiln_nna_eltwise *v) {
  kiln_nna_add_quant *q = &v->q;
  if (!read_cube(r, &v->a) || !read_cube(r, &v->b) || !read_cube(r, &v->out) ||
      !read_i8(r, &q->a_zero) || !read_i32(r, &q->a_mult) ||
      !read_i8(r, &q->a_shift) || !read_i8(r, &q->b_zero) ||
      !read_i32(r, &q->b_mult) || !read_i8(r, &q->b_shift) ||
      !read_i32(r, &q->o_mult) || !read_i8(r, &q->o_shift) ||
      !read_i8(r, &q->o_zero) || !read_i8(r, &q->lo) || !read_i8(r, &q->hi))
    return bad(x, "truncated");
  static const char *const names[5] = {"a_shift", "b_shift", "o_shift", "lo",
                                       "hi"};
  kiln_status st;
  if ((st = check_cube(x, "a", &v->a)) != KILN_OK ||
      (st = check_cube(x, "b", &v->b)) != KILN_OK ||
      (st = check_cube(x, "out", &v->out)) != KILN_OK ||
      (st = check_same_shape(x, "a", &v->a, &v->out)) != KILN_OK ||
      (st = check_same_shape(x, "b", &v->b, &v->out)) != KILN_OK)
    return st;
  return check_add_quant(x, q, names);
}

static kiln_status parse_pool(reader *r, const context *x, kiln_nna_pool *v) {
  uint32_t cip;
  if (!read_cube(r, &v->in) || !read_cube(r, &v->out) ||
      !read_u8(r, &v->mode) || !read_window(r, &v->win) || !read_u8(r, &cip) ||
      !read_i8(r, &v->in_zero))
    return bad(x, "truncated");
  if (v->mode != KILN_NNA_POOL_MAX && v->mode != KILN_NNA_POOL_AVERAGE)
    return bad(x, "mode %u is neither 0 (max) nor 1 (average)", v->mode);
  if (cip > 1)
    return bad(x, "count_include_pad %u is neither 0 nor 1", cip);
  v->count_include_pad = cip;
  kiln_status st;
  if ((st = check_cube(x, "in", &v->in)) != KILN_OK ||
      (st = check_cube(x, "out", &v->out)) != KILN_OK)
    return st;
  /* A global pool's window is the whole unpadded input: up to 255 wide. */
  const kiln_nna_window *w = &v->win;
  bool global = w->kh == v->in.h && w->kw == v->in.w && !w->pad_top &&
                !w->pad_left && !w->pad_bottom && !w->pad_right;
  if ((st = check_window(x, w, global ? 255 : 16, global ? 255 : 16, 16,
                         global ? ""
                                : " (a global pool's window is the whole "
                                  "unpadded input)")) != KILN_OK)
    return st;
  if (v->out.c != v->in.c)
    return bad(x, "out.c %u != in.c %u", v->out.c, v->in.c);
  if ((st = check_out_shape(x, &v->in, &v->out, w)) != KILN_OK)
    return st;
  /* The first window starts at -pad and the last at (out - 1) * s - pad;
   * pad < k and the output shape already keep both on the input, but the
   * max of an empty window is undefined, so it is checked on its own. */
  if (v->mode == KILN_NNA_POOL_MAX &&
      ((uint64_t)(v->out.h - 1) * w->sh >= (uint64_t)v->in.h + w->pad_top ||
       (uint64_t)(v->out.w - 1) * w->sw >= (uint64_t)v->in.w + w->pad_left))
    return bad(x, "a max-pool window lies wholly in the padding");
  return KILN_OK;
}

static kiln_status parse_command(reader *c, context *x, kiln_nna_command *cmd) {
  kiln_error *error = x->error;
  uint32_t opcode;
  if (!read_u8(c, &opcode))
    return INVALID("command %u: truncated before its opcode", x->index);
  x->opcode = opcode;
  cmd->opcode = opcode;
  uint32_t fields;
  switch (opcode) {
  case KILN_NNA_DMA_LOAD:
    fields = KILN_NNA_DMA_LOAD_FIELDS;
    break;
  case KILN_NNA_DMA_STORE:
    fields = KILN_NNA_DMA_STORE_FIELDS;
    break;
  case KILN_NNA_CONV:
    fields = KILN_NNA_CONV_FIELDS;
    break;
  case KILN_NNA_ADD:
    fields = KILN_NNA_ADD_FIELDS;
    break;
  case KILN_NNA_POOL:
    fields = KILN_NNA_POOL_FIELDS;
    break;
  default:
    return INVALID("command %u: unknown opcode %u", x->index, opcode);
  }
  if (c->left < fields)
    return bad(x,
               "truncated: %u bytes of fields, %llu left before the "
               "constants",
               fields, (ull)c->left);
  kiln_nna_dma *d = &cmd->dma;
  switch (opcode) {
  case KILN_NNA_DMA_LOAD:
    if (!read_u8(c, &d->region) || !read_u64(c, &d->dram) ||
        !read_u64(c, &d->dram_stride) || !read_u32(c, &d->sram) ||
        !read_u32(c, &d->sram_stride) || !read_u32(c, &d->rows) ||
        !read_u32(c, &d->row_bytes))
      return bad(x, "truncated");
    return check_dma(x, d, true);
  case KILN_NNA_DMA_STORE:
    d->region = KILN_NNA_REGION_ARENA;
    if (!read_u32(c, &d->sram) || !read_u32(c, &d->sram_stride) ||
        !read_u64(c, &d->dram) || !read_u64(c, &d->dram_stride) ||
        !read_u32(c, &d->rows) || !read_u32(c, &d->row_bytes))
      return bad(x, "truncated");
    return check_dma(x, d, false);
  case KILN_NNA_CONV:
    return parse_conv(c, x, &cmd->conv);
  case KILN_NNA_ADD:
    return parse_add(c, x, &cmd->add);
  default:
    return parse_pool(c, x, &cmd->pool);
  }
}

kiln_status kiln_nna_stream_parse(const uint8_t *data, uint64_t size,
                                  kiln_nna_stream *out, kiln_error *error) {
  if (!out)
    return kiln_fail(error, KILN_ERROR_INVALID_ARGUMENT,
                     "NNA stream: no stream to parse into");
  memset(out, 0, sizeof *out);
  if (!data || size < KILN_NNA_HEADER_SIZE)
    return INVALID("%llu bytes, shorter than its %u-byte header",
                   (ull)(data ? size : 0), KILN_NNA_HEADER_SIZE);
  reader c = {data, size};
  uint32_t magic, version, checksum, config;
  uint64_t payload;
  read_u32(&c, &magic);
  read_u32(&c, &version);
  read_u64(&c, &payload);
  read_u32(&c, &checksum);
  read_u32(&c, &config);
  if (magic != KILN_NNA_MAGIC)
    return INVALID("bad magic 0x%08x (not a KNNA stream)", magic);
  if (version != KILN_NNA_VERSION)
    return INVALID("version %u, this runtime reads %u", version,
                   KILN_NNA_VERSION);
  if (payload != c.left)
    return INVALID("payload of %llu bytes, %llu present", (ull)payload,
                   (ull)c.left);
  if (kiln_fnv1a32(c.p, c.left) != checksum)
    return INVALID("checksum mismatch (corrupt stream)");
  const kiln_nna_config *cfg = kiln_nna_config_get(config);
  if (!cfg)
    return INVALID("unknown config %u (0 small, 1 large)", config);
  out->config = cfg;

  uint32_t n;
  if (!read_u64(&c, &out->const_size) || !read_u64(&c, &out->arena_size) ||
      !read_u32(&c, &n))
    return INVALID("truncated sizes and command count");
  if (out->const_size > c.left)
    return INVALID("truncated constants: %llu bytes declared, %llu left after "
                   "the command count",
                   (ull)out->const_size, (ull)c.left);
  /* The commands lie between the count and the constants; the smallest
   * command takes 33 bytes, so a larger count cannot fit. */
  reader cmds = {c.p, c.left - out->const_size};
  if (n > cmds.left / (1 + KILN_NNA_DMA_STORE_FIELDS))
    return INVALID("truncated commands: %u cannot fit in %llu bytes", n,
                   (ull)cmds.left);
  out->commands = calloc(n ? n : 1, sizeof(kiln_nna_command));
  if (!out->commands)
    return kiln_fail(error, KILN_ERROR_OUT_OF_MEMORY, "NNA stream: commands");
  out->num_commands = n;
  context x = {
      cfg, out->const_size, out->arena_size, 0, 0, error, false, 0, 0, 0, 0};
  for (uint32_t i = 0; i < n; ++i) {
    x.index = i;
    kiln_status st = parse_command(&cmds, &x, &out->commands[i]);
    if (st != KILN_OK)
      return st;
  }
  if (x.open) {
    x.index = x.open_index;
    x.opcode = KILN_NNA_CONV;
    return bad(&x, "FIRST opens an accumulation that no LAST closes");
  }
  if (cmds.left)
    return INVALID("%llu bytes between the last command and the %llu bytes of "
                   "constants",
                   (ull)cmds.left, (ull)out->const_size);
  out->constants = cmds.p;
  return KILN_OK;
}

void kiln_nna_stream_free(kiln_nna_stream *stream) {
  if (!stream)
    return;
  free(stream->commands);
  memset(stream, 0, sizeof *stream);
}
