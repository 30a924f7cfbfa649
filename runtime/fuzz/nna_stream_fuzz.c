/* kiln_nna_stream_fuzz: untrusted bytes -> kiln_nna_stream_parse, the
 * validator of Kiln NNA command streams (kiln/nna_stream.h, docs/nna.md),
 * then kiln_nna_simulate on what it accepts. Like the other targets, each
 * input is tried as is and with its payload size and checksum rewritten to
 * match, so that mutations get past the header. Beyond "no crash, no
 * leak": on failure the message is set. On success
 * the constants are the input's tail; every command has a known opcode;
 * every SRAM range (cubes, weights, params, DMA rows) lies inside the
 * configuration's SRAM and every DRAM range inside its region (computed
 * here in 128 bits, apart from the parser's arithmetic); cubes have no
 * zero dimension and strides at least their contents; windows, output
 * shapes, ACC and tap bounds, shifts and clamps are as the spec says; and
 * FIRST/LAST accumulations nest. When the arena takes at most 1 MiB, there
 * are at most 64 commands and the work (MACs, window taps, elements and
 * DMA bytes) is at most 2^22, the stream runs on a zeroed arena of exactly
 * its size (ASan sees any access past it): it either succeeds, with a
 * report whose every command ends `cycles` after it starts, no earlier than
 * the previous command of its unit ended, with the spec's cycles, and
 * whose totals add up; or fails on a per-channel shift, with an empty
 * report. */
#include "fuzz_checks.h"
#include "kiln/model_format.h"
#include "kiln/nna_stream.h"
#include "nna_sim.h"    /* runtime/src */
#include "nna_stream.h" /* runtime/src */
#include "nna_work.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned __int128 u128;

static void check_cube(const kiln_nna_config *cfg, const kiln_nna_cube *q) {
  CHECK(q->h >= 1 && q->w >= 1 && q->c >= 1);
  CHECK(q->h <= 0xffff && q->w <= 0xffff && q->c <= 0xffff);
  CHECK(q->pixel >= q->c && (u128)q->line >= (u128)q->w * q->pixel);
  u128 end = (u128)q->addr + (u128)(q->h - 1) * q->line +
             (u128)(q->w - 1) * q->pixel + q->c;
  CHECK(end <= cfg->sram_bytes);
}

static void check_sram(const kiln_nna_config *cfg, uint64_t addr, u128 bytes) {
  CHECK((u128)addr + bytes <= cfg->sram_bytes);
}

/* `rows` rows of `row` bytes, `stride` apart, inside `limit` bytes. */
static void check_rows(uint64_t base, uint32_t rows, uint64_t stride,
                       uint32_t row, uint64_t limit) {
  CHECK(rows >= 1 && row >= 1 && stride >= row);
  CHECK((u128)base + (u128)(rows - 1) * stride + row <= limit);
}

static void check_out_dim(uint32_t in, uint32_t pad_a, uint32_t pad_b,
                          uint32_t k, uint32_t s, uint32_t out) {
  CHECK(in + pad_a + pad_b >= k);
  CHECK(out == (in + pad_a + pad_b - k) / s + 1);
}

static void check_window(const kiln_nna_window *w, uint32_t kmax,
                         uint32_t smax) {
  CHECK(w->kh >= 1 && w->kh <= kmax && w->kw >= 1 && w->kw <= kmax);
  CHECK(w->sh >= 1 && w->sh <= smax && w->sw >= 1 && w->sw <= smax);
  CHECK(w->pad_top < w->kh && w->pad_bottom < w->kh);
  CHECK(w->pad_left < w->kw && w->pad_right < w->kw);
}

static void check_shape(const kiln_nna_cube *in, const kiln_nna_cube *out,
                        const kiln_nna_window *w) {
  check_out_dim(in->h, w->pad_top, w->pad_bottom, w->kh, w->sh, out->h);
  check_out_dim(in->w, w->pad_left, w->pad_right, w->kw, w->sw, out->w);
}

