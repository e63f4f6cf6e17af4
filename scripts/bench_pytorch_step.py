#!/usr/bin/env python3
"""PyTorch CPU time of one AdvBN PGD step (feature mode: head forward + backward to δ + update) on the same
VGG-19 weights as `advbn bench`, for comparing the two on the same machine and threads.

    python3 scripts/bench_pytorch_step.py --vgg DIR [--layer block4_conv1] [--threads 2] [--runs 4]

Prints JSON: threads, the wall ms of each step after one warm-up step, their median, and the median CPU ms
(all threads of the process) per step.
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tfjs_weights import read_tfjs_layers_folder  # noqa: E402
from reference_perturb import make_ops  # noqa: E402


def median(xs):
    s = sorted(xs)
    return s[len(s) // 2] if len(s) % 2 else (s[len(s) // 2 - 1] + s[len(s) // 2]) / 2


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--vgg', required=True)
    ap.add_argument('--layer', default='block4_conv1')
    ap.add_argument('--threads', type=int, default=torch.get_num_threads())
    ap.add_argument('--runs', type=int, default=4)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_grad_enabled(False)
    layers, np_weights = read_tfjs_layers_folder(a.vgg)
    ops = make_ops(layers, {k: torch.from_numpy(v) for k, v in np_weights.items()})
    cut = [n for n, _, _ in ops].index(a.layer) + 1
    torch.manual_seed(7)
    x = torch.rand(1, 3, 224, 224) * 255 - 120  # like advbn bench: a random image, caffe-scaled
    for _, op, _ in ops[:cut]:
        x = op(x)
    f = x
    mu = f.mean(dim=(0, 2, 3), keepdim=True)
    c = f.shape[1]
    y = torch.tensor([0])
    d_mu, d_sigma = torch.ones(c), torch.ones(c)
    times, cpu = [], []
    for step in range(a.runs + 1):
        t0, c0 = time.perf_counter(), time.process_time()
        with torch.enable_grad():
            dm = d_mu.clone().requires_grad_(True)
            ds = d_sigma.clone().requires_grad_(True)
            h = torch.clamp(ds.view(1, c, 1, 1) * (f - mu) + dm.view(1, c, 1, 1) * mu, min=0)
            for _, op, _ in ops[cut:]:
                h = op(h)
            loss = F.cross_entropy(h, y)
            gm, gs = torch.autograd.grad(loss, [dm, ds])
        d_mu = torch.clamp(d_mu + 0.2 * torch.sign(gm), -0.1, 2.1)
        d_sigma = torch.clamp(d_sigma + 0.2 * torch.sign(gs), -0.1, 2.1)
        if step > 0:
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
    json.dump({'threads': torch.get_num_threads(), 'layer': a.layer, 'ms': [round(t, 1) for t in times], 'median_ms': round(median(times), 1),
               'cpu_ms': round(median(cpu), 1)}, sys.stdout)
    print()


if __name__ == '__main__':
    main()
