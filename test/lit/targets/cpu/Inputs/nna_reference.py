"""nna_reference.py DIR: the int8 graph of nna-cpu.mlir computed with
docs/nna.md's arithmetic in plain numpy (whole tensors, Python integers),
from DIR/x.npy and DIR/r.npy; compared bit for bit with DIR/out/*.npy."""
import os
import sys

import numpy as np

INT32_MIN, INT32_MAX = -(2 ** 31), 2 ** 31 - 1


def srdhm(a, b):
    if a == INT32_MIN and b == INT32_MIN:
        return INT32_MAX
    p = a * b
    nudge = 2 ** 30 if p >= 0 else 1 - 2 ** 30
    q = abs(p + nudge) // 2 ** 31  # C division: towards zero
    return q if p + nudge >= 0 else -q


def rdivpot(x, e):
    mask = (1 << e) - 1
    r = x & mask
    t = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> e) + (1 if r > t else 0)


def mulq(x, m, s):
    x = max(INT32_MIN, min(INT32_MAX, x * 2 ** max(s, 0)))
    return rdivpot(srdhm(x, m), max(-s, 0))


def clamp(x, lo, hi):
    return min(max(x, lo), hi)


def add_stage(a, b, q):
    u = mulq((a - q["a_zero"]) * 2 ** 20, q["a_mult"], q["a_shift"]) + \
        mulq((b - q["b_zero"]) * 2 ** 20, q["b_mult"], q["b_shift"])
    u = clamp(u, INT32_MIN, INT32_MAX)
    return clamp(mulq(u, q["o_mult"], q["o_shift"]) + q["o_zero"], q["lo"], q["hi"])


def conv(x, w, p, kernel, strides, pads, in_zero, out_zero, clamp1,
         depthwise=False, addend=None, add=None):
    h, wd, c = x.shape
    k, kh, kw, cg = w.shape
    oh = (h + pads[0] + pads[2] - kh) // strides[0] + 1
    ow = (wd + pads[1] + pads[3] - kw) // strides[1] + 1
    out = np.zeros((oh, ow, k), np.int8)
    for y in range(oh):
        for xo in range(ow):
            for o in range(k):
                acc = int(p[o][0])
                for ky in range(kh):
                    iy = y * strides[0] - pads[0] + ky
                    if not 0 <= iy < h:
                        continue
                    for kx in range(kw):
                        ix = xo * strides[1] - pads[1] + kx
                        if not 0 <= ix < wd:
                            continue
                        if depthwise:
                            acc += (int(x[iy, ix, o]) - in_zero) * int(w[o, ky, kx, 0])
                        else:
                            for ch in range(cg):
                                acc += (int(x[iy, ix, ch]) - in_zero) * int(w[o, ky, kx, ch])
                acc = (acc + 2 ** 31) % 2 ** 32 - 2 ** 31  # wrapping int32
                t = clamp(mulq(acc, int(p[o][1]), int(p[o][2])) + out_zero, *clamp1)
                if add is not None:
                    t = add_stage(t, int(addend[y, xo, o]), add)
                out[y, xo, o] = t
    return out


def pool(x, mode, kernel, strides, pads, in_zero, include_pad=False):
    h, w, c = x.shape
    kh, kw = kernel
    oh = (h + pads[0] + pads[2] - kh) // strides[0] + 1
    ow = (w + pads[1] + pads[3] - kw) // strides[1] + 1
    out = np.zeros((oh, ow, c), np.int8)
    for y in range(oh):
        for xo in range(ow):
            for ch in range(c):
                vals, n = [], 0
                for ky in range(kh):
                    for kx in range(kw):
                        iy, ix = y * strides[0] - pads[0] + ky, xo * strides[1] - pads[1] + kx
                        inside = 0 <= iy < h and 0 <= ix < w
                        if inside:
                            vals.append(int(x[iy, ix, ch]))
                        elif include_pad and mode == "avg":
                            vals.append(in_zero)
                if mode == "max":
                    out[y, xo, ch] = max(vals)
                else:
                    s, n = sum(vals), len(vals)
                    q = abs(s + n // 2) // n if s >= 0 else -(abs(s - n // 2) // n)
                    out[y, xo, ch] = q
    return out


d = sys.argv[1]
x = np.load(os.path.join(d, "x.npy"))
r = np.load(os.path.join(d, "r.npy"))
# The constants of nna-cpu.mlir, regenerated as it was written.
rng = np.random.RandomState(7)
w1 = rng.randint(-127, 128, (6, 3, 3, 4)).astype(np.int8)
p1 = np.stack([rng.randint(-3000, 3000, 6), rng.randint(2 ** 30, 2 ** 31 - 1, 6),
               rng.randint(-9, -6, 6)], axis=1)
w2 = rng.randint(-127, 128, (6, 3, 3, 1)).astype(np.int8)
p2 = np.stack([rng.randint(-3000, 3000, 6), rng.randint(2 ** 30, 2 ** 31 - 1, 6),
               rng.randint(-8, -5, 6)], axis=1)
add = dict(a_zero=3, a_mult=1518500250, a_shift=-1, b_zero=-5, b_mult=1073741824,
           b_shift=0, o_mult=1227133513, o_shift=-19, o_zero=-20, lo=-20, hi=127)
c1 = conv(x, w1, p1, (3, 3), (1, 1), (1, 1, 1, 1), -7, 3, (-128, 127),
          addend=r, add=add)
c2 = conv(c1, w2, p2, (3, 3), (2, 2), (2, 2, 0, 0), -20, -128, (-128, 127),
          depthwise=True)
want = {
    "c1": c1,
    "dw": c2,
    "max": pool(c1, "max", (3, 3), (2, 2), (1, 1, 1, 1), -20),
    "avg": pool(c1, "avg", (3, 3), (2, 2), (1, 1, 1, 1), -20),
    "avgpad": pool(c1, "avg", (3, 3), (2, 2), (1, 1, 1, 1), -20, include_pad=True),
    "gap": pool(c2, "avg", c2.shape[:2], (1, 1), (0, 0, 0, 0), -128),
}
for name, ref in want.items():
    got = np.load(os.path.join(d, "out", name + ".npy"))
    if got.shape != ref.shape or not np.array_equal(got, ref):
        diff = np.argwhere(got != ref) if got.shape == ref.shape else "shape"
        sys.exit(f"nna_reference: {name} differs: {got.shape} vs {ref.shape}, at {diff[:3] if not isinstance(diff, str) else diff}")
print("nna_reference: " + ", ".join(want) + " equal")
