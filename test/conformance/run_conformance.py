#!/usr/bin/python3
"""ONNX backend conformance: every case of ONNX's own test data, through Kiln.

    /usr/bin/python3 test/conformance/run_conformance.py [--jobs N]
        [--suites node,simple,...] [--cases REGEX] [--write-docs]
        [--update-xfail] [--no-cache]

For every case directory in /usr/share/libonnx-testdata/data/{node,
pytorch-converted, pytorch-operator, simple} (libonnx-testdata):
  1. kilnc model.onnx --target=x86_64-linux-gnu --emit=shared; where kilnc
     says an input must be a compile-time constant (a shape, axes, pads fed
     as a graph input, or computed from one), again with --freeze-input
     NAME=input_N.pb for the graph input it names; where it
     says an input has a dynamic dimension, again with --input-shape pinned
     to the test input's shape
  2. kiln-run on the other test_data_set_0/input_N.pb (by the graph's names)
  3. every output against test_data_set_0/output_N.pb, per dtype:
        float32   |got - exp| <= 1e-5 + 1e-3 * |exp|
        float16   |got - exp| <= 1e-3 + 1e-2 * |exp|
        float64   |got - exp| <= 1e-8 + 1e-6 * |exp|
        bfloat16  |got - exp| <= 1e-3 + 1e-2 * |exp|  (as float32 values)
        integers, bool: exactly equal
     bfloat16 travels as its uint16 bits (numpy has none; ONNX 1.12's data
     stores it as UINT16). Its tolerance is one bfloat16 ulp (2^-8 relative)
     and more because ONNX 1.12 made test_cast_FLOAT_to_BFLOAT16's expected
     data by truncation, where Kiln (like onnxruntime) rounds to nearest even.
     shapes and dtypes must match; NaN where NaN is expected, the same inf.

Each case ends as one of
  pass         the outputs match
  fail         wrong numbers, wrong shape/dtype, or kiln-run refused the run
  unsupported  kilnc refused the model cleanly: exit 1, one error line
               ('FILE:NODE: error: ...', 'FILE: error: ...' or 'kilnc: error: ...')
  crash        a signal, another exit status, or a diagnostic that is not one
               clean line (kilnc or kiln-run)
  hang         a step ran past --timeout

Expectations: test/conformance/xfail.txt lists the cases that do not pass
today with their status ('fail' or 'unsupported'). The run fails on any
crash or hang, on a case doing worse than listed (a listed 'unsupported' that
now fails counts as worse), and on a listed case that now passes (remove it:
--update-xfail rewrites the list from this run).

Compiled cases are cached in BUILD/conformance/<suite>/<case>/ keyed by the
model's bytes, kilnc's binary and this script, so a rerun only recompiles what changed.
Writes BUILD/conformance/summary.json; --write-docs regenerates docs/ops.md
(test/conformance/ops_table.py). KILN_BIN (default build/bin) holds the tools.
"""

import argparse
import concurrent.futures
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time

import numpy as np
import onnx
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import ops_table  # noqa: E402

DATA = "/usr/share/libonnx-testdata/data"
SUITES = ["node", "pytorch-converted", "pytorch-operator", "simple"]
XFAIL = os.path.join(HERE, "xfail.txt")
TARGET = "x86_64-linux-gnu"

# (atol, rtol) per expected dtype; integers and bool are compared exactly.
TOLERANCES = {np.dtype(np.float32): (1e-5, 1e-3),
              np.dtype(np.float16): (1e-3, 1e-2),
              np.dtype(np.float64): (1e-8, 1e-6)}
BF16_TOLERANCE = (1e-3, 1e-2)  # on bfloat16 outputs, compared as float32
TOLERANCE_TEXT = ("float32 |got-exp| <= 1e-5 + 1e-3*|exp|; float16 1e-3 + 1e-2*|exp|; "
                  "float64 1e-8 + 1e-6*|exp|; bfloat16 1e-3 + 1e-2*|exp|; "
                  "integers and bool exact")

STATUSES = ["pass", "fail", "unsupported", "crash", "hang"]
RANK = {"pass": 0, "unsupported": 1, "fail": 2, "crash": 3, "hang": 3}


