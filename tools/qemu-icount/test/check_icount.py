#!/usr/bin/python3
"""Checks kiln-qemu-icount's counts on icount_probe, whose numbers are known.

    check_icount.py --qemu qemu-aarch64 --plugin libkiln_qemu_icount.so \
        --probe icount_probe

icount_probe.c explains the expected figures. Exit status 0 iff all hold."""

import argparse
import json
import os
import subprocess
import sys
import tempfile

N = 3000  # 2 * N has as many digits: the same start-up path
# Per iteration of probe_fma_kernel's loop.
LOOP_INSNS, LOOP_VFMA, LOOP_SFMA, LOOP_MACS = 15, 7, 3, 29

failures = []


def check(cond, what):
    print(("ok    " if cond else "FAIL  ") + what)
    if not cond:
        failures.append(what)


def run(args, plugin_args, n, tmp, name):
    out = os.path.join(tmp, name + ".json")
    opts = ",".join([args.plugin, "out=" + out] + plugin_args)
    p = subprocess.run([args.qemu, "-plugin", opts, args.probe, str(n)],
                       capture_output=True, text=True, timeout=120)
    report = None
    if os.path.exists(out):
        with open(out) as f:
            report = json.load(f)
    return p, report


def counts(c):
    return (c["insns"], c["vector_fma"], c["scalar_fma"], c["macs"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qemu", required=True)
    ap.add_argument("--plugin", required=True)
    ap.add_argument("--probe", required=True)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        p, r = run(args, ["start=probe_fma_kernel", "stop=probe_stop"], N, tmp, "windows")
        check(p.returncode == 0 and r is not None,
              f"probe runs under the plugin (exit {p.returncode}) {p.stderr.strip()}")
        if r is None:
            return 1
        syms = {s["name"]: s for s in r["symbols"]}
        kernel = syms.get("probe_fma_kernel")
        check(kernel is not None, "symbol probe_fma_kernel is reported")
        if kernel:
            want = (2 * (LOOP_INSNS * N + 1), 2 * LOOP_VFMA * N, 2 * LOOP_SFMA * N,
                    2 * LOOP_MACS * N)
            check(counts(kernel["all"]) == want,
                  f"probe_fma_kernel (insns, vector fma, scalar fma, macs) = {want}: "
                  f"got {counts(kernel['all'])}")
        check(r["symbols"][0]["name"] == "probe_fma_kernel",
              f"the hottest symbol comes first: {r['symbols'][0]['name']}")
        ins = [s["all"]["insns"] for s in r["symbols"]]
        check(ins == sorted(ins, reverse=True), "symbols are sorted by instructions")
        check(sum(ins) == r["total"]["insns"],
              f"per-symbol instructions add up to the total ({sum(ins)} vs "
              f"{r['total']['insns']})")
        check(counts(r["total"])[1:] == (2 * LOOP_VFMA * N, 2 * LOOP_SFMA * N,
                                         2 * LOOP_MACS * N),
              f"all FMAs of the run are the kernel's: {counts(r['total'])[1:]}")
        # Two windows, each the kernel plus probe_window's `bl probe_stop`.
        wins = [counts(w["counts"]) for w in r["windows"]]
        want = (LOOP_INSNS * N + 2, LOOP_VFMA * N, LOOP_SFMA * N, LOOP_MACS * N)
        check(wins == [want, want], f"two windows of {want}: got {wins}")
        check(counts(r["in_windows"]) == tuple(2 * x for x in want),
              "in_windows is the sum of the windows")
        check(not r["markers"]["open_at_exit"], "no window is left open")
        pw = syms.get("probe_window")
        check(pw is not None and pw["window"]["insns"] == 2,
              "window attribution: probe_window's bl probe_stop, once per window")

        # Same run twice: identical counts. N doubled (same digit count, so
        # the same start-up path): exactly 2 * 15 * N more instructions.
        _, a = run(args, [], N, tmp, "a")
        _, b = run(args, [], N, tmp, "b")
        _, c = run(args, [], 2 * N, tmp, "c")
        if a and b and c:
            check(a["total"] == b["total"], "two identical runs count the same")
            check(c["total"]["insns"] - a["total"]["insns"] == 2 * LOOP_INSNS * N,
                  f"N -> 2N adds exactly {2 * LOOP_INSNS * N} instructions: "
                  f"{c['total']['insns'] - a['total']['insns']}")
            check(a["total"]["insns"] == r["total"]["insns"],
                  "markers do not change the total")
        else:
            check(False, "runs without markers wrote reports")

        # Errors must stop the run, not produce unlabelled numbers.
        p, r = run(args, ["start=no_such_function", "stop=probe_stop"], N, tmp, "bad")
        check(p.returncode != 0 and r is None and "no_such_function" in p.stderr,
              "an unknown marker fails the run and writes no report")
        p, r = run(args, ["colour=blue"], N, tmp, "badarg")
        check(p.returncode != 0 and r is None, "an unknown argument is refused")

    print(f"check_icount: {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
