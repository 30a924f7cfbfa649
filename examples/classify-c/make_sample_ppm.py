#!/usr/bin/env python3
"""Writes sample.ppm, the classifier example's 64x64 test picture (binary
PPM, P6): a colour gradient, a disc and stripes, no randomness, so the file
is the same byte for byte on every run.

    /usr/bin/python3 examples/classify-c/make_sample_ppm.py
"""
import os

import numpy as np

W = H = 64
y, x = np.mgrid[0:H, 0:W].astype(np.float64)
r = 255 * x / (W - 1)
g = 255 * y / (H - 1)
b = 128 + 100 * np.sin(x / 5.0)
disc = (x - 40) ** 2 + (y - 24) ** 2 < 14 ** 2
r[disc], g[disc], b[disc] = 240, 200, 30
stripes = (y > 44) & ((x // 4) % 2 == 0)
r[stripes], g[stripes], b[stripes] = 20, 20, 90
img = np.stack([r, g, b], axis=-1).round().clip(0, 255).astype(np.uint8)

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sample.ppm")
with open(out, "wb") as f:
    f.write(b"P6\n%d %d\n255\n" % (W, H))
    f.write(img.tobytes())
print(f"wrote {out} ({os.path.getsize(out)} bytes)")
