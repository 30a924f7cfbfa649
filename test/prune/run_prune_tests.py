#!/usr/bin/python3
"""Pattern pruning end to end: kilnc --prune=pattern against an independent
NumPy implementation of the same pruning, run by onnxruntime.

    /usr/bin/python3 test/prune/run_prune_tests.py [--models a,b]
        [--connectivity 0,0.71875] [--kilnc-args "--mcpu=native ..."]
        [--write-docs]

For each model (default: the bundled sample, ResNet18 and MobileNetV2) and
each connectivity rate (0: patterns only, 2.25x fewer 3x3 weights;
0.71875: patterns + connectivity, 8x):
  1. prune_onnx() below prunes every 3x3 Conv's constant weights as
     docs/passes.md#pattern-pruning says (the same ties), and writes the
     pruned ONNX model;
  2. kilnc --prune=pattern --prune-report compiles the dense model; its
     pattern set and per-layer non-zero counts must equal NumPy's;
  3. Kiln's output must equal onnxruntime's on the NumPy-pruned model
     (|kiln - ort| <= 1e-4 + 1e-3 |ort|, the model tests' criterion);
  4. detection: kilnc on the NumPy-pruned model must report it already
     pattern-sparse and, with --prune=pattern, produce bit for bit the
     output it produces without (no further pruning, no numerical change);
  5. with --aarch64, the pruned model is also cross-compiled for
     aarch64-linux-gnu, linked with the cross-built runtime and run under
     qemu-aarch64; its output must equal onnxruntime's too;
  6. --kilnc-args go to every x86-64 compile (e.g. --mcpu=native for the
     AVX-512 tiles, --autotune);
  7. reported: the output error of the pruned model against the dense one
     (relative L2 of the logits, top-1 agreement) on the model's sample
     input. The zoo's weights are seeded, not trained: these errors say
     how much pruning moves the function, not accuracy.
Exit status 0 iff every check passed; --write-docs puts the table into
docs/benchmarks.md ("prune-accuracy").
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
sys.path.insert(0, os.path.join(ROOT, "test", "models"))
import benchdoc  # noqa: E402
import export_models  # noqa: E402
from run_model_tests import compare_arrays  # noqa: E402
import run_model_tests  # noqa: E402

BIN = os.environ.get("KILN_BIN", os.path.join(ROOT, "build", "bin"))
SAMPLE = os.path.join(ROOT, "models", "sample")
CENTRE = 1 << 4


def candidate(kernel):
    """Centre + the 3 other taps of largest magnitude (ties: lower tap)."""
    others = sorted((t for t in range(9) if t != 4),
                    key=lambda t: (-abs(float(kernel[t])), t))
    return CENTRE | (1 << others[0]) | (1 << others[1]) | (1 << others[2])


def energy(kernel, mask):
    return sum(float(kernel[t]) * float(kernel[t])
               for t in range(9) if mask >> t & 1)


def conv_weights(model):
    """(name, numpy array, setter) for every Conv whose weight is a constant
    f32 F x C/g x 3 x 3 tensor (an initializer or a Constant node)."""
    inits = {i.name: i for i in model.graph.initializer}
    consts = {n.output[0]: n for n in model.graph.node if n.op_type == "Constant"}
    found = []
    for node in model.graph.node:
        if node.op_type != "Conv" or len(node.input) < 2:
            continue
        name = node.input[1]
        if name in inits:
            tensor = inits[name]
        elif name in consts:
            tensor = consts[name].attribute[0].t
        else:
            continue
        w = numpy_helper.to_array(tensor)
        if w.dtype != np.float32 or w.ndim != 4 or w.shape[2:] != (3, 3):
            continue
        found.append((node.name, w, tensor))
    return found


def conforms(w, limit):
    full = set()
    for k in w.reshape(-1, 9):
        mask = sum(1 << t for t in range(9) if k[t] != 0)
        if mask == 0:
            continue
        if bin(mask).count("1") > 4 or not mask & CENTRE:
            return False
        if bin(mask).count("1") == 4:
            full.add(mask)
    return len(full) <= limit


def prune_onnx(model, patterns, connectivity):
    """Prunes `model` in place; returns (pattern set, {layer: nonzero})."""
    layers = conv_weights(model)
    if all(conforms(w, patterns) for _, w, _ in layers):
        return [], {n: int(np.count_nonzero(w)) for n, w, _ in layers}
    counts = {}
    for _, w, _ in layers:
        for k in w.reshape(-1, 9):
            m = candidate(k)
            counts[m] = counts.get(m, 0) + 1
    ranked = sorted(counts.items(), key=lambda mc: (-mc[1], mc[0]))
    pset = [m for m, _ in ranked[:patterns]]
    nonzero = {}
    for name, w, tensor in layers:
        flat = w.reshape(-1, 9).copy()
        for i, k in enumerate(flat):
            best, best_e = pset[0], energy(k, pset[0])
            for m in pset[1:]:
                e = energy(k, m)
                if e > best_e:
                    best, best_e = m, e
            for t in range(9):
                if not best >> t & 1:
                    flat[i, t] = 0.0
        n = int(np.floor(connectivity * len(flat)))
        if n:
            norms = [energy(k, 511) for k in flat]
            order = sorted(range(len(flat)), key=lambda i: (norms[i], i))
            flat[order[:n]] = 0.0
        tensor.CopyFrom(numpy_helper.from_array(flat.reshape(w.shape), tensor.name))
        nonzero[name] = int(np.count_nonzero(flat))
    return pset, nonzero


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{r.stderr[-2000:]}")
    return r.stdout + r.stderr


def kiln_output(onnx_path, feed, work, tag, flags):
    so = os.path.join(work, tag + ".so")
    report = os.path.join(work, tag + ".json")
    run([os.path.join(BIN, "kilnc"), onnx_path, "--emit=shared", "-o", so,
         "--prune-report", report] + flags)
    out = os.path.join(work, tag + ".out")
    run([os.path.join(BIN, "kiln-run"), so, "--input", feed, "--output-dir",
         out, "--top", "0"])
    return out, json.load(open(report))


def kiln_aarch64_output(onnx_path, feed, work, tag, flags):
    """The model compiled for aarch64 with `flags`, linked statically with
    the cross-built runtime (build-aarch64) and run under qemu."""
    obj = os.path.join(work, tag + "-arm.o")
    run([os.path.join(BIN, "kilnc"), onnx_path, "--target=aarch64-linux-gnu",
         "--emit=obj", "-o", obj, "--name", "pruned"] + flags)
    build = os.environ.get("KILN_AARCH64_BUILD", os.path.join(ROOT, "build-aarch64"))
    libs = run_model_tests.find_arm_libs(type("Ctx", (), {"arm_build": build}))
    if not libs:
        raise RuntimeError(f"no cross-built runtime under {build}")
    prog = os.path.join(work, tag + "-arm")
    run(run_model_tests.aarch64_link(obj, "kiln_model_pruned", libs, prog))
    out = os.path.join(work, tag + "-arm.out")
    run(["qemu-aarch64", "-L", "/usr/aarch64-linux-gnu", prog, "--input", feed,
         "--output-dir", out, "--top", "0"])
    return out


def ort_output(onnx_path, feed, work, tag):
    out = os.path.join(work, tag + ".ort")
    run(["node", os.path.join(ROOT, "tools", "ort", "run_ort.js"), onnx_path,
         "--input", feed, "--output-dir", out])
    return out


def only_npy(directory):
    files = sorted(f for f in os.listdir(directory) if f.endswith(".npy"))
    return os.path.join(directory, files[0])


def model_paths(name, work):
    if name == "mobilenet_tiny":
        return (os.path.join(SAMPLE, "mobilenet_tiny.onnx"),
                os.path.join(SAMPLE, "input.npy"))
    files = export_models.ensure(os.path.join(ROOT, "build", "models"), name)
    return files["onnx"], files["input"]


def test(name, connectivity, args, work):
    onnx_path, input_path = model_paths(name, work)
    tag = f"{name}-{connectivity}"
    feed = f"{onnx.load(onnx_path).graph.input[0].name}={input_path}"
    problems = []

    model = onnx.load(onnx_path)
    pset, nonzero = prune_onnx(model, args.patterns, connectivity)
    pruned_path = os.path.join(work, tag + ".pruned.onnx")
    onnx.save(model, pruned_path)

    flags = ["--prune=pattern", f"--prune-patterns={args.patterns}"]
    host = args.kilnc_args.split()
    if connectivity:
        flags.append(f"--prune-connectivity={connectivity}")
    kiln_dir, report = kiln_output(onnx_path, feed, work, tag, flags + host)
    if report["pattern_set"] != pset:
        problems.append(f"pattern set {report['pattern_set']} != numpy {pset}")
    got = {l["name"]: l["nonzero"] for l in report["layers"]}
    if got != nonzero:
        problems.append("per-layer non-zero counts differ from numpy's")

    ref_dir = ort_output(pruned_path, feed, work, tag + "-pruned")
    kiln = np.load(only_npy(kiln_dir))
    ref = np.load(only_npy(ref_dir))
    stats = compare_arrays(kiln, ref)
    if not stats["ok"]:
        problems.append(f"Kiln vs onnxruntime on the pruned weights: tolerance "
                        f"ratio {stats['tol_ratio']:.3g}")
    if args.aarch64:
        arm = np.load(only_npy(kiln_aarch64_output(onnx_path, feed, work, tag,
                                                   flags)))
        arm_stats = compare_arrays(arm, ref)
        if not arm_stats["ok"]:
            problems.append(f"aarch64 Kiln vs onnxruntime on the pruned "
                            f"weights: tolerance ratio {arm_stats['tol_ratio']:.3g}")

    # Detection: the pruned model is compiled exactly as it is.
    # (--autotune's choice of tiles, and so the order of the sums, may
    # differ from one build to the next: both builds go without it.)
    same = [f for f in host if f != "--autotune"]
    again_dir, again = kiln_output(pruned_path, feed, work, tag + "-again",
                                   flags + same)
    plain_dir, _ = kiln_output(pruned_path, feed, work, tag + "-plain", same)
    if not again["already_sparse"]:
        problems.append("the pruned model is not detected as pattern-sparse")
    if not np.array_equal(np.load(only_npy(again_dir)), np.load(only_npy(plain_dir))):
        problems.append("--prune=pattern changed an already pattern-sparse model")

    dense = np.load(only_npy(ort_output(onnx_path, feed, work, tag + "-dense")))
    weights = sum(l["weights"] for l in report["layers"])
    left = sum(l["nonzero"] for l in report["layers"])
    rel_l2 = float(np.linalg.norm(ref - dense) / np.linalg.norm(dense))
    row = {
        "model": name, "connectivity": connectivity,
        "layers": len(report["layers"]),
        "ratio": weights / left if left else float("inf"),
        "kept_norm_min": min(l["kept_norm"] for l in report["layers"]),
        "rel_l2": rel_l2,
        "top1": bool(np.argmax(ref) == np.argmax(dense)),
        "tol_ratio": stats["tol_ratio"], "problems": problems,
    }
    print(f"{name} connectivity {connectivity}: {row['layers']} 3x3 convs, "
          f"{row['ratio']:.2f}x fewer weights, min kept norm "
          f"{row['kept_norm_min']:.3f}, output vs dense: rel. L2 {rel_l2:.3f}, "
          f"top-1 {'same' if row['top1'] else 'differs'}; Kiln vs onnxruntime "
          f"on the pruned weights: tol. ratio {stats['tol_ratio']:.3g}; "
          + ("PASS" if not problems else "FAIL: " + "; ".join(problems)),
          flush=True)
    return row


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--models", default="mobilenet_tiny,resnet18,mobilenet_v2")
    p.add_argument("--connectivity", default="0,0.71875")
    p.add_argument("--patterns", type=int, default=8)
    p.add_argument("--aarch64", action="store_true",
                   help="also run the pruned model on aarch64 under qemu")
    p.add_argument("--kilnc-args", default="",
                   help="more kilnc flags for the x86-64 builds")
    p.add_argument("--write-docs", action="store_true")
    args = p.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for name in args.models.split(","):
            for c in args.connectivity.split(","):
                try:
                    rows.append(test(name, float(c), args, work))
                except RuntimeError as e:
                    print(f"{name} connectivity {c}: FAIL: {e}", flush=True)
                    rows.append({"problems": [str(e)]})
    failed = sum(bool(r["problems"]) for r in rows)
    print(f"prune tests: {len(rows) - failed}/{len(rows)} passed")
    if args.write_docs and not failed:
        lines = ["| model | connectivity | 3x3 convs | 3x3 weights fewer | "
                 "smallest kept norm | output vs dense: rel. L2 | top-1 | "
                 "Kiln vs onnxruntime (pruned): tol. ratio |",
                 "|---|---|---|---|---|---|---|---|"]
        for r in rows:
            lines.append(f"| {r['model']} | {r['connectivity']} | {r['layers']} | "
                         f"{r['ratio']:.2f}x | {r['kept_norm_min']:.3f} | "
                         f"{r['rel_l2']:.3f} | {'same' if r['top1'] else 'differs'} | "
                         f"{r['tol_ratio']:.3g} |")
        benchdoc.write_block("prune-accuracy", "\n".join(lines))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
