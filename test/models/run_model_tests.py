#!/usr/bin/python3
"""End-to-end model tests: Kiln against onnxruntime on real architectures.

    /usr/bin/python3 test/models/run_model_tests.py [--models a,b] [--jobs N]
        [--aarch64] [--gpu] [--kilnc-args "..."] [--reference-only] [--runs N]
        [--threads N] [--tag T] [--write-docs]

For each model (all seven torchvision architectures by default):
  1. export it if needed (scripts/export_models.py, one at a time);
  2. run onnxruntime on the model's seeded input (tools/ort/run_ort.js, with
     --threads); the outputs are cached and reused while the model and input
     files are unchanged; onnxruntime is also checked against torch's output;
  3. compile it with kilnc (x86_64: --emit=shared to a .so, compile wall time
     recorded; --aarch64: an object linked statically with the cross-built
     runtime into a test program);
  4. run it (x86_64: kiln-run; aarch64: the linked program under
     qemu-aarch64 -L /usr/aarch64-linux-gnu) on the same input, with
     --threads (default 2, so that the parallel tasks are what is checked);
  5. compare every output with onnxruntime's.

Pass criterion, for every element of every output:
        |kiln - ort| <= ATOL + RTOL * |ort|     ATOL = 1e-4, RTOL = 1e-3
(the shapes must match, and no NaN/Inf where onnxruntime has a finite value);
integer and bool outputs must have onnxruntime's dtype and equal it exactly.
Reported per model: max abs error, max rel error (|kiln - ort| / |ort| over
elements with |ort| >= 1e-3), the tolerance ratio (max of error / allowed
error: pass iff <= 1), whether the top-1 class agrees, compile time, status.

--reference-only stops after step 2 and tests the reference itself:
onnxruntime against torch with the same tolerance (no Kiln binaries needed).

The bundled sample (models/sample/mobilenet_tiny.onnx) can be tested too:
--models mobilenet_tiny (its second reference is the committed ORT output).

Writes BUILD/model-tests/summary-<target>[-TAG].json and .md (BUILD/model-tests
is --work-dir); --write-docs also regenerates docs/models.md from the untagged
summaries present. Exit status: 0 iff every model passed.

Environment: KILN_BIN (default build/bin) holds kilnc and kiln-run;
KILN_AARCH64_BUILD (default build-aarch64) is the cross-built runtime;
KILN_AARCH64_LDFLAGS adds flags to the aarch64 link.
"""

import argparse
import concurrent.futures
import datetime
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import export_models  # noqa: E402  (scripts/export_models.py)

ATOL = 1e-4
RTOL = 1e-3
REL_FLOOR = 1e-3  # max rel error ignores elements with |ort| below this
TOLERANCE_TEXT = (f"|kiln - ort| <= {ATOL:g} + {RTOL:g} * |ort| "
                  "for every output element (integers and bool: equal)")

ALL_MODELS = export_models.MODELS
# The bundled sample (models/sample, committed): tested like the others, but
# never exported, and its second reference is the committed ORT output.
SAMPLE = "mobilenet_tiny"
AARCH64_DEFAULT = ["mobilenet_v2", "resnet18"]
INPUT_NAME = export_models.INPUT_NAME

X86 = "x86_64-linux-gnu"
ARM = "aarch64-linux-gnu"


def rel(path):
    return os.path.relpath(path, ROOT)


def from_root(p):
    return p if os.path.isabs(p) else os.path.join(ROOT, p)


def c_ident(name):
    return re.sub(r"[^A-Za-z0-9]", "_", name)


class StepError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


def last_line(text):
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    return lines[-1] if lines else ""


