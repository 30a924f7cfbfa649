#!/usr/bin/python3
"""ARM cost without ARM hardware: instruction counts of Kiln's aarch64 code
under qemu-aarch64, with the kiln-qemu-icount plugin (tools/qemu-icount).

    /usr/bin/python3 scripts/bench_arm.py [--models a,b] [--runs N]
        [--kilnc-args "..."] [--write-docs]

For each model-zoo model (exported by scripts/export_models.py into
--models-dir; missing ones are exported first):
  1. MACs of one inference, from the ONNX graph: every Conv counts
     output elements x (Cin / group) x kh x kw, every Gemm and MatMul output
     elements x K (shapes from onnx shape inference, after folding the shape
     arithmetic that inference cannot see through; no shape is guessed);
  2. kilnc --target=aarch64-linux-gnu --emit=obj, linked statically (-static:
     fixed addresses for the plugin's markers, and libc/libm symbols in the
     per-symbol counts) with the cross-built runtime (build-aarch64) and
     runtime/tools/kiln_run_linked_main.c;
  3. one qemu-aarch64 run with the plugin, --warmup 0 --runs N, with the
     markers start=kiln_session_run,stop=clock_gettime: kiln-run reads the
     clock right before and after each kiln_session_run, so each window is
     one inference and start-up, model loading and output writing stay out;
  4. the outputs of that run are compared with the reference (onnxruntime's
     outputs cached by test/models/run_model_tests.py when node is there,
     else torch's) with the model tests' tolerance: a wrong build is reported
     as FAIL, its counts are not trusted.
Reported per model: instructions per inference, MACs per inference, MACs per
executed instruction, the share of FMA instructions (vector and scalar; a
NEON fmla on float32x4 does 4 MACs), the share of the model's MACs done by
FMA instructions, the instructions outside the windows (start-up, loading),
and the five symbols with most instructions inside the windows. With N > 1
all windows must count the same (the code is deterministic).

Writes BUILD/bench-arm/summary.json (--work-dir) and, with --write-docs, the
table into docs/benchmarks.md between the arm-cost markers
(scripts/benchdoc.py); --write-docs --summary-only rewrites the table from
that summary without measuring.

Environment: KILN_BIN (default build/bin) holds kilnc; KILN_AARCH64_BUILD
(default build-aarch64) is the cross-built runtime; KILN_QEMU_ICOUNT is the
plugin (default build/lib/libkiln_qemu_icount.so).
"""

import argparse
import datetime
import json
import os
import shlex
import shutil
import subprocess
import sys
import time

import numpy as np
import onnx
from onnx import numpy_helper, shape_inference

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "test", "models"))
import benchdoc  # noqa: E402  scripts/benchdoc.py, next to this file
import export_models  # noqa: E402  scripts/export_models.py
import run_model_tests as mt  # noqa: E402  the model tests' comparison

ARM = "aarch64-linux-gnu"
START, STOP = "kiln_session_run", "clock_gettime"
TOP = 5


def rel(path):
    return os.path.relpath(path, ROOT)


def from_root(p):
    return p if os.path.isabs(p) else os.path.join(ROOT, p)


class Failed(Exception):
    pass


def run(cmd, log, timeout):
    with open(log, "a") as f:
        f.write("$ " + " ".join(shlex.quote(c) for c in cmd) + "\n")
    t0 = time.time()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise Failed(f"{os.path.basename(cmd[0])} timed out after {timeout} s")
    with open(log, "a") as f:
        f.write(p.stdout[-20000:] + p.stderr[-20000:]
                + f"[exit {p.returncode}, {time.time() - t0:.1f} s]\n")
    if p.returncode != 0:
        raise Failed(f"{os.path.basename(cmd[0])} failed: "
                     f"{mt.last_line(p.stderr) or mt.last_line(p.stdout)} (log: {rel(log)})")
    return p, time.time() - t0


# ---- MACs from the ONNX graph ----------------------------------------------

def _attr(node, name, default):
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


