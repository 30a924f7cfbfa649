"""Op-level test cases: small single-op (or few-op) ONNX models.

Each case is built from its own random generator, seeded from the case name
(zlib.crc32), so a case's model and inputs do not depend on which other cases
run. CASES lists positive cases (compiled, run and compared with
onnxruntime); NEGATIVE lists models kilnc must refuse with exit status 1 and
one error line (`FILE:NODE: error: ...`) naming the op and the node.

A builder returns (onnx.ModelProto, {input name: np.ndarray}).
"""

import zlib

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

DEFAULT_OPSET = 13
F32 = TensorProto.FLOAT
I64 = TensorProto.INT64


class Init:
    """An initializer (compile-time constant) operand."""

    def __init__(self, value):
        self.value = np.asarray(value)


class Case:
    def __init__(self, name, op, build, negative=False, expect=None, note=""):
        self.name = name
        self.op = op          # the op under test (negative: the op named in the error)
        self.build_fn = build
        self.negative = negative
        self.expect = expect or []  # negative: substrings the error line must contain
        self.note = note

    def build(self):
        rng = np.random.default_rng(zlib.crc32(self.name.encode()))
        return self.build_fn(rng)


def _dtype(arr):
    return onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[arr.dtype]


def graph_model(nodes, operands, outputs, opset=DEFAULT_OPSET, name="g", out_shapes=None):
    """nodes: NodeProtos; operands: {name: ndarray (graph input) or Init};
    outputs: names (float) or (name, elem_type) pairs; out_shapes: the
    outputs' shapes, for graphs whose output shapes ONNX cannot infer."""
    inputs, inits, feeds = [], [], {}
    for n, v in operands.items():
        if isinstance(v, Init):
            inits.append(numpy_helper.from_array(v.value, n))
        else:
            inputs.append(helper.make_tensor_value_info(n, _dtype(v), list(v.shape)))
            feeds[n] = v
    outs = [helper.make_tensor_value_info(o, F32, None) if isinstance(o, str)
            else helper.make_tensor_value_info(o[0], o[1], None) for o in outputs]
    graph = helper.make_graph(nodes, name, inputs, outs, initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="kiln-op-tests")
    # Graph outputs need a shape for the checker: take ONNX's inferred one
    # (or the given one where inference cannot tell).
    inferred = onnx.shape_inference.infer_shapes(model, data_prop=True)
    for i, (out, inf) in enumerate(zip(model.graph.output, inferred.graph.output)):
        if out_shapes is not None:
            et = inf.type.tensor_type.elem_type
            inf = helper.make_tensor_value_info(out.name, et, list(out_shapes[i]))
        elif not inf.type.tensor_type.HasField("shape"):
            raise ValueError(f"ONNX cannot infer the shape of output '{out.name}': "
                             "give out_shapes")
        out.CopyFrom(inf)
    return model, feeds


def single(op, ins, outs=("y",), opset=DEFAULT_OPSET, node_name=None, out_shapes=None,
           **attrs):
    """One node of type op. ins: list of (name, ndarray | Init | None); a None
    value is an omitted optional input (empty name)."""
    names = [n if v is not None else "" for n, v in ins]
    operands = {n: v for n, v in ins if v is not None}
    node = helper.make_node(op, names, list(o if isinstance(o, str) else o[0] for o in outs),
                            name=node_name or op.lower(), **attrs)
    return graph_model([node], operands, list(outs), opset, out_shapes=out_shapes)


def f32(rng, *shape, lo=None, hi=None, scale=1.0, shift=0.0):
    if lo is not None:
        return rng.uniform(lo, hi, size=shape).astype(np.float32)
    return (rng.standard_normal(shape) * scale + shift).astype(np.float32)


def away_from_zero(rng, *shape):
    """Values in [-2, -0.5] U [0.5, 2]: safe denominators."""
    mag = rng.uniform(0.5, 2.0, size=shape)
    sign = np.where(rng.random(shape) < 0.5, -1.0, 1.0)
    return (mag * sign).astype(np.float32)


def i64(v):
    return np.asarray(v, dtype=np.int64)


def const_node(name, value):
    return helper.make_node("Constant", [], [name], name="const_" + name,
                            value=numpy_helper.from_array(np.asarray(value), name))


CASES = []
NEGATIVE = []


def case(name, op, build, note=""):
    assert all(c.name != name for c in CASES + NEGATIVE), name
    CASES.append(Case(name, op, build, note=note))


def negative(name, op, build, expect, note=""):
    assert all(c.name != name for c in CASES + NEGATIVE), name
    NEGATIVE.append(Case(name, op, build, negative=True, expect=expect, note=note))


# ---- Conv -----------------------------------------------------------------

def conv(x_shape, w_shape, bias=True, opset=DEFAULT_OPSET, x_shift=0.0, **attrs):
    def build(rng):
        x = f32(rng, *x_shape, shift=x_shift)
        fan_in = int(np.prod(w_shape[1:]))
        ins = [("x", x), ("w", Init(f32(rng, *w_shape, scale=fan_in ** -0.5)))]
        if bias:
            ins.append(("b", Init(f32(rng, w_shape[0]))))
        return single("Conv", ins, opset=opset, **attrs)
    return build


case("conv_basic", "Conv", conv((1, 3, 8, 8), (4, 3, 3, 3), pads=[1, 1, 1, 1]))
case("conv_nobias_1x1", "Conv", conv((2, 5, 6, 7), (3, 5, 1, 1), bias=False))
case("conv_stride2", "Conv", conv((1, 3, 9, 9), (4, 3, 3, 3), strides=[2, 2]))
case("conv_stride2_pads", "Conv", conv((1, 3, 10, 10), (4, 3, 3, 3), strides=[2, 2],
                                       pads=[1, 1, 1, 1]))
case("conv_strides_hw", "Conv", conv((1, 2, 9, 11), (3, 2, 3, 3), strides=[1, 3],
                                     pads=[1, 0, 1, 2]))
case("conv_asym_pads", "Conv", conv((1, 3, 7, 6), (2, 3, 3, 3), pads=[0, 2, 1, 0],
                                    x_shift=1.0))
case("conv_dilation2", "Conv", conv((1, 3, 11, 11), (4, 3, 3, 3), dilations=[2, 2],
                                    pads=[2, 2, 2, 2]))
case("conv_dilation_stride", "Conv", conv((1, 2, 13, 12), (3, 2, 3, 2),
                                          dilations=[2, 3], strides=[2, 1], pads=[1, 1, 0, 2]))
case("conv_rect_kernel", "Conv", conv((1, 4, 8, 10), (5, 4, 1, 3), pads=[0, 1, 0, 1]))
case("conv_kernel5", "Conv", conv((1, 3, 12, 12), (6, 3, 5, 5), strides=[2, 2],
                                  pads=[2, 2, 2, 2]))
case("conv_depthwise", "Conv", conv((1, 6, 8, 8), (6, 1, 3, 3), group=6, pads=[1, 1, 1, 1]))
case("conv_depthwise_stride2", "Conv", conv((2, 4, 9, 9), (4, 1, 3, 3), group=4,
                                            strides=[2, 2], pads=[1, 1, 1, 1]))
case("conv_depthwise_mult2", "Conv", conv((1, 3, 7, 7), (6, 1, 3, 3), group=3,
                                          pads=[1, 1, 1, 1]))
case("conv_group2", "Conv", conv((1, 4, 7, 7), (6, 2, 3, 3), group=2, pads=[1, 1, 1, 1]))
case("conv_group2_nobias", "Conv", conv((1, 6, 6, 6), (4, 3, 1, 1), group=2, bias=False))
case("conv_same_upper", "Conv", conv((1, 3, 8, 8), (4, 3, 3, 3), strides=[2, 2],
                                     auto_pad="SAME_UPPER", x_shift=1.0))
case("conv_same_lower", "Conv", conv((1, 3, 8, 8), (4, 3, 3, 3), strides=[2, 2],
                                     auto_pad="SAME_LOWER", x_shift=1.0))
case("conv_same_upper_k4", "Conv", conv((1, 2, 7, 7), (3, 2, 4, 4),
                                        auto_pad="SAME_UPPER", x_shift=1.0))
case("conv_same_lower_k4", "Conv", conv((1, 2, 7, 7), (3, 2, 4, 4),
                                        auto_pad="SAME_LOWER", x_shift=1.0))
case("conv_valid", "Conv", conv((1, 3, 9, 8), (4, 3, 3, 3), strides=[2, 2],
                                auto_pad="VALID"))
case("conv_opset11", "Conv", conv((1, 3, 6, 6), (2, 3, 3, 3), opset=11, pads=[1, 1, 1, 1]))
case("conv_1d_group_same_upper", "Conv", conv((2, 4, 10), (6, 2, 3), group=2, strides=[2],
                                              auto_pad="SAME_UPPER"))
case("conv_3d_dilated_pads", "Conv", conv((1, 2, 6, 7, 5), (3, 2, 2, 3, 2),
                                          dilations=[2, 1, 1], pads=[1, 0, 1, 0, 1, 1]))
case("conv_3d_depthwise_stride", "Conv", conv((1, 3, 5, 6, 7), (3, 1, 3, 3, 3), group=3,
                                              strides=[2, 1, 2], pads=[1, 1, 1, 1, 1, 1]))


# ---- ConvTranspose ----------------------------------------------------------

def conv_transpose(x_shape, w_shape, bias=True, **attrs):
    def build(rng):
        ins = [("x", f32(rng, *x_shape)), ("w", Init(f32(rng, *w_shape, scale=0.5)))]
        if bias:
            ins.append(("b", Init(f32(rng, w_shape[1] * attrs.get("group", 1)))))
        return single("ConvTranspose", ins, **attrs)
    return build


case("convtranspose_group_dilated", "ConvTranspose",
     conv_transpose((1, 4, 3, 4), (4, 3, 3, 2), group=2, strides=[2, 3], dilations=[2, 1],
                    pads=[1, 0, 0, 1], output_padding=[1, 2]))
case("convtranspose_1d_same_lower", "ConvTranspose",
     conv_transpose((2, 3, 5), (3, 2, 4), bias=False, strides=[2], auto_pad="SAME_LOWER"))
case("convtranspose_3d_pads", "ConvTranspose",
     conv_transpose((1, 2, 3, 2, 3), (2, 2, 2, 3, 2), strides=[1, 2, 2],
                    pads=[1, 0, 1, 0, 1, 0]))


# ---- Einsum -----------------------------------------------------------------

def einsum(equation, *shapes):
    def build(rng):
        ins = [(f"x{i}", f32(rng, *s)) for i, s in enumerate(shapes)]
        return single("Einsum", ins, opset=12, equation=equation)
    return build


case("einsum_outer", "Einsum", einsum("i,j->ij", (3,), (4,)))
case("einsum_implicit_matmul", "Einsum", einsum("ij,jk", (3, 4), (4, 5)))
case("einsum_chain3", "Einsum", einsum("ij,jk,kl->li", (2, 3), (3, 4), (4, 2)))
case("einsum_total_sum", "Einsum", einsum("ijk->", (2, 3, 4)))
case("einsum_ellipsis_batch_matmul", "Einsum", einsum("...ij,...jk->...ik", (2, 3, 2, 4),
                                                      (2, 3, 4, 5)))
case("einsum_ellipsis_implicit", "Einsum", einsum("...i,i", (2, 3, 4), (4,)))
# A letter repeated within one term reads the diagonal.
case("einsum_diagonal", "Einsum", einsum("ii->i", (4, 4)))
case("einsum_trace", "Einsum", einsum("ii->", (5, 5)))
case("einsum_trace_implicit", "Einsum", einsum("ii", (3, 3)))
case("einsum_batch_diagonal", "Einsum", einsum("bii->bi", (2, 3, 3)))
case("einsum_ellipsis_diagonal", "Einsum", einsum("...ii->...i", (2, 3, 4, 4)))
case("einsum_diagonal_contraction", "Einsum", einsum("ij,jj->i", (2, 3), (3, 3)))
case("einsum_triple_diagonal_outer", "Einsum", einsum("iii,j->ij", (3, 3, 3), (2,)))


# ---- Quantisation -------------------------------------------------------------

def u8(rng, *shape):
    return rng.integers(0, 256, size=shape).astype(np.uint8)


def s8(rng, *shape):
    return rng.integers(-128, 128, size=shape).astype(np.int8)


case("quantizelinear_int8_axis", "QuantizeLinear", lambda rng: single(
    "QuantizeLinear", [("x", f32(rng, 2, 3, 4, scale=100.0)),
                       ("s", Init(np.array([0.5, 1.0, 2.0], np.float32))),
                       ("z", Init(np.array([-3, 0, 7], np.int8)))],
    outs=(("y", TensorProto.INT8),), opset=13, axis=-2))
case("quantizelinear_uint8_default_zp", "QuantizeLinear", lambda rng: single(
    "QuantizeLinear", [("x", f32(rng, 3, 5, scale=200.0, shift=60.0)),
                       ("s", Init(np.array(0.75, np.float32)))],
    outs=(("y", TensorProto.UINT8),), opset=13))
case("dequantizelinear_int8_axis0", "DequantizeLinear", lambda rng: single(
    "DequantizeLinear", [("x", s8(rng, 3, 4)),
                         ("s", Init(np.array([0.5, 0.25, 2.0], np.float32))),
                         ("z", Init(np.array([1, -2, 0], np.int8)))],
    opset=13, axis=0))
case("dynamicquantizelinear_3d", "DynamicQuantizeLinear", lambda rng: single(
    "DynamicQuantizeLinear", [("x", f32(rng, 2, 3, 4, scale=3.0, shift=1.0))],
    outs=(("y", TensorProto.UINT8), ("ys", F32), ("yz", TensorProto.UINT8)), opset=11))
case("matmulinteger_int8_percol", "MatMulInteger", lambda rng: single(
    "MatMulInteger", [("a", u8(rng, 2, 3, 5)), ("b", Init(s8(rng, 5, 4))),
                      ("az", Init(np.array(3, np.uint8))),
                      ("bz", Init(np.array([1, -1, 0, 5], np.int8)))],
    outs=(("y", TensorProto.INT32),), opset=10))
case("convinteger_int8_pads", "ConvInteger", lambda rng: single(
    "ConvInteger", [("x", u8(rng, 1, 2, 5, 5)), ("w", Init(u8(rng, 3, 2, 3, 3))),
                    ("xz", Init(np.array(128, np.uint8))),
                    ("wz", Init(np.array(100, np.uint8)))],
    outs=(("y", TensorProto.INT32),), opset=10, pads=[1, 1, 1, 1]))
case("qlinearconv_per_channel_bias", "QLinearConv", lambda rng: single(
    "QLinearConv", [("x", u8(rng, 1, 2, 6, 6)), ("xs", Init(np.array(0.02, np.float32))),
                    ("xz", Init(np.array(120, np.uint8))), ("w", Init(u8(rng, 4, 2, 3, 3))),
                    ("ws", Init(np.array([0.01, 0.02, 0.005, 0.03], np.float32))),
                    ("wz", Init(np.array([128, 128, 128, 128], np.uint8))),
                    ("ys", Init(np.array(0.05, np.float32))),
                    ("yz", Init(np.array(100, np.uint8))),
                    ("b", Init(rng.integers(-500, 500, size=4).astype(np.int32)))],
    outs=(("y", TensorProto.UINT8),), opset=10, strides=[2, 2], pads=[1, 1, 1, 1]))
case("qlinearmatmul_int8", "QLinearMatMul", lambda rng: single(
    "QLinearMatMul", [("a", s8(rng, 3, 6)), ("as", Init(np.array(0.05, np.float32))),
                      ("az", Init(np.array(-4, np.int8))), ("b", Init(s8(rng, 6, 2))),
                      ("bs", Init(np.array(0.02, np.float32))),
                      ("bz", Init(np.array(2, np.int8))),
                      ("ys", Init(np.array(0.3, np.float32))),
                      ("yz", Init(np.array(5, np.int8)))],
    outs=(("y", TensorProto.INT8),), opset=10))

