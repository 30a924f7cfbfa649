#!/usr/bin/env bash
# CPU latency of the model zoo: Kiln against onnxruntime, single-threaded.
#
#   scripts/bench.sh [--models a,b] [--rounds N] [--runs N]
#                    [--mcpu default,native,...] [--write-docs]
#
# For each model (build/models, exported by scripts/export_models.py when
# missing) kilnc compiles one shared library per --mcpu entry ("default":
# kilnc's own, x86-64-v3; "native": this machine's CPU and features, as
# onnxruntime picks its kernels for the machine at run time), then kiln-run
# and onnxruntime-node (tools/ort/run_ort.js) take turns: --rounds rounds,
# each running every library and then onnxruntime once with --runs timed
# runs after one warm-up run, all with --threads 1. A latency is the median
# over rounds of the per-round medians (rounds x runs >= 20 by default). A
# ratio is Kiln / onnxruntime (< 1: Kiln is faster); the last row is the
# geometric mean of the ratios. --write-docs puts the
# table into docs/benchmarks.md (between the "cpu-latency" markers) and, when
# gnuplot is installed (scripts/setup.sh installs gnuplot-nox), draws
# docs/cpu-latency.png.
set -euo pipefail
cd "$(dirname "$0")/.."
exec /usr/bin/python3 - "$@" <<'PY'
import argparse
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, "scripts")
import benchdoc  # noqa: E402
import export_models  # noqa: E402

ROOT = os.getcwd()
BIN = os.environ.get("KILN_BIN", os.path.join(ROOT, "build", "bin"))
MODELS = ("mobilenet_v2,mobilenet_v3_small,resnet18,resnet50,squeezenet1_1,"
          "shufflenet_v2_x1_0,efficientnet_b0")


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed:\n{r.stderr[-2000:]}")
    return r.stdout + r.stderr


def median_ms(cmd):
    out = run(cmd)
    m = re.search(r"median latency: ([0-9.]+) ms", out)
    if not m:
        sys.exit(f"bench: no median latency from {' '.join(cmd)}")
    return float(m.group(1))


def bench(name, work, args):
    models = os.path.join(ROOT, "build", "models")
    files = export_models.ensure(models, name)
    libs = []
    for cpu in args.mcpu:
        so = os.path.join(work, f"{name}.{len(libs)}.so")
        flags = [] if cpu == "default" else [f"--mcpu={cpu}"]
        run([os.path.join(BIN, "kilnc"), files["onnx"], "--emit=shared", "-o",
             so] + flags)
        libs.append(so)
    feed = f"{export_models.INPUT_NAME}={files['input']}"
    timing = ["--input", feed, "--runs", str(args.runs), "--warmup", "1",
              "--threads", "1"]
    kiln, ort = [[] for _ in libs], []
    for _ in range(args.rounds):
        for i, so in enumerate(libs):
            kiln[i].append(median_ms([os.path.join(BIN, "kiln-run"), so,
                                      "--top", "0"] + timing))
        # run_ort.js always writes the outputs: into the scratch directory.
        ort.append(median_ms(["node", os.path.join(ROOT, "tools", "ort",
                                                   "run_ort.js"),
                              files["onnx"], "--output-dir", work] + timing))
    return [statistics.median(k) for k in kiln], statistics.median(ort)


def table(results, cpus):
    heads = ["onnxruntime ms"]
    for cpu in cpus:
        heads += [f"Kiln {cpu} ms", f"Kiln {cpu} / onnxruntime"]
    out = ["| model | " + " | ".join(heads) + " |",
           "|---" * (len(heads) + 1) + "|"]
    for name, kiln, ort in results:
        cells = [f"{ort:.2f}"]
        for k in kiln:
            cells += [f"{k:.2f}", f"{k / ort:.2f}"]
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    geo = []
    for i in range(len(cpus)):
        g = math.exp(statistics.mean(math.log(k[i] / o)
                                     for _, k, o in results))
        geo += ["", f"{g:.2f}"]
    out.append("| geometric mean | | " + " | ".join(geo) + " |")
    return "\n".join(out)


def chart(results, cpus, png):
    """Grouped bars of the latencies per model (log scale)."""
    with tempfile.NamedTemporaryFile("w", suffix=".dat", delete=False) as f:
        for name, kiln, ort in results:
            f.write(f"{name} {ort} " + " ".join(str(k) for k in kiln) + "\n")
        data = f.name
    series = ", ".join(f"'' using {3 + i} title 'Kiln {cpu}'"
                       for i, cpu in enumerate(cpus))
    script = f"""
set terminal pngcairo size 900,420 noenhanced
set output '{png}'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set ylabel 'ms per inference (1 thread, lower is better)'
set xtics rotate by -20
set key top left
plot '{data}' using 2:xtic(1) title 'onnxruntime', {series}
"""
    subprocess.run(["gnuplot"], input=script, text=True, check=True)
    os.unlink(data)


def main():
    ap = argparse.ArgumentParser(prog="scripts/bench.sh")
    ap.add_argument("--models", default=MODELS)
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--mcpu", default="default,native",
                    help="kilnc --mcpu per Kiln column ('default': none)")
    ap.add_argument("--write-docs", action="store_true")
    args = ap.parse_args()
    args.mcpu = args.mcpu.split(",")
    results = []
    with tempfile.TemporaryDirectory() as work:
        for name in args.models.split(","):
            kiln, ort = bench(name, work, args)
            print(f"{name}: onnxruntime {ort:.2f} ms, Kiln "
                  + ", ".join(f"{c} {k:.2f} ms" for c, k in zip(args.mcpu, kiln)),
                  flush=True)
            results.append((name, kiln, ort))
    text = table(results, args.mcpu)
    print(text)
    if args.write_docs:
        benchdoc.write_block("cpu-latency", text)
        if shutil.which("gnuplot"):
            chart(results, args.mcpu,
                  os.path.join(ROOT, "docs", "cpu-latency.png"))
        else:
            print("bench: no gnuplot (scripts/setup.sh installs gnuplot-nox); "
                  "no chart")


main()
PY
