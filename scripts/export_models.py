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

Models whose three files already exist are skipped. Files are written under
a temporary name and renamed, so an interrupted run never leaves a partial
model that a later run would skip. At the end a table of the ONNX op types
each model uses is printed (all models in the list, exported now or before).
"""

import argparse
import os
import sys
import time
import zlib

import numpy as np

OPSET = 13
INPUT_SHAPE = (1, 3, 224, 224)
INPUT_NAME = "input"
OUTPUT_NAME = "output"
CALIB_BATCH = 8

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
    }


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
    mb = os.path.getsize(p["onnx"]) / 1e6
    print(
        f"export: {name}: {mb:.1f} MB, seed {seed}, output {list(y.shape)} "
        f"range [{y.min():.3g}, {y.max():.3g}], {time.time() - t0:.1f} s",
        flush=True,
    )


def op_summary(onnx_path):
    """Op type -> count, plus notable attributes, for one model file."""
    import onnx

    m = onnx.load(onnx_path, load_external_data=False)
    counts = {}
    notes = set()
    inits = {i.name for i in m.graph.initializer}
    consts = {n.output[0] for n in m.graph.node if n.op_type == "Constant"}
    for n in m.graph.node:
        counts[n.op_type] = counts.get(n.op_type, 0) + 1
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
        if n.op_type in ("MaxPool", "AveragePool"):
            if attrs.get("ceil_mode", 0):
                notes.add(f"{n.op_type}:ceil_mode=1")
            if attrs.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
                notes.add(f"{n.op_type}:auto_pad={attrs['auto_pad']}")
        if n.op_type == "Conv":
            g = attrs.get("group", 1)
            if g != 1:
                notes.add("Conv:group>1")
            if attrs.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
                notes.add(f"Conv:auto_pad={attrs['auto_pad']}")
            if any(d != 1 for d in attrs.get("dilations", [])):
                notes.add("Conv:dilation>1")
        if n.op_type in ("Reshape", "Slice", "Split", "Expand", "Tile"):
            for i, inp in enumerate(n.input[1:], 1):
                if inp and inp not in inits and inp not in consts:
                    notes.add(f"{n.op_type}:non-constant input {i}")
        if n.op_type == "Split" and "split" in attrs:
            notes.add("Split:split attr")
        if n.op_type == "Gemm" and attrs.get("transB", 0):
            notes.add("Gemm:transB=1")
    return counts, sorted(notes)


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
        if notes:
            print(f"  {'':<20} notes: {'; '.join(notes)}")
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
        p = paths(args.outdir, name)
        if not args.force and all(os.path.exists(f) for f in p.values()):
            print(f"export: {name}: up to date", flush=True)
            continue
        export_one(name, args.outdir)

    if not args.no_op_table:
        print_op_table(args.outdir, names)
    return 0


if __name__ == "__main__":
    sys.exit(main())