# ---- 8-bit Max / Min / Div / Clip / MaxPool ------------------------------------
# INT8 and UINT8 are both i8 in Kiln: values above 127 (UINT8) and negatives
# (INT8) show that each orders and divides with its own sign.

U8, S8 = TensorProto.UINT8, TensorProto.INT8


def nonzero_s8(rng, *shape):
    v = s8(rng, *shape)
    return np.where(v == 0, np.int8(-128), v).astype(np.int8)


case("max_uint8_above_127", "Max", lambda rng: single(
    "Max", [("a", u8(rng, 2, 3, 4)), ("b", u8(rng, 3, 4)), ("c", u8(rng, 4))],
    outs=(("y", U8),)))
case("min_uint8_above_127", "Min", lambda rng: single(
    "Min", [("a", u8(rng, 2, 3, 4)), ("b", Init(np.array([0, 127, 128, 255], np.uint8)))],
    outs=(("y", U8),)))
case("max_int8_negatives", "Max", lambda rng: single(
    "Max", [("a", s8(rng, 3, 4)), ("b", s8(rng, 3, 4))], outs=(("y", S8),)))
case("min_int8_negatives", "Min", lambda rng: single(
    "Min", [("a", s8(rng, 3, 4)), ("b", Init(np.array([-128, -1, 0, 127], np.int8)))],
    outs=(("y", S8),)))
case("max_min_uint8_chain", "Max", lambda rng: graph_model(
    [helper.make_node("Max", ["a", "b"], ["m"], name="max"),
     helper.make_node("Min", ["m", "c"], ["y"], name="min")],
    {"a": u8(rng, 4, 5), "b": u8(rng, 4, 5), "c": Init(np.array(200, np.uint8))},
    [("y", U8)]))
case("div_uint8_above_127", "Div", lambda rng: single(
    "Div", [("a", u8(rng, 3, 4)),
            ("b", u8(rng, 3, 4) | np.uint8(1))],
    outs=(("y", U8),), opset=14))
case("div_uint8_large_divisor", "Div", lambda rng: single(
    "Div", [("a", u8(rng, 3, 4)), ("b", Init(np.array(200, np.uint8)))],
    outs=(("y", U8),), opset=14))
case("div_int8_negatives", "Div", lambda rng: single(
    "Div", [("a", s8(rng, 3, 4)), ("b", nonzero_s8(rng, 3, 4))],
    outs=(("y", S8),), opset=14))
case("mod_uint8_above_127", "Mod", lambda rng: single(
    "Mod", [("a", u8(rng, 3, 4)), ("b", u8(rng, 3, 4) | np.uint8(129))],
    outs=(("y", U8),)))
case("mod_int8_mixed_signs", "Mod", lambda rng: single(
    "Mod", [("a", s8(rng, 3, 4)), ("b", nonzero_s8(rng, 3, 4))], outs=(("y", S8),)))
case("mod_int8_fmod", "Mod", lambda rng: single(
    "Mod", [("a", s8(rng, 3, 4)), ("b", nonzero_s8(rng, 3, 4))], outs=(("y", S8),),
    fmod=1))
case("clip_uint8_above_127", "Clip", lambda rng: single(
    "Clip", [("x", u8(rng, 3, 4)), ("lo", Init(np.array(100, np.uint8))),
             ("hi", Init(np.array(200, np.uint8)))], outs=(("y", U8),)))
case("clip_uint8_min_only", "Clip", lambda rng: single(
    "Clip", [("x", u8(rng, 3, 4)), ("lo", Init(np.array(130, np.uint8)))],
    outs=(("y", U8),)))
case("clip_int8_negatives", "Clip", lambda rng: single(
    "Clip", [("x", s8(rng, 3, 4)), ("lo", Init(np.array(-50, np.int8))),
             ("hi", Init(np.array(60, np.int8)))], outs=(("y", S8),)))
case("clip_int8_runtime_max", "Clip", lambda rng: single(
    "Clip", [("x", s8(rng, 3, 4)), ("lo", None), ("hi", np.array(-3, np.int8))],
    outs=(("y", S8),)))
case("clip_int32", "Clip", lambda rng: single(
    "Clip", [("x", rng.integers(-1000, 1000, (3, 4)).astype(np.int32)),
             ("lo", Init(np.array(-300, np.int32))), ("hi", Init(np.array(400, np.int32)))],
    outs=(("y", TensorProto.INT32),)))
case("clip_int64_beyond_f32", "Clip", lambda rng: single(
    "Clip", [("x", i64(2**40 + rng.integers(-4, 5, (3, 4)))),
             ("lo", Init(i64(2**40 - 1))), ("hi", Init(i64(2**40 + 1)))],
    outs=(("y", I64),)))
case("max_int32", "Max", lambda rng: single(
    "Max", [("a", rng.integers(-1000, 1000, (3, 4)).astype(np.int32)),
            ("b", rng.integers(-1000, 1000, (4,)).astype(np.int32))],
    outs=(("y", TensorProto.INT32),)))
case("min_int64", "Min", lambda rng: single(
    "Min", [("a", i64(rng.integers(-2**40, 2**40, (3, 4)))),
            ("b", i64(rng.integers(-2**40, 2**40, (3, 4))))], outs=(("y", I64),)))
case("maxpool_uint8_pads", "MaxPool", lambda rng: single(
    "MaxPool", [("x", u8(rng, 1, 2, 5, 5))], outs=(("y", U8),),
    kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]))
case("maxpool_int8_negatives_pads", "MaxPool", lambda rng: single(
    "MaxPool", [("x", (-(u8(rng, 1, 2, 5, 5) % 100) - 1).astype(np.int8))],
    outs=(("y", S8),), kernel_shape=[2, 2], pads=[1, 1, 1, 1]))
case("maxpool_1d_uint8", "MaxPool", lambda rng: single(
    "MaxPool", [("x", u8(rng, 1, 3, 9))], outs=(("y", U8),), kernel_shape=[3],
    strides=[2], ceil_mode=1))
case("maxpool_uint8_indices", "MaxPool", lambda rng: single(
    "MaxPool", [("x", u8(rng, 1, 2, 4, 4))], outs=(("y", U8), ("i", I64)),
    kernel_shape=[2, 2], strides=[2, 2]))


# ---- Gemm -----------------------------------------------------------------

def gemm(m, k, n, c_shape, trans_a=0, trans_b=0, b_init=True, opset=DEFAULT_OPSET, **attrs):
    def build(rng):
        a = f32(rng, *((k, m) if trans_a else (m, k)))
        b = f32(rng, *((n, k) if trans_b else (k, n)))
        ins = [("a", a), ("b", Init(b) if b_init else b)]
        if c_shape is not None:
            ins.append(("c", Init(f32(rng, *c_shape))))
        if trans_a:
            attrs["transA"] = 1
        if trans_b:
            attrs["transB"] = 1
        return single("Gemm", ins, opset=opset, **attrs)
    return build


case("gemm_basic", "Gemm", gemm(3, 4, 5, (5,)))
case("gemm_transB", "Gemm", gemm(2, 8, 6, (6,), trans_b=1))
case("gemm_transA", "Gemm", gemm(4, 3, 5, (4, 5), trans_a=1))
case("gemm_transA_transB_alpha_beta", "Gemm",
     gemm(3, 5, 4, (3, 4), trans_a=1, trans_b=1, alpha=0.5, beta=2.0))
case("gemm_c_scalar", "Gemm", gemm(3, 4, 5, (), beta=-1.5))
case("gemm_c_1", "Gemm", gemm(3, 4, 5, (1,)))
case("gemm_c_row_2d", "Gemm", gemm(3, 4, 5, (1, 5), alpha=2.0))
case("gemm_c_column", "Gemm", gemm(3, 4, 5, (3, 1)))
case("gemm_c_full", "Gemm", gemm(3, 4, 5, (3, 5), beta=0.25))
case("gemm_no_c", "Gemm", gemm(3, 4, 5, None, alpha=3.0))
case("gemm_b_input", "Gemm", gemm(2, 6, 3, (3,), trans_b=1, b_init=False))
case("gemm_opset9", "Gemm", gemm(2, 6, 3, (3,), trans_b=1, opset=9))

# ---- MatMul ---------------------------------------------------------------

def matmul(a_shape, b_shape, b_init=False):
    def build(rng):
        b = f32(rng, *b_shape)
        return single("MatMul", [("a", f32(rng, *a_shape)), ("b", Init(b) if b_init else b)])
    return build


case("matmul_2d", "MatMul", matmul((3, 4), (4, 5)))
case("matmul_2d_const_b", "MatMul", matmul((6, 16), (16, 7), b_init=True))
case("matmul_batched", "MatMul", matmul((2, 3, 4), (2, 4, 5)))
case("matmul_batched_b2d", "MatMul", matmul((2, 3, 4), (4, 5), b_init=True))
case("matmul_a2d_b_batched", "MatMul", matmul((3, 4), (2, 4, 5)))
case("matmul_broadcast_batch", "MatMul", matmul((2, 1, 3, 4), (3, 4, 5)))
case("matmul_1d_a", "MatMul", matmul((4,), (4, 5)))
case("matmul_1d_b", "MatMul", matmul((3, 4), (4,)))
case("matmul_1d_a_batched_b", "MatMul", matmul((4,), (2, 4, 5)))
case("matmul_batched_1d_b", "MatMul", matmul((2, 3, 4), (4,)))
case("matmul_1d_1d", "MatMul", matmul((6,), (6,)))

# ---- Binary elementwise ---------------------------------------------------

BINARY_SHAPES = {
    "same": ((2, 3, 4), (2, 3, 4)),
    "bcast_b": ((2, 3, 4, 5), (3, 1, 1)),      # B broadcast into A
    "bcast_a": ((5,), (2, 3, 4, 5)),           # A broadcast into B
    "bcast_both": ((2, 1, 4), (3, 1)),         # each operand broadcast: 2x3x4
}


def binary(op, a_shape, b_shape, b_init=False):
    def build(rng):
        a = f32(rng, *a_shape)
        b = away_from_zero(rng, *b_shape) if op == "Div" else f32(rng, *b_shape)
        return single(op, [("a", a), ("b", Init(b) if b_init else b)])
    return build


for _op in ("Add", "Sub", "Mul", "Div"):
    for _kind, (_sa, _sb) in BINARY_SHAPES.items():
        case(f"{_op.lower()}_{_kind}", _op, binary(_op, _sa, _sb))
case("add_const_channel", "Add", binary("Add", (1, 4, 3, 3), (4, 1, 1), b_init=True))
case("mul_const_scalar", "Mul", binary("Mul", (2, 3, 4), (), b_init=True))
case("div_const_row", "Div", binary("Div", (3, 5), (5,), b_init=True))
case("sub_const_first", "Sub", lambda rng: single(
    "Sub", [("a", Init(f32(rng, 3, 1))), ("b", f32(rng, 2, 3, 4))]))

# ---- Unary elementwise ----------------------------------------------------

def unary(op, opset=DEFAULT_OPSET, shape=(2, 3, 4, 5), scale=3.0, **attrs):
    return lambda rng: single(op, [("x", f32(rng, *shape, scale=scale))], opset=opset, **attrs)


case("relu", "Relu", unary("Relu"))
case("sigmoid", "Sigmoid", unary("Sigmoid", scale=5.0))
case("hardswish", "HardSwish", unary("HardSwish", opset=14))
case("hardsigmoid", "HardSigmoid", unary("HardSigmoid"))
case("hardsigmoid_alpha_beta", "HardSigmoid", unary("HardSigmoid", alpha=0.25, beta=0.4))
case("leakyrelu", "LeakyRelu", unary("LeakyRelu"))
case("leakyrelu_alpha", "LeakyRelu", unary("LeakyRelu", alpha=0.2, shape=(3, 7)))

# ---- Clip -----------------------------------------------------------------

def clip_inputs(lo, hi, opset):
    def build(rng):
        ins = [("x", f32(rng, 2, 3, 4, scale=3.0)),
               ("min", Init(np.float32(lo)) if lo is not None else None),
               ("max", Init(np.float32(hi)) if hi is not None else None)]
        while ins[-1][1] is None and len(ins) > 1:
            ins.pop()
        return single("Clip", ins, opset=opset)
    return build


case("clip_opset6_attrs", "Clip", lambda rng: single(
    "Clip", [("x", f32(rng, 2, 3, 4, scale=3.0))], opset=10, min=-1.0, max=2.5))
case("clip_opset6_min_only", "Clip", lambda rng: single(
    "Clip", [("x", f32(rng, 2, 3, 4, scale=3.0))], opset=7, min=0.5))
case("clip_opset13_min_max", "Clip", clip_inputs(0.0, 6.0, 13))
case("clip_opset13_min_only", "Clip", clip_inputs(-0.5, None, 13))
case("clip_opset11_max_only", "Clip", clip_inputs(None, 1.0, 11))
case("clip_opset13_no_bounds", "Clip", clip_inputs(None, None, 13))

# ---- Pooling ----------------------------------------------------------------

def pool(op, x_shape=(1, 3, 8, 8), x_shift=0.0, opset=DEFAULT_OPSET, **attrs):
    return lambda rng: single(op, [("x", f32(rng, *x_shape, shift=x_shift))],
                              opset=opset, **attrs)


case("maxpool_k2s2", "MaxPool", pool("MaxPool", kernel_shape=[2, 2], strides=[2, 2]))
case("maxpool_k3s2_pads", "MaxPool", pool("MaxPool", x_shift=-3.0, kernel_shape=[3, 3],
                                          strides=[2, 2], pads=[1, 1, 1, 1]))
case("maxpool_asym_pads", "MaxPool", pool("MaxPool", (1, 2, 7, 6), x_shift=-3.0,
                                          kernel_shape=[3, 2], pads=[0, 1, 2, 0]))
case("maxpool_ceil", "MaxPool", pool("MaxPool", (1, 2, 8, 8), x_shift=-3.0,
                                     kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1))
case("maxpool_ceil_pads", "MaxPool", pool("MaxPool", (1, 2, 9, 10), x_shift=-3.0,
                                          kernel_shape=[3, 3], strides=[2, 2],
                                          pads=[1, 1, 1, 1], ceil_mode=1))
case("maxpool_dilation2", "MaxPool", pool("MaxPool", (1, 2, 9, 9), kernel_shape=[2, 2],
                                          dilations=[2, 2]))
case("maxpool_dilation_pads_stride", "MaxPool", pool(
    "MaxPool", (1, 2, 10, 11), x_shift=-3.0, kernel_shape=[3, 2], dilations=[2, 3],
    strides=[2, 1], pads=[1, 1, 2, 1]))
case("maxpool_same_upper", "MaxPool", pool("MaxPool", (1, 2, 7, 8), x_shift=-3.0,
                                           kernel_shape=[3, 3], strides=[2, 2],
                                           auto_pad="SAME_UPPER"))
case("maxpool_same_lower", "MaxPool", pool("MaxPool", (1, 2, 8, 8), x_shift=-3.0,
                                           kernel_shape=[2, 2], strides=[1, 1],
                                           auto_pad="SAME_LOWER"))
case("maxpool_opset8", "MaxPool", pool("MaxPool", opset=8, kernel_shape=[3, 3],
                                       strides=[2, 2]))
case("avgpool_k2s2", "AveragePool", pool("AveragePool", kernel_shape=[2, 2], strides=[2, 2]))
case("avgpool_pads_cip0", "AveragePool", pool("AveragePool", x_shift=2.0, kernel_shape=[3, 3],
                                              pads=[1, 1, 1, 1], count_include_pad=0))
case("avgpool_pads_cip1", "AveragePool", pool("AveragePool", x_shift=2.0, kernel_shape=[3, 3],
                                              pads=[1, 1, 1, 1], count_include_pad=1))
