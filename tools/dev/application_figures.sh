#!/usr/bin/env bash
# Dev-time: the pictures of the paper's two applications in docs/images/ (docs/results.md).
#   tools/dev/application_figures.sh [WEIGHTS]   (default: the default weights of csgis smooth)
# 1. Texture removal on clip art: opencv-doc's HappyFish.jpg (clip art, never used for training)
#    doubled in size and blended (eq. 16) with the held-out gimp-data pattern Wood/bark, then
#    smoothed by the network.
# 2. Detail enhancement: a crop of opencv-doc's leuvenA.jpg (a test-split photo) through
#    `csgis enhance --strength 2.5`.
# Needs Debian's python3-opencv (the blend) and a built csgis (BUILD_DIR, default build).
set -euo pipefail
cd "$(dirname "$0")/../.."
CSGIS=${BUILD_DIR:-build}/csgis
weights=(); [ $# -ge 1 ] && weights=(--weights "$1")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 - "$tmp" <<'PY'
import sys, struct
import cv2, numpy as np
out = sys.argv[1]
fish = cv2.imread("/usr/share/doc/opencv-doc/examples/data/HappyFish.jpg", cv2.IMREAD_COLOR)
fish = cv2.resize(fish, (fish.shape[1] * 2, fish.shape[0] * 2), interpolation=cv2.INTER_CUBIC)
# GIMP pattern (.pat): big-endian header size, version, width, height, bytes per pixel, magic, name.
raw = open("/usr/share/gimp/2.0/patterns/Wood/bark.pat", "rb").read()
hsize, _, w, h, bpp = struct.unpack(">5I", raw[:20])
tex = np.frombuffer(raw[hsize:hsize + w * h * bpp], np.uint8).reshape(h, w, bpp)[:, :, :3]
grey = (0.299 * tex[:, :, 0] + 0.587 * tex[:, :, 1] + 0.114 * tex[:, :, 2]) / 255.0
reps = (fish.shape[0] // h + 1, fish.shape[1] // w + 1)
layer = np.tile(grey, reps)[: fish.shape[0], : fish.shape[1]]
layer = layer - layer.mean()
blended = np.clip(fish / 255.0 + layer[:, :, None], 0, 1)
cv2.imwrite(out + "/clipart_textured.png", np.rint(blended * 255).astype(np.uint8))
leuven = cv2.imread("/usr/share/doc/opencv-doc/examples/data/leuvenA.jpg", cv2.IMREAD_COLOR)
cv2.imwrite(out + "/photo.png", leuven[100:420, 150:570])
PY
"$CSGIS" smooth "${weights[@]}" -i "$tmp/clipart_textured.png" -o "$tmp/clipart_smooth.png" --grid docs/images/texture-removal.png
"$CSGIS" enhance "${weights[@]}" --strength 2.5 -i "$tmp/photo.png" -o "$tmp/photo_enhanced.png" --grid docs/images/detail-enhancement.png
echo "wrote docs/images/texture-removal.png and docs/images/detail-enhancement.png (input | output)"
