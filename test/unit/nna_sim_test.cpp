// The Kiln NNA (docs/nna.md): the command-stream validator, with a rejected
// stream per rule; the simulator against a plain whole-tensor reference of
// the spec's arithmetic written here (no tiling, none of the simulator's
// helpers); tiled convolutions against whole ones; DMA; and the cost model
// on schedules computed by hand.
#include "descriptor_writer.h"
#include "fuzz_inputs.h"
#include "kiln/model_format.h"
#include "kiln/nna_stream.h"
#include "nna_sim.h"
#include "nna_stream.h"
#include "nna_stream_builder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <random>
#include <set>
#include <string>
#include <vector>

using namespace kiln_test;

namespace {

std::string parseError(const std::vector<uint8_t> &bytes) {
  kiln_nna_stream s;
  kiln_error error{};
  kiln_status st =
      kiln_nna_stream_parse(bytes.data(), bytes.size(), &s, &error);
  kiln_nna_stream_free(&s);
  return st == KILN_OK ? "" : error.message;
}

/// Parsing fails with a message holding `text`.
::testing::AssertionResult rejects(const std::vector<uint8_t> &bytes,
                                   const std::string &text) {
  return refusalHolds(parseError(bytes), text);
}

// Valid commands for the validator's tests (small config: 256 KiB SRAM).
ConvCmd validConv() {
  ConvCmd c;
  c.in = cube(0, 8, 8, 8);
  c.out = cube(1024, 8, 8, 16);
  c.weights = 4096; // 16 x 3 x 3 x 8 bytes
  c.params = 8192;
  c.win = window(3, 1, 1);
  c.b = cube(16384, 8, 8, 16);
  return c;
}

AddCmd validAdd() {
  AddCmd a;
  a.a = cube(0, 8, 8, 8);
  a.b = cube(1024, 8, 8, 8);
  a.out = cube(2048, 8, 8, 8);
  return a;
}

PoolCmd validPool() {
  PoolCmd p;
  p.in = cube(0, 8, 8, 8);
  p.out = cube(1024, 4, 4, 8);
  p.win = window(2, 2);
  return p;
}

std::vector<uint8_t> convStream(const std::function<void(ConvCmd &)> &edit,
                                uint32_t config = KILN_NNA_CONFIG_SMALL) {
  ConvCmd c = validConv();
  edit(c);
  Stream s;
  s.config = config;
  s.conv(c);
  return s.bytes();
}

std::vector<uint8_t> addStream(const std::function<void(AddCmd &)> &edit) {
  AddCmd a = validAdd();
  edit(a);
  Stream s;
  s.add(a);
  return s.bytes();
}

std::vector<uint8_t> poolStream(const std::function<void(PoolCmd &)> &edit) {
  PoolCmd p = validPool();
  edit(p);
  Stream s;
  s.pool(p);
  return s.bytes();
}

/// One DMA command with 64 bytes of constants and a 256-byte arena.
std::vector<uint8_t> dmaStream(const std::function<void(Stream &)> &add) {
  Stream s;
  s.constants.assign(64, 7);
  s.arenaSize = 256;
  add(s);
  return s.bytes();
}

// ---- Reference arithmetic: docs/nna.md, written independently ----------

namespace ref {

int64_t floorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

// The spec's nudge-and-truncate is floor((a*b + 2^30) / 2^31): round half
// up; only MIN * MIN leaves the int32 range.
int32_t srdhm(int32_t a, int32_t b) {
  int64_t v = floorDiv(int64_t(a) * b + (int64_t(1) << 30), int64_t(1) << 31);
  return v > INT32_MAX ? INT32_MAX : int32_t(v);
}

// x / 2^e rounded to nearest, ties away from zero.
int32_t rdivpot(int32_t x, int e) {
  if (e == 0)
    return x;
  int64_t magnitude = std::llabs(int64_t(x));
  int64_t q = (magnitude + (int64_t(1) << (e - 1))) >> e;
  return int32_t(x < 0 ? -q : q);
}

int64_t clamp(int64_t v, int64_t lo, int64_t hi) {
  return std::min(std::max(v, lo), hi);
}

int32_t mulq(int32_t x, int32_t m, int s) {
  int64_t v = int64_t(x) * (int64_t(1) << std::max(s, 0));
  return rdivpot(srdhm(int32_t(clamp(v, INT32_MIN, INT32_MAX)), m),
                 std::max(-s, 0));
}

int8_t add(int a, int aZero, int b, const Quant &q) {
  int64_t u = int64_t(mulq((a - aZero) * (1 << 20), q.aMult, q.aShift)) +
              mulq((b - q.bZero) * (1 << 20), q.bMult, q.bShift);
  int32_t us = int32_t(clamp(u, INT32_MIN, INT32_MAX));
  return int8_t(
      clamp(int64_t(mulq(us, q.oMult, q.oShift)) + q.oZero, q.lo, q.hi));
}

} // namespace ref

// ---- Whole tensors and the reference ops ---------------------------------

struct Tensor {
  int h = 0, w = 0, c = 0;
  std::vector<int8_t> v;
  Tensor() = default;
  Tensor(int h, int w, int c) : h(h), w(w), c(c), v(size_t(h) * w * c) {}
  int8_t &at(int y, int x, int ch) { return v[(size_t(y) * w + x) * c + ch]; }
  int8_t at(int y, int x, int ch) const {
    return v[(size_t(y) * w + x) * c + ch];
  }
  std::vector<uint8_t> bytes() const {
    return std::vector<uint8_t>(v.begin(), v.end());
  }
};

Tensor randomTensor(std::mt19937 &rng, int h, int w, int c) {
  std::uniform_int_distribution<int> d(-128, 127);
  Tensor t(h, w, c);
  for (int8_t &e : t.v)
    e = int8_t(d(rng));
  return t;
}

/// Same shape and bytes, or the first difference.
::testing::AssertionResult same(const Tensor &got, const Tensor &want) {
  if (got.h != want.h || got.w != want.w || got.c != want.c)
    return ::testing::AssertionFailure()
           << "shape " << got.h << "x" << got.w << "x" << got.c << ", want "
           << want.h << "x" << want.w << "x" << want.c;
  for (size_t i = 0; i < got.v.size(); ++i)
    if (got.v[i] != want.v[i])
      return ::testing::AssertionFailure()
             << "element " << i << " (y " << i / (size_t(got.w) * got.c)
             << ", x " << i / got.c % got.w << ", c " << i % got.c
             << "): " << int(got.v[i]) << ", want " << int(want.v[i]);
  return ::testing::AssertionSuccess();
}

/// Distinct values: a result that is all one clamp would prove little.
size_t distinct(const Tensor &t) {
  return std::set<int8_t>(t.v.begin(), t.v.end()).size();
}

struct ConvParams {
  int k = 1;
  Window win;
  bool depthwise = false;
  int8_t inZero = 0, outZero = 0, lo1 = -128, hi1 = 127;
  std::vector<int8_t> weights; // [k][kh][kw][cg]
  std::vector<int32_t> bias, mult, shift;
  bool add = false;
  Tensor b;
  Quant q; // aZero unused: t_zero is outZero
};

ConvParams randomConv(std::mt19937 &rng, int cin, int k, Window win,
                      bool depthwise = false) {
  ConvParams p;
  p.k = k;
  p.win = win;
  p.depthwise = depthwise;
  int cg = depthwise ? 1 : cin;
  std::uniform_int_distribution<int> i8(-128, 127), zero(-20, 20);
  std::uniform_int_distribution<int> bias(-4000, 4000), shift(-10, -6);
  std::uniform_int_distribution<int32_t> mult(1 << 30, INT32_MAX);
  p.inZero = int8_t(zero(rng));
  p.outZero = int8_t(zero(rng));
  p.weights.resize(size_t(k) * win.kh * win.kw * cg);
  for (int8_t &w : p.weights)
    w = int8_t(i8(rng));
  for (int i = 0; i < k; ++i) {
    p.bias.push_back(bias(rng));
    p.mult.push_back(mult(rng));
    p.shift.push_back(shift(rng));
  }
  return p;
}

int outDim(int in, int padA, int padB, int k, int s) {
  return (in + padA + padB - k) / s + 1;
}

Tensor refConv(const Tensor &in, const ConvParams &p) {
  const Window &w = p.win;
  int cg = p.depthwise ? 1 : in.c;
  Tensor out(outDim(in.h, w.pt, w.pb, w.kh, w.sh),
             outDim(in.w, w.pl, w.pr, w.kw, w.sw), p.k);
  for (int y = 0; y < out.h; ++y)
    for (int x = 0; x < out.w; ++x)
      for (int k = 0; k < p.k; ++k) {
        int64_t acc = p.bias[k];
        for (int ky = 0; ky < w.kh; ++ky)
          for (int kx = 0; kx < w.kw; ++kx) {
            int iy = y * w.sh - w.pt + ky, ix = x * w.sw - w.pl + kx;
            if (iy < 0 || iy >= in.h || ix < 0 || ix >= in.w)
              continue;
            for (int ch = 0; ch < cg; ++ch)
              acc += (in.at(iy, ix, p.depthwise ? k : ch) - p.inZero) *
                     p.weights[((size_t(k) * w.kh + ky) * w.kw + kx) * cg + ch];
          }
        int32_t wrapped = int32_t(uint32_t(uint64_t(acc)));
        int t = int(ref::clamp(
            int64_t(ref::mulq(wrapped, p.mult[k], p.shift[k])) + p.outZero,
            p.lo1, p.hi1));
        out.at(y, x, k) =
            p.add ? ref::add(t, p.outZero, p.b.at(y, x, k), p.q) : int8_t(t);
      }
  return out;
}

Tensor refAdd(const Tensor &a, const Tensor &b, const Quant &q) {
  Tensor out(a.h, a.w, a.c);
  for (size_t i = 0; i < a.v.size(); ++i)
    out.v[i] = ref::add(a.v[i], q.aZero, b.v[i], q);
  return out;
}

Tensor refPool(const Tensor &in, const PoolCmd &p) {
  const Window &w = p.win;
  Tensor out(outDim(in.h, w.pt, w.pb, w.kh, w.sh),
             outDim(in.w, w.pl, w.pr, w.kw, w.sw), in.c);
  for (int y = 0; y < out.h; ++y)
    for (int x = 0; x < out.w; ++x)
      for (int ch = 0; ch < in.c; ++ch) {
        int best = -1000;
        int64_t s = 0, n = 0;
        for (int ky = 0; ky < w.kh; ++ky)
          for (int kx = 0; kx < w.kw; ++kx) {
            int iy = y * w.sh - w.pt + ky, ix = x * w.sw - w.pl + kx;
            bool inside = iy >= 0 && iy < in.h && ix >= 0 && ix < in.w;
            if (inside) {
              best = std::max(best, int(in.at(iy, ix, ch)));
              s += in.at(iy, ix, ch);
              ++n;
            } else if (p.countIncludePad) {
              s += p.inZero;
              ++n;
            }
          }
        out.at(y, x, ch) =
            p.mode == KILN_NNA_POOL_MAX
                ? int8_t(best)
                : int8_t(s >= 0 ? (s + n / 2) / n : (s - n / 2) / n);
      }
  return out;
}

// ---- Running streams ------------------------------------------------------

struct Report {
  kiln_nna_report r{};
  ~Report() { kiln_nna_report_free(&r); }
};

/// A stream that stages test data through DMA: bytes go into the arena
/// image (or the constants) and a DMA_LOAD brings them into SRAM; results
/// go back to fresh arena bytes with DMA_STOREs.
class Lab {
public:
  explicit Lab(uint32_t config = KILN_NNA_CONFIG_SMALL) { s.config = config; }
  Stream s;
  std::vector<uint8_t> arena;

