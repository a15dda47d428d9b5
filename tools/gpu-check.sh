#!/usr/bin/env bash
# Dev-only: the one prepared run on a lent GPU machine (H200, sm_90). It runs from the repository
# root there, after tools/gpu-pack.sh packed the binaries built here into .gpu-carry/:
#
#   device run, carry [".gpu-carry"]:  bash tools/gpu-check.sh [stages]
#
# Stages (default: all, in this order): info tests bench e2e profile sanitize. Every step has its own
# time limit, so one hanging kernel costs that step only, and a step that would end past
# GPU_CHECK_BUDGET seconds (default 440) is skipped; each writes its log (all come back in $OUT/logs.tgz), and a summary
# table comes last. Timings are medians measured in this one run: ours, cuDNN through our
# conv op (--cudnn), and PyTorch (the machine's python3) on the same shapes, float32, TF32 off.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/gpu-out}
mkdir -p "$OUT"
# At most 8 files come back from $OUT: every log goes to $LOG, packed into $OUT/logs.tgz after
# each stage (so a run cut short still returns what it did), with the summary and bench lines.
LOG=/tmp/gpu-logs
rm -rf "$LOG"
mkdir -p "$LOG"
stages=${*:-info tests bench e2e profile sanitize}
budget=${GPU_CHECK_BUDGET:-440}
summary="$LOG/summary.txt"
: > "$summary"
note() { echo "$*" | tee -a "$summary"; }
save() { tar -C "$(dirname "$LOG")" -czf "$OUT/logs.tgz" "$(basename "$LOG")" && cp "$summary" "$OUT/" && { [ ! -f "$b" ] || cp "$b" "$OUT/"; }; }

# The binaries and their libraries (glibc and CUDA's own come from the machine).
carry=/tmp/csgis-gpu
if [ ! -x "$carry/bin/csgis" ]; then
  mkdir -p "$carry"
  xz -dc .gpu-carry/carry.tar.xz | tar -C "$carry" -xf - || { note "FAIL: cannot unpack .gpu-carry/carry.tar.xz"; exit 1; }
fi
cudnn_dir=$(dirname "$(find / -xdev -name 'libcudnn.so.9' 2>/dev/null | head -1)")
cuda_lib=/usr/local/cuda/lib64
export LD_LIBRARY_PATH="$carry/lib:$cuda_lib:$cudnn_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# The binaries look for defaults (weights, fixtures) under the source path they were built in.
if [ ! -e /work/main ]; then mkdir -p /work && ln -s "$PWD" /work/main; fi
csgis=$carry/bin/csgis
tests=$carry/bin/csgis_tests

# stage NAME LIMIT_S COMMAND...: runs COMMAND with its output in $LOG/NAME.log, notes its exit status and seconds.
stage() {
  local name=$1 limit=$2
  shift 2
  if (( SECONDS + limit > budget )); then
    note "$(printf '%-28s skipped (the run budget of %ss)' "$name" "$budget")"
    return 0
  fi
  local t0=$SECONDS
  timeout -k 5 "$limit" "$@" > "$LOG/$name.log" 2>&1
  local rc=$?
  note "$(printf '%-28s rc=%-3s %4ss' "$name" "$rc" "$((SECONDS - t0))")"
  return $rc
}


# timed LIMIT COMMAND...: one benchmark line into $LOG/bench.jsonl (stderr to bench.err), within budget.
b="$LOG/bench.jsonl"
timed() {
  local limit=$1
  shift
  if (( SECONDS + limit > budget )); then
    echo "skipped (budget): $*" >> "$LOG/bench.err"
    return 0
  fi
  echo "+ $*" >> "$LOG/bench.err"
  timeout -k 5 "$limit" "$@" >> "$b" 2>> "$LOG/bench.err" || echo "rc=$?: $*" >> "$LOG/bench.err"
}
# PyTorch runs with the machine's own libraries, not the carried ones.
torch_py=(env -u LD_LIBRARY_PATH PYTHONUNBUFFERED=1 python3)
if [[ " $stages " == *" info "* ]]; then
  {
    date -u
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv
    nvcc --version | tail -1
    echo "cudnn: $cudnn_dir"
    ldd "$tests" | grep -i "not found\|cudnn\|cublas\|cudart"
    cuobjdump --list-elf "$tests" | head -3
    lscpu | grep 'Model name'
    env -u LD_LIBRARY_PATH python3 -c 'import torch; print("torch", torch.__version__, torch.backends.cudnn.version())'
  } > "$LOG/info.log" 2>&1
  cat "$LOG/info.log"
  save
