#!/usr/bin/python3
"""Kiln as an installed package (issue 10): apps outside the source tree
build against `cmake --install`'s output and run a compiled model.

    /usr/bin/python3 test/install/run_install_test.py [--no-aarch64] [--work-dir DIR]

x86-64 (the host, from build/):
  1. cmake --install build --prefix WORK/host: kilnc, kiln-opt, kiln-run,
     headers, libkilnrt.a, the CMake package, kiln.pc;
  2. examples/classify-c out of tree (find_package(Kiln) + kiln_add_model):
     kilnc runs once; a second build has no work; touching the model, or
     changing the kilnc flags, compiles it again;
  3. classify on examples/classify-c/sample.ppm: its top 5 against kiln-run's
     output for the same picture preprocessed the same way in NumPy (a
     --emit=shared build of the same model); the same picture as a PNG gives
     the same answer (when built with libpng);
  4. pkg-config: the model compiled by kilnc, classify.c compiled with
     `cc $(pkg-config --cflags --libs kiln)` against it: the same answer;
  5. examples/switch-cpp (one session, kiln_session_set_constraints per
     phase): a line for every phase; the infeasible request is reported and
     the session keeps its choice; the GPU phase runs on the GPU, or the
     GPU failed and stays excluded; the fp32 CPU phases agree; the memory
     phase's choice fits its budget; no phase predicts less latency or
     energy than the latency and power phases.
aarch64 (the cross-built runtime, build-aarch64/, run under qemu-aarch64):
  6. cmake --install build-aarch64 --prefix WORK/aarch64 (no kilnc in it);
     configuring an example without KILN_KILNC fails with the hint;
  7. both examples cross-built with cmake/aarch64-linux-gnu.cmake and
     -DKILN_KILNC=WORK/host/bin/kilnc, run under qemu, against the x86-64
     output; classify also through pkg-config with aarch64-linux-gnu-gcc;
  8. scripts/runtime_size.sh: the stripped runtime in a CPU-only aarch64
     app, at most 100 KB (issue 10's goal).

The commands are those of docs/user-guide.md. WORK is build/install-test
(removed first). Exit status 0 iff every check passed.
"""

import argparse
import os
import re
import shlex
import shutil
import struct
import subprocess
import sys
import time
import zlib

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SAMPLE_MODEL = os.path.join(ROOT, "models", "sample", "mobilenet_tiny.onnx")
SAMPLE_PPM = os.path.join(ROOT, "examples", "classify-c", "sample.ppm")
QEMU = ["qemu-aarch64", "-L", "/usr/aarch64-linux-gnu"]
TOOLCHAIN = os.path.join(ROOT, "cmake", "aarch64-linux-gnu.cmake")
KILNC_RAN = re.compile(r"kilnc: \S+\.onnx -> \S+\.o")
# Top-5 probabilities of two builds of the model agree to this.
ATOL, RTOL = 1e-4, 1e-3


class Failure(Exception):
    pass


def log(msg):
    print(msg, flush=True)


def run(cmd, env=None, cwd=None, check=True):
    """Runs cmd, echoing it as a shell line; returns stdout + stderr."""
    shown = " ".join(shlex.quote(c) for c in cmd)
    log(f"$ {shown}")
    p = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    if check and p.returncode != 0:
        log(p.stdout[-4000:])
        raise Failure(f"exit status {p.returncode}: {shown}")
    return p.stdout if check else (p.returncode, p.stdout)


def expect(cond, what):
    if not cond:
        raise Failure(what)
    log(f"  ok: {what}")


def cmake_configure(src, build, *defs, env=None):
    return run(["cmake", "-S", src, "-B", build, "-G", "Ninja", *defs], env=env)


def cmake_build(build):
    return run(["cmake", "--build", build])


