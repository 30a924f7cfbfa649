#!/usr/bin/python3
"""Where the time goes: Kiln's per-layer profile against onnxruntime's.

  /usr/bin/python3 scripts/bench_profile.py [--models a,b] [--mcpu native]
      [--runs 20] [--threads 1] [--top 5] [--write-docs]

For each model-zoo model (build/models, exported when missing) kilnc builds
a shared library (--mcpu: "default" is kilnc's x86-64-v3, "native" this
machine), `kiln-run --profile` times its layers (one per ONNX node or fused
group, named after its first node) and onnxruntime-node's profiler
(`run_ort.js --profile`) its kernels, both after a warm-up run, one thread.

Both sides are grouped into op classes from the ONNX graph (a Kiln layer by
its first node) and the shapes onnxruntime reports: convolutions by kernel
size, stride and group (depthwise, grouped), pooling, gemm/matmul, layout
(onnxruntime's NCHWc reorders; Kiln's transposes are inside the layers
around them), other (elementwise, concat, squeeze-and-excitation...). Per
class: Kiln ms, onnxruntime ms, the ratio, and its share of Kiln's time; the
ms are per inference (Kiln: mean over the timed runs; onnxruntime: per
kernel, median over its runs, summed: its profiler's own overhead, which
slows its whole run, stays out of them). Then Kiln's slowest layers, and
the wall time kilnc took to compile the model (the issue's compile-time
goal).
--write-docs puts the tables into docs/benchmarks.md ("layer-profile").
"""
import argparse
import collections
import glob
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import onnx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchdoc  # noqa: E402
import export_models  # noqa: E402

ROOT = benchdoc.ROOT
BIN = os.environ.get("KILN_BIN", os.path.join(ROOT, "build", "bin"))
MODELS = ("mobilenet_v2,mobilenet_v3_small,resnet18,resnet50,squeezenet1_1,"
          "shufflenet_v2_x1_0,efficientnet_b0")
ORDER = ["conv 1x1", "conv 1x1 s2", "conv 3x3", "conv 3x3 s2",
         "conv kxk", "conv kxk s2", "depthwise", "depthwise s2", "grouped",
         "gemm/matmul", "pooling", "layout", "other"]


def run(cmd, cwd=None):
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)
    if r.returncode != 0:
        sys.exit(f"bench_profile: {' '.join(cmd)} failed:\n{r.stderr[-2000:]}")
    return r.stdout


def conv_class(group, weight, strides):
    """Class of a convolution from its group count, weight dims
    [F, C/g, kh, kw] and strides."""
    s2 = " s2" if any(s > 1 for s in strides) else ""
    if group > 1 and weight[1] == 1:
        return "depthwise" + s2
    if group > 1:
        return "grouped"
    kernel = weight[2:]
    if all(k == 1 for k in kernel):
        return "conv 1x1" + s2
    if all(k == 3 for k in kernel):
        return "conv 3x3" + s2
    return "conv kxk" + s2


def op_class(op, group=1, weight=None, strides=()):
    if op in ("Conv", "FusedConv", "NchwcConv") and weight:
        return conv_class(group, weight, strides)
    if op in ("Gemm", "MatMul", "FusedMatMul", "FusedGemm"):
        return "gemm/matmul"
    if op in ("MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool",
              "NchwcMaxPool", "NchwcAveragePool", "NchwcGlobalAveragePool"):
        return "pooling"
    if op in ("ReorderInput", "ReorderOutput"):
        return "layout"
    return "other"


def onnx_classes(onnx_path):
    """ONNX node name -> class, from the graph's shapes."""
    model = onnx.shape_inference.infer_shapes(onnx.load(onnx_path))
    shapes = {}
    for v in list(model.graph.value_info) + list(model.graph.input):
        shapes[v.name] = [d.dim_value for d in v.type.tensor_type.shape.dim]
    for init in model.graph.initializer:
        shapes[init.name] = list(init.dims)
    classes = {}
    for node in model.graph.node:
        strides, group = (), 1
        for a in node.attribute:
            if a.name == "strides":
                strides = tuple(a.ints)
            if a.name == "group":
                group = a.i
        weight = shapes.get(node.input[1]) if len(node.input) > 1 else None
        if node.op_type == "Conv" and not (weight and len(weight) > 2):
            weight = None
        classes[node.name] = op_class(node.op_type, group, weight, strides)
    return classes


def kiln_profile(so, feed, runs, threads):
    out = run([os.path.join(BIN, "kiln-run"), so, "--input", feed, "--runs",
               str(runs), "--warmup", "1", "--threads", str(threads),
               "--top", "0", "--profile"])
    latency = benchdoc.median_latency_ms(out, f"kiln-run {so}")
    layers = []
    for line in out.splitlines():
        m = re.match(r"\s+([0-9.]+)\s+[0-9.]+%\s+[0-9.]+%\s+\d+\s+(.*)$", line)
        if m:
            layers.append((m.group(2), float(m.group(1))))
    if not layers:
        sys.exit(f"bench_profile: no layer profile from kiln-run {so}")
    return latency, layers