static bool same_shape(const kiln_nna_cube *a, const kiln_nna_cube *b) {
  return a->h == b->h && a->w == b->w && a->c == b->c;
}

static void check_add_quant(const kiln_nna_add_quant *q) {
  CHECK(q->a_shift >= -31 && q->a_shift <= 30);
  CHECK(q->b_shift >= -31 && q->b_shift <= 30);
  CHECK(q->o_shift >= -31 && q->o_shift <= 30);
  CHECK(q->lo <= q->hi);
}

static void check_stream(const kiln_nna_stream *s, const uint8_t *data,
                         size_t size) {
  const kiln_nna_config *cfg = s->config;
  CHECK(cfg && cfg->id < KILN_NNA_NUM_CONFIGS);
  CHECK(s->const_size <= size && s->constants == data + size - s->const_size);
  CHECK(s->num_commands == 0 || s->commands);
  bool open = false;
  uint32_t open_h = 0, open_w = 0, open_c = 0;
  for (uint32_t i = 0; i < s->num_commands; ++i) {
    const kiln_nna_command *cmd = &s->commands[i];
    switch (cmd->opcode) {
    case KILN_NNA_DMA_LOAD:
    case KILN_NNA_DMA_STORE: {
      const kiln_nna_dma *d = &cmd->dma;
      bool load = cmd->opcode == KILN_NNA_DMA_LOAD;
      CHECK(load ? d->region <= 1 : d->region == KILN_NNA_REGION_ARENA);
      check_rows(d->sram, d->rows, d->sram_stride, d->row_bytes,
                 cfg->sram_bytes);
      check_rows(d->dram, d->rows, d->dram_stride, d->row_bytes,
                 d->region == KILN_NNA_REGION_CONSTANTS ? s->const_size
                                                        : s->arena_size);
      break;
    }
    case KILN_NNA_CONV: {
      const kiln_nna_conv *v = &cmd->conv;
      CHECK(v->flags <= 15);
      bool dw = v->flags & KILN_NNA_CONV_DEPTHWISE;
      bool add = v->flags & KILN_NNA_CONV_ADD;
      check_cube(cfg, &v->in);
      check_cube(cfg, &v->out);
      check_window(&v->win, 11, 4);
      check_shape(&v->in, &v->out, &v->win);
      uint32_t k = v->out.c;
      CHECK(!dw || k == v->in.c);
      CHECK(v->cg == (dw ? 1 : v->in.c));
      CHECK((uint64_t)v->out.h * v->out.w * k <= cfg->acc_entries);
      u128 taps = (u128)v->win.kh * v->win.kw * v->cg;
      CHECK(taps * 255 * 128 < ((u128)1 << 31));
      check_sram(cfg, v->weights, taps * k);
      check_sram(cfg, v->params, (u128)KILN_NNA_PARAMS_SIZE * k);
      CHECK(v->lo1 <= v->hi1);
      if (add) {
        CHECK(v->flags & KILN_NNA_CONV_LAST);
        check_cube(cfg, &v->b);
        CHECK(same_shape(&v->b, &v->out));
        check_add_quant(&v->add);
        CHECK(v->add.a_zero == v->out_zero);
      }
      if (v->flags & KILN_NNA_CONV_FIRST) {
        CHECK(!open);
        open = true;
        open_h = v->out.h;
        open_w = v->out.w;
        open_c = k;
      } else {
        CHECK(open && open_h == v->out.h && open_w == v->out.w && open_c == k);
      }
      if (v->flags & KILN_NNA_CONV_LAST)
        open = false;
      break;
    }
    case KILN_NNA_ADD: {
      const kiln_nna_eltwise *v = &cmd->add;
      check_cube(cfg, &v->a);
      check_cube(cfg, &v->b);
      check_cube(cfg, &v->out);
      CHECK(same_shape(&v->a, &v->out) && same_shape(&v->b, &v->out));
      check_add_quant(&v->q);
      break;
    }
    case KILN_NNA_POOL: {
      const kiln_nna_pool *v = &cmd->pool;
      CHECK(v->mode <= KILN_NNA_POOL_AVERAGE);
      check_cube(cfg, &v->in);
      check_cube(cfg, &v->out);
      const kiln_nna_window *w = &v->win;
      bool global = w->kh == v->in.h && w->kw == v->in.w && !w->pad_top &&
                    !w->pad_left && !w->pad_bottom && !w->pad_right;
      check_window(w, global ? 255 : 16, 16);
      CHECK(v->out.c == v->in.c);
      check_shape(&v->in, &v->out, w);
      break;
    }
    default:
      CHECK(!"a command of unknown opcode");
    }
  }
  CHECK(!open);
}