def run(cmd, status, log, timeout, cwd=None):
    """Run cmd; on failure raise StepError(status, last stderr line)."""
    with open(log, "a") as f:
        f.write("$ " + " ".join(shlex.quote(c) for c in cmd) + "\n")
    t0 = time.time()
    try:
        p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        raise StepError(status, f"timed out after {timeout} s: {cmd[0]}")
    except OSError as e:
        raise StepError(status, f"{cmd[0]}: {e.strerror}")
    dt = time.time() - t0
    with open(log, "a") as f:
        f.write(p.stdout + p.stderr + f"[exit {p.returncode}, {dt:.2f} s]\n")
    if p.returncode != 0:
        msg = last_line(p.stderr) or last_line(p.stdout) or f"exit {p.returncode}"
        raise StepError(status, msg)
    return p, dt


def parse_latency(text):
    m = re.search(r"median latency:\s*([0-9.]+)\s*ms", text)
    return float(m.group(1)) if m else None


# ---- comparison ---------------------------------------------------------

def compare_arrays(got, ref):
    """Error statistics of got against ref; 'ok' applies the criterion."""
    out = {"shape": list(ref.shape)}
    if got.shape != ref.shape:
        out.update(ok=False, why=f"shape {list(got.shape)} != {list(ref.shape)}")
        return out
    if (got.dtype.kind in "iub" or ref.dtype.kind in "iub") and got.dtype != ref.dtype:
        out.update(ok=False, why=f"dtype {got.dtype} != {ref.dtype}")
        return out
    if ref.dtype.kind in "iub":  # exact, and exact beyond float64's 2^53
        differ = got != ref
        out.update(ok=not differ.any(), max_abs=0.0 if not differ.any() else float("inf"),
                   max_rel=0.0, tol_ratio=0.0 if not differ.any() else float("inf"),
                   n_fail=int(differ.sum()))
        if differ.any():
            out["worst_index"] = [int(i) for i in np.unravel_index(int(np.argmax(differ)),
                                                                   ref.shape)]
        return out
    g = got.astype(np.float64)
    r = ref.astype(np.float64)
    if g.size == 0:
        out.update(ok=True, max_abs=0.0, max_rel=0.0, tol_ratio=0.0)
        return out
    bad_nonfinite = ~np.isfinite(g) & np.isfinite(r)
    both_nan = np.isnan(g) & np.isnan(r)
    same_inf = np.isinf(g) & np.isinf(r) & (g == r)
    finite = np.isfinite(g) & np.isfinite(r)
    with np.errstate(invalid="ignore"):  # inf - inf where both are inf
        err = np.where(finite, np.abs(g - r), 0.0)
    allowed = ATOL + RTOL * np.abs(r)
    ratio = np.where(finite, err / allowed, 0.0)
    big = finite & (np.abs(r) >= REL_FLOOR)
    relerr = np.where(big, err / np.where(big, np.abs(r), 1.0), 0.0)
    mismatch_nonfinite = (~finite) & ~(both_nan | same_inf)
    ok = not bad_nonfinite.any() and not mismatch_nonfinite.any() and \
        bool((ratio <= 1.0).all())
    worst = int(np.argmax(ratio))
    out.update(
        ok=ok,
        max_abs=float(err.max()),
        max_rel=float(relerr.max()),
        tol_ratio=float(ratio.max()),
        worst_index=[int(i) for i in np.unravel_index(worst, r.shape)],
        n_fail=int((ratio > 1.0).sum() + mismatch_nonfinite.sum()),
    )
    if mismatch_nonfinite.any():
        out["why"] = f"{int(mismatch_nonfinite.sum())} non-finite values differ"
    if r.ndim == 2 and r.shape[0] == 1 and r.shape[1] > 1:
        out["top1_match"] = bool(np.argmax(g) == np.argmax(r))
    return out


def compare_dirs(got_dir, ref_dir):
    """Compare every .npy in ref_dir with the same-named file in got_dir."""
    refs = sorted(f for f in os.listdir(ref_dir) if f.endswith(".npy"))
    if not refs:
        raise StepError("ref-error", f"no reference outputs in {rel(ref_dir)}")
    per_output = {}
    for f in refs:
        gp = os.path.join(got_dir, f)
        if not os.path.exists(gp):
            raise StepError("run-error", f"no output {f} in {rel(got_dir)}")
        per_output[f[:-4]] = compare_arrays(np.load(gp), np.load(os.path.join(ref_dir, f)))
    return per_output


