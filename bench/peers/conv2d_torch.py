#!/usr/bin/env python3
"""Peer timing for bench/bench_conv2d.cpp: the same conv2d layer in PyTorch on CPU.

Dev-only (never used by the product or CI). Times a 64->64 3x3 conv, batch 2, 64x64, dilation
d in {1,2,3} with padding = d, stride 1, float32, and prints one JSON line per dilation:
  {"dilation": d, "threads": n, "forward_ms": ..., "backward_ms": ...}
forward_ms  = median of y = conv(x) (with bias)
backward_ms = median of the backward pass alone: grads w.r.t. input, weight and bias
              (torch.autograd.grad on a saved graph; the forward is not inside the timed region).

Usage: /usr/bin/python3 bench/peers/conv2d_torch.py [--threads 2] [--reps 50] [--warmup 10] [--groups 64]
       python3 bench/peers/conv2d_torch.py --device cuda --batch 8 --size 128   (GPU: synchronized
       timing, float32 with TF32 off unless --tf32, cuDNN autotuning off unless --cudnn-benchmark)
"""
import argparse
import json
import statistics
import time

import torch


def median_ms(fn, reps, warmup, sync=lambda: None):
    for _ in range(warmup):
        fn()
    sync()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        sync()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--dilations", type=str, default="1,2,3")
    ap.add_argument("--groups", type=int, default=1, help="64: depthwise (csgis bench op conv2d_groups/depthwise_3x3)")
    ap.add_argument("--device", type=str, default="cpu")
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--channels", type=int, default=64)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--tf32", action="store_true", help="CUDA: let cuDNN use TF32 (PyTorch's default for conv)")
    ap.add_argument("--cudnn-benchmark", action="store_true", help="CUDA: cuDNN autotuning")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    dev = torch.device(args.device)
    sync = (lambda: torch.cuda.synchronize()) if dev.type == "cuda" else (lambda: None)
    if dev.type == "cuda":
        torch.backends.cudnn.allow_tf32 = args.tf32
        torch.backends.cudnn.benchmark = args.cudnn_benchmark
    n, c, k, h, w = args.batch, args.channels, args.channels, args.size, args.size
    for d in [int(v) for v in args.dilations.split(",")]:
        conv = torch.nn.Conv2d(c, k, 3, stride=1, padding=d, dilation=d, bias=True, groups=args.groups).to(dev)
        x = torch.randn(n, c, h, w, device=dev, requires_grad=True)
        dy = torch.randn(n, k, h, w, device=dev)

        def fwd():
            with torch.no_grad():
                conv(x)

        # Backward only: build the graph once per rep outside the timer would need retain_graph;
        # retain_graph=True keeps the saved tensors so each rep re-runs exactly the backward kernels.
        y = conv(x)

        def bwd():
            torch.autograd.grad(y, (x, conv.weight, conv.bias), dy, retain_graph=True)

        fms = median_ms(fwd, args.reps, args.warmup, sync)
        bms = median_ms(bwd, args.reps, args.warmup, sync)
        print(json.dumps({"impl": "pytorch " + torch.__version__, "device": args.device, "batch": n, "channels": c,
                          "size": h, "tf32": args.tf32, "dilation": d, "groups": args.groups,
                          "threads": torch.get_num_threads(),
                          "forward_ms": round(fms, 4), "backward_ms": round(bms, 4)}), flush=True)


if __name__ == "__main__":
    main()