case("avgpool_asym_pads_cip1", "AveragePool", pool(
    "AveragePool", (1, 2, 7, 6), x_shift=2.0, kernel_shape=[3, 2], strides=[2, 1],
    pads=[0, 1, 2, 0], count_include_pad=1))
case("avgpool_ceil", "AveragePool", pool("AveragePool", (1, 2, 8, 8), x_shift=2.0,
                                         kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1))
case("avgpool_ceil_pads_cip0", "AveragePool", pool(
    "AveragePool", (1, 2, 9, 10), x_shift=2.0, kernel_shape=[3, 3], strides=[2, 2],
    pads=[1, 1, 1, 1], ceil_mode=1, count_include_pad=0))
case("avgpool_ceil_pads_cip1", "AveragePool", pool(
    "AveragePool", (1, 2, 9, 10), x_shift=2.0, kernel_shape=[3, 3], strides=[2, 2],
    pads=[1, 1, 1, 1], ceil_mode=1, count_include_pad=1))
case("avgpool_same_upper", "AveragePool", pool("AveragePool", (1, 2, 7, 7), x_shift=2.0,
                                               kernel_shape=[3, 3], strides=[2, 2],
                                               auto_pad="SAME_UPPER"))
case("avgpool_same_lower_cip1", "AveragePool", pool(
    "AveragePool", (1, 2, 6, 6), x_shift=2.0, kernel_shape=[2, 2], auto_pad="SAME_LOWER",
    count_include_pad=1))
case("globalavgpool", "GlobalAveragePool", pool("GlobalAveragePool", (2, 5, 6, 7), x_shift=0.5))
case("globalavgpool_1x1", "GlobalAveragePool", pool("GlobalAveragePool", (1, 3, 1, 1)))

# ---- Reductions, normalisation, softmax -----------------------------------

def reduce_mean(shape, axes, keepdims):
    attrs = {"keepdims": keepdims}
    if axes is not None:
        attrs["axes"] = axes
    return lambda rng: single("ReduceMean", [("x", f32(rng, *shape, shift=0.5))], **attrs)


case("reducemean_hw_keep", "ReduceMean", reduce_mean((2, 3, 4, 5), [2, 3], 1))
case("reducemean_hw_nokeep", "ReduceMean", reduce_mean((2, 3, 4, 5), [2, 3], 0))
case("reducemean_c_nokeep", "ReduceMean", reduce_mean((2, 3, 4, 5), [1], 0))
case("reducemean_neg_axis_keep", "ReduceMean", reduce_mean((3, 4, 6), [-1], 1))
case("reducemean_axes_0_2", "ReduceMean", reduce_mean((3, 4, 6), [0, 2], 0))
case("reducemean_all_keep", "ReduceMean", reduce_mean((2, 3, 4), None, 1))
case("reducemean_all_nokeep", "ReduceMean", reduce_mean((2, 3, 4), None, 0))


def batchnorm(x_shape, opset=DEFAULT_OPSET, **attrs):
    def build(rng):
        c = x_shape[1]
        ins = [("x", f32(rng, *x_shape)),
               ("scale", Init(f32(rng, c, lo=0.5, hi=1.5))),
               ("bias", Init(f32(rng, c))),
               ("mean", Init(f32(rng, c, scale=0.5))),
               ("var", Init(f32(rng, c, lo=0.2, hi=2.0)))]
        return single("BatchNormalization", ins, opset=opset, **attrs)
    return build


case("batchnorm_4d", "BatchNormalization", batchnorm((2, 4, 5, 6)))
case("batchnorm_eps", "BatchNormalization", batchnorm((1, 3, 4, 4), epsilon=1e-2))
case("batchnorm_2d", "BatchNormalization", batchnorm((5, 7), opset=15))
case("batchnorm_3d", "BatchNormalization", batchnorm((2, 3, 8), opset=9))


def batchnorm_train(x_shape, outs=("y", "running_mean", "running_var"), opset=15,
                    graph_outs=None, out_shapes=None, **attrs):
    """training_mode=1: normalised by the batch's own statistics; the optional
    outputs are the updated running mean and variance."""
    def build(rng):
        c = x_shape[1]
        ins = [("x", f32(rng, *x_shape, scale=2.0, shift=0.5)),
               ("scale", f32(rng, c, lo=0.5, hi=1.5)),
               ("bias", Init(f32(rng, c))),
               ("mean", f32(rng, c, scale=0.5)),
               ("var", Init(f32(rng, c, lo=0.2, hi=2.0)))]
        node = helper.make_node("BatchNormalization", [n for n, _ in ins], list(outs),
                                name="batchnormalization", training_mode=1, **attrs)
        return graph_model([node], dict(ins), list(graph_outs or outs), opset,
                           out_shapes=out_shapes)
    return build


case("batchnorm_train_4d", "BatchNormalization", batchnorm_train((2, 3, 4, 5)))
case("batchnorm_train_momentum_eps", "BatchNormalization",
     batchnorm_train((3, 4, 6), momentum=0.6, epsilon=1e-2, opset=14))
case("batchnorm_train_2d_y_only", "BatchNormalization",
     batchnorm_train((8, 5), graph_outs=("y",)))
# The running mean is produced but not a graph output: Kiln skips it.
case("batchnorm_train_running_var_only", "BatchNormalization",
     batchnorm_train((2, 3, 3, 2, 2), graph_outs=("y", "running_var")))


def softmax(shape, opset, **attrs):
    return lambda rng: single("Softmax", [("x", f32(rng, *shape, scale=3.0))],
                              opset=opset, **attrs)


case("softmax_2d", "Softmax", softmax((3, 10), 13))
case("softmax_axis_last_4d", "Softmax", softmax((2, 3, 4, 5), 13, axis=-1))
case("softmax13_axis1_3d", "Softmax", softmax((2, 4, 5), 13, axis=1))
case("softmax13_axis0", "Softmax", softmax((4, 3), 13, axis=0))
case("softmax11_axis1_3d", "Softmax", softmax((2, 4, 5), 11, axis=1),
     note="opset < 13: normalises over dims 1.. together")
case("softmax11_default_4d", "Softmax", softmax((2, 3, 2, 2), 11))
case("softmax11_axis_last", "Softmax", softmax((2, 4, 5), 11, axis=-1))
case("softmax11_axis0", "Softmax", softmax((2, 3, 4), 11, axis=0))


# ReduceMax/Min/Sum/Prod on integers, LogSumExp on large values, ArgMax on
# ties and integers, TopK along a middle axis with ties, LRN with a window
# wider than the edge channels, InstanceNormalization and GlobalMaxPool on other ranks, LogSoftmax
# before opset 13 (flattened from axis): behaviour the conformance data
# does not cover.
def ints(rng, *shape, lo=-50, hi=50, dtype=np.int64):
    return rng.integers(lo, hi, size=shape).astype(dtype)


case("reducemax_int64", "ReduceMax", lambda rng: single(
    "ReduceMax", [("x", ints(rng, 3, 4, 5))], outs=(("y", TensorProto.INT64),),
    axes=[0, 2], keepdims=0))
case("reducemin_int32", "ReduceMin", lambda rng: single(
    "ReduceMin", [("x", ints(rng, 3, 4, 5, dtype=np.int32))],
    outs=(("y", TensorProto.INT32),), axes=[1], keepdims=1))
case("reducesum_int64_axes_input", "ReduceSum", lambda rng: single(
    "ReduceSum", [("x", ints(rng, 3, 4, 5)), ("axes", Init(i64([-1, 0])))],
    outs=(("y", TensorProto.INT64),), opset=13, keepdims=0))
case("reduceprod_int64", "ReduceProd", lambda rng: single(
    "ReduceProd", [("x", ints(rng, 2, 3, 4, lo=-3, hi=4))],
    outs=(("y", TensorProto.INT64),), axes=[2], keepdims=1))
case("reducelogsumexp_large", "ReduceLogSumExp", lambda rng: single(
    "ReduceLogSumExp", [("x", f32(rng, 3, 4, 5, scale=30.0, shift=100.0))],
    axes=[1, 2], keepdims=0))
case("reducel1_all_nokeep", "ReduceL1", lambda rng: single(
    "ReduceL1", [("x", f32(rng, 3, 4))], keepdims=0))
case("argmax_ties_int64", "ArgMax", lambda rng: single(
    "ArgMax", [("x", ints(rng, 4, 6, lo=0, hi=3))], outs=(("y", TensorProto.INT64),),
    axis=1, keepdims=0))
case("argmin_ties_last", "ArgMin", lambda rng: single(
    "ArgMin", [("x", np.round(f32(rng, 3, 5, 2)))], outs=(("y", TensorProto.INT64),),
    axis=1, keepdims=1, select_last_index=1))
case("topk_axis1_ties", "TopK", lambda rng: single(
    "TopK", [("x", np.round(f32(rng, 2, 7, 3))), ("k", Init(i64([4])))],
    outs=("values", ("indices", TensorProto.INT64)), axis=1))
case("topk_smallest_int64", "TopK", lambda rng: single(
    "TopK", [("x", ints(rng, 3, 8)), ("k", Init(i64([3])))],
    outs=(("values", TensorProto.INT64), ("indices", TensorProto.INT64)), largest=0))
case("lrn_size5", "LRN", lambda rng: single(
    "LRN", [("x", f32(rng, 2, 7, 3, 3))], size=5, alpha=0.01, beta=0.6, bias=1.5))
case("instancenorm_3d", "InstanceNormalization", lambda rng: single(
    "InstanceNormalization", [("x", f32(rng, 2, 3, 10, shift=1.0)),
                              ("scale", Init(f32(rng, 3))), ("bias", Init(f32(rng, 3)))],
    epsilon=1e-3))
case("globalmaxpool_3d", "GlobalMaxPool", pool("GlobalMaxPool", (2, 3, 4, 5, 3)))
case("logsoftmax11_axis1_3d", "LogSoftmax", lambda rng: single(
    "LogSoftmax", [("x", f32(rng, 2, 4, 5, scale=3.0))], opset=11, axis=1),
    note="opset < 13: normalises over dims 1.. together")
case("maxpool_1d", "MaxPool", pool("MaxPool", (1, 2, 9), kernel_shape=[3], strides=[2],
                                   pads=[1, 1]))
case("avgpool_3d_ceil_pads", "AveragePool", pool(
    "AveragePool", (1, 2, 5, 6, 5), kernel_shape=[2, 3, 2], strides=[2, 2, 2],
    pads=[1, 0, 1, 0, 1, 0], ceil_mode=1))
case("lppool_p2_pads", "LpPool", pool("LpPool", (1, 2, 7, 6), kernel_shape=[3, 2],
                                     strides=[2, 1], pads=[1, 0, 1, 1], p=2))
case("lppool_p3_1d", "LpPool", pool("LpPool", (2, 3, 9), kernel_shape=[3], strides=[2],
                                   p=3))
case("lppool_p1_same_upper", "LpPool", pool("LpPool", (1, 2, 5, 5), kernel_shape=[2, 2],
                                           auto_pad="SAME_UPPER", p=1))
case("maxpool_indices_pads", "MaxPool", lambda rng: single(
    "MaxPool", [("x", f32(rng, 2, 2, 6, 7))], outs=("y", ("idx", TensorProto.INT64)),
    kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]))
case("maxpool_indices_col_major_3d", "MaxPool", lambda rng: single(
    "MaxPool", [("x", f32(rng, 1, 2, 4, 5, 6))], outs=("y", ("idx", TensorProto.INT64)),
    kernel_shape=[2, 2, 3], strides=[2, 2, 3], storage_order=1))

# ---- Data movement ----------------------------------------------------------

def pad13(shape, pads, value=None, opset=13, x_shift=0.0):
    def build(rng):
        ins = [("x", f32(rng, *shape, shift=x_shift)), ("pads", Init(i64(pads)))]
        if value is not None:
            ins.append(("value", Init(np.float32(value))))
        return single("Pad", ins, opset=opset, mode="constant")
    return build


case("pad_constant_value", "Pad", pad13((1, 2, 4, 5), [0, 1, 2, 0, 1, 0, 1, 2], value=1.5))
case("pad_constant_zero", "Pad", pad13((2, 3, 4), [0, 0, 1, 0, 0, 2], opset=11, x_shift=1.0))
case("pad_2d_all_dims", "Pad", pad13((3, 4), [1, 2, 3, 0], value=-2.0))
case("pad_opset2_attrs", "Pad", lambda rng: single(
    "Pad", [("x", f32(rng, 1, 2, 3, 3))], opset=10, pads=[0, 0, 1, 2, 0, 0, 2, 1], value=0.75))


def slice_case(shape, starts, ends, axes=None, steps=None):
    def build(rng):
        ins = [("x", f32(rng, *shape)), ("starts", Init(i64(starts))), ("ends", Init(i64(ends)))]
        if axes is not None:
            ins.append(("axes", Init(i64(axes))))
        if steps is not None:
            if axes is None:
                ins.append(("axes", None))
            ins.append(("steps", Init(i64(steps))))
        return single("Slice", ins)
    return build


INT64_MAX = np.iinfo(np.int64).max
case("slice_basic", "Slice", slice_case((4, 6, 5), [1, 2], [3, 5], axes=[0, 1]))
case("slice_steps", "Slice", slice_case((3, 10, 9), [0, 1], [10, 9], axes=[1, 2], steps=[2, 3]))
case("slice_negative", "Slice", slice_case((4, 8), [-3, -6], [-1, -2], axes=[0, 1]))
case("slice_negative_axes", "Slice", slice_case((2, 3, 8), [2], [-1], axes=[-1]))
case("slice_clamped_ends", "Slice", slice_case((3, 7), [1, 2], [1000, INT64_MAX], axes=[0, 1]))
case("slice_clamped_starts", "Slice", slice_case((5, 6), [-100], [4], axes=[1]))
case("slice_no_axes", "Slice", slice_case((4, 5, 6), [1, 0, 2], [3, 5, 6]))
case("slice_no_axes_steps", "Slice", slice_case((6, 5), [0, 1], [6, 5], steps=[2, 2]))
case("slice_steps_clamped", "Slice", slice_case((1, 4, 9, 9), [1, 1], [INT64_MAX, INT64_MAX],
                                                axes=[2, 3], steps=[2, 3]))
case("slice_opset9_attrs", "Slice", lambda rng: single(
    "Slice", [("x", f32(rng, 4, 6))], opset=9, starts=[1, -4], ends=[1000, -1], axes=[0, 1]))
INT64_MIN = np.iinfo(np.int64).min
case("slice_negative_step", "Slice", slice_case((4, 5), [3], [0], axes=[0], steps=[-1]))
case("slice_reverse_all", "Slice", slice_case((3, 7), [-1, INT64_MAX], [INT64_MIN, -INT64_MAX],
                                              axes=[0, 1], steps=[-1, -3]))
case("slice_mixed_steps", "Slice", slice_case((6, 9, 4), [5, 1, -1], [0, 9, -5],
                                              axes=[0, 1, 2], steps=[-2, 3, -1]))


# ---- Empty tensors (a dimension of 0) ---------------------------------------
# They cross the model boundary (NULL data is fine) and flow through ops.

case("empty_slice_concat", "Slice", lambda rng: graph_model(
    [helper.make_node("Slice", ["x", "s", "e", "ax"], ["empty"], name="slice"),
     helper.make_node("Concat", ["empty", "y"], ["z"], name="concat", axis=1)],
    {"x": f32(rng, 3, 4), "y": f32(rng, 3, 5), "s": Init(i64([2])), "e": Init(i64([2])),
     "ax": Init(i64([1]))}, ["empty", "z"]))
case("empty_slice_output", "Slice", lambda rng: single(
    "Slice", [("x", f32(rng, 4, 5)), ("starts", Init(i64([3]))), ("ends", Init(i64([3]))),
              ("axes", Init(i64([0])))], out_shapes=[(0, 5)]))
