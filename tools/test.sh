#!/usr/bin/env bash
# Installs dependencies, configures, builds and runs the whole test suite.
#   tools/test.sh                 # everything (GPU tests report themselves skipped without a GPU)
#   tools/test.sh -L simt         # extra arguments go to ctest (and skip the sanitizer stage)
# Without arguments the sanitizer and fuzzing stage follows (tools/sanitize.sh: ASan+UBSan tests,
# 60 s per fuzz target, TSan on the [threads] tests).
# Environment: BUILD_DIR (default build), CSGIS_CUDA (ON/OFF, default: ON when nvcc is found),
#              JOBS (parallel build jobs, default: number of cores),
#              CSGIS_SANITIZE (1: run the sanitizer stage even with ctest arguments, 0: skip it).
set -euo pipefail
cd "$(dirname "$0")/.."

bash tools/setup-deps.sh

# Compiler-cache hits for any clone location (paths below the checkout hash as relative ones).
export CCACHE_BASEDIR="$PWD"
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
sanitize=${CSGIS_SANITIZE:-$([ $# -eq 0 ] && echo 1 || echo 0)}
(cd "$BUILD_DIR" && ctest --output-on-failure -j 2 "$@")
if [ "$sanitize" = 1 ]; then
  echo "== sanitizers and fuzzers (tools/sanitize.sh)"
  bash tools/sanitize.sh
fi
