#!/usr/bin/python3
"""Dev-only peer for `csgis bench train-step`: the same JESS step in PyTorch (Debian's python3-torch).

One step = forward, class-balanced edge BCE (summed, weight 0.001) + reconstruction loss on S0 and
S1 (L1 + 0.1 * (4 - sum of zero-padded 11x11 Gaussian SSIM over 4 max-pooled scales)), backward,
Adam. Prints one JSON line with the median step time, like the csgis command.

  /usr/bin/python3 bench/peers/train_step_torch.py --threads 2 --batch 2 --size 64
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "models"))
from make_jess_fixture import Jess  # noqa: E402  (the reference architecture, our own PyTorch port)


def gaussian_window(channels):
    g = torch.exp(-((torch.arange(11, dtype=torch.float32) - 5) ** 2) / (2 * 1.5 ** 2))
    g = g / g.sum()
    w = torch.outer(g, g)
    return w.expand(channels, 1, 11, 11).contiguous()


def ssim_loss_mean(x, y, window):
    c = x.shape[1]
    mu_x = F.conv2d(x, window, padding=5, groups=c)
    mu_y = F.conv2d(y, window, padding=5, groups=c)
    sxx = F.conv2d(x * x, window, padding=5, groups=c) - mu_x ** 2
    syy = F.conv2d(y * y, window, padding=5, groups=c) - mu_y ** 2
    sxy = F.conv2d(x * y, window, padding=5, groups=c) - mu_x * mu_y
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    m = ((2 * mu_x * mu_y + c1) * (2 * sxy + c2)) / ((mu_x ** 2 + mu_y ** 2 + c1) * (sxx + syy + c2))
    return m.mean()


def recon(s, gt, window):
    total = 0.0
    a, b = s, gt
    for scale in range(4):
        if scale:
            a, b = F.max_pool2d(a, 2), F.max_pool2d(b, 2)
        total = total + ssim_loss_mean(a, b, window)
    return F.l1_loss(s, gt) + 0.1 * (4 - total)


def edge_bce(logits, e):
    pos = e.sum()
    neg = e.numel() - pos
    w = torch.where(e > 0.5, neg / e.numel(), pos / e.numel())
    return F.binary_cross_entropy_with_logits(logits, e, weight=w, reduction="sum")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=2)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--blocks", type=str, default="12,3,6")
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--repeats", type=int, default=5)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    fb, sb, eb = (int(v) for v in a.blocks.split(","))
    model = Jess(3, 3, a.dim, fb, sb, eb).train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.rand(a.batch, 3, a.size, a.size)
    gt = torch.rand(a.batch, 3, a.size, a.size)
    e = (torch.rand(a.batch, 1, a.size, a.size) < 0.1).float()
    window = gaussian_window(3)
    times = []
    for i in range(a.warmup + a.repeats):
        t0 = time.perf_counter()
        edge, s0, r = model(x)
        s1 = s0 + r
        loss = 0.001 * edge_bce(edge, e) + recon(s0, gt, window) + recon(s1, gt, window)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if i >= a.warmup:
            times.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({"op": "train-step", "impl": "pytorch " + torch.__version__, "threads": a.threads,
                      "batch": a.batch, "size": a.size, "dim": a.dim, "blocks": a.blocks,
                      "step_ms": statistics.median(times), "min_step_ms": min(times),
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


if __name__ == "__main__":
    main()
