#!/usr/bin/python3
"""Op-level numerical tests: Kiln against onnxruntime, one small model per case.

    /usr/bin/python3 test/ops/run_op_tests.py [--jobs N] [--cases REGEX]
        [--list] [--work-dir DIR] [--timeout S]

For every positive case in test/ops/cases.py (a single ONNX op, or a few,
with seeded random inputs):
  1. write BUILD/op-tests/<case>/case.onnx and its inputs (.npy);
  2. run onnxruntime on them (tools/ort/run_ort.js, one thread);
  3. compile with kilnc --target=x86_64-linux-gnu --emit=shared;
  4. run with kiln-run on the same inputs;
  5. compare every output with onnxruntime's, with the model tests' criterion
        |kiln - ort| <= 1e-4 + 1e-3 * |ort|   for every element
     (shapes must match; test/models/run_model_tests.py's compare_arrays).

Every negative case must be refused by kilnc: exit status 1 and exactly one
stderr line, kilnc's error line ('FILE:NODE: error: ...', 'FILE: error: ...' or
'kilnc: error: ...'), that names the op and the node. Exit
status 0 (accepted), > 1 or a signal (a crash), or another diagnostic fails.

Prints a table (case, op, status, max abs error, tolerance ratio) and writes
BUILD/op-tests/summary.json. Exit status: 0 iff every case passed.

Environment: KILN_BIN (default build/bin) holds kilnc and kiln-run.
"""

import argparse
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import time

import numpy as np
import onnx

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "test", "models"))
sys.path.insert(0, HERE)
import run_model_tests as mt  # noqa: E402  (comparison, tolerance, step runner)
import cases as op_cases  # noqa: E402

# kilnc's one error line (docs/compiler.md): FILE:NODE: error: ..., FILE: error:
# ..., FILE:LINE:COL: error: ... or kilnc: error: ...
ERROR_LINE = re.compile(r"^(?:kilnc|\S.*?): error: ")

X86 = mt.X86


def case_dir(work, name):
    return os.path.join(work, name)


def write_case(c, d):
    """Build the case's model and inputs under d; returns (onnx path, feeds)."""
    model, feeds = c.build()
    onnx.checker.check_model(model)
    # The importer runs ONNX shape inference in strict mode: a case must pass it.
    onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    path = os.path.join(d, "case.onnx")
    onnx.save(model, path)
    files = {}
    os.makedirs(os.path.join(d, "inputs"), exist_ok=True)
    for name, arr in feeds.items():
        f = os.path.join(d, "inputs", name + ".npy")
        np.save(f, arr)
        files[name] = f
    return path, files


def input_args(files):
    out = []
    for name, f in files.items():
        out += ["--input", f"{name}={f}"]
    return out


def kilnc_cmd(ctx, onnx_path, out, name):
    return [ctx.kilnc, onnx_path, f"--target={X86}", "--emit=shared", "-o", out,
            "--name", mt.c_ident(name)] + (["--devices=cpu,gpu", "--stats"] if ctx.gpu else [])


