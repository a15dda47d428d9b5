#!/usr/bin/env python3
"""Peer timing for bench/bench_conv2d.cpp: the same conv2d layer in PyTorch on CPU.

Dev-only (never used by the product or CI). Times a 64->64 3x3 conv, batch 2, 64x64, dilation
d in {1,2,3} with padding = d, stride 1, float32, and prints one JSON line per dilation:
  {"dilation": d, "threads": n, "forward_ms": ..., "backward_ms": ...}
forward_ms  = median of y = conv(x) (with bias)
backward_ms = median of the backward pass alone: grads w.r.t. input, weight and bias
              (torch.autograd.grad on a saved graph; the forward is not inside the timed region).

Usage: /usr/bin/python3 bench/peers/conv2d_torch.py [--threads 2] [--reps 50] [--warmup 10] [--groups 64]
"""
import argparse
import json
import statistics
import time

import torch


def median_ms(fn, reps, warmup):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--dilations", type=str, default="1,2,3")
    ap.add_argument("--groups", type=int, default=1, help="64: depthwise (csgis bench op conv2d_groups/depthwise_3x3)")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    n, c, k, h, w = 2, 64, 64, 64, 64
    for d in [int(v) for v in args.dilations.split(",")]:
        conv = torch.nn.Conv2d(c, k, 3, stride=1, padding=d, dilation=d, bias=True, groups=args.groups)
        x = torch.randn(n, c, h, w, requires_grad=True)
        dy = torch.randn(n, k, h, w)

        def fwd():
            with torch.no_grad():
                conv(x)

        # Backward only: build the graph once per rep outside the timer would need retain_graph;
        # retain_graph=True keeps the saved tensors so each rep re-runs exactly the backward kernels.
        y = conv(x)

        def bwd():
            torch.autograd.grad(y, (x, conv.weight, conv.bias), dy, retain_graph=True)

        fms = median_ms(fwd, args.reps, args.warmup)
        bms = median_ms(bwd, args.reps, args.warmup)
        print(json.dumps({"dilation": d, "groups": args.groups, "threads": torch.get_num_threads(),
                          "forward_ms": round(fms, 4), "backward_ms": round(bms, 4)}), flush=True)


if __name__ == "__main__":
    main()
