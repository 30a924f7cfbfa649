//===- generators.cpp - Halide generators for the kernel benchmark --------===//
//
// Five Halide generators for the layer classes of the issue 5 comparison:
// spatial conv (any K, stride and pad, optional fused ReLU), pointwise (1x1)
// conv, depthwise conv, max pool and the fully connected Gemm. All use Kiln's layout: activations
// channels-last with batch 1, so a tensor is the Halide buffer (c, x, y) with
// c innermost. Filters take whatever layout the schedule wants (the timing
// driver packs them once, before timing, as kilnc packs Kiln's at compile
// time):
//
//   conv      filter (co, ci, kx, ky), co innermost: a vector of output
//             channels is one load
//   pointwise filter (co, ci)
//   depthwise filter (c, kx, ky)
//   gemm      weights (n, k), n innermost: ONNX's B of shape K x N as is
//
// Every generator has two paths. With auto_schedule=false (the default) it
// applies the hand-written schedule below, in the style of Halide's
// apps/conv_layer: vectorise over output channels, a register tile of
// `vb` vectors of channels x `tx` output pixels, the reduction over input
// channels innermost, the kernel window unrolled. With auto_schedule=true
// (add_halide_library's AUTOSCHEDULER) it only gives estimates and leaves the
// schedule to the autoscheduler plugin. Shapes are generator parameters and
// the buffers' bounds and strides are pinned to them, so both paths compile
// for the static shapes that Kiln also sees.
//
// Zero padding is BoundaryConditions::constant_exterior, inline: its likely()
// lets Halide's loop partitioning peel the border tiles, so the steady state
// has no selects and no padded copy is made.
//
//===----------------------------------------------------------------------===//

#include "Halide.h"

using namespace Halide;

namespace {

// Pins a channels-last (c, x, y) buffer to dense strides and fixed extents.
template <typename T>
void pinChannelsLast(T &buf, int c, int w, int h) {
  buf.dim(0).set_bounds(0, c).set_stride(1);
  buf.dim(1).set_bounds(0, w).set_stride(c);
  buf.dim(2).set_bounds(0, h).set_stride(c * w);
}

/// The hand schedule of the window layers (depthwise, pooling): rows
/// outermost, then tiles of `tx` pixels, then blocks of `vb` vectors of
/// channels; `acc` (the per-pixel accumulation over the window `r`) is
/// computed per channel block with the whole window unrolled.
template <typename Output>
void scheduleWindowRows(Output &output, Halide::Func acc, Halide::Var c,
                        Halide::Var x, Halide::Var y, Halide::RDom r, int vec,
                        int vb, int tx) {
  Halide::Var cb("cb"), cv("cv"), xo("xo"), xi("xi");
  output.split(c, cb, cv, vec * vb)
      .split(x, xo, xi, tx)
      .reorder(cv, xi, cb, xo, y)
      .vectorize(cv, vec)
      .unroll(cv)
      .unroll(xi)
      .parallel(y);
  acc.compute_at(output, cb).vectorize(c, vec).unroll(c).unroll(x);
  acc.update()
      .reorder(c, x, r.x, r.y)
      .vectorize(c, vec)
      .unroll(c)
      .unroll(x)
      .unroll(r.x)
      .unroll(r.y);
}

class ConvLayer : public Generator<ConvLayer> {
public:
  GeneratorParam<int> ci{"ci", 64};
  GeneratorParam<int> co{"co", 64};
  GeneratorParam<int> ih{"ih", 56}; // input height and width
  GeneratorParam<int> iw{"iw", 56};
  GeneratorParam<int> k{"k", 3};
  GeneratorParam<int> stride{"stride", 1};
  GeneratorParam<int> pad{"pad", 1};
  GeneratorParam<bool> relu{"relu", true};
  GeneratorParam<int> vb{"vb", 2}; // vectors of output channels per tile
  GeneratorParam<int> tx{"tx", 6}; // output pixels (along x) per tile

