"""Float16/bfloat16 conversions end to end, against numpy and torch.

    narrow_floats.py model DIR   writes DIR/narrow.onnx and its inputs (.npy)
    narrow_floats.py check DIR   compares DIR/out/*.npy (kiln-run's outputs)
                                 with numpy (f16) and torch (bf16); prints
                                 'ok' or what differs

Inputs: every f16 and every bf16 bit pattern (extension is checked
exhaustively), and f32/f64 values that exercise rounding to nearest even:
ties of both parities, values a hair off a tie (f64 ones that f32 cannot
hold: rounding f64 -> f32 -> f16 would get them wrong), subnormals, the
overflow boundary, +-0, +-inf and NaN.
"""
import os
import sys

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper

F16, BF16, F32, F64 = TensorProto.FLOAT16, TensorProto.BFLOAT16, TensorProto.FLOAT, \
    TensorProto.DOUBLE


def inputs():
    rng = np.random.default_rng(7)
    all16 = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16)
    k = np.arange(1024, 2048, dtype=np.float64)
    f16_ties = (k + 0.5) * 2.0 ** -10
    bf16_ties = (np.arange(128, 256, dtype=np.float64) + 0.5) * 2.0 ** -7
    special = [0.0, -0.0, 65504.0, 65519.99, 65520.0, 1e6, np.inf, -np.inf, np.nan,
               2.0 ** -14, 2.0 ** -24, 2.0 ** -25, 1.5 * 2.0 ** -25, 3.0e38, 1e-39,
               -5e-40, 1.0 + 2.0 ** -8, 1.0 + 3 * 2.0 ** -8]
    x32 = np.concatenate([
        rng.standard_normal(4096) * 10.0 ** rng.integers(-8, 6, 4096),
        f16_ties, -f16_ties, bf16_ties, -bf16_ties, special,
        rng.integers(1, 1 << 10, 512) * 2.0 ** -24,  # f16 subnormals, exact
        (rng.integers(1, 1 << 12, 512) + 0.5) * 2.0 ** -26,  # halfway below them
    ]).astype(np.float32)
    x64 = np.concatenate([x32.astype(np.float64),
                          f16_ties + 2.0 ** -40, f16_ties - 2.0 ** -40,
                          rng.standard_normal(4096) * 1e3])
    return {"h": all16.view(np.float16), "b": all16, "x": x32, "d": x64}


def model(d):
    nodes = [helper.make_node("Cast", ["h"], ["h_f32"], to=F32),
             helper.make_node("Cast", ["b"], ["b_f32"], to=F32),
             helper.make_node("Cast", ["x"], ["x_f16"], to=F16),
             helper.make_node("Cast", ["x"], ["x_bf16"], to=BF16),
             helper.make_node("Cast", ["d"], ["d_f16"], to=F16)]
    ins = inputs()
    shape = {n: [v.size] for n, v in ins.items()}
    g = helper.make_graph(
        nodes, "narrow",
        [helper.make_tensor_value_info("h", F16, shape["h"]),
         helper.make_tensor_value_info("b", BF16, shape["b"]),
         helper.make_tensor_value_info("x", F32, shape["x"]),
         helper.make_tensor_value_info("d", F64, shape["d"])],
        [helper.make_tensor_value_info("h_f32", F32, shape["h"]),
         helper.make_tensor_value_info("b_f32", F32, shape["b"]),
         helper.make_tensor_value_info("x_f16", F16, shape["x"]),
         helper.make_tensor_value_info("x_bf16", BF16, shape["x"]),
         helper.make_tensor_value_info("d_f16", F16, shape["d"])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    onnx.save(m, os.path.join(d, "narrow.onnx"))
    for n, v in ins.items():  # bfloat16 travels as its uint16 bits
        np.save(os.path.join(d, n + ".npy"), v)


def bits_equal(got, exp, nan):
    """Same bits, or NaN where NaN is expected (the payload may differ)."""
    got_nan = nan(got)
    exp_nan = nan(exp)
    same = (got.view(np.uint8).reshape(got.size, -1) ==
            exp.view(np.uint8).reshape(exp.size, -1)).all(axis=1)
    bad = np.where(exp_nan, ~got_nan, ~same)
    return np.flatnonzero(bad)


def check(d):
    ins = inputs()
    out = {n: np.load(os.path.join(d, "out", n + ".npy"))
           for n in ("h_f32", "b_f32", "x_f16", "x_bf16", "d_f16")}
    with np.errstate(over="ignore"):
        exp = {"h_f32": ins["h"].astype(np.float32),
               "b_f32": (ins["b"].astype(np.uint32) << 16).view(np.float32),
               "x_f16": ins["x"].astype(np.float16),
               "x_bf16": torch.from_numpy(ins["x"]).to(torch.bfloat16)
                              .view(torch.int16).numpy().view(np.uint16),
               "d_f16": ins["d"].astype(np.float16)}
    bf16_nan = lambda a: (a & 0x7fff) > 0x7f80  # noqa: E731
    problems = []
    for n, e in exp.items():
        g = out[n]
        if g.dtype != e.dtype or g.shape != e.shape:
            problems.append(f"{n}: {g.dtype}{g.shape}, expected {e.dtype}{e.shape}")
            continue
        bad = bits_equal(g, e, bf16_nan if n == "x_bf16" else np.isnan)
        if bad.size:
            src = ins["d" if n == "d_f16" else "x" if n.startswith("x") else n[0]]
            i = bad[0]
            problems.append(f"{n}: {bad.size} differ, first at {i}: input {src[i]!r}, "
                            f"got {g[i]!r}, expected {e[i]!r}")
    print("\n".join(problems) if problems else "ok")


if __name__ == "__main__":
    {"model": model, "check": check}[sys.argv[1]](sys.argv[2])
