#!/usr/bin/python3
"""Export the torchvision architectures Kiln is tested on to ONNX.

    /usr/bin/python3 scripts/export_models.py OUTDIR [--models a,b,...]

For every model this writes, into OUTDIR:
  <model>.onnx        opset 13, static shape 1x3x224x224, input "input",
                      output "output", constant-folded, eval mode
  <model>.input.npy   the test input: float32 ~ N(0, 1), seeded
  <model>.torch.npy   torch's own output for that input (a second reference
                      beside onnxruntime)

No pretrained weights can be downloaded here, so weights come from
torchvision's initialisers under a fixed seed; BatchNorm affine parameters
are randomised (gamma ~ U(0.5, 1.5), beta ~ N(0, 0.1)) and the running
mean/var are measured on a batch of random images, so no BatchNorm is an
identity and activations stay O(1) at every depth; the last layer is scaled
so the logits have std ~1 (see randomise_batchnorm, scale_classifier).
Everything is derived from a per-model seed (crc32 of the name), so the
files are the same on every run with the same torch build.

Models whose files already exist from the same recipe (<model>.meta.json
records RECIPE) are skipped. Files are written under
a temporary name and renamed, so an interrupted run never leaves a partial
model that a later run would skip. At the end a table of the ONNX op types
each model uses is printed (all models in the list, exported now or before).
"""

import argparse
import json
import os
import subprocess
import sys
import time
import zlib

import numpy as np

OPSET = 13
INPUT_SHAPE = (1, 3, 224, 224)
INPUT_NAME = "input"
OUTPUT_NAME = "output"
CALIB_BATCH = 8
# Bump when the recipe changes (weights, statistics, input, export settings):
# files written by another recipe are then re-exported.
RECIPE = 2

# Name -> torchvision constructor name. Order is the order of reports.
MODELS = [
    "mobilenet_v2",
    "mobilenet_v3_small",
    "resnet18",
    "resnet50",
    "squeezenet1_1",
    "shufflenet_v2_x1_0",
    "efficientnet_b0",
]


def model_seed(name):
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


def paths(outdir, name):
    return {
        "onnx": os.path.join(outdir, name + ".onnx"),
        "input": os.path.join(outdir, name + ".input.npy"),
        "torch": os.path.join(outdir, name + ".torch.npy"),
        "meta": os.path.join(outdir, name + ".meta.json"),
    }


def up_to_date(outdir, name):
    p = paths(outdir, name)
    if not all(os.path.exists(f) for f in p.values()):
        return False
    try:
        with open(p["meta"]) as f:
            return json.load(f).get("recipe") == RECIPE
    except (OSError, ValueError):
        return False


def ensure(outdir, name):
    """The files of model `name` in `outdir` (see paths), exported first if
    missing or stale, in a child process: the benchmark scripts that call
    this need torch only then."""
    if not up_to_date(outdir, name):
        r = subprocess.run([sys.executable, os.path.abspath(__file__), outdir, "--models",
                            name, "--no-op-table"])
        if r.returncode != 0:
            sys.exit(f"export_models: exporting {name} failed")
    return paths(outdir, name)


