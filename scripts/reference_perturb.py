#!/usr/bin/env python3
"""A PyTorch reference of AdvBN's PGD (the authors' perturb(), as written in the method note §2-3),
run on the same VGG-19 weights and the same crop as the project, so the two can be compared step by step.

Dev and test tool (src/core/reference.test.ts runs it when Debian's python3-torch is installed). It reads
the TF.js layers folder (model.json + uint8-quantised shards) directly; nothing is written.

    python3 scripts/reference_perturb.py --vgg DIR --crop crop.f32 [--layer block4_conv1]
        [--eps 1.1] [--tau 0.2] [--steps 6] [--clamp torch|relu]

crop.f32: 224*224*3 float32 RGB in [0, 1], row-major HWC (what the project feeds its classifier).
Prints JSON: clean top-5 (index, prob), the loss at every PGD state (δ = 1 first), and the final δ's
range (delta) and min, max and mean (delta_summary). --clamp relu switches the clamp's gradient to a ReLU's (blocked at 0), the project's old one.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tfjs_weights import read_tfjs_layers_folder  # noqa: E402

CAFFE_BGR_MEAN = [103.939, 116.779, 123.68]


def make_ops(layers, weights):
    """(name, function on NCHW tensors, ends in a ReLU) for each layer after the input."""
    ops = []
    for layer in layers:
        cls, cfg = layer['class_name'], layer['config']
        name = cfg['name']
        if cls == 'Conv2D':
            k = weights[name + '/kernel'].permute(3, 2, 0, 1).contiguous()  # HWIO -> OIHW
            b = weights[name + '/bias']
            relu = cfg.get('activation') == 'relu'
            pad = k.shape[-1] // 2 if cfg.get('padding') == 'same' else 0
            ops.append((name, (lambda k, b, relu, pad: lambda x: (F.relu if relu else (lambda y: y))(F.conv2d(x, k, b, padding=pad)))(k, b, relu, pad), relu))
        elif cls == 'MaxPooling2D':
            ops.append((name, lambda x: F.max_pool2d(x, 2, 2), False))
        elif cls == 'Flatten':
            # Keras flattens channels-last: H·W·C order.
            ops.append((name, lambda x: x.permute(0, 2, 3, 1).reshape(x.shape[0], -1), False))
        elif cls == 'Dense':
            w = weights[name + '/kernel'].t().contiguous()
            b = weights[name + '/bias']
            act = cfg.get('activation')
            # The classifier's softmax is left out: the loss takes logits.
            ops.append((name, (lambda w, b, act: lambda x: F.relu(F.linear(x, w, b)) if act == 'relu' else F.linear(x, w, b))(w, b, act), act == 'relu'))
        elif cls == 'InputLayer':
            continue
        else:
            raise SystemExit(f'unsupported layer {cls} ({name})')
    return ops


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--vgg', required=True)
    ap.add_argument('--crop', required=True)
    ap.add_argument('--layer', default='block4_conv1')
    ap.add_argument('--eps', type=float, default=1.1)
    ap.add_argument('--tau', type=float, default=0.2)
    ap.add_argument('--steps', type=int, default=6)
    ap.add_argument('--clamp', choices=['torch', 'relu'], default='torch')
    a = ap.parse_args()
    torch.set_grad_enabled(False)
    layers, np_weights = read_tfjs_layers_folder(a.vgg)
    weights = {k: torch.from_numpy(v) for k, v in np_weights.items()}
    ops = make_ops(layers, weights)
    names = [n for n, _, _ in ops]
    if a.layer not in names:
        raise SystemExit(f'layer {a.layer} not in the model')
    cut = names.index(a.layer) + 1
    relu_split = ops[cut - 1][2]

    rgb = torch.from_numpy(np.fromfile(a.crop, dtype=np.float32).reshape(1, 224, 224, 3))
    bgr = rgb.flip(-1) * 255 - torch.tensor(CAFFE_BGR_MEAN)
    x = bgr.permute(0, 3, 1, 2).contiguous()
    for _, op, _ in ops[:cut]:
        x = op(x)
    f = x

    def head(h):
        for _, op, _ in ops[cut:]:
            h = op(h)
        return h

    clean = F.softmax(head(f), dim=1)[0]
    top5 = torch.topk(clean, 5)
    y = torch.tensor([int(top5.indices[0])])

    # §1: per-channel statistics over batch and space.
    mu = f.mean(dim=(0, 2, 3), keepdim=True)
    c = f.shape[1]

    def f_adv(d_mu, d_sigma):
        out = d_sigma.view(1, c, 1, 1) * (f - mu) + d_mu.view(1, c, 1, 1) * mu
        if not relu_split:
            return out
        if a.clamp == 'torch':
            return torch.clamp(out, min=0)  # the authors': gradient passes where out >= 0
        return F.relu(out)  # gradient blocked at 0

    d_mu = torch.ones(c)
    d_sigma = torch.ones(c)
    losses = []
    for step in range(a.steps + 1):
        with torch.enable_grad():
            dm = d_mu.clone().requires_grad_(True)
            ds = d_sigma.clone().requires_grad_(True)
            loss = F.cross_entropy(head(f_adv(dm, ds)), y)
            losses.append(float(loss))
            if step == a.steps:
                break
            gm, gs = torch.autograd.grad(loss, [dm, ds])
        d_mu = torch.clamp(d_mu + a.tau * torch.sign(gm), 1 - a.eps, 1 + a.eps)
        d_sigma = torch.clamp(d_sigma + a.tau * torch.sign(gs), 1 - a.eps, 1 + a.eps)

    json.dump({
        'clean_top5': [{'index': int(i), 'prob': float(p)} for p, i in zip(top5.values, top5.indices)],
        'label': int(y[0]),
        'losses': losses,
        'delta': {'mu': [float(d_mu.min()), float(d_mu.max())], 'sigma': [float(d_sigma.min()), float(d_sigma.max())]},
        'delta_summary': {k: {'min': float(v.min()), 'max': float(v.max()), 'mean': float(v.double().mean())} for k, v in (('mu', d_mu), ('sigma', d_sigma))},
        'clamp': a.clamp,
    }, sys.stdout)


if __name__ == '__main__':
    main()
