#!/usr/bin/env bash
# Installs everything Kiln needs from Debian's packages and npm. Idempotent:
# packages already present are skipped, so a second run does no work.
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(
  # compiler toolchain
  cmake ninja-build ccache clang-22 lld-22 llvm-22-dev llvm-22-tools
  libmlir-22-dev mlir-22-tools
  # libFuzzer and the sanitizer runtimes (scripts/fuzz.sh, runtime/fuzz)
  libclang-rt-22-dev
  # ONNX import
  libonnx-dev libonnx-testdata protobuf-compiler libprotobuf-dev
  # kernels
  libhalide14-0-dev
  # cross targets
  gcc-aarch64-linux-gnu g++-aarch64-linux-gnu qemu-user
  # tests and model export
  python3-onnx python3-numpy python3-torch python3-torchvision
  googletest libgtest-dev
  # OpenCL target: the ICD loader and headers, and POCL (OpenCL on the CPU)
  # to run the GPU path in tests
  ocl-icd-opencl-dev opencl-c-headers pocl-opencl-icd clinfo
  # benchmark charts (scripts/bench.sh)
  gnuplot-nox
  # the compile report test loads kilnc --report pages in it (test/report)
  chromium
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
    missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# node/npm come with the machine (NodeSource build; Debian's npm conflicts).
command -v npm >/dev/null || { echo 'setup: npm not found' >&2; exit 1; }

# onnxruntime is the numerical reference; its postinstall would try to
# download binaries, but the npm package already ships libonnxruntime.
if [[ ! -d tools/ort/node_modules/onnxruntime-node ]]; then
  echo "setup: installing onnxruntime-node@1.30.0"
  (cd tools/ort && npm install --no-audit --no-fund \
     --onnxruntime-node-install=skip >/dev/null)
fi
echo "setup: ok"
