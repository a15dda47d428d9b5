#!/bin/bash
# Dev-time only: our CPU paths and both PyTorch peers, alternating within each round, one sitting,
# so that a noisy machine disturbs all sides alike. Prints the CPU model first; the JSON lines that
# follow each "--- NAME" header are the figures (docs/perf.md quotes them per round).
#
#   bench/peers/side_by_side.sh [BUILD_DIR] [CONV_ROUNDS] [STEP_ROUNDS] [DDP_ROUNDS]
#
# DDP rounds (default 0): the data-parallel step, 2 ranks x 1 thread, ours under mpirun against
# PyTorch DistributedDataParallel (gloo, bench/peers/train_step_ddp_torch.py) under both PyTorch
# versions, with our 1-rank step beside it: the paper's network, batch 2 per rank at 64 px, edge +
# reconstruction losses, Adam (docs/perf.md quotes samples_per_s).
#   bench/peers/side_by_side.sh build 0 0 3     # the DDP rounds only
#
# Peers: TORCH1 (default /usr/bin/python3, Debian's python3-torch 1.13) and TORCH2 (default
# /work/venv-torch2/bin/python, a venv with the PyPI wheel). ISAS: the paths to compare (default
# the ones `csgis --version` can run: avx2, and avx512 when the CPU has it).
set -euo pipefail
build=${1:-build}
conv_rounds=${2:-2}
step_rounds=${3:-3}
ddp_rounds=${4:-0}
torch1=${TORCH1:-/usr/bin/python3}
torch2=${TORCH2:-/work/venv-torch2/bin/python}
here=$(cd "$(dirname "$0")" && pwd)
csgis="$build/csgis"
[ -x "$csgis" ] || { echo "side_by_side.sh: $csgis not found (build first, or pass the build folder)" >&2; exit 2; }
if [ -z "${ISAS:-}" ]; then
  ISAS=avx2
  grep -qw avx512f /proc/cpuinfo && ISAS="avx2 avx512"
fi
export OMP_NUM_THREADS=2
lscpu | grep 'Model name'
git -C "$here" rev-parse --short HEAD 2>/dev/null || true
peers() {  # $1: the peer script (bench/peers/), rest: its arguments; run under each PyTorch
  local script=$1; shift
  for py in "$torch1" "$torch2"; do
    echo "--- torch $("$py" -c 'import torch; print(torch.__version__)' 2>/dev/null) $*"
    "$py" "$here/$script" "$@" 2>&1 | grep '^{' || echo "(peer failed: $py)"
  done
}
for round in $(seq "$conv_rounds"); do
  echo "=== conv round $round"
  for d in 1 2 3; do
    for isa in $ISAS; do
      echo "--- ours $isa dilation $d"
      CSGIS_CPU_ISA=$isa "$csgis" bench conv2d --batch 2 --channels 64 --size 64 --dilation "$d" \
        --threads 2 --repeats 30 --warmup 5 | grep '^{'
    done
    peers conv2d_torch.py --threads 2 --dilations "$d" --reps 30 --warmup 5
  done
done
for round in $(seq "$step_rounds"); do
  echo "=== train-step round $round"
  for isa in $ISAS; do
    echo "--- ours $isa"
    CSGIS_CPU_ISA=$isa "$csgis" bench train-step --batch 2 --size 64 --repeats 5 --warmup 2 \
      --threads 2 | grep '^{'
  done
  peers train_step_torch.py --threads 2 --batch 2 --size 64 --repeats 5 --warmup 2
done
for round in $(seq "$ddp_rounds"); do
  echo "=== ddp train-step round $round"
  echo "--- ours 1 rank x 1 thread"
  OMP_NUM_THREADS=1 "$csgis" bench train-step --batch 2 --size 64 --repeats 5 --warmup 2 --threads 1 | grep '^{'
  echo "--- ours 2 ranks x 1 thread"
  OMP_NUM_THREADS=1 "$csgis" bench train-step --ranks 2 --batch 2 --size 64 --repeats 5 --warmup 2 --threads 1 |
    grep '^{'
  for py in "$torch1" "$torch2"; do
    echo "--- torch $("$py" -c 'import torch; print(torch.__version__)' 2>/dev/null) ddp 2 ranks x 1 thread"
    OMP_NUM_THREADS=1 "$py" "$here/train_step_ddp_torch.py" --ranks 2 --threads 1 --batch 2 --size 64 --repeats 5 \
      --warmup 2 2>&1 | grep '^{' || echo "(peer failed: $py)"
  done
done
