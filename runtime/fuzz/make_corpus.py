#!/usr/bin/env python3
"""Seed inputs for the runtime's fuzz targets (runtime/fuzz/README.md).

Writes candidate seeds to OUT/{descriptor,npy,pb,opencl_plan,nna_stream,
nna_plan,variant_table}/:
  descriptor  descriptors built here with the layout of kiln/model_format.h
              (as test/unit/descriptor_writer.h builds them: versions 1-3,
              every dtype, empty and scalar tensors, parallel args, layer
              tables), plus, with --kilnc, the descriptors of real models
              compiled by kilnc (taken from the @kiln_*_descriptor constant
              of --emit=llvm-ir)
  npy         .npy images of every dtype and header variant numpy writes,
              plus small real .npy files given with --npy
  opencl_plan GPU variants (kiln/opencl_plan.h, version 2) for the fuzz
              target's fixed signature (a, b -> out, f32 2x3; 2 CPU
              entries): the unit tests' add and hybrid plans, GPU and CPU
              steps interleaved with waits, host-block refs, partial and
              output copies, several kernels and launches, local sizes, no
              kernels, weights
  nna_stream  Kiln NNA command streams (kiln/nna_stream.h, version 1,
              docs/nna.md): a conv in row tiles and input-channel groups,
              double-buffered; depthwise then pointwise with a residual
              add; max, average and global pools; strided and in-place
              adds; DMA in both regions; a large-config conv; output-
              channel tiles; wrapping and saturating values and a shift
              only the simulator refuses; no commands
  nna_plan    NNA variants (kiln/nna_plan.h, version 1) for the fuzz
              target's fixed signature (a, b -> out, f32 2x3; 7 CPU
              entries): the unit tests' plans (CPU steps quantising into
              the arena, an ADD stream, a 1x1 CONV stream, a CPU step
              dequantising out), the large config, a stream run twice with
              parallel CPU steps, a CPU-only plan, a per-channel shift the
              simulator refuses, and plans around nna_stream's seeds
  variant_table
              per-segment variant tables (kiln/variants.h, version 1) for
              the fuzz target's fixed model (x -> y) and sub-models (0, 1:
              x -> h; 2: h -> y; 3: x -> y; 4: x -> h with NNA and GPU
              plans): a two-segment chain with CPU variants at several
              thread counts, one segment, NNA and OpenCL variants (chosen
              or not), accuracy proxies, weights and arenas, latencies
              near the double's limit, weights that overflow
  pb          onnx.TensorProto files of ONNX's backend test data
              (/usr/share/libonnx-testdata/data, Debian's libonnx-testdata),
              the small ones, one per distinct content

The committed corpora (runtime/fuzz/corpus/<target>/) are these candidates
reduced by the fuzz targets themselves (libFuzzer -merge=1 keeps the inputs
that add coverage):
  python3 runtime/fuzz/make_corpus.py /tmp/seeds --kilnc build/bin/kilnc
  build-fuzz/kiln_descriptor_fuzz -merge=1 runtime/fuzz/corpus/descriptor \
      /tmp/seeds/descriptor      (and the same for npy, pb, opencl_plan,
                                  nna_stream, nna_plan, variant_table)
Standard library only (no numpy, no onnx).
"""
import argparse
import hashlib
import os
import random
import re
import struct
import subprocess
import sys
import tempfile

MAGIC = 0x444E4C4B  # "KLND"
F32, U8, I8, U16, I16, I32, I64, BOOL, F16, F64, U32, U64, BF16 = (
    1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 16)
DTYPES = [F32, U8, I8, U16, I16, I32, I64, BOOL, F16, F64, U32, U64, BF16]
INPUT, OUTPUT, ARENA, PARALLEL = 0, 1, 2, 3


def fnv1a32(data):
    h = 2166136261
    for b in data:
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


def tensor(name, dtype, dims):
    name = name.encode()
    out = struct.pack("<H", len(name)) + name + struct.pack("<BB", dtype,
                                                            len(dims))
    return out + b"".join(struct.pack("<q", d) for d in dims)


def descriptor(inputs, outputs, segments, arena=0, alignment=64, layers=(),
               version=3):
    """segments: [(entry, [(kind, index), ...])]; tensors: (name, dtype, dims)."""
    p = struct.pack("<II", len(inputs), len(outputs))
    p += b"".join(tensor(*t) for t in inputs + outputs)
    p += struct.pack("<QII", arena, alignment, len(segments))
    for entry, args in segments:
        p += struct.pack("<BII", 0, entry, len(args))
        p += b"".join(struct.pack("<BI", k, i) for k, i in args)
    if version >= 3:
        p += struct.pack("<I", len(layers))
        for layer in layers:
            layer = layer.encode()
            p += struct.pack("<H", len(layer)) + layer
    return struct.pack("<IIII", MAGIC, version, len(p), fnv1a32(p)) + p


