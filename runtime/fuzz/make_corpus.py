#!/usr/bin/env python3
"""Seed inputs for the runtime's fuzz targets (runtime/fuzz/README.md).

Writes candidate seeds to OUT/{descriptor,npy,pb,opencl_plan}/:
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
  pb          onnx.TensorProto files of ONNX's backend test data
              (/usr/share/libonnx-testdata/data, Debian's libonnx-testdata),
              the small ones, one per distinct content

The committed corpora (runtime/fuzz/corpus/<target>/) are these candidates
reduced by the fuzz targets themselves (libFuzzer -merge=1 keeps the inputs
that add coverage):
  python3 runtime/fuzz/make_corpus.py /tmp/seeds --kilnc build/bin/kilnc
  build-fuzz/kiln_descriptor_fuzz -merge=1 runtime/fuzz/corpus/descriptor \
      /tmp/seeds/descriptor      (and the same for npy, pb, opencl_plan)
Standard library only (no numpy, no onnx).
"""
import argparse
import hashlib
import os
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