def merge_stats(per_output):
    s = {"ok": all(o["ok"] for o in per_output.values())}
    for k in ("max_abs", "max_rel", "tol_ratio"):
        vals = [o[k] for o in per_output.values() if k in o]
        s[k] = max(vals) if vals else None
    tops = [o["top1_match"] for o in per_output.values() if "top1_match" in o]
    s["top1_match"] = all(tops) if tops else None
    whys = [f"{n}: {o['why']}" for n, o in per_output.items() if "why" in o]
    if whys:
        s["why"] = "; ".join(whys)
    return s


# ---- steps ----------------------------------------------------------------

class Ctx:
    def __init__(self, args):
        self.args = args
        self.models_dir = from_root(args.models_dir)
        self.work = from_root(args.work_dir)
        self.bin = from_root(os.environ.get("KILN_BIN", "build/bin"))
        self.kilnc = os.path.join(self.bin, "kilnc")
        self.kiln_run = os.path.join(self.bin, "kiln-run")
        self.arm_build = from_root(os.environ.get("KILN_AARCH64_BUILD", "build-aarch64"))
        self.target = (ARM if args.aarch64 else X86) + ("-opencl" if args.gpu else "")
        self.timeout = args.timeout


def model_files(ctx, name):
    if name == SAMPLE:
        d = os.path.join(ROOT, "models", "sample")
        return {"onnx": os.path.join(d, SAMPLE + ".onnx"),
                "input": os.path.join(d, "input.npy"),
                "torch": None}
    return export_models.paths(ctx.models_dir, name)


def ort_reference(ctx, name, log):
    """ORT outputs for the model's input, cached under work/<name>/ort."""
    files = model_files(ctx, name)
    out = os.path.join(ctx.work, name, "ort")
    stamp = os.path.join(out, "stamp.json")
    key = {k: [os.path.getsize(files[k]), os.path.getmtime(files[k])]
           for k in ("onnx", "input")}
    key["threads"] = ctx.args.threads
    want_latency = ctx.args.runs > 1
    if os.path.exists(stamp):
        with open(stamp) as f:
            old = json.load(f)
        if old.get("key") == key and (not want_latency or old.get("runs") == ctx.args.runs):
            return out, old.get("latency_ms") if old.get("runs") == ctx.args.runs else None
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    cmd = ["node", os.path.join(ROOT, "tools", "ort", "run_ort.js"), files["onnx"],
           "--input", f"{INPUT_NAME}={files['input']}", "--output-dir", out,
           "--threads", str(ctx.args.threads)]
    if want_latency:
        cmd += ["--runs", str(ctx.args.runs), "--warmup", "2"]
    p, _ = run(cmd, "ref-error", log, ctx.timeout)
    latency = parse_latency(p.stdout)
    with open(stamp, "w") as f:
        json.dump({"key": key, "runs": ctx.args.runs, "latency_ms": latency}, f)
    return out, latency


def ort_vs_torch(ctx, name, ort_dir):
    if model_files(ctx, name)["torch"] is None:
        return None
    torch_out = np.load(model_files(ctx, name)["torch"])
    ort_out = np.load(os.path.join(ort_dir, export_models.OUTPUT_NAME + ".npy"))
    return compare_arrays(ort_out, torch_out)