def _fold_shape_arithmetic(model):
    """Replaces shape computations (Shape of a known shape, and integer ops on
    constants) with Constants, so that shape inference sees the Slice and
    Reshape arguments ShuffleNet computes at run time. Returns True if it
    folded anything."""
    g = model.graph
    consts = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    shapes = {}
    for vi in list(g.input) + list(g.value_info) + list(g.output):
        t = vi.type.tensor_type
        if t.HasField("shape") and all(d.HasField("dim_value") for d in t.shape.dim):
            shapes[vi.name] = [d.dim_value for d in t.shape.dim]
    for n in g.node:
        if n.op_type == "Constant" and n.attribute and n.attribute[0].name == "value":
            consts[n.output[0]] = numpy_helper.to_array(n.attribute[0].t)

    def val(name):
        return consts.get(name) if name else None

    folded = False
    for i, n in enumerate(g.node):
        if n.op_type == "Constant" or n.output[0] in consts:
            continue
        ins = [val(x) for x in n.input]
        out = None
        op = n.op_type
        if op == "Shape" and n.input[0] in shapes:
            out = np.array(shapes[n.input[0]], dtype=np.int64)
        elif any(x is None for x in ins[:1]) or not ins:
            continue
        elif op in ("Add", "Sub", "Mul", "Div") and all(x is not None for x in ins):
            a, b = ins
            if op == "Div" and a.dtype.kind in "iu":
                out = (np.trunc(a / b)).astype(a.dtype)
            else:
                out = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply,
                       "Div": np.divide}[op](a, b).astype(a.dtype)
        elif op == "Gather" and all(x is not None for x in ins):
            out = np.take(ins[0], ins[1], axis=_attr(n, "axis", 0))
        elif op == "Concat" and all(x is not None for x in ins):
            out = np.concatenate(ins, axis=_attr(n, "axis", 0))
        elif op == "Unsqueeze" and len(ins) == 2 and ins[1] is not None:
            out = ins[0]
            for ax in sorted(int(a) % (ins[0].ndim + len(ins[1])) for a in ins[1]):
                out = np.expand_dims(out, ax)
        elif op == "Cast":
            out = ins[0].astype(onnx.helper.tensor_dtype_to_np_dtype(_attr(n, "to", 1)))
        if out is None:
            continue
        const = onnx.helper.make_node("Constant", [], [n.output[0]],
                                      value=numpy_helper.from_array(np.asarray(out)))
        g.node.remove(n)
        g.node.insert(i, const)
        consts[n.output[0]] = np.asarray(out)
        folded = True
    return folded


def model_macs(onnx_path):
    """MACs of one inference per op type: {'Conv': ..., 'Gemm': ...}."""
    model = onnx.load(onnx_path)
    for _ in range(8):
        model = shape_inference.infer_shapes(model, data_prop=True)
        if not _fold_shape_arithmetic(model):
            break
    g = model.graph
    shapes = {i.name: list(i.dims) for i in g.initializer}
    for vi in list(g.input) + list(g.value_info) + list(g.output):
        t = vi.type.tensor_type
        if t.HasField("shape") and all(d.HasField("dim_value") for d in t.shape.dim):
            shapes[vi.name] = [d.dim_value for d in t.shape.dim]

    def shape(name, node):
        if name not in shapes:
            raise Failed(f"no static shape for {name} ({node.op_type} {node.name})")
        return shapes[name]

    macs = {}
    for n in g.node:
        if n.op_type == "Conv":
            # weight [Cout, Cin/group, kh, kw]: each output element is one dot
            # product of Cin/group x kh x kw terms.
            k = int(np.prod(shape(n.input[1], n)[1:]))
        elif n.op_type == "Gemm":
            a = shape(n.input[0], n)
            k = a[0] if _attr(n, "transA", 0) else a[1]
        elif n.op_type == "MatMul":
            k = shape(n.input[0], n)[-1]
        elif n.op_type in ("ConvTranspose", "Einsum", "ConvInteger", "QLinearConv",
                           "MatMulInteger", "QLinearMatMul"):
            raise Failed(f"MACs of {n.op_type} are not counted yet")
        else:
            continue
        macs[n.op_type] = macs.get(n.op_type, 0) + int(np.prod(shape(n.output[0], n))) * k
    return macs