def check_install(prefix, with_compiler):
    want = ["bin/kiln-run", "include/kiln/runtime.h", "include/kiln/model_format.h",
            "lib/libkilnrt.a", "lib/cmake/Kiln/KilnConfig.cmake",
            "lib/cmake/Kiln/KilnConfigVersion.cmake", "lib/cmake/Kiln/KilnModel.cmake",
            "lib/cmake/Kiln/KilnTargets.cmake", "lib/pkgconfig/kiln.pc"]
    if with_compiler:
        want += ["bin/kilnc", "bin/kiln-opt"]
    missing = [w for w in want if not os.path.exists(os.path.join(prefix, w))]
    expect(not missing, f"{prefix} has {len(want)} installed files"
           + (f" (missing: {', '.join(missing)})" if missing else ""))
    if not with_compiler:
        expect(not os.path.exists(os.path.join(prefix, "bin", "kilnc")),
               f"{prefix} (runtime only) has no kilnc")


# --- classify --------------------------------------------------------------

TOP_LINE = re.compile(r"^#(\d) class (\d+) p=([0-9.eE+-]+) logit=([0-9.eE+-]+)$", re.M)


def parse_top5(out):
    rows = [(int(r), int(c), float(p)) for r, c, p, _ in TOP_LINE.findall(out)]
    if [r for r, _, _ in rows] != [1, 2, 3, 4, 5]:
        raise Failure("classify did not print five ranked classes:\n" + out)
    return [(c, p) for _, c, p in rows]


def check_top5(got, ref_probs, what):
    """got: [(class, prob)] from the app; ref_probs: softmax of a reference
    output. The app's classes must be the reference's top 5, in order, up to
    ties within the tolerance, and its probabilities the reference's."""
    n = len(ref_probs)
    expect(all(0 <= c < n for c, _ in got), f"{what}: classes in [0, {n})")
    expect(sum(p for _, p in got) <= 1 + 1e-6 and all(p > 0 for _, p in got),
           f"{what}: probabilities in (0, 1], sum {sum(p for _, p in got):.4f} <= 1")
    ref_sorted = np.sort(ref_probs)[::-1]
    for k, (c, p) in enumerate(got):
        tol = ATOL + RTOL * ref_sorted[k]
        if abs(ref_probs[c] - p) > tol or abs(ref_sorted[k] - p) > tol:
            raise Failure(f"{what}: rank {k + 1} class {c} p={p:.6f}, reference "
                          f"p={ref_probs[c]:.6f} for it and {ref_sorted[k]:.6f} at rank {k + 1}")
    ref_top = list(np.argsort(-ref_probs, kind="stable")[:5])
    same = [c for c, _ in got] == ref_top
    expect(True, f"{what}: top 5 {[c for c, _ in got]} "
           + ("identical to the reference's" if same else
              f"equal to the reference's {ref_top} up to ties within the tolerance"))


def read_ppm(path):
    data = open(path, "rb").read()
    m = re.match(rb"P6\s+(\d+)\s+(\d+)\s+(\d+)\s", data)
    w, h, maxval = map(int, m.groups())
    assert maxval == 255
    return np.frombuffer(data[m.end():m.end() + w * h * 3], np.uint8).reshape(h, w, 3)


def preprocess(img, h, w):
    """classify.c's preprocessing, in float32: bilinear resize with pixel
    centres aligned, then ImageNet mean/std, NCHW."""
    f32 = np.float32
    ih, iw = img.shape[:2]

    def axis(n_out, n_in):
        s = (np.arange(n_out, dtype=f32) + f32(0.5)) * (f32(n_in) / f32(n_out)) - f32(0.5)
        s = np.maximum(s, f32(0))
        i0 = np.minimum(s.astype(np.int64), n_in - 1)
        i1 = np.minimum(i0 + 1, n_in - 1)
        return i0, i1, (s - i0.astype(f32)).astype(f32)

    y0, y1, wy = axis(h, ih)
    x0, x1, wx = axis(w, iw)
    p = img.astype(f32)
    wx_ = wx[None, :, None]
    top = p[y0][:, x0] * (f32(1) - wx_) + p[y0][:, x1] * wx_
    bottom = p[y1][:, x0] * (f32(1) - wx_) + p[y1][:, x1] * wx_
    wy_ = wy[:, None, None]
    v = top * (f32(1) - wy_) + bottom * wy_
    mean = np.array([0.485, 0.456, 0.406], f32)
    std = np.array([0.229, 0.224, 0.225], f32)
    x = (v / f32(255) - mean) / std
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None], dtype=f32)