def descriptor_seeds():
    add_in = [("a", F32, [2, 3]), ("b", F32, [2, 3])]
    add_out = [("out", F32, [2, 3])]
    add_segs = [(0, [(INPUT, 0), (INPUT, 1), (ARENA, 0)]),
                (1, [(ARENA, 0), (OUTPUT, 0)])]
    seeds = {
        "add_v3": descriptor(add_in, add_out, add_segs, 24,
                             layers=["/add/Add", "copy"]),
        "add_v2": descriptor(add_in, add_out, add_segs, 24, version=2),
        "add_v1": descriptor(add_in, add_out, add_segs, 24, version=1),
        "parallel": descriptor(
            [("x", F32, [1000])], [("y", F32, [1000])],
            [(3, [(PARALLEL, 0), (INPUT, 0), (OUTPUT, 0)])],
            layers=["/sq/Mul", "/sq/Identity"]),
        "empty_and_scalar": descriptor(
            [("empty", I64, [0, 1 << 62]), ("scalar", F64, [])],
            [("o", BOOL, [1])], [(2, [(ARENA, 0)])], 0, 1),
        "rank8": descriptor([("r8", U8, [1, 2, 1, 2, 1, 2, 1, 2])],
                            [("o", U8, [16])], [(0, [(INPUT, 0), (OUTPUT, 0)])]),
        "many_segments": descriptor(
            [("in", F16, [4])], [("o1", BF16, [4]), ("o2", I16, [2, 2])],
            [(i % 7, [(INPUT, 0), (OUTPUT, i % 2), (ARENA, 0)])
             for i in range(6)],
            4096, 65536, layers=["l%d" % i for i in range(6)]),
        "null_entry": descriptor(add_in, add_out, [(7, [(INPUT, 0)])]),
        "huge_arena": descriptor(add_in, add_out, add_segs, 1 << 62),
        "no_io": descriptor([], [], [(0, [])], layers=[]),
    }
    for d in DTYPES:
        seeds["dtype_%d" % d] = descriptor([("x", d, [3])], [("y", d, [3])],
                                           [(0, [(INPUT, 0), (OUTPUT, 0)])],
                                           layers=["n"])
    return seeds


def kilnc_descriptors(kilnc, models):
    """Descriptors of real models, from kilnc's LLVM IR."""
    found = {}
    for model in models:
        with tempfile.NamedTemporaryFile(suffix=".ll") as ll:
            r = subprocess.run([kilnc, model, "--emit=llvm-ir", "-o", ll.name],
                               capture_output=True)
            if r.returncode != 0:
                print("make_corpus: kilnc failed on %s, skipped" % model,
                      file=sys.stderr)
                continue
            text = open(ll.name, "rb").read()
        m = re.search(rb'@kiln_\w*_descriptor = [^"]*c"((?:[^"\\]|\\[0-9A-Fa-f]{2}|\\\\)*)"',
                      text)
        if not m:
            continue
        raw = re.sub(rb"\\([0-9A-Fa-f]{2})",
                     lambda g: bytes([int(g.group(1), 16)]),
                     m.group(1).replace(b"\\\\", b"\\5C"))
        found["kilnc_" + os.path.basename(os.path.dirname(model)) + "_" +
              os.path.splitext(os.path.basename(model))[0]] = raw
    return found


NPY_DESCR = {F32: "<f4", F64: "<f8", F16: "<f2", I64: "<i8", I32: "<i4",
             I16: "<i2", I8: "|i1", U64: "<u8", U32: "<u4", U16: "<u2",
             U8: "|u1", BOOL: "|b1"}
NPY_SIZE = {"<f4": 4, "<f8": 8, "<f2": 2, "<i8": 8, "<i4": 4, "<i2": 2,
            "|i1": 1, "<u8": 8, "<u4": 4, "<u2": 2, "|u1": 1, "|b1": 1}


def npy(header, data, version=1, pad=True):
    if pad:  # numpy pads the header so that data starts at 64 bytes
        pre = 10 if version == 1 else 12
        total = (pre + len(header) + 1 + 63) // 64 * 64
        header = header + " " * (total - pre - len(header) - 1) + "\n"
    h = header.encode("latin-1")
    size = struct.pack("<H", len(h)) if version == 1 else struct.pack("<I",
                                                                     len(h))
    return b"\x93NUMPY" + bytes([version, 0]) + size + h + data


def npy_seeds():
    seeds = {}
    for d, descr in NPY_DESCR.items():
        shape = (2, 3)
        data = bytes(range(NPY_SIZE[descr] * 6))
        seeds["npy_" + descr[1:]] = npy(
            "{'descr': '%s', 'fortran_order': False, 'shape': (2, 3), }" %
            descr, data)
    seeds["scalar"] = npy("{'descr': '<f4', 'fortran_order': False, "
                          "'shape': (), }", b"\0\0\x80\x3f")
    seeds["vector"] = npy("{'descr': '<i8', 'fortran_order': False, "
                          "'shape': (2,), }", struct.pack("<qq", 1, -1))
    seeds["empty"] = npy("{'descr': '<f4', 'fortran_order': False, "
                         "'shape': (0, 5), }", b"")
    seeds["v2"] = npy("{'descr': '<u2', 'fortran_order': False, "
                      "'shape': (1, 1, 1, 1, 1, 1, 1, 2), }", b"\1\0\2\0", 2)
    seeds["reordered"] = npy('{"shape": (3L,), "fortran_order": False, '
                             '"descr": "|u1"}', b"abc", pad=False)
    seeds["fortran"] = npy("{'descr': '<f4', 'fortran_order': True, "
                           "'shape': (1,), }", b"\0\0\0\0")
    seeds["big_endian"] = npy("{'descr': '>f4', 'fortran_order': False, "
                              "'shape': (1,), }", b"\0\0\0\0")
    seeds["rank9"] = npy("{'descr': '|b1', 'fortran_order': False, "
                         "'shape': (1,1,1,1,1,1,1,1,1), }", b"\1")
    return seeds


