#!/usr/bin/env python3
"""Writes seed candidates for kiln_onnx_import_fuzz (README.md).

    python3 compiler/onnx/fuzz/make_corpus.py OUT_DIR [--onnx-tests DIR]
        [--max-bytes N] [--dict FILE]

OUT_DIR/seeds/ gets small hand-built ONNX models (a few hundred bytes to a
few KB), one per op family the importer handles, plus models it must refuse
cleanly (external data, old opsets it upgrades, an unsupported op, a
dynamic input). With --onnx-tests (ONNX's backend test data, e.g.
/usr/share/libonnx-testdata/data), OUT_DIR/onnx-tests/ also gets every
distinct node-test model.onnx of at most --max-bytes (default 2048) bytes.
Reduce the candidates into the committed corpus with libFuzzer's -merge=1.
--dict also writes the libFuzzer dictionary (onnx.dict here).
Needs the onnx and numpy Python packages.
"""
import argparse
import hashlib
import os
import shutil
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F, I64, B = TensorProto.FLOAT, TensorProto.INT64, TensorProto.BOOL


def vi(name, dtype, shape):
    return helper.make_tensor_value_info(name, dtype, shape)


def init(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def model(nodes, inputs, outputs, inits=(), opset=13, name="seed", extra=()):
    graph = helper.make_graph(nodes, name, inputs, outputs, list(inits))
    opsets = [helper.make_opsetid("", opset)] + list(extra)
    m = helper.make_model(graph, opset_imports=opsets,
                          producer_name="kiln-fuzz-seed")
    m.ir_version = 8 if opset <= 17 else 9
    return m


def rnd(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def seeds():
    out = {}
    n = helper.make_node

    out["conv_relu"] = model(
        [n("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1], name="conv"),
         n("Relu", ["c"], ["y"], name="relu")],
        [vi("x", F, [1, 3, 8, 8])], [vi("y", F, [1, 4, 8, 8])],
        [init("w", rnd(4, 3, 3, 3)), init("b", rnd(4, seed=1))])

    out["conv_autopad_group"] = model(
        [n("Conv", ["x", "w"], ["y"], auto_pad="SAME_UPPER", strides=[2, 2],
           group=2, dilations=[1, 1], name="conv")],
        [vi("x", F, [1, 4, 7, 7])], [vi("y", F, [1, 4, 4, 4])],
        [init("w", rnd(4, 2, 3, 3))])

    out["conv_transpose"] = model(
        [n("ConvTranspose", ["x", "w"], ["y"], strides=[2, 2], name="up")],
        [vi("x", F, [1, 2, 3, 3])], [vi("y", F, [1, 1, 7, 7])],
        [init("w", rnd(2, 1, 3, 3))])

    out["gemm"] = model(
        [n("Gemm", ["a", "b", "c"], ["y"], alpha=0.5, beta=2.0, transB=1,
           name="fc")],
        [vi("a", F, [2, 3])], [vi("y", F, [2, 4])],
        [init("b", rnd(4, 3)), init("c", rnd(4, seed=2))])

    out["add_broadcast"] = model(
        [n("Add", ["a", "b"], ["s"], name="add"),
         n("Mul", ["s", "k"], ["y"], name="scale")],
        [vi("a", F, [2, 3, 4]), vi("b", F, [4])], [vi("y", F, [2, 3, 4])],
        [init("k", np.float32(3.0))])

    out["reshape_initializer"] = model(
        [n("Reshape", ["x", "shape"], ["y"], name="reshape")],
        [vi("x", F, [2, 6])], [vi("y", F, [3, 4])],
        [init("shape", np.array([3, -1], np.int64))])

    out["shape_arithmetic"] = model(
        [n("Shape", ["x"], ["s"], name="shape"),
         n("Gather", ["s", "i0"], ["d0"], axis=0, name="batch"),
         n("Unsqueeze", ["d0", "ax"], ["d0u"], name="unsq"),
         n("Concat", ["d0u", "minus1"], ["target"], axis=0, name="cat"),
         n("Reshape", ["x", "target"], ["y"], name="flatten")],
        [vi("x", F, [2, 3, 4])], [vi("y", F, [2, 12])],
        [init("i0", np.array(0, np.int64)), init("ax", np.array([0], np.int64)),
         init("minus1", np.array([-1], np.int64))])

    then_g = helper.make_graph(
        [n("Add", ["x", "x"], ["t"], name="double")], "then", [],
        [vi("t", F, [2])])
    else_g = helper.make_graph(
        [n("Mul", ["x", "x"], ["e"], name="square")], "else", [],
        [vi("e", F, [2])])
    out["if_subgraph"] = model(
        [n("If", ["cond"], ["y"], then_branch=then_g, else_branch=else_g,
           name="branch")],
        [vi("cond", B, []), vi("x", F, [2])], [vi("y", F, [2])])

    body = helper.make_graph(
        [n("Add", ["acc_in", "x"], ["acc_out"], name="step"),
         n("Identity", ["cond_in"], ["cond_out"], name="keep")],
        "body",
        [vi("iter", I64, []), vi("cond_in", B, []), vi("acc_in", F, [2])],
        [vi("cond_out", B, []), vi("acc_out", F, [2])])
    out["loop"] = model(
        [n("Loop", ["trips", "", "zero"], ["y"], body=body, name="loop")],
        [vi("x", F, [2])], [vi("y", F, [2])],
        [init("trips", np.array(3, np.int64)),
         init("zero", np.zeros(2, np.float32))])

    scan_body = helper.make_graph(
        [n("Add", ["sum_in", "row"], ["sum_out"], name="acc"),
         n("Identity", ["sum_out"], ["scan_out"], name="emit")],
        "scan_body", [vi("sum_in", F, [3]), vi("row", F, [3])],
        [vi("sum_out", F, [3]), vi("scan_out", F, [3])])
    out["scan"] = model(
        [n("Scan", ["init", "xs"], ["total", "partial"], body=scan_body,
           num_scan_inputs=1, name="cumsum")],
        [vi("init", F, [3]), vi("xs", F, [4, 3])],
        [vi("total", F, [3]), vi("partial", F, [4, 3])])

    out["concat"] = model(
        [n("Concat", ["a", "b", "c"], ["y"], axis=1, name="cat")],
        [vi("a", F, [1, 2]), vi("b", F, [1, 3]), vi("c", F, [1, 1])],
        [vi("y", F, [1, 6])])

    ext = init("w", np.zeros(4, np.float32))
    ext.ClearField("raw_data")
    ext.data_location = TensorProto.EXTERNAL
    for k, v in (("location", "w.bin"), ("offset", "0"), ("length", "16")):
        e = ext.external_data.add()
        e.key, e.value = k, v
    out["external_data"] = model(
        [n("Add", ["x", "w"], ["y"], name="add")],
        [vi("x", F, [4])], [vi("y", F, [4])], [ext])

    out["pools_batchnorm"] = model(
        [n("MaxPool", ["x"], ["m"], kernel_shape=[2, 2], strides=[2, 2],
           name="max"),
         n("AveragePool", ["m"], ["a"], kernel_shape=[3, 3],
           auto_pad="SAME_UPPER", count_include_pad=1, name="avg"),
         n("BatchNormalization", ["a", "s", "bias", "mean", "var"], ["bn"],
           epsilon=1e-3, name="bn"),
         n("GlobalAveragePool", ["bn"], ["y"], name="gap")],
        [vi("x", F, [1, 2, 8, 8])], [vi("y", F, [1, 2, 1, 1])],
        [init("s", np.ones(2, np.float32)), init("bias", np.zeros(2, np.float32)),
         init("mean", np.zeros(2, np.float32)),
         init("var", np.ones(2, np.float32))])

    out["matmul_softmax_transpose"] = model(
        [n("MatMul", ["a", "w"], ["m"], name="mm"),
         n("Softmax", ["m"], ["s"], axis=-1, name="softmax"),
         n("Transpose", ["s"], ["y"], perm=[1, 0], name="t")],
        [vi("a", F, [2, 3])], [vi("y", F, [4, 2])], [init("w", rnd(3, 4))])

    out["slice_split_pad"] = model(
        [n("Slice", ["x", "starts", "ends", "axes", "steps"], ["s"],
           name="slice"),
         n("Split", ["s", "parts"], ["p0", "p1"], axis=1, name="split"),
         n("Pad", ["p0", "pads", "pv"], ["y0"], mode="constant", name="pad"),
         n("Flatten", ["p1"], ["y1"], axis=1, name="flat")],
        [vi("x", F, [2, 6, 4])], [vi("y0", F, [2, 3, 3]),
                                  vi("y1", F, [2, 6])],
        [init("starts", np.array([0, 1], np.int64)),
         init("ends", np.array([6, 4], np.int64)),
         init("axes", np.array([1, 2], np.int64)),
         init("steps", np.array([2, 1], np.int64)),
         init("parts", np.array([1, 2], np.int64)),
         init("pads", np.array([0, 1, 0, 0, 1, 0], np.int64)),
         init("pv", np.float32(0.5))])

    out["resize"] = model(
        [n("Resize", ["x", "", "scales"], ["y"], mode="nearest", name="up")],
        [vi("x", F, [1, 1, 2, 3])], [vi("y", F, [1, 1, 4, 6])],
        [init("scales", np.array([1, 1, 2, 2], np.float32))])

    out["cast_reduce"] = model(
        [n("Cast", ["x"], ["d"], to=TensorProto.DOUBLE, name="cast"),
         n("ReduceMean", ["d"], ["m"], axes=[1], keepdims=1, name="mean"),
         n("ReduceSum", ["x", "axes"], ["s"], keepdims=0, name="sum"),
         n("ArgMax", ["x"], ["am"], axis=2, name="argmax")],
        [vi("x", F, [2, 3, 4])],
        [vi("m", TensorProto.DOUBLE, [2, 1, 4]), vi("s", F, [2]),
         vi("am", I64, [2, 3, 1])],
        [init("axes", np.array([1, 2], np.int64))])

    # Opset 6: upgraded to opset 9 by ONNX's version converter first.
    out["old_opset6"] = model(
        [n("Add", ["a", "b"], ["s"], broadcast=1, axis=1, name="add"),
         n("Relu", ["s"], ["y"], name="relu")],
        [vi("a", F, [2, 3]), vi("b", F, [3])], [vi("y", F, [2, 3])],
        opset=6)

    out["quantize"] = model(
        [n("QuantizeLinear", ["x", "scale", "zp"], ["q"], name="q"),
         n("DequantizeLinear", ["q", "scale", "zp"], ["y"], name="dq")],
        [vi("x", F, [2, 4])], [vi("y", F, [2, 4])],
        [init("scale", np.float32(0.1)), init("zp", np.uint8(128))])

    out["where_clip_gather"] = model(
        [n("Greater", ["x", "zero"], ["pos"], name="gt"),
         n("Where", ["pos", "x", "zero"], ["r"], name="where"),
         n("Clip", ["r", "lo", "hi"], ["c"], name="clip"),
         n("Gather", ["c", "idx"], ["y"], axis=1, name="pick")],
        [vi("x", F, [2, 4])], [vi("y", F, [2, 2])],
        [init("zero", np.float32(0)), init("lo", np.float32(-1)),
         init("hi", np.float32(6)), init("idx", np.array([3, 0], np.int64))])

    out["expand_tile_range"] = model(
        [n("Range", ["start", "limit", "delta"], ["r"], name="range"),
         n("Expand", ["r", "shape"], ["e"], name="expand"),
         n("Tile", ["e", "reps"], ["y"], name="tile")],
        [], [vi("y", F, [2, 8])],
        [init("start", np.float32(0)), init("limit", np.float32(4)),
         init("delta", np.float32(1)),
         init("shape", np.array([2, 4], np.int64)),
         init("reps", np.array([1, 2], np.int64))])

    out["topk_cumsum_onehot"] = model(
        [n("TopK", ["x", "k"], ["v", "i"], axis=-1, name="topk"),
         n("CumSum", ["v", "axis"], ["c"], name="cumsum"),
         n("OneHot", ["i", "depth", "vals"], ["o"], axis=-1, name="onehot")],
        [vi("x", F, [2, 5])],
        [vi("c", F, [2, 3]), vi("o", F, [2, 3, 5])],
        [init("k", np.array([3], np.int64)), init("axis", np.int64(1)),
         init("depth", np.array([5], np.int64)),
         init("vals", np.array([0, 1], np.float32))])

    out["einsum"] = model(
        [n("Einsum", ["a", "b"], ["y"], equation="ij,jk->ik", name="ein")],
        [vi("a", F, [2, 3]), vi("b", F, [3, 4])], [vi("y", F, [2, 4])])

    out["constants"] = model(
        [n("Constant", [], ["c"], value=init("v", rnd(2, 3)), name="const"),
         n("ConstantOfShape", ["shape"], ["z"],
           value=init("fill", np.array([1.5], np.float32)), name="fill"),
         n("Sub", ["c", "z"], ["y"], name="sub")],
        [], [vi("y", F, [2, 3])], [init("shape", np.array([2, 3], np.int64))])

    out["space_depth_squeeze"] = model(
        [n("SpaceToDepth", ["x"], ["s"], blocksize=2, name="s2d"),
         n("DepthToSpace", ["s"], ["d"], blocksize=2, mode="CRD", name="d2s"),
         n("Squeeze", ["d", "ax"], ["q"], name="squeeze"),
         n("Unsqueeze", ["q", "ax"], ["y"], name="unsqueeze")],
        [vi("x", F, [1, 1, 4, 4])], [vi("y", F, [1, 1, 4, 4])],
        [init("ax", np.array([0], np.int64))])

    out["norms"] = model(
        [n("InstanceNormalization", ["x", "s", "b"], ["i"], name="in"),
         n("LRN", ["i"], ["l"], size=3, name="lrn"),
         n("MeanVarianceNormalization", ["l"], ["y"], name="mvn")],
        [vi("x", F, [1, 2, 3, 3])], [vi("y", F, [1, 2, 3, 3])],
        [init("s", np.ones(2, np.float32)), init("b", np.zeros(2, np.float32))])

    out["dft_window"] = model(
        [n("HannWindow", ["len"], ["w"], name="hann"),
         n("DFT", ["x"], ["y"], axis=1, onesided=0, name="dft")],
        [vi("x", F, [1, 8, 1])],
        [vi("w", F, [8]), vi("y", F, [1, 8, 2])],
        [init("len", np.int64(8))], opset=17)

    out["unsigned_types"] = model(
        [n("Cast", ["x"], ["f"], to=F, name="to_f32"),
         n("Max", ["x", "m"], ["y"], name="max"),
         n("Cast", ["f"], ["h"], to=TensorProto.FLOAT16, name="to_f16")],
        [vi("x", TensorProto.UINT8, [4])],
        [vi("y", TensorProto.UINT8, [4]), vi("h", TensorProto.FLOAT16, [4])],
        [init("m", np.array([1, 2, 250, 255], np.uint8))])

    # Initializer data in the typed fields (float_data, int64_data) rather
    # than raw_data; an initializer that shadows an input (a default value).
    typed = helper.make_tensor("w", F, [3], [1.0, 2.0, 3.0])
    out["typed_data_default_input"] = model(
        [n("Add", ["x", "w"], ["y"], name="add")],
        [vi("x", F, [3]), vi("w", F, [3])], [vi("y", F, [3])], [typed])

    out["elementwise_chain"] = model(
        [n("Sigmoid", ["x"], ["a"]), n("Tanh", ["a"], ["b"]),
         n("LeakyRelu", ["b"], ["c"], alpha=0.2), n("Exp", ["c"], ["d"]),
         n("Pow", ["d", "two"], ["e"]), n("Div", ["e", "two"], ["f"]),
         n("HardSwish", ["f"], ["g"]), n("Erf", ["g"], ["y"])],
        [vi("x", F, [2, 3])], [vi("y", F, [2, 3])],
        [init("two", np.float32(2))], opset=14)

    out["nonzero_trilu"] = model(
        [n("Trilu", ["x"], ["t"], upper=1, name="triu"),
         n("NonZero", ["c"], ["y"], name="nz")],
        [vi("x", F, [3, 3])], [vi("t", F, [3, 3]), vi("y", I64, [2, None])],
        [init("c", np.array([[0, 1, 0], [2, 0, 3]], np.float32))], opset=14)

    # Refused: a dynamic input, an unsupported op, an opset past Kiln's.
    out["dynamic_input"] = model(
        [n("Relu", ["x"], ["y"])], [vi("x", F, ["N", 3])], [vi("y", F, ["N", 3])])
    out["unsupported_op"] = model(
        [n("GridSample", ["x", "g"], ["y"], name="grid")],
        [vi("x", F, [1, 1, 2, 2]), vi("g", F, [1, 2, 2, 2])],
        [vi("y", F, [1, 1, 2, 2])], opset=16)
    out["opset18"] = model(
        [n("Relu", ["x"], ["y"])], [vi("x", F, [2])], [vi("y", F, [2])],
        opset=18)
    return out


def varint(n):
    out = b""
    while True:
        byte, n = n & 0x7F, n >> 7
        out += bytes([byte | (0x80 if n else 0)])
        if not n:
            return out


def field(tag, payload):
    """A length-delimited protobuf field: key (wire type 2), length, bytes."""
    return varint(tag << 3 | 2) + varint(len(payload)) + payload


def dictionary():
    """libFuzzer dictionary entries: whole protobuf fields that random
    mutation would seldom spell, for the ONNX default domain's op types
    (NodeProto.op_type), attribute names (AttributeProto.name), the string
    attribute values the importer reads (AttributeProto.s), opset imports
    (ModelProto.opset_import) and a few enum fields."""
    entries = {}
    schemas = [s for s in onnx.defs.get_all_schemas() if s.domain == ""]
    for op in sorted({s.name for s in schemas}):
        entries["op_" + op] = field(4, op.encode())
    for attr in sorted({a for s in schemas for a in s.attributes}):
        entries["attr_" + attr] = field(1, attr.encode())
    for value in ("SAME_UPPER", "SAME_LOWER", "VALID", "NOTSET", "constant",
                  "reflect", "edge", "nearest", "linear", "cubic", "DCR",
                  "CRD", "half_pixel", "asymmetric", "align_corners",
                  "round_prefer_floor", "floor", "ceil", "ij,jk->ik"):
        entries["s_" + value] = field(4, value.encode())
    for version in (1, 6, 7, 9, 11, 13, 17, 18):
        entries[f"opset_{version}"] = field(
            8, field(1, b"") + varint(2 << 3) + varint(version))
    for domain in ("ai.onnx", "ai.onnx.ml", "com.microsoft"):
        entries["domain_" + domain] = field(7, domain.encode())
    for name, kind in attribute_types():
        entries["attr_type_" + name] = varint(20 << 3) + varint(kind)
    entries["external_location"] = varint(14 << 3) + varint(1)
    entries["ir_version_8"] = varint(1 << 3) + varint(8)
    lines = []
    for name, value in entries.items():
        text = "".join(chr(b) if 0x20 <= b < 0x7F and chr(b) not in '"\\'
                       else f"\\x{b:02x}" for b in value)
        key = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
        lines.append(f'{key}="{text}"')
    return "\n".join(lines) + "\n"


def attribute_types():
    t = onnx.AttributeProto
    return [("float", t.FLOAT), ("int", t.INT), ("string", t.STRING),
            ("tensor", t.TENSOR), ("graph", t.GRAPH), ("floats", t.FLOATS),
            ("ints", t.INTS), ("strings", t.STRINGS), ("graphs", t.GRAPHS)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--onnx-tests", help="ONNX backend test data directory")
    ap.add_argument("--max-bytes", type=int, default=2048)
    ap.add_argument("--dict", help="also write the libFuzzer dictionary here")
    args = ap.parse_args()
    if args.dict:
        with open(args.dict, "w") as f:
            f.write("# libFuzzer dictionary for kiln_onnx_import_fuzz, written by\n"
                    "# make_corpus.py --dict (ONNX " + onnx.__version__ +
                    "): protobuf fields of op types,\n# attribute names and "
                    "values, opset imports.\n")
            f.write(dictionary())
    seed_dir = os.path.join(args.out, "seeds")
    os.makedirs(seed_dir, exist_ok=True)
    for name, m in sorted(seeds().items()):
        data = m.SerializeToString()
        with open(os.path.join(seed_dir, name + ".onnx"), "wb") as f:
            f.write(data)
        print(f"{name}.onnx: {len(data)} bytes")
    if args.onnx_tests:
        dst = os.path.join(args.out, "onnx-tests")
        os.makedirs(dst, exist_ok=True)
        seen, count = set(), 0
        for root, _, files in sorted(os.walk(args.onnx_tests)):
            if "model.onnx" not in files:
                continue
            path = os.path.join(root, "model.onnx")
            if os.path.getsize(path) > args.max_bytes:
                continue
            data = open(path, "rb").read()
            digest = hashlib.sha1(data).hexdigest()
            if digest in seen:
                continue
            seen.add(digest)
            rel = os.path.relpath(root, args.onnx_tests).replace(os.sep, "-")
            shutil.copyfile(path, os.path.join(dst, rel))
            count += 1
        print(f"onnx-tests: {count} distinct models of at most "
              f"{args.max_bytes} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
