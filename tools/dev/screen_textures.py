#!/usr/bin/python3
"""Dev-time screening of candidate texture images for the real set (not used by the product or CI).

Reads image files (paths on the command line, or one per line on stdin), keeps those that can serve
as a texture LAYER in eq. 14-16 (only the grey image minus its mean is blended in, so colour does not
matter, only grey structure), drops near-duplicates and prints the kept paths with their scores.
Criteria (chosen by looking at contact sheets of nexuiz-textures and ufoai-textures):
  - at least 128 x 128 pixels;
  - grey std in [0.03, 0.30] on [0,1] data: not a flat colour, not a stencil of pure black/white;
  - fine-scale energy mean |g - box5(g)| >= 0.012: it has texture, not only a gradient or a blob;
  - a texture fills the frame: at most 10 % of the pixels near black (< 0.03) or near white (> 0.97),
    which rejects road markings, sign stencils and alpha cut-outs;
  - near-duplicates (recoloured variants, blood decals on the same wall) go: an 8 x 8 average hash of
    the grey image within Hamming distance 6 of an already kept one.
Uses Debian's python3-opencv and numpy: run as /usr/bin/python3 tools/dev/screen_textures.py FILES...
"""
import sys

import cv2
import numpy as np


def grey01(path):
    img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if img is None:
        return None
    if img.dtype != np.uint8:
        img = (img / 257).astype(np.uint8)
    if img.ndim == 3 and img.shape[2] == 4:
        if (img[:, :, 3] < 250).mean() > 0.02:  # a cut-out, not a tile
            return None
        img = img[:, :, :3]
    if img.ndim == 3:
        img = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    return img.astype(np.float32) / 255.0


def average_hash(g):
    small = cv2.resize(g, (8, 8), interpolation=cv2.INTER_AREA)
    return (small > small.mean()).flatten()


def main():
    paths = sys.argv[1:] or [l.strip() for l in sys.stdin if l.strip()]
    kept_hashes = []
    for p in paths:
        g = grey01(p)
        if g is None or min(g.shape) < 128:
            continue
        std = float(g.std())
        fine = float(np.abs(g - cv2.blur(g, (5, 5))).mean())
        extreme = float(((g < 0.03) | (g > 0.97)).mean())
        if not (0.03 <= std <= 0.30 and fine >= 0.012 and extreme <= 0.10):
            continue
        h = average_hash(g)
        if any(int((h != k).sum()) <= 6 for k in kept_hashes):
            continue
        kept_hashes.append(h)
        print(f"{p}\t{g.shape[1]}x{g.shape[0]}\tstd {std:.3f}\tfine {fine:.4f}")


if __name__ == "__main__":
    main()
