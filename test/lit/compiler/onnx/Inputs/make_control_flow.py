"""Writes small ONNX models with Loop and If for the importer's lit tests.

usage: make_control_flow.py NAME OUT.onnx (or OUT.pb for trip_count)
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


def body(nodes, carried, outputs, inits=()):
    """A Loop body: (i, cond, *carried) -> (cond_out, *outputs)."""
    return helper.make_graph(
        nodes, "body",
        [vi("i", [], TensorProto.INT64), vi("cond", [], TensorProto.BOOL), *carried],
        [vi("cond_out", [], TensorProto.BOOL), *outputs], list(inits))


def accumulate_body():
    # acc += w (an outer-scope value); the scan output is acc * i.
    return body(
        [helper.make_node("Identity", ["cond"], ["cond_out"], name="keep"),
         helper.make_node("Add", ["acc", "w"], ["acc_out"], name="acc_add"),
         helper.make_node("Cast", ["i"], ["fi"], name="iter_float", to=TensorProto.FLOAT),
         helper.make_node("Mul", ["acc_out", "fi"], ["scan"], name="scan_mul")],
        [vi("acc", [2])], [vi("acc_out", [2]), vi("scan", [2])])


def loop_unrolled():
    return model(
        [helper.make_node("Loop", ["n", "", "x"], ["final", "scans"], name="loop",
                          body=accumulate_body())],
        [vi("x", [2]), vi("w", [2])], [vi("final", [2]), vi("scans", [3, 2])],
        [const("n", 3)])


def loop_constant():
    # Range written as a Loop: start 1.0, step 0.5, four iterations; every
    # value is a constant, so the scan output folds to one.
    b = body(
        [helper.make_node("Identity", ["cond"], ["cond_out"], name="keep"),
         helper.make_node("Add", ["prev", "delta"], ["next"], name="step"),
         helper.make_node("Identity", ["prev"], ["value"], name="emit")],
        [vi("prev", [])], [vi("next", []), vi("value", [])])
    return model(
        [helper.make_node("Loop", ["n", "cond", "start"], ["last", "range"], name="loop",
                          body=b)],
        [], [vi("range", [4])],
        [const("n", 4), const("cond", True, np.bool_), const("start", 1.0, np.float32),
         const("delta", 0.5, np.float32)])


def loop_while():
    # No trip count: the body's condition (i + 1 < 3), folded each
    # iteration, stops the loop after three.
    b = body(
        [helper.make_node("Add", ["i", "one"], ["i1"], name="next_i"),
         helper.make_node("Less", ["i1", "three"], ["cond_out"], name="test"),
         helper.make_node("Add", ["acc", "acc"], ["acc_out"], name="double")],
        [vi("acc", [2])], [vi("acc_out", [2])])
    return model(
        [helper.make_node("Loop", ["", "yes", "x"], ["y"], name="loop", body=b)],
        [vi("x", [2])], [vi("y", [2])],
        [const("yes", True, np.bool_), const("one", 1), const("three", 3)])


def loop_shadow():
    # The body's carried input is named 'x', as the model's input is: inside
    # the body 'x' is the carried value, after the Loop the input again.
    b = body(
        [helper.make_node("Identity", ["cond"], ["cond_out"], name="keep"),
         helper.make_node("Neg", ["x"], ["acc_out"], name="neg")],
        [vi("x", [2])], [vi("acc_out", [2])])
    return model(
        [helper.make_node("Relu", ["x"], ["r"], name="relu"),
         helper.make_node("Loop", ["n", "", "r"], ["l"], name="loop", body=b),
         helper.make_node("Add", ["l", "x"], ["y"], name="after")],
        [vi("x", [2])], [vi("y", [2])], [const("n", 3)])


def loop_runtime_trip():
    return model(
        [helper.make_node("Loop", ["n", "", "x"], ["final", "scans"], name="loop",
                          body=accumulate_body())],
        [vi("x", [2]), vi("n", [], TensorProto.INT64), vi("w", [2])],
        [vi("final", [2]), vi("scans", ["N", 2])])


def trip_count():
    """loop_runtime_trip's 'n' for --freeze-input."""
    return numpy_helper.from_array(np.array(3, np.int64), "n")