def softmax(z):
    z = z.astype(np.float64).ravel()
    e = np.exp(z - z.max())
    return e / e.sum()


def write_png(path, img):
    """An 8-bit RGB PNG of img (HxWx3 uint8), written with zlib alone."""
    def chunk(tag, data):
        return (struct.pack(">I", len(data)) + tag + data
                + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF))
    h, w = img.shape[:2]
    raw = b"".join(b"\x00" + img[y].tobytes() for y in range(h))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


# --- switch ----------------------------------------------------------------

SWITCH_PHASES = ["accuracy", "latency", "power", "memory", "cpu-only", "gpu",
                 "infeasible", "latency"]  # switch.cpp's default schedule
SWITCH_MODEL_LINE = re.compile(r"^model: (\d+) segments, (\d+) variants, "
                               r"all-fp32 memory (\d+) bytes$", re.M)
PHASE = re.compile(r"^phase (\d+) (\S+): status=(\S+) choice=(\S+) devices=(\S+) "
                   r"budget=(\d+) pred_ms=(\S+) pred_mj=(\S+) pred_mem=(\d+) "
                   r"accuracy=(\S+) median_ms=(\S+) runs=(\d+) top1=(\d+) "
                   r"max_diff=(\S+) failed=(\S+)(?: why=(.*))?$", re.M)
FP32 = re.compile(r"^fp32(x\d+)?$")


