#!/usr/bin/python3
"""Memory benchmark: Kiln's arena plan and process peak RSS versus onnxruntime.

    /usr/bin/python3 scripts/bench_memory.py [--models a,b] [--repeats N]
        [--write-docs]

For each model-zoo model (exported by scripts/export_models.py into
build/models; missing ones are exported first):
  1. kilnc --stats: the arena, the sum of the graph's intermediate tensors (nn
     op results that are not constants, model outputs or views) and the sum
     of the lowered buffers the planner places; the ratio arena/tensors is
     the issue's "arena <= 25% of the naive sum" goal.
  2. Peak RSS (`/usr/bin/time -v`, "Maximum resident set size") of
       kiln-run MODEL.so --input x=INPUT.npy            (whole process)
       node tools/ort/run_ort.js MODEL.onnx --input ...   (whole process)
       node tools/ort/run_ort.js ... --no-session         (node + onnxruntime
                                                         loaded, no session)
     one run each after no warm-up, the median of --repeats measurements.
     onnxruntime has no native runner here (only onnxruntime-node), so its
     session's memory is taken as ORT - baseline; Kiln's figure is the whole
     kiln-run process, baseline included, so the ratio is conservative.
Writes the table to stdout and, with --write-docs, into docs/benchmarks.md
(between the memory markers).
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


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.exit(f"bench_memory: {' '.join(cmd)} failed:\n{r.stderr[-2000:]}")
    return r


def peak_rss_kib(cmd):
    r = run(["/usr/bin/time", "-v"] + cmd)
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr)
    if not m:
        sys.exit(f"bench_memory: no RSS in /usr/bin/time output of {cmd[0]}")
    return int(m.group(1))


def measure(name, work, repeats):
    models = os.path.join(ROOT, "build", "models")
    files = export_models.ensure(models, name)
    onnx_path, npy = files["onnx"], files["input"]
    so = os.path.join(work, name + ".so")
    stats = run([os.path.join(BIN, "kilnc"), onnx_path, "--emit=shared", "--stats",
                 "-o", so]).stderr
    m = re.search(r"arena: (\d+) bytes; intermediate tensors (\d+) bytes .*"
                  r"lowered buffers (\d+) bytes", stats)
    if not m:
        sys.exit(f"bench_memory: no arena line in kilnc --stats for {name}")
    arena, tensors, buffers = map(int, m.groups())
    feed = f"{export_models.INPUT_NAME}={npy}"
    out = os.path.join(work, "out")
    ort = ["node", os.path.join(ROOT, "tools", "ort", "run_ort.js"), onnx_path,
           "--input", feed, "--output-dir", out]
    kiln = [os.path.join(BIN, "kiln-run"), so, "--input", feed, "--output-dir", out,
            "--warmup", "0", "--top", "0"]
    k, o, b = [], [], []
    for _ in range(repeats):
        k.append(peak_rss_kib(kiln))
        o.append(peak_rss_kib(ort))
        b.append(peak_rss_kib(ort + ["--no-session"]))
    k, o, b = (statistics.median(v) for v in (k, o, b))
    return {"model": name, "arena": arena, "tensors": tensors, "buffers": buffers,
            "kiln_rss": k, "ort_rss": o, "ort_base": b}


def table(rows):
    mib = lambda b: f"{b / 2**20:.2f}"
    out = ["| model | arena MiB | intermediate tensors MiB | arena / tensors | "
           "lowered buffers MiB | arena / buffers | Kiln peak RSS MiB | "
           "ORT peak RSS MiB | node+ORT baseline MiB | ORT session MiB | "
           "Kiln / ORT session |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        session = r["ort_rss"] - r["ort_base"]
        out.append(
            f"| {r['model']} | {mib(r['arena'])} | {mib(r['tensors'])} | "
            f"{100 * r['arena'] / r['tensors']:.1f}% | {mib(r['buffers'])} | "
            f"{100 * r['arena'] / r['buffers']:.1f}% | {r['kiln_rss'] / 1024:.1f} | "
            f"{r['ort_rss'] / 1024:.1f} | {r['ort_base'] / 1024:.1f} | "
            f"{session / 1024:.1f} | {r['kiln_rss'] / session:.2f} |")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", default=",".join(export_models.MODELS))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--write-docs", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as work:
        rows = [measure(m, work, args.repeats) for m in args.models.split(",")]
    text = table(rows)
    print(text)
    if args.write_docs:
        benchdoc.write_block("memory", text)


if __name__ == "__main__":
    main()