case("empty_input_broadcast_add", "Add", binary("Add", (0, 4), (1, 4)))
case("empty_matmul_k0", "MatMul", matmul((3, 0), (0, 4)))
case("empty_reducesum_axis", "ReduceSum", lambda rng: single(
    "ReduceSum", [("x", f32(rng, 2, 0, 3)), ("axes", Init(i64([1])))], keepdims=0))
case("empty_split_parts", "Split", lambda rng: single(
    "Split", [("x", f32(rng, 4, 3)), ("split", Init(i64([0, 4, 0])))],
    outs=("a", "b", "c"), axis=0))

# ---- Pad modes, negative pads, Gather, Expand, Tile -------------------------------

def pad_case(shape, pads, mode, dtype=np.float32, value=None):
    def build(rng):
        x = f32(rng, *shape) if dtype == np.float32 else rng.integers(-50, 50, shape).astype(dtype)
        ins = [("x", x), ("pads", Init(i64(pads)))]
        if value is not None:
            ins.append(("value", Init(np.asarray(value, dtype=dtype))))
        outs = ("y",) if dtype == np.float32 else (("y", _dtype(x)),)
        return single("Pad", ins, outs=outs, mode=mode)
    return build


case("pad_reflect", "Pad", pad_case((1, 2, 4, 5), [0, 0, 3, 1, 0, 0, 2, 4], "reflect"))
case("pad_edge", "Pad", pad_case((2, 3, 4), [1, 0, 2, 2, 3, 0], "edge"))
case("pad_edge_int64", "Pad", pad_case((3, 4), [2, 1, 0, 3], "edge", dtype=np.int64))
case("pad_constant_int32_value", "Pad",
     pad_case((3, 4), [1, 1, 1, 1], "constant", dtype=np.int32, value=-7))
case("pad_negative_crop", "Pad", pad_case((1, 3, 6, 7), [0, 0, -2, 1, 0, -1, 3, -3], "constant",
                                          value=0.5))
case("pad_reflect_negative", "Pad", pad_case((5, 6), [-1, 2, 2, -2], "reflect"))


def gather_case(shape, indices, axis, runtime_indices=False, dtype=np.float32):
    def build(rng):
        x = f32(rng, *shape) if dtype == np.float32 else rng.integers(-9, 9, shape).astype(dtype)
        idx = np.asarray(indices, dtype=np.int64)
        ins = [("x", x), ("idx", idx if runtime_indices else Init(idx))]
        outs = ("y",) if dtype == np.float32 else (("y", _dtype(x)),)
        return single("Gather", ins, outs=outs, axis=axis)
    return build


case("gather_const_indices", "Gather", gather_case((4, 3), [0, 2, -1], 0))
case("gather_runtime_indices", "Gather", gather_case((2, 5, 3), [[4, -5], [1, 0]], 1,
                                                     runtime_indices=True))
case("gather_scalar_index", "Gather", gather_case((3, 4), 2, -1))
case("gather_int64_data", "Gather", gather_case((6, 2), [5, 0, 5], 0, runtime_indices=True,
                                                dtype=np.int64))
case("gather_elements_axis1", "GatherElements", lambda rng: single(
    "GatherElements", [("x", f32(rng, 3, 5)), ("idx", i64([[4, -1, 0], [2, -5, 1]]))], axis=1))
case("gather_elements_axis0_const", "GatherElements", lambda rng: single(
    "GatherElements", [("x", f32(rng, 4, 2, 3)), ("idx", Init(i64(rng.integers(-4, 4, (2, 2, 3)))))],
    axis=0))
case("expand_bidirectional", "Expand", lambda rng: single(
    "Expand", [("x", f32(rng, 3, 1)), ("shape", Init(i64([2, 1, 4])))]))
case("expand_same_rank", "Expand", lambda rng: single(
    "Expand", [("x", f32(rng, 1, 4)), ("shape", Init(i64([3, 4])))]))
case("trilu_upper_k_neg", "Trilu", lambda rng: single(
    "Trilu", [("x", f32(rng, 2, 4, 5)), ("k", Init(i64(-1)))], opset=14))
case("trilu_lower_k2_int64", "Trilu", lambda rng: single(
    "Trilu", [("x", i64(rng.integers(-50, 50, (5, 3)))), ("k", Init(i64(2)))],
    outs=(("y", I64),), opset=14, upper=0))
case("trilu_lower_default_k", "Trilu", lambda rng: single(
    "Trilu", [("x", f32(rng, 3, 3))], opset=14, upper=0))
case("onehot_axis1_negative", "OneHot", lambda rng: single(
    "OneHot", [("i", i64([[0, -1, 2], [4, -5, 1]])), ("depth", Init(np.float32(5))),
               ("values", Init(np.array([-2.0, 3.5], np.float32)))], axis=1))
case("onehot_float_indices_runtime_values", "OneHot", lambda rng: single(
    "OneHot", [("i", np.array([0.0, 3.0, 7.0, -1.0], np.float32)),
               ("depth", Init(np.float32(4))), ("values", f32(rng, 2))]))
case("hardmax_axis_last", "Hardmax", lambda rng: single(
    "Hardmax", [("x", f32(rng, 2, 3, 6))], opset=13))
case("hardmax_opset11_flattens", "Hardmax", lambda rng: single(
    "Hardmax", [("x", f32(rng, 2, 3, 4))], opset=11, axis=1))
case("cumsum_3d_axis1_float", "CumSum", lambda rng: single(
    "CumSum", [("x", f32(rng, 2, 7, 3)), ("axis", Init(np.int32(1)))]))
case("cumsum_reverse_exclusive_last_axis", "CumSum", lambda rng: single(
    "CumSum", [("x", f32(rng, 3, 9)), ("axis", Init(i64(-1)))], exclusive=1, reverse=1))
case("hannwindow_periodic", "HannWindow", lambda rng: single(
    "HannWindow", [("n", Init(np.int64(16)))], opset=17))
case("hammingwindow_symmetric_double", "HammingWindow", lambda rng: single(
    "HammingWindow", [("n", Init(np.int32(9)))], outs=(("y", TensorProto.DOUBLE),), opset=17,
    periodic=0, output_datatype=TensorProto.DOUBLE))
case("blackmanwindow_symmetric", "BlackmanWindow", lambda rng: single(
    "BlackmanWindow", [("n", Init(np.int64(12)))], opset=17, periodic=0))
case("dft_real_axis2", "DFT", lambda rng: single(
    "DFT", [("x", f32(rng, 2, 3, 8, 1))], opset=17, axis=2))
case("dft_complex_inverse", "DFT", lambda rng: single(
    "DFT", [("x", f32(rng, 1, 6, 2))], opset=17, axis=1, inverse=1))
case("dft_onesided", "DFT", lambda rng: single(
    "DFT", [("x", f32(rng, 2, 10, 1))], opset=17, axis=1, onesided=1,
    out_shapes=[(2, 6, 2)]))
# onesided is explicit here: ONNX 1.12's Python-side inference (used to build
# the case) reads it with a default of 0, the schema's is 1. kilnc writes the
# default out itself (lit: compiler/onnx/import.test, STFT conformance cases).
case("stft_window_onesided", "STFT", lambda rng: single(
    "STFT", [("s", f32(rng, 2, 64, 1)), ("step", Init(i64(8))), ("w", f32(rng, 16))],
    opset=17, onesided=1, out_shapes=[(2, 7, 9, 2)]))
case("stft_frame_length_onesided", "STFT", lambda rng: single(
    "STFT", [("s", f32(rng, 1, 40, 1)), ("step", Init(i64(5))), ("w", None),
             ("len", Init(i64(10)))], opset=17, onesided=1, out_shapes=[(1, 7, 6, 2)]))
case("stft_window_twosided", "STFT", lambda rng: single(
    "STFT", [("s", f32(rng, 2, 64, 1)), ("step", Init(i64(8))), ("w", f32(rng, 16))],
    opset=17, onesided=0, out_shapes=[(2, 7, 16, 2)]))
case("stft_frame_length_twosided", "STFT", lambda rng: single(
    "STFT", [("s", f32(rng, 1, 40, 1)), ("step", Init(i64(5))), ("w", None),
             ("len", Init(i64(10)))], opset=17, onesided=0, out_shapes=[(1, 7, 10, 2)]))
case("melweightmatrix_16k", "MelWeightMatrix", lambda rng: single(
    "MelWeightMatrix", [("bins", Init(np.int64(10))), ("dft", Init(np.int64(64))),
                        ("rate", Init(np.int64(16000))), ("lo", Init(np.float32(20))),
                        ("hi", Init(np.float32(8000)))], opset=17, out_shapes=[(33, 10)]))
case("mvn_default_axes", "MeanVarianceNormalization", lambda rng: single(
    "MeanVarianceNormalization", [("x", f32(rng, 2, 3, 4, 5, scale=3.0, shift=1.0))]))
case("mvn_last_axis", "MeanVarianceNormalization", lambda rng: single(
    "MeanVarianceNormalization", [("x", f32(rng, 3, 8, scale=2.0))], axes=[-1]))
case("tile_3d", "Tile", lambda rng: single(
    "Tile", [("x", f32(rng, 2, 1, 3)), ("repeats", Init(i64([2, 3, 1])))]))
case("tile_ones", "Tile", lambda rng: single(
    "Tile", [("x", f32(rng, 2, 3)), ("repeats", Init(i64([1, 1])))]))


def split(shape, nout, opset=13, sizes=None, **attrs):
    def build(rng):
        ins = [("x", f32(rng, *shape))]
        if sizes is not None and opset >= 13:
            ins.append(("split", Init(i64(sizes))))
        elif sizes is not None:
            attrs["split"] = sizes
        out_shapes = None
        if sizes is not None and opset < 13:  # onnx 1.12 does not infer these
            axis = attrs.get("axis", 0) % len(shape)
            out_shapes = [shape[:axis] + (n,) + shape[axis + 1:] for n in sizes]
        return single("Split", ins, outs=tuple(f"y{i}" for i in range(nout)),
                      opset=opset, out_shapes=out_shapes, **attrs)
    return build


case("split_equal_axis1", "Split", split((1, 6, 3, 3), 2, axis=1))
case("split_equal_default_axis", "Split", split((6, 4), 3))
case("split_equal_neg_axis", "Split", split((2, 3, 9), 3, axis=-1))
case("split_explicit", "Split", split((2, 7, 3), 3, sizes=[1, 4, 2], axis=1))
case("split_explicit_opset11", "Split", split((5, 4), 2, opset=11, sizes=[3, 2], axis=0))


def reshape(shape, target, opset=13):
    return lambda rng: single("Reshape", [("x", f32(rng, *shape)), ("shape", Init(i64(target)))],
                              opset=opset)


case("reshape_0_and_neg1", "Reshape", reshape((2, 3, 4, 5), [0, -1]))
case("reshape_0_middle", "Reshape", reshape((2, 3, 4, 5), [2, 0, -1, 2]))
case("reshape_flat", "Reshape", reshape((2, 3, 4), [-1]))
case("reshape_expand_rank", "Reshape", reshape((6, 4), [2, 3, 2, 2]))
case("reshape_opset11", "Reshape", reshape((1, 8, 2, 2), [0, 0, -1], opset=11))


def flatten(shape, axis=None):
    attrs = {} if axis is None else {"axis": axis}
    return lambda rng: single("Flatten", [("x", f32(rng, *shape))], **attrs)


case("flatten_default", "Flatten", flatten((2, 3, 4, 5)))
case("flatten_axis0", "Flatten", flatten((2, 3, 4, 5), 0))
case("flatten_axis1", "Flatten", flatten((2, 3, 4, 5), 1))
case("flatten_axis2", "Flatten", flatten((2, 3, 4, 5), 2))
case("flatten_axis_rank", "Flatten", flatten((2, 3, 4, 5), 4))
case("flatten_axis_neg1", "Flatten", flatten((2, 3, 4, 5), -1))


def transpose(shape, perm=None):
    attrs = {} if perm is None else {"perm": perm}
    return lambda rng: single("Transpose", [("x", f32(rng, *shape))], **attrs)


case("transpose_default", "Transpose", transpose((2, 3, 4)))
case("transpose_2d", "Transpose", transpose((5, 7), [1, 0]))
case("transpose_nchw_nhwc", "Transpose", transpose((1, 3, 4, 5), [0, 2, 3, 1]))
case("transpose_nhwc_nchw", "Transpose", transpose((2, 4, 5, 3), [0, 3, 1, 2]))
case("transpose_3d_rotate", "Transpose", transpose((2, 3, 4), [2, 0, 1]))
case("transpose_identity_perm", "Transpose", transpose((2, 3, 4), [0, 1, 2]))


def concat(shapes, axis, const_index=None):
    def build(rng):
        ins = []
        for i, s in enumerate(shapes):
            v = f32(rng, *s)
            ins.append((f"x{i}", Init(v) if i == const_index else v))
        return single("Concat", ins, axis=axis)
    return build


case("concat_axis1_4d", "Concat", concat([(1, 2, 3, 3), (1, 4, 3, 3)], 1))
case("concat_axis0", "Concat", concat([(2, 3), (1, 3), (3, 3)], 0))
case("concat_axis_last", "Concat", concat([(2, 3, 2), (2, 3, 5)], 2))
case("concat_axis_neg", "Concat", concat([(2, 2, 4), (2, 1, 4), (2, 3, 4)], -2))
case("concat_with_const", "Concat", concat([(1, 3, 2, 2), (1, 2, 2, 2)], 1, const_index=1))

# ---- Trivial ops --------------------------------------------------------------

case("identity", "Identity", lambda rng: single("Identity", [("x", f32(rng, 2, 3, 4))]))
case("dropout_inference", "Dropout", lambda rng: single("Dropout", [("x", f32(rng, 2, 5))]))
case("dropout_opset7_ratio", "Dropout", lambda rng: single(
    "Dropout", [("x", f32(rng, 3, 4))], opset=7, ratio=0.3))
case("dropout_mask", "Dropout", lambda rng: single(
    "Dropout", [("x", f32(rng, 3, 4)), ("ratio", Init(np.float32(0.3))),
                ("training_mode", Init(np.bool_(False)))],
    outs=("y", ("mask", TensorProto.BOOL))))
case("cast_float_to_float", "Cast", lambda rng: single("Cast", [("x", f32(rng, 3, 4))], to=F32))
# Run-time casts (nn.cast): truncation toward zero, unsigned bytes, bools.
case("cast_float_to_int64", "Cast", lambda rng: single(
    "Cast", [("x", f32(rng, 3, 4, scale=20.0))], outs=(("y", I64),), to=I64))
case("cast_float_to_int32", "Cast", lambda rng: single(
    "Cast", [("x", f32(rng, 3, 4, scale=20.0))], outs=(("y", TensorProto.INT32),),
    to=TensorProto.INT32))
case("cast_int64_to_float", "Cast", lambda rng: single(
    "Cast", [("x", i64(rng.integers(-1000, 1000, (3, 4))))], outs=(("y", F32),), to=F32))
case("cast_uint8_to_float", "Cast", lambda rng: single(
    "Cast", [("x", u8(rng, 3, 4))], outs=(("y", F32),), to=F32))
case("cast_uint8_to_int64", "Cast", lambda rng: single(
    "Cast", [("x", u8(rng, 3, 4))], outs=(("y", I64),), to=I64))
case("cast_int64_to_int32", "Cast", lambda rng: single(
    "Cast", [("x", i64(rng.integers(-1000, 1000, (3, 4))))],
    outs=(("y", TensorProto.INT32),), to=TensorProto.INT32))
case("cast_float_to_bool", "Cast", lambda rng: single(
    "Cast", [("x", np.where(rng.random((3, 4)) < 0.5, 0.0, f32(rng, 3, 4)).astype(np.float32))],
    outs=(("y", TensorProto.BOOL),), to=TensorProto.BOOL))
case("cast_bool_to_float", "Cast", lambda rng: single(
    "Cast", [("x", rng.random((3, 4)) < 0.5)], outs=(("y", F32),), to=F32))