  uint32_t alloc(uint64_t bytes) {
    uint32_t addr = next;
    next += uint32_t((bytes + 63) / 64 * 64);
    return addr;
  }
  /// Loads `bytes` (from the constants or the arena) into fresh SRAM.
  uint32_t stage(const std::vector<uint8_t> &bytes, bool constant = false) {
    std::vector<uint8_t> &dram = constant ? s.constants : arena;
    uint64_t at = dram.size();
    dram.insert(dram.end(), bytes.begin(), bytes.end());
    uint32_t addr = alloc(bytes.size());
    s.load(constant ? kConst : kArena, at, bytes.size(), addr, bytes.size(), 1,
           bytes.size());
    return addr;
  }
  Cube stage(const Tensor &t) { return cube(stage(t.bytes()), t.h, t.w, t.c); }
  /// Stores `q`, densely, to fresh arena bytes at the returned offset.
  uint64_t fetch(const Cube &q) {
    uint64_t at = arena.size();
    arena.resize(at + size_t(q.h) * q.w * q.c);
    for (uint32_t y = 0; y < q.h; ++y)
      s.store(q.addr + y * q.line, q.pixel, at + uint64_t(y) * q.w * q.c, q.c,
              q.w, q.c);
    return at;
  }
  Tensor tensorAt(uint64_t at, int h, int w, int c) const {
    Tensor t(h, w, c);
    for (size_t i = 0; i < t.v.size(); ++i)
      t.v[i] = int8_t(arena[at + i]);
    return t;
  }
  /// Parses and simulates; "" or the failure.
  std::string run(kiln_nna_report *report = nullptr) {
    s.arenaSize = arena.size();
    std::vector<uint8_t> bytes = s.bytes();
    kiln_nna_stream stream;
    kiln_error error{};
    if (kiln_nna_stream_parse(bytes.data(), bytes.size(), &stream, &error) !=
        KILN_OK) {
      kiln_nna_stream_free(&stream);
      return std::string("parse: ") + error.message;
    }
    Report own;
    kiln_nna_report *r = report ? report : &own.r;
    kiln_status st =
        kiln_nna_simulate(&stream, arena.data(), arena.size(), r, &error);
    kiln_nna_stream_free(&stream);
    return st == KILN_OK ? "" : std::string("simulate: ") + error.message;
  }

private:
  uint32_t next = 0;
};

std::vector<uint8_t> paramBytes(const ConvParams &p, int k0 = 0, int k1 = -1) {
  Bytes b;
  for (int k = k0; k < (k1 < 0 ? p.k : k1); ++k)
    b.u32(uint32_t(p.bias[k]))
        .u32(uint32_t(p.mult[k]))
        .u32(uint32_t(p.shift[k]));
  return b.data;
}

std::vector<uint8_t> weightBytes(const std::vector<int8_t> &w) {
  return std::vector<uint8_t>(w.begin(), w.end());
}

/// The conv command for `p` on `in`, weights and params already in SRAM.
ConvCmd convCmd(const Cube &in, const Cube &out, uint32_t weights,
                uint32_t params, const ConvParams &p) {
  ConvCmd c;
  c.in = in;
  c.out = out;
  c.weights = weights;
  c.params = params;
  c.win = p.win;
  c.flags =
      kFirst | kLast | (p.depthwise ? kDepthwise : 0) | (p.add ? kAdd : 0);
  c.inZero = p.inZero;
  c.outZero = p.outZero;
  c.lo1 = p.lo1;
  c.hi1 = p.hi1;
  c.add = p.q;
  return c;
}

/// `p` on `in` as one CONV: load, convolve, store.
Tensor simConv(const Tensor &in, const ConvParams &p,
               uint32_t config = KILN_NNA_CONFIG_SMALL) {
  Lab lab(config);
  Cube inCube = lab.stage(in);
  uint32_t weights = lab.stage(weightBytes(p.weights), true);
  uint32_t params = lab.stage(paramBytes(p), true);
  const Window &w = p.win;
  int oh = outDim(in.h, w.pt, w.pb, w.kh, w.sh);
  int ow = outDim(in.w, w.pl, w.pr, w.kw, w.sw);
  Cube out = cube(lab.alloc(size_t(oh) * ow * p.k), oh, ow, p.k);
  ConvCmd c = convCmd(inCube, out, weights, params, p);
  if (p.add)
    c.b = lab.stage(p.b);
  lab.s.conv(c);
  uint64_t at = lab.fetch(out);
  std::string error = lab.run();
  EXPECT_EQ(error, "");
  return lab.tensorAt(at, oh, ow, p.k);
}

Tensor simPool(const Tensor &in, PoolCmd p) {
  Lab lab;
  p.in = lab.stage(in);
  const Window &w = p.win;
  int oh = outDim(in.h, w.pt, w.pb, w.kh, w.sh);
  int ow = outDim(in.w, w.pl, w.pr, w.kw, w.sw);
  p.out = cube(lab.alloc(size_t(oh) * ow * in.c), oh, ow, in.c);
  lab.s.pool(p);
  uint64_t at = lab.fetch(p.out);
  EXPECT_EQ(lab.run(), "");
  return lab.tensorAt(at, oh, ow, in.c);
}

// ===========================================================================
// Arithmetic edge cases, against values worked out by hand from the spec.
// ===========================================================================

TEST(NnaArithmetic, SrdhmEdgeCases) {
  struct Case {
    int32_t a, b, want;
  } cases[] = {
      // MIN * MIN is the one product that saturates.
      {INT32_MIN, INT32_MIN, INT32_MAX},
      // p = -2^62 + 2^31; (p + 1 - 2^30) / 2^31 = -2^31 + 0.5000...: -> 0
      // towards zero, so -2147483647.
      {INT32_MIN, INT32_MAX, -2147483647},
      {INT32_MAX, INT32_MAX, 2147483646}, // (2^31-1)^2 / 2^31 = 2^31 - 2 + ..
      {1 << 30, 1 << 30, 1 << 29},        // exact
      {1, 1 << 30, 1},                    // +0.5 ties up: 1
      {-1, 1 << 30, 0},                   // -0.5: (1 - 2^31) / 2^31 -> 0
      {-3, 1 << 30, -1},                  // -1.5 -> -1
      {-1, (1 << 30) + 1, -1},            // just below -0.5 -> -1
      {0, INT32_MIN, 0},
      {-99, 1 << 30, -49},  // -49.5 -> -49
      {100, 1 << 30, 50},   // 50
      {-100, 1 << 30, -50}, // exactly -50
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(std::to_string(c.a) + " * " + std::to_string(c.b));
    EXPECT_EQ(kiln_nna_srdhm(c.a, c.b), c.want);
    EXPECT_EQ(ref::srdhm(c.a, c.b), c.want);
  }
}

TEST(NnaArithmetic, RdivpotEdgeCases) {
  struct Case {
    int32_t x, e, want;
  } cases[] = {
      {5, 1, 3},            // 2.5: r 1 > t 0 -> 3
      {-5, 1, -3},          // -2.5: r 1, t 1 -> -3 (away from zero)
      {-3, 1, -2},          // -1.5 -> -2
      {-6, 2, -2},          // -1.5: r 2, t 2 -> -2
      {-7, 2, -2},          // -1.75 -> -2
      {-5, 2, -1},          // -1.25 -> -1
      {6, 2, 2},            // 1.5 -> 2
      {INT32_MIN, 31, -1},  // exactly -1
      {INT32_MAX, 31, 1},   // 0.99999... -> 1
      {-(1 << 30), 31, -1}, // -0.5 -> -1
      {(1 << 30), 31, 1},   // 0.5 -> 1
      {(1 << 30) - 1, 31, 0},
      {INT32_MIN, 0, INT32_MIN}, // e = 0: x itself
      {-7, 0, -7},
      {INT32_MIN, 1, -1073741824},
      {INT32_MIN + 1, 1, -1073741824}, // -1073741823.5 -> away from zero
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(std::to_string(c.x) + " / 2^" + std::to_string(c.e));
    EXPECT_EQ(kiln_nna_rdivpot(c.x, c.e), c.want);
    EXPECT_EQ(ref::rdivpot(c.x, c.e), c.want);
  }
}

TEST(NnaArithmetic, MulqEdgeCases) {
  struct Case {
    int32_t x, m, s, want;
  } cases[] = {
      {INT32_MIN, INT32_MIN, 0, INT32_MAX},
      // sat(2^30 * 4) = INT32_MAX; srdhm(INT32_MAX, 2^30) = 2^30.
      {1 << 30, 1 << 30, 2, 1 << 30},
      // sat(-2^32) = INT32_MIN; srdhm(INT32_MIN, 2^30) = -2^30.
      {-(1 << 30), 1 << 30, 2, -(1 << 30)},
      {100, 1 << 30, -1, 25},   // srdhm 50, / 2 = 25
      {-100, 1 << 30, -2, -13}, // srdhm -50, / 4 = -12.5 -> -13
      {-99, 1 << 30, 0, -49},
      {1000, 1 << 30, -31, 0}, // 500 / 2^31
      {7, INT32_MAX, 3, 56},   // sat(56) * (1 - 2^-31) rounds to 56
      {1 << 28, 1 << 30, 30, 1 << 30},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(std::to_string(c.x) + ", " + std::to_string(c.m) + ", " +
                 std::to_string(c.s));
    EXPECT_EQ(kiln_nna_mulq(c.x, c.m, c.s), c.want);
    EXPECT_EQ(ref::mulq(c.x, c.m, c.s), c.want);
  }
}

// The reference and the simulator's helpers agree on random operands too.
TEST(NnaArithmetic, ReferenceAgreesOnRandomOperands) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int32_t> any(INT32_MIN, INT32_MAX);
  std::uniform_int_distribution<int32_t> e(0, 31), s(-31, 30);
  for (int i = 0; i < 20000; ++i) {
    int32_t a = any(rng), b = any(rng), x = any(rng) >> (i % 31);
    ASSERT_EQ(kiln_nna_srdhm(a, b), ref::srdhm(a, b)) << a << " " << b;
    int32_t ee = e(rng);
    ASSERT_EQ(kiln_nna_rdivpot(a, ee), ref::rdivpot(a, ee)) << a << " " << ee;
    int32_t ss = s(rng);
    ASSERT_EQ(kiln_nna_mulq(x, b, ss), ref::mulq(x, b, ss))
        << x << " " << b << " " << ss;
  }
}

// ===========================================================================
// The validator: a stream it accepts, then one rejected stream per rule.
// ===========================================================================

