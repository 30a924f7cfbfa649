#!/usr/bin/env bash
# Runs Kiln's libFuzzer targets: the runtime's parsers (runtime/fuzz/README.md)
# and the ONNX importer (compiler/onnx/fuzz/README.md). Builds what the
# chosen targets need when needed: build-fuzz (the runtime's standalone CMake
# project, clang-22, ASan + UBSan) and, for onnx_import, build-fuzz-importer
# (preset fuzz-importer: only kiln_onnx_import_fuzz, the importer and the nn
# dialect instrumented, about 1.5 min cold on 2 cores). Then fuzzes each
# target for a given time, one after another, on a copy of its committed
# corpus in <build>/corpus-work/<target> (kept between runs, so that later
# runs start from what earlier ones found).
#
#   scripts/fuzz.sh [--time SECONDS] [--targets a,b] [--jobs N] [--smoke]
#
#   --time S      seconds per target (default 60)
#   --targets L   comma-separated, from: descriptor, npy, pb, opencl_plan,
#                 nna_stream, nna_plan, variant_table, onnx_import (default
#                 all);
#                 kiln_<name>_fuzz is accepted too
#   --jobs N      libFuzzer processes per target (default 1; N > 1 uses
#                 libFuzzer's -fork=N)
#   --smoke       10 s per target, for CI
#
# Prints per target the executions done (libFuzzer's final
# stat::number_of_executed_units), exec/s, the coverage reached and the
# inputs it added, and whether it crashed. Exits 1 when any target crashed
# (or found a leak, UB, a timeout or an out-of-memory); the input is left in
# <build>/crashes/ and the log in <build>/logs/<target>.log (<build>:
# build-fuzz, or build-fuzz-importer for onnx_import). onnx_import runs with
# ASAN_OPTIONS=allow_user_poisoning=0 (libMLIR is uninstrumented; see its
# README). Needs clang-22 with libFuzzer (Debian: libclang-rt-22-dev).
set -euo pipefail
cd "$(dirname "$0")/.."

TIME=60
RUNTIME_TARGETS="descriptor npy pb opencl_plan nna_stream nna_plan variant_table"
TARGETS=descriptor,npy,pb,opencl_plan,nna_stream,nna_plan,variant_table,onnx_import
JOBS=1
usage() { sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
while (($#)); do
  case "$1" in
  --time) TIME="$2"; shift 2 ;;
  --time=*) TIME="${1#*=}"; shift ;;
  --targets) TARGETS="$2"; shift 2 ;;
  --targets=*) TARGETS="${1#*=}"; shift ;;
  --jobs) JOBS="$2"; shift 2 ;;
  --jobs=*) JOBS="${1#*=}"; shift ;;
  --smoke) TIME=10; shift ;;
  -h | --help) usage; exit 0 ;;
  *) echo "fuzz: unknown argument '$1' (--help)" >&2; exit 2 ;;
  esac
done
[[ "$TIME" =~ ^[0-9]+$ && "$TIME" -gt 0 ]] ||
  { echo "fuzz: --time wants a positive number of seconds" >&2; exit 2; }
[[ "$JOBS" =~ ^[0-9]+$ && "$JOBS" -gt 0 ]] ||
  { echo "fuzz: --jobs wants a positive number" >&2; exit 2; }

