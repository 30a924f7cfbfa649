#!/usr/bin/python3
"""kilnc --report in a browser (issue 10, item 4).

    /usr/bin/python3 test/report/run_report_test.py [--cases cpu,nna,variants]
                                                    [--work-dir DIR]

Compiles the bundled sample (models/sample/mobilenet_tiny.onnx) with
--report three ways: CPU only, --devices=cpu,nna, and
--variants=fp32,int8 --segments=2 (2 random calibration samples each).
For every page:

  1. the file is self-contained: no <link>, no src= or url(), no http(s)
     address, no @import;
  2. headless Chromium (Debian's `chromium`) loads it with console logging
     on: no console message at all (the page logs nothing, so any message,
     an "Uncaught ..." above all, is a script error);
  3. the DOM after the scripts ran (--dump-dom) has body[data-rendered="1"]
     (set by the page's script as its last statement), the script's status
     line, the eight sections and what this compile must show (the graphs,
     the NNA streams, the variant table);
  4. a screenshot (WORK/NAME.png, 1400x2400) is written, is a PNG of that
     size and is not blank.

WORK is build/report. KILN_BIN (default build/bin) is where kilnc is found;
KILN_CHROMIUM overrides the browser. Without Chromium the test fails and
says so (scripts/setup.sh installs it). Exit status 0 iff every check
passed.
"""

import argparse
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SAMPLE = os.path.join(ROOT, "models", "sample", "mobilenet_tiny.onnx")
WIDTH, HEIGHT = 1400, 2400
SECTIONS = ["summary", "graph", "layers", "memory", "decisions", "devices",
            "variants", "stages"]

# name: kilnc flags, strings the rendered page must hold.
CASES = {
    "cpu": ([], [
        "<h3>CPU variant</h3>",
        '<svg class="timeline"',
        "<h3>Fused groups (",
        "No device variant: the artifact is CPU code only",
        "No variants: compiled without --variants",
    ]),
    "nna": (["--devices=cpu,nna", "--calibrate-samples=2"], [
        "<h3>CPU variant</h3>",
        "<h3>NNA variant</h3>",
        "<h3>NNA (small)</h3>",
        "<th>streams</th>",
        "step: nna stream 0",
    ]),
    "variants": (["--variants=fp32,int8", "--segments=2",
                  "--calibrate-samples=2"], [
        "<h3>Segments</h3>",
        '<table class="sortable variants">',
        "<td>fp32</td>",
        "<td>int8</td>",
        "--variants: every sub-model plans its own arena",
    ]),
}

# Anything a page could fetch.
EXTERNAL = [
    (re.compile(r"<link\b", re.I), "a <link> element"),
    (re.compile(r"\bsrc\s*=", re.I), "a src attribute"),
    (re.compile(r"url\s*\(", re.I), "a CSS url()"),
    (re.compile(r"@import", re.I), "a CSS @import"),
    (re.compile(r"https?:", re.I), "an http(s) address"),
]


class Failure(Exception):
    pass


def chromium():
    path = os.environ.get("KILN_CHROMIUM") or shutil.which("chromium") or \
        shutil.which("chromium-browser")
    if not path:
        raise Failure("chromium not found: install Debian's chromium "
                      "(scripts/setup.sh does)")
    return path


def browse(browser, profile, html, *flags):
    """Runs headless Chromium on the page; returns (stdout, console lines)."""
    cmd = [browser, "--headless", "--disable-gpu", "--no-sandbox",
           "--no-first-run", "--disable-extensions", "--hide-scrollbars",
           f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
           *flags, "file://" + os.path.abspath(html)]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        raise Failure(f"chromium timed out on {html}")
    if p.returncode != 0:
        raise Failure(f"chromium exit status {p.returncode}: "
                      + " | ".join(p.stderr.strip().splitlines()[-3:]))
    console = [l for l in p.stderr.splitlines()
               if ":CONSOLE" in l or "Uncaught" in l]
    return p.stdout, console