def kiln_x86(ctx, name, log, res):
    d = os.path.join(ctx.work, name, "x86_64")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    so = os.path.join(d, name + ".so")
    gpu = ["--devices=cpu,gpu"] if ctx.args.gpu else []
    _, dt = run([ctx.kilnc, model_files(ctx, name)["onnx"], f"--target={X86}",
                 "--emit=shared", "-o", so, "--name", c_ident(name)] + gpu +
                ctx.args.kilnc_args.split(),
                "compile-error", log, ctx.timeout)
    res["compile_s"] = round(dt, 2)
    out = os.path.join(d, "out")
    cmd = [ctx.kiln_run, so, "--input", f"{INPUT_NAME}={model_files(ctx, name)['input']}",
           "--output-dir", out, "--threads", str(ctx.args.threads)]
    if ctx.args.gpu:
        # No fallback: a CPU result must not pass for the GPU's.
        cmd += ["--device=gpu", "--cache-dir", os.path.join(d, "clcache")]
    if ctx.args.runs > 1:
        cmd += ["--runs", str(ctx.args.runs), "--warmup", "2"]
    p, dt = run(cmd, "run-error", log, ctx.timeout)
    res["run_s"] = round(dt, 2)
    res["latency_ms"] = parse_latency(p.stdout)
    return out


def find_arm_libs(ctx):
    libs = []
    for dirpath, _, files in os.walk(ctx.arm_build):
        libs += [os.path.join(dirpath, f) for f in files
                 if f.startswith("lib") and f.endswith(".a")]
    order = ["libkiln_run.a", "libkiln_tensor_io.a", "libkilnrt.a"]
    libs.sort(key=lambda p: (order.index(os.path.basename(p))
                             if os.path.basename(p) in order else len(order), p))
    return libs


def aarch64_link(obj, fn, libs, prog, extra=()):
    """The command that links kiln-run (runtime/tools/kiln_run_linked_main.c)
    around the model object `obj` (accessor `fn`) with the cross-built
    runtime `libs` into the static aarch64 program `prog`."""
    return (["aarch64-linux-gnu-gcc", f"-DKILN_LINKED_MODEL_FN={fn}",
             os.path.join(ROOT, "runtime", "tools", "kiln_run_linked_main.c"), obj,
             "-I" + os.path.join(ROOT, "runtime", "include"),
             "-Wl,--start-group", *libs, "-Wl,--end-group", *extra,
             "-lm", "-ldl", "-lpthread"]
            + shlex.split(os.environ.get("KILN_AARCH64_LDFLAGS", "")) + ["-o", prog])


def kiln_aarch64(ctx, name, log, res):
    d = os.path.join(ctx.work, name, "aarch64")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    obj = os.path.join(d, name + ".o")
    fn = "kiln_model_" + c_ident(name)
    gpu = ["--devices=cpu,gpu"] if ctx.args.gpu else []
    _, dt = run([ctx.kilnc, model_files(ctx, name)["onnx"], f"--target={ARM}",
                 "--emit=obj", "-o", obj, "--name", c_ident(name)] + gpu +
                ctx.args.kilnc_args.split(),
                "compile-error", log, ctx.timeout)
    res["compile_s"] = round(dt, 2)
    libs = find_arm_libs(ctx)
    if not libs:
        raise StepError("link-error",
                        f"no lib*.a under {rel(ctx.arm_build)} "
                        "(cmake --preset aarch64-runtime && cmake --build --preset aarch64-runtime)")
    prog = os.path.join(d, name + "-aarch64")
    try:
        run(aarch64_link(obj, fn, libs, prog), "link-error", log, ctx.timeout)
    except StepError as e:
        # A runtime with C++ inside needs libstdc++; try once more with it.
        if not re.search(r"__cxa_|__gxx_|operator (new|delete)|std::", e.message + open(log).read()[-4000:]):
            raise
        run(aarch64_link(obj, fn, libs, prog, ["-lstdc++"]), "link-error", log,
            ctx.timeout)
    out = os.path.join(d, "out")
    cmd = ["qemu-aarch64", "-L", "/usr/aarch64-linux-gnu", prog,
           "--input", f"{INPUT_NAME}={model_files(ctx, name)['input']}", "--output-dir", out,
           "--threads", str(ctx.args.threads)]
    if ctx.args.gpu:
        # The GPU variant where the device has OpenCL; qemu's sysroot has
        # no ICD loader, so there the cross-built executor must fall back.
        cmd += ["--device=gpu", "--fallback=cpu", "--cache-dir", ""]
    p, dt = run(cmd, "run-error", log, ctx.timeout)
    res["run_s"] = round(dt, 2)
    if ctx.args.gpu:
        m = re.search(r"kiln-run: device (gpu|cpu)[^\n]*", p.stderr)
        if not m:
            raise StepError("run-error", "kiln-run did not say which device ran")
        res["device"] = m.group(0).split("device ", 1)[1]
    return out


