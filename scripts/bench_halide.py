#!/usr/bin/python3
"""Kiln's MLIR-generated CPU kernels against Halide 14 on single layers (issue 5).

    /usr/bin/python3 scripts/bench_halide.py [--rounds N] [--runs N]
        [--layers a,b] [--rebuild] [--write-docs]

Builds tools/halide-bench (build/halide-bench; its README says what the
Halide side is) when its binary is missing or with --rebuild, then for every
layer the binary lists:

  * writes single-op ONNX models and compiles each with kilnc twice (the
    default target, x86-64-v3 = AVX2 + FMA, and --mcpu=native, AVX-512 here):
      - the layer on an NHWC input: Transpose(NHWC -> NCHW), the op, and
        Transpose back. Kiln's layout pass makes the op channels-last and the
        transposes cancel against the ones it inserts ("0 transposes left",
        checked with --stats), so this library is the bare kernel on the same
        NHWC tensors the Halide pipelines take: the fair comparison.
      - the plain NCHW model as ONNX writes it, which keeps one layout
        transpose at the input and one at the output; timed at the default
        target only, to show what those transposes cost.
    (The Gemm has no layout: one model.)
  * takes turns, --rounds rounds: each round runs, per layer, kiln-run on the
    Kiln libraries and halide-bench on every Halide variant (ISA avx2 =
    x86-64-linux-avx-avx2-f16c-fma-sse41 against Kiln's default, native =
    Halide's host target against Kiln --mcpu=native; schedule manual and each
    autoscheduler that was built), each process doing 3 warm-up runs and
    --runs timed ones on one thread, and printing its median. A latency is
    the median over rounds of those medians.

Prints one markdown table per ISA (latency, Halide / Kiln ratio, GFLOP/s)
and a per-op-class summary; --write-docs puts them into docs/benchmarks.md
between the "halide" markers (scripts/benchdoc.py).
"""

import argparse
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchdoc  # noqa: E402

ROOT = benchdoc.ROOT
BIN = os.environ.get("KILN_BIN", os.path.join(ROOT, "build", "bin"))
HB_SRC = os.path.join(ROOT, "tools", "halide-bench")
HB_BUILD = os.path.join(ROOT, "build", "halide-bench")
HB = os.path.join(HB_BUILD, "halide-bench")
SCHED_LABEL = {"manual": "manual", "Mullapudi2016": "Mullapudi2016",
               "Adams2019": "Adams2019", "Li2018": "Li2018"}
ISA_LABEL = {"avx2": ("AVX2 + FMA", "default (x86-64-v3)",
                      "x86-64-linux-avx-avx2-f16c-fma-sse41"),
             "native": ("native (AVX-512)", "--mcpu=native", "host")}
CLASSES = [("conv 3x3", ("conv",)), ("conv 1x1", ("pointwise",)),
           ("depthwise 3x3", ("depthwise",)), ("max pool", ("max_pool",)),
           ("gemm", ("gemm",))]


def run(cmd, env=None):
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        sys.exit(f"bench_halide: {' '.join(cmd)} failed:\n"
                 f"{(r.stdout + r.stderr)[-3000:]}")
    return r.stdout + r.stderr


def median_ms(cmd, env=None):
    return benchdoc.median_latency_ms(run(cmd, env),
                                      f"bench_halide: {' '.join(cmd)}")


def build(rebuild):
    if os.path.exists(HB) and not rebuild:
        return
    if not os.path.exists(os.path.join(HB_BUILD, "build.ninja")):
        cmake = ["cmake", "-S", HB_SRC, "-B", HB_BUILD, "-G", "Ninja",
                 "-DCMAKE_BUILD_TYPE=Release"]
        for var, exe in (("CMAKE_C_COMPILER", "clang-22"),
                         ("CMAKE_CXX_COMPILER", "clang++-22"),
                         ("CMAKE_CXX_COMPILER_LAUNCHER", "ccache")):
            if any(os.path.exists(os.path.join(d, exe))
                   for d in os.environ.get("PATH", "").split(os.pathsep)):
                cmake.append(f"-D{var}={exe}")
        run(cmake)
    print("bench_halide: building tools/halide-bench (the autoschedulers "
          "take minutes)", file=sys.stderr)
    run(["ninja", "-C", HB_BUILD, "-j2"])