def pb_seeds(root, max_size):
    seeds, seen = {}, set()
    for dirpath, _, files in sorted(os.walk(root)):
        for f in sorted(files):
            if not f.endswith(".pb"):
                continue
            path = os.path.join(dirpath, f)
            if os.path.getsize(path) > max_size:
                continue
            data = open(path, "rb").read()
            digest = hashlib.sha1(data).hexdigest()
            if digest in seen:
                continue
            seen.add(digest)
            seeds["onnx_" + digest[:12]] = data
    return seeds


REF_INPUT, REF_OUTPUT, REF_HOST = 0, 1, 2
STEP_GPU, STEP_CPU = 0, 1
ADD_SOURCE = (b"__kernel void add(__global float *arena, "
              b"__global const float *weights) {}\n")


def cl_ref(kind, index, size=24):
    """A ref: host memory (an input, an output, or bytes of the host block)."""
    return struct.pack("<BQQ", kind, index, size)


def gpu_step(first=0, count=1,
             uploads=(((REF_INPUT, 0), 0), ((REF_INPUT, 1), 32)),
             downloads=((64, (REF_OUTPUT, 0)),)):
    """uploads: [(ref, device offset)]; downloads: [(device offset, ref)];
    a ref is (kind, index[, size])."""
    p = struct.pack("<BIII", STEP_GPU, first, count, len(uploads))
    p += b"".join(cl_ref(*r) + struct.pack("<Q", o) for r, o in uploads)
    p += struct.pack("<I", len(downloads))
    p += b"".join(struct.pack("<Q", o) + cl_ref(*r) for o, r in downloads)
    return p


def cpu_step(entry=0, parallel=0,
             args=((REF_INPUT, 0), (REF_INPUT, 1), (REF_OUTPUT, 0)), waits=()):
    p = struct.pack("<BIBI", STEP_CPU, entry, parallel, len(args))
    p += b"".join(cl_ref(*r) for r in args)
    p += struct.pack("<I", len(waits))
    return p + b"".join(struct.pack("<I", w) for w in waits)


def opencl_plan(kernels=("add",), launches=((0, 1, (6, 1, 1), (0, 0, 0)),),
                steps=None, source=ADD_SOURCE, weights=b"", arena=96, host=0,
                cpu_arena=0):
    """Version 2 (kiln/opencl_plan.h); steps: gpu_step()/cpu_step() bytes,
    by default one GPU step: upload a, b, every launch, download out."""
    if steps is None:
        steps = (gpu_step(count=len(launches)),)
    p = struct.pack("<QQQQ", arena, len(weights), host, cpu_arena)
    p += struct.pack("<I", len(kernels))
    for k in kernels:
        k = k if isinstance(k, bytes) else k.encode()
        p += struct.pack("<H", len(k)) + k
    p += struct.pack("<I", len(launches))
    for kernel, dims, glob, loc in launches:
        p += struct.pack("<II", kernel, dims)
        p += struct.pack("<3Q", *glob) + struct.pack("<3Q", *loc)
    p += struct.pack("<I", len(steps)) + b"".join(steps)
    p += struct.pack("<I", len(source)) + source + weights
    checksum = fnv1a32(p)
    return struct.pack("<IIQII", 0x4C434C4B, 2, len(p), checksum, 0) + p


