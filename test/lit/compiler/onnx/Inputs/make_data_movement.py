"""Writes small ONNX models for the data movement importer lit tests.

usage: make_data_movement.py NAME OUT.onnx
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def const(name, values, dtype=np.int64):
    return numpy_helper.from_array(np.array(values, dtype=dtype), name)


def model(nodes, inputs, outputs, inits=(), opset=13):
    g = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def vi(name, shape, dtype=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, dtype, shape)


def tile():
    return model([helper.make_node("Tile", ["x", "r"], ["y"], name="tile")],
                 [vi("x", [2, 3])], [vi("y", [4, 3])], [const("r", [2, 1])])


def pad_negative():
    # Crops one row in front and two columns at the end, pads two rows after.
    return model([helper.make_node("Pad", ["x", "p"], ["y"], name="pad", mode="edge")],
                 [vi("x", [4, 5], TensorProto.INT64)], [vi("y", [5, 3], TensorProto.INT64)],
                 [const("p", [-1, 0, 2, -2])])


def gather_runtime():
    return model([helper.make_node("Gather", ["x", "i"], ["y"], name="gather", axis=-1)],
                 [vi("x", [5, 4]), vi("i", [2, 3], TensorProto.INT32)], [vi("y", [5, 2, 3])])


def gather_fold():
    # Constant data and indices: evaluated on import (any rank, any axis).
    return model([helper.make_node("Gather", ["d", "i"], ["y"], name="gather", axis=1)],
                 [], [vi("y", [2, 2])],
                 [const("d", [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], np.float32),
                  const("i", [-1, 0])])


def gather_out_of_range():
    return model([helper.make_node("Gather", ["x", "i"], ["y"], name="gather")],
                 [vi("x", [5, 4])], [vi("y", [1, 4])], [const("i", [5])])


def expand_runtime_shape():
    return model([helper.make_node("Expand", ["x", "s"], ["y"], name="expand")],
                 [vi("x", [3, 1]), vi("s", [2], TensorProto.INT64)], [vi("y", [3, 4])])


def slice_backwards():
    return model([helper.make_node("Slice", ["x", "s", "e", "a", "t"], ["y"], name="slice")],
                 [vi("x", [20, 10])], [vi("y", [20, 5])],
                 [const("s", [-1, 9]), const("e", [-2**63, 0]), const("a", [0, 1]),
                  const("t", [-1, -2])])


def slice_empty():
    return model([helper.make_node("Slice", ["x", "s", "e"], ["y"], name="slice")],
                 [vi("x", [20, 10])], [vi("y", [0, 10])],
                 [const("s", [1000]), const("e", [1001])])


def dropout_mask():
    return model([helper.make_node("Dropout", ["x", "r", "t"], ["y", "m"], name="drop")],
                 [vi("x", [2, 3])], [vi("y", [2, 3]), vi("m", [2, 3], TensorProto.BOOL)],
                 [const("r", 0.5, np.float32), const("t", False, np.bool_)])


def dropout_training():
    return model([helper.make_node("Dropout", ["x", "r", "t"], ["y"], name="drop")],
                 [vi("x", [2, 3])], [vi("y", [2, 3])],
                 [const("r", 0.5, np.float32), const("t", True, np.bool_)])


def dropout_training_zero_ratio():
    return model([helper.make_node("Dropout", ["x", "r", "t"], ["y"], name="drop")],
                 [vi("x", [2, 3])], [vi("y", [2, 3])],
                 [const("r", 0.0, np.float32), const("t", True, np.bool_)])


def folded():
    # Ops whose results are known at compile time.
    return model(
        [helper.make_node("Size", ["x"], ["size"], name="size"),
         helper.make_node("ConstantOfShape", ["shape"], ["fill"], name="fill",
                          value=numpy_helper.from_array(np.array([7], dtype=np.int32))),
         helper.make_node("Range", ["start", "limit", "delta"], ["range"], name="range"),
         helper.make_node("EyeLike", ["x"], ["eye"], name="eye", k=1),
         helper.make_node("NonZero", ["cond"], ["nz"], name="nz")],
        [vi("x", [2, 3])],
        [vi("size", [], TensorProto.INT64), vi("fill", [2, 2], TensorProto.INT32),
         vi("range", [3], TensorProto.INT64), vi("eye", [2, 3]), vi("nz", [2, 2], TensorProto.INT64)],
        [const("shape", [2, 2]), const("start", 1), const("limit", 10), const("delta", 3),
         const("cond", [[0, 1], [1, 0]], np.bool_)], opset=13)


def range_runtime():
    return model([helper.make_node("Range", ["s", "l", "d"], ["y"], name="range")],
                 [vi("s", [], TensorProto.INT64)], [vi("y", [3], TensorProto.INT64)],
                 [const("l", 10), const("d", 3)])


def trilu():
    # Lower triangle with k = 1, on a batch of 2x3x4 matrices.
    return model([helper.make_node("Trilu", ["x", "k"], ["y"], name="tril", upper=0)],
                 [vi("x", [2, 3, 4])], [vi("y", [2, 3, 4])], [const("k", 1)], opset=14)


def onehot():
    return model([helper.make_node("OneHot", ["i", "d", "v"], ["y"], name="onehot")],
                 [vi("i", [3], TensorProto.INT64)], [vi("y", [3, 4])],
                 [const("d", 4), const("v", [0.0, 1.0], np.float32)], opset=11)


if __name__ == "__main__":
    name, out = sys.argv[1], sys.argv[2]
    onnx.save(globals()[name](), out)
