//===- driver.cpp - Times and checks the generated Halide layers ----------===//
//
//   halide-bench --list
//   halide-bench LAYER ISA SCHEDULE [--runs N] [--warmup N]
//
// --list prints one line per layer: name kind ci co ih iw k stride pad relu,
// and then the ISA/schedule variants that were built. A run fills the layer's
// input, filter and bias with seeded random values in [-1, 1), packs the
// filter into the layout its generator takes (before any timing, as kilnc
// packs Kiln's at compile time), checks the Halide output against a plain C++
// loop (double accumulation; fails when the largest error over the largest
// output magnitude exceeds 1e-3), then times it: --warmup untimed calls, then
// --runs timed ones, and prints "median latency: X ms". Halide's thread pool
// is held to one thread (halide_set_num_threads(1)), so the schedules'
// parallel loops run serially on the calling thread.
//
//===----------------------------------------------------------------------===//

#include "HalideBuffer.h"
#include "HalideRuntime.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "registry.inc"

namespace {

using Halide::Runtime::Buffer;

struct Shape {
  int ci, co, ih, iw, k, stride, pad, relu;
  int oh() const { return (ih + 2 * pad - k) / stride + 1; }
  int ow() const { return (iw + 2 * pad - k) / stride + 1; }
};

struct Entry {
  const char *name, *kind;
  Shape s;
  const char *isa, *sched;
  void *fn;
};

const Entry kEntries[] = {KILN_HALIDE_REGISTRY};

using Fn2 = int (*)(halide_buffer_t *, halide_buffer_t *);
using Fn4 = int (*)(halide_buffer_t *, halide_buffer_t *, halide_buffer_t *,
                    halide_buffer_t *);

std::vector<float> randomVector(size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float &f : v)
    f = dist(gen);
  return v;
}

// One layer's operands in the ONNX layouts (NHWC activations as Kiln keeps
// them, OIHW filters, B as K x N), the reference output and the Halide
// buffers, filters packed.
struct Layer {
  const Entry &e;
  std::vector<float> in, w, b, ref;
  Buffer<float> hin, hw, hb, hout;

  explicit Layer(const Entry &e) : e(e) {
    const Shape &s = e.s;
    std::string kind = e.kind;
    bool depthwise = kind == "depthwise", pool = kind == "max_pool";
    if (kind == "gemm") {
      in = randomVector(s.ci, 1);
      w = randomVector((size_t)s.ci * s.co, 2);
      b = randomVector(s.co, 3);
      hin = Buffer<float>(in.data(), s.ci);
      hw = Buffer<float>(w.data(), s.co, s.ci); // B[k][n]: (n, k) as is
      hb = Buffer<float>(b.data(), s.co);
      hout = Buffer<float>(s.co);
      ref.resize(s.co);
      for (int n = 0; n < s.co; ++n) {
        double acc = b[n];
        for (int k = 0; k < s.ci; ++k)
          acc += (double)in[k] * w[(size_t)k * s.co + n];
        ref[n] = (float)acc;
      }
      return;
    }
    const int OH = s.oh(), OW = s.ow(), K = s.k;
    in = randomVector((size_t)s.ih * s.iw * s.ci, 1);
    hin = Buffer<float>(in.data(), s.ci, s.iw, s.ih);
    if (!pool) {
      size_t wsize = depthwise ? (size_t)s.co * K * K : (size_t)s.co * s.ci * K * K;
      w = randomVector(wsize, 2);
      b = randomVector(s.co, 3);
      hb = Buffer<float>(b.data(), s.co);
    }
    if (kind == "conv") {
      // OIHW -> (co, ci, kx, ky), co innermost.
      hw = Buffer<float>(s.co, s.ci, K, K);
      for (int o = 0; o < s.co; ++o)
        for (int i = 0; i < s.ci; ++i)
          for (int ky = 0; ky < K; ++ky)
            for (int kx = 0; kx < K; ++kx)
              hw(o, i, kx, ky) = w[(((size_t)o * s.ci + i) * K + ky) * K + kx];
    } else if (kind == "pointwise") {
      hw = Buffer<float>(s.co, s.ci);
      for (int o = 0; o < s.co; ++o)
        for (int i = 0; i < s.ci; ++i)
          hw(o, i) = w[(size_t)o * s.ci + i];
      // The same NHWC memory as (c, pixel).
      hin = Buffer<float>(in.data(), s.ci, s.iw * s.ih);
    } else if (depthwise) {
      // (C, 1, K, K) -> (c, kx, ky).
      hw = Buffer<float>(s.co, K, K);
      for (int c = 0; c < s.co; ++c)
        for (int ky = 0; ky < K; ++ky)
          for (int kx = 0; kx < K; ++kx)
            hw(c, kx, ky) = w[((size_t)c * K + ky) * K + kx];
    }
    hout = kind == "pointwise" ? Buffer<float>(s.co, OW * OH)
                               : Buffer<float>(s.co, OW, OH);

    ref.assign((size_t)OH * OW * s.co, 0.0f);
    for (int y = 0; y < OH; ++y)
      for (int x = 0; x < OW; ++x)
        for (int o = 0; o < s.co; ++o) {
          double acc = pool ? -std::numeric_limits<double>::infinity() : b[o];
          for (int ky = 0; ky < K; ++ky)
            for (int kx = 0; kx < K; ++kx) {
              int iy = y * s.stride + ky - s.pad, ix = x * s.stride + kx - s.pad;
              if (iy < 0 || iy >= s.ih || ix < 0 || ix >= s.iw)
                continue;
              const float *px = &in[((size_t)iy * s.iw + ix) * s.ci];
              if (pool) {
                acc = std::max(acc, (double)px[o]);
              } else if (depthwise) {
                acc += (double)px[o] * w[((size_t)o * K + ky) * K + kx];
              } else {
                for (int i = 0; i < s.ci; ++i)
                  acc += (double)px[i] *
                         w[(((size_t)o * s.ci + i) * K + ky) * K + kx];
              }
            }
          if (s.relu)
            acc = std::max(acc, 0.0);
          ref[((size_t)y * OW + x) * s.co + o] = (float)acc;
        }
  }

