"""MobileNetV2-style blocks for kiln-fuse-depthwise-pointwise.

    dw_pw_model.py DIR   writes DIR/dwpw.onnx and DIR/x.npy

A 3x3 depthwise conv + ReLU6 (stride 1, pads 1) then a 1x1 conv with a
residual Add; then a strided depthwise conv + ReLU then a 1x1 conv + ReLU.
The depthwise results are 32x96x96 floats (1152 KiB: 5 bands of the
default 256 KiB) and 32x48x48 (288 KiB: 2 bands).
"""
import sys

import numpy as np
from onnx import helper, numpy_helper

import onnx_model


def main(out):
    rng = np.random.default_rng(5)

    def weight(name, *shape):
        return numpy_helper.from_array(
            rng.standard_normal(shape).astype(np.float32) * 0.3, name)

    inits = [weight("w1", 32, 1, 3, 3), weight("b1", 32), weight("w2", 32, 32, 1, 1),
             weight("b2", 32), weight("w3", 32, 1, 3, 3), weight("w4", 16, 32, 1, 1),
             weight("b4", 16),
             numpy_helper.from_array(np.array(0.0, np.float32), "lo"),
             numpy_helper.from_array(np.array(6.0, np.float32), "hi")]
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["d1"], name="dw1", group=32,
                         pads=[1, 1, 1, 1]),
        helper.make_node("Clip", ["d1", "lo", "hi"], ["r1"], name="relu6"),
        helper.make_node("Conv", ["r1", "w2", "b2"], ["p1"], name="pw1"),
        helper.make_node("Add", ["p1", "x"], ["a1"], name="residual"),
        helper.make_node("Conv", ["a1", "w3"], ["d2"], name="dw2", group=32,
                         strides=[2, 2], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["d2"], ["r2"], name="relu"),
        helper.make_node("Conv", ["r2", "w4", "b4"], ["p2"], name="pw2"),
        helper.make_node("Relu", ["p2"], ["y"], name="relu_out"),
    ]
    onnx_model.write(out, "dwpw", nodes, rng.standard_normal((1, 32, 96, 96)),
                     {"y": [1, 16, 48, 48]}, inits)


if __name__ == "__main__":
    main(sys.argv[1])
