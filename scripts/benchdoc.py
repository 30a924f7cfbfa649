"""Shared by the benchmark scripts: their tables live in docs/benchmarks.md
between <!-- NAME:begin --> and <!-- NAME:end --> markers, and they read the
"median latency: X ms" line that kiln-run and tools/ort/run_ort.js print."""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def write_block(name, text):
    """Puts `text` between NAME's markers in docs/benchmarks.md (appended, with
    its markers, if they are not there yet)."""
    path = os.path.join(ROOT, "docs", "benchmarks.md")
    doc = open(path).read() if os.path.exists(path) else "# Benchmarks\n"
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    block = f"{begin}\n{text}\n{end}"
    if begin in doc:
        doc = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _: block, doc,
                     flags=re.S)
    else:
        doc = doc.rstrip("\n") + "\n\n" + block + "\n"
    with open(path, "w") as f:
        f.write(doc)


def median_latency_ms(out, what):
    """The median latency kiln-run or run_ort.js printed in `out`; exits
    naming `what` when there is none."""
    m = re.search(r"median latency: ([0-9.]+) ms", out)
    if not m:
        sys.exit(f"{what}: no median latency in its output")
    return float(m.group(1))
