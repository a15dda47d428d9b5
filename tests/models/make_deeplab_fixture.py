#!/usr/bin/python3
"""Dev-only generator of the DeepLabv3+ (MobileNetV2) parity fixture (run with Debian's python3-torch):

    /usr/bin/python3 tests/models/make_deeplab_fixture.py

Defines deeplabv3plus_mobilenet in PyTorch with the module names of VainF/DeepLabV3Plus-Pytorch
(written here from that code's structure: unpadded first convolution, inverted residuals that pad
their input by their dilation, ASPP with image pooling, decoder with the low-level skip), fills
every parameter and BatchNorm statistic from a closed formula of its name and element index that
tests/models/test_deeplab.cpp evaluates too (so no weights are stored), and writes
tests/models/fixtures/deeplab_io.safetensors: for output strides 8 and 16, an input (2 x 3 x 33 x 29)
and the evaluation-mode logits (5 classes), plus at output stride 8 the input gradients of
sum(logits * cos(0.01 k)) and of sum(high-level features * cos(0.01 k)). It also prints the parameter count of the 21-class model.
"""
import math
import os

import torch
import torch.nn.functional as F
from torch import nn

from make_jess_fixture import save_safetensors


def conv_bn_relu6(i, o, k=3, stride=1, dilation=1, groups=1):
    return nn.Sequential(nn.Conv2d(i, o, k, stride, 0, dilation=dilation, groups=groups, bias=False),
                         nn.BatchNorm2d(o), nn.ReLU6())


class InvertedResidual(nn.Module):
    def __init__(self, inp, oup, stride, dilation, t):
        super().__init__()
        hidden = int(round(inp * t))
        self.res = stride == 1 and inp == oup
        layers = [conv_bn_relu6(inp, hidden, 1)] if t != 1 else []
        layers += [conv_bn_relu6(hidden, hidden, 3, stride, dilation, hidden),
                   nn.Conv2d(hidden, oup, 1, 1, 0, bias=False), nn.BatchNorm2d(oup)]
        self.conv = nn.Sequential(*layers)
        self.pad = dilation

    def forward(self, x):
        y = self.conv(F.pad(x, (self.pad,) * 4))
        return x + y if self.res else y


def mobilenet_features(output_stride):
    feats = [conv_bn_relu6(3, 32, 3, 2)]
    cur, dil, inp = 2, 1, 32
    for t, c, n, s in [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1],
                       [6, 160, 3, 2], [6, 320, 1, 1]]:
        prev = dil
        if cur == output_stride:
            stride, dil = 1, dil * s
        else:
            stride, cur = s, cur * s
        for i in range(n):
            feats.append(InvertedResidual(inp, c, stride if i == 0 else 1, prev if i == 0 else dil, t))
            inp = c
    return nn.Sequential(*feats)


def cbr(i, o, k, pad=0, dil=1):
    return nn.Sequential(nn.Conv2d(i, o, k, padding=pad, dilation=dil, bias=False), nn.BatchNorm2d(o), nn.ReLU())


class ASPPPooling(nn.Sequential):
    def __init__(self, i):
        super().__init__(nn.AdaptiveAvgPool2d(1), nn.Conv2d(i, 256, 1, bias=False), nn.BatchNorm2d(256), nn.ReLU())

    def forward(self, x):
        return F.interpolate(super().forward(x), size=x.shape[-2:], mode="bilinear", align_corners=False)


class ASPP(nn.Module):
    def __init__(self, i, rates):
        super().__init__()
        self.convs = nn.ModuleList([cbr(i, 256, 1)] + [cbr(i, 256, 3, r, r) for r in rates] + [ASPPPooling(i)])
        self.project = nn.Sequential(nn.Conv2d(1280, 256, 1, bias=False), nn.BatchNorm2d(256), nn.ReLU(),
                                     nn.Dropout(0.1))

    def forward(self, x):
        return self.project(torch.cat([c(x) for c in self.convs], dim=1))