TEST(NnaStream, ParsesEveryCommand) {
  Stream s;
  s.config = KILN_NNA_CONFIG_LARGE;
  s.constants = {1, 2, 3, 4, 5, 6, 7, 8};
  s.arenaSize = 4096;
  s.load(kConst, 1, 4, 300000, 16, 2, 3);
  ConvCmd c = validConv();
  c.flags = kFirst | kLast | kAdd;
  c.inZero = -3;
  c.add.aMult = -77;
  c.add.oShift = -31;
  c.add.hi = 100;
  s.conv(c);
  s.add(validAdd());
  PoolCmd p = validPool();
  p.mode = KILN_NNA_POOL_AVERAGE;
  p.countIncludePad = 1;
  p.inZero = -128;
  s.pool(p);
  s.store(1024, 40, 100, 200, 3, 20);
  std::vector<uint8_t> bytes = s.bytes();
  kiln_nna_stream st;
  kiln_error error{};
  ASSERT_EQ(kiln_nna_stream_parse(bytes.data(), bytes.size(), &st, &error),
            KILN_OK)
      << error.message;
  EXPECT_EQ(st.config->id, uint32_t(KILN_NNA_CONFIG_LARGE));
  EXPECT_EQ(st.config->sram_bytes, 1024u * 1024u);
  EXPECT_EQ(st.const_size, 8u);
  EXPECT_EQ(st.arena_size, 4096u);
  EXPECT_EQ(st.constants, bytes.data() + bytes.size() - 8); // into the input
  ASSERT_EQ(st.num_commands, 5u);
  const kiln_nna_dma &load = st.commands[0].dma;
  EXPECT_EQ(st.commands[0].opcode, uint32_t(KILN_NNA_DMA_LOAD));
  EXPECT_EQ(load.region, 0u);
  EXPECT_EQ(load.dram, 1u);
  EXPECT_EQ(load.dram_stride, 4u);
  EXPECT_EQ(load.sram, 300000u);
  EXPECT_EQ(load.sram_stride, 16u);
  EXPECT_EQ(load.rows, 2u);
  EXPECT_EQ(load.row_bytes, 3u);
  const kiln_nna_conv &conv = st.commands[1].conv;
  EXPECT_EQ(conv.out.c, 16u);
  EXPECT_EQ(conv.in.line, 64u);
  EXPECT_EQ(conv.win.kh, 3u);
  EXPECT_EQ(conv.win.pad_right, 1u);
  EXPECT_EQ(conv.cg, 8u);
  EXPECT_EQ(conv.in_zero, -3);
  EXPECT_EQ(conv.add.a_zero, 0);   // t_zero = out_zero
  EXPECT_EQ(conv.add.a_mult, -77); // t_mult
  EXPECT_EQ(conv.add.o_shift, -31);
  EXPECT_EQ(conv.add.hi, 100);
  EXPECT_EQ(conv.b.addr, 16384u);
  EXPECT_EQ(st.commands[2].add.out.addr, 2048u);
  EXPECT_EQ(st.commands[3].pool.mode, uint32_t(KILN_NNA_POOL_AVERAGE));
  EXPECT_TRUE(st.commands[3].pool.count_include_pad);
  EXPECT_EQ(st.commands[3].pool.in_zero, -128);
  const kiln_nna_dma &store = st.commands[4].dma;
  EXPECT_EQ(store.region, uint32_t(KILN_NNA_REGION_ARENA));
  EXPECT_EQ(store.sram, 1024u);
  EXPECT_EQ(store.dram, 100u);
  EXPECT_EQ(store.dram_stride, 200u);
  kiln_nna_stream_free(&st);
  kiln_nna_stream_free(&st); // freeing twice (zeroed) is harmless
}

TEST(NnaStream, ConfigTableMatchesTheSpec) {
  const kiln_nna_config *small = kiln_nna_config_get(KILN_NNA_CONFIG_SMALL);
  const kiln_nna_config *large = kiln_nna_config_get(KILN_NNA_CONFIG_LARGE);
  ASSERT_TRUE(small && large);
  EXPECT_EQ(kiln_nna_config_get(2), nullptr);
  EXPECT_STREQ(small->name, "small");
  EXPECT_EQ(small->atomic_c * small->atomic_k, 512u);
  EXPECT_EQ(small->atomic_c, 32u);
  EXPECT_EQ(small->sram_bytes, 256u * 1024);
  EXPECT_EQ(small->acc_entries, 16384u);
  EXPECT_EQ(small->dma_bytes_per_cycle, 16u);
  EXPECT_EQ(small->sdp_rate, 16u);
  EXPECT_EQ(small->pdp_rate, 8u);
  EXPECT_EQ(small->clock_mhz, 800u);
  EXPECT_STREQ(large->name, "large");
  EXPECT_EQ(large->atomic_c, 64u);
  EXPECT_EQ(large->atomic_k, 32u);
  EXPECT_EQ(large->sram_bytes, 1024u * 1024);
  EXPECT_EQ(large->acc_entries, 65536u);
  EXPECT_EQ(large->dma_bytes_per_cycle, 32u);
  EXPECT_EQ(large->sdp_rate, 32u);
  EXPECT_EQ(large->pdp_rate, 16u);
  EXPECT_EQ(large->clock_mhz, 1000u);
}

TEST(NnaStream, EmptyStreamIsValid) {
  Stream s;
  EXPECT_EQ(parseError(s.bytes()), "");
}

// Header: magic, version, sizes, checksum, config.
TEST(NnaStream, RejectsBadHeaders) {
  std::vector<uint8_t> good = Stream().bytes();
  EXPECT_TRUE(rejects({}, "0 bytes, shorter than its 24-byte header"));
  EXPECT_TRUE(rejects(std::vector<uint8_t>(good.begin(), good.begin() + 23),
                      "shorter than its 24-byte header"));
  std::vector<uint8_t> b = good;
  b[0] ^= 1;
  EXPECT_TRUE(rejects(b, "bad magic 0x414e4e4a"));
  b = good;
  patchU32(b, 4, 2);
  EXPECT_TRUE(rejects(b, "version 2, this runtime reads 1"));
  b = good;
  patchU64(b, 8, good.size() - 24 + 1);
  EXPECT_TRUE(rejects(b, "payload of 21 bytes, 20 present"));
  b = good;
  b.push_back(0); // one byte more than the header says
  EXPECT_TRUE(rejects(b, "payload of 20 bytes, 21 present"));
  b = good;
  b[30] ^= 0x40; // in const_size
  EXPECT_TRUE(rejects(b, "checksum mismatch"));
  Stream bad;
  bad.config = 2;
  EXPECT_TRUE(rejects(bad.bytes(), "unknown config 2"));
}

// Truncated: sizes, commands, a command's fields, the constants.
TEST(NnaStream, RejectsTruncatedStreams) {
  Bytes p;
  p.u64(0).u64(0); // no command count
  EXPECT_TRUE(
      rejects(withNnaHeader(p.data, 0), "truncated sizes and command count"));
  Stream many; // two commands counted, one command's bytes
  many.load(kArena, 0, 1, 0, 1, 1, 1);
  many.count = 2;
  many.arenaSize = 1;
  EXPECT_TRUE(rejects(many.bytes(), "truncated commands: 2 cannot fit"));
  Stream cut;
  cut.conv(validConv());
  cut.cmds.data.resize(cut.cmds.data.size() - 10);
  EXPECT_TRUE(rejects(cut.bytes(), "command 0 (CONV): truncated: 94 bytes of "
                                   "fields, 84 left before the constants"));
  // The constants may not be shorter than const_size...
  Stream consts;
  consts.constants.assign(10, 0);
  std::vector<uint8_t> payload = consts.payload();
  patchU64(payload, 0, 11);
  EXPECT_TRUE(rejects(withNnaHeader(payload, 0), "truncated constants: 11"));
  // ...nor anything lie between the commands and the constants.
  patchU64(payload, 0, 9);
  EXPECT_TRUE(rejects(withNnaHeader(payload, 0),
                      "1 bytes between the last command and the 9 bytes"));
}

TEST(NnaStream, RejectsUnknownOpcodes) {
  for (uint8_t op : {0, 6, 255}) {
    Stream s;
    s.count = 1;
    s.cmds.u8(op);
    s.cmds.data.resize(60, 0);
    EXPECT_TRUE(
        rejects(s.bytes(), "command 0: unknown opcode " + std::to_string(op)));
  }
}

// Every SRAM range: cube extents, weights, parameters, DMA rows.
TEST(NnaStream, RejectsSramRangesOutsideTheConfig) {
  const uint32_t small = 256 * 1024;
  EXPECT_TRUE(rejects(convStream([&](ConvCmd &c) { c.in.addr = small - 511; }),
                      "command 0 (CONV): in: SRAM bytes 261633..262145 pass "
                      "the small config's 262144"));
  // The extent counts strides: (h-1)*line + (w-1)*pixel + c.
  EXPECT_TRUE(rejects(
      convStream([&](ConvCmd &c) { c.out = cube(0, 8, 8, 16, 16, small / 7); }),
      "out: SRAM bytes 0..262271"));
  EXPECT_TRUE(
      rejects(convStream([&](ConvCmd &c) { c.weights = small - 1151; }),
              "weights: SRAM bytes 260993..262145")); // 16 * 3 * 3 * 8 bytes
  EXPECT_TRUE(rejects(convStream([&](ConvCmd &c) { c.params = small - 191; }),
                      "params: SRAM bytes 261953..262145")); // 12 * 16 bytes
  EXPECT_TRUE(rejects(convStream([&](ConvCmd &c) {
                        c.flags |= kAdd;
                        c.b.addr = small;
                      }),
                      "b: SRAM bytes 262144..263168"));
  // The large config has room where the small one has not.
  EXPECT_EQ(parseError(convStream([&](ConvCmd &c) { c.in.addr = small; },
                                  KILN_NNA_CONFIG_LARGE)),
            "");
  EXPECT_TRUE(rejects(addStream([&](AddCmd &a) { a.a.addr = 0xfffffff0u; }),
                      "command 0 (ADD): a: SRAM bytes"));
  EXPECT_TRUE(rejects(poolStream([&](PoolCmd &p) { p.out.addr = small - 1; }),
                      "command 0 (POOL): out: SRAM bytes"));
  EXPECT_TRUE(rejects(
      dmaStream([](Stream &s) { s.load(kConst, 0, 16, 262001, 64, 3, 16); }),
      "command 0 (DMA_LOAD): dst: 3 rows of 16 bytes, 64 "
      "apart from 262001, pass the small config's "
      "262144-byte SRAM"));
  EXPECT_TRUE(rejects(
      dmaStream([](Stream &s) { s.store(0, 0x80000000u, 0, 16, 2, 16); }),
      "command 0 (DMA_STORE): src: 2 rows"));
}

// DRAM ranges: inside their region; a store always writes the arena.
TEST(NnaStream, RejectsDramRangesOutsideTheirRegion) {
  EXPECT_EQ(parseError(dmaStream([](Stream &s) {
              s.load(kConst, 48, 16, 0, 16, 1, 16); // the last 16 bytes
              s.load(kArena, 0, 64, 0, 64, 4, 64);  // the whole arena
              s.store(0, 16, 240, 16, 1, 16);
            })),
            "");
  EXPECT_TRUE(rejects(
      dmaStream([](Stream &s) { s.load(kConst, 49, 16, 0, 16, 1, 16); }),
      "src: 1 rows of 16 bytes, 16 apart from 49, pass region "
      "0 (constants, 64 bytes)"));
  EXPECT_TRUE(
      rejects(dmaStream([](Stream &s) { s.load(kArena, 0, 65, 0, 64, 4, 64); }),
              "pass region 1 (arena, 256 bytes)"));
  // Strides that would wrap 64 bits are out of range, not small.
  EXPECT_TRUE(rejects(dmaStream([](Stream &s) {
                        s.load(kArena, 16, 1ull << 63, 0, 16, 3, 16);
                      }),
                      "pass region 1"));
  EXPECT_TRUE(rejects(
      dmaStream([](Stream &s) { s.load(kArena, ~0ull - 8, 16, 0, 16, 1, 16); }),
      "pass region 1"));
  // DMA_STORE has no region field: it writes the arena, never the
  // constants, however large they are.
  EXPECT_TRUE(rejects(dmaStream([](Stream &s) {
                        s.constants.assign(4096, 0);
                        s.store(0, 16, 256, 16, 1, 16);
                      }),
                      "command 0 (DMA_STORE): dst: 1 rows of 16 bytes, 16 "
                      "apart from 256, pass region 1 (arena, 256 bytes)"));
  EXPECT_TRUE(
      rejects(dmaStream([](Stream &s) { s.load(2, 0, 16, 0, 16, 1, 16); }),
              "command 0 (DMA_LOAD): region 2 is neither 0"));
}

