#!/usr/bin/env bash
# Everything CI checks, in order:
#   1. build (scripts/build.sh: setup, configure, build with the default preset)
#   2. unit + lit tests (ctest --test-dir build), op tests (test/ops vs onnxruntime),
#      ONNX backend conformance (test/conformance, against test/conformance/xfail.txt),
#      kilnc --report pages in headless Chromium (test/report)
#   3. model tests on x86_64: the seven torchvision models and the bundled
#      sample, compiled with kilnc, run with kiln-run, against onnxruntime;
#      the op tests and the model tests again on the OpenCL variant (POCL),
#      also partitioned; the NNA variant on the simulator against the int8
#      CPU variant, bit for bit (test/quant/run_nna_tests.py)
#   4. everything built again under ASan + UBSan (preset asan, build-asan/)
#      and its unit and lit tests run; fuzz smoke (scripts/fuzz.sh
#      --smoke: the descriptor, .npy, .pb, OpenCL plan, NNA stream, NNA
#      plan and variant table parsers and the ONNX importer under
#      libFuzzer + ASan/UBSan, 10 s each), then
#      pattern pruning (test/prune): kilnc --prune=pattern against a NumPy
#      implementation, its outputs against onnxruntime on the pruned weights
#   5. the aarch64 runtime cross build (preset aarch64-runtime, build-aarch64/)
#   6. the installed package (test/install): build/ and build-aarch64/
#      installed, the example apps (examples/) built out of tree with
#      find_package(Kiln) and pkg-config, run on x86-64 and under qemu, and
#      the runtime's size in a CPU-only aarch64 app (scripts/runtime_size.sh)
#   7. model tests on aarch64 under qemu: mobilenet_v2, resnet18 and the sample,
#      and the pattern kernel on aarch64 (ResNet18 pruned 8x)
#
#   scripts/test.sh [--quick] [--no-build] [--jobs N] [--docs] [--sanitize]
#     --quick     model tests on the bundled sample only (skips the slow ones)
#     --sanitize  also run x86-64 model tests (sample, ResNet18) with the
#                 sanitized kilnc and kiln-run
#     --no-build  use the existing build/ as it is
#     --jobs N    models tested in parallel (default 2)
#     --docs      regenerate docs/models.md from the model-test summaries and
#                 the pruning table of docs/benchmarks.md
#
# Prints a summary of every step; exits non-zero if any step failed.
# KILN_BIN (default build/bin) is where kilnc and kiln-run are found.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0 build=1 jobs=${KILN_TEST_JOBS:-2} docs=() sanitize=0
while (($#)); do
  case "$1" in
    --quick) quick=1 ;;
    --no-build) build=0 ;;
    --jobs) jobs=${2:?--jobs needs a value}; shift ;;
    --docs) docs=(--write-docs) ;;
    --sanitize) sanitize=1 ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "test: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

PY=/usr/bin/python3
MODEL_TESTS=(test/models/run_model_tests.py --jobs "$jobs")
X86_MODELS=mobilenet_v2,mobilenet_v3_small,resnet18,resnet50,squeezenet1_1,shufflenet_v2_x1_0,efficientnet_b0,mobilenet_tiny
ARM_MODELS=mobilenet_v2,resnet18,mobilenet_tiny
SAMPLE=mobilenet_tiny
# POCL finds no device without a writable cache directory.
export POCL_CACHE_DIR=${POCL_CACHE_DIR:-$PWD/build/pocl-cache}

names=() results=() times=()
failed=0

record() {  # name result seconds
  names+=("$1") results+=("$2") times+=("$3")
}

step() {  # name command...
  local name=$1
  shift
  echo
  echo "== $name"
  local t0=$EPOCHREALTIME rc=0
  "$@" || rc=$?
  local dt
  dt=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')
  if ((rc == 0)); then
    record "$name" PASS "$dt"
  else
    record "$name" "FAIL" "$dt"
    failed=$((failed + 1))
  fi
  return $rc
}

skip() {  # name reason
  echo
  echo "== $1: skipped ($2)"
  record "$1" "SKIP" "-"
}

summary() {
  echo
  echo "== summary"
  local i
  for i in "${!names[@]}"; do
    printf '  %-4s  %-48s %6s s\n' "${results[$i]}" "${names[$i]}" "${times[$i]}"
  done
  if ((failed)); then
    echo "test: $failed step(s) failed"
  else
    echo "test: all steps passed$( ((quick)) && echo ' (quick: slow model tests skipped)')"
  fi
}

aarch64_runtime() {
  if [[ ! -f build-aarch64/build.ninja ]]; then
    cmake --preset aarch64-runtime
  fi
  cmake --build --preset aarch64-runtime
}

mkdir -p build
mkdir -p "$POCL_CACHE_DIR"

if ((build)); then
  if ! step "build (preset default)" scripts/build.sh; then
    summary
    exit 1
  fi
fi

step "unit + lit tests (ctest)" \
  ctest --test-dir build --output-on-failure --no-tests=error -j "$(nproc)" || true

step "op tests x86_64 (test/ops)" \
  "$PY" test/ops/run_op_tests.py --jobs "$jobs" || true

step "ONNX conformance x86_64 (test/conformance)" \
  "$PY" test/conformance/run_conformance.py --jobs "$jobs" || true

step "compile report in headless Chromium (test/report)" \
  "$PY" test/report/run_report_test.py || true

if ((quick)); then
  step "model test x86_64: $SAMPLE" \
    "$PY" "${MODEL_TESTS[@]}" --models "$SAMPLE" --tag quick || true