def loop_runtime_cond():
    # The condition comes from the data: (sum of acc) < 10.
    b = body(
        [helper.make_node("Add", ["acc", "acc"], ["acc_out"], name="double"),
         helper.make_node("ReduceSum", ["acc_out"], ["s"], name="sum", keepdims=0),
         helper.make_node("Less", ["s", "ten"], ["cond_out"], name="test")],
        [vi("acc", [2])], [vi("acc_out", [2])])
    return model(
        [helper.make_node("Loop", ["n", "yes", "x"], ["y"], name="loop", body=b)],
        [vi("x", [2])], [vi("y", [2])],
        [const("n", 5), const("yes", True, np.bool_), const("ten", 10.0, np.float32)])


def loop_too_long():
    return model(
        [helper.make_node("Loop", ["n", "", "x"], ["final", "scans"], name="loop",
                          body=accumulate_body())],
        [vi("x", [2]), vi("w", [2])], [vi("final", [2]), vi("scans", [100000, 2])],
        [const("n", 100000)])


def scan_sum(length=3):
    # Scan-9: a running sum over x's rows (state) and each step's sum.
    b = helper.make_graph(
        [helper.make_node("Add", ["sum_in", "next"], ["sum_out"], name="add"),
         helper.make_node("Identity", ["sum_out"], ["scan_out"], name="emit")],
        "body", [vi("sum_in", [2]), vi("next", [2])], [vi("sum_out", [2]), vi("scan_out", [2])])
    return model(
        [helper.make_node("Scan", ["init", "x"], ["sum", "sums"], name="scan", body=b,
                          num_scan_inputs=1)],
        [vi("init", [2]), vi("x", [length, 2])], [vi("sum", [2]), vi("sums", [length, 2])],
        opset=11)


def scan_too_long():
    return scan_sum(40000)


def branches(then_shape, else_shape):
    then_b = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["a"], name="then_relu")], "then_branch", [],
        [vi("a", then_shape)])
    else_b = helper.make_graph(
        [helper.make_node("Sigmoid", ["x"], ["b"], name="else_sigmoid")], "else_branch",
        [], [vi("b", else_shape)])
    return dict(then_branch=then_b, else_branch=else_b)


def if_constant():
    return model(
        [helper.make_node("If", ["c"], ["y"], name="if", **branches([2, 3], [2, 3]))],
        [vi("x", [2, 3])], [vi("y", [2, 3])], [const("c", False, np.bool_)])


def if_runtime():
    return model(
        [helper.make_node("If", ["c"], ["y"], name="if", **branches([2, 3], [2, 3]))],
        [vi("x", [2, 3]), vi("c", [1], TensorProto.BOOL)], [vi("y", [2, 3])])


def if_mismatch():
    # then: x (3 elements), else: a constant of 4.
    then_b = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["a"], name="then_relu")], "then_branch", [],
        [vi("a", [3])])
    else_b = helper.make_graph(
        [helper.make_node("Identity", ["z"], ["b"], name="else_z")], "else_branch", [],
        [vi("b", [4])])
    return model(
        [helper.make_node("If", ["c"], ["y"], name="if", then_branch=then_b,
                          else_branch=else_b)],
        [vi("x", [3]), vi("c", [], TensorProto.BOOL)], [vi("y", ["N"])],
        [const("z", [1.0, 2.0, 3.0, 4.0], np.float32)])


if __name__ == "__main__":
    name, out = sys.argv[1], sys.argv[2]
    with open(out, "wb") as f:  # a model, or a TensorProto
        f.write(globals()[name]().SerializeToString())
