#!/usr/bin/python3
"""Our classical smoothers against OpenCV's on the same inputs with the same parameters.

Dev-only (never used by the product or CI). For each operator it runs `csgis smooth --method NAME`
(8-bit PNG in, 8-bit PNG out) and the OpenCV call with the same parameters on a float32 [0,1] copy
of the same 8-bit input, rounds OpenCV's result to 8 bits the way we save, and reports the PSNR
between the two outputs, over the whole image and over the interior (a margin of the filter's
reach removed, where border conventions cannot matter). Where the two differ by design, a second
row removes the difference (OpenCV primitives arranged as our algorithm, or our option set as
OpenCV's) and shows the agreement that remains.

Every OpenCV call gets its own copy of the input: on float32 arrays `cv2.ximgproc.l0Smooth` also
writes its result into its input array, so a shared array would make later comparisons run on
already smoothed data.

Usage: /usr/bin/python3 bench/peers/smoothers_opencv.py --csgis build/csgis IMAGE... [--json out.json]
Prints a Markdown table (docs/results.md keeps the one of the recorded run).
"""
import argparse
import json
import os
import subprocess
import tempfile

import cv2
import numpy as np


def load_rgb01(path):
    bgr = cv2.imread(path, cv2.IMREAD_COLOR)
    if bgr is None:
        raise SystemExit(f"cannot read '{path}'")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0


def to8(x):
    return np.clip(np.rint(np.asarray(x, np.float64) * 255.0), 0, 255).astype(np.uint8)


def psnr(a8, b8, margin=0):
    if margin > 0:
        a8 = a8[margin:-margin, margin:-margin]
        b8 = b8[margin:-margin, margin:-margin]
    mse = np.mean((a8.astype(np.float64) - b8.astype(np.float64)) ** 2) / 255.0**2
    return float("inf") if mse == 0 else 10 * np.log10(1.0 / mse)


