#!/usr/bin/env bash
# What libkilnrt.a adds to a CPU-only aarch64 app (issue 10's goal: <= 100 KB).
#
#   scripts/runtime_size.sh [--kilnc PATH] [--runtime PATH/libkilnrt.a]
#       [--include DIR] [--work-dir DIR] [--max-kb N]
#
# The app is examples/classify-c with the bundled sample model compiled for
# the CPU alone (kilnc --target=aarch64-linux-gnu, no --devices), linked by
# aarch64-linux-gnu-gcc -O2 against the runtime with -Wl,--gc-sections and
# a link map. The runtime's contribution is the sum of the input sections
# the linker kept from libkilnrt.a's members (code, read-only data, data,
# unwind tables: what a stripped binary keeps of them; .bss, which takes no
# file space, is shown apart), read from the map. Printed per member and in
# total; --max-kb N fails (exit 1) when the total is above N KB.
# Defaults: build/bin/kilnc, build-aarch64/runtime/libkilnrt.a,
# runtime/include, build/runtime-size.
set -euo pipefail
cd "$(dirname "$0")/.."

kilnc=build/bin/kilnc
runtime=build-aarch64/runtime/libkilnrt.a
include=runtime/include
work=build/runtime-size
max_kb=
while (($#)); do
  case "$1" in
    --kilnc) kilnc=${2:?}; shift ;;
    --runtime) runtime=${2:?}; shift ;;
    --include) include=${2:?}; shift ;;
    --work-dir) work=${2:?}; shift ;;
    --max-kb) max_kb=${2:?}; shift ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "runtime_size: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
for f in "$kilnc" "$runtime"; do
  [[ -f $f ]] || { echo "runtime_size: no $f" >&2; exit 1; }
done

mkdir -p "$work"
"$kilnc" models/sample/mobilenet_tiny.onnx --target=aarch64-linux-gnu \
  --name=classifier -o "$work/classifier.o"
aarch64-linux-gnu-gcc -O2 -std=c11 examples/classify-c/classify.c \
  "$work/classifier.o" -I"$work" -I"$include" "$runtime" -ldl -lpthread -lm \
  -Wl,--gc-sections -Wl,-Map="$work/classify.map" -o "$work/classify"
aarch64-linux-gnu-strip -o "$work/classify.stripped" "$work/classify"

/usr/bin/python3 - "$work/classify.map" "$work/classify.stripped" \
  "${max_kb:-0}" <<'PY'
import collections, os, re, sys

map_path, stripped, max_kb = sys.argv[1], sys.argv[2], float(sys.argv[3])
text = open(map_path).read()
text = text[text.index("Linker script and memory map"):]
# Input sections: " NAME ADDR SIZE FILE", the name alone on the line before
# when it is long. Output sections start in column 0.
NOT_LOADED = (".comment", ".debug", ".note.GNU-stack", ".gnu.attributes", ".ARM.attributes")
by_member = collections.Counter()
by_kind = collections.Counter()
bss = 0
out_sec = pending = None
for line in text.splitlines():
    if re.match(r"^\.\S+", line):
        out_sec = line.split()[0]
        continue
    m = re.match(r"^ (\.\S+)\s*$", line)
    if m:
        pending = m.group(1)
        continue
    m = re.match(r"^ (\.\S+)?\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(\S+libkilnrt\.a)\((\S+)\)\s*$", line)
    name, pending = (m.group(1) or pending) if m else None, None
    if not m or out_sec is None or out_sec.startswith(NOT_LOADED):
        continue
    size = int(m.group(2), 16)
    if out_sec in (".bss", ".tbss"):
        bss += size
        continue
    by_member[m.group(4)] += size
    kind = next((k for k in (".text", ".rodata", ".eh_frame", ".data") if name.startswith(k)), name)
    by_kind[kind] += size
total = sum(by_member.values())
if not total:
    sys.exit("runtime_size: no libkilnrt.a sections in the link map")
print("runtime size: libkilnrt.a in a CPU-only aarch64 app (examples/classify-c, "
      "gcc -O2, --gc-sections, stripped)")
print(f"  total: {total} bytes ({total / 1024:.1f} KB)  + {bss} bytes .bss")
print("  by section: " + ", ".join(f"{k} {v}" for k, v in by_kind.most_common()))
print("  by member:")
for member, size in by_member.most_common():
    print(f"    {member:<20} {size:>7}")
app = os.path.getsize(stripped)
print(f"  the whole stripped app: {app} bytes ({app / 1024:.0f} KB; the model's weights are most of it)")
if max_kb and total > max_kb * 1024:
    sys.exit(f"runtime_size: {total / 1024:.1f} KB is above the {max_kb:g} KB goal")
PY
