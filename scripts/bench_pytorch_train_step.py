#!/usr/bin/env python3
"""PyTorch CPU time of one Algorithm-1 training step of the domains head, the step `advbn bench --train` times:
VGG-19's pretrained layers after the split through block5_pool, a BatchNorm after each convolution (with an
auxiliary twin for the adversarial path), global average pooling, a fixed scale, a linear layer of 7 classes,
Adam (lr 1e-4). `plain`: CE(clean) and an Adam step. `advbn`: first m PGD steps on δ (ε 0.5, τ 0.2) with the
head in eval mode on the auxiliary BNs, then CE(clean) + CE(adv) (both twins in training mode) and an Adam step.
Inputs are random images through the frozen encoder (the features' values do not change the work).

    /usr/bin/python3 scripts/bench_pytorch_train_step.py --vgg DIR [--layer block4_conv1] [--size 80] [--batch 32]
        [--m 3] [--threads 2] [--runs 3] [--modes plain,advbn]       # prints JSON
    ... --serve      # reads `plain` / `advbn` lines on stdin, runs one step each, prints {"mode", "ms", "cpu_ms"}
                     # per line (advbn bench --train --pytorch interleaves these steps with its own)
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

EPS_BN = 1e-3
MOMENTUM_BN = 0.1  # PyTorch's convention (the Studio's 0.9 on the running value)


def median(xs):
    s = sorted(xs)
    return s[len(s) // 2] if len(s) % 2 else (s[len(s) // 2 - 1] + s[len(s) // 2]) / 2


class Head(torch.nn.Module):
    """The pretrained layers after `layer` through block5_pool, BN (+ twin) after each conv, GAP, linear."""

    def __init__(self, layers, weights, layer, classes=7):
        super().__init__()
        names = [l['config']['name'] for l in layers if l['class_name'] != 'InputLayer']
        end = names.index('block5_pool')
        kept = [l for l in layers if l['class_name'] != 'InputLayer'][names.index(layer) + 1:end + 1]
        self.kinds = []
        self.convs = torch.nn.ModuleList()
        self.bn_clean = torch.nn.ModuleList()
        self.bn_adv = torch.nn.ModuleList()
        for l in kept:
            name = l['config']['name']
            if l['class_name'] == 'Conv2D':
                k = torch.from_numpy(weights[name + '/kernel']).permute(3, 2, 0, 1).contiguous()
                conv = torch.nn.Conv2d(k.shape[1], k.shape[0], 3, padding=1)
                conv.weight.data.copy_(k)
                conv.bias.data.copy_(torch.from_numpy(weights[name + '/bias']))
                self.convs.append(conv)
                self.bn_clean.append(torch.nn.BatchNorm2d(k.shape[0], eps=EPS_BN, momentum=MOMENTUM_BN))
                self.bn_adv.append(torch.nn.BatchNorm2d(k.shape[0], eps=EPS_BN, momentum=MOMENTUM_BN))
                self.kinds.append('conv')
            elif l['class_name'] == 'MaxPooling2D':
                self.kinds.append('pool')
            else:
                raise SystemExit(f'unexpected layer {name} in the head')
        self.fc = torch.nn.Linear(self.convs[-1].out_channels, classes)

    def forward(self, x, bn):
        bns = self.bn_adv if bn == 'adv' else self.bn_clean
        i = 0
        for kind in self.kinds:
            if kind == 'conv':
                x = F.relu(bns[i](self.convs[i](x)))
                i += 1
            else:
                x = F.max_pool2d(x, 2, 2)
        return self.fc(x.mean(dim=(2, 3)) * 0.01)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--vgg', required=True)
    ap.add_argument('--layer', default='block4_conv1')
    ap.add_argument('--size', type=int, default=80)
    ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--m', type=int, default=3)
    ap.add_argument('--threads', type=int, default=torch.get_num_threads())
    ap.add_argument('--runs', type=int, default=3)
    ap.add_argument('--modes', default='plain,advbn')
    ap.add_argument('--serve', action='store_true')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    layers, w = read_tfjs_layers_folder(a.vgg)
    # The frozen encoder up to the split (no gradient), then the head.
    plain = [l for l in layers if l['class_name'] != 'InputLayer']
    cut = [l['config']['name'] for l in plain].index(a.layer) + 1
    torch.manual_seed(7)
    with torch.no_grad():
        x = torch.rand(a.batch, 3, a.size, a.size) * 255 - 120
        for l in plain[:cut]:
            name = l['config']['name']
            if l['class_name'] == 'Conv2D':
                k = torch.from_numpy(w[name + '/kernel']).permute(3, 2, 0, 1).contiguous()
                x = F.relu(F.conv2d(x, k, torch.from_numpy(w[name + '/bias']), padding=1))
            else:
                x = F.max_pool2d(x, 2, 2)
    f = x.contiguous()
    head = Head(layers, w, a.layer)
    params = [p for p in head.parameters()]
    opt = torch.optim.Adam(params, lr=1e-4)
    y = torch.randint(0, 7, (a.batch,))
    c = f.shape[1]
    mu = f.mean(dim=(0, 2, 3), keepdim=True)
    eps, tau = 0.5, 0.2

    def step(mode):
        f_adv = None
        if mode == 'advbn':
            head.eval()
            d_mu, d_sigma = torch.ones(c), torch.ones(c)
            for _ in range(a.m):
                dm = d_mu.clone().requires_grad_(True)
                ds = d_sigma.clone().requires_grad_(True)
                h = torch.clamp(ds.view(1, c, 1, 1) * (f - mu) + dm.view(1, c, 1, 1) * mu, min=0)
                loss = F.cross_entropy(head(h, 'adv'), y)
                gm, gs = torch.autograd.grad(loss, [dm, ds])
                d_mu = torch.clamp(d_mu + tau * torch.sign(gm), 1 - eps, 1 + eps)
                d_sigma = torch.clamp(d_sigma + tau * torch.sign(gs), 1 - eps, 1 + eps)
            with torch.no_grad():
                f_adv = torch.clamp(d_sigma.view(1, c, 1, 1) * (f - mu) + d_mu.view(1, c, 1, 1) * mu, min=0)
        head.train()
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(head(f, 'clean'), y)
        if f_adv is not None:
            loss = loss + F.cross_entropy(head(f_adv, 'adv'), y)
        loss.backward()
        opt.step()
        return loss.item()

    def timed(mode):
        t0, c0 = time.perf_counter(), time.process_time()
        step(mode)
        return (time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000

    modes = a.modes.split(',')
    for m in modes:
        timed(m)  # warm-up
    if a.serve:
        print(json.dumps({'ready': True, 'threads': torch.get_num_threads()}), flush=True)
        for line in sys.stdin:
            m = line.strip()
            if not m:
                continue
            if m not in ('plain', 'advbn'):
                print(json.dumps({'error': f'unknown mode {m}'}), flush=True)
                continue
            ms, cpu = timed(m)
            print(json.dumps({'mode': m, 'ms': round(ms, 1), 'cpu_ms': round(cpu, 1)}), flush=True)
        return
    times = {m: [] for m in modes}
    for _ in range(a.runs):
        for m in modes:
            times[m].append(timed(m))
    rows = [{'mode': f'train-{m}', 'threads': torch.get_num_threads(), 'layer': a.layer, 'size': a.size, 'batch': a.batch, 'm': a.m,
             'ms': [round(t, 1) for t, _ in times[m]], 'median_ms': round(median([t for t, _ in times[m]]), 1),
             'cpu_ms': round(median([c for _, c in times[m]]), 1)} for m in modes]
    json.dump({'torch': torch.__version__, 'rows': rows}, sys.stdout)
    print()


if __name__ == '__main__':
    main()