def opencl_plan_seeds():
    one = (0, 1, (6, 1, 1), (0, 0, 0))
    return {
        # The unit tests' add plan: all on the GPU.
        "add": opencl_plan(weights=struct.pack("<f", 1.0)),
        # Their hybrid plan: the GPU adds into the host block, then a
        # parallel CPU entry reads it (waiting for step 0) and writes out.
        "hybrid": opencl_plan(
            host=64, cpu_arena=32, weights=struct.pack("<f", 1.0),
            steps=(gpu_step(downloads=((64, (REF_HOST, 0)),)),
                   cpu_step(1, 1, ((REF_HOST, 0), (REF_INPUT, 1),
                                   (REF_OUTPUT, 0)), (0,)))),
        # GPU, CPU, GPU: the CPU step turns host bytes 0..24 into 32..56,
        # which the second GPU step uploads for its kernel.
        "gpu_cpu_gpu": opencl_plan(
            kernels=("k0", "k1"), launches=(one, (1, 1, (6, 1, 1), (3, 1, 1))),
            host=64, cpu_arena=64,
            steps=(gpu_step(0, 1, downloads=((64, (REF_HOST, 0)),)),
                   cpu_step(0, 0, ((REF_HOST, 0), (REF_HOST, 32)), (0,)),
                   gpu_step(1, 1, (((REF_HOST, 32), 0),),
                            ((32, (REF_OUTPUT, 0)),)))),
        # Launches with local sizes, 1 to 3 dimensions, one GPU step.
        "two_kernels": opencl_plan(
            kernels=("k0", "k1"),
            launches=(one, (1, 2, (2, 3, 1), (1, 3, 1)),
                      (0, 3, (2, 3, 4), (2, 1, 4)))),
        # No kernels: the CPU does it all (or the GPU only copies).
        "no_kernels": opencl_plan(kernels=(), launches=(),
                                  steps=(cpu_step(),)),
        "copy_only": opencl_plan(
            kernels=(), launches=(),
            steps=(gpu_step(0, 0, (((REF_INPUT, 0), 0),),
                            ((0, (REF_OUTPUT, 0)),)),)),
        # A CPU step writes the output, a GPU step uploads it back (allowed
        # once written) and overwrites half of it.
        "upload_output": opencl_plan(
            steps=(cpu_step(),
                   gpu_step(uploads=(((REF_OUTPUT, 0), 0),),
                            downloads=((12, (REF_OUTPUT, 0, 12)),)))),
        # Partial copies, host refs at offsets, several waits.
        "many_steps": opencl_plan(
            kernels=("k0", "k1", "k2"),
            launches=(one, (1, 1, (4, 1, 1), (2, 1, 1)),
                      (2, 2, (2, 2, 1), (0, 0, 0))),
            arena=256, host=128, cpu_arena=16,
            steps=(gpu_step(0, 1, (((REF_INPUT, 0, 12), 0),
                                   ((REF_INPUT, 1, 24), 128)),
                            ((64, (REF_HOST, 8, 16)), (0, (REF_HOST, 96, 8)))),
                   gpu_step(1, 2, (((REF_HOST, 8, 16), 200),),
                            ((232, (REF_HOST, 104, 24)),)),
                   cpu_step(1, 1, ((REF_HOST, 104, 24), (REF_OUTPUT, 0, 24),
                                   (REF_INPUT, 0, 0)), (0, 1)),
                   cpu_step(0, 0, ((REF_HOST, 0, 0),), ()))),
        "weights": opencl_plan(weights=bytes(range(64))),
    }


NNA_MAGIC = 0x414E4E4B  # "KNNA"
NNA_LOAD, NNA_STORE, NNA_CONV, NNA_ADD, NNA_POOL = 1, 2, 3, 4, 5
FIRST, LAST, DEPTHWISE, ADD_FLAG = 1, 2, 4, 8
CONSTANTS, ARENA = 0, 1
UNIT_ADD = (0, 1 << 30, 0, 1 << 30, 0, 1 << 30, 0, 0, -128, 127)


def nna_cube(addr, h, w, c, pixel=0, line=0):
    """An int8 h x w x c cube in SRAM; pixel 0 = c, line 0 = w * pixel."""
    pixel = pixel or c
    return struct.pack("<IHHHII", addr, h, w, c, pixel, line or w * pixel)


def nna_window(k, s=1, pad=0):
    """kh, kw, sh, sw, pad_top, pad_left, pad_bottom, pad_right."""
    return (k, k, s, s, pad, pad, pad, pad)


def nna_load(region, src, src_stride, dst, dst_stride, rows, row_bytes):
    return struct.pack("<BBQQIIII", NNA_LOAD, region, src, src_stride, dst,
                       dst_stride, rows, row_bytes)


def nna_store(src, src_stride, dst, dst_stride, rows, row_bytes):
    return struct.pack("<BIIQQII", NNA_STORE, src, src_stride, dst,
                       dst_stride, rows, row_bytes)


def nna_conv(src, dst, weights, params, win, flags=FIRST | LAST, in_zero=0,
             out_zero=0, lo1=-128, hi1=127, b=None, add=UNIT_ADD):
    """add: b_zero, t_mult, t_shift, b_mult, b_shift, o_mult, o_shift,
    o_zero, lo2, hi2 (used with ADD_FLAG)."""
    return (struct.pack("<B", NNA_CONV) + src + dst +
            struct.pack("<II8BBbbbb", weights, params, *win, flags, in_zero,
                        out_zero, lo1, hi1) +
            (b or nna_cube(0, 1, 1, 1)) + struct.pack("<bibibibbbb", *add))


def nna_add(a, b, out, quant=(0,) + UNIT_ADD[1:3] + (0,) + UNIT_ADD[3:]):
    """quant, in the stream's order: a_zero, a_mult, a_shift, b_zero,
    b_mult, b_shift, o_mult, o_shift, o_zero, lo, hi."""
    return (struct.pack("<B", NNA_ADD) + a + b + out +
            struct.pack("<bibbibibbbb", *quant))


def nna_pool(src, dst, win, mode=0, count_include_pad=0, in_zero=0):
    return (struct.pack("<B", NNA_POOL) + src + dst +
            struct.pack("<B8BBb", mode, *win, count_include_pad, in_zero))


def nna_stream(commands, constants=b"", arena=0, config=0):
    """Version 1 (kiln/nna_stream.h, docs/nna.md)."""
    p = struct.pack("<QQI", len(constants), arena, len(commands))
    p += b"".join(commands) + constants
    return struct.pack("<IIQII", NNA_MAGIC, 1, len(p), fnv1a32(p),
                       config) + p


def nna_params(rng, k, shift=-8):
    """Per output channel: i32 bias, multiplier in [2^30, 2^31), shift."""
    return b"".join(struct.pack("<iii", rng.randint(-4000, 4000),
                                rng.randint(1 << 30, (1 << 31) - 1), shift)
                    for _ in range(k))