fi

if [[ " $stages " == *" tests "* ]]; then
  stage gpu-tests 150 "$tests" "[gpu]" --durations yes
  grep -E "^(test cases|assertions)|FAILED|SKIPPED" "$LOG/gpu-tests.log" | head -20 | tee -a "$summary"
  save
fi

if [[ " $stages " == *" bench "* ]]; then
  : > "$b"
  # conv2d 64 -> 64, 3x3: ours, cuDNN through our op, PyTorch (cuDNN, TF32 off).
  for shape in "2 64 64 1" "8 64 128 1,2,3" "16 64 256 1"; do
    read -r n c s dils <<< "$shape"
    for d in ${dils//,/ }; do
      timed 40 "$csgis" bench conv2d --device cuda --batch "$n" --channels "$c" --size "$s" --dilation "$d" --repeats 20
      timed 40 "$csgis" bench conv2d --device cuda --cudnn --batch "$n" --channels "$c" --size "$s" --dilation "$d" --repeats 20
    done
    timed 60 "${torch_py[@]}" bench/peers/conv2d_torch.py --device cuda --batch "$n" --channels "$c" --size "$s" --dilations "$dils" --reps 20 --warmup 5
  done
  # The same layer with TF32 tensor cores allowed (PyTorch's default for convolutions).
  timed 40 "$csgis" bench conv2d --device cuda --cudnn --cudnn-tf32 --batch 8 --channels 64 --size 128 --repeats 20
  timed 60 "${torch_py[@]}" bench/peers/conv2d_torch.py --device cuda --tf32 --batch 8 --channels 64 --size 128 --dilations 1 --reps 20 --warmup 5
  # One training step of the paper's network (width 64, blocks 12/3/6), edge + reconstruction losses.
  for shape in "2 64" "8 128"; do
    read -r n s <<< "$shape"
    timed 90 "$csgis" bench train-step --device cuda --batch "$n" --size "$s" --repeats 10
    timed 90 "${torch_py[@]}" bench/peers/train_step_torch.py --device cuda --batch "$n" --size "$s" --repeats 10 --warmup 3
  done
  # PyTorch's mixed precision on the paper step: the reference for a BF16 step of ours.
  timed 90 "${torch_py[@]}" bench/peers/train_step_torch.py --device cuda --amp bf16 --batch 8 --size 128 --repeats 10 --warmup 3
  # The full model's step (configs/ablation-full.json: width 32, blocks 4/2/3, VGG16 + DeepLabv3+).
  timed 90 "$csgis" bench train-step --device cuda --config configs/ablation-full.json --batch 4 --size 96 --repeats 10
  timed 90 "${torch_py[@]}" bench/peers/train_step_torch.py --device cuda --full --dim 32 --blocks 4,2,3 --batch 4 --size 96 --repeats 10 --warmup 3
  # Inference of the paper's network on a 1024 x 1024 picture: PyTorch whole-image, ours as
  # `csgis smooth` runs it (windows of at most 384) and in one window.
  timed 90 "${torch_py[@]}" bench/peers/smooth_torch.py --device cuda --size 1024 --repeats 5 --save /tmp/jess_paper.safetensors
  timed 60 "$csgis" bench smooth --device cuda --weights /tmp/jess_paper.safetensors --size 1024 --repeats 5
  timed 60 "$csgis" bench smooth --device cuda --weights /tmp/jess_paper.safetensors --size 1024 --tile 1024 --repeats 5
  # Larger pictures: 16 megapixels (4096 x 4096), the shipped weights and the paper's network.
  timed 60 "$csgis" bench smooth --device cuda --size 4096 --repeats 3
  timed 60 "$csgis" bench smooth --device cuda --weights /tmp/jess_paper.safetensors --size 4096 --repeats 3
  timed 60 "$csgis" bench smooth --device cuda --weights /tmp/jess_paper.safetensors --size 4096 --tile 1024 --repeats 3
  for m in gf rgf bf l0 ils; do
    timed 30 "$csgis" bench smoother --device cuda --method "$m" --size 2048 --repeats 5
  done
  note "bench: $(wc -l < "$b") result lines; failures and skips:"
  grep -E "^(rc=|skipped)" "$LOG/bench.err" | tee -a "$summary"
  save
fi

if [[ " $stages " == *" e2e "* ]]; then
  # The shipped model on a real picture, CPU (16 cores there) against CUDA: the same network, so the
  # outputs must agree to 8-bit rounding.
  img=docs/images/texture-removal.png
  stage smooth-cpu 120 "$csgis" smooth -i "$img" -o "$LOG/e2e-cpu.png" --device cpu
  stage smooth-cuda 60 "$csgis" smooth -i "$img" -o "$LOG/e2e-cuda.png" --device cuda
  "$csgis" metrics "$LOG/e2e-cpu.png" "$LOG/e2e-cuda.png" 2>&1 | tee -a "$summary"
  # The quickstart's training on the GPU, through its first validation and checkpoint (step 200),
  # with the carried gimp-data patterns.
  python3 -c 'import json,sys; c=json.load(open("configs/quickstart.json")); c["data"]["texture_dir"]=sys.argv[1]; json.dump(c,open("/tmp/quickstart-gpu.json","w"))' "$PWD/.gpu-carry/patterns"
  stage train-cuda 90 "$csgis" train --config /tmp/quickstart-gpu.json --device cuda -o /tmp/train-cuda --steps 210 --quiet
  tail -4 "$LOG/train-cuda.log" | tee -a "$summary"
  ls -la /tmp/train-cuda >> "$LOG/train-cuda.log" 2>&1
  save
fi

if [[ " $stages " == *" profile "* ]]; then
  # Where a training step of the paper's network spends its time, per op family (stderr table).
  stage profile-train-step 60 "$csgis" bench train-step --device cuda --batch 8 --size 128 --repeats 5 --profile
  save
fi

if [[ " $stages " == *" sanitize "* ]]; then
  # memcheck over every real-GPU test (our kernels, cuDNN, cuBLAS, cuFFT); racecheck and synccheck on
  # the shared-memory kernels (op registry, smoothers): slower, so one test case each.
  stage memcheck 100 compute-sanitizer --tool memcheck --error-exitcode 9 "$tests" "[gpu]"
  tail -3 "$LOG/memcheck.log" | tee -a "$summary"
  stage racecheck-ops 90 compute-sanitizer --tool racecheck --error-exitcode 9 "$tests" "op registry: CPU vs CUDA parity on a real GPU"
  tail -2 "$LOG/racecheck-ops.log" | tee -a "$summary"
  # (Catch2 splits a test spec at commas, an OR: name these by their first words and a wildcard.)
  stage racecheck-smoothers 45 compute-sanitizer --tool racecheck --error-exitcode 9 "$tests" "smoother kernels: guided*"
  tail -2 "$LOG/racecheck-smoothers.log" | tee -a "$summary"
  stage racecheck-fft-matmul 45 compute-sanitizer --tool racecheck --error-exitcode 9 "$tests" "fft smoothers: L0 and ILS*,matmul: the tiled kernel*"
  tail -2 "$LOG/racecheck-fft-matmul.log" | tee -a "$summary"
  stage synccheck-ops 60 compute-sanitizer --tool synccheck --error-exitcode 9 "$tests" "op registry: CPU vs CUDA parity on a real GPU"
  tail -2 "$LOG/synccheck-ops.log" | tee -a "$summary"
  save
fi

python3 bench/peers/gpu_report.py "$LOG/bench.jsonl" > "$LOG/perf-table.md" 2>&1 && cp "$LOG/perf-table.md" "$OUT/"
save

echo "===== summary"
cat "$summary"
echo "===== tables"
cat "$LOG/perf-table.md" 2>/dev/null