def png_size_and_colours(path):
    """(width, height, distinct byte values of the image data)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise Failure(f"{path} is not a PNG")
    width, height = struct.unpack(">II", data[16:24])
    idat, at = b"", 8
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        if kind == b"IDAT":
            idat += data[at + 8:at + 8 + length]
        at += 12 + length
    return width, height, len(set(zlib.decompress(idat)))


def check(name, flags, expected, kilnc, browser, work, profile):
    html = os.path.join(work, name + ".html")
    png = os.path.join(work, name + ".png")
    for path in (html, png):
        if os.path.exists(path):
            os.remove(path)
    cmd = [kilnc, SAMPLE, "--emit=shared", "-o",
           os.path.join(work, name + ".so"), f"--report={html}", *flags]
    t0 = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    compile_s = time.time() - t0
    if p.returncode != 0:
        raise Failure("kilnc failed: " + " | ".join(p.stderr.strip().splitlines()[-3:]))
    with open(html, encoding="utf-8") as f:
        text = f.read()
    for rx, what in EXTERNAL:
        m = rx.search(text)
        if m:
            raise Failure(f"{html} is not self-contained: {what} "
                          f"({text[max(0, m.start() - 40):m.end() + 40]!r})")

    dom, console = browse(browser, profile, html, "--dump-dom")
    if console:
        raise Failure("console messages (script errors): " + " | ".join(console[:3]))
    if not re.search(r'<body[^>]*\bdata-rendered="1"', dom):
        raise Failure("the page's script did not finish (no data-rendered on body)")
    status = re.search(r'<span id="status">([^<]*)</span>', dom)
    if not status or "did not run" in status.group(1):
        raise Failure("the script's status line is missing")
    missing = [s for s in SECTIONS if f'<section id="{s}">' not in dom]
    missing += [s for s in expected if s not in dom]
    if missing:
        raise Failure("missing from the page: " + ", ".join(missing))

    _, console = browse(browser, profile, html, f"--screenshot={png}",
                        f"--window-size={WIDTH},{HEIGHT}")
    if console:
        raise Failure("console messages (script errors): " + " | ".join(console[:3]))
    if not os.path.exists(png):
        raise Failure("no screenshot written")
    width, height, colours = png_size_and_colours(png)
    if (width, height) != (WIDTH, HEIGHT):
        raise Failure(f"screenshot is {width}x{height}, not {WIDTH}x{HEIGHT}")
    if colours < 64:
        raise Failure(f"screenshot looks blank ({colours} distinct byte values)")
    return (f"{compile_s:.0f} s compile, {len(text) // 1024} KiB page, "
            f"{status.group(1)}; {os.path.relpath(png, ROOT)}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", default=",".join(CASES),
                    help="comma-separated: " + ", ".join(CASES))
    ap.add_argument("--work-dir", default=os.path.join(ROOT, "build", "report"))
    args = ap.parse_args()
    names = [c for c in args.cases.split(",") if c]
    unknown = [c for c in names if c not in CASES]
    if unknown:
        ap.error("unknown case(s): " + ", ".join(unknown))
    kilnc = os.path.join(os.environ.get("KILN_BIN", os.path.join(ROOT, "build", "bin")),
                         "kilnc")
    try:
        browser = chromium()
    except Failure as e:
        print(f"run_report_test: {e}", file=sys.stderr)
        print(f"0 passed, {len(names)} failed")
        return 1
    os.makedirs(args.work_dir, exist_ok=True)
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="kiln-chromium-") as profile:
        for name in names:
            flags, expected = CASES[name]
            try:
                note = check(name, flags, expected, kilnc, browser,
                             args.work_dir, profile)
                print(f"  PASS  {name:<9} {note}", flush=True)
                passed += 1
            except Failure as e:
                print(f"  FAIL  {name:<9} {e}", flush=True)
                failed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