def parse_switch(out, what, runs):
    m = SWITCH_MODEL_LINE.search(out)
    expect(m, f"{what}: the model line ({m[1] if m else '?'} segments, "
           f"{m[2] if m else '?'} variants)")
    segments, fp32_memory = int(m[1]), int(m[3])
    phases = [dict(index=int(m[1]), name=m[2], status=m[3], choice=m[4].split("|"),
                   devices=m[5].split("|"), budget=int(m[6]), pred_ms=float(m[7]),
                   pred_mj=float(m[8]), memory=int(m[9]), accuracy=float(m[10]),
                   runs=int(m[12]), top1=int(m[13]), max_diff=float(m[14]),
                   failed=m[15].split(","), why=m[16] or "")
              for m in PHASE.finditer(out)]
    lines = [line for line in out.splitlines() if line.startswith("phase ")]
    expect(len(lines) == len(phases) and [p["name"] for p in phases] == SWITCH_PHASES
           and [p["index"] for p in phases] == list(range(1, len(SWITCH_PHASES) + 1)),
           f"{what}: a well-formed line for each of the {len(SWITCH_PHASES)} phases")
    expect(all(len(p["choice"]) == len(p["devices"]) == segments
               and set(p["devices"]) <= {"cpu", "gpu", "nna"} and p["runs"] == runs
               for p in phases),
           f"{what}: every phase names a variant and its device for each of the "
           f"{segments} segments, after {runs} runs")
    by = {p["name"]: p for p in reversed(phases)}  # the first of each name

    # The infeasible request: reported, and the session kept its choice.
    i = SWITCH_PHASES.index("infeasible")
    bad, prev = phases[i], phases[i - 1]
    expect(bad["status"] == "infeasible"
           and bad["why"].startswith("infeasible: memory budget 65536 bytes is binding"),
           f"{what}: the 64 KiB request is infeasible ({bad['why']})")
    expect(all(bad[k] == prev[k] for k in ("choice", "devices", "memory", "pred_ms", "top1")),
           f"{what}: after it the session kept the {prev['name']} phase's choice "
           f"{'|'.join(prev['choice'])}")

    # The GPU: its phase runs on it, or the GPU failed and was excluded.
    gpu = by["gpu"]
    if gpu["status"] == "ok":
        expect(set(gpu["devices"]) == {"gpu"} and gpu["max_diff"] <= 1e-3,
               f"{what}: the gpu phase ran on the GPU, within 1e-3 of the fp32 output")
    else:
        g = SWITCH_PHASES.index("gpu")
        expect(gpu["status"] == "infeasible" and "failed: gpu" in gpu["why"]
               and gpu["choice"] == phases[g - 1]["choice"]
               and all("gpu" in p["failed"] and "gpu" not in p["devices"]
                       for p in phases[g:]),
               f"{what}: no OpenCL here: the GPU failed and is excluded from then on; "
               f"with nothing else allowed the gpu phase is infeasible ({gpu['why']}) "
               f"and keeps the {phases[g - 1]['name']} phase's choice")
    others = [p for p in phases if p["name"] not in ("gpu", "infeasible")]
    expect(all(p["status"] == "ok" and p["failed"] in (["none"], ["gpu"]) for p in others),
           f"{what}: every other phase's request is met")

    # fp32 on the CPU everywhere: the same function, so the same output.
    fp32 = [p for p in phases
            if all(FP32.match(c) for c in p["choice"]) and set(p["devices"]) == {"cpu"}]
    expect(by["accuracy"]["accuracy"] == 1 and fp32 and fp32[0] is phases[0]
           and by["cpu-only"] in fp32,
           f"{what}: the accuracy and cpu-only phases choose fp32 on the CPU "
           f"({'|'.join(phases[0]['choice'])})")
    expect(all(p["top1"] == fp32[0]["top1"] and p["max_diff"] <= 1e-4 for p in fp32),
           f"{what}: the {len(fp32)} fp32 CPU phases agree within 1e-4 "
           f"(top-1 class {fp32[0]['top1']})")

    # The selector's choices are optimal for what each phase asks.
    mem = by["memory"]
    expect(mem["budget"] == fp32_memory // 4 * 3 and mem["memory"] <= mem["budget"]
           and set(mem["devices"]) == {"cpu"},
           f"{what}: the memory phase's choice needs {mem['memory']} bytes, within "
           f"its budget of {mem['budget']} (3/4 of fp32's {fp32_memory}), on the CPU")
    expect(all(by["latency"]["pred_ms"] <= p["pred_ms"] + 1e-3 for p in phases),
           f"{what}: no phase predicts less latency than the latency phase's "
           f"{by['latency']['pred_ms']} ms")
    expect(all(by["power"]["pred_mj"] <= p["pred_mj"] + 1e-3 for p in phases),
           f"{what}: no phase predicts less energy than the power phase's "
           f"{by['power']['pred_mj']} mJ")
    first, last = by["latency"], phases[-1]
    if "gpu" not in first["devices"]:
        expect(last["choice"] == first["choice"],
               f"{what}: back to the latency phase: its first choice again "
               f"({'|'.join(last['choice'])})")
    return phases


