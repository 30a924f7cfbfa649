"""Writes small ONNX models for the elementwise importer lit test.

usage: elementwise_models.py NAME OUT.onnx
"""
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper


def model(nodes, inputs, outputs, inits=(), opset=13):
    g = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def vi(name, shape, dtype=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, dtype, shape)


def prelu_v6():
    # PyTorch's PReLU(num_parameters=3) at opset 6: the slope is per channel.
    slope = numpy_helper.from_array(np.array([0.1, 0.2, 0.3], np.float32), "s")
    return model([helper.make_node("PRelu", ["x", "s"], ["y"], name="prelu")],
                 [vi("x", [2, 3, 4, 5])], [vi("y", [2, 3, 4, 5])], [slope], opset=6)


def mean_sum():
    return model([helper.make_node("Mean", ["a", "b", "c"], ["m"], name="mean"),
                  helper.make_node("Sum", ["a"], ["s"], name="sum1")],
                 [vi("a", [2, 3]), vi("b", [3]), vi("c", [2, 1])],
                 [vi("m", [2, 3]), vi("s", [2, 3])])


def where_greater():
    return model([helper.make_node("Greater", ["a", "b"], ["c"], name="gt"),
                  helper.make_node("Where", ["c", "a", "b"], ["y"], name="where")],
                 [vi("a", [2, 3]), vi("b", [3])], [vi("y", [2, 3])])


def max_uint8():
    # Min reads Max's result: its ONNX type comes from shape inference.
    return model([helper.make_node("Max", ["a", "b"], ["m"], name="max_u8"),
                  helper.make_node("Min", ["m", "c"], ["y"], name="min_u8")],
                 [vi("a", [4], TensorProto.UINT8), vi("b", [4], TensorProto.UINT8),
                  vi("c", [], TensorProto.UINT8)],
                 [vi("y", [4], TensorProto.UINT8)])


def max_int8():
    return model([helper.make_node("Max", ["a", "b"], ["y"], name="max_s8")],
                 [vi("a", [4], TensorProto.INT8), vi("b", [4], TensorProto.INT8)],
                 [vi("y", [4], TensorProto.INT8)])


def max_uint64():
    return model([helper.make_node("Max", ["a", "b"], ["y"], name="max_u64")],
                 [vi("a", [4], TensorProto.UINT64), vi("b", [4], TensorProto.UINT64)],
                 [vi("y", [4], TensorProto.UINT64)])


def min_int16():
    return model([helper.make_node("Min", ["a", "b"], ["y"], name="min_s16")],
                 [vi("a", [4], TensorProto.INT16), vi("b", [4], TensorProto.INT16)],
                 [vi("y", [4], TensorProto.INT16)])


def mod_uint32():
    return model([helper.make_node("Mod", ["a", "b"], ["y"], name="mod_u32")],
                 [vi("a", [4], TensorProto.UINT32), vi("b", [4], TensorProto.UINT32)],
                 [vi("y", [4], TensorProto.UINT32)])


def pow_uint32():
    return model([helper.make_node("Pow", ["x", "e"], ["y"], name="pow_u32")],
                 [vi("x", [3]), vi("e", [3], TensorProto.UINT32)], [vi("y", [3])],
                 opset=15)


def maxpool_uint8():
    # Not elementwise, but imported the same way as Max on UINT8.
    return model([helper.make_node("MaxPool", ["x"], ["y"], name="pool_u8",
                                   kernel_shape=[2, 2], pads=[1, 1, 1, 1])],
                 [vi("x", [1, 1, 3, 3], TensorProto.UINT8)],
                 [vi("y", [1, 1, 4, 4], TensorProto.UINT8)])


def mod_uint8():
    return model([helper.make_node("Mod", ["a", "b"], ["y"], name="mod_u8")],
                 [vi("a", [4], TensorProto.UINT8), vi("b", [4], TensorProto.UINT8)],
                 [vi("y", [4], TensorProto.UINT8)])


def mod_float():
    return model([helper.make_node("Mod", ["a", "b"], ["y"], name="fmod", fmod=1)],
                 [vi("a", [4]), vi("b", [4])], [vi("y", [4])])


def clip_int32():
    lo = numpy_helper.from_array(np.array(-5, np.int32), "lo")
    return model([helper.make_node("Clip", ["a", "lo", "hi"], ["y"], name="clip_i32"),
                  helper.make_node("Clip", ["a"], ["z"], name="clip_none")],
                 [vi("a", [4], TensorProto.INT32), vi("hi", [1], TensorProto.INT32)],
                 [vi("y", [4], TensorProto.INT32), vi("z", [4], TensorProto.INT32)],
                 [lo])


def clip_uint8():
    lo = numpy_helper.from_array(np.array(100, np.uint8), "lo")
    hi = numpy_helper.from_array(np.array(200, np.uint8), "hi")
    return model([helper.make_node("Clip", ["a", "lo", "hi"], ["y"], name="clip_u8")],
                 [vi("a", [4], TensorProto.UINT8)], [vi("y", [4], TensorProto.UINT8)],
                 [lo, hi])


def clip_bound_not_scalar():
    return model([helper.make_node("Clip", ["a", "lo"], ["y"], name="clip_vec")],
                 [vi("a", [4], TensorProto.INT32), vi("lo", [4], TensorProto.INT32)],
                 [vi("y", [4], TensorProto.INT32)])


def div_uint8():
    return model([helper.make_node("Div", ["a", "b"], ["y"], name="div_u8")],
                 [vi("a", [4], TensorProto.UINT8), vi("b", [4], TensorProto.UINT8)],
                 [vi("y", [4], TensorProto.UINT8)], opset=14)


def div_int8():
    return model([helper.make_node("Div", ["a", "b"], ["y"], name="div_s8")],
                 [vi("a", [4], TensorProto.INT8), vi("b", [4], TensorProto.INT8)],
                 [vi("y", [4], TensorProto.INT8)], opset=14)


def neg_int():
    return model([helper.make_node("Neg", ["a"], ["y"], name="neg_i64")],
                 [vi("a", [4], TensorProto.INT64)], [vi("y", [4], TensorProto.INT64)])


if __name__ == "__main__":
    name, out = sys.argv[1], sys.argv[2]
    with open(out, "wb") as f:
        f.write(globals()[name]().SerializeToString())