TEST(NnaStream, RejectsRowStridesSmallerThanTheRow) {
  EXPECT_TRUE(
      rejects(dmaStream([](Stream &s) { s.load(kArena, 0, 15, 0, 16, 2, 16); }),
              "command 0 (DMA_LOAD): src_stride 15 < row_bytes 16"));
  EXPECT_TRUE(
      rejects(dmaStream([](Stream &s) { s.load(kArena, 0, 16, 0, 8, 1, 16); }),
              "dst_stride 8 < row_bytes 16"));
  EXPECT_TRUE(rejects(dmaStream([](Stream &s) { s.store(0, 4, 0, 16, 2, 16); }),
                      "command 0 (DMA_STORE): src_stride 4 < row_bytes 16"));
  EXPECT_TRUE(rejects(dmaStream([](Stream &s) { s.store(0, 16, 0, 0, 2, 16); }),
                      "dst_stride 0 < row_bytes 16"));
}

TEST(NnaStream, RejectsEmptyCopies) {
  EXPECT_TRUE(
      rejects(dmaStream([](Stream &s) { s.load(kArena, 0, 16, 0, 16, 0, 16); }),
              "command 0 (DMA_LOAD): rows 0 x row_bytes 16: an "
              "empty copy"));
  EXPECT_TRUE(rejects(dmaStream([](Stream &s) { s.store(0, 16, 0, 16, 1, 0); }),
                      "rows 1 x row_bytes 0"));
}

// A cube: no zero dimension, pixel >= c, line >= w * pixel.
TEST(NnaStream, RejectsBadCubes) {
  EXPECT_TRUE(rejects(convStream([](ConvCmd &c) { c.in.h = 0; }),
                      "command 0 (CONV): in: zero dimension in 0x8x8"));
  EXPECT_TRUE(rejects(addStream([](AddCmd &a) { a.b.w = 0; }),
                      "command 0 (ADD): b: zero dimension in 8x0x8"));
  EXPECT_TRUE(rejects(poolStream([](PoolCmd &p) { p.out.c = 0; }),
                      "command 0 (POOL): out: zero dimension in 4x4x0"));
  EXPECT_TRUE(rejects(convStream([](ConvCmd &c) { c.in.pixel = 7; }),
                      "in.pixel 7 < in.c 8"));
  EXPECT_TRUE(rejects(addStream([](AddCmd &a) { a.out.line = 63; }),
                      "out.line 63 < out.w 8 x pixel 8"));
  EXPECT_TRUE(rejects(convStream([](ConvCmd &c) {
                        c.flags |= kAdd;
                        c.b.pixel = 1;
                      }),
                      "b.pixel 1 < b.c 16"));
  // Wider strides are fine (a channel range of a wider tensor).
  EXPECT_EQ(parseError(convStream(
                [](ConvCmd &c) { c.in = cube(0, 8, 8, 8, 24, 200); })),
            "");
}

// Kernels 1..11 (CONV) or 1..16 (POOL, 255 for a global pool), strides
// 1..4 (CONV) or 1..16 (POOL), pads smaller than the kernel.
TEST(NnaStream, RejectsBadWindows) {
  auto conv = [](Window w, int outH, int outW) {
    return convStream([=](ConvCmd &c) {
      c.win = w;
      c.out = cube(1024, outH, outW, 16);
    });
  };
  EXPECT_TRUE(rejects(conv({0, 3, 1, 1, 0, 1, 0, 1}, 8, 8),
                      "command 0 (CONV): kh 0 outside 1..11"));
  EXPECT_TRUE(
      rejects(conv({3, 12, 1, 1, 1, 1, 1, 1}, 8, 1), "kw 12 outside 1..11"));
  EXPECT_TRUE(
      rejects(conv({3, 3, 5, 1, 1, 1, 1, 1}, 2, 8), "sh 5 outside 1..4"));
  EXPECT_TRUE(
      rejects(conv({3, 3, 1, 0, 1, 1, 1, 1}, 8, 8), "sw 0 outside 1..4"));
  EXPECT_TRUE(rejects(conv({3, 3, 1, 1, 3, 1, 1, 1}, 10, 8),
                      "pad_top 3 is not smaller than kh 3"));
  EXPECT_TRUE(rejects(conv({3, 3, 1, 1, 1, 1, 1, 4}, 8, 11),
                      "pad_right 4 is not smaller than kw 3"));
  EXPECT_EQ(parseError(conv({11, 1, 4, 1, 10, 0, 10, 0}, 5, 8)), "");
  auto pool = [](Window w, uint32_t inH, uint32_t inW, uint32_t outH,
                 uint32_t outW) {
    return poolStream([=](PoolCmd &p) {
      p.win = w;
      p.in.h = inH;
      p.in.w = inW;
      p.in.line = inW * p.in.pixel;
      p.out = cube(1024, outH, outW, 8);
    });
  };
  EXPECT_TRUE(rejects(pool({17, 2, 1, 2, 0, 0, 0, 0}, 20, 8, 4, 4),
                      "command 0 (POOL): kh 17 outside 1..16 (a global "
                      "pool's window is the whole unpadded input)"));
  EXPECT_TRUE(rejects(pool({2, 2, 17, 2, 0, 0, 0, 0}, 8, 8, 1, 4),
                      "sh 17 outside 1..16"));
  EXPECT_TRUE(rejects(pool({2, 2, 2, 2, 0, 2, 0, 0}, 8, 8, 4, 5),
                      "pad_left 2 is not smaller than kw 2"));
  EXPECT_EQ(parseError(pool({16, 16, 16, 16, 15, 15, 0, 0}, 8, 8, 1, 1)), "");
  // A global pool (window = the whole input, no pads) may reach 255.
  EXPECT_EQ(parseError(pool({255, 40, 1, 1, 0, 0, 0, 0}, 255, 40, 1, 1)), "");
  EXPECT_EQ(parseError(pool({20, 20, 16, 16, 0, 0, 0, 0}, 20, 20, 1, 1)), "");
  // Not global with a pad, or smaller than the input.
  EXPECT_TRUE(rejects(pool({20, 20, 1, 1, 1, 0, 0, 0}, 20, 20, 2, 1),
                      "kh 20 outside 1..16"));
  EXPECT_TRUE(rejects(pool({20, 20, 1, 1, 0, 0, 0, 0}, 21, 20, 2, 1),
                      "kh 20 outside 1..16"));
  EXPECT_TRUE(rejects(pool({16, 20, 1, 1, 0, 0, 0, 0}, 16, 21, 1, 2),
                      "kw 20 outside 1..16"));
}

// out = floor((in + pads - k) / s) + 1.
TEST(NnaStream, RejectsWrongOutputShapes) {
  EXPECT_TRUE(rejects(convStream([](ConvCmd &c) { c.out.h = 7; }),
                      "command 0 (CONV): out.h 7, expected (8 + 1 + 1 - 3) / "
                      "1 + 1 = 8"));
  EXPECT_TRUE(rejects(convStream([](ConvCmd &c) {
                        c.win.sw = 3;
                        c.out.w = 4;
                      }),
                      "out.w 4, expected (8 + 1 + 1 - 3) / 3 + 1 = 3"));
  EXPECT_TRUE(rejects(convStream([](ConvCmd &c) {
                        c.win = window(5);
                        c.in.h = 3;
                        c.out.h = 1;
                        c.out.w = 4;
                      }),
                      "in.h 3 + pads 0 + 0 is smaller than the kernel's 5"));
  EXPECT_TRUE(
      rejects(poolStream([](PoolCmd &p) { p.out = cube(1024, 4, 5, 8); }),
              "command 0 (POOL): out.w 5, expected (8 + 0 + 0 - 2) "
              "/ 2 + 1 = 4"));
  EXPECT_TRUE(rejects(poolStream([](PoolCmd &p) { p.out.c = 4; }),
                      "command 0 (POOL): out.c 4 != in.c 8"));
}

// ACC capacity, the tap bound, DEPTHWISE's channels.
TEST(NnaStream, RejectsConvLimits) {
  // 32 x 32 x 32 = 32768 accumulators: too many for small, fine for large.
  auto big = [](ConvCmd &c) {
    c.in = cube(0, 32, 32, 8);
    c.out = cube(8192, 32, 32, 32);
    c.weights = 49152;
    c.params = 65536;
  };
  EXPECT_TRUE(rejects(convStream(big),
                      "command 0 (CONV): out 32x32x32 needs 32768 "
                      "accumulators, the small config's ACC holds 16384"));
  EXPECT_EQ(parseError(convStream(big, KILN_NNA_CONFIG_LARGE)), "");
  // kh * kw * cg * 255 * 128 < 2^31: 11 * 11 * 543 passes, 544 does not.
  auto taps = [](uint32_t cg) {
    return [=](ConvCmd &c) {
      c.in = cube(0, 11, 11, cg);
      c.out = cube(70000, 1, 1, 1);
      c.win = window(11);
      c.weights = 80000;
      c.params = 150000;
    };
  };
  EXPECT_EQ(parseError(convStream(taps(543))), "");
  EXPECT_TRUE(rejects(convStream(taps(544)),
                      "kh 11 x kw 11 x cg 544 x 255 x 128 reaches 2^31"));
  EXPECT_TRUE(rejects(convStream([](ConvCmd &c) { c.flags |= kDepthwise; }),
                      "DEPTHWISE with out.c 16 != in.c 8"));
  EXPECT_EQ(parseError(convStream([](ConvCmd &c) {
              c.flags |= kDepthwise;
              c.out.c = 8;
              c.out.pixel = 8;
              c.out.line = 64;
            })),
            "");
}

// FIRST opens an accumulation, LAST closes it, others continue it.
TEST(NnaStream, RejectsBrokenAccumulations) {
  auto chain = [](std::vector<std::function<void(ConvCmd &)>> edits) {
    Stream s;
    for (auto &edit : edits) {
      ConvCmd c = validConv();
      edit(c);
      s.conv(c);
    }
    return s.bytes();
  };
  auto flags = [](uint8_t f) { return [=](ConvCmd &c) { c.flags = f; }; };
  EXPECT_EQ(parseError(chain({flags(kFirst), flags(0), flags(kLast),
                              flags(kFirst | kLast)})),
            "");
  EXPECT_TRUE(rejects(chain({flags(kLast)}),
                      "command 0 (CONV): flags 0x2: no FIRST, but no "
                      "accumulation is open"));
  EXPECT_TRUE(rejects(chain({flags(kFirst | kLast), flags(0)}),
                      "command 1 (CONV): flags 0x0: no FIRST"));
  EXPECT_TRUE(rejects(chain({flags(kFirst),
                             [](ConvCmd &c) {
                               c.flags = kLast;
                               c.out.c = 8;
                             }}),
                      "command 1 (CONV): out 8x8x8 does not continue the "
                      "8x8x16 accumulation that command 0 opened"));
  EXPECT_TRUE(rejects(chain({flags(kFirst), flags(kFirst | kLast)}),
                      "command 1 (CONV): FIRST while the accumulation that "
                      "command 0 opened is still open"));
  EXPECT_TRUE(rejects(chain({flags(kFirst | kLast), flags(kFirst), flags(0)}),
                      "command 1 (CONV): FIRST opens an accumulation that no "
                      "LAST closes"));
  // Other units' commands may run while one is open.
  Stream s;
  ConvCmd c = validConv();
  c.flags = kFirst;
  s.conv(c).pool(validPool()).add(validAdd());
  c.flags = kLast;
  s.conv(c);
  EXPECT_EQ(parseError(s.bytes()), "");
}