def test_positive(ctx, c):
    res = {"case": c.name, "op": c.op, "status": "pass"}
    d = case_dir(ctx.work, c.name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    log = os.path.join(d, "log.txt")
    open(log, "w").close()
    res["log"] = mt.rel(log)
    try:
        try:
            onnx_path, files = write_case(c, d)
        except Exception as e:
            raise mt.StepError("case-error", f"{type(e).__name__}: {e}".splitlines()[0])
        ort_dir = os.path.join(d, "ort")
        mt.run(["node", os.path.join(ROOT, "tools", "ort", "run_ort.js"), onnx_path,
                *input_args(files), "--output-dir", ort_dir, "--threads", "1"],
               "ref-error", log, ctx.timeout)
        if ctx.reference_only:
            res["status"] = "ref-ok"
            return res
        so = os.path.join(d, c.name + ".so")
        p, dt = mt.run(kilnc_cmd(ctx, onnx_path, so, c.name), "compile-error", log,
                       ctx.timeout)
        res["compile_s"] = round(dt, 2)
        if ctx.gpu:
            # Ops without an OpenCL kernel run in CPU segments; a case with
            # none for the GPU has no GPU variant: reported, not failed.
            m = re.search(r"no op can run on the GPU.*\(first: (.*)\)", p.stderr)
            if m:
                res["status"] = "no-opencl"
                res["error"] = m.group(1)
                return res
            m = re.search(r"gpu variant segments: (\d+) gpu, (\d+) cpu", p.stderr)
            res["cpu_segments"] = int(m.group(2)) if m else 0
        got_dir = os.path.join(d, "kiln")
        gpu = ["--device=gpu", "--cache-dir", os.path.join(d, "clcache")] if ctx.gpu else []
        mt.run([ctx.kiln_run, so, *input_args(files), "--output-dir", got_dir] + gpu,
               "run-error", log, ctx.timeout)
        per = mt.compare_dirs(got_dir, ort_dir)
        stats = mt.merge_stats(per)
        res["outputs"] = per
        res.update({k: stats[k] for k in ("max_abs", "max_rel", "tol_ratio")})
        if not stats["ok"]:
            res["status"] = "mismatch"
            res["error"] = stats.get("why", f"tolerance ratio {stats['tol_ratio']:.3g} > 1")
            bad = [n for n, o in per.items() if not o["ok"]]
            for n in bad:
                o = per[n]
                if "worst_index" in o:
                    idx = tuple(o["worst_index"])
                    g = np.load(os.path.join(got_dir, n + ".npy"))
                    r = np.load(os.path.join(ort_dir, n + ".npy"))
                    res["error"] += (f"; {n}{list(idx)}: kiln {g[idx]:.6g}, ort {r[idx]:.6g}"
                                     f", {o['n_fail']}/{r.size} elements out of tolerance")
                elif "why" in o:
                    res["error"] = f"{n}: {o['why']}"
    except mt.StepError as e:
        res["status"] = e.status
        res["error"] = e.message
    except Exception as e:  # a harness bug must not hide the other cases
        res["status"] = "harness-error"
        res["error"] = f"{type(e).__name__}: {e}"
    return res


def test_negative(ctx, c):
    res = {"case": c.name, "op": c.op, "status": "pass", "negative": True}
    d = case_dir(ctx.work, c.name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    log = os.path.join(d, "log.txt")
    res["log"] = mt.rel(log)
    try:
        onnx_path, _ = write_case(c, d)
        if ctx.reference_only:
            res["status"] = "ref-ok"
            return res
        cmd = kilnc_cmd(ctx, onnx_path, os.path.join(d, c.name + ".so"), c.name)
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=ctx.timeout)
        except subprocess.TimeoutExpired:
            raise mt.StepError("timeout", f"kilnc timed out after {ctx.timeout} s")
        with open(log, "w") as f:
            f.write("$ " + " ".join(cmd) + "\n" + p.stdout + p.stderr +
                    f"[exit {p.returncode}]\n")
        lines = [l for l in p.stderr.splitlines() if l.strip()]
        res["diagnostic"] = lines[0] if len(lines) == 1 else " | ".join(lines[:3])
        if p.returncode == 0:
            raise mt.StepError("accepted", "kilnc compiled a model it should refuse")
        if p.returncode < 0:
            raise mt.StepError("crash", f"kilnc killed by signal {-p.returncode}: "
                               + (mt.last_line(p.stderr) or "no message"))
        if p.returncode != 1:
            raise mt.StepError("crash", f"kilnc exit status {p.returncode} (want 1): "
                               + (mt.last_line(p.stderr) or "no message"))
        if len(lines) != 1:
            raise mt.StepError("bad-diagnostic", f"{len(lines)} stderr lines (want 1): "
                               + res["diagnostic"])
        line = lines[0]
        missing = [s for s in c.expect if s not in line]
        if not ERROR_LINE.match(line) or missing:
            raise mt.StepError("bad-diagnostic", (f"does not name {', '.join(missing)}: "
                                                  if missing else "not a kilnc error line: ")
                               + line)
    except mt.StepError as e:
        res["status"] = e.status
        res["error"] = e.message
    except Exception as e:
        res["status"] = "harness-error"
        res["error"] = f"{type(e).__name__}: {e}"
    return res


def fmt(v, spec):
    return "-" if v is None else format(v, spec)


def print_table(results):
    head = ["case", "op", "status", "max abs err", "tol. ratio"]
    rows = []
    for r in results:
        status = (r["status"] if r["status"] in ("pass", "ref-ok")
                  else "no OpenCL kernel" if r["status"] == "no-opencl"
                  else f"FAIL ({r['status']})")
        if r.get("negative"):
            rows.append([r["case"], r["op"], status, "refused" if r["status"] == "pass" else "-",
                         "-"])
        else:
            rows.append([r["case"], r["op"], status, fmt(r.get("max_abs"), ".2e"),
                         fmt(r.get("tol_ratio"), ".3f")])
    w = [max(len(x) for x in col) for col in zip(head, *rows)]
    line = lambda cells: "  ".join(c.ljust(n) for c, n in zip(cells, w)).rstrip()
    print(line(head))
    print(line(["-" * n for n in w]))
    for row in rows:
        print(line(row))
    failed = [r for r in results if r["status"] not in ("pass", "ref-ok")]
    if failed:
        print("\nfailures:")
        for r in failed:
            print(f"  {r['case']}: {r.get('error', '')}  (log: {r['log']})")


class Ctx:
    def __init__(self, args):
        self.work = mt.from_root(args.work_dir)
        self.bin = mt.from_root(os.environ.get("KILN_BIN", "build/bin"))
        self.kilnc = os.path.join(self.bin, "kilnc")
        self.kiln_run = os.path.join(self.bin, "kiln-run")
        self.timeout = args.timeout
        self.reference_only = args.reference_only
        self.gpu = args.gpu


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--jobs", "-j", type=int, default=2, help="cases run in parallel")
    ap.add_argument("--cases", help="only cases whose name matches this regex (re.search)")
    ap.add_argument("--list", action="store_true", help="list the cases and exit")
    ap.add_argument("--work-dir", default=None,
                    help="default build/op-tests (build/op-tests-gpu with --gpu)")
    ap.add_argument("--gpu", action="store_true",
                    help="compile with --devices=cpu,gpu and run the OpenCL variant "
                         "(kiln-run --device=gpu); cases whose ops have no OpenCL "
                         "kernel are counted apart, negative cases skipped")
    ap.add_argument("--reference-only", action="store_true",
                    help="only build the cases and run onnxruntime on them (checks the "
                    "cases themselves; needs no Kiln binaries)")
    ap.add_argument("--timeout", type=int, default=300, help="seconds per step")
    args = ap.parse_args()

    all_cases = op_cases.CASES + ([] if args.gpu else op_cases.NEGATIVE)
    args.work_dir = args.work_dir or ("build/op-tests-gpu" if args.gpu else "build/op-tests")
    if args.cases:
        rx = re.compile(args.cases)
        all_cases = [c for c in all_cases if rx.search(c.name)]
    if args.list:
        for c in all_cases:
            print(f"{c.name:<36} {c.op}{'  (negative)' if c.negative else ''}")
        return 0
    if not all_cases:
        print("op tests: no case matches", file=sys.stderr)
        return 1
    ctx = Ctx(args)
    for tool in () if args.reference_only else (ctx.kilnc, ctx.kiln_run):
        if not os.access(tool, os.X_OK):
            print(f"op tests: {mt.rel(tool)} not found: build first (scripts/build.sh) "
                  "or set KILN_BIN", file=sys.stderr)
            return 1
    if not shutil.which("node"):
        print("op tests: node not found", file=sys.stderr)
        return 1
    os.makedirs(ctx.work, exist_ok=True)
    n_pos = sum(not c.negative for c in all_cases)
    print(f"op tests: {n_pos} cases against onnxruntime, {len(all_cases) - n_pos} "
          f"negative; pass iff {mt.TOLERANCE_TEXT}", flush=True)

    t0 = time.time()
    results = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        futs = [ex.submit(test_negative if c.negative else test_positive, ctx, c)
                for c in all_cases]
        for f in concurrent.futures.as_completed(futs):
            r = f.result()
            results[r["case"]] = r
            if r["status"] not in ("pass", "ref-ok", "no-opencl"):
                print(f"  {r['case']:<36} FAIL ({r['status']}): {r.get('error', '')}",
                      flush=True)
    ordered = [results[c.name] for c in all_cases]
    print()
    print_table(ordered)
    ok = "ref-ok" if args.reference_only else "pass"
    n_pass = sum(r["status"] == ok for r in ordered)
    no_cl = [r for r in ordered if r["status"] == "no-opencl"]
    if no_cl:
        ops = sorted({r["op"] for r in no_cl})
        print(f"\nop tests: {len(no_cl)} cases have ops without an OpenCL kernel "
              f"(not run): {', '.join(ops)}")
    mixed = [r for r in ordered if r.get("cpu_segments")]
    if mixed:
        print(f"\nop tests: {len(mixed)} cases ran partitioned (GPU and CPU segments): "
              f"{', '.join(sorted({r['op'] for r in mixed}))}")
    print(f"\nop tests: {n_pass}/{len(ordered) - len(no_cl)} passed"
          f"{' on the OpenCL variant' if args.gpu else ''} in {time.time() - t0:.0f} s")
    with open(os.path.join(ctx.work, "summary.json"), "w") as f:
        json.dump({"tolerance": {"atol": mt.ATOL, "rtol": mt.RTOL, "text": mt.TOLERANCE_TEXT},
                   "results": ordered, "passed": n_pass, "total": len(ordered)}, f, indent=1)
    print(f"op tests: summary in {mt.rel(os.path.join(ctx.work, 'summary.json'))}")
    return 0 if n_pass == len(ordered) - len(no_cl) else 1


if __name__ == "__main__":
    sys.exit(main())
