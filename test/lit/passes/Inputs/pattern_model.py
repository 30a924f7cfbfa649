"""Two 3x3 convs that pattern pruning at 8x hands to the pattern kernel.

    pattern_model.py DIR   writes DIR/pattern.onnx and DIR/x.npy

16 -> 32 channels on 20x20 (ReLU), then 32 -> 32 at stride 2: enough
channels for kiln-layout to leave them NCHW, and output rows long enough
for the kernel to have several register tiles to choose from.
"""
import sys

import numpy as np
from onnx import helper, numpy_helper

import onnx_model


def main(out):
    rng = np.random.default_rng(6)

    def weight(name, *shape):
        return numpy_helper.from_array(
            rng.standard_normal(shape).astype(np.float32) * 0.3, name)

    inits = [weight("w1", 32, 16, 3, 3), weight("b1", 32),
             weight("w2", 32, 32, 3, 3), weight("b2", 32)]
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1",
                         pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("Conv", ["r1", "w2", "b2"], ["y"], name="conv2",
                         strides=[2, 2], pads=[1, 1, 1, 1]),
    ]
    x = rng.standard_normal((1, 16, 20, 20))
    onnx_model.write(out, "pattern", nodes, x, {"y": [1, 32, 10, 10]}, inits)


if __name__ == "__main__":
    main(sys.argv[1])