case("cast_float_to_double", "Cast", lambda rng: single(
    "Cast", [("x", f32(rng, 3, 4))], outs=(("y", TensorProto.DOUBLE),), to=TensorProto.DOUBLE))
case("castlike_int64_to_float", "CastLike", lambda rng: single(
    "CastLike", [("x", i64(rng.integers(-9, 9, (2, 5)))), ("like", Init(np.zeros(1, np.float32)))],
    opset=15, outs=(("y", F32),)))

# 16-bit floats: rounding to nearest even, ties, subnormals, overflow, inf
# and NaN. The op tests' tolerance is wider than an f16 ulp, so each case
# also outputs the rounding error in f32 (exact: y - x is a difference of
# nearby floats), where a wrong rounding is as large as the value itself.


def f16_edges(rng, n=24):
    """Random f32 values plus f16 ties (k + 1/2 ulps, k odd and even),
    subnormals, the overflow boundary, +-inf and NaN."""
    k = rng.integers(1024, 2048, n).astype(np.float32)
    ties = (k + 0.5) * np.float32(2.0 ** -10) * np.where(np.arange(n) % 2, 1, -1)
    sub = rng.integers(1, 1024, n).astype(np.float32) * np.float32(2.0 ** -24) + \
        np.float32(2.0 ** -26)
    special = np.array([0.0, -0.0, 65504.0, 65519.0, 65520.0, 1e6, -1e6, np.inf, -np.inf,
                        np.nan, 6.1e-5, 2.0 ** -25, 2.0 ** -25 * 1.5, -3e-8], np.float32)
    return np.concatenate([f32(rng, n, scale=100.0), ties, sub, special]).astype(np.float32)


def bf16_edges(rng, n=24):
    """Random f32 values plus bfloat16 ties, subnormals, large values, inf
    and NaN."""
    k = rng.integers(128, 256, n).astype(np.float32)
    ties = (k + 0.5) * np.float32(2.0 ** -7) * np.where(np.arange(n) % 2, 1, -1)
    special = np.array([0.0, -0.0, 3.0e38, -3.3e38, np.inf, -np.inf, np.nan, 1e-39, -5e-40,
                        1.0 + 2.0 ** -8, 1.0 + 3 * 2.0 ** -8], np.float32)
    return np.concatenate([f32(rng, n, scale=100.0), ties, special]).astype(np.float32)


def round_trip(to, values):
    """x -> `to` -> float32, and its rounding error in f32."""
    def build(rng):
        nodes = [helper.make_node("Cast", ["x"], ["n"], name="narrow", to=to),
                 helper.make_node("Cast", ["n"], ["y"], name="widen", to=F32),
                 helper.make_node("Sub", ["y", "x"], ["err"], name="err")]
        return graph_model(nodes, {"x": values(rng).reshape(-1, 1)}, ["y", "err"])
    return build


case("cast_float_to_float16_rounding", "Cast", round_trip(TensorProto.FLOAT16, f16_edges))
case("cast_float_to_bfloat16_rounding", "Cast", round_trip(TensorProto.BFLOAT16, bf16_edges))
def as_f16(a):
    with np.errstate(over="ignore"):  # beyond 65504 is inf, on purpose
        return a.astype(np.float16)


case("cast_float16_io", "Cast", lambda rng: single(
    "Cast", [("x", as_f16(f16_edges(rng)))], outs=(("y", F32),), to=F32))
case("cast_float_to_float16_output", "Cast", lambda rng: single(
    "Cast", [("x", f16_edges(rng))], outs=(("y", TensorProto.FLOAT16),),
    to=TensorProto.FLOAT16))
case("cast_float16_to_double", "Cast", lambda rng: single(
    "Cast", [("x", as_f16(f16_edges(rng)))], outs=(("y", TensorProto.DOUBLE),),
    to=TensorProto.DOUBLE))


# Not a hair above an f16 tie: onnxruntime rounds f64 -> f32 -> f16 (twice),
# Kiln and numpy once (test/lit/targets/cpu/run-narrow-floats.test).
case("cast_double_to_float16", "Cast", lambda rng: graph_model(
    [helper.make_node("Cast", ["x"], ["h"], name="narrow", to=TensorProto.FLOAT16),
     helper.make_node("Cast", ["h"], ["y"], name="widen", to=TensorProto.DOUBLE),
     helper.make_node("Sub", ["y", "x"], ["err"], name="err")],
    {"x": f16_edges(rng).astype(np.float64)},
    [("y", TensorProto.DOUBLE), ("err", TensorProto.DOUBLE)]))
case("cast_float16_to_bfloat16", "Cast", lambda rng: graph_model(
    [helper.make_node("Cast", ["x"], ["b"], name="to_bf16", to=TensorProto.BFLOAT16),
     helper.make_node("Cast", ["b"], ["y"], name="widen", to=F32)],
    {"x": as_f16(f16_edges(rng))}, ["y"]))
case("castlike_float_to_float16", "CastLike", lambda rng: single(
    "CastLike", [("x", f16_edges(rng)), ("like", Init(np.zeros(1, np.float16)))],
    opset=15, outs=(("y", TensorProto.FLOAT16),)))

# Max/Min over the whole range of each width onnxruntime has them for
# (not int16/uint16: ONNX's conformance data covers those), unsigned ones
# beyond the signed range, and on float16.
def integer_range_cases(np_type, lo, hi):
    def values(rng, *shape):
        v = rng.integers(lo, hi, size=shape, dtype=np_type, endpoint=True)
        v.flat[:2] = [lo, hi]  # both ends of the range
        return v
    t = onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[np.dtype(np_type)]
    name = np.dtype(np_type).name
    case(f"max_{name}_range", "Max", lambda rng: single(
        "Max", [("a", values(rng, 3, 4)), ("b", values(rng, 4)), ("c", values(rng, 3, 1))],
        outs=(("y", t),)))
    case(f"min_{name}_range", "Min", lambda rng: single(
        "Min", [("a", values(rng, 3, 4)), ("b", Init(values(rng, 4)))], outs=(("y", t),)))


integer_range_cases(np.uint32, 0, 2 ** 32 - 1)
integer_range_cases(np.int32, -2 ** 31, 2 ** 31 - 1)
integer_range_cases(np.uint64, 0, 2 ** 64 - 1)
case("max_float16", "Max", lambda rng: single(
    "Max", [("a", f32(rng, 3, 4, scale=100.0).astype(np.float16)),
            ("b", as_f16(f16_edges(rng)[:12].reshape(3, 4)))],
    outs=(("y", TensorProto.FLOAT16),)))
case("min_float16_nan", "Min", lambda rng: single(
    "Min", [("a", as_f16(f16_edges(rng)[-12:].reshape(3, 4))),
            ("b", f32(rng, 4).astype(np.float16))], outs=(("y", TensorProto.FLOAT16),)))
case("clip_uint32", "Clip", lambda rng: single(
    "Clip", [("x", rng.integers(0, 2 ** 32, (3, 4), dtype=np.uint32)),
             ("lo", Init(np.array(2 ** 31 - 5, np.uint32))),
             ("hi", Init(np.array(2 ** 32 - 100, np.uint32)))], outs=(("y", TensorProto.UINT32),)))

# Pow with an unsigned exponent: onnxruntime has none (ONNX's conformance
# data test_pow_types_float32_uint32/uint64 covers it).
case("pow_float16_base", "Pow", lambda rng: single(
    "Pow", [("x", away_from_zero(rng, 3, 4).astype(np.float16)),
            ("e", rng.integers(-3, 4, size=(3, 4)).astype(np.int32))],
    outs=(("y", TensorProto.FLOAT16),), opset=15))


def constant_tensor(rng):
    c = f32(rng, 3, 4)
    nodes = [const_node("c", c), helper.make_node("Add", ["x", "c"], ["y"], name="add")]
    return graph_model(nodes, {"x": f32(rng, 2, 3, 4)}, ["y"])


def constant_value_float(rng):
    nodes = [helper.make_node("Constant", [], ["s"], name="const_s", value_float=2.5),
             helper.make_node("Mul", ["x", "s"], ["y"], name="mul")]
    return graph_model(nodes, {"x": f32(rng, 2, 3)}, ["y"])


def constant_value_floats(rng):
    nodes = [helper.make_node("Constant", [], ["s"], name="const_s",
                              value_floats=[1.0, -2.0, 0.5]),
             helper.make_node("Sub", ["x", "s"], ["y"], name="sub")]
    return graph_model(nodes, {"x": f32(rng, 4, 3)}, ["y"])


case("constant_tensor", "Constant", constant_tensor)
case("constant_value_float", "Constant", constant_value_float)
case("constant_value_floats", "Constant", constant_value_floats)


def squeeze_unsqueeze(op, shape, axes, opset):
    def build(rng):
        ins = [("x", f32(rng, *shape))]
        attrs = {}
        if axes is not None and opset >= 13:
            ins.append(("axes", Init(i64(axes))))
        elif axes is not None:
            attrs["axes"] = axes
        return single(op, ins, opset=opset, **attrs)
    return build


case("squeeze_axes13", "Squeeze", squeeze_unsqueeze("Squeeze", (1, 3, 1, 4), [0, 2], 13))
case("squeeze_all13", "Squeeze", squeeze_unsqueeze("Squeeze", (1, 3, 1, 4), None, 13))
case("squeeze_axes11_neg", "Squeeze", squeeze_unsqueeze("Squeeze", (2, 3, 1), [-1], 11))
case("unsqueeze_axes13", "Unsqueeze", squeeze_unsqueeze("Unsqueeze", (3, 4), [0, 3], 13))
case("unsqueeze_axes11", "Unsqueeze", squeeze_unsqueeze("Unsqueeze", (3, 4), [1], 11))
case("unsqueeze_neg_axis13", "Unsqueeze", squeeze_unsqueeze("Unsqueeze", (3, 4), [-1], 13))

# ---- Shape arithmetic feeding Reshape --------------------------------------------

def shape_flatten_chain(rng):
    """torch.flatten(x, 1) as torch.onnx exports it: [N, -1]."""
    nodes = [helper.make_node("Shape", ["x"], ["s"], name="shape"),
             const_node("i0", np.int64(0)),
             helper.make_node("Gather", ["s", "i0"], ["n"], name="gather", axis=0),
             const_node("ax0", i64([0])),
             helper.make_node("Unsqueeze", ["n", "ax0"], ["n1"], name="unsqueeze"),
             const_node("m1", i64([-1])),
             helper.make_node("Concat", ["n1", "m1"], ["shp"], name="concat", axis=0),
             helper.make_node("Reshape", ["x", "shp"], ["y"], name="reshape")]
    return graph_model(nodes, {"x": f32(rng, 2, 3, 4, 5)}, ["y"], out_shapes=[(2, 60)])


def shape_flatten_chain_opset11(rng):
    nodes = [helper.make_node("Shape", ["x"], ["s"], name="shape"),
             const_node("i0", np.int64(0)),
             helper.make_node("Gather", ["s", "i0"], ["n"], name="gather", axis=0),
             helper.make_node("Unsqueeze", ["n"], ["n1"], name="unsqueeze", axes=[0]),
             helper.make_node("Concat", ["n1", "m1"], ["shp"], name="concat", axis=0),
             helper.make_node("Reshape", ["x", "shp"], ["y"], name="reshape")]
    return graph_model(nodes, {"x": f32(rng, 3, 2, 2, 2), "m1": Init(i64([-1]))}, ["y"],
                       opset=11, out_shapes=[(3, 8)])


def shape_slice_chain(rng):
    """[N, C, H*W] from Shape -> Slice[0:2] -> Concat [-1]."""
    nodes = [helper.make_node("Shape", ["x"], ["s"], name="shape"),
             const_node("st", i64([0])), const_node("en", i64([2])),
             helper.make_node("Slice", ["s", "st", "en"], ["nc"], name="slice"),
             const_node("m1", i64([-1])),
             helper.make_node("Concat", ["nc", "m1"], ["shp"], name="concat", axis=0),
             helper.make_node("Reshape", ["x", "shp"], ["y"], name="reshape")]
    return graph_model(nodes, {"x": f32(rng, 2, 3, 4, 5)}, ["y"], out_shapes=[(2, 3, 20)])


def shape_mul_div_chain(rng):
    """[N, C, H*W/2, 2] with Gather, Mul, Div, Cast on shape values."""
    def gather(i):
        return [const_node(f"i{i}", np.int64(i)),
                helper.make_node("Gather", ["s", f"i{i}"], [f"d{i}"], name=f"gather{i}", axis=0)]
    nodes = [helper.make_node("Shape", ["x"], ["s"], name="shape")]
    for i in range(4):
        nodes += gather(i)
    nodes += [helper.make_node("Mul", ["d2", "d3"], ["hw"], name="mul"),
              helper.make_node("Cast", ["hw"], ["hwf"], name="cast_f", to=F32),
              helper.make_node("Cast", ["hwf"], ["hwi"], name="cast_i", to=I64),
              const_node("two", np.int64(2)),
              helper.make_node("Div", ["hwi", "two"], ["half"], name="div"),
              const_node("ax0", i64([0]))]
    for v in ("d0", "d1", "half", "two"):
        nodes.append(helper.make_node("Unsqueeze", [v, "ax0"], [v + "_1"], name="unsq_" + v))
    nodes += [helper.make_node("Concat", ["d0_1", "d1_1", "half_1", "two_1"], ["shp"],
                               name="concat", axis=0),
              helper.make_node("Reshape", ["x", "shp"], ["y"], name="reshape")]
    return graph_model(nodes, {"x": f32(rng, 2, 3, 4, 6)}, ["y"], out_shapes=[(2, 3, 12, 2)])


def shape_start_end_chain(rng):
    """Shape with start/end (opset 15) -> Concat -> Reshape: [-1, H, W]."""
    nodes = [helper.make_node("Shape", ["x"], ["hw"], name="shape", start=-2),
             const_node("m1", i64([-1])),
             helper.make_node("Concat", ["m1", "hw"], ["shp"], name="concat", axis=0),
             helper.make_node("Reshape", ["x", "shp"], ["y"], name="reshape")]
    return graph_model(nodes, {"x": f32(rng, 2, 3, 4, 5)}, ["y"], opset=15,
                       out_shapes=[(6, 4, 5)])


def shape_chain_then_conv(rng):
    """A few ops: Conv -> Relu -> flatten by shape arithmetic -> Gemm."""
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv", pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c"], ["r"], name="relu"),
             helper.make_node("Shape", ["r"], ["s"], name="shape"),
             const_node("i0", np.int64(0)),
             helper.make_node("Gather", ["s", "i0"], ["n"], name="gather", axis=0),
             const_node("ax0", i64([0])),
             helper.make_node("Unsqueeze", ["n", "ax0"], ["n1"], name="unsqueeze"),
             const_node("m1", i64([-1])),
             helper.make_node("Concat", ["n1", "m1"], ["shp"], name="concat", axis=0),
             helper.make_node("Reshape", ["r", "shp"], ["f"], name="reshape"),
             helper.make_node("Gemm", ["f", "fc_w", "fc_b"], ["y"], name="fc", transB=1)]
    ops = {"x": f32(rng, 2, 3, 4, 4),
           "w": Init(f32(rng, 4, 3, 3, 3, scale=27 ** -0.5)),
           "b": Init(f32(rng, 4)),
           "fc_w": Init(f32(rng, 5, 64, scale=0.125)),
           "fc_b": Init(f32(rng, 5))}
    return graph_model(nodes, ops, ["y"], out_shapes=[(2, 5)])


case("shape_flatten_chain", "Shape/Gather/Unsqueeze/Concat/Reshape", shape_flatten_chain)
case("shape_flatten_chain_opset11", "Shape/Gather/Unsqueeze/Concat/Reshape",
     shape_flatten_chain_opset11)
case("shape_slice_chain", "Shape/Slice/Concat/Reshape", shape_slice_chain)
case("shape_mul_div_cast_chain", "Shape/Gather/Mul/Cast/Div/Unsqueeze/Concat/Reshape",
     shape_mul_div_chain)
