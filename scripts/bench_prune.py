#!/usr/bin/python3
"""Pattern pruning: latency and weight bytes of pruned models against Kiln's
own dense code and onnxruntime (issue 6).

  /usr/bin/python3 scripts/bench_prune.py [--models a,b] [--mcpu native]
      [--autotune] [--rounds 3] [--runs 10] [--write-docs [--block NAME]]

Models: ResNet18 and MobileNetV2 from the model zoo, and "vgg16_112", a
VGG-16-style stack (torchvision's VGG-16 features: thirteen 3x3 convs, 64 to
512 channels, five max pools) on a 112x112 input with a global-pool + fc
head, seeded weights, exported here (scripts/export_models.py's recipe does
not cover it). Each is compiled by kilnc three times: dense,
--prune=pattern (8 patterns: 4 of 9 weights of every 3x3 kernel, 2.25x
fewer) and --prune=pattern --prune-connectivity=0.71875 (8x fewer), all
with --mcpu (default native; the pruned ones with kilnc --autotune when
asked). Then, in --rounds rounds, each build and
onnxruntime (dense) run --runs times after a warm-up (one thread); a
latency is the median over rounds of the per-round medians. The 3x3
layers' time is the sum, from `kiln-run --profile`, of the layers whose
first node is a 3x3 stride-1 group-1 conv (the pattern kernel's class);
the weight bytes are kilnc --stats' constants.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_profile  # noqa: E402
import benchdoc  # noqa: E402
import export_models  # noqa: E402

ROOT = benchdoc.ROOT
BIN = os.environ.get("KILN_BIN", os.path.join(ROOT, "build", "bin"))
CONFIGS = [("dense", []), ("2.25x", ["--prune=pattern"]),
           ("8x", ["--prune=pattern", "--prune-connectivity=0.71875"])]


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        sys.exit(f"bench_prune: {' '.join(cmd)} failed:\n{r.stderr[-2000:]}")
    return r.stdout + r.stderr


def export_vgg(path, input_path):
    """VGG-16's feature stack on 112x112, global pool + fc, seeded."""
    import torch
    import torchvision

    if os.path.exists(path) and os.path.exists(input_path):
        return
    torch.manual_seed(16)
    features = torchvision.models.vgg16(weights=None).features
    model = torch.nn.Sequential(features, torch.nn.AdaptiveAvgPool2d(1),
                                torch.nn.Flatten(), torch.nn.Linear(512, 1000))
    model.eval()
    x = np.random.RandomState(16).standard_normal((1, 3, 112, 112))
    x = x.astype(np.float32)
    with torch.no_grad():
        torch.onnx.export(model, torch.from_numpy(x), path + ".tmp",
                          opset_version=13, input_names=["input"],
                          output_names=["output"], do_constant_folding=True)
    os.replace(path + ".tmp", path)
    np.save(input_path, x)


def model_files(name):
    models = os.path.join(ROOT, "build", "models")
    if name == "vgg16_112":
        onnx_path = os.path.join(models, "vgg16_112.onnx")
        input_path = os.path.join(models, "vgg16_112.input.npy")
        export_vgg(onnx_path, input_path)
        return onnx_path, input_path
    files = export_models.ensure(models, name)
    return files["onnx"], files["input"]


def bench(name, args, work):
    onnx_path, input_path = model_files(name)
    feed = f"input={input_path}"
    classes = bench_profile.onnx_classes(onnx_path)
    libs, weight_bytes = {}, {}
    for tag, flags in CONFIGS:
        so = os.path.join(work, f"{name}-{tag}.so")
        mcpu = [] if args.mcpu == "default" else [f"--mcpu={args.mcpu}"]
        tune = ["--autotune"] if args.autotune and flags else []
        out = run([os.path.join(BIN, "kilnc"), onnx_path, "--emit=shared",
                   "-o", so, "--stats"] + mcpu + flags + tune)
        weight_bytes[tag] = int(re.search(r"constants: \d+ \((\d+) bytes\)",
                                          out).group(1))
        libs[tag] = so
    lat = {tag: [] for tag in libs}
    lat["onnxruntime"] = []
    conv3 = {tag: [] for tag in libs}
    timing = ["--input", feed, "--runs", str(args.runs), "--warmup", "1",
              "--threads", "1"]
    for _ in range(args.rounds):
        for tag, so in libs.items():
            latency, layers = bench_profile.kiln_profile(so, feed, args.runs, 1)
            lat[tag].append(latency)
            conv3[tag].append(sum(ms for layer, ms in layers
                                  if classes.get(layer) == "conv 3x3"))
        lat["onnxruntime"].append(benchdoc.median_latency_ms(run(
            ["node", os.path.join(ROOT, "tools", "ort", "run_ort.js"),
             onnx_path, "--output-dir", work] + timing),
            f"run_ort.js {onnx_path}"))
    med = {k: statistics.median(v) for k, v in lat.items()}
    conv = {k: statistics.median(v) for k, v in conv3.items()}
    return med, conv, weight_bytes


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--models", default="resnet18,vgg16_112,mobilenet_v2")
    p.add_argument("--mcpu", default="native")
    p.add_argument("--autotune", action="store_true",
                   help="compile the pruned models with kilnc --autotune")
    p.add_argument("--block", default="prune-latency",
                   help="the docs/benchmarks.md block --write-docs fills")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--write-docs", action="store_true")
    args = p.parse_args()
    rows = ["| model | onnxruntime ms | Kiln dense ms | 2.25x ms | 8x ms | "
            "8x vs onnxruntime | 3x3 s1 layers dense ms | 2.25x ms (speed-up) "
            "| 8x ms (speed-up) | weight MB dense / 2.25x / 8x |",
            "|---" * 10 + "|"]
    with tempfile.TemporaryDirectory() as work:
        for name in args.models.split(","):
            med, conv, wb = bench(name, args, work)
            def up(tag):
                if conv["dense"] < 0.005:
                    return f"{conv[tag]:.2f}"
                return f"{conv[tag]:.2f} ({conv['dense'] / conv[tag]:.2f}x)"
            row = (f"| {name} | {med['onnxruntime']:.2f} | {med['dense']:.2f} | "
                   f"{med['2.25x']:.2f} | {med['8x']:.2f} | "
                   f"{med['onnxruntime'] / med['8x']:.2f}x | "
                   f"{conv['dense']:.2f} | {up('2.25x')} | {up('8x')} | "
                   f"{wb['dense'] / 1e6:.1f} / {wb['2.25x'] / 1e6:.1f} / "
                   f"{wb['8x'] / 1e6:.1f} |")
            rows.append(row)
            print(row, flush=True)
    if args.write_docs:
        target = "kilnc's default (x86-64-v3)" if args.mcpu == "default" \
            else f"--mcpu={args.mcpu}"
        tuned = ", pruned models with --autotune" if args.autotune else ""
        benchdoc.write_block(args.block, "\n".join(rows) + (
            f"\n\nKiln compiled with {target}{tuned}, one thread; median "
            f"over {args.rounds} rounds of {args.runs} runs."))


if __name__ == "__main__":
    main()
