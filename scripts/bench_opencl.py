#!/usr/bin/python3
"""The OpenCL variant: session creation with a cold and a warm program
cache, and latency against the CPU variant (issue 7).

  /usr/bin/python3 scripts/bench_opencl.py [--models a,b] [--runs 5]
      [--write-docs]

Each model is compiled once with kilnc --devices=cpu,gpu (work-groups of
64). Session creation:
the wall time of `kiln-run --prebuild` (load the model, create a GPU
session, exit) with an empty cache directory (the OpenCL compiler runs) and
again with the binary it left (no compile), each with an empty POCL kernel
cache; the same command with
--device=cpu (no GPU work) is the floor. Latency: kiln-run --runs N after a
warm-up, GPU variant (at the plan's work-group sizes, then after kiln-run
--tune) and CPU variant (one thread), median. On POCL the
"GPU" is this CPU running OpenCL C work-items: the numbers are a
functional baseline, not GPU performance. --write-docs fills the "opencl"
block of docs/benchmarks.md with the device name.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchdoc  # noqa: E402
import export_models  # noqa: E402

ROOT = benchdoc.ROOT
BIN = os.environ.get("KILN_BIN", os.path.join(ROOT, "build", "bin"))
MODELS = ("mobilenet_tiny,mobilenet_v2,mobilenet_v3_small,resnet18,"
          "squeezenet1_1,shufflenet_v2_x1_0,efficientnet_b0,resnet50")


def run(cmd, env=None):
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    dt = time.perf_counter() - t0
    if r.returncode:
        sys.exit(f"bench_opencl: {' '.join(cmd)} failed:\n{r.stderr[-2000:]}")
    return r.stdout + r.stderr, dt


def model_files(name):
    if name == "mobilenet_tiny":
        d = os.path.join(ROOT, "models", "sample")
        return os.path.join(d, "mobilenet_tiny.onnx"), os.path.join(d, "input.npy")
    files = export_models.ensure(os.path.join(ROOT, "build", "models"), name)
    return files["onnx"], files["input"]


def bench(name, args, work):
    onnx_path, input_path = model_files(name)
    so = os.path.join(work, name + ".so")
    run([os.path.join(BIN, "kilnc"), onnx_path, "--devices=cpu,gpu",
         "--emit=shared", "-o", so])
    kiln_run = os.path.join(BIN, "kiln-run")
    cache = os.path.join(work, name + "-cache")
    shutil.rmtree(cache, ignore_errors=True)

    def prebuild():
        # POCL keeps compiled kernels in its own cache too: each session
        # gets an empty one, so that only Kiln's binary cache can help.
        pocl = tempfile.mkdtemp(dir=work)
        env = dict(os.environ, POCL_CACHE_DIR=pocl)
        out, dt = run([kiln_run, so, "--prebuild", "--cache-dir", cache], env)
        shutil.rmtree(pocl)
        return out, dt

    out, cold = prebuild()
    assert "built from source" in out, out
    out, warm = prebuild()
    assert "binary cache" in out, out
    _, floor = run([kiln_run, so, "--info"])
    feed = ["--input", f"input={input_path}", "--top", "0", "--threads", "1",
            "--runs", str(args.runs), "--warmup", "1"]
    gpu_out, _ = run([kiln_run, so, "--device=gpu", "--cache-dir", cache] + feed)
    # Work-group sizes tuned on this device (cached beside the binary).
    tune_out, tune_s = run([kiln_run, so, "--prebuild", "--tune", "--cache-dir", cache])
    m = re.search(r"tuned (\d+) launches: (\d+) changed", tune_out)
    tuned_out, _ = run([kiln_run, so, "--device=gpu", "--cache-dir", cache] + feed)
    assert "tuned earlier" in tuned_out, tuned_out
    cpu_out, _ = run([kiln_run, so] + feed)
    return {"cold": cold, "warm": warm, "floor": floor, "tune_s": tune_s,
            "changed": f"{m.group(2)}/{m.group(1)}" if m else "?",
            "gpu": benchdoc.median_latency_ms(gpu_out, f"kiln-run {so} --device=gpu"),
            "tuned": benchdoc.median_latency_ms(tuned_out, f"kiln-run {so} --device=gpu"),
            "cpu": benchdoc.median_latency_ms(cpu_out, f"kiln-run {so}")}


def device_name():
    r = subprocess.run(["clinfo", "-l"], capture_output=True, text=True)
    m = re.search(r"Device #0: (.*)", r.stdout)
    return m.group(1).strip() if m else "unknown"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--models", default=MODELS)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--write-docs", action="store_true")
    args = p.parse_args()
    os.environ.setdefault("POCL_CACHE_DIR",
                          os.path.join(ROOT, "build", "pocl-cache"))
    os.makedirs(os.environ["POCL_CACHE_DIR"], exist_ok=True)
    rows = ["| model | GPU session, cold cache ms | warm cache ms | CPU session "
            "ms | GPU variant latency ms | tuned work-groups ms (launches changed, "
            "tuning s) | CPU variant latency ms |",
            "|---|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as work:
        for name in args.models.split(","):
            r = bench(name, args, work)
            row = (f"| {name} | {r['cold'] * 1e3:.0f} | {r['warm'] * 1e3:.0f} | "
                   f"{r['floor'] * 1e3:.0f} | {r['gpu']:.1f} | {r['tuned']:.1f} "
                   f"({r['changed']}, {r['tune_s']:.1f}) | {r['cpu']:.2f} |")
            rows.append(row)
            print(row, flush=True)
    if args.write_docs:
        benchdoc.write_block("opencl", "\n".join(rows) + (
            f"\n\nOpenCL device: {device_name()} (POCL, on this machine's "
            f"CPU). Session times are kiln-run process wall "
            f"times (model load included); latencies are medians of "
            f"{args.runs} runs, one thread for the CPU variant."))


if __name__ == "__main__":
    main()