class Layer:
    def __init__(self, name, kind, ci, co, ih, iw, k, s, p, relu):
        self.name, self.kind = name, kind
        self.ci, self.co, self.ih, self.iw = ci, co, ih, iw
        self.k, self.s, self.p, self.relu = k, s, p, relu
        self.oh = (ih + 2 * p - k) // s + 1
        self.ow = (iw + 2 * p - k) // s + 1
        self.variants = []  # (isa, schedule)

    @property
    def macs(self):
        """Multiply-adds (max pool: comparisons)."""
        if self.kind == "gemm":
            return self.ci * self.co
        window = self.k * self.k * self.oh * self.ow * self.co
        return window * (self.ci if self.kind in ("conv", "pointwise") else 1)

    @property
    def flops(self):
        return self.macs if self.kind == "max_pool" else 2 * self.macs

    def shape(self):
        if self.kind == "gemm":
            return f"1x{self.ci} by {self.ci}x{self.co} + bias"
        op = {"conv": "conv", "pointwise": "conv", "depthwise": "depthwise",
              "max_pool": "max pool"}[self.kind]
        chans = (f"{self.ci}->{self.co}" if self.kind in ("conv", "pointwise")
                 else f"{self.ci}")
        size = (f"{self.ih}x{self.iw}" if self.s == 1
                else f"{self.ih}x{self.iw}->{self.oh}x{self.ow}")
        extra = " +ReLU" if self.relu else ""
        return f"{op} {self.k}x{self.k} s{self.s} p{self.p}, {chans}, {size}{extra}"

    def onnx_model(self, path, nhwc):
        rng = np.random.default_rng(0)
        inits, nodes = [], []
        if self.kind == "gemm":
            inits = [numpy_helper.from_array(
                         rng.uniform(-1, 1, (self.ci, self.co)).astype(np.float32), "B"),
                     numpy_helper.from_array(
                         rng.uniform(-1, 1, (self.co,)).astype(np.float32), "C")]
            nodes = [helper.make_node("Gemm", ["x", "B", "C"], ["y"])]
            ishape, oshape = [1, self.ci], [1, self.co]
        else:
            x = "x"
            if nhwc:
                nodes.append(helper.make_node("Transpose", ["x"], ["x_nchw"],
                                              perm=[0, 3, 1, 2]))
                x = "x_nchw"
            attrs = dict(kernel_shape=[self.k, self.k],
                         pads=[self.p] * 4, strides=[self.s, self.s])
            if self.kind == "max_pool":
                nodes.append(helper.make_node("MaxPool", [x], ["op"], **attrs))
            else:
                group = self.ci if self.kind == "depthwise" else 1
                wshape = (self.co, self.ci // group, self.k, self.k)
                inits = [numpy_helper.from_array(
                             rng.uniform(-0.1, 0.1, wshape).astype(np.float32), "W"),
                         numpy_helper.from_array(
                             rng.uniform(-1, 1, (self.co,)).astype(np.float32), "b")]
                nodes.append(helper.make_node("Conv", [x, "W", "b"], ["op"],
                                              group=group, **attrs))
            last = "op"
            if self.relu:
                nodes.append(helper.make_node("Relu", ["op"], ["relu"]))
                last = "relu"
            if nhwc:
                nodes.append(helper.make_node("Transpose", [last], ["y"],
                                              perm=[0, 2, 3, 1]))
            else:
                nodes[-1].output[0] = "y"
            ishape = ([1, self.ih, self.iw, self.ci] if nhwc
                      else [1, self.ci, self.ih, self.iw])
            oshape = ([1, self.oh, self.ow, self.co] if nhwc
                      else [1, self.co, self.oh, self.ow])
        graph = helper.make_graph(
            nodes, self.name,
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, ishape)],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, oshape)],
            inits)
        model = helper.make_model(graph,
                                  opset_imports=[helper.make_opsetid("", 13)])
        onnx.checker.check_model(model)
        onnx.save(model, path)


