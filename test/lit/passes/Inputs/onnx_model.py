"""What the model scripts of these lit tests share: write a one-input float
ONNX model (opset 17, checked) and a seeded input for it."""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper


def write(out, name, nodes, x, outputs, inits):
    """DIR/NAME.onnx with input "x" shaped like the array `x` (saved as
    DIR/x.npy); `outputs` maps output names to shapes."""
    graph = helper.make_graph(
        nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x.shape))],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in outputs.items()],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, name + ".onnx"))
    np.save(os.path.join(out, "x.npy"), x.astype(np.float32))