  Input<Buffer<float>> input{"input", 3};   // (ci, x, y)
  Input<Buffer<float>> filter{"filter", 4}; // (co, ci, kx, ky)
  Input<Buffer<float>> bias{"bias", 1};     // (co)
  Output<Buffer<float>> output{"output", 3}; // (co, x, y)

  void generate() {
    const int CI = ci, CO = co, K = k, S = stride, P = pad;
    const int OW = (iw + 2 * P - K) / S + 1, OH = (ih + 2 * P - K) / S + 1;
    Var c("c"), x("x"), y("y");

    Func in = P > 0 ? BoundaryConditions::constant_exterior(
                          input, 0.0f, {{0, CI}, {0, (int)iw}, {0, (int)ih}})
                    : Func(input);
    RDom r(0, CI, 0, K, 0, K, "r");
    Func conv("conv");
    conv(c, x, y) = bias(c);
    conv(c, x, y) += filter(c, r.x, r.y, r.z) *
                     in(r.x, x * S + r.y - P, y * S + r.z - P);
    output(c, x, y) = relu ? max(conv(c, x, y), 0.0f) : conv(c, x, y);

    pinChannelsLast(input, CI, iw, ih);
    pinChannelsLast(output, CO, OW, OH);
    filter.dim(0).set_bounds(0, CO).set_stride(1);
    filter.dim(1).set_bounds(0, CI).set_stride(CO);
    filter.dim(2).set_bounds(0, K).set_stride(CO * CI);
    filter.dim(3).set_bounds(0, K).set_stride(CO * CI * K);
    bias.dim(0).set_bounds(0, CO);

    input.set_estimates({{0, CI}, {0, iw}, {0, ih}});
    filter.set_estimates({{0, CO}, {0, CI}, {0, K}, {0, K}});
    bias.set_estimates({{0, CO}});
    output.set_estimates({{0, CO}, {0, OW}, {0, OH}});
    if (auto_schedule)
      return;

    // Output channels in blocks of vb vectors (outermost, so a block's filter
    // stays in cache over the whole image), tx pixels along x per tile.
    const int vec = natural_vector_size<float>();
    const int block = vec * vb;
    Var cb("cb"), cv("cv"), xo("xo"), xi("xi");
    output.split(c, cb, cv, block)
        .split(x, xo, xi, tx)
        .reorder(cv, xi, xo, y, cb)
        .vectorize(cv, vec)
        .unroll(cv)
        .unroll(xi)
        .parallel(cb);
    conv.compute_at(output, xo)
        .vectorize(c, vec)
        .unroll(c)
        .unroll(x)
        .unroll(y);
    conv.update()
        .reorder(c, x, y, r.x, r.y, r.z)
        .vectorize(c, vec)
        .unroll(c)
        .unroll(x)
        .unroll(y);
    if (K > 1)
      conv.update().unroll(r.y);
  }
};

// A 1x1 convolution with stride 1 and no padding on a channels-last tensor is
// a matrix product over pixels: the generator sees the activations as
// (c, pixel), the same memory as (c, x, y).
class PointwiseLayer : public Generator<PointwiseLayer> {
public:
  GeneratorParam<int> ci{"ci", 24};
  GeneratorParam<int> co{"co", 144};
  GeneratorParam<int> pixels{"pixels", 56 * 56};
  GeneratorParam<bool> relu{"relu", true};
  GeneratorParam<int> vb{"vb", 2};
  GeneratorParam<int> tx{"tx", 6}; // pixels per tile

  Input<Buffer<float>> input{"input", 2};   // (ci, p)
  Input<Buffer<float>> filter{"filter", 2}; // (co, ci)
  Input<Buffer<float>> bias{"bias", 1};
  Output<Buffer<float>> output{"output", 2}; // (co, p)