def randomise_batchnorm(model, seed):
    """Give every BatchNorm non-trivial parameters and realistic statistics.

    gamma ~ U(0.5, 1.5) and beta ~ N(0, 0.1) are drawn first; then the
    running mean/var are measured on a batch of CALIB_BATCH random N(0, 1)
    images (BatchNorm layers alone in training mode, momentum=None, so the
    statistics are exactly that batch's). Drawing mean/var independently of
    the data instead (e.g. N(0, 0.1) / U(0.5, 1.5)) lets activations grow or
    vanish geometrically with depth (EfficientNet-B0 logits reach 1e4), which
    makes any fixed error tolerance meaningless; measured statistics keep
    every layer's activations O(1), as in a trained network, while mean and
    var are still far from the identity 0/1.
    """
    import torch

    bns = [m for m in model.modules()
           if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    gen = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for m in bns:
            c = m.num_features
            if m.affine:
                m.weight.copy_(torch.rand(c, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(c, generator=gen) * 0.1)
            m.reset_running_stats()
            m.momentum = None  # cumulative average: exactly the batch stats
    model.eval()
    for m in bns:
        m.train()
    calib = torch.randn((CALIB_BATCH,) + INPUT_SHAPE[1:], generator=gen)
    with torch.no_grad():
        model(calib)
    model.eval()
    return calib


def scale_classifier(model, calib):
    """Scale the last Linear/Conv so the logits have std ~1 on `calib`.

    Torchvision's initialisers give logits anywhere from std 0.016
    (MobileNetV3) to 0.7; with outputs of a common scale the test tolerance
    means the same thing for every model. Every op after the last
    Linear/Conv in these models (ReLU, average pooling, flatten) is
    positively homogeneous, so scaling its weight and bias scales the output.
    """
    import torch

    last = None
    for m in model.modules():
        if isinstance(m, (torch.nn.Linear, torch.nn.Conv2d)):
            last = m
    with torch.no_grad():
        std = float(model(calib).std())
        if last is None or std == 0.0:
            return 1.0
        s = 1.0 / std
        last.weight.mul_(s)
        if last.bias is not None:
            last.bias.mul_(s)
    return s


def build_model(name, seed):
    import torch
    import torchvision

    torch.manual_seed(seed)
    ctor = getattr(torchvision.models, name)
    model = ctor(weights=None)
    calib = randomise_batchnorm(model, seed)
    scale_classifier(model, calib)
    model.eval()
    return model


def save_npy(path, array):
    tmp = path + ".tmp.npy"
    np.save(tmp, array)
    os.replace(tmp, path)


def export_one(name, outdir):
    import onnx
    import torch

    p = paths(outdir, name)
    seed = model_seed(name)
    t0 = time.time()
    model = build_model(name, seed)

    x = np.random.RandomState(seed).standard_normal(INPUT_SHAPE)
    x = x.astype(np.float32)
    with torch.no_grad():
        y = model(torch.from_numpy(x)).numpy().astype(np.float32)

    tmp_onnx = p["onnx"] + ".tmp"
    with torch.no_grad():
        torch.onnx.export(
            model,
            torch.from_numpy(x),
            tmp_onnx,
            opset_version=OPSET,
            input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAME],
            do_constant_folding=True,
            training=torch.onnx.TrainingMode.EVAL,
        )
    m = onnx.load(tmp_onnx)
    onnx.checker.check_model(m)
    save_npy(p["input"], x)
    save_npy(p["torch"], y)
    os.replace(tmp_onnx, p["onnx"])
    import torchvision
    meta = {"recipe": RECIPE, "seed": seed, "opset": OPSET,
            "input_shape": list(INPUT_SHAPE), "torch": torch.__version__,
            "torchvision": torchvision.__version__,
            "output_range": [float(y.min()), float(y.max())]}
    with open(p["meta"] + ".tmp", "w") as f:
        json.dump(meta, f, indent=1)
    os.replace(p["meta"] + ".tmp", p["meta"])
    mb = os.path.getsize(p["onnx"]) / 1e6
    print(
        f"export: {name}: {mb:.1f} MB, seed {seed}, output {list(y.shape)} "
        f"range [{y.min():.3g}, {y.max():.3g}], {time.time() - t0:.1f} s",
        flush=True,
    )


def op_summary(onnx_path):
    """Op type -> count, plus the attributes a compiler cares about."""
    import onnx
    from onnx import numpy_helper

    m = onnx.load(onnx_path, load_external_data=False)
    counts = {}
    inits = {i.name: i for i in m.graph.initializer}
    consts = {n.output[0]: n.attribute[0].t for n in m.graph.node
              if n.op_type == "Constant"}
    produced_by = {o: n for n in m.graph.node for o in n.output}

    def const_value(name):
        t = inits.get(name) or consts.get(name)
        return None if t is None else numpy_helper.to_array(t).tolist()

    notes = {}  # op -> set of strings

    def note(op, text):
        notes.setdefault(op, set()).add(text)

    for n in m.graph.node:
        counts[n.op_type] = counts.get(n.op_type, 0) + 1
        a = {x.name: onnx.helper.get_attribute_value(x) for x in n.attribute}
        auto_pad = a.get("auto_pad", b"NOTSET")
        if auto_pad not in (b"NOTSET", "NOTSET"):
            note(n.op_type, f"auto_pad={auto_pad.decode() if isinstance(auto_pad, bytes) else auto_pad}")
        if n.op_type == "Conv":
            k = "x".join(map(str, a.get("kernel_shape", [])))
            st = "s" + "x".join(map(str, a.get("strides", [1])))
            w = inits.get(n.input[1])
            g = a.get("group", 1)
            kind = "" if g == 1 else (" depthwise" if w is not None and g == w.dims[0] else " grouped")
            note("Conv", f"{k} {st}{kind}")
            if any(d != 1 for d in a.get("dilations", [])):
                note("Conv", "dilated")
        elif n.op_type in ("MaxPool", "AveragePool"):
            note(n.op_type, "k{} s{} pads {}{}".format(
                "x".join(map(str, a["kernel_shape"])), "x".join(map(str, a.get("strides", [1]))),
                a.get("pads", [0]), " ceil_mode=1" if a.get("ceil_mode", 0) else ""))
        elif n.op_type == "Clip":
            lo = const_value(n.input[1]) if len(n.input) > 1 and n.input[1] else None
            hi = const_value(n.input[2]) if len(n.input) > 2 and n.input[2] else None
            note("Clip", f"min/max as Constant inputs [{lo}, {hi}]")
        elif n.op_type == "HardSigmoid":
            note("HardSigmoid", f"alpha={a.get('alpha', 0.2):.4g} beta={a.get('beta', 0.5):.4g}")
        elif n.op_type == "Identity":
            note("Identity", "of an initializer (shared weights)" if n.input[0] in inits
                 else "of a tensor")
        elif n.op_type == "Reshape":
            v = const_value(n.input[1])
            note("Reshape", f"shape {v}" if v is not None else "shape computed")
        elif n.op_type == "Slice":
            ins = [const_value(i) if i else None for i in n.input[1:]]
            srcs = sorted({produced_by[i].op_type for i in n.input[1:3]
                           if i and const_value(i) is None and i in produced_by})
            note("Slice", "axes {}; starts/ends {}".format(
                ins[2] if len(ins) > 2 else "all",
                "constant" if not srcs else "computed from Shape (" + "/".join(srcs) + ")"))
        elif n.op_type == "Split":
            note("Split", f"axis {a.get('axis', 0)}, split {a.get('split', 'equal')}")
        elif n.op_type == "Transpose":
            note("Transpose", f"perm {a.get('perm')}")
        elif n.op_type == "ReduceMean":
            note("ReduceMean", f"axes {a.get('axes')} keepdims={a.get('keepdims', 1)}")
        elif n.op_type == "Gemm":
            note("Gemm", "transB={} alpha={:g} beta={:g}".format(
                a.get("transB", 0), a.get("alpha", 1.0), a.get("beta", 1.0)))
        elif n.op_type in ("Concat", "Flatten", "Gather"):
            note(n.op_type, f"axis {a.get('axis', 1 if n.op_type == 'Flatten' else 0)}")
        elif n.op_type == "Constant":
            t = n.attribute[0].t
            dt = onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[t.data_type].name
            note("Constant", f"{dt}{list(t.dims)}")
        elif n.op_type in ("Add", "Mul", "Div", "Sub"):
            if any(const_value(i) is not None for i in n.input):
                note(n.op_type, "with a constant")
            if n.input[0] in produced_by and produced_by[n.input[0]].op_type in ("Gather", "Shape", "Div", "Mul", "Add") \
                    and produced_by[n.input[0]].op_type != "Conv" and const_value(n.input[1]) is not None:
                note(n.op_type, "on shape values")
    return counts, [f"{op}: {', '.join(sorted(v, key=lambda t: (len(t), t)))}"
                    for op, v in sorted(notes.items())]


def print_op_table(outdir, names):
    rows = []
    all_ops = {}
    for name in names:
        p = paths(outdir, name)["onnx"]
        if not os.path.exists(p):
            continue
        counts, notes = op_summary(p)
        rows.append((name, counts, notes))
        for op, c in counts.items():
            all_ops[op] = all_ops.get(op, 0) + c
    if not rows:
        return
    print("\nONNX op types per model (count):")
    for name, counts, notes in rows:
        ops = ", ".join(f"{op}x{c}" for op, c in sorted(counts.items()))
        print(f"  {name:<20} {ops}")
        for line in notes:
            print(f"  {'':<20}   {line}")
    print(f"  {'union':<20} {', '.join(sorted(all_ops))}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir")
    ap.add_argument(
        "--models",
        default=",".join(MODELS),
        help="comma-separated subset of: " + ",".join(MODELS),
    )
    ap.add_argument("--force", action="store_true",
                    help="re-export even if the files exist")
    ap.add_argument("--no-op-table", action="store_true")
    args = ap.parse_args()

    names = [m for m in args.models.split(",") if m]
    unknown = [m for m in names if m not in MODELS]
    if unknown:
        print(f"export: unknown model(s): {', '.join(unknown)}; "
              f"known: {', '.join(MODELS)}", file=sys.stderr)
        return 1
    os.makedirs(args.outdir, exist_ok=True)

    for name in names:
        if not args.force and up_to_date(args.outdir, name):
            print(f"export: {name}: up to date", flush=True)
            continue
        export_one(name, args.outdir)

    if not args.no_op_table:
        print_op_table(args.outdir, names)
    return 0


if __name__ == "__main__":
    sys.exit(main())
