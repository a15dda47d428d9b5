#!/usr/bin/python3
"""Dev-only peer for `csgis bench train-step`: the same JESS step in PyTorch (Debian's python3-torch).

One step = forward, class-balanced edge BCE (summed, weight 0.001) + reconstruction loss on S0 and
S1 (L1 + 0.1 * (4 - sum of zero-padded 11x11 Gaussian SSIM over 4 max-pooled scales)), backward,
Adam. Prints one JSON line with the median step time, like the csgis command.

  /usr/bin/python3 bench/peers/train_step_torch.py --threads 2 --batch 2 --size 64

--full adds what `csgis bench train-step --config configs/ablation-full.json` adds: DTV on S0 and
S1, the gray-L1 triplet (margin 0.3), the Gram triplet on a frozen VGG16's relu1_2 and relu2_2
(HED's input scaling, features times 1/255 as our `loss.gram_input` "raw"), and the label-free semantic term through a
frozen DeepLabv3+ (MobileNetV2, output stride 16, 7 classes; our PyTorch port of VainF's code):
CE(phi(S1), argmax phi(S_gt)). Weights are random: the time does not depend on their values.
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
from make_deeplab_fixture import DeepLab  # noqa: E402  (VainF's deeplabv3plus_mobilenet, our port)


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


def gdl(x, mask):
    n, c, h, w = x.shape
    dh = torch.roll(x, -1, 2) - x
    dw = torch.roll(x, -1, 3) - x
    return ((mask * dh ** 2).sum() / (c * (h - 1) * w) + (mask * dw ** 2).sum() / (c * h * (w - 1))) / n


def dtv(s, gt, e):
    edge_l1 = (e * (s - gt).abs()).sum() / (s.shape[1] * max(1.0, float(e.sum())))
    return edge_l1 + gdl(s, 1 - e)


def vgg16_relu2_2():
    layers = [torch.nn.Conv2d(3, 64, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv2d(64, 64, 3, padding=1),
              torch.nn.ReLU(), torch.nn.MaxPool2d(2, 2), torch.nn.Conv2d(64, 128, 3, padding=1), torch.nn.ReLU(),
              torch.nn.Conv2d(128, 128, 3, padding=1), torch.nn.ReLU()]
    net = torch.nn.Sequential(*layers).eval()
    for p in net.parameters():
        p.requires_grad_(False)
    return net


HED_MEAN = torch.tensor([122.679, 116.669, 104.007]).view(1, 3, 1, 1)
# loss.gram_input "raw": (mean ImageNet std) / (HED's gain 255 * mean ImageNet std) = 1 / 255.
RAW_SCALE = 1.0 / 255.0


def vgg_taps(vgg, rgb):
    h = rgb * 255.0 - HED_MEAN.to(rgb.device)
    relu1_2 = vgg[:4](h)
    relu2_2 = vgg[4:](relu1_2)
    return [relu1_2 * RAW_SCALE, relu2_2 * RAW_SCALE]


def gram(f):
    n, c, h, w = f.shape
    f = f.reshape(n, c, h * w)
    return f @ f.transpose(1, 2) / (c * h * w)


def gram_distance(fa, fb):
    return sum(((gram(a) - gram(b)) ** 2).sum() for a, b in zip(fa, fb))


def gray_l1(a, b):
    return (a.mean(1) - b.mean(1)).abs().mean()


IMAGENET_MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
IMAGENET_STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


def base_loss(model, x, gt, e, window):
    """Forward and the step's base loss: 0.001 edge BCE + reconstruction of S0 and S1."""
    edge, s0, r = model(x)
    s1 = s0 + r
    return 0.001 * edge_bce(edge, e) + recon(s0, gt, window) + recon(s1, gt, window), s0, s1


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=2)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--blocks", type=str, default="12,3,6")
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--full", action="store_true", help="the full model's losses (see the module docstring)")
    p.add_argument("--device", type=str, default="cpu", help="cuda: synchronized timing, TF32 off (float32 like ours)")
    p.add_argument("--amp", choices=["off", "bf16", "fp16"], default="off",
                   help="CUDA: autocast the forward and loss (PyTorch's mixed precision; fp16 with a GradScaler)")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    dev = torch.device(a.device)
    if dev.type == "cuda":
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False
    fb, sb, eb = (int(v) for v in a.blocks.split(","))
    model = Jess(3, 3, a.dim, fb, sb, eb).train().to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.rand(a.batch, 3, a.size, a.size, device=dev)
    gt = torch.rand(a.batch, 3, a.size, a.size, device=dev)
    e = (torch.rand(a.batch, 1, a.size, a.size, device=dev) < 0.1).float()
    window = gaussian_window(3).to(dev)
    negative = torch.rand(a.batch, 3, a.size, a.size, device=dev)
    if a.full:
        vgg = vgg16_relu2_2().to(dev)
        phi = DeepLab(7, 16).eval().to(dev)
        for q in phi.parameters():
            q.requires_grad_(False)
    import contextlib
    amp_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(a.amp)
    autocast = (lambda: torch.autocast("cuda", dtype=amp_dtype)) if amp_dtype else contextlib.nullcontext
    scaler = torch.amp.GradScaler("cuda") if a.amp == "fp16" else None
    times = []
    for i in range(a.warmup + a.repeats):
        t0 = time.perf_counter()
        ctx = autocast()
        ctx.__enter__()
        loss, s0, s1 = base_loss(model, x, gt, e, window)
        if a.full:
            loss = loss + dtv(s0, gt, e) + dtv(s1, gt, e)
            loss = loss + torch.clamp(gray_l1(s1, gt) - gray_l1(s1, negative) + 0.3, min=0)
            fa = vgg_taps(vgg, s1)
            with torch.no_grad():
                fp, fn = vgg_taps(vgg, gt), vgg_taps(vgg, negative)
                labels = phi((gt - IMAGENET_MEAN.to(dev)) / IMAGENET_STD.to(dev)).argmax(1)
            loss = loss + torch.clamp(gram_distance(fa, fp) - gram_distance(fa, fn) + 0.04, min=0)
            loss = loss + F.cross_entropy(phi((s1 - IMAGENET_MEAN.to(dev)) / IMAGENET_STD.to(dev)), labels, ignore_index=255)
        ctx.__exit__(None, None, None)
        opt.zero_grad()
        if scaler:
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
        else:
            loss.backward()
            opt.step()
        if dev.type == "cuda":
            torch.cuda.synchronize()
        if i >= a.warmup:
            times.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({"op": "train-step", "impl": "pytorch " + torch.__version__ + ("" if a.amp == "off" else " amp-" + a.amp),
                      "device": a.device,
                      "threads": a.threads,
                      "batch": a.batch, "size": a.size, "dim": a.dim, "blocks": a.blocks,
                      "losses": "full (edge+recon+dtv+contrast_gray+contrast_gram+seg_ce label-free)" if a.full
                      else "edge+recon(S0,S1)",
                      "step_ms": statistics.median(times), "min_step_ms": min(times),
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      **({"peak_device_mb": torch.cuda.max_memory_allocated() / 2**20} if dev.type == "cuda" else {})}))


if __name__ == "__main__":
    main()