else
  step "model tests x86_64: 7 models + $SAMPLE" \
    "$PY" "${MODEL_TESTS[@]}" --models "$X86_MODELS" "${docs[@]}" || true
fi

# The OpenCL variant, run by POCL (OpenCL on this CPU): no fallback, so a
# CPU result cannot pass for it.
step "op tests OpenCL (POCL): the cases the OpenCL target compiles" \
  "$PY" test/ops/run_op_tests.py --gpu --jobs "$jobs" || true
if ((quick)); then
  step "model test OpenCL (POCL): $SAMPLE" \
    "$PY" "${MODEL_TESTS[@]}" --gpu --models "$SAMPLE" --tag quick || true
else
  step "model tests OpenCL (POCL): 7 models + $SAMPLE" \
    "$PY" "${MODEL_TESTS[@]}" --gpu --models "$X86_MODELS" "${docs[@]}" || true
  # Partitioned: the adds (residual groups), pools and concats kept on the
  # CPU, so every model alternates 15-18 times between GPU and CPU segments.
  step "model tests OpenCL partitioned (POCL + CPU segments): 3 models" \
    "$PY" "${MODEL_TESTS[@]}" --gpu --models resnet18,mobilenet_v2,shufflenet_v2_x1_0 \
    --kilnc-args="--cpu-ops=add,global_avg_pool,max_pool,concat" \
    --tag partitioned || true
fi

# The NNA variant on the simulator against the int8 CPU variant, bit for
# bit (fused and layer by layer, both configurations).
NNA_MODELS=mobilenet_tiny,resnet18
((quick)) && NNA_MODELS=mobilenet_tiny
step "NNA variant (simulator) vs int8 CPU, bit-exact: $NNA_MODELS" \
  "$PY" test/quant/run_nna_tests.py --models "$NNA_MODELS" --inputs 2 || true

# POCL and its LLVM keep state they never free: their leaks are suppressed,
# Kiln's are not. The qemu plugin cannot load into an uninstrumented qemu.
export LSAN_OPTIONS=suppressions=$PWD/test/lsan.supp
# Kiln's code is instrumented, libMLIR/libLLVM are not: an allocator slab
# poisoned by LLVM's BumpPtrAllocator inlined into Kiln is handed out by the
# uninstrumented copy in libMLIR without unpoisoning, a false
# use-after-poison. Manual poisoning is turned off; ASan's own checks stay.
export ASAN_OPTIONS=allow_user_poisoning=0
sanitized() {  # preset: configure and build it in build-PRESET, run its ctest
  cmake --preset "$1" >/dev/null && cmake --build --preset "$1" &&
    ctest --test-dir "build-$1" --output-on-failure --no-tests=error \
      -E qemu-icount -j "$(nproc)"
}
if step "build + unit + lit tests under ASan + UBSan (preset asan, build-asan)" \
  sanitized asan && ((sanitize)); then
  step "model tests x86_64 under ASan + UBSan: $SAMPLE, resnet18" \
    env KILN_BIN=build-asan/bin "$PY" "${MODEL_TESTS[@]}" \
    --models "$SAMPLE,resnet18" --work-dir build-asan/model-tests || true
fi

step "fuzz smoke: runtime parsers and the ONNX importer, 10 s each" \
  scripts/fuzz.sh --smoke || true

if ((quick)); then
  step "pattern pruning vs NumPy + onnxruntime: $SAMPLE" \
    "$PY" test/prune/run_prune_tests.py --models "$SAMPLE" || true
else
  step "pattern pruning vs NumPy + onnxruntime: $SAMPLE, resnet18, mobilenet_v2" \
    "$PY" test/prune/run_prune_tests.py "${docs[@]}" || true
  # The AVX-512 tiles (pairs of 7-wide rows) only run where the host has it.
  if grep -qw avx512f /proc/cpuinfo; then
    step "pattern kernel AVX-512 (--mcpu=native --autotune): resnet18 at 8x" \
      "$PY" test/prune/run_prune_tests.py --models resnet18 \
      --connectivity 0.71875 --kilnc-args="--mcpu=native --autotune" || true
  else
    skip "pattern kernel AVX-512" "the host has no AVX-512"
  fi
fi

if step "aarch64 runtime cross build (build-aarch64)" aarch64_runtime; then
  step "install + examples out of tree (x86-64, aarch64 under qemu)" \
    "$PY" test/install/run_install_test.py || true
  if ((quick)); then
    step "model test aarch64 (qemu): $SAMPLE" \
      "$PY" "${MODEL_TESTS[@]}" --aarch64 --models "$SAMPLE" --tag quick || true
  else
    step "model tests aarch64 (qemu): $ARM_MODELS" \
      "$PY" "${MODEL_TESTS[@]}" --aarch64 --models "$ARM_MODELS" "${docs[@]}" || true
    # The cross-built runtime's OpenCL executor on a device without OpenCL
    # (qemu's sysroot has no ICD loader): the fallback runs the CPU variant.
    step "model test aarch64 GPU variant (qemu, no OpenCL: CPU fallback): $SAMPLE" \
      "$PY" "${MODEL_TESTS[@]}" --aarch64 --gpu --models "$SAMPLE" || true
    step "pattern kernel aarch64 (qemu): resnet18 at 8x" \
      "$PY" test/prune/run_prune_tests.py --models resnet18 \
      --connectivity 0.71875 --aarch64 || true
  fi
else
  step "install + examples out of tree (x86-64 only)" \
    "$PY" test/install/run_install_test.py --no-aarch64 || true
  skip "model tests aarch64 (qemu)" "no aarch64 runtime"
fi

summary
((failed == 0))
