#!/usr/bin/env bash
# Installs dependencies, configures, builds and runs the whole test suite.
#   tools/test.sh                 # everything (GPU tests report themselves skipped without a GPU)
#   tools/test.sh -L simt         # extra arguments go to ctest
# Environment: BUILD_DIR (default build), CSGIS_CUDA (ON/OFF, default: ON when nvcc is found),
#              JOBS (parallel build jobs, default: number of cores).
set -euo pipefail
cd "$(dirname "$0")/.."

bash tools/setup-deps.sh

BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-$(nproc)}
if [ -x /usr/local/cuda/bin/nvcc ] && ! command -v nvcc >/dev/null 2>&1; then
  export PATH=/usr/local/cuda/bin:$PATH
fi
cmake_args=(-S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release)
if [ -n "${CSGIS_CUDA:-}" ]; then cmake_args+=(-DCSGIS_CUDA="$CSGIS_CUDA"); fi

echo "== configure ($BUILD_DIR)"
cmake "${cmake_args[@]}" >"$BUILD_DIR.configure.log" 2>&1 || { cat "$BUILD_DIR.configure.log"; exit 1; }
grep -E "CUDA|warning" "$BUILD_DIR.configure.log" | head -5 || true
echo "== build ($JOBS jobs)"
start=$(date +%s)
cmake --build "$BUILD_DIR" -j "$JOBS"
echo "== built in $(( $(date +%s) - start )) s"
echo "== test"
cd "$BUILD_DIR"
ctest --output-on-failure -j 2 "$@"
