"""Prints an nna segment (@main of nna ops) with seeded pseudo-random
weights and per-channel parameters, for the stream builder's bit-exactness
tests: the same ops split in different ways must give the same bytes.

usage: nna_segment.py chain|rows|groups

chain:  conv (ACC-limited on small) -> strided conv with a fused add ->
        depthwise conv -> add -> average pool, plus the first conv's result;
        fits the large configuration whole.
rows:   a 5x5 conv (ACC-limited row tiles on small) -> a strided conv with
        asymmetric pads; a max pool over 288 KiB and an add over 3 x 128 KiB
        (row tiles on small) -> an average pool; fits the large
        configuration whole.
groups: a 3x3 conv over 2048 input channels (input-channel groups on small)
        and a 1x1 conv with 256 KiB of weights (output-channel groups on
        small) followed by a max pool; both fit the large configuration
        whole.
"""
import math
import sys


class Lcg:
    """64-bit LCG (Knuth's MMIX constants): the same numbers everywhere."""

    def __init__(self, seed):
        self.state = seed

    def next(self):
        self.state = (self.state * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        return self.state >> 33

    def int8(self):
        return self.next() % 255 - 127


def hex_bytes(values, width):
    out = bytearray()
    for v in values:
        out += int(v).to_bytes(width, "little", signed=True)
    return '"0x' + out.hex().upper() + '"'


class Segment:
    def __init__(self, seed):
        self.rng = Lcg(seed)
        self.lines = []
        self.count = 0

    def constant(self, shape, values, width, ty):
        name = "%%k%d" % self.count
        self.count += 1
        dims = "x".join(str(d) for d in shape)
        self.lines.append("  %s = nn.constant dense<%s> : tensor<%sx%s>"
                          % (name, hex_bytes(values, width), dims, ty))
        return name

    def conv(self, x, in_shape, k, kernel, stride, pads, depthwise=False,
             addend=None, in_std=74.0, loc="conv"):
        h, w, c = in_shape
        cg = 1 if depthwise else c
        if depthwise:
            assert k == c
        weights = [self.rng.int8() for _ in range(k * kernel * kernel * cg)]
        # A shift that keeps the outputs spread over int8 (std ~40): the
        # accumulator's std is about in_std * 73 * sqrt(taps).
        acc_std = in_std * 73 * math.sqrt(kernel * kernel * cg)
        shift = -max(0, round(math.log2(acc_std / 40 / 0.75)))
        params = []
        for _ in range(k):
            params += [self.rng.next() % 4001 - 2000,
                       (1 << 30) + self.rng.next() % (1 << 30), shift]
        wn = self.constant([k, kernel, kernel, cg], weights, 1, "i8")
        pn = self.constant([k, 3], params, 4, "i32")
        oh = (h + pads[0] + pads[2] - kernel) // stride + 1
        ow = (w + pads[1] + pads[3] - kernel) // stride + 1
        out = (oh, ow, k)
        name = "%%v%d" % self.count
        self.count += 1
        operands = "%s, %s, %s" % (x, wn, pn)
        types = "tensor<%s>, tensor<%dx%dx%dx%dxi8>, tensor<%dx3xi32>" % (
            shape(in_shape), k, kernel, kernel, cg, k)
        attrs = ("kernel = array<i64: %d, %d>, strides = array<i64: %d, %d>, "
                 "pads = array<i64: %s>, in_zero = -3 : i64, out_zero = 5 : i64, "
                 "clamp = array<i64: -128, 127>" % (
                     kernel, kernel, stride, stride,
                     ", ".join(str(p) for p in pads)))
        if depthwise:
            attrs += ", depthwise"
        if addend:
            operands += ", " + addend
            types += ", tensor<%s>" % shape(out)
            attrs += (", add = #nna.requant<a_zero = 5, a_mult = 1518500250, "
                      "a_shift = 0, b_zero = -7, b_mult = 1073741824, "
                      "b_shift = 0, o_mult = 1500000000, o_shift = -20, "
                      "o_zero = 2, lo = -128, hi = 127>")
        self.lines.append("  %s = nna.conv %s {%s} : (%s) -> tensor<%s> loc(\"%s\")"
                          % (name, operands, attrs, types, shape(out), loc))
        return name, out

    def add(self, a, b, s, loc="add"):
        name = "%%v%d" % self.count
        self.count += 1
        self.lines.append(
            "  %s = nna.add %s, %s {add = #nna.requant<a_zero = 5, "
            "a_mult = 1288490189, a_shift = 0, b_zero = 5, b_mult = 1073741824, "
            "b_shift = 0, o_mult = 1400000000, o_shift = -20, o_zero = -1, "
            "lo = -100, hi = 120>} : (tensor<%s>, tensor<%s>) -> tensor<%s> loc(\"%s\")"
            % (name, a, b, shape(s), shape(s), shape(s), loc))
        return name

    def pool(self, x, s, mode, kernel, stride, pads, cip=False, loc="pool"):
        h, w, c = s
        oh = (h + pads[0] + pads[2] - kernel) // stride + 1
        ow = (w + pads[1] + pads[3] - kernel) // stride + 1
        out = (oh, ow, c)
        name = "%%v%d" % self.count
        self.count += 1
        self.lines.append(
            "  %s = nna.pool %s {mode = \"%s\", kernel = array<i64: %d, %d>, "
            "strides = array<i64: %d, %d>, pads = array<i64: %s>%s, "
            "in_zero = 5 : i64} : (tensor<%s>) -> tensor<%s> loc(\"%s\")"
            % (name, x, mode, kernel, kernel, stride, stride,
               ", ".join(str(p) for p in pads),
               ", count_include_pad" if cip else "", shape(s), shape(out), loc))
        return name, out


def shape(s):
    return "x".join(str(d) for d in s) + "xi8"


def emit(args, results, seg):
    print("func.func @main(%s) -> (%s) {" % (
        ", ".join("%s: tensor<%s>" % (n, shape(s)) for n, s in args),
        ", ".join("tensor<%s>" % shape(s) for _, s in results)))
    print("\n".join(seg.lines))
    print("  return %s : %s" % (", ".join(n for n, _ in results),
                                ", ".join("tensor<%s>" % shape(s) for _, s in results)))
    print("}")


def chain():
    seg = Segment(1)
    x, xs = "%x", (32, 32, 64)
    y, ys = "%y", (16, 16, 64)
    c1, s1 = seg.conv(x, xs, 64, 3, 1, [1, 1, 1, 1], loc="c1")
    c2, s2 = seg.conv(c1, s1, 64, 3, 2, [0, 0, 1, 1], addend=y, in_std=40,
                      loc="c2")
    assert s2 == ys
    d, sd = seg.conv(c2, s2, 64, 3, 1, [1, 1, 1, 1], depthwise=True,
                     in_std=40, loc="dw")
    a = seg.add(d, c2, sd, loc="a")
    p, sp = seg.pool(a, sd, "avg", 3, 2, [1, 1, 1, 1], cip=True, loc="p")
    emit([(x, xs), (y, ys)], [(p, sp), (c1, s1)], seg)


def rows():
    seg = Segment(3)
    x, xs = "%x", (48, 48, 16)
    q, qs = "%q", (96, 96, 16)
    a, as_ = "%a", (64, 64, 32)
    b = "%b"
    c1, s1 = seg.conv(x, xs, 16, 5, 1, [2, 2, 2, 2], loc="c1")
    c2, s2 = seg.conv(c1, s1, 16, 3, 2, [1, 1, 0, 0], in_std=40, loc="c2")
    m, sm = seg.pool(q, qs, "max", 3, 1, [1, 1, 1, 1], loc="max")
    s = seg.add(a, b, as_, loc="sum")
    p, sp = seg.pool(s, as_, "avg", 5, 3, [2, 2, 1, 1], loc="avg")
    emit([(x, xs), (q, qs), (a, as_), (b, as_)], [(c2, s2), (m, sm), (p, sp)],
         seg)


def groups():
    seg = Segment(2)
    x, xs = "%x", (6, 6, 2048)
    z, zs = "%z", (8, 8, 512)
    c, sc = seg.conv(x, xs, 32, 3, 1, [1, 1, 1, 1], loc="wide")
    k, sk = seg.conv(z, zs, 512, 1, 1, [0, 0, 0, 0], loc="deep")
    p, sp = seg.pool(k, sk, "max", 2, 2, [0, 0, 0, 0], loc="p")
    emit([(x, xs), (z, zs)], [(c, sc), (p, sp)], seg)


{"chain": chain, "rows": rows, "groups": groups}[sys.argv[1]]()