def test_model(ctx, name):
    res = {"model": name, "target": ctx.target, "status": "pass"}
    d = os.path.join(ctx.work, name)
    os.makedirs(d, exist_ok=True)
    log = os.path.join(d, f"log-{summary_key(ctx.args)}.txt")
    open(log, "w").close()
    res["log"] = rel(log)
    try:
        ort_dir, ort_ms = ort_reference(ctx, name, log)
        res["ort_latency_ms"] = ort_ms
        ref = ort_vs_torch(ctx, name, ort_dir)
        if ref is None:  # the sample: compare with its committed ORT output
            ref = compare_arrays(np.load(os.path.join(ort_dir, export_models.OUTPUT_NAME + ".npy")),
                                 np.load(os.path.join(ROOT, "models", "sample", "expected_output.npy")))
        res["ort_vs_torch"] = {k: ref.get(k) for k in ("ok", "max_abs", "max_rel", "tol_ratio", "top1_match")}
        if not ref["ok"]:
            raise StepError("ref-mismatch",
                            f"onnxruntime and torch disagree (max abs {ref.get('max_abs', float('nan')):.3g}"
                            f"{', ' + ref['why'] if 'why' in ref else ''})")
        if ctx.args.reference_only:
            res.update(max_abs=ref["max_abs"], max_rel=ref["max_rel"],
                       tol_ratio=ref["tol_ratio"], top1_match=ref.get("top1_match"))
            return res
        got = kiln_aarch64(ctx, name, log, res) if ctx.args.aarch64 else kiln_x86(ctx, name, log, res)
        per = compare_dirs(got, ort_dir)
        stats = merge_stats(per)
        res["outputs"] = per
        res.update({k: stats[k] for k in ("max_abs", "max_rel", "tol_ratio", "top1_match")})
        if not stats["ok"]:
            res["status"] = "mismatch"
            res["error"] = stats.get("why", f"tolerance ratio {stats['tol_ratio']:.3g} > 1")
    except StepError as e:
        res["status"] = e.status
        res["error"] = e.message
    except Exception as e:  # a bug here must not hide the other models
        res["status"] = "harness-error"
        res["error"] = f"{type(e).__name__}: {e}"
    return res


# ---- reports --------------------------------------------------------------

def fmt(v, spec):
    return "—" if v is None else format(v, spec)


def status_text(r):
    return "pass" if r["status"] == "pass" else f"FAIL ({r['status']})"


def summary_key(args):
    if args.aarch64:
        return "aarch64-opencl" if args.gpu else "aarch64"
    return "opencl" if args.gpu else "x86_64"


def table_rows(results, reference_only):
    if reference_only:
        head = ["model", "max abs err", "max rel err", "tol. ratio", "top-1", "status"]
    else:
        head = ["model", "max abs err", "max rel err", "tol. ratio", "top-1",
                "compile s", "Kiln ms", "ORT ms", "ORT vs torch", "status"]
    rows = []
    for r in results:
        top = r.get("top1_match")
        top = "—" if top is None else ("same" if top else "differs")
        row = [r["model"], fmt(r.get("max_abs"), ".2e"), fmt(r.get("max_rel"), ".2e"),
               fmt(r.get("tol_ratio"), ".3f"), top]
        if not reference_only:
            ovt = r.get("ort_vs_torch") or {}
            row += [fmt(r.get("compile_s"), ".1f"), fmt(r.get("latency_ms"), ".2f"),
                    fmt(r.get("ort_latency_ms"), ".2f"), fmt(ovt.get("max_abs"), ".1e")]
        row.append(status_text(r))
        rows.append(row)
    return head, rows


