#!/usr/bin/env python3
"""Dev-only: prints the reference SSIM values that tests/losses/test_losses.cpp holds as constants.

Needs numpy, scipy and scikit-image (Debian: apt-get install python3-skimage). Run with the system
interpreter: /usr/bin/python3 tests/losses/make_ssim_reference.py

The images are closed-form (the C++ test builds the same ones), image n, channel c, pixel (i, j):
  x = clip(0.5 + 0.35 sin(0.9 i + 0.4 (c + 1) j + c + n) + 0.1 cos(2.3 j - 1.1 i), 0, 1)
  y = clip(0.8 x + 0.1 + 0.08 sin(1.7 i j / 7 + c - n), 0, 1)
Printed:
  metric SSIM per image: skimage.metrics.structural_similarity(x[n], y[n], channel_axis=0,
      gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1)
  loss SSIM per image: the reference training code's SSIM (11x11 Gaussian, sigma 1.5, zero "same"
      padding, mean of the whole map), evaluated with scipy.ndimage.correlate(mode="constant").
"""
import numpy as np
from scipy import ndimage
from skimage.metrics import structural_similarity

N, C, H, W = 2, 3, 16, 20


def images():
    n, c, i, j = np.meshgrid(np.arange(N), np.arange(C), np.arange(H), np.arange(W), indexing="ij")
    x = np.clip(0.5 + 0.35 * np.sin(0.9 * i + 0.4 * (c + 1) * j + c + n) + 0.1 * np.cos(2.3 * j - 1.1 * i), 0, 1)
    y = np.clip(0.8 * x + 0.1 + 0.08 * np.sin(1.7 * i * j / 7 + c - n), 0, 1)
    return x, y


def loss_ssim(x, y):
    d = np.arange(11) - 5.0
    g = np.exp(-d * d / (2 * 1.5 ** 2))
    g /= g.sum()
    win = np.outer(g, g)
    f = lambda a: ndimage.correlate(a, win, mode="constant", cval=0.0)
    maps = []
    for c in range(x.shape[0]):
        a, b = x[c], y[c]
        mx, my = f(a), f(b)
        vx, vy, cxy = f(a * a) - mx * mx, f(b * b) - my * my, f(a * b) - mx * my
        c1, c2 = 0.01 ** 2, 0.03 ** 2
        maps.append((2 * mx * my + c1) * (2 * cxy + c2) / ((mx * mx + my * my + c1) * (vx + vy + c2)))
    return float(np.mean(maps))


def main():
    x, y = images()
    for n in range(N):
        m = structural_similarity(x[n], y[n], channel_axis=0, gaussian_weights=True, sigma=1.5,
                                  use_sample_covariance=False, data_range=1)
        print(f"image {n}: metric (skimage) {m:.12f}  loss (scipy zero-padded) {loss_ssim(x[n], y[n]):.12f}")


if __name__ == "__main__":
    main()