static void simulate(const kiln_nna_stream *s) {
  uint8_t *arena = s->arena_size ? calloc((size_t)s->arena_size, 1) : NULL;
  if (s->arena_size && !arena)
    return;
  kiln_nna_report report;
  kiln_error error;
  memset(&error, 0, sizeof error);
  kiln_status st = kiln_nna_simulate(s, arena, s->arena_size, &report, &error);
  if (st != KILN_OK) {
    CHECK(st == KILN_ERROR_INVALID_MODEL && error.status == st);
    CHECK(strstr(error.message, "shift") != NULL);
    CHECK(report.commands == NULL && report.num_commands == 0);
  } else {
    CHECK(report.num_commands == s->num_commands);
    uint64_t unit_end[KILN_NNA_NUM_UNITS] = {0}, busy[KILN_NNA_NUM_UNITS] = {0};
    uint64_t last = 0, read = 0, written = 0;
    for (uint32_t i = 0; i < report.num_commands; ++i) {
      const kiln_nna_command_report *r = &report.commands[i];
      const kiln_nna_command *cmd = &s->commands[i];
      CHECK(r->opcode == cmd->opcode && r->unit < KILN_NNA_NUM_UNITS);
      CHECK(r->cycles == kiln_nna_command_cycles(s->config, cmd));
      bool dma =
          cmd->opcode == KILN_NNA_DMA_LOAD || cmd->opcode == KILN_NNA_DMA_STORE;
      CHECK(r->cycles >= (dma ? 65u : 17u));
      CHECK((r->unit == KILN_NNA_UNIT_DMA) == dma);
      CHECK(r->end == r->start + r->cycles);
      CHECK(r->start >= unit_end[r->unit]); /* a unit runs in order */
      unit_end[r->unit] = r->end;
      busy[r->unit] += r->cycles;
      last = r->end > last ? r->end : last;
      uint64_t bytes = dma ? (uint64_t)cmd->dma.rows * cmd->dma.row_bytes : 0;
      CHECK(r->dram_read == (cmd->opcode == KILN_NNA_DMA_LOAD ? bytes : 0));
      CHECK(r->dram_written == (cmd->opcode == KILN_NNA_DMA_STORE ? bytes : 0));
      read += r->dram_read;
      written += r->dram_written;
    }
    CHECK(report.cycles == last);
    CHECK(report.dram_read == read && report.dram_written == written);
    for (int u = 0; u < KILN_NNA_NUM_UNITS; ++u)
      CHECK(report.busy[u] == busy[u]);
  }
  kiln_nna_report_free(&report);
  free(arena);
}

static void try_stream(const uint8_t *data, size_t size) {
  kiln_nna_stream s;
  kiln_error error;
  memset(&error, 0, sizeof error);
  kiln_status st = kiln_nna_stream_parse(data, size, &s, &error);
  if (st != KILN_OK) {
    CHECK(error.status == st && error.message[0] != '\0');
  } else {
    check_stream(&s, data, size);
    if (s.arena_size <= (1u << 20) && s.num_commands <= 64 &&
        nna_stream_work(&s) <= (1u << 22))
      simulate(&s);
  }
  kiln_nna_stream_free(&s);
  CHECK(s.commands == NULL && s.num_commands == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  _Static_assert(KILN_NNA_HEADER_SIZE == 24,
                 "the shared repair knows a 24-byte header");
  try_with_repaired_header(data, size, try_stream);
  return 0;
}
