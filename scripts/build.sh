#!/usr/bin/env bash
# Build Kiln (compiler + runtime + tests) for the workstation into build/.
#   scripts/build.sh [extra `cmake --build` arguments, e.g. --target kilnc]
# Installs missing packages first (scripts/setup.sh), configures with the
# `default` preset when build/ is not configured yet, then builds.
# KILN_JOBS=N limits parallel compile jobs (each heavy MLIR TU takes ~1 GB).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
if [[ ! -f build/build.ninja ]]; then
  cmake --preset default
fi
jobs=()
[[ -n "${KILN_JOBS:-}" ]] && jobs=(-j "$KILN_JOBS")
cmake --build --preset default "${jobs[@]}" "$@"
