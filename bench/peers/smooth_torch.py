#!/usr/bin/python3
"""Dev-only peer for `csgis bench smooth`: the JESS eval-mode forward in PyTorch, whole image at
once under torch.inference_mode(), on a procedural RGB picture (no image I/O).

It also writes the randomly initialised network it timed (with randomised BatchNorm statistics)
as a plain state_dict in safetensors, so that `csgis bench smooth --weights FILE` runs the same
architecture:

  python3 bench/peers/smooth_torch.py --threads 2 --size 1024 --save /tmp/jess_paper.safetensors
  build/csgis bench smooth --weights /tmp/jess_paper.safetensors --size 1024 --threads 2

Prints one JSON line: median ms, ms per megapixel and the process's peak RSS.
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "models"))
from make_jess_fixture import Jess, randomise_bn, save_safetensors  # noqa: E402  (our own PyTorch port)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--size", type=int, default=1024)
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--blocks", type=str, default="12,3,6", help="feature,smooth,enhance rHDC blocks")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--save", type=str, default="", help="write the network as safetensors here")
    p.add_argument("--device", type=str, default="cpu", help="cuda: synchronized timing, TF32 off (float32 like ours)")
    a = p.parse_args()
    dev = torch.device(a.device)
    if dev.type == "cuda":
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False
    torch.set_num_threads(a.threads)
    fb, sb, eb = (int(v) for v in a.blocks.split(","))
    gen = torch.Generator().manual_seed(4)
    torch.manual_seed(4)
    model = Jess(3, 3, a.dim, fb, sb, eb)
    randomise_bn(model, gen)
    model.eval()
    if a.save:
        save_safetensors(a.save, list(model.state_dict().items()))
    x = torch.rand(1, 3, a.size, a.size, generator=gen).to(dev)
    model = model.to(dev)
    times = []
    with torch.inference_mode():
        for i in range(1 + a.repeats):
            t0 = time.perf_counter()
            _, out1, out2 = model(x)
            s1 = out1 + out2
            float(s1[0, 0, 0, 0])
            if i > 0:
                times.append((time.perf_counter() - t0) * 1e3)
    ms = statistics.median(times)
    mp = a.size * a.size / 1e6
    print(json.dumps({"op": "smooth", "impl": "pytorch " + torch.__version__, "device": a.device,
                      "threads": a.threads, "size": a.size,
                      "dim": a.dim, "blocks": a.blocks, "repeats": a.repeats, "median_ms": ms,
                      "ms_per_megapixel": ms / mp,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
                      **({"peak_device_mb": torch.cuda.max_memory_allocated() / 2**20} if dev.type == "cuda" else {})}))


if __name__ == "__main__":
    main()