# Target names, validated before anything is built.
IFS=, read -ra LIST <<<"$TARGETS"
need_runtime=0 need_importer=0
for i in "${!LIST[@]}"; do
  t=${LIST[$i]#kiln_}
  t=${t%_fuzz}
  LIST[$i]=$t
  if [[ $t == onnx_import ]]; then
    need_importer=1
  elif [[ " $RUNTIME_TARGETS " == *" $t "* ]]; then
    need_runtime=1
  else
    echo "fuzz: no target '$t' (${RUNTIME_TARGETS// /, }, onnx_import)" >&2
    exit 2
  fi
done

BUILD=build-fuzz
IMPORTER_BUILD=build-fuzz-importer
CC_FUZZ=${KILN_FUZZ_CC:-clang-22}
RESOURCE=$("$CC_FUZZ" -print-resource-dir 2>/dev/null || true)
if [[ -z "$RESOURCE" ]] ||
  ! compgen -G "$RESOURCE/lib/*/libclang_rt.fuzzer*.a" >/dev/null; then
  echo "fuzz: $CC_FUZZ has no libFuzzer runtime (Debian: apt-get install" \
    "libclang-rt-22-dev)" >&2
  exit 2
fi
if ((need_runtime)); then
  if [[ ! -f $BUILD/build.ninja ]]; then
    cmake -S runtime/fuzz -B $BUILD -G Ninja -DCMAKE_C_COMPILER="$CC_FUZZ" \
      -DCMAKE_CXX_COMPILER="${KILN_FUZZ_CXX:-clang++-22}" >/dev/null
  fi
  ninja -C $BUILD >/dev/null
fi
if ((need_importer)); then
  # The preset names clang-22; KILN_FUZZ_CC/CXX are the runtime build's.
  if [[ ! -f $IMPORTER_BUILD/build.ninja ]]; then
    cmake --preset fuzz-importer >/dev/null
  fi
  echo "fuzz: building $IMPORTER_BUILD (kiln_onnx_import_fuzz)"
  ninja -C $IMPORTER_BUILD kiln_onnx_import_fuzz >/dev/null
fi

declare -a SUMMARY FAILED_DIRS
failed=0
for t in "${LIST[@]}"; do
  env_vars=()
  if [[ $t == onnx_import ]]; then
    build=$IMPORTER_BUILD
    exe=$build/bin/kiln_onnx_import_fuzz
    corpus=compiler/onnx/fuzz/corpus
    dictfile=compiler/onnx/fuzz/onnx.dict
    # Kiln's code is instrumented, libMLIR is not: LLVM's BumpPtrAllocator
    # inlined into Kiln poisons slabs that libMLIR's copy hands out without
    # unpoisoning (a false use-after-poison; scripts/test.sh does the same).
    env_vars=(ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}allow_user_poisoning=0")
  else
    build=$BUILD
    exe=$build/kiln_${t}_fuzz
    corpus=runtime/fuzz/corpus/$t
    dictfile=runtime/fuzz/$t.dict
  fi
  mkdir -p "$build/crashes" "$build/logs" "$build/corpus-work"
  work=$build/corpus-work/$t
  mkdir -p "$work"
  cp -n "$corpus"/* "$work"/ 2>/dev/null || true
  corpus_before=$(find "$work" -type f | wc -l)
  dict=()
  [[ -f $dictfile ]] && dict=(-dict="$dictfile")
  par=()
  ((JOBS > 1)) && par=(-fork="$JOBS")
  log=$build/logs/$t.log
  echo "fuzz: $t for ${TIME}s (log: $log)"
  set +e
  env "${env_vars[@]}" "$exe" "$work" "${dict[@]}" "${par[@]}" \
    -max_total_time="$TIME" -print_final_stats=1 -timeout=10 \
    -rss_limit_mb=2048 -artifact_prefix="$build/crashes/$t-" >"$log" 2>&1
  rc=$?
  set -e
  stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -1; }
  execs=$(stat number_of_executed_units)
  rate=$(stat average_exec_per_sec)
  added=$(stat new_units_added)
  if [[ -z "$execs" ]]; then
    # -fork mode prints no final stats: take the last status line.
    execs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')
    rate=$(grep -o 'exec/s: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  fi
  cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -1)
  corpus_after=$(find "$work" -type f | wc -l)
  if ((rc != 0)); then
    failed=1
    FAILED_DIRS+=("$build/crashes/")
    status="CRASH (exit $rc): $(grep -m1 -o 'ERROR: [A-Za-z]*: [^ ]*.*' "$log" || grep -m1 -o 'runtime error: .*' "$log" || grep -m1 'check failed' "$log" || echo 'see log')"
    grep 'Test unit written to' "$log" | sed 's/^/  /' || true
  else
    status="no crash"
  fi
  line=$(printf '%-11s %12s execs %8s exec/s  %-20s corpus %d -> %d (+%s new)  %s' \
    "$t" "${execs:-?}" "${rate:-?}" "${cov:-cov: ?}" "$corpus_before" \
    "$corpus_after" "${added:-?}" "$status")
  echo "$line"
  SUMMARY+=("$line")
done
echo "fuzz: summary (${TIME}s per target)"
printf '  %s\n' "${SUMMARY[@]}"
if ((failed)); then
  echo "fuzz: FAILED: crash inputs in $(printf '%s\n' "${FAILED_DIRS[@]}" |
    sort -u | tr '\n' ' ')" >&2
  exit 1
fi
