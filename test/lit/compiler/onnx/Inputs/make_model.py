"""Writes small ONNX models for the importer's lit tests.

usage: make_model.py NAME OUT.onnx
Weights are fixed-seed random so the tests are deterministic.
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(0)


def init(name, *shape):
    return numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name)


def ints(name, values):
    return numpy_helper.from_array(np.array(values, dtype=np.int64), name)


def model(nodes, inputs, outputs, inits=(), opset=13):
    g = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def vi(name, shape, dtype=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, dtype, shape)


def conv_relu():
    # Dynamic batch, SAME_UPPER padding with stride 2: pads must be resolved.
    return model(
        [helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv1",
                          auto_pad="SAME_UPPER", strides=[2, 2]),
         helper.make_node("Relu", ["c"], ["y"], name="relu1")],
        [vi("x", ["N", 3, 7, 7])], [vi("y", ["N", 4, 4, 4])],
        [init("w", 4, 3, 3, 3), init("b", 4)])


def unsupported():
    return model([helper.make_node("Det", ["x"], ["y"], name="det_node")],
                 [vi("x", [2, 3, 3])], [vi("y", [2])])


def bad_shapes():
    # A MatMul whose inner dimensions disagree.
    return model([helper.make_node("MatMul", ["a", "b"], ["y"], name="mm")],
                 [vi("a", [2, 3]), vi("b", [4, 5])], [vi("y", [2, 5])])


def softmax_v11():
    return model([helper.make_node("Softmax", ["x"], ["y"], name="sm", axis=1)],
                 [vi("x", [2, 3, 4])], [vi("y", [2, 3, 4])], opset=11)


def shape_arith():
    # torch-style flatten: Shape -> Gather -> Unsqueeze -> Concat -> Reshape.
    return model(
        [helper.make_node("Shape", ["x"], ["s"], name="shape"),
         helper.make_node("Gather", ["s", "zero"], ["n"], name="gather", axis=0),
         helper.make_node("Unsqueeze", ["n", "axes"], ["n1"], name="unsq"),
         helper.make_node("Concat", ["n1", "minus1"], ["shp"], name="cat", axis=0),
         helper.make_node("Reshape", ["x", "shp"], ["y"], name="reshape")],
        [vi("x", [2, 3, 4])], [vi("y", [2, 12])],
        [ints("zero", 0), ints("axes", [0]), ints("minus1", [-1])])


def split_slice():
    return model(
        [helper.make_node("Split", ["x"], ["a", "b"], name="split", axis=2),
         helper.make_node("Slice", ["b", "starts", "ends", "axes", "steps"], ["c"],
                          name="slice"),
         helper.make_node("Concat", ["a", "c"], ["y"], name="cat", axis=1)],
        [vi("x", [1, 4, 6])], [vi("y", [1, 6, 3])],
        [ints("starts", [1]), ints("ends", [100]), ints("axes", [1]),
         ints("steps", [2])])


def pool_gemm():
    return model(
        [helper.make_node("MaxPool", ["x"], ["p"], name="pool", kernel_shape=[3, 3],
                          strides=[2, 2], ceil_mode=1),
         helper.make_node("GlobalAveragePool", ["p"], ["g"], name="gap"),
         helper.make_node("Flatten", ["g"], ["f"], name="flat"),
         helper.make_node("Gemm", ["f", "w", "b"], ["y"], name="fc", transB=1)],
        [vi("x", [1, 8, 6, 6])], [vi("y", [1, 10])],
        [init("w", 10, 8), init("b", 10)])


def clip_bn():
    return model(
        [helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["n"],
                          name="bn", epsilon=1e-3),
         helper.make_node("Clip", ["n", "lo", "hi"], ["y"], name="relu6")],
        [vi("x", [1, 3, 2, 2])], [vi("y", [1, 3, 2, 2])],
        [init("s", 3), init("b", 3), init("m", 3),
         numpy_helper.from_array(np.ones(3, np.float32), "v"),
         numpy_helper.from_array(np.array(0, np.float32), "lo"),
         numpy_helper.from_array(np.array(6, np.float32), "hi")])


def bn_train():
    # training_mode=1 with the running mean consumed, the running var not.
    return model(
        [helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"],
                          ["y", "rm", "rv"], name="bn", training_mode=1,
                          momentum=0.75)],
        [vi("x", [2, 3, 4])], [vi("y", [2, 3, 4]), vi("rm", [3])],
        [init("s", 3), init("b", 3), init("m", 3),
         numpy_helper.from_array(np.ones(3, np.float32), "v")], opset=15)


def bn_train_opset13():
    # Before opset 14 the extra outputs are training-only statistics.
    return model(
        [helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"],
                          ["y", "rm", "rv", "sm", "sv"], name="bn")],
        [vi("x", [2, 3, 4])], [vi("y", [2, 3, 4]), vi("rm", [3])],
        [init("s", 3), init("b", 3), init("m", 3),
         numpy_helper.from_array(np.ones(3, np.float32), "v")])


def einsum_diag():
    # A repeated letter reads the diagonal; implicit 'ii' is a trace.
    return model(
        [helper.make_node("Einsum", ["x"], ["d"], name="diag",
                          equation="...ii->...i"),
         helper.make_node("Einsum", ["x"], ["t"], name="trace",
                          equation="bii")],
        [vi("x", [2, 3, 3])], [vi("d", [2, 3]), vi("t", [2])], opset=12)


def wrap_pad():
    return model(
        [helper.make_node("Pad", ["x", "pads"], ["y"], name="pad", mode="wrap")],
        [vi("x", [1, 1, 4, 4])], [vi("y", [1, 1, 6, 6])],
        [ints("pads", [0, 0, 1, 1, 0, 0, 1, 1])])


def opset_too_new():
    return model([helper.make_node("Relu", ["x"], ["y"], name="r")],
                 [vi("x", [1, 4])], [vi("y", [1, 4])], opset=18)


def reshape_input():
    # The shape comes in as a graph input: only --freeze-input can compile it.
    return model([helper.make_node("Reshape", ["x", "shape"], ["y"], name="reshape")],
                 [vi("x", [2, 3, 4]), vi("shape", [2], TensorProto.INT64)],
                 [vi("y", [6, 4])])


def reshape_computed():
    # The shape is computed from a graph input: kilnc names that input.
    return model([helper.make_node("Mul", ["shape", "one"], ["shape2"], name="mul"),
                  helper.make_node("Reshape", ["x", "shape2"], ["y"], name="reshape")],
                 [vi("x", [2, 3, 4]), vi("shape", [2], TensorProto.INT64)],
                 [vi("y", [6, 4])], [ints("one", [1, 1])])


def legacy_broadcast():
    # Opset 6: Add broadcasts only with broadcast=1 (pre-numpy semantics),
    # and Relu feeds it, so the converter needs inferred shapes.
    return model([helper.make_node("Relu", ["b"], ["r"], name="relu"),
                  helper.make_node("Add", ["a", "r"], ["y"], name="add",
                                   broadcast=1)],
                 [vi("a", [2, 3, 4]), vi("b", [4])], [vi("y", [2, 3, 4])],
                 opset=6)


def zero_strides():
    # ONNX's own shape inference divides by the strides (SIGFPE).
    return model([helper.make_node("MaxPool", ["x"], ["y"], name="pool0",
                                   kernel_shape=[2, 2], strides=[0, 0])],
                 [vi("x", [1, 1, 5, 5])], [vi("y", ["a", "b", "c", "d"])])


def zero_blocksize():
    return model([helper.make_node("DepthToSpace", ["x"], ["y"], name="d2s",
                                   blocksize=0)],
                 [vi("x", [1, 4, 2, 2])], [vi("y", ["a", "b", "c", "d"])])


def cumsum_reverse():
    return model([helper.make_node("CumSum", ["x", "axis"], ["y"], name="cumsum",
                                   reverse=1)],
                 [vi("x", [2, 3, 4])], [vi("y", [2, 3, 4])], [ints("axis", 1)], opset=14)


def cumsum_long():
    return model([helper.make_node("CumSum", ["x", "axis"], ["y"], name="cumsum")],
                 [vi("x", [2000])], [vi("y", [2000])], [ints("axis", 0)], opset=14)


def hann_window():
    # The window times the input: the window itself is a folded constant.
    return model([helper.make_node("HannWindow", ["n"], ["w"], name="hann", periodic=0),
                  helper.make_node("Mul", ["x", "w"], ["y"], name="mul")],
                 [vi("x", [5])], [vi("y", [5])], [ints("n", 5)], opset=17)


def stft_default():
    # onesided left to its default (1): 16-sample frames give 9 bins.
    return model([helper.make_node("STFT", ["s", "step", "w"], ["y"], name="stft")],
                 [vi("s", [1, 64, 1])], [vi("y", [1, 7, 9, 2])],
                 [ints("step", 8), numpy_helper.from_array(np.hanning(16).astype(np.float32), "w")],
                 opset=17)


def tensor_pb(kind, out):
    """Tensor files for --freeze-input tests."""
    values = {"shape": np.array([6, 4], np.int64),
              "shape_i32": np.array([6, 4], np.int32),
              "shape3": np.array([6, 4, 1], np.int64)}[kind]
    with open(out, "wb") as f:
        f.write(numpy_helper.from_array(values, "shape").SerializeToString())


if __name__ == "__main__":
    if sys.argv[1] == "tensor":
        tensor_pb(sys.argv[2], sys.argv[3])
        sys.exit(0)
    name, out = sys.argv[1], sys.argv[2]
    m = globals()[name]()
    onnx.save(m, out)
