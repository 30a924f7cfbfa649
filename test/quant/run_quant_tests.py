#!/usr/bin/python3
"""int8 against float: top-1 agreement of the quantised models (issue 8).

    /usr/bin/python3 test/quant/run_quant_tests.py [--models a,b]
        [--inputs 200] [--calibration 16] [--min-agreement 0.98]

For each classification model (the bundled sample and zoo models):
  1. write `--calibration` seeded N(0, 1) samples and `--inputs` other
     seeded N(0, 1) inputs of the model's input shape;
  2. compile it twice with kilnc: the float CPU variant, and
     `--precision=int8 --calibrate DIR` (the graph quantised for the Kiln
     NNA: per-channel int8 weights, per-tensor int8 activations calibrated
     on the samples, its int8 ops run as CPU code, bit-exact with the NNA's
     arithmetic);
  3. run both on every input (kiln-run) and compare: the share of inputs
     whose top-1 class agrees, and the largest absolute difference of the
     outputs (and the largest output magnitude, for scale);
  4. as a baseline, the agreement of a float model whose conv and gemm
     weights alone are rounded to int8 per output channel (what the
     weights' quantisation allows, whatever the activations do).
The zoo's weights are torchvision's initialisers (no pretrained weights can
be fetched here) and the inputs are noise: logit margins are small, so
agreement is far below what trained models on images reach; the baseline
shows how much of that is the weights' rounding alone. The *_synth models
(mobilenet_v2_synth, resnet18_synth: the same architectures trained here on
a synthetic task, test/quant/train_synthetic.py) are calibrated on and
tested with images of their task, and also report float and int8 test
accuracy against the labels.
Pass iff the agreement is at least --min-agreement (issue 8: 98% on >= 200
inputs). Writes build/quant-tests/summary.json and prints a table.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
import onnx

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import export_models  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train_synthetic  # noqa: E402

BIN = os.environ.get("KILN_BIN", os.path.join(ROOT, "build", "bin"))
MODELS = "mobilenet_tiny,mobilenet_v2,resnet18"


def model_path(name):
    if name == "mobilenet_tiny":
        return os.path.join(ROOT, "models", "sample", "mobilenet_tiny.onnx")
    if name in train_synthetic.MODELS:
        return train_synthetic.ensure(os.path.join(ROOT, "build", "models"), name)["onnx"]
    return export_models.ensure(os.path.join(ROOT, "build", "models"), name)["onnx"]


def samples(name, dims, calibration, inputs):
    """Calibration samples and test inputs: held-out images of the task for
    the models trained on it (test/quant/train_synthetic.py), with their
    labels; seeded N(0, 1) noise for the others (labels None)."""
    if name in train_synthetic.MODELS:
        data = np.load(train_synthetic.ensure(os.path.join(ROOT, "build", "models"),
                                              name)["data"])
        return (list(data["xtr"][:calibration, None]), list(data["xte"][:inputs, None]),
                data["yte"][:inputs])
    rng = np.random.RandomState(1234)
    calib = [rng.randn(*dims).astype(np.float32) for _ in range(calibration)]
    rng = np.random.RandomState(5678)
    return calib, [rng.randn(*dims).astype(np.float32) for _ in range(inputs)], None


def input_spec(path):
    graph = onnx.load(path, load_external_data=False).graph
    inits = {i.name for i in graph.initializer}
    inp = [i for i in graph.input if i.name not in inits][0]
    dims = [d.dim_value for d in inp.type.tensor_type.shape.dim]
    return inp.name, dims


def weights_rounded(src, dst):
    """The float model with its conv/gemm weights rounded to int8 per
    output channel (symmetric, as kiln-quantize-nna does)."""
    from onnx import numpy_helper
    m = onnx.load(src)
    names = {n.input[1] for n in m.graph.node if n.op_type in ("Conv", "Gemm")}
    for init in m.graph.initializer:
        if init.name in names:
            w = numpy_helper.to_array(init)
            flat = w.reshape(w.shape[0], -1).astype(np.float64)
            s = np.abs(flat).max(axis=1, keepdims=True) / 127
            s[s == 0] = 1
            q = (np.clip(np.round(flat / s), -127, 127) * s).reshape(w.shape)
            init.CopyFrom(numpy_helper.from_array(q.astype(np.float32), init.name))
    onnx.save(m, dst)


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed: {(r.stderr or r.stdout).strip()[-500:]}")
    return r


def test_model(name, args, work):
    d = os.path.join(work, name)
    os.makedirs(d, exist_ok=True)
    onnx_path = model_path(name)
    inp, dims = input_spec(onnx_path)
    calib = os.path.join(d, "calibration")
    inputs = os.path.join(d, "inputs")
    os.makedirs(calib, exist_ok=True)
    os.makedirs(inputs, exist_ok=True)
    calib_xs, xs, labels = samples(name, dims, args.calibration, args.inputs)
    for i, x in enumerate(calib_xs):
        np.save(os.path.join(calib, f"{i:04d}.npy"), x)
    for i, x in enumerate(xs):
        np.save(os.path.join(inputs, f"{i:04d}.npy"), x)
    f32 = os.path.join(d, "f32.so")
    i8 = os.path.join(d, "int8.so")
    t0 = time.time()
    run([os.path.join(BIN, "kilnc"), onnx_path, "--emit=shared", "-o", f32])
    run([os.path.join(BIN, "kilnc"), onnx_path, "--emit=shared", "-o", i8,
         "--precision=int8", "--calibrate", calib,
         "--calibrate-method", args.calibrate_method])
    compile_s = time.time() - t0
    wq_onnx, wq = os.path.join(d, "weights-int8.onnx"), os.path.join(d, "wq.so")
    weights_rounded(onnx_path, wq_onnx)
    run([os.path.join(BIN, "kilnc"), wq_onnx, "--emit=shared", "-o", wq])
    agree, agree_wq, max_abs, max_out = 0, 0, 0.0, 0.0
    correct_f32 = correct_i8 = 0
    for i in range(args.inputs):
        x = os.path.join(inputs, f"{i:04d}.npy")
        outs = []
        for so, tag in ((f32, "f32"), (i8, "int8"), (wq, "wq")):
            out_dir = os.path.join(d, "out-" + tag)
            run([os.path.join(BIN, "kiln-run"), so, "--input", f"{inp}={x}",
                 "--output-dir", out_dir, "--top", "0"])
            files = sorted(f for f in os.listdir(out_dir) if f.endswith(".npy"))
            outs.append(np.load(os.path.join(out_dir, files[0])).ravel())
        ref, got, base = outs
        agree += int(ref.argmax() == got.argmax())
        if labels is not None:
            correct_f32 += int(ref.argmax() == labels[i])
            correct_i8 += int(got.argmax() == labels[i])
        agree_wq += int(ref.argmax() == base.argmax())
        max_abs = max(max_abs, float(np.abs(ref - got).max()))
        max_out = max(max_out, float(np.abs(ref).max()))
    rate = agree / args.inputs
    return {"model": name, "inputs": args.inputs, "calibration": args.calibration,
            "agreement": rate, "weights_only_agreement": agree_wq / args.inputs,
            "max_abs": max_abs, "max_output": max_out,
            "accuracy_f32": correct_f32 / args.inputs if labels is not None else None,
            "accuracy_int8": correct_i8 / args.inputs if labels is not None else None,
            "compile_s": round(compile_s, 1),
            "status": "pass" if rate >= args.min_agreement else "fail"}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--models", default=MODELS)
    p.add_argument("--inputs", type=int, default=200)
    p.add_argument("--calibration", type=int, default=16)
    p.add_argument("--min-agreement", type=float, default=0.98)
    p.add_argument("--calibrate-method", default="minmax", choices=("minmax", "mean"))
    p.add_argument("--work-dir", default=os.path.join(ROOT, "build", "quant-tests"))
    args = p.parse_args()
    os.makedirs(args.work_dir, exist_ok=True)
    results = []
    for name in args.models.split(","):
        try:
            r = test_model(name, args, args.work_dir)
        except RuntimeError as e:
            r = {"model": name, "status": "error", "error": str(e)}
        results.append(r)
        if r["status"] == "error":
            print(f"  {name:<20} error: {r['error']}", flush=True)
        else:
            print(f"  {name:<20} {r['status']}  top-1 agreement {r['agreement'] * 100:.1f}% "
                  f"over {r['inputs']} inputs, max abs error {r['max_abs']:.3g} "
                  f"(outputs up to {r['max_output']:.3g}); int8 weights alone "
                  f"{r['weights_only_agreement'] * 100:.1f}%; compile {r['compile_s']} s"
                  + (f"; test accuracy float {r['accuracy_f32'] * 100:.1f}%, int8 "
                     f"{r['accuracy_int8'] * 100:.1f}%" if r["accuracy_f32"] is not None
                     else ""), flush=True)
    with open(os.path.join(args.work_dir, "summary.json"), "w") as f:
        json.dump(results, f, indent=1)
    ok = sum(r["status"] == "pass" for r in results)
    print(f"quant tests: {ok}/{len(results)} passed (top-1 agreement >= "
          f"{args.min_agreement * 100:.0f}%)")
    sys.exit(0 if ok == len(results) else 1)


if __name__ == "__main__":
    main()
