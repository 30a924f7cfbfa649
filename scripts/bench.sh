#!/usr/bin/env bash
# CPU latency of the model zoo: Kiln against onnxruntime, at 1 and 2 threads.
#
#   scripts/bench.sh [--models a,b] [--rounds N] [--runs N] [--threads 1,2]
#                    [--mcpu default,native,...] [--write-docs]
#
# For each model (build/models, exported by scripts/export_models.py when
# missing) kilnc compiles one shared library per --mcpu entry ("default":
# kilnc's own, x86-64-v3; "native": this machine's CPU and features, as
# onnxruntime picks its kernels for the machine at run time), then kiln-run
# and onnxruntime-node (tools/ort/run_ort.js) take turns: --rounds rounds,
# each running, for every --threads count, every library and then
# onnxruntime once with --runs timed runs after one warm-up run, both with
# that many threads. A latency is the median over rounds of the per-round
# medians (rounds x runs >= 20 by default). A ratio is Kiln / onnxruntime
# (< 1: Kiln is faster); the last row is the geometric mean of the ratios.
# One table per thread count; with more than one, a last table gives each
# side's speed-up from the first count to the others. --write-docs puts the
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
    kiln = {t: [[] for _ in libs] for t in args.threads}
    ort = {t: [] for t in args.threads}
    for _ in range(args.rounds):
        for t in args.threads:
            timing = ["--input", feed, "--runs", str(args.runs), "--warmup",
                      "1", "--threads", str(t)]
            for i, so in enumerate(libs):
                kiln[t][i].append(median_ms([os.path.join(BIN, "kiln-run"),
                                             so, "--top", "0"] + timing))
            # run_ort.js always writes the outputs: into the scratch dir.
            ort[t].append(median_ms(["node", os.path.join(ROOT, "tools", "ort",
                                                          "run_ort.js"),
                                     files["onnx"], "--output-dir", work]
                                    + timing))
    return {t: ([statistics.median(k) for k in kiln[t]],
                statistics.median(ort[t])) for t in args.threads}


def threads_label(t):
    return f"{t} thread" + ("s" if t != 1 else "")


def speedups(results, cpus, threads):
    """Latency at threads[0] over latency at each other count."""
    heads = []
    for t in threads[1:]:
        heads += [f"onnxruntime {threads[0]}/{t}"]
        heads += [f"Kiln {cpu} {threads[0]}/{t}" for cpu in cpus]
    out = ["| model | " + " | ".join(heads) + " |",
           "|---" * (len(heads) + 1) + "|"]
    for name, by_threads in results:
        k0, o0 = by_threads[threads[0]]
        cells = []
        for t in threads[1:]:
            k, o = by_threads[t]
            cells.append(f"{o0 / o:.2f}")
            cells += [f"{a / b:.2f}" for a, b in zip(k0, k)]
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(out)


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


def chart(results, cpus, threads, png):
    """Grouped bars of the latencies per model (log scale): per thread
    count, onnxruntime then each Kiln build."""
    with tempfile.NamedTemporaryFile("w", suffix=".dat", delete=False) as f:
        for name, by_threads in results:
            values = []
            for t in threads:
                kiln, ort = by_threads[t]
                values += [ort] + kiln
            f.write(f"{name} " + " ".join(str(v) for v in values) + "\n")
        data = f.name
    titles = []
    for t in threads:
        titles += [f"onnxruntime, {threads_label(t)}"]
        titles += [f"Kiln {cpu}, {threads_label(t)}" for cpu in cpus]
    series = ", ".join(f"'' using {2 + i} title '{title}'"
                       for i, title in enumerate(titles))
    series = series.replace("''", f"'{data}'", 1).replace(
        "using 2 title", "using 2:xtic(1) title", 1)
    script = f"""
set terminal pngcairo size 1100,460 noenhanced
set output '{png}'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set ylabel 'ms per inference (lower is better)'
set xtics rotate by -20
set key top left
plot {series}
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
    ap.add_argument("--threads", default="1,2",
                    help="thread counts, each for both Kiln and onnxruntime")
    ap.add_argument("--write-docs", action="store_true")
    args = ap.parse_args()
    args.mcpu = args.mcpu.split(",")
    args.threads = [int(t) for t in args.threads.split(",")]
    results = []
    with tempfile.TemporaryDirectory() as work:
        for name in args.models.split(","):
            by_threads = bench(name, work, args)
            for t, (kiln, ort) in by_threads.items():
                print(f"{name}, {threads_label(t)}: onnxruntime {ort:.2f} ms, "
                      "Kiln " + ", ".join(f"{c} {k:.2f} ms"
                                          for c, k in zip(args.mcpu, kiln)),
                      flush=True)
            results.append((name, by_threads))
    parts = []
    for t in args.threads:
        parts.append(f"**{threads_label(t)}**\n\n"
                     + table([(n, *r[t]) for n, r in results], args.mcpu))
    if len(args.threads) > 1:
        parts.append("**Speed-up from more threads** (latency at "
                     f"{threads_label(args.threads[0])} / latency at more)\n\n"
                     + speedups(results, args.mcpu, args.threads))
    text = "\n\n".join(parts)
    print(text)
    if args.write_docs:
        benchdoc.write_block("cpu-latency", text)
        if shutil.which("gnuplot"):
            chart(results, args.mcpu, args.threads,
                  os.path.join(ROOT, "docs", "cpu-latency.png"))
        else:
            print("bench: no gnuplot (scripts/setup.sh installs gnuplot-nox); "
                  "no chart")


main()
PY