case("shape_start_end_chain", "Shape(start)/Concat/Reshape", shape_start_end_chain)
case("conv_relu_flatten_gemm", "Conv/Relu/Shape.../Reshape/Gemm", shape_chain_then_conv)

# ---- Few-op graphs ------------------------------------------------------------

def conv_bn_relu(rng):
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], name="conv", pads=[1, 1, 1, 1],
                              strides=[2, 2]),
             helper.make_node("BatchNormalization", ["c", "g", "be", "m", "v"], ["bn"],
                              name="bn"),
             helper.make_node("Relu", ["bn"], ["y"], name="relu")]
    ops = {"x": f32(rng, 1, 3, 9, 9), "w": Init(f32(rng, 8, 3, 3, 3, scale=27 ** -0.5)),
           "g": Init(f32(rng, 8, lo=0.5, hi=1.5)), "be": Init(f32(rng, 8)),
           "m": Init(f32(rng, 8, scale=0.5)), "v": Init(f32(rng, 8, lo=0.2, hi=2.0))}
    return graph_model(nodes, ops, ["y"])


def residual_block(rng):
    """Depthwise conv + pointwise conv + residual Add + Clip(0, 6), two outputs."""
    nodes = [helper.make_node("Conv", ["x", "dw", "db"], ["d"], name="dw", group=4,
                              pads=[1, 1, 1, 1]),
             helper.make_node("Clip", ["d", "lo", "hi"], ["d6"], name="relu6"),
             helper.make_node("Conv", ["d6", "pw"], ["p"], name="pw"),
             helper.make_node("Add", ["x", "p"], ["y"], name="add"),
             helper.make_node("GlobalAveragePool", ["y"], ["g"], name="gap")]
    ops = {"x": f32(rng, 1, 4, 6, 6), "dw": Init(f32(rng, 4, 1, 3, 3, scale=1 / 3)),
           "db": Init(f32(rng, 4)), "pw": Init(f32(rng, 4, 4, 1, 1, scale=0.5)),
           "lo": Init(np.float32(0)), "hi": Init(np.float32(6))}
    return graph_model(nodes, ops, ["y", "g"])


def split_concat(rng):
    """ShuffleNet-style channel split, transpose shuffle, concat."""
    nodes = [helper.make_node("Split", ["x", "sp"], ["a", "b"], name="split", axis=1),
             helper.make_node("Relu", ["b"], ["br"], name="relu"),
             helper.make_node("Concat", ["a", "br"], ["c"], name="concat", axis=1),
             helper.make_node("Reshape", ["c", "s5"], ["r"], name="reshape5"),
             helper.make_node("Transpose", ["r"], ["t"], name="shuffle", perm=[0, 2, 1, 3, 4]),
             helper.make_node("Reshape", ["t", "s4"], ["y"], name="reshape4")]
    ops = {"x": f32(rng, 1, 8, 3, 3), "sp": Init(i64([4, 4])),
           "s5": Init(i64([1, 2, 4, 3, 3])), "s4": Init(i64([1, -1, 3, 3]))}
    return graph_model(nodes, ops, ["y"])


def se_block(rng):
    """Squeeze-excitation: ReduceMean, 1x1 convs, HardSigmoid, Mul broadcast."""
    nodes = [helper.make_node("ReduceMean", ["x"], ["m"], name="mean", axes=[2, 3],
                              keepdims=1),
             helper.make_node("Conv", ["m", "w1", "b1"], ["h"], name="fc1"),
             helper.make_node("Relu", ["h"], ["hr"], name="relu"),
             helper.make_node("Conv", ["hr", "w2", "b2"], ["s"], name="fc2"),
             helper.make_node("HardSigmoid", ["s"], ["sg"], name="hsig", alpha=1 / 6, beta=0.5),
             helper.make_node("Mul", ["x", "sg"], ["y"], name="scale")]
    ops = {"x": f32(rng, 1, 8, 5, 5), "w1": Init(f32(rng, 2, 8, 1, 1, scale=0.35)),
           "b1": Init(f32(rng, 2)), "w2": Init(f32(rng, 8, 2, 1, 1, scale=0.7)),
           "b2": Init(f32(rng, 8))}
    return graph_model(nodes, ops, ["y"])


case("conv_bn_relu", "Conv/BatchNormalization/Relu", conv_bn_relu)
case("residual_dw_pw_clip", "Conv/Clip/Add/GlobalAveragePool", residual_block)
case("split_shuffle_concat", "Split/Relu/Concat/Reshape/Transpose", split_concat)
case("squeeze_excite", "ReduceMean/Conv/HardSigmoid/Mul", se_block)

# ---- Graphs the fold passes rewrite (docs/passes.md) ---------------------------

def bn_params(rng, c):
    return {"g": Init(f32(rng, c, lo=0.5, hi=1.5)), "be": Init(f32(rng, c)),
            "m": Init(f32(rng, c, scale=0.5)), "v": Init(f32(rng, c, lo=0.2, hi=2.0))}


def fold_conv_dropout_bn(shared):
    """Conv -> Dropout -> BatchNormalization: folded once the Dropout goes;
    with the conv result also a graph output (shared) the fold is refused."""
    def build(rng):
        nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv", group=2,
                                  pads=[1, 0, 1, 0]),
                 helper.make_node("Dropout", ["c"], ["d"], name="drop"),
                 helper.make_node("BatchNormalization", ["d", "g", "be", "m", "v"], ["y"],
                                  name="bn", epsilon=1e-3)]
        ops = {"x": f32(rng, 1, 4, 6, 5), "w": Init(f32(rng, 6, 2, 3, 3, scale=18 ** -0.5)),
               "b": Init(f32(rng, 6)), **bn_params(rng, 6)}
        return graph_model(nodes, ops, ["y", "c"] if shared else ["y"])
    return build


def fold_gemm_bn(rng):
    """Gemm (transposed B, bias, beta) -> BatchNormalization over its columns."""
    nodes = [helper.make_node("Gemm", ["a", "b", "c"], ["h"], name="fc", transB=1, beta=0.5),
             helper.make_node("BatchNormalization", ["h", "g", "be", "m", "v"], ["y"],
                              name="bn")]
    ops = {"a": f32(rng, 3, 8), "b": Init(f32(rng, 5, 8, scale=8 ** -0.5)),
           "c": Init(f32(rng, 5)), **bn_params(rng, 5)}
    return graph_model(nodes, ops, ["y"])


def fold_pad_window(op, value, mode="constant", **attrs):
    """Pad (spatial dims) -> Conv / MaxPool / AveragePool."""
    def build(rng):
        ins = ["p", "w", "b"] if op == "Conv" else ["p"]
        nodes = [helper.make_node("Pad", ["x", "pads", "value"], ["p"], name="pad", mode=mode),
                 helper.make_node(op, ins, ["y"], name=op.lower(), **attrs)]
        ops = {"x": f32(rng, 1, 3, 7, 6), "pads": Init(i64([0, 0, 1, 2, 0, 0, 2, 1])),
               "value": Init(np.float32(value))}
        if op == "Conv":
            ops.update({"w": Init(f32(rng, 4, 3, 3, 3, scale=27 ** -0.5)),
                        "b": Init(f32(rng, 4))})
        return graph_model(nodes, ops, ["y"])
    return build


def fold_transposes(rng):
    """NCHW -> NHWC -> NCHW cancels; two that compose to a third become one."""
    nodes = [helper.make_node("Transpose", ["x"], ["t1"], name="to_nhwc", perm=[0, 2, 3, 1]),
             helper.make_node("Transpose", ["t1"], ["t2"], name="to_nchw", perm=[0, 3, 1, 2]),
             helper.make_node("Relu", ["t2"], ["y"], name="relu"),
             helper.make_node("Transpose", ["x"], ["u1"], name="swap", perm=[1, 0, 2, 3]),
             helper.make_node("Transpose", ["u1"], ["z"], name="rotate", perm=[3, 1, 2, 0])]
    return graph_model(nodes, {"x": f32(rng, 2, 3, 4, 5)}, ["y", "z"])


def fold_weight_subgraph(rng):
    """Weights computed from initializers: Transpose, Mul and Reshape of
    constants, folded at compile time."""
    nodes = [helper.make_node("Transpose", ["wt"], ["w"], name="w_t", perm=[1, 0]),
             helper.make_node("Mul", ["w", "k"], ["wk"], name="w_scale"),
             helper.make_node("MatMul", ["x", "wk"], ["h"], name="mm"),
             helper.make_node("Reshape", ["bb", "shape"], ["b"], name="b_flat"),
             helper.make_node("Add", ["h", "b"], ["y"], name="bias")]
    ops = {"x": f32(rng, 2, 6), "wt": Init(f32(rng, 4, 6)), "k": Init(f32(rng, 1, 4)),
           "bb": Init(f32(rng, 2, 2)), "shape": Init(i64([4]))}
    return graph_model(nodes, ops, ["y"])


case("fold_conv_dropout_bn", "Conv/Dropout/BatchNormalization", fold_conv_dropout_bn(False))
case("fold_conv_bn_shared", "Conv/BatchNormalization", fold_conv_dropout_bn(True))
case("fold_gemm_bn", "Gemm/BatchNormalization", fold_gemm_bn)
case("fold_pad_conv", "Pad/Conv", fold_pad_window("Conv", 0.0, pads=[1, 0, 0, 1]))
case("fold_pad_conv_value", "Pad/Conv", fold_pad_window("Conv", 0.5))
case("fold_pad_conv_reflect", "Pad/Conv", fold_pad_window("Conv", 0.0, mode="reflect"))
case("fold_pad_maxpool", "Pad/MaxPool", fold_pad_window(
    "MaxPool", -np.inf, kernel_shape=[3, 3], strides=[2, 2]))
# A zero Pad before MaxPool (which kiln-fold-pad must keep) has no op case:
# onnxruntime's own graph optimiser folds it into the pool, so the reference
# itself is wrong where a padded 0 beats negative inputs. The lit test
# test/lit/passes/fold-pad.mlir covers the refusal.
case("fold_pad_avgpool", "Pad/AveragePool", fold_pad_window(
    "AveragePool", 0.0, kernel_shape=[3, 3], strides=[2, 2]))
case("fold_pad_avgpool_own_pads", "Pad/AveragePool", fold_pad_window(
    "AveragePool", 0.0, kernel_shape=[3, 3], pads=[1, 1, 1, 1]))
case("fold_transposes", "Transpose", fold_transposes)
case("fold_weight_subgraph", "Transpose/Mul/MatMul/Reshape/Add", fold_weight_subgraph)


# ---- Merging: sibling convs, matmuls and gemms on one input (kiln-merge-parallel)

def merge_siblings(rng):
    """Three convs read x: two 3x3 with the same geometry (one without a
    bias) merge into one conv plus slices (their results die together at
    the Concat, so merging keeps no tensor alive longer); the 1x1 stays on
    its own."""
    x = f32(rng, 1, 4, 7, 7)
    nodes = [
        helper.make_node("Conv", ["x", "wa", "ba"], ["a"], name="conv_a", pads=[1, 1, 1, 1]),
        helper.make_node("Conv", ["x", "wb"], ["b"], name="conv_b", pads=[1, 1, 1, 1]),
        helper.make_node("Conv", ["x", "wc", "bc"], ["c"], name="conv_c"),
        helper.make_node("Concat", ["a", "b", "c"], ["y"], name="concat", axis=1),
    ]
    return graph_model(nodes, {"x": x, "wa": Init(f32(rng, 3, 4, 3, 3)), "ba": Init(f32(rng, 3)),
                               "wb": Init(f32(rng, 5, 4, 3, 3)), "wc": Init(f32(rng, 2, 4, 1, 1)),
                               "bc": Init(f32(rng, 2))}, ["y"])


case("merge_sibling_convs", "Conv/Concat", merge_siblings)


def merge_qkv(rng):
    """Q/K/V projections of one input, MatMul + Add each, then scores
    Q·K^T: the three MatMuls merge into one plus column slices. The input
    comes out of a wider MLP (8 -> 64 -> ReLU -> 8), where the graph's
    memory peaks, so keeping the merged projections alive a little longer
    costs nothing (as in a transformer, whose peak is its FFN or scores)."""
    x = f32(rng, 1, 6, 8)
    nodes = [helper.make_node("MatMul", ["x0", "up"], ["h"], name="up"),
             helper.make_node("Relu", ["h"], ["hr"], name="act"),
             helper.make_node("MatMul", ["hr", "down"], ["x"], name="down")]
    nodes += [helper.make_node("MatMul", ["x", "w" + n], ["m" + n], name="proj_" + n)
              for n in "qkv"]
    nodes += [helper.make_node("Add", ["m" + n, "b" + n], [n], name="bias_" + n) for n in "qkv"]
    nodes += [
        helper.make_node("Transpose", ["k"], ["kt"], name="kt", perm=[0, 2, 1]),
        helper.make_node("MatMul", ["q", "kt"], ["s"], name="scores"),
        helper.make_node("MatMul", ["s", "v"], ["y"], name="attend"),
    ]
    weights = {"w" + n: Init(f32(rng, 8, w, scale=8 ** -0.5)) for n, w in zip("qkv", (4, 4, 5))}
    weights.update({"b" + n: Init(f32(rng, w)) for n, w in zip("qkv", (4, 4, 5))})
    weights.update({"up": Init(f32(rng, 8, 64, scale=8 ** -0.5)),
                    "down": Init(f32(rng, 64, 8, scale=64 ** -0.5))})
    return graph_model(nodes, {"x0": x, **weights}, ["y"])


case("merge_qkv_matmuls", "MatMul/Relu/Add/Transpose", merge_qkv)


def merge_gemms(rng):
    """Two Gemms (transB) of one input, one without a bias, merge; a third
    with another alpha stays."""
    x = f32(rng, 3, 6)
    nodes = [
        helper.make_node("Gemm", ["x", "wa", "ba"], ["a"], name="fc_a", transB=1),
        helper.make_node("Gemm", ["x", "wb"], ["b"], name="fc_b", transB=1),
        helper.make_node("Gemm", ["x", "wc"], ["c"], name="fc_c", transB=1, alpha=0.5),
        helper.make_node("Concat", ["a", "b", "c"], ["y"], name="concat", axis=1),
    ]
    return graph_model(nodes, {"x": x, "wa": Init(f32(rng, 4, 6)), "ba": Init(f32(rng, 4)),
                               "wb": Init(f32(rng, 3, 6)), "wc": Init(f32(rng, 2, 6))}, ["y"])


case("merge_sibling_gemms", "Gemm/Concat", merge_gemms)


def merge_consecutive(rng):
    """1x1 conv (stride 2, padded) then 1x1 conv, 3 -> 4 -> 3 channels: one
    conv after kiln-merge-consecutive."""
    x = f32(rng, 1, 3, 6, 6)
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["h"], name="conv1", strides=[2, 2],
                         pads=[1, 1, 1, 1]),
        helper.make_node("Conv", ["h", "w2", "b2"], ["y"], name="conv2"),
    ]
    return graph_model(nodes, {"x": x, "w1": Init(f32(rng, 4, 3, 1, 1)), "b1": Init(f32(rng, 4)),
                               "w2": Init(f32(rng, 3, 4, 1, 1)), "b2": Init(f32(rng, 3))}, ["y"])


case("merge_consecutive_1x1", "Conv/Conv", merge_consecutive)


def merge_gemm_chain(rng):
    """Gemm (bias) then Gemm (transB, alpha, beta, bias), 12 -> 6 -> 5: one
    Gemm after kiln-merge-consecutive."""
    x = f32(rng, 3, 12)
    nodes = [
        helper.make_node("Gemm", ["x", "b1", "c1"], ["h"], name="fc1"),
        helper.make_node("Gemm", ["h", "b2", "c2"], ["y"], name="fc2", transB=1, alpha=0.5,
                         beta=2.0),
    ]
    return graph_model(nodes, {"x": x, "b1": Init(f32(rng, 12, 6)), "c1": Init(f32(rng, 6)),
                               "b2": Init(f32(rng, 5, 6)), "c2": Init(f32(rng, 5))}, ["y"])