class Outcome(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


def rel(path):
    return os.path.relpath(path, ROOT)


def sanitise(name):
    """kiln-run's output file name rule: outside [A-Za-z0-9_.-] becomes '_'."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def lines(text):
    return [l for l in text.splitlines() if l.strip()]


def run(cmd, log, timeout):
    with open(log, "a") as f:
        f.write("$ " + " ".join(shlex.quote(c) for c in cmd) + "\n")
    t0 = time.time()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                           errors="replace")
    except subprocess.TimeoutExpired:
        raise Outcome("hang", f"{os.path.basename(cmd[0])} ran past {timeout} s")
    with open(log, "a") as f:
        f.write(p.stdout + p.stderr + f"[exit {p.returncode}, {time.time() - t0:.2f} s]\n")
    return p


def describe_exit(p, tool):
    if p.returncode < 0:
        return f"{tool} killed by signal {-p.returncode}"
    return f"{tool} exit {p.returncode}: " + (lines(p.stderr) or ["(no message)"])[-1]


# ---- what a case is -------------------------------------------------------

def main_op(name, model):
    """The op a case tests: the only node's, else the node op the name names."""
    ops = [n.op_type for n in model.graph.node if n.op_type != "Constant"] or \
        [n.op_type for n in model.graph.node]
    if len(set(ops)) == 1:
        return ops[0]
    key = name[len("test_"):].replace("_", "").lower() if name.startswith("test_") else name
    # An _expanded case is its op's function body: name it after the op.
    candidates = set(ops) | set(ops_table.REQUIRED_OPS) | ops_table.all_onnx_ops()
    best = ""
    for op in candidates:
        if key.startswith(op.lower()) and len(op) > len(best):
            best = op
    return best or "+".join(sorted(set(ops)))


def opset_of(model):
    for o in model.opset_import:
        if o.domain in ("", "ai.onnx"):
            return o.version
    return None


def discover(suites, pattern):
    rx = re.compile(pattern) if pattern else None
    cases = []
    for suite in suites:
        d = os.path.join(DATA, suite)
        for name in sorted(os.listdir(d)):
            path = os.path.join(d, name)
            if not os.path.isfile(os.path.join(path, "model.onnx")):
                continue
            cid = f"{suite}/{name}"
            if rx and not rx.search(cid):
                continue
            cases.append((cid, path))
    return cases


# ---- comparison -------------------------------------------------------------

def bf16_values(a):
    """bfloat16 bits (uint16) as float32 values; float arrays as they are."""
    if a.dtype != np.uint16:
        return a
    return (a.astype(np.uint32) << 16).view(np.float32)


def compare(got, exp, tolerance=None):
    """None if got matches exp, else why not; `tolerance` (atol, rtol)
    overrides the one of exp's dtype."""
    if got.shape != exp.shape:
        return f"shape {list(got.shape)}, expected {list(exp.shape)}"
    if exp.dtype != got.dtype:
        return f"dtype {got.dtype}, expected {exp.dtype}"
    if exp.size == 0:
        return None
    if tolerance is None and exp.dtype not in TOLERANCES:
        bad = got != exp
        if bad.any():
            i = np.unravel_index(int(np.argmax(bad)), exp.shape)
            return (f"{int(bad.sum())}/{exp.size} elements differ; at {list(map(int, i))} "
                    f"got {got[i]}, expected {exp[i]}")
        return None
    atol, rtol = tolerance or TOLERANCES[exp.dtype]
    g = got.astype(np.float64)
    e = exp.astype(np.float64)
    finite = np.isfinite(e)
    same_special = (np.isnan(e) & np.isnan(g)) | (np.isinf(e) & (g == e))
    with np.errstate(invalid="ignore"):  # inf - inf where both are inf
        err = np.where(finite & np.isfinite(g), np.abs(g - e), np.inf)
    bad = np.where(finite, err > atol + rtol * np.abs(e), ~same_special)
    if bad.any():
        i = np.unravel_index(int(np.argmax(bad)), exp.shape)
        return (f"{int(bad.sum())}/{exp.size} elements out of tolerance; at "
                f"{list(map(int, i))} got {g[i]:.7g}, expected {e[i]:.7g}")
    return None


def max_abs_error(got, exp):
    if got.shape != exp.shape or exp.size == 0 or exp.dtype.kind not in "fc":
        return None
    g = got.astype(np.float64)
    e = exp.astype(np.float64)
    ok = np.isfinite(g) & np.isfinite(e)
    return float(np.abs(g[ok] - e[ok]).max()) if ok.any() else 0.0


def read_pb(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return t


# ---- one case ---------------------------------------------------------------

class Ctx:
    def __init__(self, args):
        self.work = os.path.join(ROOT, args.work_dir) if not os.path.isabs(args.work_dir) \
            else args.work_dir
        bindir = os.environ.get("KILN_BIN", "build/bin")
        bindir = bindir if os.path.isabs(bindir) else os.path.join(ROOT, bindir)
        self.kilnc = os.path.join(bindir, "kilnc")
        self.kiln_run = os.path.join(bindir, "kiln-run")
        self.timeout = args.timeout
        self.cache = not args.no_cache
        # The runner's own retry rules decide the compile too.
        with open(self.kilnc, "rb") as f, open(os.path.abspath(__file__), "rb") as me:
            self.kilnc_hash = hashlib.sha256(f.read() + me.read()).hexdigest()


# kilnc's one error line (docs/compiler.md): FILE:NODE: error: ..., FILE: error:
# ..., FILE:LINE:COL: error: ... or kilnc: error: ...
ERROR_LINE = re.compile(r"^(?:kilnc|\S.*?): error: ")
FREEZE_RX = re.compile(r"input \d+ \('([^']+)'\) must be a compile-time constant")
PIN_RX = re.compile(r"input '([^']+)' has (?:dynamic dimension|no shape)")
BAD_PIN_RX = re.compile(r"bad --input-shape '([^'=]+)=")


def compile_case(ctx, model_path, inputs, d, log):
    """kilnc with a cache keyed by the model and the compiler binary.

    An AOT compiler needs shapes, axes, pads, ... at compile time; the test
    data feeds some of them as graph inputs. When kilnc asks for such an input
    to be a constant, the case is recompiled with that input frozen to the
    test's value (kilnc --freeze-input), as a user pinning it would do.
    """
    so = os.path.join(d, "model.so")
    stamp = os.path.join(d, "compile.json")
    with open(model_path, "rb") as f:
        key = hashlib.sha256(f.read() + ctx.kilnc_hash.encode()).hexdigest()
    if ctx.cache and os.path.exists(stamp):
        with open(stamp) as f:
            cached = json.load(f)
        if cached.get("key") == key and (cached["status"] != "ok" or os.path.exists(so)):
            return cached
    if os.path.exists(so):
        os.remove(so)
    t0 = time.time()
    frozen, pinned = [], {}
    while True:
        try:
            p = run([ctx.kilnc, model_path, f"--target={TARGET}", "--emit=shared", "-o", so,
                     "--name", "model", *[f"--freeze-input={n}={inputs[n]}" for n in frozen],
                     *[f"--input-shape={n}={d}" for n, d in pinned.items()]],
                    log, ctx.timeout)
        except Outcome as o:
            result = {"status": o.status, "message": o.message}
            break
        err = lines(p.stderr)
        if p.returncode == 0:
            result = {"status": "ok"}
        elif p.returncode == 1 and len(err) == 1 and ERROR_LINE.match(err[0]):
            result = {"status": "unsupported",
                      "message": err[0][ERROR_LINE.match(err[0]).end():]}
            # kilnc names the operand, then (when it is computed) the model
            # input it is computed from: freeze the first graph input named.
            names = [n for n in FREEZE_RX.findall(err[0]) if n in inputs and n not in frozen]
            if names:
                frozen.append(names[0])
                continue
            m = PIN_RX.search(err[0])
            if m and m.group(1) in inputs and m.group(1) not in pinned:
                dims = list(read_pb(inputs[m.group(1)]).dims)
                pinned[m.group(1)] = "x".join(map(str, dims))
                continue
            # A shape with a 0 cannot be pinned; an empty axes list can be frozen.
            m = BAD_PIN_RX.search(err[0])
            if m and m.group(1) in pinned and m.group(1) not in frozen:
                del pinned[m.group(1)]
                frozen.append(m.group(1))
                continue
        elif p.returncode == 1:
            result = {"status": "crash",
                      "message": f"kilnc: not one clean diagnostic ({len(err)} lines): "
                      + (err[0] if err else "(none)")}
        else:
            result = {"status": "crash", "message": describe_exit(p, "kilnc")}
        break
    result.update(key=key, seconds=round(time.time() - t0, 2), frozen=frozen, pinned=pinned)
    with open(stamp, "w") as f:
        json.dump(result, f)
    return result


def test_inputs(model, data_dir):
    """{graph input name: input_N.pb}, matched by the tensor's name or position."""
    inits = {t.name for t in model.graph.initializer}
    graph_inputs = [i.name for i in model.graph.input if i.name not in inits]
    files = sorted((f for f in os.listdir(data_dir) if re.fullmatch(r"input_\d+\.pb", f)),
                   key=lambda f: int(f[6:-3]))
    inputs = {}
    for pos, f in enumerate(files):
        path = os.path.join(data_dir, f)
        name = read_pb(path).name
        if name not in graph_inputs:
            if pos >= len(graph_inputs):
                raise Outcome("fail", f"{f} has no graph input to feed")
            name = graph_inputs[pos]
        inputs[name] = path
    return inputs


def run_case(ctx, cid, path):
    res = {"case": cid, "status": "pass"}
    d = os.path.join(ctx.work, cid)
    os.makedirs(d, exist_ok=True)
    log = os.path.join(d, "log.txt")
    open(log, "w").close()
    res["log"] = rel(log)
    try:
        model_path = os.path.join(path, "model.onnx")
        try:
            model = onnx.load(model_path)
            res["op"] = main_op(os.path.basename(path), model)
            res["opset"] = opset_of(model)
        except Exception as e:  # a model even onnx cannot read: kilnc must refuse it
            res["op"], res["opset"] = "(unreadable)", None
            model = None
        data = os.path.join(path, "test_data_set_0")
        inputs = test_inputs(model, data) if model is not None else {}
        c = compile_case(ctx, model_path, inputs, d, log)
        res["compile_s"] = c.get("seconds")
        if c.get("frozen"):
            res["frozen"] = c["frozen"]
        if c.get("pinned"):
            res["pinned"] = c["pinned"]
        if c["status"] != "ok":
            raise Outcome(c["status"], c["message"])
        if model is None:
            raise Outcome("fail", "kilnc compiled a model that onnx cannot load")
        out_dir = os.path.join(d, "out")
        shutil.rmtree(out_dir, ignore_errors=True)
        feeds = [a for n, f in inputs.items() if n not in c["frozen"]
                 for a in ("--input", f"{n}={f}")]
        p = run([ctx.kiln_run, os.path.join(d, "model.so"), *feeds,
                 "--output-dir", out_dir, "--top", "0"], log, ctx.timeout)
        if p.returncode == 1:
            raise Outcome("fail", describe_exit(p, "kiln-run"))
        if p.returncode != 0:
            raise Outcome("crash", describe_exit(p, "kiln-run"))
        worst = None
        for i, out in enumerate(model.graph.output):
            exp_path = os.path.join(data, f"output_{i}.pb")
            if not os.path.exists(exp_path):
                continue
            exp = numpy_helper.to_array(read_pb(exp_path))
            got_path = os.path.join(out_dir, sanitise(out.name) + ".npy")
            if not os.path.exists(got_path):
                raise Outcome("fail", f"kiln-run wrote no output '{out.name}'")
            got = np.load(got_path)
            tolerance = None
            if out.type.tensor_type.elem_type == onnx.TensorProto.BFLOAT16:
                got, exp, tolerance = bf16_values(got), bf16_values(exp), BF16_TOLERANCE
            why = compare(got, exp, tolerance)
            err = max_abs_error(got, exp)
            if err is not None:
                worst = err if worst is None else max(worst, err)
            if why:
                raise Outcome("fail", f"output '{out.name}': {why}")
        res["max_abs"] = worst
    except Outcome as o:
        res["status"], res["error"] = o.status, o.message
    except Exception as e:  # a harness bug must not hide the other cases
        res["status"], res["error"] = "crash", f"harness: {type(e).__name__}: {e}"
    return res


# ---- expectations -----------------------------------------------------------

def read_xfail():
    exp = {}
    if os.path.exists(XFAIL):
        with open(XFAIL) as f:
            for line in f:
                line = line.split("#", 1)[0].strip()
                if line:
                    cid, status = line.split()
                    exp[cid] = status
    return exp


def write_xfail(results):
    with open(XFAIL, "w") as f:
        f.write("# Conformance cases that do not pass today, with their status.\n"
                "# Written by run_conformance.py --update-xfail; shrink it, never grow it\n"
                "# without a reason in the commit message. 'unsupported': kilnc refuses the\n"
                "# model cleanly; 'fail': it compiles but the numbers are wrong.\n")
        for r in sorted(results, key=lambda r: r["case"]):
            if r["status"] in ("fail", "unsupported"):
                f.write(f"{r['case']} {r['status']}\n")


def check_expectations(results, xfail, full_run):
    problems = []
    for r in results:
        s, want = r["status"], xfail.get(r["case"], "pass")
        if s in ("crash", "hang"):
            problems.append(f"{r['case']}: {s}: {r.get('error', '')}")
        elif want == "pass" and s != "pass":
            problems.append(f"{r['case']}: {s} (expected to pass): {r.get('error', '')}")
        elif RANK[s] > RANK[want]:
            problems.append(f"{r['case']}: {s} (listed as {want}): {r.get('error', '')}")
        elif s == "pass" and want != "pass":
            problems.append(f"{r['case']}: passes now; remove it from xfail.txt")
    if full_run:
        seen = {r["case"] for r in results}
        problems += [f"{c}: listed in xfail.txt but no such case" for c in xfail if c not in seen]
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--jobs", "-j", type=int, default=2, help="cases run in parallel")
    ap.add_argument("--suites", default=",".join(SUITES), help="comma-separated")
    ap.add_argument("--cases", help="only cases whose SUITE/NAME matches this regex")
    ap.add_argument("--work-dir", default="build/conformance")
    ap.add_argument("--timeout", type=int, default=120, help="seconds per step")
    ap.add_argument("--no-cache", action="store_true", help="recompile every case")
    ap.add_argument("--update-xfail", action="store_true",
                    help="rewrite xfail.txt from this run (a full run only)")
    ap.add_argument("--write-docs", action="store_true", help="regenerate docs/ops.md")
    ap.add_argument("--verbose", "-v", action="store_true", help="print every case")
    args = ap.parse_args()

    suites = [s for s in args.suites.split(",") if s]
    for s in suites:
        if s not in SUITES:
            print(f"conformance: unknown suite '{s}' ({', '.join(SUITES)})", file=sys.stderr)
            return 2
    if not os.path.isdir(DATA):
        print(f"conformance: {DATA} not found: install libonnx-testdata (scripts/setup.sh)",
              file=sys.stderr)
        return 1
    ctx = Ctx(args)
    cases = discover(suites, args.cases)
    full_run = suites == SUITES and not args.cases
    if (args.update_xfail or args.write_docs) and not full_run:
        print("conformance: --update-xfail and --write-docs need a full run", file=sys.stderr)
        return 2
    print(f"conformance: {len(cases)} cases from {', '.join(suites)}; {TOLERANCE_TEXT}",
          flush=True)
    t0 = time.time()
    results = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        futs = [ex.submit(run_case, ctx, cid, path) for cid, path in cases]
        for f in concurrent.futures.as_completed(futs):
            r = f.result()
            results.append(r)
            if args.verbose or r["status"] in ("crash", "hang"):
                print(f"  {r['case']:<60} {r['status']:<11} {r.get('error', '')}", flush=True)
    results.sort(key=lambda r: r["case"])
    wall = time.time() - t0

    counts = {s: sum(r["status"] == s for r in results) for s in STATUSES}
    line = " / ".join(f"{counts[s]} {s}" for s in STATUSES)
    req = [r for r in results if r.get("op") in ops_table.REQUIRED_OPS]
    req_pass = sum(r["status"] == "pass" for r in req)
    summary = {"date": time.strftime("%Y-%m-%d %H:%M"), "tolerance": TOLERANCE_TEXT,
               "counts": counts, "total": len(results), "seconds": round(wall),
               "required_ops_cases": len(req), "required_ops_pass": req_pass,
               "results": results}
    os.makedirs(ctx.work, exist_ok=True)
    with open(os.path.join(ctx.work, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)

    xfail = read_xfail()
    if args.update_xfail:
        write_xfail(results)
        xfail = read_xfail()
        print(f"conformance: wrote {rel(XFAIL)}")
    if args.write_docs:
        ops_table.write(summary, os.path.join(ROOT, "docs", "ops.md"))
        print("conformance: wrote docs/ops.md")
    problems = check_expectations(results, xfail, full_run)
    for p in problems:
        print("  " + p)
    print(f"\nconformance: {len(results)} cases: {line} in {wall:.0f} s")
    print(f"conformance: cases of the required ops: {req_pass}/{len(req)} pass")
    print(f"conformance: summary in {rel(os.path.join(ctx.work, 'summary.json'))}")
    if problems:
        print(f"conformance: {len(problems)} case(s) not as expected "
              f"(test/conformance/xfail.txt)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
