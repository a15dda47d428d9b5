#!/usr/bin/env bash
# The main job on the embedded data, from a fresh machine: installs the Debian packages, builds the
# driver, trains a small JESS on procedural images blended with real textures (CPU, a few minutes),
# evaluates it on images made with held-out textures, smooths the shipped examples, and says where
# the report is.
#   OUT=runs/quickstart (default)   STEPS=<override the config's steps>   JOBS=<build jobs>
set -euo pipefail
cd "$(dirname "$0")/.."

bash tools/setup-deps.sh

BUILD_DIR=${BUILD_DIR:-build-quickstart}
OUT=${OUT:-runs/quickstart}
JOBS=${JOBS:-$(nproc)}
# Training here runs on the CPU: skip nvcc (minutes on a small machine) unless a GPU is present.
cuda=OFF
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then cuda=ON; fi
[ -x /usr/local/cuda/bin/nvcc ] && export PATH=/usr/local/cuda/bin:$PATH

echo "== build ($BUILD_DIR, CUDA $cuda)"
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCSGIS_CUDA=$cuda \
  -DCSGIS_BUILD_TESTS=OFF -DCSGIS_BUILD_BENCH=OFF >"$BUILD_DIR.configure.log" 2>&1 \
  || { cat "$BUILD_DIR.configure.log"; exit 1; }
cmake --build "$BUILD_DIR" -j "$JOBS" --target csgis_driver
CSGIS="$BUILD_DIR/csgis"

mkdir -p "$OUT"
if [ ! -f "$OUT/valset/manifest.json" ]; then
  echo "== validation set: 24 procedural images with textures never used in training"
  rm -rf "$OUT/valset"
  "$CSGIS" build-dataset --procedural --split val --count 24 --size 128 --seed 101 --out "$OUT/valset"
fi

echo "== train (configs/quickstart.json)"
steps=()
[ -n "${STEPS:-}" ] && steps=(--steps "$STEPS")
"$CSGIS" train --config configs/quickstart.json --out "$OUT/train" "${steps[@]}"

echo "== evaluate on the held-out textures"
"$CSGIS" eval --data "$OUT/valset" --weights "$OUT/train/best.safetensors" --methods input,net,gf \
  --out "$OUT/eval" --grid-rows 4

echo "== smooth the example images with the model just trained"
"$CSGIS" smooth --weights "$OUT/train/best.safetensors" -i examples -o "$OUT/examples"

echo "== the shipped model on the example photographs (textured photos of the real test split)"
mkdir -p "$OUT/photos-in"
cp examples/photo_*.png "$OUT/photos-in/"
"$CSGIS" smooth -i "$OUT/photos-in" -o "$OUT/photos" --grid "$OUT/eval/photos.png"
cat >>"$OUT/eval/report.md" <<EOR

## The shipped model on photographs

\`photos.png\`: input | output of the shipped model (\`weights/\`, the default of \`csgis smooth\`) on
the textured photographs of \`examples/\` (crops of packaged photos blended with held-out textures,
\`docs/data.md\`). The quickstart's own model above has only seen procedural shapes.
EOR

echo
echo "Report:        $OUT/eval/report.md  (table), $OUT/eval/grid.png (input | output | ... | ground truth)"
echo "Training:      $OUT/train/metrics.jsonl, $OUT/train/curve.png"
echo "Smoothed:      $OUT/examples/ (quickstart model), $OUT/photos/ and $OUT/eval/photos.png (shipped model, input | output)"
echo "Weights:       $OUT/train/best.safetensors   (use: $CSGIS smooth --weights ... -i IN -o OUT)"
echo
cat "$OUT/eval/report.md" | head -8
