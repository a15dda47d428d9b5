#!/usr/bin/env python3
"""Dev-only: turns the bench lines of tools/gpu-check.sh (bench.jsonl: `csgis bench` and the
PyTorch peers, one JSON object a line) into the markdown tables of docs/perf.md's GPU section.

  python3 bench/peers/gpu_report.py bench.jsonl > table.md

Ratios are ours over the peer measured in the same run (below 1: ours is faster).
"""
import json
import sys


def load(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                rows.append(json.loads(line))
    return rows


def ms(v):
    return f"{v:.3f}" if v < 10 else f"{v:.1f}"


def conv_table(rows):
    convs = {}
    for r in rows:
        if r.get("op") == "conv2d":
            key = (r["batch"], r["channels"], r["size"], r["dilation"])
            convs.setdefault(key, {})[r["impl"]] = (r["forward_ms"], r["backward_ms"])
        elif "forward_ms" in r and str(r.get("impl", "")).startswith("pytorch"):
            key = (r["batch"], r["channels"], r["size"], r["dilation"])
            name = "pytorch-tf32" if r.get("tf32") else "pytorch"
            convs.setdefault(key, {})[name] = (r["forward_ms"], r["backward_ms"])
    if not convs:
        return []
    out = ["| N, C, H=W, dilation | ours fwd / bwd ms | cuDNN FMA fwd / bwd | PyTorch fwd / bwd | ours / PyTorch (fwd+bwd) | cuDNN TF32 | PyTorch TF32 |",
           "|---|---|---|---|---|---|---|"]
    for key in sorted(convs):
        v = convs[key]

        def cell(name):
            return f"{ms(v[name][0])} / {ms(v[name][1])}" if name in v else "-"

        ratio = "-"
        if "csgis" in v and "pytorch" in v:
            ratio = f"{sum(v['csgis']) / sum(v['pytorch']):.2f}"
        out.append(f"| {key[0]}, {key[1]}, {key[2]}, {key[3]} | {cell('csgis')} | {cell('cudnn')} | {cell('pytorch')} | "
                   f"{ratio} | {cell('cudnn-tf32')} | {cell('pytorch-tf32')} |")
    return out


def step_table(rows):
    ours, theirs, amp = {}, {}, {}
    for r in rows:
        if r.get("op") != "train-step":
            continue
        full = "dtv" in r.get("losses", "")
        if str(r.get("impl", "")).startswith("pytorch") and "amp-" in r["impl"]:
            amp[(r["batch"], r["size"], full)] = r
        elif str(r.get("impl", "")).startswith("pytorch"):
            theirs[(r["batch"], r["size"], full)] = r
        else:
            ours[(r["batch"], r["size"], full)] = r
    if not ours and not theirs:
        return []
    out = ["| batch, size, losses | ours median (min) ms | PyTorch median (min) ms | ours / PyTorch | peak device MB, ours / PyTorch | PyTorch autocast median ms |",
           "|---|---|---|---|---|---|"]
    for key in sorted(set(ours) | set(theirs) | set(amp)):
        a, b = ours.get(key), theirs.get(key)
        cell = lambda r: f"{ms(r['step_ms'])} ({ms(r['min_step_ms'])})" if r else "-"
        ratio = f"{a['step_ms'] / b['step_ms']:.2f}" if a and b else "-"
        mb = lambda r: f"{r['peak_device_mb']:.0f}" if r and "peak_device_mb" in r else "-"
        peak = f"{mb(a)} / {mb(b)}"
        what = "full (configs/ablation-full.json)" if key[2] else "edge + recon, paper network"
        c = amp.get(key)
        amp_cell = f"{ms(c['step_ms'])} ({c['impl'].split()[-1]})" if c else "-"
        out.append(f"| {key[0]}, {key[1]}, {what} | {cell(a)} | {cell(b)} | {ratio} | {peak} | {amp_cell} |")
    return out


def smooth_table(rows):
    out = []
    for r in rows:
        if r.get("op") != "smooth":
            continue
        who = r.get("impl", "csgis")
        w = r.get("weights", f"random, width {r.get('dim')}")
        where = f"windows {r['windows']} (tile {r['tile']})" if "windows" in r else "whole image"
        out.append(f"| {who} | {r['size']} | {w} | {where} | {ms(r['median_ms'])} | {ms(r['ms_per_megapixel'])} |")
    if not out:
        return []
    return ["| impl | size | weights | windows | median ms | ms per megapixel |", "|---|---|---|---|---|---|"] + out


def smoother_table(rows):
    out = [f"| {r['method']} | {r['size']} | {ms(r['median_ms'])} | {json.dumps(r.get('params', {}))} |"
           for r in rows if r.get("op") == "smoother"]
    if not out:
        return []
    return ["| method | size | median ms | parameters |", "|---|---|---|---|"] + out


def main():
    rows = load(sys.argv[1])
    for table in (conv_table(rows), step_table(rows), smooth_table(rows), smoother_table(rows)):
        if table:
            print("\n".join(table))
            print()


if __name__ == "__main__":
    main()