def ours(csgis, src_png, method, flags, tmp):
    out = os.path.join(tmp, f"ours_{method}.png")
    cmd = [csgis, "smooth", "--method", method, "-i", src_png, "-o", out] + flags
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cv2.cvtColor(cv2.imread(out, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def per_channel(fn, rgb):
    return np.dstack([fn(np.ascontiguousarray(rgb[:, :, c])) for c in range(3)])


def gray_of(rgb):
    return (0.299 * rgb[:, :, 0] + 0.587 * rgb[:, :, 1] + 0.114 * rgb[:, :, 2]).astype(np.float32)


def rgf_as_ours(rgb, sigma_s, sigma_r, iterations):
    """Our rolling guidance (Gaussian first pass, Euclidean RGB range distance, window 3 sigma_s)
    built from OpenCV's jointBilateralFilter: the first pass is guided by a constant image."""
    d = 2 * int(np.ceil(3 * sigma_s)) + 1
    guide = np.zeros_like(rgb)
    for _ in range(iterations):
        guide = cv2.ximgproc.jointBilateralFilter(guide.copy(), rgb.copy(), d, sigma_r, sigma_s)
    return guide


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--csgis", default="build/csgis")
    ap.add_argument("--json", default="")
    ap.add_argument("images", nargs="+")
    args = ap.parse_args()

    # (row label, our method, our flags, OpenCV function of a fresh float32 RGB copy, margin, note)
    gf_r, gf_eps = 4, 0.02
    bf_s, bf_r = 3.0, 0.1
    rgf_s, rgf_r, rgf_it = 4.0, 0.1, 4
    l0_lambda, l0_kappa = 0.01, 2.0
    wls_lambda, wls_alpha = 1.0, 1.2
    fgs_lambda, fgs_sigma = 100.0, 10.0  # FGS needs an 8-bit guide: sigma on 0-255
    rows = [
        ("GF per channel (r 4, eps 0.02)", "gf", ["--gf-radius", str(gf_r), "--gf-eps", str(gf_eps)],
         lambda x: per_channel(lambda ch: cv2.ximgproc.guidedFilter(ch, ch.copy(), gf_r, gf_eps), x), gf_r,
         "OpenCV pads by reflection (BORDER_REFLECT_101); we average over the part of the window inside the image"),
        ("GF gray guide (r 4, eps 0.02)", "gf", ["--gf-radius", str(gf_r), "--gf-eps", str(gf_eps), "--gf-guide", "gray"],
         lambda x: cv2.ximgproc.guidedFilter(gray_of(x), x.copy(), gf_r, gf_eps), gf_r, "same border difference"),
        ("BF (sigma_s 3, sigma_r 0.1)", "bf", ["--bf-sigma-s", str(bf_s), "--bf-sigma-r", str(bf_r)],
         lambda x: cv2.bilateralFilter(x, -1, bf_r, bf_s), int(round(1.5 * bf_s)),
         "cv2.bilateralFilter: disk window of radius round(1.5 sigma_s), L1 colour distance, reflected border"),
        ("RGF vs rollingGuidanceFilter (sigma_s 4, sigma_r 0.1, 4 it.)", "rgf",
         ["--rgf-sigma-s", str(rgf_s), "--rgf-sigma-r", str(rgf_r), "--rgf-iterations", str(rgf_it)],
         lambda x: cv2.ximgproc.rollingGuidanceFilter(
             x, d=-1, sigmaColor=rgf_r, sigmaSpace=rgf_s, numOfIter=rgf_it), int(np.ceil(3 * rgf_s)),
         "OpenCV's first pass is a bilateral filter of the image, the paper's (ours) a Gaussian"),
        ("RGF vs OpenCV jointBilateralFilter arranged as the paper's RGF", "rgf",
         ["--rgf-sigma-s", str(rgf_s), "--rgf-sigma-r", str(rgf_r), "--rgf-iterations", str(rgf_it)],
         lambda x: rgf_as_ours(x, rgf_s, rgf_r, rgf_it), int(np.ceil(3 * rgf_s)),
         "first-pass difference removed (constant guide first); borders still differ"),
        ("L0 (lambda 0.01, kappa 2)", "l0", ["--l0-lambda", str(l0_lambda), "--l0-kappa", str(l0_kappa)],
         lambda x: cv2.ximgproc.l0Smooth(x.copy(), lambda_=l0_lambda, kappa=l0_kappa), 16,
         "the authors' code (ours) uses circular borders in the FFT; OpenCV replicates the border"),
        ("WLS vs fastGlobalSmootherFilter", "wls", ["--wls-lambda", str(wls_lambda), "--wls-alpha", str(wls_alpha)],
         lambda x: cv2.ximgproc.fastGlobalSmootherFilter(to8(x), x.copy(), fgs_lambda, fgs_sigma), 8,
         "different algorithms: FGS approximates a WLS-type objective with separable 1-D solves and Gaussian "
         "colour weights; shown for scale, not expected to agree"),
    ]

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for path in args.images:
            src = load_rgb01(path)
            src8 = to8(src)
            src_png = os.path.join(tmp, "src.png")
            cv2.imwrite(src_png, cv2.cvtColor(src8, cv2.COLOR_RGB2BGR))
            x = src8.astype(np.float32) / 255.0  # both sides see exactly the 8-bit input
            for label, method, flags, cv_fn, margin, note in rows:
                try:
                    a = ours(args.csgis, src_png, method, flags, tmp)
                except subprocess.CalledProcessError:
                    results.append({"image": os.path.basename(path), "row": label, "error": "csgis failed"})
                    continue
                b = to8(cv_fn(x.copy()))
                results.append({"image": os.path.basename(path), "row": label, "psnr": psnr(a, b),
                                "psnr_interior": psnr(a, b, margin), "margin": margin, "note": note})

    print("| operator | image | PSNR ours vs OpenCV (dB) | interior (margin px) | why they differ |")
    print("|---|---|---|---|---|")
    for r in results:
        if "error" in r:
            print(f"| {r['row']} | {r['image']} | {r['error']} | | |")
        else:
            print(f"| {r['row']} | {r['image']} | {r['psnr']:.2f} | {r['psnr_interior']:.2f} ({r['margin']}) | {r['note']} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
