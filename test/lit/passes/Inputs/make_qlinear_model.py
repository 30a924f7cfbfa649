"""make_qlinear_model.py OUT.onnx [--single]: a model quantised with the integer
operator format (as onnxruntime's quantiser writes QOperator models):
x -> QuantizeLinear (uint8) -> QLinearConv 3x3 -> QLinearConv depthwise 3x3
stride 2 -> MaxPool (uint8) -> QLinearConv 1x1 (int8 activations) ->
QLinearConv 4x4 -> Flatten -> QLinearMatMul -> DequantizeLinear -> y.
Weights int8, per output channel for the convs; int32 biases. --single:
x -> QuantizeLinear -> QLinearConv 3x3 -> MaxPool -> DequantizeLinear -> y
(one requantisation, to compare with the integer reference step by step)."""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.RandomState(7)
inits, nodes = [], []


def const(name, value):
    inits.append(numpy_helper.from_array(value, name))
    return name


def qconv(name, x, xs, xz, k, c, kh, ys, yz, group=1, **attrs):
    w = const(name + "_w", rng.randint(-127, 128, (k, c // group, kh, kh)).astype(np.int8))
    ws = const(name + "_ws", (rng.uniform(0.5, 1.5, k) * 0.6 / (kh * kh * c // group) ** 0.5 * 0.1).astype(np.float32))
    wz = const(name + "_wz", np.zeros(k, np.int8))
    b = const(name + "_b", rng.randint(-500, 500, k).astype(np.int32))
    nodes.append(helper.make_node(
        "QLinearConv", [x, xs, xz, w, ws, wz, ys, yz, b], [name], name=name,
        group=group, kernel_shape=[kh, kh], **attrs))
    return name


s1, z1 = const("s1", np.array(0.02, np.float32)), const("z1", np.array(128, np.uint8))
s2, z2 = const("s2", np.array(0.03, np.float32)), const("z2", np.array(10, np.uint8))
s3, z3 = const("s3", np.array(0.04, np.float32)), const("z3", np.array(0, np.uint8))
s4, z4 = const("s4", np.array(0.05, np.float32)), const("z4", np.array(-3, np.int8))
s5, z5 = const("s5", np.array(0.06, np.float32)), const("z5", np.array(2, np.int8))
s6, z6 = const("s6", np.array(0.08, np.float32)), const("z6", np.array(-1, np.int8))
nodes.append(helper.make_node("QuantizeLinear", ["x", s1, z1], ["xq"], name="quant"))
c1 = qconv("conv1", "xq", s1, z1, 8, 3, 3, s2, z2, pads=[1, 1, 1, 1])
if "--single" in sys.argv:
    nodes.append(helper.make_node("MaxPool", [c1], ["pool"], name="pool", kernel_shape=[2, 2], strides=[2, 2]))
    nodes.append(helper.make_node("DequantizeLinear", ["pool", s2, z2], ["y"], name="dequant"))
    g = helper.make_graph(nodes, "qlinear", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 16, 16])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8, 8, 8])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, sys.argv[1])
    sys.exit(0)
c2 = qconv("dw", c1, s2, z2, 8, 8, 3, s3, z3, group=8, pads=[1, 1, 1, 1], strides=[2, 2])
nodes.append(helper.make_node("MaxPool", [c2], ["pool"], name="pool", kernel_shape=[2, 2], strides=[2, 2]))
# From here on int8 activations: a QLinearConv may change the type.
c3 = qconv("pw", "pool", s3, z3, 16, 8, 1, s4, z4)
c4 = qconv("head", c3, s4, z4, 16, 16, 4, s5, z5)
nodes.append(helper.make_node("Flatten", [c4], ["flat"], name="flatten"))
fw = const("fc_w", rng.randint(-127, 128, (16, 10)).astype(np.int8))
fs, fz = const("fc_ws", np.array(0.01, np.float32)), const("fc_wz", np.array(0, np.int8))
nodes.append(helper.make_node("QLinearMatMul", ["flat", s5, z5, fw, fs, fz, s6, z6], ["fc"], name="fc"))
nodes.append(helper.make_node("DequantizeLinear", ["fc", s6, z6], ["y"], name="dequant"))
g = helper.make_graph(nodes, "qlinear", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 16, 16])],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])], inits)
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
onnx.checker.check_model(m, full_check=True)
onnx.save(m, sys.argv[1])
