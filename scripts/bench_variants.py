#!/usr/bin/python3
"""Adaptive variant selection against the best single static choice (issue 9).

    /usr/bin/python3 scripts/bench_variants.py [--models mobilenet_v2,resnet18]
        [--write-docs]

For each model:
  1. compile it with per-segment variants (kilnc --variants=fp32,int8,opencl,
     nna --segments=4; cached in build/bench-variants/);
  2. replay its day (docs/scenarios/<model>.json) with kiln-run --scenario:
     the runtime re-selects at every step (adaptive);
  3. the best single static choice: one choice for the whole day, picked by
     the same selector under every step's constraints at once (the smallest
     memory budget, the devices available at every step and never faulted,
     the tightest latency target and accuracy floor); when no choice meets
     them all, the latency target, then the accuracy floor are dropped, and
     the static choice breaks those steps;
  4. compare, per step: the predicted latency (the selector's model: the
     variants' latencies measured when compiling on this machine, NNA
     variants at the simulator's cycles; the measured host time of an NNA
     run is the simulator's, not the NNA's) and memory (weights + the
     largest arena) of the adaptive choice against the static one, and the
     constraint violations of each.
Prints a table; --write-docs fills the "variants" block of
docs/benchmarks.md. Exit status 1 when the adaptive replay violates a
constraint of a feasible step.
"""
import argparse
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import benchdoc  # noqa: E402
import export_models  # noqa: E402

BIN = os.environ.get("KILN_BIN", os.path.join(ROOT, "build", "bin"))
WORK = os.path.join(ROOT, "build", "bench-variants")
KINDS = "fp32,int8,opencl,nna"
DEVICES = ("cpu", "gpu", "nna")


def size(text):
    m = re.fullmatch(r"(\d+)([kKmMgG]?)", str(text))
    return int(m.group(1)) * {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}[m.group(2).lower()]


def step_constraints(trace):
    """Each step's constraints after its events, as kiln-run applies them
    (constraints replace the previous ones, events change them, both
    carry over), and the devices that fault during the day."""
    state = {"memory_budget": None, "latency_target_ms": None,
             "allowed_devices": list(DEVICES), "accuracy_floor": None}
    faulted, out = set(), []
    for step in trace["steps"]:
        if "constraints" in step:
            c = step["constraints"]
            state = {"memory_budget": size(c["memory_budget"]) if "memory_budget" in c else None,
                     "latency_target_ms": c.get("latency_target_ms"),
                     "allowed_devices": c.get("allowed_devices", list(DEVICES)),
                     "accuracy_floor": c.get("accuracy_floor")}
        for ev in step.get("events", []):
            if ev == "gpu_busy":
                state["allowed_devices"] = [d for d in state["allowed_devices"] if d != "gpu"]
            elif ev == "gpu_free" and "gpu" not in state["allowed_devices"]:
                state["allowed_devices"] = state["allowed_devices"] + ["gpu"]
            elif ev == "nna_unavailable":
                state["allowed_devices"] = [d for d in state["allowed_devices"] if d != "nna"]
            elif ev == "nna_available" and "nna" not in state["allowed_devices"]:
                state["allowed_devices"] = state["allowed_devices"] + ["nna"]
            elif ev.startswith("memory_pressure:"):
                state["memory_budget"] = size(ev.split(":", 1)[1])
            elif ev.startswith("device_fault:"):
                faulted.add(ev.split(":", 1)[1])
        out.append(dict(state, faults=[ev.split(":", 1)[1] for ev in step.get("events", [])
                                       if ev.startswith("device_fault:")]))
    return out, faulted


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    return r.returncode, r.stdout + r.stderr


def static_choice(so, steps, faulted, x, unconstrained=False):
    """The selector's pick under every step's constraints at once (or, when
    `unconstrained`, under none: the fastest static choice)."""
    if unconstrained:
        steps = [{"memory_budget": None, "latency_target_ms": None,
                  "allowed_devices": list(DEVICES), "accuracy_floor": None}]
        faulted = set()
    budgets = [s["memory_budget"] for s in steps if s["memory_budget"]]
    targets = [s["latency_target_ms"] for s in steps if s["latency_target_ms"]]
    floors = [s["accuracy_floor"] for s in steps if s["accuracy_floor"]]
    allowed = [d for d in DEVICES if all(d in s["allowed_devices"] for s in steps)
               and d not in faulted]
    dropped = []
    for drop in ([], ["latency"], ["latency", "accuracy"]):
        cmd = [os.path.join(BIN, "kiln-run"), so, "--variants", "--runs", "1", "--warmup", "0",
               "--input", f"input={x}", "--allow-devices", ",".join(allowed)]
        if budgets:
            cmd += ["--memory-budget", str(min(budgets))]
        if targets and "latency" not in drop:
            cmd += ["--latency-target", str(min(targets))]
        if floors and "accuracy" not in drop:
            cmd += ["--accuracy-floor", str(max(floors))]
        rc, out = run(cmd)
        if rc == 0:
            dropped = drop
            break
    else:
        raise RuntimeError(f"no static choice even without latency and accuracy: {out[-400:]}")
    choice = re.search(r"^choice: (.*)$", out, re.M).group(1).split(" | ")
    m = re.search(r"predicted: latency ([0-9.]+) ms, energy ([0-9.]+) mJ, memory (\d+) bytes, "
                  r"accuracy ([0-9.]+)", out)
    devices = []
    for label in choice:
        devices.append("gpu" if label.startswith("opencl") else
                       "nna" if label.startswith("nna") else "cpu")
    return {"choice": choice, "latency_ms": float(m.group(1)), "memory": int(m.group(3)),
            "accuracy": float(m.group(4)), "devices": devices, "dropped": dropped}


