#!/usr/bin/python3
"""Latency effect of each graph-pass group: every group on, and each one off.

    /usr/bin/python3 scripts/bench_passes.py [--models a,b] [--rounds N]
        [--runs N] [--cachegrind] [--write-docs]

For each model-zoo model (build/models, exported by scripts/export_models.py
when missing), kilnc compiles one shared library per configuration:
    all passes          (the default)
    --no-fold           without folding/canonicalisation
    --no-merge          without merging of sibling convolutions
    --no-fuse           without fusion
    --layout=nchw       without the layout pass (convolutions stay NCHW)
    --no-memory-reuse   without in-place reuse and copy elision in the plan
    --tile-budget=0     without splitting (kiln-split)
then kiln-run times them interleaved: --rounds rounds, each running every
configuration once with --runs timed runs (after one warm-up run); a
configuration's latency is the median over rounds of its per-round median.
The table gives each configuration's latency and its ratio to "all passes"
(> 1: turning the group off makes the model slower). Ratios within one run
are what to compare; the machine is noisy.

The wall clock on a shared machine can vary by more than a pass group
changes it, so --cachegrind adds deterministic counts for one run of each
library under `valgrind --tool=cachegrind --cache-sim=yes`: instructions
executed and simulated L1 data-cache misses (a proxy for memory traffic),
each as the ratio of the configuration to "all passes".
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile

import benchdoc  # scripts/benchdoc.py, next to this file
import export_models  # scripts/export_models.py, next to this file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("KILN_BIN", os.path.join(ROOT, "build", "bin"))
CONFIGS = [("all passes", []), ("no fold", ["--no-fold"]), ("no merge", ["--no-merge"]),
           ("no fuse", ["--no-fuse"]), ("no layout", ["--layout=nchw"]),
           ("no split", ["--tile-budget=0"]),
           ("no memory reuse", ["--no-memory-reuse"])]
DEFAULT_MODELS = "mobilenet_v2,resnet18,squeezenet1_1,shufflenet_v2_x1_0"


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"bench_passes: {' '.join(cmd)} failed:\n{r.stderr[-2000:]}")
    return r.stdout + r.stderr


def cachegrind(lib, feed):
    """(instructions, D1 misses) of one run under cachegrind."""
    err = run(["valgrind", "--tool=cachegrind", "--cache-sim=yes",
               "--cachegrind-out-file=/dev/null", os.path.join(BIN, "kiln-run"), lib,
               "--input", feed, "--runs", "1", "--warmup", "0", "--top", "0"])

    def count(label):
        return int(re.search(label + r":\s+([0-9,]+)", err).group(1).replace(",", ""))
    return count(r"I\s+refs"), count(r"D1\s+misses")


def bench(name, work, rounds, runs, with_cachegrind):
    models = os.path.join(ROOT, "build", "models")
    files = export_models.ensure(models, name)
    libs = []
    for label, flags in CONFIGS:
        so = os.path.join(work, f"{name}.{len(libs)}.so")
        run([os.path.join(BIN, "kilnc"), files["onnx"], "--emit=shared", "-o", so] + flags)
        libs.append(so)
    times = [[] for _ in CONFIGS]
    feed = f"{export_models.INPUT_NAME}={files['input']}"
    for _ in range(rounds):
        for i, so in enumerate(libs):
            out = run([os.path.join(BIN, "kiln-run"), so, "--input", feed, "--runs",
                       str(runs), "--warmup", "1", "--top", "0"])
            m = re.search(r"median latency: ([0-9.]+) ms", out)
            if not m:
                sys.exit(f"bench_passes: no median latency from kiln-run for {name}")
            times[i].append(float(m.group(1)))
    counts = [cachegrind(so, feed) for so in libs] if with_cachegrind else None
    return [statistics.median(t) for t in times], counts


def table(results):
    heads = [f"{CONFIGS[0][0]} ms"]
    for label, _ in CONFIGS[1:]:
        heads += [f"{label} ms", f"{label} / all"]
    with_counts = results[0][2] is not None
    if with_counts:
        for label, _ in CONFIGS[1:]:
            heads += [f"{label}: instructions / all", f"{label}: D1 misses / all"]
    out = ["| model | " + " | ".join(heads) + " |", "|---" * (len(heads) + 1) + "|"]
    for name, ms, counts in results:
        cells = [f"{ms[0]:.1f}"]
        for t in ms[1:]:
            cells += [f"{t:.1f}", f"{t / ms[0]:.2f}"]
        if with_counts:
            for ins, miss in counts[1:]:
                cells += [f"{ins / counts[0][0]:.3f}", f"{miss / counts[0][1]:.3f}"]
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", default=DEFAULT_MODELS)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--cachegrind", action="store_true")
    ap.add_argument("--write-docs", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as work:
        results = [(m, *bench(m, work, args.rounds, args.runs, args.cachegrind))
                   for m in args.models.split(",")]
    text = table(results)
    print(text)
    if args.write_docs:
        benchdoc.write_block("passes", text)


if __name__ == "__main__":
    main()
