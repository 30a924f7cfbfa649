#!/usr/bin/python3
"""The NNA variant end to end: bit-exact with the int8 reference, and what
split/merge and fusion save (issue 8).

    /usr/bin/python3 test/quant/run_nna_tests.py [--models a,b] [--inputs 3]
        [--configs small,large] [--write-docs]

For each model, with one set of seeded calibration samples:
  1. compile the int8 CPU variant (kilnc --precision=int8: the quantised
     graph as plain CPU code, the reference) and the NNA variant
     (--devices=cpu,nna) for each configuration, fused and with
     --nna-layer-by-layer (every op a separate pass through DRAM);
  2. run every NNA variant on the simulator (kiln-run --device=nna-sim
     --profile) and the reference on the same seeded inputs: the outputs
     must be equal bit for bit;
  3. report the simulated cycles (and ms at the configuration's clock) and
     the DRAM traffic per run, fused against layer by layer.
The two "bound" columns are what no fusion can beat: the layer-by-layer
cycles over the fused run's compute bound (per step, the busiest of the
CONV, ADD and POOL units: each runs one command at a time), and the DRAM
saving left if only the weights and parameters (the plan's NNA constants,
read at least once) moved. Exit status 0 iff every NNA output equals the
reference's. --write-docs
fills the "nna" block of docs/benchmarks.md. Issue 8's goal: fused cycles
>= 2.8x lower and DRAM traffic >= 75% lower than layer by layer on
MobileNetV2 and ResNet18.
"""
import argparse
import os
import re
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchdoc  # noqa: E402
from run_quant_tests import input_spec, model_path, run  # noqa: E402

BIN = os.environ.get("KILN_BIN", os.path.join(ROOT, "build", "bin"))
BUSY_LINE = re.compile(r"busy cycles: DMA (\d+), CONV (\d+), ADD (\d+), POOL (\d+)")
CONSTANTS = re.compile(r"nna \(\w+\): .*, constants (\d+) bytes")
NNA_LINE = re.compile(r"NNA: (\d+) steps, (\d+) cycles = ([0-9.]+) ms simulated, "
                      r"([0-9.]+) MB read, ([0-9.]+) MB written")


def test_model(name, args, work):
    d = os.path.join(work, name)
    calib = os.path.join(d, "calibration")
    inputs = os.path.join(d, "inputs")
    os.makedirs(calib, exist_ok=True)
    os.makedirs(inputs, exist_ok=True)
    onnx_path = model_path(name)
    inp, dims = input_spec(onnx_path)
    rng = np.random.RandomState(1234)
    for i in range(8):
        np.save(os.path.join(calib, f"{i}.npy"), rng.randn(*dims).astype(np.float32))
    rng = np.random.RandomState(4321)
    for i in range(args.inputs):
        np.save(os.path.join(inputs, f"{i}.npy"), rng.randn(*dims).astype(np.float32))
    kilnc = [os.path.join(BIN, "kilnc"), onnx_path, "--emit=shared", "--calibrate", calib]
    ref = os.path.join(d, "int8.so")
    run(kilnc + ["-o", ref, "--precision=int8"])
    variants, weights = {}, {}
    for config in args.configs.split(","):
        for mode in ("fused", "layer-by-layer"):
            so = os.path.join(d, f"nna-{config}-{mode}.so")
            extra = ["--nna-layer-by-layer"] if mode == "layer-by-layer" else []
            r = run(kilnc + ["-o", so, "--devices=cpu,nna", f"--nna-config={config}",
                             "--stats"] + extra)
            m = CONSTANTS.search(r.stdout + r.stderr)
            if not m:
                raise RuntimeError(f"no NNA constants in kilnc --stats for {so}")
            variants[(config, mode)] = so
            weights[(config, mode)] = int(m.group(1))
    res = {"model": name, "bitexact": True, "runs": {}}
    for i in range(args.inputs):
        x = os.path.join(inputs, f"{i}.npy")
        out = os.path.join(d, "out-ref")
        run([os.path.join(BIN, "kiln-run"), ref, "--input", f"{inp}={x}",
             "--output-dir", out, "--top", "0"])
        want = [np.load(os.path.join(out, f)) for f in sorted(os.listdir(out))]
        for key, so in variants.items():
            out = os.path.join(d, "out-nna")
            r = run([os.path.join(BIN, "kiln-run"), so, "--device=nna-sim", "--profile",
                     "--input", f"{inp}={x}", "--output-dir", out, "--top", "0"])
            got = [np.load(os.path.join(out, f)) for f in sorted(os.listdir(out))]
            same = len(got) == len(want) and all(
                g.shape == w.shape and g.tobytes() == w.tobytes() for g, w in zip(got, want))
            res["bitexact"] &= same
            m = NNA_LINE.search(r.stdout + r.stderr)
            if not m:
                raise RuntimeError(f"no NNA profile line from {so}")
            # Each unit runs one command at a time and the steps run one
            # after another: the busiest compute unit of each step bounds
            # any schedule of the same commands.
            busy = [tuple(int(v) for v in b.groups()) for b in BUSY_LINE.finditer(r.stdout)]
            res["runs"][key] = {"steps": int(m.group(1)), "cycles": int(m.group(2)),
                                "ms": float(m.group(3)),
                                "mb": float(m.group(4)) + float(m.group(5)),
                                "compute_bound": sum(max(b[1:]) for b in busy),
                                "weights_mb": weights[key] / 1e6}
    return res


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--models", default="mobilenet_tiny,mobilenet_v2,resnet18")
    p.add_argument("--inputs", type=int, default=3)
    p.add_argument("--configs", default="small,large")
    p.add_argument("--write-docs", action="store_true")
    p.add_argument("--work-dir", default=os.path.join(ROOT, "build", "nna-tests"))
    args = p.parse_args()
    rows = ["| model | config | NNA steps | cycles fused | cycles layer by layer | ratio "
            "| DRAM MB fused | DRAM MB layer by layer | DRAM saved | simulated ms fused "
            "| bound: ratio | bound: DRAM saved |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    ok = True
    for name in args.models.split(","):
        try:
            r = test_model(name, args, args.work_dir)
        except RuntimeError as e:
            print(f"  {name:<20} error: {e}", flush=True)
            ok = False
            continue
        ok &= r["bitexact"]
        print(f"  {name:<20} {'bit-exact' if r['bitexact'] else 'DIFFERS'} with the int8 "
              f"reference over {args.inputs} inputs", flush=True)
        for config in args.configs.split(","):
            f, l = r["runs"][(config, "fused")], r["runs"][(config, "layer-by-layer")]
            row = (f"| {name} | {config} | {f['steps']} | {f['cycles']} | {l['cycles']} | "
                   f"{l['cycles'] / f['cycles']:.2f}x | {f['mb']:.2f} | {l['mb']:.2f} | "
                   f"{(1 - f['mb'] / l['mb']) * 100:.0f}% | {f['ms']:.2f} | "
                   f"{l['cycles'] / f['compute_bound']:.2f}x | "
                   f"{(1 - f['weights_mb'] / l['mb']) * 100:.0f}% |")
            rows.append(row)
            print("    " + row, flush=True)
    if args.write_docs:
        benchdoc.write_block("nna", "\n".join(rows))
    print(f"nna tests: {'all NNA outputs bit-exact' if ok else 'FAILED'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