case("merge_gemm_chain", "Gemm/Gemm", merge_gemm_chain)


def merge_matmul_chain(rng):
    """Two MatMuls by constants on a batched input, 8 -> 4 -> 6: one MatMul."""
    x = f32(rng, 2, 3, 8)
    nodes = [helper.make_node("MatMul", ["x", "b1"], ["h"], name="mm1"),
             helper.make_node("MatMul", ["h", "b2"], ["y"], name="mm2")]
    return graph_model(nodes, {"x": x, "b1": Init(f32(rng, 8, 4)), "b2": Init(f32(rng, 4, 6))},
                       ["y"])


case("merge_matmul_chain", "MatMul/MatMul", merge_matmul_chain)

# ---- Fusion (kiln-fuse-conv-epilogue, kiln-fuse-elementwise) ------------------
# Graphs the fusion passes turn into nn.fused groups; the lit tests in
# test/lit/passes/ show the groups, these check the fused kernels' numbers.

def fused_conv(x_shape, w_shape, tail, conv_attrs=None, bias=False, opset=DEFAULT_OPSET):
    """Conv (output "c") followed by the nodes `tail(rng)` returns, ending in "y"."""
    def build(rng):
        fan_in = int(np.prod(w_shape[1:]))
        ops = {"x": f32(rng, *x_shape), "w": Init(f32(rng, *w_shape, scale=fan_in ** -0.5))}
        names = ["x", "w"]
        if bias:
            ops["b"] = Init(f32(rng, w_shape[0]))
            names.append("b")
        nodes = [helper.make_node("Conv", names, ["c"], name="conv", **(conv_attrs or {}))]
        more_nodes, more_ops = tail(rng)
        nodes += more_nodes
        ops.update(more_ops)
        return graph_model(nodes, ops, ["y"], opset)
    return build


def node(op, ins, out, **attrs):
    return helper.make_node(op, ins, [out], name=out, **attrs)


case("fuse_conv_add_bias_relu", "Conv/Add/Relu", fused_conv(
    (1, 3, 8, 8), (8, 3, 3, 3),
    lambda rng: ([node("Add", ["c", "bias"], "cb"), node("Relu", ["cb"], "y")],
                 {"bias": Init(f32(rng, 8, 1, 1))}),
    conv_attrs={"pads": [1, 1, 1, 1]}))
case("fuse_conv_relu_residual", "Conv/Relu/Add", fused_conv(
    (1, 4, 6, 6), (4, 4, 3, 3),
    lambda rng: ([node("Relu", ["c"], "r"), node("Add", ["r", "x"], "y")], {}),
    conv_attrs={"pads": [1, 1, 1, 1]}, bias=True))
case("fuse_conv_clip_relu6", "Conv/Clip", fused_conv(
    (1, 3, 7, 7), (6, 3, 3, 3),
    lambda rng: ([node("Clip", ["c", "lo", "hi"], "y")],
                 {"lo": Init(np.float32(0)), "hi": Init(np.float32(6))}),
    conv_attrs={"strides": [2, 2]}, bias=True))
case("fuse_dwconv_hardswish", "Conv/HardSwish", fused_conv(
    (1, 6, 8, 8), (6, 1, 3, 3),
    lambda rng: ([node("HardSwish", ["c"], "y")], {}),
    conv_attrs={"group": 6, "pads": [1, 1, 1, 1]}, bias=True, opset=14))
case("fuse_conv_silu", "Conv/Sigmoid/Mul", fused_conv(
    (1, 3, 6, 6), (5, 3, 1, 1),
    lambda rng: ([node("Sigmoid", ["c"], "s"), node("Mul", ["c", "s"], "y")], {})))
case("fuse_gemm_sigmoid", "Gemm/Sigmoid", lambda rng: graph_model(
    [node("Gemm", ["a", "b", "c"], "g", transB=1), node("Sigmoid", ["g"], "y")],
    {"a": f32(rng, 3, 16), "b": Init(f32(rng, 10, 16, scale=0.25)), "c": Init(f32(rng, 10))},
    ["y"]))
case("fuse_matmul_add_leaky_relu", "MatMul/Add/LeakyRelu", lambda rng: graph_model(
    [node("MatMul", ["a", "b"], "m"), node("Add", ["m", "c"], "mc"),
     node("LeakyRelu", ["mc"], "y", alpha=0.2)],
    {"a": f32(rng, 2, 3, 8), "b": Init(f32(rng, 8, 5, scale=0.35)), "c": Init(f32(rng, 5))},
    ["y"]))
case("fuse_elementwise_chain", "Mul/Add/Sigmoid/Mul", lambda rng: graph_model(
    [node("Mul", ["x", "s"], "m"), node("Add", ["m", "b"], "a"),
     node("Sigmoid", ["a"], "g"), node("Mul", ["a", "g"], "y")],
    {"x": f32(rng, 2, 4, 5), "s": f32(rng, 4, 1), "b": Init(f32(rng, 5))}, ["y"]))
case("fuse_elementwise_gelu", "Div/Erf/Add/Mul", lambda rng: graph_model(
    [node("Div", ["x", "sqrt2"], "d"), node("Erf", ["d"], "e"),
     node("Add", ["e", "one"], "e1"), node("Mul", ["x", "e1"], "xe"),
     node("Mul", ["xe", "half"], "y")],
    {"x": f32(rng, 3, 7, scale=2.0), "sqrt2": Init(np.float32(np.sqrt(2))),
     "one": Init(np.float32(1)), "half": Init(np.float32(0.5))}, ["y"]))


def fuse_escaping_intermediate(rng):
    """The conv's activation is a second output: the group ends there."""
    nodes = [node("Conv", ["x", "w"], "c"), node("Relu", ["c"], "r"),
             node("Add", ["r", "x"], "y"), node("Exp", ["y"], "z"),
             node("Neg", ["z"], "n")]
    ops = {"x": f32(rng, 1, 3, 4, 4), "w": Init(f32(rng, 3, 3, 1, 1, scale=0.5))}
    return graph_model(nodes, ops, ["r", "n"])


case("fuse_escaping_intermediate", "Conv/Relu/Add/Exp/Neg", fuse_escaping_intermediate)

# ---- More elementwise: unary math, activations, n-ary, Pow, Mod, logic ----

SPECIAL = np.array([0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 0.49999997, -0.49999997, 2.0, -3.0,
                    0.0, -0.0, 1e-8, -1e-8, 8388607.5, -8388607.5, 8388609.0, 3e9, -3e9,
                    np.inf, -np.inf, np.nan, 7.25, -7.75], dtype=np.float32)

for _op in ("Floor", "Ceil", "Round"):
    case(f"{_op.lower()}_special", _op, lambda rng, _op=_op: single(_op, [("x", SPECIAL)]))
    case(f"{_op.lower()}_random", _op, unary(_op, scale=10.0))
for _op, _kw in [("Abs", {}), ("Neg", {}), ("Exp", {}), ("Tanh", {}), ("Erf", {"scale": 2.0}),
                 ("Sin", {}), ("Cos", {}), ("Atan", {}), ("Sinh", {}), ("Cosh", {}),
                 ("Asinh", {}), ("Softsign", {})]:
    case(_op.lower(), _op, unary(_op, opset=9 if _op in ("Sinh", "Cosh", "Asinh") else
                                 DEFAULT_OPSET, **_kw))
case("tan", "Tan", lambda rng: single("Tan", [("x", f32(rng, 3, 5, lo=-1.4, hi=1.4))]))
case("asin_acos", "Asin/Acos", lambda rng: graph_model(
    [helper.make_node("Asin", ["x"], ["a"]), helper.make_node("Acos", ["x"], ["b"])],
    {"x": f32(rng, 4, 6, lo=-0.99, hi=0.99)}, ["a", "b"]))
case("acosh", "Acosh", lambda rng: single("Acosh", [("x", f32(rng, 4, 5, lo=1.0, hi=20.0))],
                                          opset=9))
case("atanh", "Atanh", lambda rng: single("Atanh", [("x", f32(rng, 4, 5, lo=-0.95, hi=0.95))],
                                          opset=9))
case("log", "Log", lambda rng: single("Log", [("x", f32(rng, 3, 7, lo=1e-3, hi=100.0))]))
case("sqrt", "Sqrt", lambda rng: single("Sqrt", [("x", f32(rng, 3, 7, lo=0.0, hi=100.0))]))
case("reciprocal", "Reciprocal", lambda rng: single("Reciprocal",
                                                    [("x", away_from_zero(rng, 3, 7))]))
case("sign", "Sign", lambda rng: single(
    "Sign", [("x", np.round(f32(rng, 4, 6, scale=2.0)))]))
case("softplus_wide", "Softplus", unary("Softplus", scale=30.0))
case("elu", "Elu", unary("Elu"))
case("elu_alpha", "Elu", unary("Elu", alpha=0.5))
case("selu", "Selu", unary("Selu"))
case("selu_alpha_gamma", "Selu", unary("Selu", alpha=2.0, gamma=3.0))
case("celu_alpha", "Celu", unary("Celu", alpha=2.0))
case("thresholdedrelu", "ThresholdedRelu", unary("ThresholdedRelu", alpha=0.7))
case("shrink", "Shrink", unary("Shrink", lambd=1.5, bias=0.5))
case("isnan_isinf", "IsNaN/IsInf", lambda rng: graph_model(
    [helper.make_node("IsNaN", ["x"], ["a"]),
     helper.make_node("IsInf", ["x"], ["b"], detect_negative=0)],
    {"x": SPECIAL}, [("a", TensorProto.BOOL), ("b", TensorProto.BOOL)]))

for _op in ("Max", "Min", "Sum", "Mean"):
    case(f"{_op.lower()}_three_bcast", _op, lambda rng, _op=_op: single(
        _op, [("a", f32(rng, 2, 1, 4)), ("b", f32(rng, 3, 1)), ("c", Init(f32(rng, 4)))]))
case("max_int64", "Max", lambda rng: single(
    "Max", [("a", rng.integers(-50, 50, (3, 4))), ("b", rng.integers(-50, 50, (4,)))],
    outs=(("y", I64),)))
case("min_one_input", "Min", lambda rng: single("Min", [("a", f32(rng, 2, 3))]))

case("pow_negative_base", "Pow", lambda rng: single(
    "Pow", [("x", f32(rng, 3, 4, scale=2.0)),
            ("e", Init(np.array([2.0, 3.0, -1.0, 0.0], dtype=np.float32)))]))
case("pow_positive_base", "Pow", lambda rng: single(
    "Pow", [("x", f32(rng, 3, 4, lo=0.1, hi=4.0)), ("e", f32(rng, 3, 4, scale=2.0))]))
case("pow_special", "Pow", lambda rng: single(
    "Pow", [("x", np.array([1.0, 1.0, np.nan, 0.0, 0.0, -2.0, -2.0, 4.0, -8.0], np.float32)),
            ("e", np.array([np.nan, np.inf, 0.0, 2.0, -1.0, 0.5, 3.0, -0.5, 1.0 / 3],
                           np.float32))]))
case("sign_special", "Sign", lambda rng: single("Sign", [("x", SPECIAL)]))
case("pow_int_exponent", "Pow", lambda rng: single(
    "Pow", [("x", f32(rng, 2, 5, scale=2.0)), ("e", Init(i64([0, 1, 2, 3, -2])))]))
case("pow_int64", "Pow", lambda rng: single(
    "Pow", [("x", rng.integers(-4, 5, (3, 5))), ("e", Init(i64([0, 1, 2, 7, 13])))],
    outs=(("y", I64),)))

case("mod_int64", "Mod", lambda rng: single(
    "Mod", [("a", rng.integers(-30, 30, (4, 5))), ("b", Init(i64([7, -7, 3, -2, 5])))],
    outs=(("y", I64),)))
case("mod_int32_fmod", "Mod", lambda rng: single(
    "Mod", [("a", rng.integers(-30, 30, (4, 5)).astype(np.int32)),
            ("b", Init(np.array([7, -7, 3, -2, 5], dtype=np.int32)))],
    outs=(("y", TensorProto.INT32),), fmod=1))

for _op in ("Equal", "Greater", "Less", "GreaterOrEqual", "LessOrEqual"):
    _opset = 16 if _op.endswith("Equal") and _op != "Equal" else DEFAULT_OPSET
    case(f"{_op.lower()}_float", _op, lambda rng, _op=_op, _opset=_opset: single(
        _op, [("a", np.round(f32(rng, 2, 3, 4))), ("b", np.round(f32(rng, 3, 1)))],
        outs=(("y", TensorProto.BOOL),), opset=_opset))
    case(f"{_op.lower()}_int64", _op, lambda rng, _op=_op, _opset=_opset: single(
        _op, [("a", rng.integers(-3, 3, (3, 4))), ("b", rng.integers(-3, 3, (4,)))],
        outs=(("y", TensorProto.BOOL),), opset=_opset))

def bools(rng, *shape):
    return rng.random(shape) < 0.5


for _op in ("And", "Or", "Xor"):
    case(f"{_op.lower()}_bcast", _op, lambda rng, _op=_op: single(
        _op, [("a", bools(rng, 2, 3, 4)), ("b", bools(rng, 3, 1))],
        outs=(("y", TensorProto.BOOL),)))
case("not", "Not", lambda rng: single("Not", [("a", bools(rng, 3, 4))],
                                      outs=(("y", TensorProto.BOOL),)))
case("where_bcast", "Where", lambda rng: single(
    "Where", [("c", bools(rng, 3, 1)), ("a", f32(rng, 2, 1, 4)), ("b", f32(rng, 4))]))
case("where_from_compare", "Greater/Where", lambda rng: graph_model(
    [helper.make_node("Greater", ["x", "t"], ["c"]),
     helper.make_node("Where", ["c", "x", "z"], ["y"])],
    {"x": f32(rng, 3, 5), "t": Init(np.float32(0.2)), "z": Init(f32(rng, 5))}, ["y"]))
case("prelu_channel", "PRelu", lambda rng: single(
    "PRelu", [("x", f32(rng, 1, 4, 3, 3)), ("s", Init(f32(rng, 4, 1, 1)))]))
case("prelu_runtime_slope", "PRelu", lambda rng: single(
    "PRelu", [("x", f32(rng, 2, 5)), ("s", f32(rng, 5))]))
# ---- Resize, Upsample, DepthToSpace, SpaceToDepth --------------------------------

def resize(x_shape, scales=None, sizes=None, roi=None, opset=DEFAULT_OPSET, **attrs):
    def build(rng):
        ins = [("x", f32(rng, *x_shape))]
        if opset >= 11:
            ins.append(("roi", Init(np.asarray(roi, np.float32)) if roi is not None else None))
        ins.append(("scales", Init(np.asarray(scales, np.float32)) if scales is not None
                    else None))
        if sizes is not None:
            ins.append(("sizes", Init(i64(sizes))))
        return single("Resize", ins, opset=opset, **attrs)
    return build


case("resize_linear_sizes_up_down", "Resize",
     resize((1, 3, 5, 7), sizes=[1, 3, 9, 4], mode="linear"))
case("resize_linear_scales_asymmetric", "Resize",
     resize((2, 2, 4, 6), scales=[1, 1, 1.5, 0.5], mode="linear",
            coordinate_transformation_mode="asymmetric"))
case("resize_linear_pytorch_half_pixel_to_1", "Resize",
     resize((1, 2, 6, 5), sizes=[1, 2, 1, 3], mode="linear",
            coordinate_transformation_mode="pytorch_half_pixel"))
case("resize_trilinear_5d", "Resize",
     resize((1, 2, 3, 4, 5), sizes=[1, 2, 6, 3, 7], mode="linear"))
case("resize_cubic_align_corners_sizes", "Resize",
     resize((1, 1, 5, 6), sizes=[1, 1, 8, 4], mode="cubic",
            coordinate_transformation_mode="align_corners"))
