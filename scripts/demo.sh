#!/usr/bin/env bash
# Kiln in one minute: build, compile the bundled sample model ahead of time
# to a shared object, run it, and check it against onnxruntime's output.
#   scripts/demo.sh [--no-build]
# KILN_BIN (default build/bin) is where kilnc and kiln-run are found.
set -euo pipefail
cd "$(dirname "$0")/.."

build=1
for arg in "$@"; do
  case "$arg" in
    --no-build) build=0 ;;
    -h|--help) sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo: unknown argument $arg" >&2; exit 2 ;;
  esac
done
((build)) && scripts/build.sh

BIN=${KILN_BIN:-build/bin}
MODEL=models/sample/mobilenet_tiny.onnx
INPUT=models/sample/input.npy
OUT=build/demo
mkdir -p "$OUT"

echo
echo "== kilnc: $MODEL -> $OUT/mobilenet_tiny.so (x86_64-linux-gnu)"
start=$EPOCHREALTIME
"$BIN/kilnc" "$MODEL" --target=x86_64-linux-gnu --emit=shared \
  -o "$OUT/mobilenet_tiny.so"
end=$EPOCHREALTIME
awk -v a="$start" -v b="$end" -v n="$(stat -c %s "$OUT/mobilenet_tiny.so")" \
  'BEGIN { printf "compiled in %.2f s, %d bytes\n", b - a, n }'

echo
echo "== kiln-run: 20 runs, top-5 classes (the weights are random: the classes mean nothing)"
rm -rf "$OUT/out"
"$BIN/kiln-run" "$OUT/mobilenet_tiny.so" --input "input=$INPUT" \
  --output-dir "$OUT/out" --runs 20 --top 5

echo
echo "== check against onnxruntime (models/sample/expected_output.npy)"
/usr/bin/python3 - "$OUT/out/output.npy" models/sample/expected_output.npy <<'PY'
import sys
import numpy as np
got, ref = (np.load(p).astype(np.float64) for p in sys.argv[1:3])
if got.shape != ref.shape:
    sys.exit(f"demo: output shape {got.shape} != expected {ref.shape}")
err = np.abs(got - ref)
ok = bool((err <= 1e-4 + 1e-3 * np.abs(ref)).all())
same_top5 = list(np.argsort(-got[0])[:5]) == list(np.argsort(-ref[0])[:5])
print(f"max abs error {err.max():.2e}; top-5 {'identical' if same_top5 else 'DIFFERENT'}; "
      f"{'matches' if ok else 'DOES NOT MATCH'} onnxruntime "
      "(|kiln - ort| <= 1e-4 + 1e-3*|ort|)")
sys.exit(0 if ok else 1)
PY