  int call() {
    if (std::string(e.kind) == "max_pool")
      return reinterpret_cast<Fn2>(e.fn)(hin.raw_buffer(), hout.raw_buffer());
    return reinterpret_cast<Fn4>(e.fn)(hin.raw_buffer(), hw.raw_buffer(),
                                       hb.raw_buffer(), hout.raw_buffer());
  }

  // Largest |halide - reference| over the largest |reference|.
  double check(double *maxAbsErr) {
    const float *out = hout.data();
    double err = 0, mag = 0;
    for (size_t i = 0; i < ref.size(); ++i) {
      err = std::max(err, (double)std::fabs(out[i] - ref[i]));
      mag = std::max(mag, (double)std::fabs(ref[i]));
    }
    *maxAbsErr = err;
    return err / std::max(mag, 1e-30);
  }
};

int usage() {
  std::fprintf(stderr, "usage: halide-bench --list\n"
                       "       halide-bench LAYER ISA SCHEDULE [--runs N] "
                       "[--warmup N]\n");
  return 2;
}

} // namespace

int main(int argc, char **argv) {
  if (argc == 2 && std::string(argv[1]) == "--list") {
    for (const Entry &e : kEntries)
      std::printf("%s %s %d %d %d %d %d %d %d %d %s %s\n", e.name, e.kind,
                  e.s.ci, e.s.co, e.s.ih, e.s.iw, e.s.k, e.s.stride, e.s.pad,
                  e.s.relu, e.isa, e.sched);
    return 0;
  }
  if (argc < 4)
    return usage();
  int runs = 20, warmup = 3;
  for (int i = 4; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--runs" && i + 1 < argc)
      runs = std::atoi(argv[++i]);
    else if (a == "--warmup" && i + 1 < argc)
      warmup = std::atoi(argv[++i]);
    else
      return usage();
  }
  const Entry *entry = nullptr;
  for (const Entry &e : kEntries)
    if (!std::strcmp(e.name, argv[1]) && !std::strcmp(e.isa, argv[2]) &&
        !std::strcmp(e.sched, argv[3]))
      entry = &e;
  if (!entry) {
    std::fprintf(stderr, "halide-bench: no variant %s %s %s (see --list)\n",
                 argv[1], argv[2], argv[3]);
    return 2;
  }
  halide_set_num_threads(1);

  Layer layer(*entry);
  if (int rc = layer.call()) {
    std::fprintf(stderr, "halide-bench: pipeline returned %d\n", rc);
    return 1;
  }
  double absErr, relErr = layer.check(&absErr);
  std::printf("max abs error: %.3g (relative to max |output|: %.3g)\n", absErr,
              relErr);
  if (!(relErr <= 1e-3)) {
    std::fprintf(stderr, "halide-bench: %s %s %s: output differs from the "
                         "reference\n", argv[1], argv[2], argv[3]);
    return 1;
  }

  for (int i = 0; i < warmup; ++i)
    layer.call();
  std::vector<double> ms(runs);
  for (int i = 0; i < runs; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    layer.call();
    auto t1 = std::chrono::steady_clock::now();
    ms[i] = std::chrono::duration<double, std::milli>(t1 - t0).count();
  }
  std::vector<double> sorted = ms;
  std::sort(sorted.begin(), sorted.end());
  double median = runs % 2 ? sorted[runs / 2]
                           : 0.5 * (sorted[runs / 2 - 1] + sorted[runs / 2]);
  std::printf("median latency: %.4f ms over %d runs (min %.4f ms)\n", median,
              runs, sorted[0]);
  return 0;
}
