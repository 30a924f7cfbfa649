"""same_outputs.py REF DIR...: every .npy in REF matches the one of the same
name in each DIR (rtol 1e-4, atol 1e-5); exits 1 naming the first that
does not."""
import os
import sys

import numpy as np

ref = sys.argv[1]
names = sorted(f for f in os.listdir(ref) if f.endswith(".npy"))
if not names:
    sys.exit(f"same_outputs: no .npy files in {ref}")
for d in sys.argv[2:]:
    for name in names:
        a, b = np.load(os.path.join(ref, name)), np.load(os.path.join(d, name))
        if a.shape != b.shape or not np.allclose(a, b, rtol=1e-4, atol=1e-5):
            sys.exit(f"same_outputs: {d}/{name} differs from {ref}/{name}")
