#!/usr/bin/python3
"""Dev-only peer for `csgis bench train-step --ranks N`: the same JESS step under PyTorch
DistributedDataParallel (gloo backend, CPU), N processes on this machine.

Each rank runs the step of train_step_torch.py (edge BCE + reconstruction on S0 and S1, Adam) on a
batch of its own; DDP averages the gradients in buckets of --bucket-mb (25, its default) during
backward. Rank 0 prints one JSON line: the median step time and the samples per second of the
global batch (per-rank batch x N), like the csgis command.

  /usr/bin/python3 bench/peers/train_step_ddp_torch.py --ranks 2 --threads 1 --batch 2 --size 64
  /work/venv-torch2/bin/python bench/peers/train_step_ddp_torch.py ...   # PyTorch 2.x
"""
import argparse
import json
import os
import statistics
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from train_step_torch import Jess, base_loss, gaussian_window


def rank_main(rank, a, port):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    torch.set_num_threads(a.threads)
    dist.init_process_group("gloo", rank=rank, world_size=a.ranks)
    torch.manual_seed(0)  # DDP also broadcasts rank 0's parameters at construction
    fb, sb, eb = (int(v) for v in a.blocks.split(","))
    model = torch.nn.parallel.DistributedDataParallel(Jess(3, 3, a.dim, fb, sb, eb).train(),
                                                      bucket_cap_mb=a.bucket_mb)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(3 + rank)  # each rank its own batch
    x = torch.rand(a.batch, 3, a.size, a.size, generator=g)
    gt = torch.rand(a.batch, 3, a.size, a.size, generator=g)
    e = (torch.rand(a.batch, 1, a.size, a.size, generator=g) < 0.1).float()
    window = gaussian_window(3)
    times = []
    for i in range(a.warmup + a.repeats):
        t0 = time.perf_counter()
        loss, _, _ = base_loss(model, x, gt, e, window)
        opt.zero_grad()
        loss.backward()  # DDP's all-reduce overlaps it
        opt.step()
        if i >= a.warmup:
            times.append((time.perf_counter() - t0) * 1000)
    if rank == 0:
        step_ms = statistics.median(times)
        print(json.dumps({"op": "train-step", "impl": "pytorch " + torch.__version__ + " ddp gloo",
                          "ranks": a.ranks, "threads": a.threads, "batch": a.batch,
                          "global_batch": a.batch * a.ranks, "size": a.size, "dim": a.dim, "blocks": a.blocks,
                          "losses": "edge+recon(S0,S1)", "step_ms": step_ms, "min_step_ms": min(times),
                          "samples_per_s": a.batch * a.ranks / (step_ms / 1000)}), flush=True)
    dist.destroy_process_group()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ranks", type=int, default=2)
    p.add_argument("--threads", type=int, default=1, help="threads per rank")
    p.add_argument("--batch", type=int, default=2, help="per rank")
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--blocks", type=str, default="12,3,6")
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--bucket-mb", type=float, default=25.0)
    p.add_argument("--port", type=int, default=29531)
    a = p.parse_args()
    mp.spawn(rank_main, args=(a, a.port), nprocs=a.ranks, join=True)


if __name__ == "__main__":
    main()
