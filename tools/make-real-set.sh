#!/usr/bin/env bash
# Builds the real-photo data set (VOC-smooth from photographs that Debian packages ship) with one
# command:  tools/make-real-set.sh OUT
#
#  1. installs the source packages (apt-get; skipped when present) and builds `csgis` if needed;
#  2. stages the photographs of data/real_set/photos.txt as OUT/sources/photos/<name>.<ext>
#     (symbolic links to the installed files) and extracts the textures of
#     data/real_set/textures.txt from the game packages' .pk3 archives into OUT/sources/textures/;
#  3. runs `csgis build-dataset --images` once per split into OUT/train, OUT/val and OUT/test:
#     photos shrunk to a longer side of MAX_SIDE, CROPS ground-truth crops of CROP_SIZE per photo,
#     each judged by the smoothness and SSIM tests; the train split blends training textures, val and
#     test the held-out ones (gimp-data's patterns and the game textures, split by name).
# A rerun resumes: finished samples are kept, unfinished ones are redone (the builder's OUT/.work).
# docs/data.md lists every source and its licence.
#
# Environment: BUILD_DIR (default build), THREADS (builder threads, default all cores), MAX_SIDE
# (1024), CROPS (6), CROP_SIZE (256), TRAIN_TEXTURES and EVAL_TEXTURES (textures per ground truth:
# 20 and 10), PHOTO_SPLIT (train,val,test weights of the photo split, default 70,15,15), SEED (1),
# CSGIS (a csgis binary to use instead of building one), SPLITS (default "train val test").
#
# Why 70,15,15 and not the builder's default (the paper's 120/26/4 of 150 ground truths): the paper
# has 150 VOC photos; here 47 photos give several crops each, and 4 in 150 would leave a single
# photo (summer_1am) for the test split. 70/15/15 by photo gives 35 / 7 / 5 photos.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { echo "usage: tools/make-real-set.sh OUT   (see the comment at the top of the script)" >&2; exit 2; }
[ $# -eq 1 ] || usage
case "$1" in -h|--help) sed -n '2,25p' "$0"; exit 0 ;; -*) usage ;; esac
OUT=$1
BUILD_DIR=${BUILD_DIR:-build}
MAX_SIDE=${MAX_SIDE:-1024}
CROPS=${CROPS:-6}
CROP_SIZE=${CROP_SIZE:-256}
TRAIN_TEXTURES=${TRAIN_TEXTURES:-20}
EVAL_TEXTURES=${EVAL_TEXTURES:-10}
SEED=${SEED:-1}
PHOTO_SPLIT=${PHOTO_SPLIT:-70,15,15}
SPLITS=${SPLITS:-train val test}
THREADS=${THREADS:-0}
PHOTOS_LIST=data/real_set/photos.txt
TEXTURES_LIST=data/real_set/textures.txt
GIMP_PATTERNS=/usr/share/gimp/2.0/patterns

fail() { echo "make-real-set: $*" >&2; exit 1; }

# ---- 1. packages and the binary
packages=(opencv-doc plasma-workspace-wallpapers lomiri-wallpapers-16.04 lomiri-wallpapers-20.04
          nexuiz-textures ufoai-textures gimp-data unzip)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "make-real-set: installing ${missing[*]} (about 1.3 GB of packages)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >/tmp/csgis-real-set-apt.log 2>&1 || fail "apt-get update failed, see /tmp/csgis-real-set-apt.log"
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >>/tmp/csgis-real-set-apt.log 2>&1 ||
    fail "apt-get install ${missing[*]} failed, see /tmp/csgis-real-set-apt.log"
fi
if [ -z "${CSGIS:-}" ]; then
  CSGIS=$BUILD_DIR/csgis
  if [ ! -x "$CSGIS" ]; then
    bash tools/setup-deps.sh
    [ -x /usr/local/cuda/bin/nvcc ] && export PATH=/usr/local/cuda/bin:$PATH
    cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$BUILD_DIR" --target csgis_driver -j "$(nproc)"
  fi
fi
[ -x "$CSGIS" ] || fail "no csgis binary at '$CSGIS'"

# ---- 2. sources
mkdir -p "$OUT/sources/photos" "$OUT/sources/textures"
n_photos=0
while read -r name package path; do
  case "$name" in ''|'#'*) continue ;; esac
  [ -f "$path" ] || fail "$PHOTOS_LIST: '$path' (package $package) is not installed"
  ext=${path##*.}; ext=$(echo "$ext" | tr '[:upper:]' '[:lower:]')
  ln -sfn "$path" "$OUT/sources/photos/$name.$ext"
  n_photos=$((n_photos + 1))
done < "$PHOTOS_LIST"

declare -A archive=(
  [nexuiz-textures]=/usr/share/games/nexuiz/data/textures.pk3
  [ufoai-textures]=/usr/share/games/ufoai/base/0textures.pk3
)
n_textures=0
for package in nexuiz-textures ufoai-textures; do
  members=$(awk -v p="$package" '$1 == p {print $2}' "$TEXTURES_LIST")
  [ -n "$members" ] || continue
  dest="$OUT/sources/textures/$package"
  mkdir -p "$dest"
  todo=()
  for m in $members; do [ -s "$dest/$m" ] || todo+=("$m"); done
  if [ ${#todo[@]} -gt 0 ]; then
    # Extract to a temporary folder first, so an interrupted run never leaves a truncated texture.
    tmp=$(mktemp -d "$OUT/sources/.unzip.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT  # also when unzip fails
    unzip -q -o "${archive[$package]}" "${todo[@]}" -d "$tmp" || fail "cannot extract textures from ${archive[$package]}"
    (cd "$tmp" && find . -type f) | while read -r f; do mkdir -p "$dest/$(dirname "$f")"; mv "$tmp/$f" "$dest/$f"; done
    rm -rf "$tmp"
  fi
  for m in $members; do
    [ -s "$dest/$m" ] || fail "$TEXTURES_LIST: '$m' is not in ${archive[$package]}"
    n_textures=$((n_textures + 1))
  done
done
echo "make-real-set: $n_photos photos, $n_textures game textures + gimp-data's patterns staged under $OUT/sources"

# ---- 3. the three splits
common=(--images "$OUT/sources/photos" --textures "$OUT/sources/textures,$GIMP_PATTERNS"
        --max-side "$MAX_SIDE" --crops "$CROPS" --crop-size "$CROP_SIZE" --seed "$SEED" --threads "$THREADS"
        --photo-split "$PHOTO_SPLIT")
for split in $SPLITS; do
  per=$EVAL_TEXTURES; [ "$split" = train ] && per=$TRAIN_TEXTURES
  echo "make-real-set: split $split -> $OUT/$split"
  "$CSGIS" build-dataset "${common[@]}" --split "$split" --textures-per-image "$per" --out "$OUT/$split"
done
echo "make-real-set: done. Train with data.source = \"$OUT/train\", data.val_source = \"$OUT/val\";"
echo "               evaluate with: $CSGIS eval --data $OUT/test --tune $OUT/train --methods input,bf,gf,rgf,l0,rtv,wls,sdf,ils,net"
