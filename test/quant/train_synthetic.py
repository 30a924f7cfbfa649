#!/usr/bin/python3
"""Trained classifiers for the quantisation tests (issue 8).

The zoo's models carry torchvision's untrained initialisers (no pretrained
weights can be fetched here), so their logits on any input are close
together and int8-vs-float top-1 agreement mostly measures noise. These are
the same architectures (torchvision MobileNetV2 and ResNet18, 10 classes)
trained here, in a few minutes on the CPU, on a seeded synthetic task:
32x32 RGB images of oriented gratings, one orientation/frequency/colour
per class, with random phase, contrast, offset and noise. Held-out images
of the same task are the test inputs, so the logits have the margins a
trained model has on its own data.

    /usr/bin/python3 test/quant/train_synthetic.py OUT_DIR [--models a,b]

writes OUT_DIR/<name>.onnx (input "input" 1x3x32x32, output "output"
1x10) and OUT_DIR/<name>.data.npz (train/test images and labels), and
prints the float test accuracy. ensure() does that once and caches it.
"""
import argparse
import json
import math
import os
import sys

import numpy as np

CLASSES = 10
SIZE = 32
MODELS = {"mobilenet_v2_synth": "mobilenet_v2", "resnet18_synth": "resnet18"}


def make_images(n, seed):
    """n images and labels of the synthetic task, seeded."""
    rng = np.random.RandomState(seed)
    labels = rng.randint(0, CLASSES, n)
    y, x = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32) / SIZE
    images = np.empty((n, 3, SIZE, SIZE), np.float32)
    for i, c in enumerate(labels):
        theta = math.pi * c / CLASSES + rng.normal(0, 0.05)
        freq = 3 + (c % 3) * 2 + rng.normal(0, 0.2)
        phase = rng.uniform(0, 2 * math.pi)
        wave = np.sin(2 * math.pi * freq * (x * math.cos(theta) + y * math.sin(theta)) + phase)
        colour = np.array([math.cos(c), math.sin(c), math.cos(2 * c)], np.float32)
        contrast = rng.uniform(0.6, 1.4)
        img = contrast * colour[:, None, None] * wave[None] + rng.normal(0, 0.1, 3)[:, None, None]
        images[i] = img + rng.normal(0, 0.5, img.shape)
    return images, labels


EPOCHS = {"mobilenet_v2_synth": 4, "resnet18_synth": 3}


def train(name, out_dir, epochs=None, n_train=4000, n_test=1000):
    import torch
    import torchvision

    epochs = epochs or EPOCHS[name]
    torch.manual_seed(0)
    torch.set_num_threads(2)
    arch = getattr(torchvision.models, MODELS[name])
    net = arch(num_classes=CLASSES)
    xtr, ytr = make_images(n_train, 1)
    xte, yte = make_images(n_test, 2)
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, 4e-3, total_steps=epochs * (n_train // 64))
    X, Y = torch.from_numpy(xtr), torch.from_numpy(ytr)
    for epoch in range(epochs):
        net.train()
        perm = torch.randperm(n_train)
        for b in range(n_train // 64):
            idx = perm[b * 64:(b + 1) * 64]
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(net(X[idx]), Y[idx])
            loss.backward()
            opt.step()
            sched.step()
        net.eval()
        with torch.no_grad():
            acc = (net(torch.from_numpy(xte)).argmax(1).numpy() == yte).mean()
        print(f"  {name}: epoch {epoch + 1}/{epochs} loss {loss.item():.3f} "
              f"test accuracy {acc:.3f}", flush=True)
    onnx_path = os.path.join(out_dir, name + ".onnx")
    torch.save(net.state_dict(), os.path.join(out_dir, name + ".pt"))
    torch.onnx.export(net, torch.zeros(1, 3, SIZE, SIZE), onnx_path, input_names=["input"],
                      output_names=["output"], opset_version=13)
    np.savez(os.path.join(out_dir, name + ".data.npz"), xtr=xtr[:64], xte=xte, yte=yte)
    with open(os.path.join(out_dir, name + ".meta.json"), "w") as f:
        json.dump({"test_accuracy": float(acc), "epochs": epochs, "train": n_train,
                   "test": n_test}, f)
    return onnx_path


def ensure(out_dir, name):
    """The trained model's paths, training it first if needed."""
    os.makedirs(out_dir, exist_ok=True)
    paths = {"onnx": os.path.join(out_dir, name + ".onnx"),
             "data": os.path.join(out_dir, name + ".data.npz"),
             "meta": os.path.join(out_dir, name + ".meta.json")}
    if not all(os.path.exists(p) for p in paths.values()):
        train(name, out_dir)
    return paths


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("out_dir")
    p.add_argument("--models", default=",".join(MODELS))
    args = p.parse_args()
    for name in args.models.split(","):
        if name not in MODELS:
            sys.exit(f"train_synthetic: unknown model {name} ({', '.join(MODELS)})")
        ensure(args.out_dir, name)


if __name__ == "__main__":
    main()