class Head(nn.Module):
    def __init__(self, classes, rates):
        super().__init__()
        self.project = cbr(24, 48, 1)
        self.aspp = ASPP(320, rates)
        self.classifier = nn.Sequential(nn.Conv2d(304, 256, 3, padding=1, bias=False), nn.BatchNorm2d(256),
                                        nn.ReLU(), nn.Conv2d(256, classes, 1))

    def forward(self, low, out):
        low = self.project(low)
        out = F.interpolate(self.aspp(out), size=low.shape[2:], mode="bilinear", align_corners=False)
        return self.classifier(torch.cat([low, out], dim=1))


class Backbone(nn.Module):
    def __init__(self, output_stride):
        super().__init__()
        f = mobilenet_features(output_stride)
        self.low_level_features = f[:4]
        self.high_level_features = f[4:]  # keys "4" .. "17", as a sliced Sequential keeps them


class DeepLab(nn.Module):
    def __init__(self, classes, output_stride):
        super().__init__()
        self.backbone = Backbone(output_stride)
        self.classifier = Head(classes, [12, 24, 36] if output_stride == 8 else [6, 12, 18])

    def forward(self, x):
        low = self.backbone.low_level_features(x)
        out = self.backbone.high_level_features(low)
        return F.interpolate(self.classifier(low, out), size=x.shape[-2:], mode="bilinear", align_corners=False)


def name_hash(name):
    return sum(ord(ch) for ch in name) % 97


def formula(name, shape):
    """The test's closed formula: element j of entry `name` (see tests/models/test_deeplab.cpp)."""
    n = 1
    for s in shape:
        n *= s
    j = torch.arange(n, dtype=torch.float64)
    h = name_hash(name)
    if name.endswith("running_var"):
        v = 1 + 0.5 * torch.sin(0.7 * j + h).abs()
    elif name.endswith("running_mean"):
        v = 0.1 * torch.sin(0.3 * j + h)
    elif name.endswith("num_batches_tracked"):
        return torch.tensor(7, dtype=torch.int64)
    elif len(shape) == 1 and name.endswith("weight"):  # BatchNorm scale
        v = 1 + 0.2 * torch.sin(j + h)
    elif name.endswith("bias"):
        v = 0.05 * torch.cos(0.5 * j + h)
    else:  # convolution kernels: about unit gain
        fan_in = n // shape[0]
        v = 3.0 * torch.sin(0.37 * j + h) / math.sqrt(fan_in)
    return v.reshape(shape).float()


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "deeplab_io.safetensors")
    print("deeplabv3plus_mobilenet (21 classes) parameters:", sum(p.numel() for p in DeepLab(21, 8).parameters()))
    gen = torch.Generator().manual_seed(5)
    x = torch.rand(2, 3, 33, 29, generator=gen) * 2 - 1
    tensors = [("input", x)]
    for stride in (8, 16):
        model = DeepLab(5, stride).eval()
        sd = model.state_dict()
        model.load_state_dict({k: formula(k, tuple(v.shape)) for k, v in sd.items()})
        xi = x.clone().requires_grad_(stride == 8)
        logits = model(xi)
        tensors.append((f"logits_os{stride}", logits))
        if stride == 8:
            w = torch.cos(0.01 * torch.arange(logits.numel(), dtype=torch.float32)).reshape(logits.shape)
            (logits * w).sum().backward()
            tensors.append(("grad_input_os8", xi.grad))
            # The backbone alone: d/dx sum(high-level features * cos(0.01 k)).
            xb = x.clone().requires_grad_(True)
            high = model.backbone.high_level_features(model.backbone.low_level_features(xb))
            wb = torch.cos(0.01 * torch.arange(high.numel(), dtype=torch.float32)).reshape(high.shape)
            (high * wb).sum().backward()
            tensors.append(("grad_input_backbone_os8", xb.grad))
        print(f"output stride {stride}: logits {tuple(logits.shape)}, range [{logits.min():.3f}, {logits.max():.3f}]")
    save_safetensors(out, tensors)
    print("wrote", out)


if __name__ == "__main__":
    main()
