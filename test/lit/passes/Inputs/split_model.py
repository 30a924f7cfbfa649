"""A small net that kiln-split cuts along every axis it knows.

    split_model.py DIR   writes DIR/split.onnx and DIR/x.npy

Batch 2; a 3x3 conv with pads, bias and ReLU; a strided depthwise conv; a
dilated conv with a residual Add; a global pool and a Gemm (transB). With
a budget of a few KiB, kiln-split cuts rows, channels (at group boundaries
for the depthwise conv), batch and Gemm columns, fused epilogues included.
"""
import sys

import numpy as np
from onnx import helper, numpy_helper

import onnx_model


def main(out):
    rng = np.random.default_rng(11)

    def weight(name, *shape):
        return numpy_helper.from_array(
            rng.standard_normal(shape).astype(np.float32) * 0.3, name)

    inits = [
        weight("w1", 16, 8, 3, 3), weight("b1", 16),
        weight("w2", 16, 1, 3, 3), weight("b2", 16),
        weight("w3", 16, 16, 3, 3), weight("b3", 16),
        weight("w4", 200, 16), weight("b4", 200),
    ]
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1",
                         pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], name="dw",
                         group=16, strides=[2, 2], pads=[1, 1, 1, 1]),
        helper.make_node("Conv", ["c2", "w3", "b3"], ["c3"], name="dilated",
                         dilations=[2, 2], pads=[2, 2, 2, 2]),
        helper.make_node("Add", ["c3", "c2"], ["a3"], name="residual"),
        helper.make_node("GlobalAveragePool", ["a3"], ["p"], name="pool"),
        helper.make_node("Flatten", ["p"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "w4", "b4"], ["y"], name="fc",
                         transB=1),
    ]
    onnx_model.write(out, "split", nodes, rng.standard_normal((2, 8, 20, 20)),
                     {"y": [2, 200], "a3": [2, 16, 10, 10]}, inits)


if __name__ == "__main__":
    main(sys.argv[1])
