"""make_limit_models.py DIR: models that break the importer's limits:
limits_big_input.onnx (a 2^40-element input), limits_expand.onnx (an
Expand to 2^34 floats), limits_nodes.onnx (5 Relu nodes), limits_weights.onnx
(a 400-byte initializer), limits_nested.onnx (Ifs nested 20 deep),
limits_resize.onnx (a Resize to 2^34 floats)."""
import os
import sys

import onnx
from onnx import TensorProto, helper

out = sys.argv[1]
F = TensorProto.FLOAT


def save(name, nodes, inputs, outputs, inits=()):
    g = helper.make_graph(nodes, name, inputs, outputs, initializer=list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    onnx.save(m, os.path.join(out, name + ".onnx"))


x = helper.make_tensor_value_info("x", F, [1, 4])


def y(shape):
    return helper.make_tensor_value_info("y", F, shape)


big = helper.make_tensor_value_info("x", F, [1 << 20, 1 << 20])
save("limits_big_input", [helper.make_node("Relu", ["x"], ["y"])], [big], [y([1 << 20, 1 << 20])])
shape = helper.make_tensor("shape", TensorProto.INT64, [2], [1 << 17, 1 << 17])
save("limits_expand", [helper.make_node("Expand", ["x", "shape"], ["y"], name="grow")],
     [helper.make_tensor_value_info("x", F, [1, 1])], [y([1 << 17, 1 << 17])], [shape])
chain = [helper.make_node("Relu", ["x" if i == 0 else f"r{i}"], [f"r{i + 1}"]) for i in range(4)]
chain.append(helper.make_node("Relu", ["r4"], ["y"]))
save("limits_nodes", chain, [x], [y([1, 4])])
w = helper.make_tensor("w", F, [100], [0.5] * 100)
save("limits_weights", [helper.make_node("Add", ["x", "w"], ["y"])],
     [helper.make_tensor_value_info("x", F, [100])], [y([100])], [w])

cond = helper.make_tensor_value_info("c", TensorProto.BOOL, [])


def nested(depth):
    """A graph whose output is x through `depth` nested Ifs on c."""
    if depth == 0:
        return helper.make_graph([helper.make_node("Identity", ["x"], ["o0"])], "leaf", [],
                                 [helper.make_tensor_value_info("o0", F, [1, 4])])
    # Only the then-branch nests: the model stays small however deep.
    node = helper.make_node("If", ["c"], [f"o{depth}"], then_branch=nested(depth - 1),
                            else_branch=nested(0))
    return helper.make_graph([node], f"level{depth}", [],
                             [helper.make_tensor_value_info(f"o{depth}", F, [1, 4])])


top = nested(20)
g = helper.make_graph(list(top.node), "limits_nested", [x, cond],
                      [helper.make_tensor_value_info("o20", F, [1, 4])])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]),
          os.path.join(out, "limits_nested.onnx"))

# A Resize whose scales make a 2^34-element result: no per-op check of its
# own, so the import's final walk over every value refuses it.
scales = helper.make_tensor("scales", F, [4], [1.0, 1.0, 1024.0, 1024.0])
save("limits_resize",
     [helper.make_node("Resize", ["x", "", "scales"], ["y"], mode="nearest", name="up")],
     [helper.make_tensor_value_info("x", F, [1, 4, 128, 128])],
     [y([1, 4, 131072, 131072])], [scales])