# ---- build and run ------------------------------------------------------------

def reference(ctx, name, log):
    """Directory of reference outputs (.npy): onnxruntime's if node is
    available (cached by the model tests), else torch's."""
    if shutil.which("node") and os.path.exists(os.path.join(ROOT, "tools", "ort",
                                                             "node_modules")):
        try:
            out, _ = mt.ort_reference(ctx, name, log)
            return out, "onnxruntime"
        except mt.StepError as e:
            raise Failed(f"reference: {e.message}")
    d = os.path.join(ctx.bench_work, name, "torch-ref")
    os.makedirs(d, exist_ok=True)
    np.save(os.path.join(d, export_models.OUTPUT_NAME + ".npy"),
            np.load(export_models.paths(ctx.models_dir, name)["torch"]))
    return d, "torch"


def bench_model(ctx, name):
    args = ctx.opts
    res = {"model": name, "status": "pass"}
    d = os.path.join(ctx.bench_work, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    log = os.path.join(d, "log.txt")
    open(log, "w").close()
    res["log"] = rel(log)
    files = export_models.paths(ctx.models_dir, name)
    try:
        macs = model_macs(files["onnx"])
        res["model_macs"] = sum(macs.values())
        res["model_macs_by_op"] = macs

        obj = os.path.join(d, name + ".o")
        ident = mt.c_ident(name)
        _, dt = run([ctx.kilnc, files["onnx"], f"--target={ARM}", "--emit=obj", "-o", obj,
                     "--name", ident] + shlex.split(args.kilnc_args), log, args.timeout)
        res["compile_s"] = round(dt, 1)
        libs = mt.find_arm_libs(ctx)
        if not libs:
            raise Failed(f"no lib*.a under {rel(ctx.arm_build)} (cmake --preset "
                         "aarch64-runtime && cmake --build --preset aarch64-runtime)")
        prog = os.path.join(d, name + "-aarch64")
        run(["aarch64-linux-gnu-gcc", "-static", f"-DKILN_LINKED_MODEL_FN=kiln_model_{ident}",
             os.path.join(ROOT, "runtime", "tools", "kiln_run_linked_main.c"), obj,
             "-I" + os.path.join(ROOT, "runtime", "include"),
             "-Wl,--start-group", *libs, "-Wl,--end-group", "-lm", "-lpthread", "-o", prog],
            log, args.timeout)

        counts = os.path.join(d, "icount.json")
        out = os.path.join(d, "out")
        _, dt = run([args.qemu, "-plugin",
                     f"{ctx.plugin},out={counts},start={START},stop={STOP}", prog,
                     "--input", f"{export_models.INPUT_NAME}={files['input']}",
                     "--output-dir", out, "--warmup", "0", "--runs", str(args.runs),
                     "--top", "0"], log, args.timeout)
        res["qemu_s"] = round(dt, 1)

        ref_dir, res["reference"] = reference(ctx, name, log)
        try:
            stats = mt.merge_stats(mt.compare_dirs(out, ref_dir))
        except mt.StepError as e:
            raise Failed(e.message)
        res["max_abs"], res["tol_ratio"] = stats["max_abs"], stats["tol_ratio"]
        if not stats["ok"]:
            res["status"] = "mismatch"
            res["error"] = stats.get("why", f"tolerance ratio {stats['tol_ratio']:.3g} > 1 "
                                     f"against {res['reference']}")

        with open(counts) as f:
            c = json.load(f)
        wins = [w["counts"] for w in c["windows"]]
        if len(wins) != args.runs:
            raise Failed(f"{len(wins)} marker windows for {args.runs} inference(s): "
                         f"the markers {START}/{STOP} do not bracket the runs")
        if any(w != wins[0] for w in wins):
            raise Failed("inferences executed different instruction counts: "
                         + ", ".join(str(w["insns"]) for w in wins))
        w = wins[0]
        res.update(
            insns=w["insns"], vector_fma=w["vector_fma"], scalar_fma=w["scalar_fma"],
            fma_macs=w["macs"], outside_insns=c["total"]["insns"] - c["in_windows"]["insns"],
            macs_per_insn=res["model_macs"] / w["insns"],
            fma_share=(w["vector_fma"] + w["scalar_fma"]) / w["insns"],
            vector_fma_share=w["vector_fma"] / w["insns"],
            fma_mac_share=w["macs"] / res["model_macs"] if res["model_macs"] else None,
            top=[{"name": s["name"], "insns": s["window"]["insns"] // args.runs,
                  "vector_fma": s["window"]["vector_fma"] // args.runs,
                  "macs": s["window"]["macs"] // args.runs}
                 for s in sorted(c["symbols"], key=lambda s: -s["window"]["insns"])[:TOP]
                 if s["window"]["insns"]])
    except Failed as e:
        res["status"] = "error"
        res["error"] = str(e)
    except Exception as e:  # a bug here must not hide the other models
        res["status"] = "harness-error"
        res["error"] = f"{type(e).__name__}: {e}"
    return res


# ---- reports ----------------------------------------------------------------

def fmt(v, spec, scale=1.0):
    return "—" if v is None else format(v / scale, spec)


def share(part, whole):
    v = 100 * part / whole
    return f"{v:.1f}%" if v >= 0.05 or v == 0 else "<0.1%"


def top_text(r, sep):
    return sep.join(f"{t['name']} {share(t['insns'], r['insns'])}" for t in r.get("top", []))


HEAD = ["model", "MACs (M)", "instructions / inference (M)", "MACs / instruction",
        "FMA instr.", "vector FMA instr.", "FMA MACs / model MACs",
        "start-up + load (M instr.)",
        "top symbols (share of instructions)", "output"]


def rows(results):
    out = []
    for r in results:
        ok = r["status"] == "pass"
        check = (f"ok ({r['reference']}, tol. ratio {r['tol_ratio']:.3f})" if ok
                 else f"FAIL ({r['status']})")
        pct = lambda v: "—" if v is None else share(v, 1)  # noqa: E731
        out.append([r["model"], fmt(r.get("model_macs"), ".1f", 1e6),
                    fmt(r.get("insns"), ".1f", 1e6), fmt(r.get("macs_per_insn"), ".3f"),
                    pct(r.get("fma_share")), pct(r.get("vector_fma_share")),
                    pct(r.get("fma_mac_share")), fmt(r.get("outside_insns"), ".1f", 1e6),
                    top_text(r, "<br>") or "—", check])
    return out


def markdown(summary):
    lines = ["| " + " | ".join(HEAD) + " |", "|" + "|".join("---" for _ in HEAD) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows(summary["results"])]
    errs = [f"- {r['model']}: {r['error']}" for r in summary["results"] if r.get("error")]
    kargs = f" `{summary['kilnc_args']}`" if summary["kilnc_args"] else ""
    note = (f"\nMeasured {summary['date']} with {summary['qemu']}, kilnc{kargs} "
            f"--target={ARM}, {summary['runs']} inference(s) per model.\n")
    return "\n".join(lines) + ("\n\n" + "\n".join(errs) if errs else "") + "\n" + note


def print_table(results):
    body = [r[:-2] + [top_text(res, ", ") or "—", r[-1]] for r, res in zip(rows(results), results)]
    w = [max(len(x) for x in col) for col in zip(HEAD, *body)]
    for cells in [HEAD, ["-" * n for n in w]] + body:
        print("  ".join(c.ljust(n) for c, n in zip(cells, w)).rstrip())
    for r in results:
        if r.get("error"):
            print(f"  {r['model']}: {r['error']}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--models", help="comma-separated (default: all seven)")
    ap.add_argument("--runs", type=int, default=1,
                    help="inferences per qemu run (each one a window; default 1)")
    ap.add_argument("--kilnc-args", default="", help="extra kilnc arguments, e.g. "
                    "\"--mcpu=cortex-a76\"")
    ap.add_argument("--qemu", default="qemu-aarch64")
    ap.add_argument("--timeout", type=int, default=3600, help="seconds per step")
    ap.add_argument("--models-dir", default="build/models")
    ap.add_argument("--work-dir", default="build/bench-arm")
    ap.add_argument("--write-docs", action="store_true",
                    help="write the table into docs/benchmarks.md (arm-cost markers)")
    ap.add_argument("--summary-only", action="store_true",
                    help="with --write-docs: measure nothing, write the table from "
                    "WORK-DIR/summary.json")
    args = ap.parse_args()
    if args.runs < 1:
        ap.error("--runs must be >= 1")
    if args.summary_only:
        if not args.write_docs:
            ap.error("--summary-only needs --write-docs")
        with open(os.path.join(from_root(args.work_dir), "summary.json")) as f:
            summary = json.load(f)
        print_table(summary["results"])
        benchdoc.write_block("arm-cost", markdown(summary))
        print("bench_arm: wrote docs/benchmarks.md (arm-cost)")
        return 0
    names = args.models.split(",") if args.models else export_models.MODELS
    unknown = [m for m in names if m not in export_models.MODELS]
    if unknown:
        ap.error(f"unknown model(s) {','.join(unknown)}; known: "
                 f"{','.join(export_models.MODELS)}")

    # The model tests' context (their reference cache, build-aarch64's
    # libraries) with this script's options beside it.
    # (threads: the onnxruntime reference runs with one; the counts are of
    # single-threaded inferences.)
    ctx = mt.Ctx(argparse.Namespace(models_dir=args.models_dir, work_dir="build/model-tests",
                                    aarch64=True, timeout=args.timeout, runs=1,
                                    threads=1))
    ctx.opts = args
    ctx.bench_work = from_root(args.work_dir)
    ctx.plugin = from_root(os.environ.get("KILN_QEMU_ICOUNT",
                                          "build/lib/libkiln_qemu_icount.so"))
    for path in (ctx.kilnc, ctx.plugin):
        if not os.path.exists(path):
            sys.exit(f"bench_arm: {rel(path)} not found (scripts/build.sh)")
    for tool in ("aarch64-linux-gnu-gcc", args.qemu):
        if not shutil.which(tool):
            sys.exit(f"bench_arm: {tool} not found (scripts/setup.sh)")

    p = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "export_models.py"),
                        ctx.models_dir, "--models", ",".join(names), "--no-op-table"])
    if p.returncode != 0:
        sys.exit("bench_arm: export failed")

    results = []
    for name in names:
        t0 = time.time()
        r = bench_model(ctx, name)
        results.append(r)
        print(f"  {name:<20} {r['status']}"
              + (f"  {r['insns'] / 1e6:.1f} M instr., {r['macs_per_insn']:.3f} MACs/instr."
                 if "insns" in r else "")
              + (f": {r['error']}" if r.get("error") else "")
              + f"  ({time.time() - t0:.0f} s)", flush=True)
    print()
    print_table(results)

    qemu_version = subprocess.run([args.qemu, "--version"], capture_output=True,
                                  text=True).stdout.splitlines()[0]
    summary = {"date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
               "qemu": qemu_version, "runs": args.runs, "kilnc_args": args.kilnc_args,
               "markers": [START, STOP], "results": results}
    os.makedirs(ctx.bench_work, exist_ok=True)
    path = os.path.join(ctx.bench_work, "summary.json")
    with open(path, "w") as f:
        json.dump(summary, f, indent=1)
    print(f"\nbench_arm: summary in {rel(path)}")
    if args.write_docs:
        benchdoc.write_block("arm-cost", markdown(summary))
        print("bench_arm: wrote docs/benchmarks.md (arm-cost)")
    return 0 if all(r["status"] == "pass" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