  void generate() {
    const int CI = ci, CO = co, NP = pixels;
    Var c("c"), p("p");
    RDom r(0, CI, "r");
    Func conv("conv");
    conv(c, p) = bias(c);
    conv(c, p) += filter(c, r) * input(r, p);
    output(c, p) = relu ? max(conv(c, p), 0.0f) : conv(c, p);

    input.dim(0).set_bounds(0, CI).set_stride(1);
    input.dim(1).set_bounds(0, NP).set_stride(CI);
    output.dim(0).set_bounds(0, CO).set_stride(1);
    output.dim(1).set_bounds(0, NP).set_stride(CO);
    filter.dim(0).set_bounds(0, CO).set_stride(1);
    filter.dim(1).set_bounds(0, CI).set_stride(CO);
    bias.dim(0).set_bounds(0, CO);
    input.set_estimates({{0, CI}, {0, NP}});
    filter.set_estimates({{0, CO}, {0, CI}});
    bias.set_estimates({{0, CO}});
    output.set_estimates({{0, CO}, {0, NP}});
    if (auto_schedule)
      return;

    const int vec = natural_vector_size<float>();
    Var cb("cb"), cv("cv"), po("po"), pi("pi");
    output.split(c, cb, cv, vec * vb)
        .split(p, po, pi, tx)
        .reorder(cv, pi, po, cb)
        .vectorize(cv, vec)
        .unroll(cv)
        .unroll(pi)
        .parallel(cb);
    conv.compute_at(output, po).vectorize(c, vec).unroll(c).unroll(p);
    conv.update()
        .reorder(c, p, r)
        .vectorize(c, vec)
        .unroll(c)
        .unroll(p);
  }
};

class DepthwiseLayer : public Generator<DepthwiseLayer> {
public:
  GeneratorParam<int> ch{"ch", 144};
  GeneratorParam<int> ih{"ih", 56};
  GeneratorParam<int> iw{"iw", 56};
  GeneratorParam<int> k{"k", 3};
  GeneratorParam<int> stride{"stride", 1};
  GeneratorParam<int> pad{"pad", 1};
  GeneratorParam<int> vb{"vb", 2};
  GeneratorParam<int> tx{"tx", 4};

  Input<Buffer<float>> input{"input", 3};   // (c, x, y)
  Input<Buffer<float>> filter{"filter", 3}; // (c, kx, ky)
  Input<Buffer<float>> bias{"bias", 1};
  Output<Buffer<float>> output{"output", 3};

  void generate() {
    const int C = ch, K = k, S = stride, P = pad;
    const int OW = (iw + 2 * P - K) / S + 1, OH = (ih + 2 * P - K) / S + 1;
    Var c("c"), x("x"), y("y");
    Func in = BoundaryConditions::constant_exterior(
        input, 0.0f, {{0, C}, {0, (int)iw}, {0, (int)ih}});
    RDom r(0, K, 0, K, "r");
    Func dw("dw");
    dw(c, x, y) = bias(c);
    dw(c, x, y) += filter(c, r.x, r.y) * in(c, x * S + r.x - P, y * S + r.y - P);
    output(c, x, y) = dw(c, x, y);

    pinChannelsLast(input, C, iw, ih);
    pinChannelsLast(output, C, OW, OH);
    filter.dim(0).set_bounds(0, C).set_stride(1);
    filter.dim(1).set_bounds(0, K).set_stride(C);
    filter.dim(2).set_bounds(0, K).set_stride(C * K);
    bias.dim(0).set_bounds(0, C);

    input.set_estimates({{0, C}, {0, iw}, {0, ih}});
    filter.set_estimates({{0, C}, {0, K}, {0, K}});
    bias.set_estimates({{0, C}});
    output.set_estimates({{0, C}, {0, OW}, {0, OH}});
    if (auto_schedule)
      return;

    scheduleWindowRows(output, dw, c, x, y, r, natural_vector_size<float>(),
                       vb, tx);
  }
};

class MaxPoolLayer : public Generator<MaxPoolLayer> {
public:
  GeneratorParam<int> ch{"ch", 64};
  GeneratorParam<int> ih{"ih", 112};
  GeneratorParam<int> iw{"iw", 112};
  GeneratorParam<int> k{"k", 3};
  GeneratorParam<int> stride{"stride", 2};
  GeneratorParam<int> pad{"pad", 1};
  GeneratorParam<int> vb{"vb", 2};
  GeneratorParam<int> tx{"tx", 4};

