#!/usr/bin/env bash
# The sanitizer and fuzzing stage of the test suite (docs/reliability.md), run by tools/test.sh:
#   asan  clang, AddressSanitizer + UndefinedBehaviorSanitizer (any finding is fatal), CUDA off:
#         the unit, gradcheck and simt test cases (the CLI tests among them drive the sanitized
#         driver), and the libFuzzer targets of tests/fuzz built in the same tree
#   fuzz  each libFuzzer target for FUZZ_SECONDS (default 60) from its committed seed corpus
#         (tests/fuzz/corpus/<target>/); new inputs go to a scratch folder, never into the repo;
#         a crash input is kept under BUILD/fuzz-artifacts/ and fails the stage
#   tsan  clang, ThreadSanitizer, only the [threads] test cases (the threaded loader, the threaded
#         data-set builder, two contexts on two threads) and the libraries under them; OpenMP is
#         LLVM's libomp with its TSan tool (archer), so its barriers are understood
# Usage: tools/sanitize.sh [asan|fuzz|tsan ...]   (default: all three)
# Environment: ASAN_BUILD_DIR (build-asan), TSAN_BUILD_DIR (build-tsan), JOBS, FUZZ_SECONDS.
set -euo pipefail
cd "$(dirname "$0")/.."

stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(asan fuzz tsan)
ASAN_BUILD_DIR=${ASAN_BUILD_DIR:-build-asan}
TSAN_BUILD_DIR=${TSAN_BUILD_DIR:-build-tsan}
JOBS=${JOBS:-$(nproc)}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_TARGETS=(fuzz_safetensors fuzz_image fuzz_pat fuzz_train_config)
export CCACHE_NOHASHDIR=1  # line tables carry no build path worth a cache miss

for tool in clang clang++ llvm-symbolizer; do
  command -v "$tool" >/dev/null || { echo "sanitize: '$tool' not found; run tools/setup-deps.sh" >&2; exit 1; }
done
ARCHER=$(clang -print-resource-dir)/../../libarcher.so

configure() {  # DIR FLAGS EXTRA_CMAKE_ARGS...
  local dir=$1 flags=$2
  shift 2
  CC=clang CXX=clang++ cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCSGIS_CUDA=OFF \
    -DCSGIS_BUILD_BENCH=OFF -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" "$@" >"$dir.configure.log" 2>&1 ||
    { cat "$dir.configure.log"; exit 1; }
}

timed() {  # LABEL COMMAND...: runs it and says how long it took
  local label=$1 start
  shift
  start=$(date +%s)
  "$@"
  echo "== $label: $(( $(date +%s) - start )) s"
}

run_asan() {
  local san="-fsanitize=address,undefined -fno-sanitize-recover=all"
  configure "$ASAN_BUILD_DIR" "-O1 -gline-tables-only -fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=all -fno-omit-frame-pointer" \
    -DCSGIS_FUZZ=ON -DCMAKE_EXE_LINKER_FLAGS="$san" -DCMAKE_SHARED_LINKER_FLAGS="$san"
  timed "asan build" cmake --build "$ASAN_BUILD_DIR" -j "$JOBS" --target csgis_tests csgis_driver "${FUZZ_TARGETS[@]}"
  # OMP_NUM_THREADS=2 as the ctest labels; detect_leaks: a leak is a finding too.
  timed "asan tests" env OMP_NUM_THREADS=2 ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:strict_string_checks=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$ASAN_BUILD_DIR/tests/csgis_tests" "[unit],[gradcheck],[simt]" --warn NoAssertions
}

run_fuzz() {
  local artifacts="$ASAN_BUILD_DIR/fuzz-artifacts" scratch="$ASAN_BUILD_DIR/fuzz-scratch" pids=() names=() failed=0
  mkdir -p "$artifacts"
  for t in "${FUZZ_TARGETS[@]}"; do
    [ -x "$ASAN_BUILD_DIR/tests/fuzz/$t" ] || { echo "sanitize: $t not built; run the asan stage first" >&2; exit 1; }
  done
  # Two targets at a time (2 cores); each one's log is shown in full only if it fails.
  local i=0
  for t in "${FUZZ_TARGETS[@]}"; do
    rm -rf "${scratch:?}/$t" && mkdir -p "$scratch/$t"
    OMP_NUM_THREADS=1 ASAN_OPTIONS=detect_leaks=1 TMPDIR="$scratch/$t" "$ASAN_BUILD_DIR/tests/fuzz/$t" \
      -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 -malloc_limit_mb=512 -timeout=10 -print_final_stats=1 \
      -artifact_prefix="$artifacts/$t-" "$scratch/$t" "tests/fuzz/corpus/$t" >"$scratch/$t.log" 2>&1 &
    pids+=($!) names+=("$t")
    i=$((i + 1))
    if [ $((i % 2)) -eq 0 ] || [ $i -eq ${#FUZZ_TARGETS[@]} ]; then
      for k in "${!pids[@]}"; do
        if wait "${pids[$k]}"; then
          echo "== fuzz ${names[$k]}: $(grep -o 'stat::number_of_executed_units: [0-9]*' "$scratch/${names[$k]}.log" | awk '{print $2}') executions in ${FUZZ_SECONDS} s, no finding"
        else
          failed=1
          echo "== fuzz ${names[$k]}: FAILED (crash input under $artifacts/)"
          tail -n 60 "$scratch/${names[$k]}.log"
        fi
      done
      pids=() names=()
    fi
  done
  [ $failed -eq 0 ]
}

run_tsan() {
  configure "$TSAN_BUILD_DIR" "-O1 -gline-tables-only -fno-omit-frame-pointer -fsanitize=thread" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=thread" \
    -DCSGIS_TEST_TAG_FILTER=threads
  timed "tsan build" cmake --build "$TSAN_BUILD_DIR" -j "$JOBS" --target csgis_tests
  # OpenBLAS's own pthread pool is not instrumented: keep it to the calling thread.
  # ignore_noninstrumented_modules: what archer asks for (libomp's own calls into TSan's interceptors).
  timed "tsan tests" env OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1 OMP_TOOL_LIBRARIES="$ARCHER" \
    TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:ignore_noninstrumented_modules=1:suppressions=$PWD/tests/tsan.supp" \
    "$TSAN_BUILD_DIR/tests/csgis_tests" "[threads]"
}

for s in "${stages[@]}"; do
  case $s in
    asan) run_asan ;;
    fuzz) run_fuzz ;;
    tsan) run_tsan ;;
    *) echo "sanitize: unknown stage '$s' (expected asan, fuzz or tsan)" >&2; exit 2 ;;
  esac
done