def markdown_table(results, reference_only):
    head, rows = table_rows(results, reference_only)
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    errs = [f"- {r['model']}: {r['error']}" for r in results if r.get("error")]
    return "\n".join(lines) + ("\n\n" + "\n".join(errs) if errs else "") + "\n"


def print_table(results, reference_only):
    head, rows = table_rows(results, reference_only)
    w = [max(len(x) for x in col) for col in zip(head, *rows)]
    line = lambda cells: "  ".join(c.ljust(n) for c, n in zip(cells, w))
    print(line(head))
    print(line(["-" * n for n in w]))
    for r in rows:
        print(line(r))
    for r in results:
        if r.get("error"):
            print(f"  {r['model']}: {r['error']}  (log: {r['log']})")


def summary_stem(ctx):
    if ctx.args.reference_only:
        stem = "summary-reference"
    else:
        stem = "summary-" + summary_key(ctx.args)
    return stem + ("-" + ctx.args.tag if ctx.args.tag else "")


def ops_section(work):
    """A table of the ONNX ops each model uses (from the .onnx files present)."""
    models_dir = None
    for key in ("x86_64", "aarch64", "reference"):
        p = os.path.join(work, f"summary-{key}.json")
        if os.path.exists(p):
            with open(p) as f:
                models_dir = json.load(f).get("models_dir")
            if models_dir:
                break
    rows = []
    for name in ALL_MODELS + [SAMPLE]:
        onnx_path = (os.path.join(ROOT, "models", "sample", SAMPLE + ".onnx") if name == SAMPLE
                     else os.path.join(from_root(models_dir or "build/models"), name + ".onnx"))
        if not os.path.exists(onnx_path):
            continue
        counts, notes = export_models.op_summary(onnx_path)
        size = os.path.getsize(onnx_path) / 1e6
        rows.append(f"| {name} | {size:.1f} | "
                    + ", ".join(f"{op} {c}" for op, c in sorted(counts.items()))
                    + " | " + ("<br>".join(notes) or "—") + " |")
    if not rows:
        return None
    return ("## ONNX ops per model\n\n"
            "Node counts as exported (BatchNormalization is folded into Conv by the "
            "exporter; Dropout disappears in eval mode).\n\n"
            "| model | MB | ops (count) | notes |\n|---|---|---|---|\n"
            + "\n".join(rows) + "\n")