def violations(choice, c):
    """What a fixed choice breaks under one step's constraints."""
    v = []
    if c["memory_budget"] and choice["memory"] > c["memory_budget"]:
        v.append("memory")
    if c["latency_target_ms"] and choice["latency_ms"] > c["latency_target_ms"]:
        v.append("latency")
    if c["accuracy_floor"] and choice["accuracy"] < c["accuracy_floor"]:
        v.append("accuracy")
    if any(d not in c["allowed_devices"] for d in choice["devices"]):
        v.append("devices")
    # A static choice cannot move off a device that fails: the run is lost.
    if any(d in c.get("faults", []) for d in choice["devices"]):
        v.append("device failed")
    return v


def bench(name, args):
    os.makedirs(WORK, exist_ok=True)
    onnx_path = export_models.ensure(os.path.join(ROOT, "build", "models"), name)["onnx"]
    so = os.path.join(WORK, name + ".so")
    if not os.path.exists(so) or os.path.getmtime(so) < os.path.getmtime(
            os.path.join(BIN, "kilnc")):
        rc, out = run([os.path.join(BIN, "kilnc"), onnx_path, f"--variants={KINDS}",
                       "--segments=4", "--calibrate-samples=4", "--emit=shared", "-o", so])
        if rc:
            raise RuntimeError(out[-600:])
    x = os.path.join(ROOT, "build", "models", name + ".input.npy")
    trace_path = os.path.join(ROOT, "docs", "scenarios", name + ".json")
    trace = json.load(open(trace_path))
    steps, faulted = step_constraints(trace)
    timeline = os.path.join(WORK, name + ".timeline.json")
    rc, out = run([os.path.join(BIN, "kiln-run"), so, "--scenario", trace_path,
                   "--scenario-json", timeline, "--input", f"input={x}"])
    adaptive = json.load(open(timeline))["steps"]
    static = static_choice(so, steps, faulted, x)
    fastest = static_choice(so, steps, faulted, x, unconstrained=True)
    rows, a_lat, a_mem = [], [], []
    a_viol = s_viol = f_viol = infeasible = 0
    select_ms = []
    for step, c in zip(adaptive, steps):
        sv, fv = violations(static, c), violations(fastest, c)
        s_viol += bool(sv)
        f_viol += bool(fv)
        if step["status"] == "infeasible":
            infeasible += 1
        a_viol += bool(step["violations"])
        a_lat.append(step["predicted_latency_ms"])
        a_mem.append(step["memory_bytes"])
        select_ms.append(step["select_ms"])
        rows.append((step["name"], " | ".join(step["choice"]), step["predicted_latency_ms"],
                     step["memory_bytes"], step["status"], ",".join(step["violations"]) or "-",
                     ",".join(sv) or "-", ",".join(fv) or "-"))
    mean = lambda v: sum(v) / len(v)  # noqa: E731
    return {"model": name, "rows": rows, "static": static, "fastest": fastest,
            "adaptive_latency": mean(a_lat), "adaptive_memory": mean(a_mem),
            "adaptive_violations": a_viol, "static_violations": s_viol,
            "fastest_violations": f_viol, "steps": len(rows), "infeasible": infeasible,
            "select_ms_max": max(select_ms), "replay_status": rc}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--models", default="mobilenet_v2,resnet18")
    p.add_argument("--write-docs", action="store_true")
    args = p.parse_args()
    summary = ["| model | policy | choice | mean latency ms | mean memory MB | steps violated "
               "| adaptive's latency saved | adaptive's memory saved |",
               "|---|---|---|---|---|---|---|---|"]
    details, ok = [], True
    for name in args.models.split(","):
        r = bench(name, args)
        ok &= r["adaptive_violations"] == 0
        lat, mem = r["adaptive_latency"], r["adaptive_memory"]
        summary.append(f"| {name} | adaptive | per step | {lat:.2f} | {mem / 2**20:.1f} | "
                       f"{r['adaptive_violations']}/{r['steps']} | | |")
        for policy, key in (("static, meets every step", "static"),
                            ("static, fastest", "fastest")):
            st = r[key]
            note = f" (without {', '.join(st['dropped'])})" if st["dropped"] else ""
            labels = " \\| ".join(st["choice"])
            summary.append(
                f"| {name} | {policy}{note} | {labels} | {st['latency_ms']:.2f} | "
                f"{st['memory'] / 2**20:.1f} | {r[key + '_violations']}/{r['steps']} | "
                f"{(1 - lat / st['latency_ms']) * 100:.0f}% | "
                f"{(1 - mem / st['memory']) * 100:.0f}% |")
        details.append(f"\n{name}, per step: the adaptive choice, its predicted latency and "
                       f"memory, what it and the two static choices violate (re-selection "
                       f"took at most {r['select_ms_max']:.3f} ms)\n")
        details.append("| step | adaptive choice | latency ms | memory bytes | status | violated "
                       "| static (every step) violates | static (fastest) violates |\n"
                       "|---|---|---|---|---|---|---|---|")
        for row in r["rows"]:
            labels = row[1].replace("|", "\\|")
            details.append(f"| {row[0]} | {labels} | {row[2]:.2f} | {row[3]} | {row[4]} | "
                           f"{row[5]} | {row[6]} | {row[7]} |")
        print("\n".join(summary[-3:]), flush=True)
    table = "\n".join(summary + details)
    if args.write_docs:
        benchdoc.write_block("variants", table)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
