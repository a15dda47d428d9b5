#!/usr/bin/env bash
# Builds the test suite with GCC's AddressSanitizer + UndefinedBehaviorSanitizer (Debug, -O1, CUDA
# off) and runs the unit, gradcheck and simt test cases; the CLI tests then drive the sanitized
# driver too. Dev-only for now (26 minutes to build on 2 cores without a compiler cache, so not
# yet in .ci/run; docs/reliability.md). Usage: tools/dev/sanitize.sh [BUILD_DIR]  (default build-asan)
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR=${1:-build-asan}
flags="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer"
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCSGIS_CUDA=OFF -DCSGIS_BUILD_BENCH=OFF \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >"$BUILD_DIR.configure.log"
cmake --build "$BUILD_DIR" -j "$(nproc)" --target csgis_tests csgis_driver
# halt_on_error: any finding fails the run (UBSan would otherwise only print).
ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  "$BUILD_DIR/tests/csgis_tests" "[unit],[gradcheck],[simt]"
