#!/usr/bin/python3
"""Speed of our four classical smoothers (GF, BF, RGF, L0) against OpenCV's, side by side in one run.

Dev-only (never used by the product or CI); Debian's python3-opencv, 2 threads on both sides
(cv2.setNumThreads(2); ours `csgis bench smoother --threads 2`). For each method it first runs
`csgis bench smoother --method NAME --size S --repeats R` (one warm-up, then R timed runs of the
smoother alone, median reported), then times the OpenCV call on the same picture the same way
(one warm-up, R timed runs, median). The picture is `csgis bench smoother`'s procedural one
(tools/cmd_bench.cpp, smoother_bench_image: jittered-grid Voronoi cells of their own colour, a fine
stripe texture, hashed noise; float32 RGB in [0,1]), rebuilt here with the same integer hash and
float32 arithmetic (libm and numpy may round sin/cos differently in the last bit; it is the same
picture for timing purposes).

OpenCV calls (the parameters of our defaults / the paper's Table 1):
  gf   cv2.ximgproc.guidedFilter(ch, ch, 2, 0.01) on each channel (each guided by itself)
  bf   cv2.bilateralFilter(x, -1, 0.1, 3)
  rgf  cv2.ximgproc.rollingGuidanceFilter(x, d=-1, sigmaColor=0.1, sigmaSpace=4, numOfIter=4)
  l0   cv2.ximgproc.l0Smooth(x, lambda_=0.01, kappa=2)   (on a fresh copy: it writes into its input)

Usage: /usr/bin/python3 bench/peers/smoothers_speed_opencv.py [--csgis build/csgis] [--size 1024]
       [--repeats 5] [--methods gf,bf,rgf,l0]
Prints a Markdown table: method | ours median ms | OpenCV median ms | ratio ours/OpenCV.
"""
import argparse
import json
import statistics
import subprocess
import time

import cv2
import numpy as np

THREADS = 2


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown"


def hash32(v):
    v = v.astype(np.uint32)
    v ^= v >> np.uint32(16)
    v *= np.uint32(0x7FEB352D)
    v ^= v >> np.uint32(15)
    v *= np.uint32(0x846CA68B)
    v ^= v >> np.uint32(16)
    return v


def unit(v):
    return (hash32(v) & np.uint32(0xFFFFFF)).astype(np.float32) / np.float32(0x1000000)


def bench_image(size):
    """tools/cmd_bench.cpp smoother_bench_image(size), in numpy."""
    cell = max(4, size // 8)
    cells = (size + cell - 1) // cell
    y, x = np.mgrid[0:size, 0:size].astype(np.int64)
    best = np.full((size, size), np.float32(1e30), np.float32)
    site = np.zeros((size, size), np.uint32)
    for oy in (-1, 0, 1):  # the C++ loop order (cy outer, cx inner; strict <: the first minimum wins)
        for ox in (-1, 0, 1):
            cy, cx = y // cell + oy, x // cell + ox
            ident = ((cy + 1) * (cells + 2) + cx + 1).astype(np.uint32)
            sx = (cx.astype(np.float32) + unit(np.uint32(2) * ident)) * np.float32(cell) - x.astype(np.float32)
            sy = (cy.astype(np.float32) + unit(np.uint32(2) * ident + np.uint32(1))) * np.float32(cell) - y.astype(np.float32)
            d = sx * sx + sy * sy
            closer = d < best
            best = np.where(closer, d, best)
            site = np.where(closer, ident, site)
    xf, yf = x.astype(np.float32), y.astype(np.float32)
    texture = (np.float32(0.08) * np.sin(np.float32(0.9) * xf + np.float32(0.4) * yf)
               * np.cos(np.float32(0.7) * yf - np.float32(0.3) * xf)).astype(np.float32)
    img = np.empty((size, size, 3), np.float32)
    pix = (y * size + x).astype(np.uint32)
    for c in range(3):
        v = (np.float32(0.15) + np.float32(0.7) * unit(site * np.uint32(3) + np.uint32(c + 7919)) + texture
             + np.float32(0.04) * (unit(pix * np.uint32(3) + np.uint32(c)) - np.float32(0.5)))
        img[:, :, c] = np.clip(v, 0, 1)
    return img


def opencv_call(method, x, planes):
    if method == "gf":
        return lambda: np.dstack([cv2.ximgproc.guidedFilter(p, p, 2, 0.01) for p in planes])
    if method == "bf":
        return lambda: cv2.bilateralFilter(x, -1, 0.1, 3)
    if method == "rgf":
        return lambda: cv2.ximgproc.rollingGuidanceFilter(x, d=-1, sigmaColor=0.1, sigmaSpace=4, numOfIter=4)
    if method == "l0":
        return lambda: cv2.ximgproc.l0Smooth(x.copy(), lambda_=0.01, kappa=2.0)
    raise SystemExit(f"unknown method '{method}'")


def time_opencv(method, x, repeats):
    planes = [np.ascontiguousarray(x[:, :, c]) for c in range(3)]
    x = np.ascontiguousarray(x)
    fn = opencv_call(method, x, planes)
    fn()  # warm-up, as `csgis bench smoother` does
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def time_ours(csgis, method, size, repeats):
    out = subprocess.run([csgis, "bench", "smoother", "--method", method, "--size", str(size), "--repeats",
                          str(repeats), "--threads", str(THREADS)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["median_ms"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--csgis", default="build/csgis")
    ap.add_argument("--size", type=int, default=1024)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--methods", default="gf,bf,rgf,l0")
    args = ap.parse_args()
    cv2.setNumThreads(THREADS)
    x = bench_image(args.size)
    rows = []
    for method in args.methods.split(","):
        ours = time_ours(args.csgis, method, args.size, args.repeats)
        theirs = time_opencv(method, x, args.repeats)
        rows.append((method, ours, theirs))
    print(f"CPU: {cpu_model()}; {THREADS} threads each; {args.size}x{args.size}x3 float32; "
          f"median of {args.repeats} runs after one warm-up; OpenCV {cv2.__version__}")
    print()
    print("| method | ours median ms | OpenCV median ms | ratio ours/OpenCV |")
    print("|---|---|---|---|")
    for method, ours, theirs in rows:
        print(f"| {method} | {ours:.1f} | {theirs:.1f} | {ours / theirs:.2f} |")


if __name__ == "__main__":
    main()
