#!/usr/bin/python3
"""Latency with fusion on and off (kilnc --no-fuse), model by model.

    /usr/bin/python3 scripts/bench_fusion.py [--models a,b] [--runs N] [--rounds R]
        [--cachegrind]

Compiles each model (BUILD/models/<model>.onnx, see scripts/export_models.py)
twice with --emit=shared, then runs the two libraries alternately, R rounds of
`kiln-run --runs N` each, on the model's seeded input. The machine is shared
and noisy (other processes take the CPU for whole runs), so each library's
figure is its fastest run over all rounds (kiln-run's min), the least
disturbed one; the ratio fused / unfused is the median of the per-round
ratios of those minima. Also prints the fused groups (--stats).

Even so the wall clock on a shared machine varies by more than fusion
changes it, so --cachegrind adds deterministic counts for one run of each
library under `valgrind --tool=cachegrind --cache-sim=yes`: instructions
executed and simulated L1 data-cache misses (a proxy for memory traffic).
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
    return float(re.search(r"\(min ([0-9.]+) ms\)", p.stdout).group(1))


def cachegrind(lib, inputs):
    """(instructions, D1 misses) of one run under cachegrind."""
    p = subprocess.run(["valgrind", "--tool=cachegrind", "--cache-sim=yes",
                        "--cachegrind-out-file=/dev/null", os.path.join(BIN, "kiln-run"), lib,
                        "--runs", "1", "--warmup", "0", "--top", "0"]
                       + [a for i in inputs for a in ("--input", i)],
                       capture_output=True, text=True, check=True)

    def count(label):
        return int(re.search(label + r":\s+([0-9,]+)", p.stderr).group(1).replace(",", ""))
    return count(r"I\s+refs"), count(r"D1\s+misses")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="resnet18,mobilenet_v2,squeezenet1_1")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--cachegrind", action="store_true")
    ap.add_argument("--work-dir", default=os.path.join(ROOT, "build", "bench-fusion"))
    args = ap.parse_args()
    os.makedirs(args.work_dir, exist_ok=True)
    models = os.path.join(ROOT, "build", "models")
    header = "| model | fused groups | fused, min (ms) | --no-fuse, min (ms) | fused / unfused |"
    if args.cachegrind:
        header += " instructions fused / unfused | D1 misses fused / unfused |"
    print(header)
    print("|---" * header.count(" | ") + "|---|")
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
        row = (f"| {m} | {groups} | {min(t_on):.1f} | {min(t_off):.1f} | "
               f"{statistics.median(ratios):.3f} |")
        if args.cachegrind:
            (i_on, d_on), (i_off, d_off) = cachegrind(on, inputs), cachegrind(off, inputs)
            row += f" {i_on / i_off:.3f} | {d_on / d_off:.3f} |"
        print(row)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