  Input<Buffer<float>> input{"input", 3};
  Output<Buffer<float>> output{"output", 3};

  void generate() {
    const int C = ch, K = k, S = stride, P = pad;
    const int OW = (iw + 2 * P - K) / S + 1, OH = (ih + 2 * P - K) / S + 1;
    Var c("c"), x("x"), y("y");
    Func in = BoundaryConditions::constant_exterior(
        input, Float(32).min(), {{0, C}, {0, (int)iw}, {0, (int)ih}});
    RDom r(0, K, 0, K, "r");
    Func pool("pool");
    pool(c, x, y) = Float(32).min();
    pool(c, x, y) = max(pool(c, x, y), in(c, x * S + r.x - P, y * S + r.y - P));
    output(c, x, y) = pool(c, x, y);

    pinChannelsLast(input, C, iw, ih);
    pinChannelsLast(output, C, OW, OH);
    input.set_estimates({{0, C}, {0, iw}, {0, ih}});
    output.set_estimates({{0, C}, {0, OW}, {0, OH}});
    if (auto_schedule)
      return;

    scheduleWindowRows(output, pool, c, x, y, r, natural_vector_size<float>(),
                       vb, tx);
  }
};

class GemmLayer : public Generator<GemmLayer> {
public:
  GeneratorParam<int> kdim{"kdim", 512};
  GeneratorParam<int> ndim{"ndim", 1000};
  GeneratorParam<int> vb{"vb", 8}; // vectors of outputs per tile
  GeneratorParam<int> ku{"ku", 4}; // unroll of the reduction

  Input<Buffer<float>> input{"input", 1};     // (k)
  Input<Buffer<float>> weights{"weights", 2}; // (n, k)
  Input<Buffer<float>> bias{"bias", 1};       // (n)
  Output<Buffer<float>> output{"output", 1};  // (n)

  void generate() {
    const int K = kdim, N = ndim;
    Var n("n");
    RDom r(0, K, "r");
    Func acc("acc");
    acc(n) = bias(n);
    acc(n) += weights(n, r) * input(r);
    output(n) = acc(n);

    input.dim(0).set_bounds(0, K);
    weights.dim(0).set_bounds(0, N).set_stride(1);
    weights.dim(1).set_bounds(0, K).set_stride(N);
    bias.dim(0).set_bounds(0, N);
    output.dim(0).set_bounds(0, N);
    input.set_estimates({{0, K}});
    weights.set_estimates({{0, N}, {0, K}});
    bias.set_estimates({{0, N}});
    output.set_estimates({{0, N}});
    if (auto_schedule)
      return;

    // A tile of vb vectors of outputs in registers; the reduction over k
    // streams each weight row's part of the tile once.
    const int vec = natural_vector_size<float>();
    Var no("no"), ni("ni");
    output.split(n, no, ni, vec * vb).vectorize(ni, vec).unroll(ni);
    acc.compute_at(output, no).vectorize(n, vec).unroll(n);
    acc.update().reorder(n, r).vectorize(n, vec).unroll(n);
    if (ku > 1) {
      RVar ro("ro"), ri("ri");
      acc.update().split(r, ro, ri, ku).reorder(n, ri, ro).unroll(ri);
    }
  }
};

} // namespace

HALIDE_REGISTER_GENERATOR(ConvLayer, conv_layer)
HALIDE_REGISTER_GENERATOR(PointwiseLayer, pointwise_layer)
HALIDE_REGISTER_GENERATOR(DepthwiseLayer, depthwise_layer)
HALIDE_REGISTER_GENERATOR(MaxPoolLayer, max_pool_layer)
HALIDE_REGISTER_GENERATOR(GemmLayer, gemm_layer)