# --- main ------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--no-aarch64", action="store_true", help="skip steps 6-8")
    ap.add_argument("--work-dir", default=os.path.join(ROOT, "build", "install-test"))
    args = ap.parse_args()

    t0 = time.time()
    work = os.path.abspath(args.work_dir)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    host, arm = os.path.join(work, "host"), os.path.join(work, "aarch64")
    env = dict(os.environ)
    env["KILN_CACHE_DIR"] = os.path.join(work, "kiln-cache")
    env.setdefault("POCL_CACHE_DIR", os.path.join(work, "pocl-cache"))
    os.makedirs(env["POCL_CACHE_DIR"], exist_ok=True)
    classify_src = os.path.join(ROOT, "examples", "classify-c")
    switch_src = os.path.join(ROOT, "examples", "switch-cpp")

    log("== 1. install (x86-64)")
    run(["cmake", "--install", os.path.join(ROOT, "build"), "--prefix", host])
    check_install(host, with_compiler=True)

    log("== 2. classify-c out of tree: kilnc when the app builds, and only then")
    # A copy of the model, so that touching it leaves the source tree alone.
    model = os.path.join(work, "model", "mobilenet_tiny.onnx")
    os.makedirs(os.path.dirname(model))
    shutil.copy(SAMPLE_MODEL, model)
    cb = os.path.join(work, "x86", "classify")
    out = cmake_configure(classify_src, cb, f"-DCMAKE_PREFIX_PATH={host}",
                          f"-DCLASSIFY_MODEL={model}")
    with_png = "and PNG" in out
    expect(KILNC_RAN.search(cmake_build(cb)), "first build: kilnc compiled the model")
    expect("no work to do" in cmake_build(cb), "second build: no work (kilnc not run)")
    os.utime(model)
    out = cmake_build(cb)
    expect(KILNC_RAN.search(out), "model touched: kilnc ran again")
    cmake_configure(classify_src, cb, "-DCLASSIFY_KILNC_OPTIONS=--codegen-threads=1")
    expect(KILNC_RAN.search(cmake_build(cb)), "kilnc flags changed: kilnc ran again")
    expect("no work to do" in cmake_build(cb), "and then no work again")

    log("== 3. classify against kiln-run on the same preprocessed input")
    out = run([os.path.join(cb, "classify"), SAMPLE_PPM], env=env)
    log(out.rstrip())
    top5_x86 = parse_top5(out)
    ref = os.path.join(work, "reference")
    os.makedirs(ref)
    np.save(os.path.join(ref, "input.npy"), preprocess(read_ppm(SAMPLE_PPM), 224, 224))
    run([os.path.join(host, "bin", "kilnc"), model, "--emit=shared",
         "-o", os.path.join(ref, "classifier.so")])
    run([os.path.join(host, "bin", "kiln-run"), os.path.join(ref, "classifier.so"),
         "--input", "input=" + os.path.join(ref, "input.npy"), "--output-dir", ref, "--top", "5"])
    ref_probs = softmax(np.load(os.path.join(ref, "output.npy")))
    check_top5(top5_x86, ref_probs, "classify (x86-64) vs kiln-run")
    if with_png:
        png = os.path.join(work, "sample.png")
        write_png(png, read_ppm(SAMPLE_PPM))
        out = run([os.path.join(cb, "classify"), png], env=env)
        expect(parse_top5(out) == top5_x86, "the same picture as a PNG: the same top 5")
    else:
        log("  (classify built without libpng: PNG not checked)")

    log("== 4. pkg-config, without CMake")
    pc_env = dict(env, PKG_CONFIG_PATH=os.path.join(host, "lib", "pkgconfig"))
    flags = run(["pkg-config", "--cflags", "--libs", "kiln"], env=pc_env).split()
    gen = os.path.join(work, "x86", "pkgconfig")  # classifier.o and .h
    os.makedirs(gen)
    run([os.path.join(host, "bin", "kilnc"), SAMPLE_MODEL, "--name=classifier",
         "-o", os.path.join(gen, "classifier.o")])
    pc_app = os.path.join(gen, "classify")
    run(["cc", "-O2", "-std=c11", os.path.join(classify_src, "classify.c"),
         os.path.join(gen, "classifier.o"), "-I" + gen, *flags, "-o", pc_app])
    out = run([pc_app, SAMPLE_PPM], env=env)
    expect(parse_top5(out) == top5_x86, "linked through pkg-config: the same top 5")

    log("== 5. switch-cpp out of tree")
    sb = os.path.join(work, "x86", "switch")
    cmake_configure(switch_src, sb, f"-DCMAKE_PREFIX_PATH={host}", f"-DSWITCH_MODEL={model}")
    cmake_build(sb)
    out = run([os.path.join(sb, "switch"), "--runs", "3"], env=env)
    log(out.rstrip())
    phases_x86 = parse_switch(out, "switch (x86-64)", 3)

    if args.no_aarch64:
        log(f"== install test passed (x86-64 only) in {time.time() - t0:.0f} s")
        return 0

    log("== 6. install the aarch64 runtime (build-aarch64)")
    arm_build = os.path.join(ROOT, "build-aarch64")
    if not os.path.exists(os.path.join(arm_build, "build.ninja")):
        run(["cmake", "--preset", "aarch64-runtime"], cwd=ROOT)
    run(["cmake", "--build", "--preset", "aarch64-runtime"], cwd=ROOT)
    run(["cmake", "--install", arm_build, "--prefix", arm])
    check_install(arm, with_compiler=False)
    cross = [f"-DCMAKE_TOOLCHAIN_FILE={TOOLCHAIN}", f"-DCMAKE_PREFIX_PATH={arm}"]
    rc, out = run(["cmake", "-S", classify_src, "-B", os.path.join(work, "aarch64-nokilnc"),
                   "-G", "Ninja", *cross, f"-DCLASSIFY_MODEL={model}"],
                  env=dict(env, PATH="/usr/bin:/bin"), check=False)
    expect(rc != 0 and "-DKILN_KILNC=" in out,
           "without a kilnc, configuring fails and names -DKILN_KILNC")

    log("== 7. both examples for aarch64, under qemu")
    cross.append(f"-DKILN_KILNC={os.path.join(host, 'bin', 'kilnc')}")
    ab = os.path.join(work, "aarch64-build", "classify")
    cmake_configure(classify_src, ab, *cross, f"-DCLASSIFY_MODEL={model}")
    expect(re.search(r"kilnc: \S+ -> classifier\.o \(aarch64-linux-gnu\)", cmake_build(ab)),
           "kilnc compiled the model for aarch64-linux-gnu")
    out = run([*QEMU, os.path.join(ab, "classify"), SAMPLE_PPM], env=env)
    log(out.rstrip())
    check_top5(parse_top5(out), ref_probs, "classify (aarch64, qemu) vs kiln-run (x86-64)")

    arm_flags = run(["pkg-config", "--cflags", "--libs", "kiln"],
                    env=dict(env, PKG_CONFIG_PATH=os.path.join(arm, "lib", "pkgconfig"))).split()
    gen = os.path.join(work, "aarch64-build", "pkgconfig")
    os.makedirs(gen)
    run([os.path.join(host, "bin", "kilnc"), SAMPLE_MODEL, "--target=aarch64-linux-gnu",
         "--name=classifier", "-o", os.path.join(gen, "classifier.o")])
    pc_app = os.path.join(gen, "classify")
    run(["aarch64-linux-gnu-gcc", "-O2", "-std=c11", os.path.join(classify_src, "classify.c"),
         os.path.join(gen, "classifier.o"), "-I" + gen, *arm_flags, "-o", pc_app])
    out = run([*QEMU, pc_app, SAMPLE_PPM], env=env)
    check_top5(parse_top5(out), ref_probs, "classify (aarch64, pkg-config)")

    sab = os.path.join(work, "aarch64-build", "switch")
    cmake_configure(switch_src, sab, *cross, f"-DSWITCH_MODEL={model}")
    cmake_build(sab)
    out = run([*QEMU, os.path.join(sab, "switch"), "--runs", "1"], env=env)
    log(out.rstrip())
    phases_arm = parse_switch(out, "switch (aarch64)", 1)
    # The accuracy phase: fp32 on the CPU on both (parse_switch checked).
    cpu_x86, cpu_arm = phases_x86[0]["top1"], phases_arm[0]["top1"]
    expect(cpu_x86 == cpu_arm,
           f"switch: fp32 CPU top-1 class {cpu_arm} on aarch64, {cpu_x86} on x86-64")

    log("== 8. runtime size in a CPU-only aarch64 app")
    out = run([os.path.join(ROOT, "scripts", "runtime_size.sh"),
               "--kilnc", os.path.join(host, "bin", "kilnc"),
               "--runtime", os.path.join(arm, "lib", "libkilnrt.a"),
               "--include", os.path.join(arm, "include"),
               "--work-dir", os.path.join(work, "runtime-size"), "--max-kb", "100"])
    log(out.rstrip())

    log(f"== install test passed in {time.time() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Failure as e:
        print(f"install test: FAIL: {e}", file=sys.stderr)
        sys.exit(1)