case("resize_cubic_exclude_outside_down", "Resize",
     resize((1, 2, 9, 8), sizes=[1, 2, 4, 3], mode="cubic", cubic_coeff_a=-0.5,
            exclude_outside=1))
case("resize_nearest_round_prefer_ceil_down", "Resize",
     resize((1, 2, 7, 9), sizes=[1, 2, 3, 5], mode="nearest", nearest_mode="round_prefer_ceil"))
case("resize_nearest_floor_scales", "Resize",
     resize((1, 1, 3, 4), scales=[1, 1, 2.5, 0.75], mode="nearest", nearest_mode="floor",
            coordinate_transformation_mode="asymmetric"))
case("resize_nearest_tf_half_pixel_for_nn", "Resize",
     resize((1, 1, 5, 5), sizes=[1, 1, 8, 3], mode="nearest",
            coordinate_transformation_mode="tf_half_pixel_for_nn"))
# (roi chosen away from x.5 ties: onnxruntime computes coordinates in float32.)
case("resize_crop_and_resize_nearest_extrapolate", "Resize",
     resize((1, 1, 5, 6), sizes=[1, 1, 4, 5], roi=[0, 0, -0.2, 0.15, 1, 1, 0.9, 1.3],
            mode="nearest", coordinate_transformation_mode="tf_crop_and_resize",
            extrapolation_value=-3.0))
case("resize_crop_and_resize_linear", "Resize",
     resize((1, 2, 6, 6), sizes=[1, 2, 5, 3], roi=[0, 0, 0.1, 0.3, 1, 1, 0.8, 0.9],
            mode="linear", coordinate_transformation_mode="tf_crop_and_resize"))
case("resize_opset10_nearest", "Resize",
     resize((1, 2, 3, 4), scales=[1, 1, 2, 3], opset=10, mode="nearest"))
case("resize_opset10_linear", "Resize",
     resize((1, 2, 3, 4), scales=[1, 1, 2, 2.5], opset=10, mode="linear"))
case("resize_opset11_cubic_scales_const_node", "Resize", lambda rng: graph_model(
    [const_node("roi", np.zeros((0,), np.float32)),
     const_node("scales", np.asarray([1, 1, 1.5, 2], np.float32)),
     helper.make_node("Resize", ["x", "roi", "scales"], ["y"], name="resize11",
                      mode="cubic")],
    {"x": f32(rng, 1, 2, 4, 3)}, ["y"], opset=11))
case("upsample_opset7_attr_nearest", "Upsample", lambda rng: single(
    "Upsample", [("x", f32(rng, 1, 2, 3, 4))], opset=7, scales=[1.0, 1.0, 2.0, 3.0]))
case("upsample_opset9_nearest_fractional", "Upsample", lambda rng: single(
    "Upsample", [("x", f32(rng, 1, 2, 3, 4)), ("scales", Init(np.asarray([1, 1, 2.5, 1.5],
                                                                         np.float32)))],
    opset=9))
case("resize_opset10_nearest_down", "Resize",
     resize((1, 2, 5, 7), scales=[1, 1, 0.6, 0.5], opset=10, mode="nearest"))
case("upsample_opset9_linear", "Upsample", lambda rng: single(
    "Upsample", [("x", f32(rng, 1, 2, 3, 4)), ("scales", Init(np.asarray([1, 1, 2, 2],
                                                                         np.float32)))],
    opset=9, mode="linear"))
case("depthtospace_crd_b3", "DepthToSpace", lambda rng: single(
    "DepthToSpace", [("x", f32(rng, 2, 18, 2, 3))], blocksize=3, mode="CRD"))
case("depthtospace_dcr_b2", "DepthToSpace", lambda rng: single(
    "DepthToSpace", [("x", f32(rng, 1, 8, 3, 2))], blocksize=2))
case("spacetodepth_b3", "SpaceToDepth", lambda rng: single(
    "SpaceToDepth", [("x", f32(rng, 2, 2, 6, 9))], blocksize=3))


# ---- Loop and If (unrolled / resolved at import) ----------------------------------

def loop_body(nodes, carried, outputs):
    """A Loop body: (i, cond, *carried) -> (cond_out, *outputs); carried and
    outputs are (name, elem_type, shape)."""
    vi = helper.make_tensor_value_info
    return helper.make_graph(
        nodes, "body",
        [vi("i", I64, []), vi("cond", TensorProto.BOOL, []), *(vi(*c) for c in carried)],
        [vi("cond_out", TensorProto.BOOL, []), *(vi(*o) for o in outputs)])


def loop_accumulate(rng):
    # acc += w * i (w an outer-scope graph input); scan output tanh(acc).
    body = loop_body(
        [helper.make_node("Identity", ["cond"], ["cond_out"]),
         helper.make_node("Cast", ["i"], ["fi"], to=F32),
         helper.make_node("Mul", ["w", "fi"], ["step"]),
         helper.make_node("Add", ["acc", "step"], ["acc_out"]),
         helper.make_node("Tanh", ["acc_out"], ["scan"])],
        [("acc", F32, [3, 4])], [("acc_out", F32, [3, 4]), ("scan", F32, [3, 4])])
    return graph_model(
        [helper.make_node("Loop", ["n", "c", "x"], ["final", "scans"], name="loop",
                          body=body)],
        {"x": f32(rng, 3, 4), "w": f32(rng, 3, 4), "n": Init(i64(4)),
         "c": Init(np.bool_(True))},
        ["final", "scans"], out_shapes=[(3, 4), (4, 3, 4)])


def loop_while(rng):
    # No trip count: the condition i + 1 < 3, folded at import, ends it.
    body = loop_body(
        [helper.make_node("Add", ["i", "one"], ["i1"]),
         helper.make_node("Less", ["i1", "three"], ["cond_out"]),
         helper.make_node("Mul", ["acc", "x"], ["acc_out"]),
         helper.make_node("Sigmoid", ["acc_out"], ["scan"])],
        [("acc", F32, [5])], [("acc_out", F32, [5]), ("scan", F32, [5])])
    return graph_model(
        [helper.make_node("Loop", ["", "c", "x"], ["final", "scans"], name="loop",
                          body=body)],
        {"x": f32(rng, 5), "c": Init(np.bool_(True)), "one": Init(i64(1)),
         "three": Init(i64(3))},
        ["final", "scans"], out_shapes=[(5,), (3, 5)])


def loop_range_int32(rng):
    # Range's function body: every value a constant, the scan output folds.
    body = loop_body(
        [helper.make_node("Identity", ["cond"], ["cond_out"]),
         helper.make_node("Add", ["prev", "delta"], ["next"]),
         helper.make_node("Identity", ["prev"], ["value"])],
        [("prev", TensorProto.INT32, [])],
        [("next", TensorProto.INT32, []), ("value", TensorProto.INT32, [])])
    return graph_model(
        [helper.make_node("Loop", ["n", "", "start"], ["last", "range"], name="loop",
                          body=body),
         helper.make_node("Add", ["range", "x"], ["y"])],
        {"x": ints(rng, 6, dtype=np.int32), "n": Init(i64(6)),
         "start": Init(np.int32(10)), "delta": Init(np.int32(-3))},
        [("y", TensorProto.INT32)], out_shapes=[(6,)])


def if_model(cond, **branch_attrs):
    # then: relu(x) and x + b, else: sigmoid(x) and x * b (x, b from outside).
    vi = helper.make_tensor_value_info
    then_b = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["t0"]), helper.make_node("Add", ["x", "b"], ["t1"])],
        "then_branch", [], [vi("t0", F32, [2, 3]), vi("t1", F32, [2, 3])])
    else_b = helper.make_graph(
        [helper.make_node("Sigmoid", ["x"], ["e0"]), helper.make_node("Mul", ["x", "b"], ["e1"])],
        "else_branch", [], [vi("e0", F32, [2, 3]), vi("e1", F32, [2, 3])])
    return lambda rng: graph_model(
        [helper.make_node("If", ["c"], ["y0", "y1"], name="if", then_branch=then_b,
                          else_branch=else_b)],
        {"x": f32(rng, 2, 3), "b": f32(rng, 3), "c": cond}, ["y0", "y1"])


def scan_model(opset, **attrs):
    # A running sum of x's slices (state) and its tanh per step (scan output).
    vi = helper.make_tensor_value_info
    body = helper.make_graph(
        [helper.make_node("Add", ["sum_in", "next"], ["sum_out"]),
         helper.make_node("Tanh", ["sum_out"], ["scan_out"])],
        "body", [vi("sum_in", F32, [4]), vi("next", F32, [4])],
        [vi("sum_out", F32, [4]), vi("scan_out", F32, [4])])
    if opset < 9:  # Scan-8: sequence_lens first, a batch of 2 along axis 0
        return lambda rng: graph_model(
            [helper.make_node("Scan", ["", "init", "x"], ["sum", "scans"], name="scan",
                              body=body, num_scan_inputs=1, **attrs)],
            {"init": f32(rng, 2, 4), "x": f32(rng, 2, 3, 4)}, ["sum", "scans"],
            opset=opset, out_shapes=[(2, 4), (2, 3, 4)])
    return lambda rng: graph_model(
        [helper.make_node("Scan", ["init", "x"], ["sum", "scans"], name="scan", body=body,
                          num_scan_inputs=1, **attrs)],
        {"init": f32(rng, 4), "x": f32(rng, 4, 3)}, ["sum", "scans"], opset=opset,
        out_shapes=[(4,), (4, 3)])


case("loop_accumulate_scan", "Loop", loop_accumulate)
# Scanning axis 1 backwards, stacking along axis 1 backwards.
case("scan9_axes_reversed", "Scan", scan_model(
    11, scan_input_axes=[1], scan_input_directions=[1], scan_output_axes=[-1],
    scan_output_directions=[1]))
case("scan8_batch", "Scan", scan_model(8, directions=[1]))
case("loop_while_folded_cond", "Loop", loop_while)
case("loop_range_int32", "Loop", loop_range_int32)
case("if_const_cond", "If", if_model(Init(np.bool_(False))))
case("if_runtime_cond_true", "If", if_model(np.array([True])))
case("if_runtime_cond_false", "If", if_model(np.array([False])))


# ---- Negative cases: kilnc must refuse with a one-line error ------------------------

negative("neg_resize_runtime_scales", "Resize", lambda rng: single(
    "Resize", [("x", f32(rng, 1, 1, 2, 2)), ("roi", None),
               ("scales", np.asarray([1, 1, 2, 2], np.float32))], node_name="resize_rt",
    out_shapes=[(1, 1, 4, 4)]), expect=["Resize", "resize_rt", "compile-time constant"])
negative("neg_resize_empty_output", "Resize", lambda rng: single(
    "Resize", [("x", f32(rng, 1, 1, 2, 2)), ("roi", None),
               ("scales", Init(np.asarray([1, 1, 0.2, 1], np.float32)))],
    node_name="resize_empty", out_shapes=[(1, 1, 0, 2)]),
    expect=["Resize", "resize_empty", "empty output"])
negative("neg_pad_wrap", "Pad", lambda rng: single(
    "Pad", [("x", f32(rng, 1, 2, 4, 4)), ("pads", Init(i64([0, 0, 1, 1, 0, 0, 1, 1])))],
    node_name="pad_wrap", mode="wrap"), expect=["Pad", "pad_wrap", "mode 'wrap'"])
negative("neg_conv_4d", "Conv", lambda rng: single(
    "Conv", [("x", f32(rng, 1, 1, 3, 3, 3, 3)), ("w", Init(f32(rng, 1, 1, 2, 2, 2, 2)))],
    node_name="conv4d"), expect=["Conv", "conv4d", "1-D to 3-D"])
negative("neg_einsum_diagonal_not_square", "Einsum", lambda rng: single(
    "Einsum", [("x", f32(rng, 3, 4))], opset=12, node_name="diag", equation="ii->i",
    out_shapes=[(3,)]), expect=["Einsum", "diag", "diagonal", "sizes 3 and 4"])
negative("neg_reducel2_int64", "ReduceL2", lambda rng: single(
    "ReduceL2", [("x", ints(rng, 2, 3))], outs=(("y", TensorProto.INT64),),
    node_name="l2_int", axes=[1]), expect=["ReduceL2", "l2_int"])
negative("neg_unknown_op", "Det", lambda rng: single(
    "Det", [("x", f32(rng, 2, 3, 3))], node_name="det0"), expect=["Det", "det0"])
negative("neg_mod_float", "Mod", lambda rng: single(
    "Mod", [("a", f32(rng, 2, 3)), ("b", away_from_zero(rng, 2, 3))], node_name="fmod0",
    fmod=1), expect=["Mod", "fmod0", "floating-point"])
negative("neg_pad_runtime_pads", "Pad", lambda rng: single(
    "Pad", [("x", f32(rng, 2, 3)), ("pads", i64([0, 1, 0, 1]))], node_name="pad_dyn"),
    expect=["Pad", "pad_dyn"])
negative("neg_cast_to_string", "Cast", lambda rng: single(
    "Cast", [("x", f32(rng, 2, 3))], outs=(("y", TensorProto.STRING),), node_name="to_str",
    to=TensorProto.STRING), expect=["Cast", "to_str", "cast to STRING"])
negative("neg_mod_uint32", "Mod", lambda rng: single(
    "Mod", [("a", rng.integers(0, 2 ** 32, 4, dtype=np.uint32)),
            ("b", rng.integers(1, 2 ** 32, 4, dtype=np.uint32))],
    outs=(("y", TensorProto.UINT32),), node_name="mod_u32"),
    expect=["Mod", "mod_u32", "UINT32"])
negative("neg_expand_runtime_shape", "Expand", lambda rng: single(
    "Expand", [("x", f32(rng, 3, 1)), ("shape", i64([2, 3, 4]))], node_name="expand_rt",
    out_shapes=[(2, 3, 4)]),
    expect=["Expand", "expand_rt", "must be a compile-time constant"])
negative("neg_dropout_training", "Dropout", lambda rng: single(
    "Dropout", [("x", f32(rng, 2, 3)), ("ratio", Init(np.float32(0.5))),
                ("training_mode", Init(np.bool_(True)))], node_name="drop_train"),
    expect=["Dropout", "drop_train", "training_mode=true"])
negative("neg_topk_runtime_k", "TopK", lambda rng: single(
    "TopK", [("x", f32(rng, 3, 4)), ("k", i64([2]))],
    outs=("values", ("indices", TensorProto.INT64)), node_name="topk_rt"),
    expect=["TopK", "topk_rt"])
negative("neg_loop_runtime_trip_count", "Loop", lambda rng: graph_model(
    [helper.make_node("Loop", ["n", "", "x"], ["final"], name="loop_rt", body=loop_body(
        [helper.make_node("Identity", ["cond"], ["cond_out"]),
         helper.make_node("Neg", ["acc"], ["acc_out"])],
        [("acc", F32, [2])], [("acc_out", F32, [2])]))],
    {"x": f32(rng, 2), "n": i64(3)}, ["final"], out_shapes=[(2,)]),
    expect=["Loop", "loop_rt", "trip count 'n' is only known at run time",
            "model input 1 ('n') must be a compile-time constant"])
negative("neg_if_branch_shapes", "If", lambda rng: graph_model(
    [helper.make_node("If", ["c"], ["y"], name="if_shapes", then_branch=helper.make_graph(
        [helper.make_node("Relu", ["x"], ["t"])], "then_branch", [],
        [helper.make_tensor_value_info("t", F32, [3])]), else_branch=helper.make_graph(
        [helper.make_node("Identity", ["z"], ["e"])], "else_branch", [],
        [helper.make_tensor_value_info("e", F32, [4])]))],
    {"x": f32(rng, 3), "c": np.array(True), "z": Init(f32(rng, 4))}, ["y"],
    out_shapes=[("N",)]),
    expect=["If", "if_shapes", "tensor<3xf32> in then_branch but tensor<4xf32> in else_branch"])