def list_layers():
    layers = {}
    for line in run([HB, "--list"]).splitlines():
        f = line.split()
        name, kind = f[0], f[1]
        if name not in layers:
            layers[name] = Layer(name, kind, *map(int, f[2:10]))
        layers[name].variants.append((f[10], f[11]))
    return list(layers.values())


def kilnc(onnx_path, so, native):
    cmd = [os.path.join(BIN, "kilnc"), onnx_path, "--emit=shared", "-o", so,
           "--stats"]
    if native:
        cmd.append("--mcpu=native")
    out = run(cmd)
    m = re.search(r"(\d+) transposes left", out)
    return int(m.group(1)) if m else 0


def fmt_ms(v):
    return f"{v:.3f}" if v < 10 else f"{v:.2f}"


def gflops(layer, ms):
    return layer.flops / (ms * 1e-3) / 1e9


def tables(layers, kiln, kiln_nchw, halide, scheds):
    out = []
    for isa in ("avx2", "native"):
        label, kiln_target, hl_target = ISA_LABEL[isa]
        heads = ["layer", "shape", "MMACs", f"Kiln {kiln_target} ms"]
        if isa == "avx2":
            heads.append("Kiln, NCHW model (+2 layout transposes) ms")
        heads += [f"Halide {SCHED_LABEL[s]} ms (/ Kiln)" for s in scheds]
        heads += ["Kiln GFLOP/s", "best Halide GFLOP/s"]
        out.append(f"**{label}**: Kiln `kilnc` {kiln_target} against Halide "
                   f"target `{hl_target}`; 1 thread.\n")
        out.append("| " + " | ".join(heads) + " |")
        out.append("|---" * len(heads) + "|")
        for l in layers:
            k = kiln[l.name][isa]
            cells = [l.name, l.shape(), f"{l.macs / 1e6:.1f}", fmt_ms(k)]
            if isa == "avx2":
                cells.append(fmt_ms(kiln_nchw[l.name]))
            best = math.inf
            for s in scheds:
                h = halide.get((l.name, isa, s))
                if h is None:
                    cells.append("n/a")
                    continue
                best = min(best, h)
                cells.append(f"{fmt_ms(h)} ({h / k:.2f})")
            cells += [f"{gflops(l, k):.1f}", f"{gflops(l, best):.1f}"]
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
    return "\n".join(out)