def write_docs(work, path):
    """docs/models.md from the summaries present in the work dir."""
    sections = [
        ("x86_64", "Kiln on x86-64 (kilnc --emit=shared, kiln-run), against onnxruntime"),
        ("opencl", "Kiln's OpenCL variant on POCL (kilnc --devices=cpu,gpu, kiln-run "
                   "--device=gpu; POCL runs OpenCL on the CPU), against onnxruntime"),
        ("aarch64", "Kiln on aarch64 (kilnc --target=aarch64-linux-gnu, statically linked, "
                    "run under qemu-aarch64), against onnxruntime"),
        ("reference", "The reference itself: onnxruntime against torch"),
    ]
    parts = [
        "# Model tests\n",
        "Generated by `test/models/run_model_tests.py --write-docs`; do not edit by hand.\n",
        "Seven torchvision architectures (0.14), exported by `scripts/export_models.py` to "
        "ONNX opset 13 with a static 1x3x224x224 input. No pretrained weights are available "
        "offline, so weights are torchvision's initialisers under a fixed per-model seed, "
        "BatchNorm affine parameters are random and BatchNorm statistics are measured on "
        "random images (every layer non-trivial, activations O(1)), and the classifier is "
        "scaled so logits have std ~1. The input is seeded N(0, 1) noise.\n",
        f"**Pass criterion:** {TOLERANCE_TEXT}, with onnxruntime-node 1.30 "
        "(one thread) as the reference; shapes must match. *max rel err* is taken over "
        f"elements with |ort| >= {REL_FLOOR:g}; *tol. ratio* is the largest "
        "error / allowed error (pass iff <= 1); *top-1* says whether the argmax agrees. "
        "onnxruntime is itself checked against torch's output with the same criterion.\n",
    ]
    found = False
    for key, title in sections:
        p = os.path.join(work, f"summary-{key}.json")
        if not os.path.exists(p):
            continue
        with open(p) as f:
            s = json.load(f)
        found = True
        parts.append(f"## {title}\n")
        parts.append(f"Run {s['date']}" + (f", latency: median of {s['runs']} runs, one thread"
                                           if s.get("runs", 1) > 1 else "") + ".\n")
        parts.append(markdown_table(s["results"], key == "reference"))
    ops = ops_section(work)
    if ops:
        parts.append(ops)
    parts.append("## Reproduce\n")
    parts.append("```sh\n"
                 "scripts/build.sh\n"
                 "/usr/bin/python3 test/models/run_model_tests.py --jobs 2            # x86-64\n"
                 "cmake --preset aarch64-runtime && cmake --build --preset aarch64-runtime\n"
                 "/usr/bin/python3 test/models/run_model_tests.py --aarch64           # mobilenet_v2, resnet18\n"
                 "/usr/bin/python3 test/models/run_model_tests.py --reference-only    # ORT vs torch\n"
                 "/usr/bin/python3 test/models/run_model_tests.py --write-docs --summaries-only\n"
                 "```\n")
    if not found:
        return False
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(parts))
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--models", help="comma-separated list (default: all seven; "
                    f"with --aarch64: {','.join(AARCH64_DEFAULT)}); "
                    f"'{SAMPLE}' is the bundled sample in models/sample")
    ap.add_argument("--jobs", "-j", type=int, default=1, help="models tested in parallel")
    ap.add_argument("--gpu", action="store_true",
                    help="compile with --devices=cpu,gpu and run the OpenCL variant "
                         "(kiln-run --device=gpu; POCL in CI)")
    ap.add_argument("--kilnc-args", default="",
                    help="more kilnc flags for the x86-64 compiles, e.g. "
                         "\"--cpu-ops=add\" with --gpu (use --tag to keep its summary apart)")
    ap.add_argument("--aarch64", action="store_true",
                    help="cross-compile, link with build-aarch64's runtime, run under qemu")
    ap.add_argument("--reference-only", action="store_true",
                    help="only export and check onnxruntime against torch")
    ap.add_argument("--runs", type=int, default=1,
                    help="N > 1: also time Kiln (x86_64) and onnxruntime, median of N")
    ap.add_argument("--threads", type=int, default=2,
                    help="threads for Kiln and onnxruntime: the default 2 checks "
                         "Kiln's parallel tasks")
    ap.add_argument("--timeout", type=int, default=900, help="seconds per step")
    ap.add_argument("--models-dir", default="build/models")
    ap.add_argument("--work-dir", default="build/model-tests")
    ap.add_argument("--tag", help="name the summary summary-<target>-TAG (--write-docs "
                    "reads only untagged summaries)")
    ap.add_argument("--write-docs", action="store_true",
                    help="regenerate docs/models.md from the summaries in --work-dir")
    ap.add_argument("--summaries-only", action="store_true",
                    help="with --write-docs: test nothing, only write the docs")
    args = ap.parse_args()
    if args.summaries_only and not args.write_docs:
        ap.error("--summaries-only needs --write-docs")
    if args.reference_only and args.aarch64:
        ap.error("--reference-only and --aarch64 exclude each other")
    ctx = Ctx(args)
    docs = os.path.join(ROOT, "docs", "models.md")
    if args.summaries_only:
        ok = write_docs(ctx.work, docs)
        print(f"model tests: {'wrote ' + rel(docs) if ok else 'no summaries in ' + rel(ctx.work)}")
        return 0 if ok else 1

    names = [m for m in (args.models.split(",") if args.models else
                         (AARCH64_DEFAULT if args.aarch64 else ALL_MODELS)) if m]
    unknown = [m for m in names if m not in ALL_MODELS + [SAMPLE]]
    if unknown:
        ap.error(f"unknown model(s) {','.join(unknown)}; known: {','.join(ALL_MODELS + [SAMPLE])}")

    if not args.reference_only:
        for tool in [ctx.kilnc] + ([] if args.aarch64 else [ctx.kiln_run]):
            if not os.access(tool, os.X_OK):
                print(f"model tests: {rel(tool)} not found: build first (scripts/build.sh) "
                      "or set KILN_BIN", file=sys.stderr)
                return 1
        if args.aarch64:
            for tool in ("aarch64-linux-gnu-gcc", "qemu-aarch64"):
                if not shutil.which(tool):
                    print(f"model tests: {tool} not found (scripts/setup.sh)", file=sys.stderr)
                    return 1
    if not shutil.which("node"):
        print("model tests: node not found", file=sys.stderr)
        return 1

    print(f"model tests: {', '.join(names)} on {'reference' if args.reference_only else ctx.target}")
    crit = TOLERANCE_TEXT
    if args.reference_only:
        crit = crit.replace("kiln - ort", "ort - torch").replace("* |ort|", "* |torch|")
    print(f"model tests: pass iff {crit}")
    # Export one model at a time: torch uses all cores, and memory adds up.
    to_export = [n for n in names if n != SAMPLE]
    p = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "export_models.py"),
                        ctx.models_dir, "--models", ",".join(to_export), "--no-op-table"]
                       ) if to_export else subprocess.CompletedProcess([], 0)
    if p.returncode != 0:
        print("model tests: export failed", file=sys.stderr)
        return 1

    t0 = time.time()
    results = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        futs = {ex.submit(test_model, ctx, n): n for n in names}
        for f in concurrent.futures.as_completed(futs):
            r = f.result()
            results[r["model"]] = r
            extra = f"  max abs {fmt(r.get('max_abs'), '.2e')}"
            if r.get("compile_s") is not None:
                extra += f", compile {r['compile_s']:.1f} s"
            if r.get("device"):
                extra += f", device {r['device']}"
            print(f"  {r['model']:<20} {status_text(r)}{extra}"
                  + (f": {r['error']}" if r.get("error") else ""), flush=True)
    ordered = [results[n] for n in names]

    print()
    print_table(ordered, args.reference_only)
    n_pass = sum(r["status"] == "pass" for r in ordered)
    print(f"\nmodel tests: {n_pass}/{len(ordered)} passed on "
          f"{'reference' if args.reference_only else ctx.target} in {time.time() - t0:.0f} s")

    os.makedirs(ctx.work, exist_ok=True)
    summary = {
        "target": "reference" if args.reference_only else ctx.target,
        "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "tolerance": {"atol": ATOL, "rtol": RTOL, "text": TOLERANCE_TEXT},
        "runs": args.runs,
        "models_dir": rel(ctx.models_dir),
        "results": ordered,
        "passed": n_pass,
        "total": len(ordered),
    }
    stem = os.path.join(ctx.work, summary_stem(ctx))
    with open(stem + ".json", "w") as f:
        json.dump(summary, f, indent=1)
    with open(stem + ".md", "w") as f:
        f.write(markdown_table(ordered, args.reference_only))
    print(f"model tests: summary in {rel(stem)}.json and .md")
    if args.write_docs and write_docs(ctx.work, docs):
        print(f"model tests: wrote {rel(docs)}")
    return 0 if n_pass == len(ordered) else 1


if __name__ == "__main__":
    sys.exit(main())