def nna_bytes(rng, n):
    return bytes(rng.randrange(256) for _ in range(n))


def nna_stream_seeds():
    rng = random.Random(11)
    seeds = {}

    # A 3x3 conv (pads 1) of a 12x8x16 arena tensor, K = 8, in two row tiles
    # (input rows 0..7 with pad_top, 5..12 with pad_bottom) loaded into
    # alternate buffers, each tile in two input-channel groups (FIRST, LAST
    # with a ReLU), stored to the arena after the input.
    params = nna_params(rng, 8)
    w0, w1 = nna_bytes(rng, 8 * 9 * 8), nna_bytes(rng, 8 * 9 * 8)
    cmds = [nna_load(CONSTANTS, 0, 96, 60000, 96, 1, 96),
            nna_load(CONSTANTS, 96, 576, 61000, 576, 1, 576),
            nna_load(CONSTANTS, 672, 576, 62000, 576, 1, 576)]
    for t, (row0, pt, pb) in enumerate(((0, 1, 0), (5, 0, 1))):
        buf, out = 4096 * t, 20000 + 1024 * t
        cmds.append(nna_load(ARENA, row0 * 128, 128, buf, 128, 7, 128))
        win = (3, 3, 1, 1, pt, 1, pb, 1)
        cmds.append(nna_conv(nna_cube(buf, 7, 8, 8, 16),
                             nna_cube(out, 6, 8, 8), 61000, 60000, win, FIRST,
                             in_zero=-3))
        cmds.append(nna_conv(nna_cube(buf + 8, 7, 8, 8, 16),
                             nna_cube(out, 6, 8, 8), 62000, 60000, win, LAST,
                             in_zero=-3, out_zero=-5, lo1=-5))
        cmds.append(nna_store(out, 384, 1536 + 384 * t, 384, 1, 384))
    seeds["conv_tile_chain"] = nna_stream(cmds, params + w0 + w1, 2304)

    # Depthwise 3x3 (K = C = 16), then a pointwise conv whose SDP adds the
    # depthwise input back (a residual), as MobileNet v2 blocks do.
    dw, pw = nna_bytes(rng, 16 * 9), nna_bytes(rng, 16 * 16)
    consts = nna_params(rng, 16, -6) + dw + nna_params(rng, 16) + pw
    x, y, z = nna_cube(0, 8, 8, 16), nna_cube(1024, 8, 8, 16), \
        nna_cube(2048, 8, 8, 16)
    seeds["depthwise_residual"] = nna_stream([
        nna_load(ARENA, 0, 1024, 0, 1024, 1, 1024),
        nna_load(CONSTANTS, 0, len(consts), 8192, len(consts), 1,
                 len(consts)),
        nna_conv(x, y, 8192 + 192, 8192, nna_window(3, 1, 1),
                 FIRST | LAST | DEPTHWISE, in_zero=2, out_zero=-1),
        nna_conv(y, z, 8192 + 192 + 144 + 192, 8192 + 192 + 144,
                 nna_window(1), FIRST | LAST | ADD_FLAG, out_zero=-1, b=x,
                 add=(2, 1518500250, -1, 1288490189, -1, 1431655765, -19, 3,
                      0, 127)),
        nna_store(2048, 1024, 1024, 1024, 1, 1024)],
        consts, 2048)

    # Pools: max 3x3/2 pad 1, average 2x2/2 with count_include_pad, a global
    # average over a 20x20 window (past the 16 of other pools), a global max.
    seeds["pools"] = nna_stream([
        nna_load(ARENA, 0, 1600, 0, 1600, 1, 1600),
        nna_pool(nna_cube(0, 20, 20, 4), nna_cube(2000, 10, 10, 4),
                 nna_window(3, 2, 1)),
        nna_pool(nna_cube(0, 20, 20, 4), nna_cube(3000, 11, 11, 4),
                 nna_window(2, 2, 1), mode=1, count_include_pad=1,
                 in_zero=-7),
        nna_pool(nna_cube(0, 20, 20, 4), nna_cube(4000, 1, 1, 4),
                 nna_window(20), mode=1),
        nna_pool(nna_cube(2000, 10, 10, 4), nna_cube(4100, 1, 1, 4),
                 (10, 10, 16, 16, 0, 0, 0, 0)),
        nna_store(4000, 8, 1600, 8, 1, 8)],
        arena=1608)

    # Adds: channel ranges of one wide tensor into a channel range of
    # another with padded lines, then in place over an operand.
    quant = (12, 1717986918, 0, -30, 1288490189, -1, 1825361101, -20, -4,
             -100, 110)
    seeds["adds"] = nna_stream([
        nna_load(ARENA, 0, 320, 0, 320, 1, 320),
        nna_add(nna_cube(0, 4, 5, 6, 16, 80), nna_cube(8, 4, 5, 6, 16, 80),
                nna_cube(1027, 4, 5, 6, 10, 100), quant),
        nna_add(nna_cube(0, 4, 5, 16), nna_cube(0, 4, 5, 16),
                nna_cube(9, 4, 5, 16), quant),
        nna_store(1027, 100, 320, 100, 4, 50)],
        arena=720)

    # DMA only: 2-D copies from both regions, strided, back to the arena.
    seeds["dma"] = nna_stream([
        nna_load(ARENA, 0, 40, 4096, 32, 5, 24),
        nna_store(4096, 32, 1000, 30, 5, 24),
        nna_load(CONSTANTS, 5, 30, 8192, 20, 3, 20),
        nna_store(8192, 20, 1500, 20, 3, 20)],
        nna_bytes(rng, 100), 2000)

    # The large config: 66 input channels (past atomic C 64), 33 outputs
    # (past atomic K 32), strides 2 and 3, in SRAM past the small config's
    # 256 KiB.
    params = nna_params(rng, 33, -9)
    weights = nna_bytes(rng, 33 * 66)
    seeds["large_conv"] = nna_stream([
        nna_load(ARENA, 0, 4158, 300000, 4158, 1, 4158),
        nna_load(CONSTANTS, 0, len(params), 500000, len(params), 1,
                 len(params)),
        nna_load(CONSTANTS, len(params), len(weights), 600000, len(weights),
                 1, len(weights)),
        nna_conv(nna_cube(300000, 9, 7, 66), nna_cube(400000, 5, 3, 33),
                 600000, 500000, (1, 1, 2, 3, 0, 0, 0, 0), in_zero=9,
                 out_zero=4, lo1=-20, hi1=100),
        nna_store(400000, 495, 4158, 495, 1, 495)],
        params + weights, 4158 + 495, config=1)

    # Output-channel tiles: K = 24 in 16 + 8, each writing its channel
    # range of a 6x6x24 output (pixel stride 24).
    params = nna_params(rng, 24)
    weights = nna_bytes(rng, 24 * 9 * 10)
    consts = params + weights
    cmds = [nna_load(ARENA, 0, 360, 0, 360, 1, 360),
            nna_load(CONSTANTS, 0, len(consts), 1024, len(consts), 1,
                     len(consts))]
    for k0, k1 in ((0, 16), (16, 24)):
        cmds.append(nna_conv(nna_cube(0, 6, 6, 10),
                             nna_cube(8192 + k0, 6, 6, k1 - k0, 24),
                             1024 + 288 + 90 * k0, 1024 + 12 * k0,
                             nna_window(3, 1, 1)))
    cmds.append(nna_store(8192, 864, 360, 864, 1, 864))
    seeds["cout_tiles"] = nna_stream(cmds, consts, 360 + 864)

    # Extremes: a bias that wraps the accumulator, srdhm's MIN * MIN, an
    # add of saturated values; then a CONV whose per-channel shift (31) only
    # the simulator sees.
    extremes = (struct.pack("<iii", 2**31 - 11, 1 << 30, -24) +
                struct.pack("<iii", -2**31, -2**31, 0) +
                struct.pack("<iii", 0, 1 << 30, 31))
    seeds["extremes"] = nna_stream([
        nna_load(CONSTANTS, 0, 40, 0, 40, 1, 40),
        nna_conv(nna_cube(36, 1, 1, 1), nna_cube(64, 1, 1, 2), 37, 0,
                 nna_window(1), in_zero=-128, out_zero=5),
        nna_add(nna_cube(64, 1, 1, 2), nna_cube(64, 1, 1, 2),
                nna_cube(64, 1, 1, 2),
                (127, -2**31, 30, -128, -2**31, -31, 2**31 - 1, 0, 127,
                 -128, 127)),
        nna_conv(nna_cube(36, 1, 1, 1), nna_cube(128, 1, 1, 1), 37, 24,
                 nna_window(1))],
        extremes + bytes([5, 100, 0, 0]), 0)

    seeds["empty"] = nna_stream([], arena=16, config=1)
    return seeds


