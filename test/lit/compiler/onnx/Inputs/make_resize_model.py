"""Writes small Resize/Upsample/DepthToSpace/SpaceToDepth ONNX models for the
importer's lit tests (resize.test).

usage: make_resize_model.py NAME OUT.onnx
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def model(nodes, inputs, outputs, inits=(), opset=13):
    g = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 7
    return m


def vi(name, shape, dtype=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, dtype, shape)


def arr(name, values, dtype):
    return numpy_helper.from_array(np.array(values, dtype=dtype), name)


def sizes_cubic():
    return model([helper.make_node("Resize", ["x", "", "", "sizes"], ["y"], name="rs",
                                   mode="cubic", coordinate_transformation_mode="align_corners",
                                   cubic_coeff_a=-0.5, exclude_outside=1)],
                 [vi("x", [1, 2, 4, 6])], [vi("y", [1, 2, 3, 9])],
                 [arr("sizes", [1, 2, 3, 9], np.int64)])


def scales_nearest():
    # floor(0.6 * 5) = 3; the scale stays 0.6 (float32) for the coordinates.
    return model([helper.make_node("Resize", ["x", "", "scales"], ["y"], name="rs",
                                   nearest_mode="floor")],
                 [vi("x", [1, 1, 5, 2])], [vi("y", [1, 1, 3, 4])],
                 [arr("scales", [1, 1, 0.6, 2], np.float32)])


def crop():
    return model([helper.make_node("Resize", ["x", "roi", "", "sizes"], ["y"], name="rs",
                                   mode="linear",
                                   coordinate_transformation_mode="tf_crop_and_resize",
                                   extrapolation_value=2.5)],
                 [vi("x", [1, 1, 4, 4])], [vi("y", [1, 1, 3, 3])],
                 [arr("roi", [0, 0, 0.25, 0.5, 1, 1, 0.75, 1], np.float32),
                  arr("sizes", [1, 1, 3, 3], np.int64)])


def runtime_sizes():
    return model([helper.make_node("Resize", ["x", "", "", "sizes"], ["y"], name="rs")],
                 [vi("x", [1, 1, 2, 2]), vi("sizes", [4], TensorProto.INT64)],
                 [vi("y", ["H", "W", "C", "D"])])


def resize10():
    return model([helper.make_node("Resize", ["x", "scales"], ["y"], name="rs10",
                                   mode="linear")],
                 [vi("x", [1, 1, 2, 2])], [vi("y", [1, 1, 4, 6])],
                 [arr("scales", [1, 1, 2, 3], np.float32)], opset=10)


def upsample7():
    return model([helper.make_node("Upsample", ["x"], ["y"], name="up7",
                                   scales=[1.0, 1.0, 2.0, 2.0])],
                 [vi("x", [1, 3, 2, 2])], [vi("y", [1, 3, 4, 4])], opset=7)


def bad_mode():
    return model([helper.make_node("Upsample", ["x"], ["y"], name="up_area",
                                   mode="area", scales=[1.0, 1.0, 2.0, 2.0])],
                 [vi("x", [1, 3, 2, 2])], [vi("y", [1, 3, 4, 4])], opset=7)


def d2s_crd():
    return model([helper.make_node("DepthToSpace", ["x"], ["y"], name="d2s",
                                   blocksize=2, mode="CRD")],
                 [vi("x", [1, 8, 2, 3])], [vi("y", [1, 2, 4, 6])])


def d2s_bad_channels():
    return model([helper.make_node("DepthToSpace", ["x"], ["y"], name="d2s",
                                   blocksize=2)],
                 [vi("x", [1, 6, 2, 3])], [vi("y", ["H", "W", "C", "D"])])


def s2d():
    return model([helper.make_node("SpaceToDepth", ["x"], ["y"], name="s2d", blocksize=3)],
                 [vi("x", [2, 1, 3, 6])], [vi("y", [2, 9, 1, 2])])


if __name__ == "__main__":
    m = globals()[sys.argv[1]]()
    with open(sys.argv[2], "wb") as f:
        f.write(m.SerializeToString())