// Shifts -31..30, lo <= hi.
TEST(NnaStream, RejectsBadShiftsAndClamps) {
  EXPECT_TRUE(rejects(addStream([](AddCmd &a) { a.q.aShift = 31; }),
                      "command 0 (ADD): a_shift 31 outside -31..30"));
  EXPECT_TRUE(rejects(addStream([](AddCmd &a) { a.q.bShift = -32; }),
                      "b_shift -32 outside -31..30"));
  EXPECT_TRUE(rejects(addStream([](AddCmd &a) { a.q.oShift = 127; }),
                      "o_shift 127 outside -31..30"));
  EXPECT_EQ(parseError(addStream([](AddCmd &a) {
              a.q.aShift = -31;
              a.q.bShift = 30;
            })),
            "");
  EXPECT_TRUE(rejects(addStream([](AddCmd &a) {
                        a.q.lo = 1;
                        a.q.hi = 0;
                      }),
                      "lo 1 > hi 0"));
  auto convAdd = [](std::function<void(ConvCmd &)> edit) {
    return convStream([=](ConvCmd &c) {
      c.flags |= kAdd;
      edit(c);
    });
  };
  EXPECT_TRUE(rejects(convAdd([](ConvCmd &c) { c.add.aShift = 31; }),
                      "command 0 (CONV): t_shift 31 outside -31..30"));
  EXPECT_TRUE(rejects(convAdd([](ConvCmd &c) { c.add.bShift = -128; }),
                      "b_shift -128 outside"));
  EXPECT_TRUE(rejects(convAdd([](ConvCmd &c) { c.add.oShift = 31; }),
                      "o_shift 31 outside"));
  EXPECT_TRUE(rejects(convAdd([](ConvCmd &c) {
                        c.add.lo = 5;
                        c.add.hi = 4;
                      }),
                      "lo2 5 > hi2 4"));
  EXPECT_TRUE(rejects(convStream([](ConvCmd &c) {
                        c.lo1 = 10;
                        c.hi1 = 5;
                      }),
                      "lo1 10 > hi1 5"));
  // Without ADD the add fields are ignored.
  EXPECT_EQ(parseError(convStream([](ConvCmd &c) {
              c.add.aShift = 99;
              c.add.lo = 1;
              c.add.hi = 0;
              c.b = Cube{};
              c.b.h = 0;
            })),
            "");
}

TEST(NnaStream, RejectsAddOperandsOfAnotherShape) {
  EXPECT_TRUE(rejects(addStream([](AddCmd &a) { a.a = cube(0, 8, 8, 4); }),
                      "command 0 (ADD): a 8x8x4 differs from out 8x8x8"));
  EXPECT_TRUE(rejects(addStream([](AddCmd &a) { a.b = cube(1024, 8, 7, 8); }),
                      "b 8x7x8 differs from out 8x8x8"));
  EXPECT_TRUE(rejects(convStream([](ConvCmd &c) {
                        c.flags |= kAdd;
                        c.b = cube(16384, 8, 8, 8);
                      }),
                      "command 0 (CONV): b 8x8x8 differs from out 8x8x16"));
}

// Fields with a fixed set of values: flags, ADD only with LAST, mode,
// count_include_pad.
TEST(NnaStream, RejectsOutOfRangeFieldValues) {
  EXPECT_TRUE(rejects(convStream([](ConvCmd &c) { c.flags = 0x13; }),
                      "command 0 (CONV): flags 0x13: unknown bits 0x10"));
  EXPECT_TRUE(rejects(convStream([](ConvCmd &c) { c.flags = kFirst | kAdd; }),
                      "flags 0x9: ADD without LAST"));
  EXPECT_TRUE(rejects(poolStream([](PoolCmd &p) { p.mode = 2; }),
                      "command 0 (POOL): mode 2 is neither 0 (max) nor 1"));
  EXPECT_TRUE(rejects(poolStream([](PoolCmd &p) { p.countIncludePad = 2; }),
                      "count_include_pad 2 is neither 0 nor 1"));
}

// "A max-pool window can lie wholly in the padding": with every pad below
// its kernel and the output shape exact, the first window ends past row 0
// and the last starts at most at in + pad_bottom - k < in, so no accepted
// stream has such a window. Every combination of small sizes shows it.
TEST(NnaStream, MaxPoolWindowsAlwaysTouchTheInput) {
  int accepted = 0;
  for (uint32_t in = 1; in <= 6; ++in)
    for (uint8_t k = 1; k <= 4; ++k)
      for (uint8_t s = 1; s <= 3; ++s)
        for (uint8_t pa = 0; pa < k; ++pa)
          for (uint8_t pb = 0; pb < k; ++pb) {
            if (in + pa + pb < k)
              continue;
            uint32_t out = (in + pa + pb - k) / s + 1;
            std::vector<uint8_t> bytes = poolStream([&](PoolCmd &p) {
              p.in = cube(0, in, in, 2);
              p.out = cube(1024, out, out, 2);
              p.win = {k, k, s, s, pa, pa, pb, pb};
            });
            std::string error = parseError(bytes);
            EXPECT_EQ(error, "") << in << " " << int(k) << " " << int(s);
            accepted += error.empty();
            // And every window of the accepted pool has an input tap.
            for (uint32_t o = 0; o < out; ++o) {
              int first = int(o * s) - pa;
              EXPECT_TRUE(first + k > 0 && first < int(in));
            }
          }
  EXPECT_GT(accepted, 300);
}

// ===========================================================================
// Execution: each command against the reference, on seeded random data.
// ===========================================================================

TEST(NnaSim, ConvMatchesReference) {
  std::mt19937 rng(1);
  Tensor in = randomTensor(rng, 9, 7, 12);
  ConvParams p = randomConv(rng, 12, 20, window(3, 1, 1));
  Tensor got = simConv(in, p), want = refConv(in, p);
  EXPECT_TRUE(same(got, want));
  EXPECT_GT(distinct(want), 50u);
  // The large config computes the same bits.
  EXPECT_TRUE(same(simConv(in, p, KILN_NNA_CONFIG_LARGE), want));
}

TEST(NnaSim, PointwiseConvMatchesReference) {
  std::mt19937 rng(2);
  Tensor in = randomTensor(rng, 6, 5, 70); // cg over two atomic C
  ConvParams p = randomConv(rng, 70, 33, window(1));
  Tensor want = refConv(in, p);
  EXPECT_TRUE(same(simConv(in, p), want));
  EXPECT_GT(distinct(want), 50u);
}

TEST(NnaSim, DepthwiseConvMatchesReference) {
  std::mt19937 rng(3);
  Tensor in = randomTensor(rng, 10, 9, 24);
  ConvParams p = randomConv(rng, 24, 24, window(3, 1, 1), true);
  for (int32_t &s : p.shift)
    s += 3; // fewer taps per output: a smaller scale-down
  Tensor want = refConv(in, p);
  EXPECT_TRUE(same(simConv(in, p), want));
  EXPECT_GT(distinct(want), 50u);
}

TEST(NnaSim, StridedConvMatchesReference) {
  std::mt19937 rng(4);
  Tensor in = randomTensor(rng, 15, 12, 6);
  Window w = {5, 3, 2, 3, 2, 1, 1, 0};
  ConvParams p = randomConv(rng, 6, 10, w);
  Tensor want = refConv(in, p);
  ASSERT_EQ(want.h, 7); // (15 + 2 + 1 - 5) / 2 + 1
  ASSERT_EQ(want.w, 4); // (12 + 1 + 0 - 3) / 3 + 1
  EXPECT_TRUE(same(simConv(in, p), want));
  EXPECT_GT(distinct(want), 30u);
}

TEST(NnaSim, PaddedConvMatchesReference) {
  std::mt19937 rng(5);
  Tensor in = randomTensor(rng, 5, 6, 4);
  // Asymmetric pads up to kernel - 1, a big in_zero: padding is in_zero.
  Window w = {7, 5, 1, 1, 6, 0, 3, 4};
  ConvParams p = randomConv(rng, 4, 9, w);
  p.inZero = 100;
  Tensor want = refConv(in, p);
  ASSERT_EQ(want.h, 8); // 5 + 6 + 3 - 7 + 1
  ASSERT_EQ(want.w, 6); // 6 + 0 + 4 - 5 + 1
  EXPECT_TRUE(same(simConv(in, p), want));
  EXPECT_GT(distinct(want), 30u);
}

TEST(NnaSim, ConvWithAddMatchesReference) {
  std::mt19937 rng(6);
  Tensor in = randomTensor(rng, 8, 8, 10);
  ConvParams p = randomConv(rng, 10, 12, window(3, 1, 1));
  p.add = true;
  p.b = randomTensor(rng, 8, 8, 12);
  // Scales as a compiler would produce them: a real residual add.
  p.q.bZero = -7;
  p.q.aMult = 1518500250; // ~0.71
  p.q.aShift = -1;
  p.q.bMult = 1288490189; // ~0.6
  p.q.bShift = -1;
  p.q.oMult = 1431655765; // ~0.67
  p.q.oShift = -19;
  p.q.oZero = 3;
  Tensor want = refConv(in, p);
  EXPECT_TRUE(same(simConv(in, p), want));
  EXPECT_GT(distinct(want), 50u);
  // With a ReLU after the add.
  p.q.lo = 3;
  p.q.hi = 127;
  want = refConv(in, p);
  EXPECT_TRUE(same(simConv(in, p), want));
  EXPECT_EQ(*std::min_element(want.v.begin(), want.v.end()), 3);
}

TEST(NnaSim, ConvReluClampsMatchReference) {
  std::mt19937 rng(8);
  Tensor in = randomTensor(rng, 7, 7, 8);
  ConvParams p = randomConv(rng, 8, 16, window(3, 2, 1));
  // ReLU: [out_zero, 127]; ReLU6 with scale 6/255 and zero -128: [-128, 127]
  // is the whole range, so use a tighter one, [-10, 40].
  for (auto [lo, hi] : {std::pair<int8_t, int8_t>{p.outZero, 127},
                        std::pair<int8_t, int8_t>{-10, 40}}) {
    p.lo1 = lo;
    p.hi1 = hi;
    Tensor want = refConv(in, p);
    EXPECT_TRUE(same(simConv(in, p), want));
    EXPECT_EQ(*std::min_element(want.v.begin(), want.v.end()), lo);
    EXPECT_EQ(*std::max_element(want.v.begin(), want.v.end()), hi);
  }
}