NNA_PLAN_MAGIC = 0x504E4C4B  # "KLNP"
STEP_NNA, STEP_CPU = 0, 1
NREF_INPUT, NREF_OUTPUT, NREF_ARENA = 0, 1, 2
QUANTIZE, DEQUANTIZE = 5, 6  # the unit tests' NNA model's entries


def plan_nna(stream):
    return struct.pack("<BI", STEP_NNA, stream)


def plan_cpu(entry, args, parallel=0):
    """args: [(kind, index or arena offset, size)]."""
    p = struct.pack("<BIBI", STEP_CPU, entry, parallel, len(args))
    return p + b"".join(struct.pack("<BQQ", *a) for a in args)


def nna_plan(streams, steps, arena=32, cpu_arena=16, config=0):
    """Version 1 (kiln/nna_plan.h): whole KNNA streams, then the steps."""
    p = struct.pack("<IQQI", config, arena, cpu_arena, len(streams))
    p += b"".join(struct.pack("<Q", len(s)) + s for s in streams)
    p += struct.pack("<I", len(steps)) + b"".join(steps)
    return struct.pack("<IIQII", NNA_PLAN_MAGIC, 1, len(p), fnv1a32(p),
                       0) + p


def plan_add_stream(config=0):
    """As test/unit/nna_device_test.cpp: arena 16..22 = a + 2b + 3 of the
    int8 a (arena 0..6) and b (8..14)."""
    return nna_stream([
        nna_load(ARENA, 0, 6, 0, 6, 1, 6),
        nna_load(ARENA, 8, 6, 64, 6, 1, 6),
        nna_add(nna_cube(0, 1, 1, 6), nna_cube(64, 1, 1, 6),
                nna_cube(128, 1, 1, 6),
                (0, 1 << 30, 0, 0, 1 << 30, 1, 1 << 30, -18, 3, -128, 127)),
        nna_store(128, 6, 16, 6, 1, 6)], arena=24, config=config)


