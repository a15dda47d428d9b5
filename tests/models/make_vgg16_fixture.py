#!/usr/bin/python3
"""Dev-only generator of the VGG16-features parity fixture (run with Debian's python3-torch):

    /usr/bin/python3 tests/models/make_vgg16_fixture.py

torchvision's vgg16().features up to relu2_2 written with torch.nn.functional (same layers: 3x3
convolutions with padding 1, ReLU, 2x2 max pooling), with weights from a closed formula that the
C++ test evaluates too (so no weights are stored), ImageNet input normalisation, on a 2 x 3 x 9 x 11
batch in [0, 1]. Writes tests/models/fixtures/vgg16_io.safetensors: input, relu1_2, relu2_2 and
the gradient of sum(relu2_2 * cos(0.1 k)) with respect to the input.
"""
import math
import os

import torch
import torch.nn.functional as F

from make_jess_fixture import save_safetensors

CONVS = [(0, 3, 64), (2, 64, 64), (5, 64, 128), (7, 128, 128)]
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


def formula(index, numel, weight):
    """Flat element j: 0.3 sin(0.37 j + index) for weights (divided by sqrt(fan-in) by the caller),
    0.02 cos(0.5 j + index) for biases."""
    j = torch.arange(numel, dtype=torch.float64)
    if weight:
        return (0.3 * torch.sin(0.37 * j + index)).float()
    return (0.02 * torch.cos(0.5 * j + index)).float()


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "vgg16_io.safetensors")
    params = {}
    for index, cin, cout in CONVS:
        w = formula(index, cout * cin * 9, True).reshape(cout, cin, 3, 3) / math.sqrt(cin * 9)
        params[index] = (w, formula(index, cout, False))
    gen = torch.Generator().manual_seed(11)
    x = torch.rand(2, 3, 9, 11, generator=gen, dtype=torch.float32).requires_grad_(True)
    mean = torch.tensor(MEAN).view(1, 3, 1, 1)
    std = torch.tensor(STD).view(1, 3, 1, 1)
    h = (x - mean) / std
    h = F.relu(F.conv2d(h, *params[0], padding=1))
    relu1_2 = F.relu(F.conv2d(h, *params[2], padding=1))
    h = F.max_pool2d(relu1_2, 2, 2)
    h = F.relu(F.conv2d(h, *params[5], padding=1))
    relu2_2 = F.relu(F.conv2d(h, *params[7], padding=1))
    weights = torch.cos(0.1 * torch.arange(relu2_2.numel(), dtype=torch.float32)).reshape(relu2_2.shape)
    (relu2_2 * weights).sum().backward()
    save_safetensors(out, [("input", x), ("relu1_2", relu1_2), ("relu2_2", relu2_2), ("grad_input", x.grad)])
    print("wrote", out, "relu2_2", tuple(relu2_2.shape))


if __name__ == "__main__":
    main()