// The accumulators wrap at 32 bits: only an extreme bias gets there.
TEST(NnaSim, AccumulatorsWrap) {
  Tensor in(1, 1, 1);
  in.v = {5};
  ConvParams p;
  p.k = 1;
  p.win = window(1);
  p.weights = {100};
  p.bias = {INT32_MAX - 10}; // + 500 wraps to INT32_MIN + 489
  p.mult = {1 << 30};
  p.shift = {-24};
  // srdhm(-2147483159, 2^30) = -1073741579; / 2^24 = -64.00001 -> -64.
  Tensor got = simConv(in, p);
  EXPECT_EQ(got.v[0], -64);
  EXPECT_TRUE(same(got, refConv(in, p)));
}

// srdhm's one saturating case, then the zero point: added exactly, then
// clamped (INT32_MAX + 5 would wrap negative in 32 bits).
TEST(NnaSim, SaturationAndZeroPointAdditionDoNotWrap) {
  Tensor in(1, 1, 1);
  in.v = {-9};
  ConvParams p;
  p.k = 1;
  p.win = window(1);
  p.inZero = -9; // the tap adds 0
  p.outZero = 5;
  p.weights = {77};
  p.bias = {INT32_MIN};
  p.mult = {INT32_MIN};
  p.shift = {0};
  Tensor got = simConv(in, p);
  EXPECT_EQ(got.v[0], 127);
  EXPECT_TRUE(same(got, refConv(in, p)));
  p.mult = {INT32_MAX}; // srdhm(MIN, MAX) = -2147483647, - ... -> -128
  got = simConv(in, p);
  EXPECT_EQ(got.v[0], -128);
  EXPECT_TRUE(same(got, refConv(in, p)));
}

TEST(NnaSim, AddMatchesReference) {
  std::mt19937 rng(9);
  Tensor a = randomTensor(rng, 6, 7, 9), b = randomTensor(rng, 6, 7, 9);
  Quant q;
  q.aZero = 12;
  q.aMult = 1717986918; // ~0.8
  q.aShift = 0;
  q.bZero = -30;
  q.bMult = 1288490189;
  q.bShift = -1;
  q.oMult = 1825361101; // ~0.85
  q.oShift = -20;
  q.oZero = -4;
  q.lo = -100;
  q.hi = 110;
  Lab lab;
  AddCmd cmd;
  cmd.a = lab.stage(a);
  cmd.b = lab.stage(b);
  cmd.out = cube(lab.alloc(a.v.size()), 6, 7, 9);
  cmd.q = q;
  lab.s.add(cmd);
  uint64_t at = lab.fetch(cmd.out);
  // Again with the output over operand a, one pixel on: every element
  // but the first overwrites an operand a later element reads, so this
  // holds only if the command reads all before it writes.
  cmd.out = cube(cmd.a.addr + 9, 6, 7, 9);
  lab.s.add(cmd);
  uint64_t inPlace = lab.fetch(cmd.out);
  ASSERT_EQ(lab.run(), "");
  Tensor want = refAdd(a, b, q);
  EXPECT_TRUE(same(lab.tensorAt(at, 6, 7, 9), want));
  EXPECT_TRUE(same(lab.tensorAt(inPlace, 6, 7, 9), want));
  EXPECT_GT(distinct(want), 50u);
}

// Cubes with pixel and line strides: an add of two channel ranges of one
// wider tensor, written into a channel range of another.
TEST(NnaSim, AddOnStridedCubes) {
  std::mt19937 rng(10);
  Tensor wide = randomTensor(rng, 4, 5, 16);
  Lab lab;
  Cube w = lab.stage(wide);
  Quant q;
  q.oShift = -20;
  q.oMult = 1 << 30;
  AddCmd cmd;
  cmd.a = cube(w.addr + 0, 4, 5, 6, 16, 80);
  cmd.b = cube(w.addr + 8, 4, 5, 6, 16, 80);
  Cube dst = cube(lab.alloc(4 * 100), 4, 5, 10, 10, 100); // line > w * pixel
  cmd.out = cube(dst.addr + 3, 4, 5, 6, 10, 100);
  cmd.q = q;
  lab.s.add(cmd);
  uint64_t at = lab.fetch(cmd.out);
  ASSERT_EQ(lab.run(), "");
  Tensor a(4, 5, 6), b(4, 5, 6);
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 5; ++x)
      for (int ch = 0; ch < 6; ++ch) {
        a.at(y, x, ch) = wide.at(y, x, ch);
        b.at(y, x, ch) = wide.at(y, x, ch + 8);
      }
  EXPECT_TRUE(same(lab.tensorAt(at, 4, 5, 6), refAdd(a, b, q)));
}

TEST(NnaSim, MaxPoolMatchesReference) {
  std::mt19937 rng(11);
  Tensor in = randomTensor(rng, 11, 10, 5);
  PoolCmd p;
  p.win = {3, 2, 2, 2, 1, 1, 1, 0};
  EXPECT_TRUE(same(simPool(in, p), refPool(in, p)));
  p.win = window(16, 16); // one big window
  Tensor big = randomTensor(rng, 16, 16, 3);
  EXPECT_TRUE(same(simPool(big, p), refPool(big, p)));
}

TEST(NnaSim, AvgPoolMatchesReference) {
  std::mt19937 rng(12);
  Tensor in = randomTensor(rng, 9, 9, 7);
  PoolCmd p;
  p.mode = KILN_NNA_POOL_AVERAGE;
  p.win = window(3, 2, 1);
  p.inZero = -40; // ignored without count_include_pad
  Tensor want = refPool(in, p);
  EXPECT_TRUE(same(simPool(in, p), want));
  EXPECT_GT(distinct(want), 50u);
  p.win = {2, 3, 1, 2, 1, 2, 0, 1};
  EXPECT_TRUE(same(simPool(in, p), refPool(in, p)));
}

TEST(NnaSim, AvgPoolCountIncludePadMatchesReference) {
  std::mt19937 rng(13);
  Tensor in = randomTensor(rng, 8, 6, 5);
  PoolCmd p;
  p.mode = KILN_NNA_POOL_AVERAGE;
  p.countIncludePad = 1;
  p.inZero = -40; // padded taps count as -40
  p.win = window(3, 2, 1);
  Tensor with = refPool(in, p);
  EXPECT_TRUE(same(simPool(in, p), with));
  p.countIncludePad = 0;
  EXPECT_FALSE(same(with, refPool(in, p))); // the corners differ
}

// Rounding of the average by hand: sums -5, -6, 5, 6, 7 over 4 taps.
TEST(NnaSim, AvgPoolRoundsHalfAwayFromZero) {
  Tensor in(2, 2, 5);
  int8_t taps[5][4] = {{-2, -1, -1, -1},          // -5 / 4 = -1.25 -> -1
                       {-3, -1, -1, -1},          // -6 / 4 = -1.5  -> -2
                       {2, 1, 1, 1},              // 5 / 4 = 1.25   -> 1
                       {3, 1, 1, 1},              // 6 / 4 = 1.5    -> 2
                       {-128, -128, -128, -127}}; // -127.75 -> -128
  for (int ch = 0; ch < 5; ++ch)
    for (int i = 0; i < 4; ++i)
      in.at(i / 2, i % 2, ch) = taps[ch][i];
  PoolCmd p;
  p.mode = KILN_NNA_POOL_AVERAGE;
  p.win = window(2, 2);
  Tensor got = simPool(in, p);
  EXPECT_EQ(std::vector<int8_t>(got.v.begin(), got.v.end()),
            (std::vector<int8_t>{-1, -2, 1, 2, -128}));
  EXPECT_TRUE(same(got, refPool(in, p)));
}

// A global pool: the window is the whole input, past the 16 of others.
TEST(NnaSim, GlobalPoolsMatchReference) {
  std::mt19937 rng(14);
  Tensor in = randomTensor(rng, 20, 23, 6);
  PoolCmd p;
  p.win = {20, 23, 1, 1, 0, 0, 0, 0};
  Tensor got = simPool(in, p);
  ASSERT_EQ(got.h * got.w, 1);
  EXPECT_TRUE(same(got, refPool(in, p)));
  p.mode = KILN_NNA_POOL_AVERAGE;
  EXPECT_TRUE(same(simPool(in, p), refPool(in, p)));
}

// ===========================================================================
// Tiled convolutions equal the whole one.
// ===========================================================================

// Input-channel groups: FIRST, one in the middle, LAST, each reading a
// channel range of the input (pixel stride = all channels).
TEST(NnaSim, ConvInputChannelGroupsEqualTheWholeConv) {
  std::mt19937 rng(20);
  const int c = 13;
  Tensor in = randomTensor(rng, 9, 8, c);
  ConvParams p = randomConv(rng, c, 10, {3, 3, 2, 1, 1, 1, 1, 0});
  Tensor want = refConv(in, p);
  Lab lab;
  Cube whole = lab.stage(in);
  uint32_t params = lab.stage(paramBytes(p), true);
  Cube out =
      cube(lab.alloc(size_t(want.h) * want.w * p.k), want.h, want.w, p.k);
  const int groups[][2] = {{0, 3}, {3, 8}, {8, 13}};
  for (int g = 0; g < 3; ++g) {
    int c0 = groups[g][0], c1 = groups[g][1];
    std::vector<int8_t> slice; // [k][ky][kx][c0..c1)
    for (int k = 0; k < p.k; ++k)
      for (int t = 0; t < p.win.kh * p.win.kw; ++t)
        for (int ch = c0; ch < c1; ++ch)
          slice.push_back(
              p.weights[(size_t(k) * p.win.kh * p.win.kw + t) * c + ch]);
    uint32_t weights = lab.stage(weightBytes(slice), true);
    Cube part = cube(whole.addr + c0, in.h, in.w, c1 - c0, c, in.w * c);
    ConvCmd cmd = convCmd(part, out, weights, params, p);
    cmd.flags = (g == 0 ? kFirst : 0) | (g == 2 ? kLast : 0);
    lab.s.conv(cmd);
  }
  uint64_t at = lab.fetch(out);
  ASSERT_EQ(lab.run(), "");
  EXPECT_TRUE(same(lab.tensorAt(at, want.h, want.w, p.k), want));
}

// Row tiles: each reads the input rows its outputs need, with the pads of
// its position (top only first, bottom only last), and writes its rows of
// a taller output whose lines are padded (line > w * pixel).
TEST(NnaSim, ConvRowTilesEqualTheWholeConv) {
  std::mt19937 rng(21);
  Tensor in = randomTensor(rng, 11, 9, 6);
  ConvParams p = randomConv(rng, 6, 8, window(3, 2, 1));
  Tensor want = refConv(in, p);
  ASSERT_EQ(want.h, 6);
  ASSERT_EQ(want.w, 5);
  Lab lab;
  Cube whole = lab.stage(in);
  uint32_t weights = lab.stage(weightBytes(p.weights), true);
  uint32_t params = lab.stage(paramBytes(p), true);
  const uint32_t line = want.w * p.k + 8;
  Cube out = cube(lab.alloc(want.h * line), want.h, want.w, p.k, p.k, line);
  const int tiles[][2] = {{0, 2}, {2, 5}, {5, 6}};
  std::set<int> padsTop, padsBottom;
  for (const auto &tile : tiles) {
    int y0 = tile[0], y1 = tile[1];
    int start = y0 * p.win.sh - p.win.pt;
    int end = (y1 - 1) * p.win.sh - p.win.pt + p.win.kh;
    int iy0 = std::max(start, 0), iy1 = std::min(end, in.h);
    ConvParams tp = p;
    tp.win.pt = uint8_t(iy0 - start);
    tp.win.pb = uint8_t(end - iy1);
    padsTop.insert(tp.win.pt);
    padsBottom.insert(tp.win.pb);
    Cube part = cube(whole.addr + iy0 * whole.line, iy1 - iy0, in.w, in.c);
    Cube rows = cube(out.addr + y0 * line, y1 - y0, want.w, p.k, p.k, line);
    lab.s.conv(convCmd(part, rows, weights, params, tp));
  }
  EXPECT_EQ(padsTop, (std::set<int>{0, 1})); // the tiles' pads differ
  EXPECT_EQ(padsBottom, (std::set<int>{0, 1}));
  uint64_t at = lab.fetch(out);
  ASSERT_EQ(lab.run(), "");
  EXPECT_TRUE(same(lab.tensorAt(at, want.h, want.w, p.k), want));
}

