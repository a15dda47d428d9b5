#!/usr/bin/python3
"""Dev-only generator of the JESS parity fixtures (run with Debian's python3-torch):

    /usr/bin/python3 tests/models/make_jess_fixture.py

Defines the smoothing network in PyTorch with the module names of the authors' `HDC_edge_refine`
(written here from the spec, so the state_dict keys are the reference's), builds a small
configuration, randomises BatchNorm statistics and affine parameters (so eval mode differs from
identity normalisation), and writes into tests/models/fixtures/:
  jess_small.safetensors     plain state_dict (F32 + int64 num_batches_tracked, no metadata)
  jess_small_io.safetensors  input, eval-mode E_pred/S0/S1, one train-mode forward (E/S1 and the
                             running_mean of one BN after it)
It also prints the PyTorch parameter count of the paper configuration (dim 64, 12/3/6 blocks).
The `safetensors` package is not needed: the format is written by hand below.
"""
import json
import os
import struct

import torch
from torch import nn

SMALL = dict(in_c=3, out_c=3, dim=8, feature_blocks=2, smooth_blocks=1, enhance_blocks=1)
PAPER = dict(in_c=3, out_c=3, dim=64, feature_blocks=12, smooth_blocks=3, enhance_blocks=6)
WATCHED_BN = "descriptor.res16.0.bn_conv_3x3_1"


def conv3x3(i, o, d=1):
    return nn.Conv2d(i, o, kernel_size=3, stride=1, padding=d, dilation=d)


def cbr(i, o):
    return [conv3x3(i, o), nn.BatchNorm2d(o), nn.ReLU()]


class RHDC(nn.Module):
    """Three conv+BN+ReLU with dilations 1, 2, 3 plus the input (attribute names as the reference)."""

    def __init__(self, dim):
        super().__init__()
        for k in (1, 2, 3):
            setattr(self, "conv_3x3_%d" % k, conv3x3(dim, dim, k))
            setattr(self, "bn_conv_3x3_%d" % k, nn.BatchNorm2d(dim))

    def forward(self, x):
        y = x
        for k in (1, 2, 3):
            y = torch.relu(getattr(self, "bn_conv_3x3_%d" % k)(getattr(self, "conv_3x3_%d" % k)(y)))
        return y + x


class Descriptor(nn.Module):
    def __init__(self, in_c, dim, blocks):
        super().__init__()
        self.conv_in = conv3x3(in_c, dim)
        self.res16 = nn.ModuleList([RHDC(dim) for _ in range(blocks)])

    def forward(self, x):
        x = self.conv_in(x)
        for block in self.res16:
            x = block(x)
        return x


class Jess(nn.Module):
    def __init__(self, in_c, out_c, dim, feature_blocks, smooth_blocks, enhance_blocks):
        super().__init__()
        self.descriptor = Descriptor(in_c, dim, feature_blocks)
        self.interpreter1 = nn.Sequential(*cbr(dim, dim), *cbr(dim, dim), conv3x3(dim, 1))
        self.interpreter2 = nn.Sequential(*cbr(dim + 1, dim), *[RHDC(dim) for _ in range(smooth_blocks)],
                                          *cbr(dim, dim), conv3x3(dim, out_c))
        self.refine = nn.Sequential(*cbr(dim + 1 + out_c, dim), *[RHDC(dim) for _ in range(enhance_blocks)],
                                    conv3x3(dim, out_c))

    def forward(self, x):
        f = self.descriptor(x)
        edge = self.interpreter1(f)
        f1 = torch.cat((f, edge), dim=1)
        out1 = self.interpreter2(f1)
        out2 = self.refine(torch.cat((f1, out1), dim=1))
        return edge, out1, out2


def randomise_bn(model, gen):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            c = m.num_features
            with torch.no_grad():
                m.weight.copy_(torch.rand(c, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(c, generator=gen) * 0.1)
                m.running_mean.copy_(torch.randn(c, generator=gen) * 0.1)
                m.running_var.copy_(torch.rand(c, generator=gen) + 0.5)
                m.num_batches_tracked.fill_(7)


DTYPES = {torch.float32: "F32", torch.int64: "I64"}


def save_safetensors(path, tensors):
    """[u64 header length][JSON header, space-padded to 8 bytes][raw little-endian data]."""
    header, blobs, offset = {}, [], 0
    for name, t in tensors:
        t = t.detach().contiguous().cpu()
        data = t.numpy().tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def main():
    out_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
    os.makedirs(out_dir, exist_ok=True)

    paper = Jess(**PAPER)
    print("paper configuration parameters:", sum(p.numel() for p in paper.parameters()))

    torch.manual_seed(20240611)
    gen = torch.Generator().manual_seed(7)
    model = Jess(**SMALL)
    randomise_bn(model, gen)
    model.eval()
    x = torch.rand(1, SMALL["in_c"], 12, 10, generator=gen)
    with torch.no_grad():
        edge, out1, out2 = model(x)
    save_safetensors(os.path.join(out_dir, "jess_small.safetensors"), list(model.state_dict().items()))

    # One training-mode forward (batch statistics, running-stat update) after the weights were saved.
    model.train()
    with torch.no_grad():
        t_edge, t_out1, t_out2 = model(x)
    watched = model.state_dict()[WATCHED_BN + ".running_mean"].clone()

    save_safetensors(os.path.join(out_dir, "jess_small_io.safetensors"), [
        ("input", x), ("E_pred", edge), ("S0", out1), ("S1", out1 + out2),
        ("train_E_pred", t_edge), ("train_S1", t_out1 + t_out2),
        ("train_" + WATCHED_BN + ".running_mean", watched)])
    print("small configuration parameters:", sum(p.numel() for p in model.parameters()))
    print("S1 range: [%.4f, %.4f]" % (float((out1 + out2).min()), float((out1 + out2).max())))


if __name__ == "__main__":
    main()
