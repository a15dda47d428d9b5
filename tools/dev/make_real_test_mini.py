#!/usr/bin/python3
"""Regenerates tests/fixtures/real-test-mini from a real set's test split (dev-time only; Debian's
python3-opencv). Twelve samples spread evenly over the split by name, each a centre crop of
128 x 128 of every folder (input, gt, edge, seg, over), so the slow test of the default weights
(tests/models/test_shipped_weights.cpp) runs in seconds on photographs the model never saw.

    /usr/bin/python3 tools/dev/make_real_test_mini.py runs/real-set/test tests/fixtures/real-test-mini
"""
import json
import os
import shutil
import sys

import cv2

COUNT, SIZE = 12, 128
FOLDERS = ("input", "gt", "edge", "seg", "over")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src, dst = sys.argv[1], sys.argv[2]
    manifest = json.load(open(os.path.join(src, "manifest.json")))
    stems = sorted(os.path.splitext(f)[0] for f in os.listdir(os.path.join(src, "input")))
    if len(stems) < COUNT:
        sys.exit(f"{src}: {len(stems)} samples, need at least {COUNT}")
    step = len(stems) // COUNT
    picked = [stems[i * step] for i in range(COUNT)]
    if os.path.exists(dst):
        shutil.rmtree(dst)
    for folder in FOLDERS:
        os.makedirs(os.path.join(dst, folder))
        for stem in picked:
            img = cv2.imread(os.path.join(src, folder, stem + ".png"), cv2.IMREAD_UNCHANGED)
            if img is None:
                sys.exit(f"{src}/{folder}/{stem}.png: unreadable")
            h, w = img.shape[:2]
            y0, x0 = (h - SIZE) // 2, (w - SIZE) // 2
            cv2.imwrite(os.path.join(dst, folder, stem + ".png"), img[y0:y0 + SIZE, x0:x0 + SIZE])
    out = {
        "format": "csgis-dataset",
        "count": COUNT,
        "generator": f"csgis-voc-smooth (centre {SIZE}x{SIZE} crops of the real set test split)",
        "sample_textures": {s: manifest["sample_textures"][s] for s in picked},
        "source": f"tools/make-real-set.sh OUT (seed 1, --photo-split 70,15,15), OUT/test: every {step}th sample "
                  f"by name, centre crop {SIZE}x{SIZE} (tools/dev/make_real_test_mini.py)",
    }
    with open(os.path.join(dst, "manifest.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