// Output-channel tiles: each takes its rows of the weights and params and
// writes its channel range of the output (pixel stride = all channels).
TEST(NnaSim, ConvOutputChannelTilesEqualTheWholeConv) {
  std::mt19937 rng(22);
  Tensor in = randomTensor(rng, 6, 7, 10);
  ConvParams p = randomConv(rng, 10, 24, window(3, 1, 1));
  Tensor want = refConv(in, p);
  Lab lab;
  Cube whole = lab.stage(in);
  uint32_t weights = lab.stage(weightBytes(p.weights), true);
  uint32_t params = lab.stage(paramBytes(p), true);
  Cube out =
      cube(lab.alloc(size_t(want.h) * want.w * p.k), want.h, want.w, p.k);
  const uint32_t perK = 3 * 3 * 10;
  const std::pair<int, int> tiles[] = {{0, 16}, {16, 21}, {21, 24}};
  for (auto [k0, k1] : tiles) {
    ConvParams tp = p;
    tp.k = k1 - k0;
    Cube part = cube(out.addr + k0, want.h, want.w, k1 - k0, p.k);
    lab.s.conv(convCmd(whole, part, weights + k0 * perK,
                       params + k0 * KILN_NNA_PARAMS_SIZE, tp));
  }
  uint64_t at = lab.fetch(out);
  ASSERT_EQ(lab.run(), "");
  EXPECT_TRUE(same(lab.tensorAt(at, want.h, want.w, p.k), want));
}

// A conv can overwrite its own input: it reads it all first.
TEST(NnaSim, ConvInPlace) {
  std::mt19937 rng(23);
  Tensor in = randomTensor(rng, 5, 5, 8);
  ConvParams p = randomConv(rng, 8, 8, window(3, 1, 1));
  Lab lab;
  Cube x = lab.stage(in);
  uint32_t weights = lab.stage(weightBytes(p.weights), true);
  uint32_t params = lab.stage(paramBytes(p), true);
  lab.s.conv(convCmd(x, x, weights, params, p));
  uint64_t at = lab.fetch(x);
  ASSERT_EQ(lab.run(), "");
  EXPECT_TRUE(same(lab.tensorAt(at, 5, 5, 8), refConv(in, p)));
}

// ===========================================================================
// DMA and run-time failures.
// ===========================================================================

TEST(NnaSim, DmaRoundTrips) {
  Lab lab;
  for (int i = 0; i < 400; ++i)
    lab.arena.push_back(uint8_t(i * 7 + 1));
  lab.arena.resize(2000, 0);
  for (int i = 0; i < 100; ++i)
    lab.s.constants.push_back(uint8_t(200 - i));
  // 5 rows of 24 bytes, 40 apart in the arena, 32 apart in SRAM, back to
  // the arena at 1000, 30 apart.
  lab.s.load(kArena, 0, 40, 4096, 32, 5, 24);
  lab.s.store(4096, 32, 1000, 30, 5, 24);
  // 3 rows of 20 constants, 30 apart, to SRAM and back at 1500, 20 apart.
  lab.s.load(kConst, 5, 30, 8192, 20, 3, 20);
  lab.s.store(8192, 20, 1500, 20, 3, 20);
  Report report;
  ASSERT_EQ(lab.run(&report.r), "");
  for (int r = 0; r < 5; ++r)
    for (int i = 0; i < 30; ++i)
      EXPECT_EQ(lab.arena[1000 + r * 30 + i],
                i < 24 ? uint8_t((r * 40 + i) * 7 + 1) : 0)
          << r << " " << i;
  for (int r = 0; r < 3; ++r)
    for (int i = 0; i < 20; ++i)
      EXPECT_EQ(lab.arena[1500 + r * 20 + i], uint8_t(200 - (5 + r * 30 + i)));
  EXPECT_EQ(report.r.dram_read, 5u * 24 + 3 * 20);
  EXPECT_EQ(report.r.dram_written, 5u * 24 + 3 * 20);
  EXPECT_EQ(report.r.commands[0].dram_read, 120u);
  EXPECT_EQ(report.r.commands[0].dram_written, 0u);
  EXPECT_EQ(report.r.commands[1].dram_written, 120u);
  EXPECT_EQ(report.r.commands[1].dram_read, 0u);
}

// Per-channel shifts live in SRAM: only running the CONV can check them.
TEST(NnaSim, RejectsPerChannelShiftsAtRunTime) {
  std::mt19937 rng(30);
  Tensor in = randomTensor(rng, 3, 3, 4);
  ConvParams p = randomConv(rng, 4, 6, window(1));
  p.shift[3] = 31;
  Lab lab;
  Cube x = lab.stage(in);
  uint32_t weights = lab.stage(weightBytes(p.weights), true);
  uint32_t params = lab.stage(paramBytes(p), true);
  Cube out = cube(lab.alloc(54), 3, 3, 6);
  lab.s.conv(convCmd(x, out, weights, params, p));
  std::string error = lab.run();
  EXPECT_NE(error.find("command 3 (CONV): params channel 3: shift 31 outside "
                       "-31..30 (SRAM byte " +
                       std::to_string(params + 3 * 12 + 8) + ")"),
            std::string::npos)
      << error;
  p.shift[3] = -32;
  Lab again;
  x = again.stage(in);
  weights = again.stage(weightBytes(p.weights), true);
  params = again.stage(paramBytes(p), true);
  again.s.conv(convCmd(x, out, weights, params, p));
  EXPECT_NE(again.run().find("shift -32 outside"), std::string::npos);
}

TEST(NnaSim, RejectsASmallArena) {
  Stream s;
  s.arenaSize = 64;
  std::vector<uint8_t> bytes = s.bytes();
  kiln_nna_stream st;
  kiln_error error{};
  ASSERT_EQ(kiln_nna_stream_parse(bytes.data(), bytes.size(), &st, &error),
            KILN_OK);
  std::vector<uint8_t> arena(63);
  kiln_nna_report report;
  EXPECT_EQ(kiln_nna_simulate(&st, arena.data(), arena.size(), &report, &error),
            KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(error.message, "NNA simulator: an arena of 63 bytes, the "
                              "stream needs 64");
  EXPECT_EQ(report.commands, nullptr);
  kiln_nna_report_free(&report);
  arena.resize(64);
  EXPECT_EQ(kiln_nna_simulate(&st, arena.data(), arena.size(), &report, &error),
            KILN_OK);
  EXPECT_EQ(report.cycles, 0u);
  kiln_nna_report_free(&report);
  kiln_nna_stream_free(&st);
}

// ===========================================================================
// The cost model.
// ===========================================================================

/// Parses and simulates `s` on a zeroed arena; the report.
void simulate(Stream &s, Report &report) {
  std::vector<uint8_t> bytes = s.bytes();
  kiln_nna_stream st;
  kiln_error error{};
  ASSERT_EQ(kiln_nna_stream_parse(bytes.data(), bytes.size(), &st, &error),
            KILN_OK)
      << error.message;
  std::vector<uint8_t> arena(s.arenaSize);
  EXPECT_EQ(
      kiln_nna_simulate(&st, arena.data(), arena.size(), &report.r, &error),
      KILN_OK)
      << error.message;
  kiln_nna_stream_free(&st);
}

// Each command's cycles, worked out from the table on both configs (the
// SRAM is zero: params of mult 0, shift 0).
TEST(NnaCost, CommandCyclesByHand) {
  for (uint32_t config : {KILN_NNA_CONFIG_SMALL, KILN_NNA_CONFIG_LARGE}) {
    SCOPED_TRACE(config);
    bool small = config == KILN_NNA_CONFIG_SMALL;
    Stream s;
    s.config = config;
    s.arenaSize = 1024;
    s.load(kArena, 0, 25, 0, 25, 4, 25); // 100 bytes
    s.store(0, 16, 512, 16, 2, 16);      // 32 bytes
    ConvCmd c;
    c.in = cube(0, 8, 8, 40);
    c.out = cube(4096, 8, 8, 20);
    c.win = window(3, 1, 1);
    c.weights = 8192;
    c.params = 20000;
    s.conv(c);
    c.flags |= kDepthwise;
    c.out = cube(4096, 8, 8, 40);
    s.conv(c);
    AddCmd a;
    a.a = a.b = a.out = cube(0, 3, 3, 19); // 171 elements
    s.add(a);
    PoolCmd p;
    p.in = cube(0, 8, 8, 5);
    p.out = cube(1024, 4, 4, 5);
    p.win = window(3, 2, 1); // 4 * 4 * 5 * 9 = 720 window elements
    s.pool(p);
    Report r;
    simulate(s, r);
    ASSERT_EQ(r.r.num_commands, 6u);
    const uint64_t want[6] = {
        small ? 64u + 7 : 64u + 4,               // ceil(100 / 16), / 32
        small ? 64u + 2 : 64u + 1,               // ceil(32 / 16), / 32
        small ? 16u + 2 * 2 * 64 * 9             // ceil(40/32) ceil(20/16)
              : 16u + 1 * 1 * 64 * 9,            // ceil(40/64) ceil(20/32)
        small ? 16u + 2 * 64 * 9 : 16u + 64 * 9, // ceil(K=40 / atomic C)
        small ? 16u + 11 : 16u + 6,              // ceil(171 / 16), / 32
        small ? 16u + 90 : 16u + 45};            // 720 / 8, / 16
    const uint32_t units[6] = {KILN_NNA_UNIT_DMA,  KILN_NNA_UNIT_DMA,
                               KILN_NNA_UNIT_CONV, KILN_NNA_UNIT_CONV,
                               KILN_NNA_UNIT_SDP,  KILN_NNA_UNIT_PDP};
    for (int i = 0; i < 6; ++i) {
      EXPECT_EQ(r.r.commands[i].cycles, want[i]) << i;
      EXPECT_EQ(r.r.commands[i].end - r.r.commands[i].start, want[i]) << i;
      EXPECT_EQ(r.r.commands[i].unit, units[i]) << i;
    }
  }
}

// A chain where each command reads what the previous wrote, across all
// four units: no overlap, the total is the sum.
TEST(NnaCost, DependentChainTakesTheSumOfItsCycles) {
  Stream s;
  s.arenaSize = 4096;
  s.load(kArena, 0, 512, 0, 512, 1, 512); // X: 8x8x8 at 0
  ConvCmd c;
  c.in = cube(0, 8, 8, 8);
  c.out = cube(1024, 8, 8, 8); // Y
  c.weights = 4096;
  c.params = 8192;
  c.win = window(3, 1, 1);
  s.conv(c);
  PoolCmd p;
  p.in = c.out;
  p.out = cube(2048, 4, 4, 8); // Z
  p.win = window(2, 2);
  s.pool(p);
  AddCmd a;
  a.a = a.b = p.out;
  a.out = cube(3072, 4, 4, 8);
  s.add(a);
  s.store(3072, 128, 1024, 128, 1, 128);
  Report r;
  simulate(s, r);
  const uint64_t cycles[5] = {64 + 32, 16 + 1 * 1 * 64 * 9, 16 + 128 * 4 / 8,
                              16 + 128 / 16, 64 + 8};
  uint64_t t = 0;
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(r.r.commands[i].start, t) << i;
    t += cycles[i];
    EXPECT_EQ(r.r.commands[i].end, t) << i;
  }
  EXPECT_EQ(r.r.cycles, t);
  EXPECT_EQ(t, 96u + 592 + 80 + 24 + 72);
  EXPECT_EQ(r.r.busy[KILN_NNA_UNIT_DMA], 96u + 72);
  EXPECT_EQ(r.r.busy[KILN_NNA_UNIT_CONV], 592u);
  EXPECT_EQ(r.r.busy[KILN_NNA_UNIT_PDP], 80u);
  EXPECT_EQ(r.r.busy[KILN_NNA_UNIT_SDP], 24u);
}

