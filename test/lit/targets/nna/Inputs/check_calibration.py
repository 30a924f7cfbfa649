"""check_calibration.py RANGES DIR [minmax|mean]: the ranges kilnc
--emit=calibration wrote for Inputs/calib.mlir equal numpy's over the
samples in DIR (relative 1e-5): the extremes over all samples, or the
means of each sample's min and max."""
import os
import sys

import numpy as np

ranges_path, sample_dir = sys.argv[1], sys.argv[2]
method = sys.argv[3] if len(sys.argv) > 3 else "minmax"
samples = sorted(os.listdir(sample_dir))
a = np.stack([np.load(os.path.join(sample_dir, s, "a.npy")) for s in samples])
b = np.stack([np.load(os.path.join(sample_dir, s, "b.npy")) for s in samples])
scale = 3 * a
gate = 1 / (1 + np.exp(-b))
product = scale * gate
pool = product.reshape(len(samples), 1, 3, 2, 2, 2, 2).max(axis=(4, 6))
want = {"a": a, "b": b, "scale": scale, "gate": gate, "product": product,
        "pool": pool}
got = {}
with open(ranges_path) as f:
    header = f.readline()
    if f"over {len(samples)} samples" not in header:
        sys.exit(f"check_calibration: header {header!r}")
    for line in f:
        name, _op, lo, hi = line.split()
        got[name] = (float(lo), float(hi))
if set(got) != set(want):
    sys.exit(f"check_calibration: values {sorted(got)}, expected {sorted(want)}")
for name, (lo, hi) in got.items():
    v = want[name].reshape(len(samples), -1)
    if method == "mean":
        exp = (v.min(axis=1).mean(), v.max(axis=1).mean())
    else:
        exp = (v.min(), v.max())
    if not np.allclose((lo, hi), exp, rtol=1e-5, atol=1e-6):
        sys.exit(f"check_calibration: {name}: got {(lo, hi)}, numpy {exp}")