def plan_conv_stream(shift=1):
    """Arena 24..30 = 5 - arena 16..22, a 1x1 CONV (weight -1, bias 5)."""
    consts = b"\xff" + struct.pack("<iii", 5, 1 << 30, shift)
    return nna_stream([
        nna_load(CONSTANTS, 0, 13, 256, 13, 1, 13),
        nna_load(ARENA, 16, 6, 0, 6, 1, 6),
        nna_conv(nna_cube(0, 2, 3, 1), nna_cube(64, 2, 3, 1), 256, 257,
                 nna_window(1)),
        nna_store(64, 6, 24, 6, 1, 6)], consts, 30)


def nna_plan_seeds():
    quantize = [plan_cpu(QUANTIZE, [(NREF_INPUT, 0, 24), (NREF_ARENA, 0, 6)]),
                plan_cpu(QUANTIZE, [(NREF_INPUT, 1, 24), (NREF_ARENA, 8, 6)])]

    def dequantize(at):
        return plan_cpu(DEQUANTIZE, [(NREF_ARENA, at, 6), (NREF_OUTPUT, 0, 24)])

    streams = nna_stream_seeds()
    return {
        "add": nna_plan([plan_add_stream()],
                        quantize + [plan_nna(0), dequantize(16)]),
        "two_streams": nna_plan(
            [plan_add_stream(), plan_conv_stream()],
            quantize + [plan_nna(0), plan_nna(1), dequantize(24)]),
        "large": nna_plan([plan_add_stream(1)],
                          quantize + [plan_nna(0), dequantize(16)], config=1),
        # The add twice, parallel CPU steps between, entries 0..4 too.
        "stream_twice": nna_plan(
            [plan_add_stream()],
            quantize + [plan_nna(0),
                        plan_cpu(3, [(NREF_ARENA, 16, 6), (NREF_ARENA, 0, 6)],
                                 1),
                        plan_nna(0),
                        plan_cpu(0, [(NREF_INPUT, 0, 24), (NREF_INPUT, 1, 24),
                                     (NREF_OUTPUT, 0, 24)], 1)],
            arena=4096, cpu_arena=0),
        "cpu_only": nna_plan([], [plan_cpu(0, [(NREF_INPUT, 0, 24),
                                               (NREF_INPUT, 1, 24),
                                               (NREF_OUTPUT, 0, 24)])],
                             arena=0, cpu_arena=64),
        # A per-channel shift of 31: valid, refused when it runs.
        "shift_fault": nna_plan(
            [plan_add_stream(), plan_conv_stream(31)],
            quantize + [plan_nna(0), plan_nna(1), dequantize(24)]),
        # nna_stream's small-config seeds in one plan, each run once, the
        # output written from the arena.
        "stream_seeds": nna_plan(
            [streams[k] for k in ("dma", "pools", "adds", "cout_tiles",
                                  "depthwise_residual")],
            [plan_nna(i) for i in range(5)] + [dequantize(1000)],
            arena=2304, cpu_arena=8),
        "large_seed": nna_plan(
            [streams["large_conv"]], [plan_nna(0), dequantize(4158)],
            arena=4158 + 495, config=1),
    }


VARIANT_TABLE_MAGIC = 0x564E4C4B  # "KLNV"
(KIND_FP32, KIND_INT8, KIND_PRUNED, KIND_OPENCL,
 KIND_NNA) = range(5)
DEV_CPU, DEV_GPU, DEV_NNA = range(3)


def variant_table(values, segments, variants):
    """Version 1 (kiln/variants.h). values: [(name, dtype, dims)];
    segments: [([inputs], [outputs])]; variants: [(segment, model, kind,
    device, threads, latency_us, weights, arena, error, label)]."""
    p = struct.pack("<I", len(values))
    for name, dtype, dims in values:
        n = name.encode()
        p += struct.pack("<H", len(n)) + n + struct.pack("<BB", dtype,
                                                         len(dims))
        p += b"".join(struct.pack("<q", d) for d in dims)
    p += struct.pack("<I", len(segments))
    for inputs, outputs in segments:
        p += struct.pack("<I", len(inputs)) + b"".join(
            struct.pack("<I", v) for v in inputs)
        p += struct.pack("<I", len(outputs)) + b"".join(
            struct.pack("<I", v) for v in outputs)
    p += struct.pack("<I", len(variants))
    for (seg, model, kind, device, threads, latency, weights, arena, error,
         label) in variants:
        lb = label.encode()
        p += struct.pack("<IIBBHdQQdH", seg, model, kind, device, threads,
                         latency, weights, arena, error, len(lb)) + lb
    return struct.pack("<IIQII", VARIANT_TABLE_MAGIC, 1, len(p), fnv1a32(p),
                       0) + p