def ort_profile(onnx_path, feed, runs, threads, work):
    prefix = os.path.join(work, "ort")
    out = run(["node", os.path.join(ROOT, "tools", "ort", "run_ort.js"),
               onnx_path, "--input", feed, "--runs", str(runs), "--warmup",
               "1", "--threads", str(threads), "--output-dir", work,
               "--profile", prefix])
    latency = benchdoc.median_latency_ms(out, f"run_ort.js {onnx_path}")
    trace = re.search(r"profile: (\S+)", out).group(1)
    durations = collections.defaultdict(list)
    kinds = {}
    for e in json.load(open(trace)):
        if e.get("cat") != "Node" or not e["name"].endswith("_kernel_time"):
            continue
        args = e["args"]
        shapes = [list(s.values())[0] for s in args.get("input_type_shape", [])]
        op = args.get("op_name", "")
        cls = "other"
        if op in ("Conv", "FusedConv", "NchwcConv") and len(shapes) > 1:
            # NCHWc inputs are [N, C/block, H, W, block].
            x, w = shapes[0], shapes[1]
            cin = x[1] * x[4] if len(x) == 5 else x[1]
            out_shape = [list(s.values())[0]
                         for s in args.get("output_type_shape", [])][0]
            stride = x[2] // out_shape[2] if out_shape[2] else 1
            cls = conv_class(cin // w[1] if w[1] else 1, w, (stride,))
        else:
            cls = op_class(op)
        durations[e["name"]].append(e["dur"] / 1000.0)
        kinds[e["name"]] = cls
    os.remove(trace)
    per_class = collections.Counter()
    for name, ds in durations.items():
        per_class[kinds[name]] += statistics.median(ds)
    return latency, per_class


def profile_model(name, args, work):
    files = export_models.ensure(os.path.join(ROOT, "build", "models"), name)
    so = os.path.join(work, f"{name}.so")
    flags = [] if args.mcpu == "default" else [f"--mcpu={args.mcpu}"]
    start = time.monotonic()
    run([os.path.join(BIN, "kilnc"), files["onnx"], "--emit=shared", "-o",
         so] + flags)
    compile_s = time.monotonic() - start
    feed = f"{export_models.INPUT_NAME}={files['input']}"
    classes = onnx_classes(files["onnx"])
    k_latency, layers = kiln_profile(so, feed, args.runs, args.threads)
    o_latency, o_classes = ort_profile(files["onnx"], feed, args.runs,
                                       args.threads, work)
    k_classes = collections.Counter()
    for layer, ms in layers:
        k_classes[classes.get(layer, "other")] += ms
    return {"compile": compile_s, "kiln": k_latency, "ort": o_latency,
            "k": k_classes,
            "o": o_classes, "layers": layers, "names": classes}


def model_table(name, r, top):
    k_total = sum(r["k"].values())
    lines = [f"**{name}**: Kiln {r['kiln']:.2f} ms, onnxruntime "
             f"{r['ort']:.2f} ms (median latency of the profiled runs; "
             f"ratio {r['kiln'] / r['ort']:.2f}); kilnc took "
             f"{r['compile']:.1f} s", "",
             "| class | Kiln ms | onnxruntime ms | Kiln / onnxruntime | "
             "share of Kiln |", "|---|---|---|---|---|"]
    for cls in ORDER:
        k, o = r["k"].get(cls, 0.0), r["o"].get(cls, 0.0)
        if k < 0.005 and o < 0.005:
            continue
        ratio = f"{k / o:.2f}" if o >= 0.005 and k >= 0.005 else "-"
        lines.append(f"| {cls} | {k:.2f} | {o:.2f} | {ratio} | "
                     f"{100 * k / k_total:.0f}% |")
    lines.append(f"| all | {k_total:.2f} | {sum(r['o'].values()):.2f} | "
                 f"{k_total / sum(r['o'].values()):.2f} | 100% |")
    lines += ["", "Kiln's slowest layers: " + "; ".join(
        f"`{layer}` ({r['names'].get(layer, 'other')}) {ms:.3f} ms"
        for layer, ms in r["layers"][:top]), ""]
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--models", default=MODELS)
    p.add_argument("--mcpu", default="native")
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--top", type=int, default=5)
    p.add_argument("--write-docs", action="store_true")
    args = p.parse_args()
    sections = []
    with tempfile.TemporaryDirectory() as work:
        for name in args.models.split(","):
            r = profile_model(name, args, work)
            sections.append(model_table(name, r, args.top))
            print(sections[-1], flush=True)
    if args.write_docs:
        target = "kilnc's default (x86-64-v3)" if args.mcpu == "default" \
            else f"--mcpu={args.mcpu}"
        text = (f"Kiln compiled with {target}, {args.threads} thread(s), "
                f"{args.runs} timed runs after one warm-up.\n\n"
                + "\n".join(sections))
        benchdoc.write_block("layer-profile", text)


if __name__ == "__main__":
    main()
