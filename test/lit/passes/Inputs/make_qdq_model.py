"""make_qdq_model.py OUT.onnx: a model quantised in the QDQ format (as
onnxruntime's quantiser writes them): x -> QuantizeLinear(0.02, 5) ->
DequantizeLinear -> Conv (int8 weights, per-channel DequantizeLinear) ->
Relu -> QuantizeLinear(0.05, -10) -> DequantizeLinear -> y."""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.RandomState(3)
w8 = rng.randint(-127, 128, (4, 3, 3, 3)).astype(np.int8)
ws = np.array([0.01, 0.02, 0.015, 0.005], np.float32)
inits = [
    numpy_helper.from_array(np.array(0.02, np.float32), "xs"),
    numpy_helper.from_array(np.array(5, np.int8), "xz"),
    numpy_helper.from_array(w8, "w8"),
    numpy_helper.from_array(ws, "ws"),
    numpy_helper.from_array(np.zeros(4, np.int8), "wz"),
    numpy_helper.from_array(np.array(0.05, np.float32), "ys"),
    numpy_helper.from_array(np.array(-10, np.int8), "yz"),
]
nodes = [
    helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"], name="qx"),
    helper.make_node("DequantizeLinear", ["xq", "xs", "xz"], ["xd"], name="dqx"),
    helper.make_node("DequantizeLinear", ["w8", "ws", "wz"], ["w"], name="dqw", axis=0),
    helper.make_node("Conv", ["xd", "w"], ["c"], name="conv", pads=[1, 1, 1, 1]),
    helper.make_node("Relu", ["c"], ["r"], name="relu"),
    helper.make_node("QuantizeLinear", ["r", "ys", "yz"], ["rq"], name="qy"),
    helper.make_node("DequantizeLinear", ["rq", "ys", "yz"], ["y"], name="dqy"),
]
g = helper.make_graph(nodes, "qdq", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 6, 6])],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 6, 6])], inits)
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), sys.argv[1])