def variant_table_seeds():
    xhy = [("x", F32, [2, 3]), ("h", F32, [2, 3]), ("y", F32, [2, 3])]
    chain = [([0], [1]), ([1], [2])]
    cpu = [(0, 0, KIND_FP32, DEV_CPU, 0, 100.0, 4000, 64, 0.0, "fp32"),
           (0, 1, KIND_INT8, DEV_CPU, 2, 40.0, 1000, 32, 0.01, "int8x2"),
           (1, 2, KIND_FP32, DEV_CPU, 0, 100.0, 4000, 64, 0.0, "fp32"),
           (1, 2, KIND_FP32, DEV_CPU, 2, 30.0, 4000, 64, 0.0, "fp32x2"),
           (1, 2, KIND_PRUNED, DEV_CPU, 1, 60.0, 2500, 64, 0.005, "pruned")]
    nna_slow = (0, 4, KIND_NNA, DEV_NNA, 0, 900.0, 1500, 0, 0.02, "nna")
    gpu = (0, 4, KIND_OPENCL, DEV_GPU, 0, 1.0, 4000, 0, 0.0, "opencl")
    return {
        "chain": variant_table(xhy, chain, cpu),
        "one_segment": variant_table(
            [("x", F32, [2, 3]), ("y", F32, [2, 3])], [([0], [1])],
            [(0, 3, KIND_FP32, DEV_CPU, 1, 5.0, 100, 64, 0.0, "fp32"),
             (0, 3, KIND_FP32, DEV_CPU, 4, 2.0, 100, 64, 0.0, "fp32x4")]),
        # NNA and GPU variants of sub-model 4: the NNA slow (not chosen),
        # the GPU fast (no OpenCL in the fuzz build).
        "devices": variant_table(xhy, chain, cpu + [nna_slow, gpu]),
        # The NNA chosen: its bogus plan fails the session.
        "nna_chosen": variant_table(
            xhy, chain, cpu[:1] + [(0, 4, KIND_NNA, DEV_NNA, 0, 1.0, 10, 0,
                                    0.02, "nna")] + cpu[2:]),
        "huge_latency": variant_table(
            xhy, chain, [(0, 0, KIND_FP32, DEV_CPU, 3, 1e308, 1, 1, 1e308,
                          "a"),
                         (1, 2, KIND_INT8, DEV_CPU, 0, 1.7e308, 1, 1, 0.0,
                          "b")]),
        "weights_overflow": variant_table(
            xhy, chain, [(0, 0, KIND_FP32, DEV_CPU, 0, 1.0, 2 ** 63, 1, 0.0,
                          "a"),
                         (1, 2, KIND_FP32, DEV_CPU, 0, 1.0, 2 ** 63, 2 ** 63,
                          0.0, "b")]),
        # Values in another order, the model's input last.
        "reordered": variant_table(
            [("y", F32, [2, 3]), ("h", F32, [2, 3]), ("x", F32, [2, 3])],
            [([2], [1]), ([1], [0])],
            [(0, 1, KIND_INT8, DEV_CPU, 0, 1.0, 1, 1, 0.5, "~int8!"),
             (1, 2, KIND_FP32, DEV_CPU, 0, 1.0, 1, 1, 0.0, "x" * 64)]),
    }


def write(folder, seeds):
    os.makedirs(folder, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)
    print("make_corpus: %d seeds in %s" % (len(seeds), folder))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--kilnc", help="kilnc binary: add real models' "
                    "descriptors")
    ap.add_argument("--models", nargs="*", default=[
        "models/sample/mobilenet_tiny.onnx"] + [
        "/usr/share/libonnx-testdata/data/node/%s/model.onnx" % t for t in (
            "test_add", "test_relu", "test_conv_with_strides_padding",
            "test_matmul_2d", "test_concat_3d_axis_1", "test_split_equal_parts_1d",
            "test_cast_FLOAT_to_FLOAT16", "test_argmax_default_axis_example")])
    ap.add_argument("--npy", nargs="*", default=[],
                    help="real .npy files to add (small ones)")
    ap.add_argument("--onnx-data", default="/usr/share/libonnx-testdata/data")
    ap.add_argument("--pb-max-size", type=int, default=1024)
    args = ap.parse_args()

    desc = descriptor_seeds()
    if args.kilnc:
        desc.update(kilnc_descriptors(args.kilnc,
                                      [m for m in args.models
                                       if os.path.exists(m)]))
    write(os.path.join(args.out, "descriptor"), desc)
    write(os.path.join(args.out, "opencl_plan"), opencl_plan_seeds())
    write(os.path.join(args.out, "nna_stream"), nna_stream_seeds())
    write(os.path.join(args.out, "nna_plan"), nna_plan_seeds())
    write(os.path.join(args.out, "variant_table"), variant_table_seeds())
    npys = npy_seeds()
    for path in args.npy:
        if os.path.getsize(path) <= 65536:
            npys["file_" + os.path.basename(path)] = open(path, "rb").read()
    write(os.path.join(args.out, "npy"), npys)
    if os.path.isdir(args.onnx_data):
        write(os.path.join(args.out, "pb"),
              pb_seeds(args.onnx_data, args.pb_max_size))
    else:
        print("make_corpus: no %s, no .pb seeds" % args.onnx_data,
              file=sys.stderr)


if __name__ == "__main__":
    main()
