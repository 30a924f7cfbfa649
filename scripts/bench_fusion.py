#!/usr/bin/python3
"""Latency with fusion on and off (kilnc --no-fuse), model by model.

    /usr/bin/python3 scripts/bench_fusion.py [--models a,b] [--runs N] [--rounds R]

Compiles each model (BUILD/models/<model>.onnx, see scripts/export_models.py)
twice with --emit=shared, then runs the two libraries alternately, R rounds of
`kiln-run --runs N` each, on the model's seeded input. The machine is shared
and noisy, so what is reported is the median over rounds of each library's
median latency, and their ratio (fused / unfused) computed within each round
(medians of the per-round ratios). Also prints the fused groups (--stats).
"""

import argparse
import os
import re
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("KILN_BIN", os.path.join(ROOT, "build", "bin"))


def compile_model(onnx, out, extra):
    p = subprocess.run([os.path.join(BIN, "kilnc"), onnx, "--emit=shared", "-o", out,
                        "--stats"] + extra, capture_output=True, text=True, check=True)
    return re.search(r"fused groups: (.*)", p.stderr).group(1)


def latency(lib, inputs, runs):
    p = subprocess.run([os.path.join(BIN, "kiln-run"), lib, "--runs", str(runs), "--top", "0"]
                       + [a for i in inputs for a in ("--input", i)],
                       capture_output=True, text=True, check=True)
    return float(re.search(r"median latency: ([0-9.]+) ms", p.stdout).group(1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="resnet18,mobilenet_v2,squeezenet1_1")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--work-dir", default=os.path.join(ROOT, "build", "bench-fusion"))
    args = ap.parse_args()
    os.makedirs(args.work_dir, exist_ok=True)
    models = os.path.join(ROOT, "build", "models")
    print("| model | fused groups | fused (ms) | --no-fuse (ms) | fused / unfused |")
    print("|---|---|---|---|---|")
    for m in args.models.split(","):
        onnx = os.path.join(models, m + ".onnx")
        inputs = ["input=" + os.path.join(models, m + ".input.npy")]
        on = os.path.join(args.work_dir, m + ".so")
        off = os.path.join(args.work_dir, m + "-nofuse.so")
        groups = compile_model(onnx, on, [])
        compile_model(onnx, off, ["--no-fuse"])
        t_on, t_off, ratios = [], [], []
        for _ in range(args.rounds):
            a = latency(on, inputs, args.runs)
            b = latency(off, inputs, args.runs)
            t_on.append(a)
            t_off.append(b)
            ratios.append(a / b)
        print(f"| {m} | {groups} | {statistics.median(t_on):.1f} | "
              f"{statistics.median(t_off):.1f} | {statistics.median(ratios):.3f} |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
