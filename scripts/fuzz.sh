#!/usr/bin/env bash
# Runs the runtime's libFuzzer targets (runtime/fuzz/README.md): builds
# build-fuzz (a standalone CMake project, clang-22, ASan + UBSan) when needed,
# then fuzzes each target for a given time, one after another, on a copy of
# its committed corpus in build-fuzz/corpus-work/<target> (kept between runs,
# so that later runs start from what earlier ones found).
#
#   scripts/fuzz.sh [--time SECONDS] [--targets a,b] [--jobs N] [--smoke]
#
#   --time S      seconds per target (default 60)
#   --targets L   comma-separated, from: descriptor, npy, pb, opencl_plan,
#                 nna_stream, nna_plan (default all);
#                 kiln_<name>_fuzz is accepted too
#   --jobs N      libFuzzer processes per target (default 1; N > 1 uses
#                 libFuzzer's -fork=N)
#   --smoke       10 s per target, for CI
#
# Prints per target the executions done (libFuzzer's final
# stat::number_of_executed_units), exec/s, the coverage reached and the
# inputs it added, and whether it crashed. Exits 1 when any target crashed
# (or found a leak, UB, a timeout or an out-of-memory); the input is left in
# build-fuzz/crashes/ and the log in build-fuzz/logs/<target>.log.
# Needs clang-22 with libFuzzer (Debian: libclang-rt-22-dev).
set -euo pipefail
cd "$(dirname "$0")/.."

TIME=60
TARGETS=descriptor,npy,pb,opencl_plan,nna_stream,nna_plan
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

BUILD=build-fuzz
CC_FUZZ=${KILN_FUZZ_CC:-clang-22}
RESOURCE=$("$CC_FUZZ" -print-resource-dir 2>/dev/null || true)
if [[ -z "$RESOURCE" ]] ||
  ! compgen -G "$RESOURCE/lib/*/libclang_rt.fuzzer*.a" >/dev/null; then
  echo "fuzz: $CC_FUZZ has no libFuzzer runtime (Debian: apt-get install" \
    "libclang-rt-22-dev)" >&2
  exit 2
fi
if [[ ! -f $BUILD/build.ninja ]]; then
  cmake -S runtime/fuzz -B $BUILD -G Ninja -DCMAKE_C_COMPILER="$CC_FUZZ" \
    -DCMAKE_CXX_COMPILER="${KILN_FUZZ_CXX:-clang++-22}" >/dev/null
fi
ninja -C $BUILD >/dev/null

mkdir -p $BUILD/crashes $BUILD/logs $BUILD/corpus-work
declare -a SUMMARY
failed=0
IFS=, read -ra LIST <<<"$TARGETS"
for t in "${LIST[@]}"; do
  t=${t#kiln_}
  t=${t%_fuzz}
  exe=$BUILD/kiln_${t}_fuzz
  [[ -x $exe ]] || { echo "fuzz: no target '$t' (descriptor, npy, pb, opencl_plan, nna_stream, nna_plan)" >&2; exit 2; }
  work=$BUILD/corpus-work/$t
  mkdir -p "$work"
  cp -n runtime/fuzz/corpus/"$t"/* "$work"/ 2>/dev/null || true
  corpus_before=$(find "$work" -type f | wc -l)
  dict=()
  [[ -f runtime/fuzz/$t.dict ]] && dict=(-dict=runtime/fuzz/$t.dict)
  par=()
  ((JOBS > 1)) && par=(-fork="$JOBS")
  log=$BUILD/logs/$t.log
  echo "fuzz: $t for ${TIME}s (log: $log)"
  set +e
  "$exe" "$work" "${dict[@]}" "${par[@]}" -max_total_time="$TIME" \
    -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$BUILD/crashes/$t-" >"$log" 2>&1
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
    status="CRASH (exit $rc): $(grep -m1 -o 'ERROR: [A-Za-z]*: [^ ]*.*' "$log" || grep -m1 'check failed' "$log" || echo 'see log')"
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
  echo "fuzz: FAILED: crash inputs in $BUILD/crashes/" >&2
  exit 1
fi