/// Two tiles of an 8x8x32 -> 8x8x16 3x3 conv: weights and params, then
/// per tile a load, the conv and a store. Double-buffered, tile 1's input
/// goes to a second buffer and its load overlaps tile 0's conv; single-
/// buffered, it overwrites tile 0's input and must wait for that conv.
Stream tiledStream(bool doubleBuffered) {
  Stream s;
  s.constants.assign(4608 + 192, 0);
  s.arenaSize = 2 * 2048 + 2 * 1024;
  const uint32_t w = 100000, prm = 110000, in0 = 0, out0 = 4096, out1 = 6144;
  const uint32_t in1 = doubleBuffered ? 2048 : in0;
  s.load(kConst, 0, 4608, w, 4608, 1, 4608);   // 64 + 288
  s.load(kConst, 4608, 192, prm, 192, 1, 192); // 64 + 12
  ConvCmd c;
  c.weights = w;
  c.params = prm;
  c.win = window(3, 1, 1);
  c.in = cube(in0, 8, 8, 32);
  c.out = cube(out0, 8, 8, 16);
  s.load(kArena, 0, 2048, in0, 2048, 1, 2048); // 64 + 128
  s.conv(c);                                   // 16 + 1 * 1 * 64 * 9
  s.load(kArena, 2048, 2048, in1, 2048, 1, 2048);
  c.in = cube(in1, 8, 8, 32);
  c.out = cube(out1, 8, 8, 16);
  s.conv(c);
  s.store(out0, 1024, 4096, 1024, 1, 1024); // 64 + 64
  s.store(out1, 1024, 5120, 1024, 1, 1024);
  return s;
}

TEST(NnaCost, DoubleBufferingOverlapsDmaAndCompute) {
  Stream s = tiledStream(true);
  Report r;
  simulate(s, r);
  ASSERT_EQ(r.r.num_commands, 8u);
  // start, end by hand: the DMA runs ahead while the CONV unit works.
  const uint64_t want[8][2] = {
      {0, 352},     // weights
      {352, 428},   // params
      {428, 620},   // tile 0 input
      {620, 1212},  // conv 0: after all three loads
      {620, 812},   // tile 1 input: the DMA is free, no dependency
      {1212, 1804}, // conv 1: the CONV unit is busy until 1212
      {1212, 1340}, // store 0: waits for conv 0
      {1804, 1932}, // store 1: waits for conv 1
  };
  uint64_t sum = 0;
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(r.r.commands[i].start, want[i][0]) << i;
    EXPECT_EQ(r.r.commands[i].end, want[i][1]) << i;
    sum += r.r.commands[i].cycles;
  }
  EXPECT_EQ(r.r.cycles, 1932u);
  EXPECT_EQ(sum, 2252u);
  EXPECT_LT(r.r.cycles, sum);
  EXPECT_EQ(r.r.busy[KILN_NNA_UNIT_DMA], 352u + 76 + 192 + 192 + 128 + 128);
  EXPECT_EQ(r.r.busy[KILN_NNA_UNIT_CONV], 2u * 592);
  EXPECT_EQ(r.r.busy[KILN_NNA_UNIT_SDP], 0u);
  // DRAM traffic: every byte the DMA moved.
  EXPECT_EQ(r.r.dram_read, 4608u + 192 + 2048 + 2048);
  EXPECT_EQ(r.r.dram_written, 2048u);

  // Single-buffered: tile 1's load waits for conv 0 (write after read).
  Stream single = tiledStream(false);
  Report r1;
  simulate(single, r1);
  EXPECT_EQ(r1.r.commands[4].start, 1212u);
  EXPECT_EQ(r1.r.commands[5].start, 1404u);
  EXPECT_EQ(r1.r.cycles, 1404u + 592 + 128);
  EXPECT_EQ(r1.r.cycles - r.r.cycles, 192u); // the load no longer hidden
}

// Readers of one buffer on different units run together; a later writer
// waits for both (write after read).
TEST(NnaCost, ReadersOverlapWritersWait) {
  Stream s;
  s.arenaSize = 1024;
  s.load(kArena, 0, 256, 0, 256, 1, 256); // X 4x8x8: 64 + 16
  PoolCmd p;
  p.in = cube(0, 4, 8, 8);
  p.out = cube(512, 2, 4, 8);
  p.win = window(2, 2);
  s.pool(p); // 16 + 2 * 4 * 8 * 4 / 8 = 48
  AddCmd a;
  a.a = a.b = cube(0, 4, 8, 8);
  a.out = cube(1024, 4, 8, 8);
  s.add(a);                                 // 16 + 256 / 16 = 32
  s.load(kArena, 256, 256, 0, 256, 1, 256); // rewrites X
  s.store(1024, 256, 512, 256, 1, 256);     // reads the add's output
  Report r;
  simulate(s, r);
  const uint64_t want[5][2] = {
      {0, 80}, {80, 128}, {80, 112}, {128, 208}, {208, 288}};
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(r.r.commands[i].start, want[i][0]) << i;
    EXPECT_EQ(r.r.commands[i].end, want[i][1]) << i;
  }
  EXPECT_EQ(r.r.cycles, 288u);
}

// Non-overlapping footprints never wait; a write after a write does.
TEST(NnaCost, IndependentComputeRunsConcurrently) {
  Stream s;
  PoolCmd p;
  p.in = cube(0, 8, 8, 8);
  p.out = cube(1024, 4, 4, 8);
  p.win = window(2, 2); // 16 + 4 * 4 * 8 * 4 / 8 = 80
  s.pool(p);
  AddCmd a;
  a.a = a.b = cube(2048, 8, 8, 8);
  a.out = cube(4096, 8, 8, 8); // 16 + 512 / 16 = 48
  s.add(a);
  ConvCmd c;
  c.in = cube(8192, 8, 8, 8);
  c.out = cube(12288, 8, 8, 8);
  c.weights = 16384;
  c.params = 20480;
  s.conv(c); // 16 + 64
  // Writes the pool's output: after the pool (WAW), not the others.
  a.out = cube(1024 + 127, 1, 1, 1);
  a.a = a.b = cube(30000, 1, 1, 1);
  s.add(a); // 16 + 1
  Report r;
  simulate(s, r);
  EXPECT_EQ(r.r.commands[0].start, 0u);
  EXPECT_EQ(r.r.commands[1].start, 0u);
  EXPECT_EQ(r.r.commands[2].start, 0u);
  EXPECT_EQ(r.r.commands[3].start, 80u); // pool ends 80, SDP free at 48
  EXPECT_EQ(r.r.cycles, 97u);
}

// ===========================================================================
// Fuzz inputs.
// ===========================================================================

// The fuzz target's bound on simulated work (runtime/fuzz/nna_stream_fuzz.c).
uint64_t work(const kiln_nna_stream &s) {
  uint64_t total = 0;
  for (uint32_t i = 0; i < s.num_commands; ++i) {
    const kiln_nna_command &c = s.commands[i];
    switch (c.opcode) {
    case KILN_NNA_DMA_LOAD:
    case KILN_NNA_DMA_STORE:
      total += uint64_t(c.dma.rows) * c.dma.row_bytes;
      break;
    case KILN_NNA_CONV:
      total += uint64_t(c.conv.out.h) * c.conv.out.w * c.conv.out.c *
               c.conv.win.kh * c.conv.win.kw * c.conv.cg;
      break;
    case KILN_NNA_ADD:
      total += uint64_t(c.add.out.h) * c.add.out.w * c.add.out.c;
      break;
    case KILN_NNA_POOL:
      total += uint64_t(c.pool.out.h) * c.pool.out.w * c.pool.out.c *
               c.pool.win.kh * c.pool.win.kw;
      break;
    }
  }
  return total;
}

/// As the fuzz target: "" when it parses (and, when small, simulates).
std::string replay(const std::vector<uint8_t> &bytes, bool *simulated) {
  kiln_nna_stream s;
  kiln_error error{};
  if (kiln_nna_stream_parse(bytes.data(), bytes.size(), &s, &error) !=
      KILN_OK) {
    kiln_nna_stream_free(&s);
    EXPECT_NE(error.message[0], '\0');
    return error.message;
  }
  if (s.arena_size <= (1u << 20) && s.num_commands <= 64 &&
      work(s) <= (1u << 22)) {
    std::vector<uint8_t> arena(s.arena_size);
    kiln_nna_report report;
    kiln_status st =
        kiln_nna_simulate(&s, arena.data(), arena.size(), &report, &error);
    if (st == KILN_OK) {
      EXPECT_EQ(report.num_commands, s.num_commands);
      for (uint32_t i = 0; i < report.num_commands; ++i)
        EXPECT_LE(report.commands[i].end, report.cycles);
    } else {
      EXPECT_NE(std::string(error.message).find("shift"), std::string::npos)
          << error.message;
    }
    kiln_nna_report_free(&report);
    *simulated = true;
  }
  kiln_nna_stream_free(&s);
  return "";
}

// kiln_nna_stream_fuzz's corpus and regressions, tried as the target does:
// as is and with the payload size and checksum repaired; each parses (and
// simulates, when small) or fails with a message.
TEST(NnaStream, FuzzCorpusReplay) {
  std::vector<std::string> files = fuzzInputs("nna_stream");
  if (files.empty())
    GTEST_SKIP() << "runtime/fuzz/corpus/nna_stream not found";
  int parsed = 0;
  bool simulated = false;
  for (const std::string &path : files) {
    SCOPED_TRACE(path);
    std::vector<uint8_t> bytes = readBytes(path);
    parsed += replay(bytes, &simulated).empty();
    if (bytes.size() < KILN_NNA_HEADER_SIZE)
      continue;
    uint64_t payload = bytes.size() - KILN_NNA_HEADER_SIZE;
    patchU64(bytes, 8, payload);
    patchU32(bytes, 16,
             kiln_fnv1a32(bytes.data() + KILN_NNA_HEADER_SIZE, payload));
    parsed += replay(bytes, &simulated).empty();
  }
  EXPECT_GT(parsed, 0); // the seeds are valid streams
  EXPECT_TRUE(simulated);
}

} // namespace