def summary(layers, kiln, halide, scheds):
    """Per op class and ISA: geometric mean of (best Halide / Kiln)."""
    heads = ["op class"]
    for isa in ("avx2", "native"):
        heads += [f"{ISA_LABEL[isa][0]}: manual / Kiln",
                  f"{ISA_LABEL[isa][0]}: best autoscheduler / Kiln",
                  f"{ISA_LABEL[isa][0]}: faster"]
    out = ["| " + " | ".join(heads) + " |", "|---" * len(heads) + "|"]
    for cls, kinds in CLASSES:
        ls = [l for l in layers if l.kind in kinds]
        if not ls:
            continue
        cells = [cls]
        for isa in ("avx2", "native"):
            def geo(ratios):
                return math.exp(sum(math.log(r) for r in ratios) / len(ratios))
            man = geo([halide[(l.name, isa, "manual")] / kiln[l.name][isa]
                       for l in ls])
            autos = [s for s in scheds if s != "manual"]
            auto = min((geo([halide[(l.name, isa, s)] / kiln[l.name][isa]
                             for l in ls]), s) for s in autos) if autos else None
            best = min(man, auto[0]) if auto else man
            cells.append(f"{man:.2f}")
            cells.append(f"{auto[0]:.2f} ({auto[1]})" if auto else "n/a")
            if 1 / 1.05 <= best <= 1.05:
                cells.append(f"tie (within 5%, {best:.2f})")
            elif best < 1:
                cells.append(f"Halide, {1 / best:.2f}x")
            else:
                cells.append(f"Kiln, {best:.2f}x")
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--layers", help="comma-separated subset of the layers")
    ap.add_argument("--rebuild", action="store_true",
                    help="run ninja on build/halide-bench even if built")
    ap.add_argument("--write-docs", action="store_true")
    args = ap.parse_args()

    build(args.rebuild)
    layers = list_layers()
    if args.layers:
        keep = args.layers.split(",")
        layers = [l for l in layers if l.name in keep]
    scheds = []
    for l in layers:
        for _, s in l.variants:
            if s not in scheds:
                scheds.append(s)

    env = dict(os.environ, HL_NUM_THREADS="1")
    work = tempfile.mkdtemp(prefix="kiln-halide-")
    libs = {}
    for l in layers:
        nhwc = os.path.join(work, f"{l.name}.nhwc.onnx")
        l.onnx_model(nhwc, nhwc=l.kind != "gemm")
        libs[l.name] = {}
        for isa in ("avx2", "native"):
            so = os.path.join(work, f"{l.name}.{isa}.so")
            left = kilnc(nhwc, so, isa == "native")
            if left:
                print(f"bench_halide: warning: {l.name}: {left} layout "
                      f"transposes left in the NHWC model", file=sys.stderr)
            libs[l.name][isa] = so
        nchw = os.path.join(work, f"{l.name}.nchw.onnx")
        l.onnx_model(nchw, nhwc=False)
        so = os.path.join(work, f"{l.name}.nchw.so")
        kilnc(nchw, so, False)
        libs[l.name]["nchw"] = so

    kiln_runs = ["--runs", str(args.runs), "--warmup", "3", "--threads", "1",
                 "--top", "0"]
    hl_runs = ["--runs", str(args.runs), "--warmup", "3"]
    samples = {}
    for r in range(args.rounds):
        print(f"bench_halide: round {r + 1}/{args.rounds}", file=sys.stderr)
        for l in layers:
            for isa in ("avx2", "native"):
                samples.setdefault((l.name, isa, "kiln"), []).append(
                    median_ms([os.path.join(BIN, "kiln-run"),
                               libs[l.name][isa]] + kiln_runs))
                for v_isa, s in l.variants:
                    if v_isa == isa:
                        samples.setdefault((l.name, isa, s), []).append(
                            median_ms([HB, l.name, isa, s] + hl_runs, env))
            samples.setdefault((l.name, "nchw", "kiln"), []).append(
                median_ms([os.path.join(BIN, "kiln-run"),
                           libs[l.name]["nchw"]] + kiln_runs))
    med = {k: statistics.median(v) for k, v in samples.items()}
    kiln = {l.name: {isa: med[(l.name, isa, "kiln")]
                     for isa in ("avx2", "native")} for l in layers}
    kiln_nchw = {l.name: med[(l.name, "nchw", "kiln")] for l in layers}
    halide = {k: v for k, v in med.items() if k[2] != "kiln"}

    text = (tables(layers, kiln, kiln_nchw, halide, scheds) + "\n" +
            "Per op class, geometric mean over its layers of Halide / Kiln "
            "(< 1: Halide is faster):\n\n" +
            summary(layers, kiln, halide, scheds) + "\n\n" +
            f"Latency: median over {args.rounds} rounds of each process's "
            f"median of {args.runs} timed runs (after 3 warm-up runs). "
            "GFLOP/s counts 2 flops per multiply-add (max pool: 1 per "
            "comparison). Halide outputs are checked against a C++ reference "
            "loop on every run of halide-bench.")
    print(text)
    if args.write_docs:
        benchdoc.write_block("halide", text)
        print("bench_halide: wrote docs/benchmarks.md (halide block)",
              file=sys.stderr)


if __name__ == "__main__":
    main()
