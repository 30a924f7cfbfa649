#!/usr/bin/python3
"""Build Kiln's bundled sample model and its sample input.

    /usr/bin/python3 scripts/make_sample_model.py [OUTDIR]   (default models/sample)

Writes:
  mobilenet_tiny.onnx   a small MobileNetV2-style classifier, ONNX opset 13,
                        input "input" 1x3x224x224, output "output" 1x1000
  input.npy             a deterministic synthetic image (gradients, discs and
                        stripes), ImageNet-normalised, float32 1x3x224x224
  expected_output.npy   onnxruntime's output for input.npy (if onnxruntime-node
                        is installed), so a run can be checked without torch

The network is the MobileNetV2 recipe at a small width: a 3x3 stride-2 stem,
inverted residual blocks (1x1 expand, 3x3 depthwise, 1x1 linear projection,
residual add when shapes allow), BatchNorm and ReLU6 throughout, a 1x1 conv
to 256 channels, global average pooling and a 256 -> 1000 Gemm. Weights are
seeded; BatchNorm parameters and statistics are set as for the test models
(scripts/export_models.py) so every layer does something. The weights are
not trained: the class scores mean nothing, but the arithmetic is real.
"""

import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import export_models  # noqa: E402

SEED = 20240601
SHAPE = (1, 3, 224, 224)
# (expansion t, output channels c, repeats n, first stride s): the paper's
# table at width 0.5 with fewer repeats, so the file stays under 3 MB.
BLOCKS = [
    (1, 8, 1, 1),
    (6, 16, 2, 2),
    (6, 16, 3, 2),
    (6, 32, 3, 2),
    (6, 48, 2, 1),
    (6, 80, 2, 2),
    (6, 160, 1, 1),
]
STEM = 16
LAST = 256
CLASSES = 1000
MAX_BYTES = 3 * 1024 * 1024


def build():
    import torch
    from torch import nn

    def conv_bn(cin, cout, k, stride=1, groups=1, act=True):
        layers = [nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False),
                  nn.BatchNorm2d(cout)]
        if act:
            layers.append(nn.ReLU6(inplace=True))
        return nn.Sequential(*layers)

    class InvertedResidual(nn.Module):
        def __init__(self, cin, cout, stride, t):
            super().__init__()
            hidden = cin * t
            layers = [] if t == 1 else [conv_bn(cin, hidden, 1)]
            layers += [conv_bn(hidden, hidden, 3, stride, groups=hidden),
                       conv_bn(hidden, cout, 1, act=False)]
            self.body = nn.Sequential(*layers)
            self.residual = stride == 1 and cin == cout

        def forward(self, x):
            y = self.body(x)
            return x + y if self.residual else y

    class MobileNetTiny(nn.Module):
        def __init__(self):
            super().__init__()
            layers = [conv_bn(3, STEM, 3, 2)]
            cin = STEM
            for t, c, n, s in BLOCKS:
                for i in range(n):
                    layers.append(InvertedResidual(cin, c, s if i == 0 else 1, t))
                    cin = c
            layers.append(conv_bn(cin, LAST, 1))
            self.features = nn.Sequential(*layers)
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.classifier = nn.Linear(LAST, CLASSES)
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out")
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.zeros_(m.bias)

        def forward(self, x):
            return self.classifier(torch.flatten(self.pool(self.features(x)), 1))

    torch.manual_seed(SEED)
    model = MobileNetTiny()
    calib = export_models.randomise_batchnorm(model, SEED)
    export_models.scale_classifier(model, calib)
    model.eval()
    return model


def synthetic_image():
    """A smooth, structured 224x224 RGB picture in [0, 1], then normalised."""
    h, w = SHAPE[2], SHAPE[3]
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    y /= h - 1
    x /= w - 1
    r = 0.55 + 0.35 * x - 0.2 * y
    g = 0.35 + 0.45 * y
    b = 0.75 - 0.4 * x * y
    # A bright disc, a dark disc and diagonal stripes.
    disc1 = ((x - 0.32) ** 2 + (y - 0.38) ** 2) < 0.18 ** 2
    disc2 = ((x - 0.7) ** 2 + (y - 0.66) ** 2) < 0.12 ** 2
    stripes = (np.sin((x + y) * 40.0) > 0.6) & (y > 0.75)
    r = np.where(disc1, 0.95, r)
    g = np.where(disc1, 0.8, g)
    b = np.where(disc1, 0.2, b)
    r, g, b = (np.where(disc2, c * 0.25, c) for c in (r, g, b))
    r, g, b = (np.where(stripes, 1.0 - c, c) for c in (r, g, b))
    img = np.stack([r, g, b])
    # A little seeded sensor noise so no two pixels are exactly alike.
    img += np.random.RandomState(SEED).normal(0.0, 0.02, img.shape)
    img = np.clip(img, 0.0, 1.0)
    mean = np.array([0.485, 0.456, 0.406]).reshape(3, 1, 1)
    std = np.array([0.229, 0.224, 0.225]).reshape(3, 1, 1)
    return ((img - mean) / std).astype(np.float32)[None]


def main():
    import onnx
    import torch

    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "models", "sample")
    os.makedirs(outdir, exist_ok=True)
    onnx_path = os.path.join(outdir, "mobilenet_tiny.onnx")
    input_path = os.path.join(outdir, "input.npy")
    expected_path = os.path.join(outdir, "expected_output.npy")

    model = build()
    x = synthetic_image()
    with torch.no_grad():
        torch.onnx.export(model, torch.from_numpy(x), onnx_path, opset_version=13,
                          input_names=["input"], output_names=["output"],
                          do_constant_folding=True,
                          training=torch.onnx.TrainingMode.EVAL)
        y = model(torch.from_numpy(x)).numpy()
    m = onnx.load(onnx_path)
    onnx.checker.check_model(m)
    np.save(input_path, x)
    size = os.path.getsize(onnx_path)
    if size > MAX_BYTES:
        print(f"sample: {onnx_path} is {size} bytes, over the {MAX_BYTES} limit",
              file=sys.stderr)
        return 1
    params = sum(int(np.prod(i.dims)) for i in m.graph.initializer)
    ops = {}
    for n in m.graph.node:
        ops[n.op_type] = ops.get(n.op_type, 0) + 1
    print(f"sample: {onnx_path}: {size / 1e6:.2f} MB, {params} parameters, "
          f"{len(m.graph.node)} nodes")
    print("sample: ops " + ", ".join(f"{k}x{v}" for k, v in sorted(ops.items())))
    top5 = np.argsort(-y[0])[:5]
    print("sample: torch top-5 " + ", ".join(f"{c} ({y[0, c]:.3f})" for c in top5))

    ort = os.path.join(ROOT, "tools", "ort", "run_ort.js")
    if os.path.isdir(os.path.join(ROOT, "tools", "ort", "node_modules", "onnxruntime-node")):
        tmp = os.path.join(outdir, ".ort-out")
        subprocess.run(["node", ort, onnx_path, "--input", f"input={input_path}",
                        "--output-dir", tmp], check=True)
        ref = np.load(os.path.join(tmp, "output.npy"))
        os.replace(os.path.join(tmp, "output.npy"), expected_path)
        os.rmdir(tmp)
        err = float(np.abs(ref - y).max())
        print(f"sample: onnxruntime vs torch max abs error {err:.2e}; "
              f"wrote {expected_path}")
    np.save(input_path, x)
    return 0


if __name__ == "__main__":
    sys.exit(main())
