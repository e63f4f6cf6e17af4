#!/usr/bin/env python3
"""Continue training a committed AdvBN Studio decoder in PyTorch (CPU, or CUDA on a lent GPU machine).

Why this exists beside `advbn train-decoder`: the decoders ship with the app and need far more training
than the 2-core dev machines give the TF.js trainer in a session. Measured on the same 2 cores (batch 8,
Adam): block4_conv1 at 96 px with the feature loss 6.9 crops/s here vs 1.7 for `advbn train-decoder`
(WASM); block3_conv1 at 64 px 44 crops/s vs 3-4. The GPU machine has Python and PyTorch but no Node.
The method is the same as src/core/train-decoder.ts (pixel MSE + tv·mean|∇| + w·feature MSE / scale²,
random crops with flips from the training split, held-out = every 10th file in sorted order), and the
result is the same decoder format (decoder.json + float16 weights.bin): `advbn eval-decoder` judges it.

    python3 scripts/train_decoder.py --vgg DIR --images DIR --resume DECODER_DIR --out DIR
        [--size 96] [--batch 8] [--lr 2e-4] [--lr-end 2e-5] [--minutes 120] [--steps N]
        [--tv 1e-4] [--feature-loss 0.5] [--checkpoint-every 200] [--eval-images 30]
        [--threads 2] [--device cpu|cuda] [--seed 1]

The learning rate follows a cosine from --lr to --lr-end over the time budget (--minutes), so a run
that must end with the session still ends annealed; --steps caps it too. Every checkpoint writes the
decoder (fp16) and training-curve.csv to --out, and checkpoint.pt (float32 weights, Adam state, log);
resuming from a folder with checkpoint.pt continues that phase (weights, Adam state, curve; the cosine
starts again over the new --minutes).
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_perturb import CAFFE_BGR_MEAN, make_ops  # noqa: E402
from tfjs_weights import read_tfjs_layers_folder  # noqa: E402

IMAGE_EXT = ('.jpg', '.jpeg', '.png')


def list_images(folder):
    files = sorted(f for f in os.listdir(folder) if f.lower().endswith(IMAGE_EXT))
    if not files:
        raise SystemExit(f'{folder} has no .jpg/.jpeg/.png files')
    paths = [os.path.join(folder, f) for f in files]
    # The project's split (src/data/image-folder.ts trainEvalSplit): every 10th in sorted order is held out.
    return [p for i, p in enumerate(paths) if i % 10 != 9], [p for i, p in enumerate(paths) if i % 10 == 9]


def read_rgb(path):
    return np.array(Image.open(path).convert('RGB'), dtype=np.uint8)


def center_crop(path, size=224):
    """Short side to `size` (bilinear, align corners, as tf.image.resizeBilinear(…, true)), centre crop."""
    x = torch.from_numpy(read_rgb(path)).permute(2, 0, 1)[None].float() / 255
    h, w = x.shape[-2:]
    s = size / min(h, w)
    nh, nw = max(size, round(h * s)), max(size, round(w * s))
    x = F.interpolate(x, size=(nh, nw), mode='bilinear', align_corners=True)
    top, left = (nh - size) // 2, (nw - size) // 2
    return x[:, :, top:top + size, left:left + size].contiguous()


def caffe(rgb01):
    """RGB in [0, 1] (NCHW) → BGR·255 minus the ImageNet mean."""
    mean = torch.tensor(CAFFE_BGR_MEAN, device=rgb01.device).view(1, 3, 1, 1)
    return rgb01.flip(1) * 255 - mean


class Decoder(torch.nn.Module):
    """The decoder of a decoder.json manifest: scale, 3×3 reflection-padded convs (ReLU or linear), nearest ×2."""

    def __init__(self, manifest, weights):
        super().__init__()
        self.specs = manifest['layers']
        self.params = torch.nn.ParameterDict()
        for s in self.specs:
            if s['kind'] == 'conv2d':
                k = torch.from_numpy(weights[s['name'] + '/kernel']).permute(3, 2, 0, 1).contiguous()  # HWIO → OIHW
                self.params[s['name'] + '_k'] = torch.nn.Parameter(k)
                self.params[s['name'] + '_b'] = torch.nn.Parameter(torch.from_numpy(weights[s['name'] + '/bias']).clone())

    def forward(self, x):
        for s in self.specs:
            if s['kind'] == 'scale':
                x = x * s['factor']
            elif s['kind'] == 'upsample':
                x = F.interpolate(x, scale_factor=s['factor'], mode='nearest')
            else:
                k = self.params[s['name'] + '_k']
                pad = k.shape[-1] // 2
                if pad:
                    x = F.pad(x, (pad, pad, pad, pad), mode='reflect')
                x = F.conv2d(x, k, self.params[s['name'] + '_b'])
                if s['activation'] == 'relu':
                    x = F.relu(x)
        return x

    def named_hwio(self):
        out = {}
        for s in self.specs:
            if s['kind'] == 'conv2d':
                out[s['name'] + '/kernel'] = self.params[s['name'] + '_k'].detach().cpu().permute(2, 3, 1, 0).numpy()
                out[s['name'] + '/bias'] = self.params[s['name'] + '_b'].detach().cpu().numpy()
        return out


def read_decoder(folder):
    with open(os.path.join(folder, 'decoder.json')) as f:
        manifest = json.load(f)
    if manifest.get('format') != 'advbn-decoder':
        raise SystemExit(f'{folder}/decoder.json is not an advbn-decoder manifest')
    buf = open(os.path.join(folder, manifest['weights']['path']), 'rb').read()
    weights, offset = {}, 0
    for e in manifest['weights']['entries']:
        n = int(np.prod(e['shape']))
        dtype = np.float16 if e.get('quantization', {}).get('dtype') == 'float16' else np.float32
        weights[e['name']] = np.frombuffer(buf, dtype=dtype, count=n, offset=offset).astype(np.float32).reshape(e['shape'])
        offset += n * np.dtype(dtype).itemsize
    return manifest, weights


def write_decoder(folder, manifest, named):
    """decoder.json + float16 weights.bin (tf.io weights format, entries in the manifest's layer order)."""
    os.makedirs(folder, exist_ok=True)
    entries, parts = [], []
    for s in manifest['layers']:
        if s['kind'] != 'conv2d':
            continue
        for suffix in ('kernel', 'bias'):
            name = f"{s['name']}/{suffix}"
            v = named[name]
            if not np.all(np.isfinite(v)) or np.abs(v).max() > 65504:
                raise SystemExit(f'{name} does not fit float16')
            entries.append({'name': name, 'shape': list(v.shape), 'dtype': 'float32', 'quantization': {'dtype': 'float16'}})
            parts.append(v.astype(np.float16).tobytes())
    out = dict(manifest, weights={'path': 'weights.bin', 'entries': entries})
    with open(os.path.join(folder, 'weights.bin'), 'wb') as f:
        f.write(b''.join(parts))
    with open(os.path.join(folder, 'decoder.json'), 'w') as f:
        json.dump(out, f, indent=1, ensure_ascii=False)  # as the TF.js writer (JSON.stringify(m, null, 1))


def curve_csv(log):
    """The same rows as src/cli/commands/train-decoder.ts curveCsv: earlier phases first."""
    phases = []
    p = log
    while p:
        phases.insert(0, p)
        p = p.get('previous')
    rows = ['phase,step,seconds,loss,psnr_db,top1_kept']
    for i, ph in enumerate(phases):
        for c in ph.get('curve') or []:
            rows.append(','.join(str(v) for v in [i + 1, c['step'], c['seconds'], f"{c['loss']:.5f}", c.get('psnr', ''), c.get('retention', '')]))
    return '\n'.join(rows) + '\n'


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--vgg', required=True)
    ap.add_argument('--images', required=True)
    ap.add_argument('--resume', required=True, help='a decoder folder (decoder.json + weights.bin), or an --out folder with checkpoint.pt')
    ap.add_argument('--out', required=True)
    ap.add_argument('--size', type=int, default=96)
    ap.add_argument('--batch', type=int, default=8)
    ap.add_argument('--lr', type=float, default=2e-4)
    ap.add_argument('--lr-end', type=float, default=2e-5)
    ap.add_argument('--minutes', type=float, default=120)
    ap.add_argument('--steps', type=int, default=10 ** 9)
    ap.add_argument('--tv', type=float, default=1e-4)
    ap.add_argument('--feature-loss', type=float, default=0.0)
    ap.add_argument('--checkpoint-every', type=int, default=200)
    ap.add_argument('--eval-images', type=int, default=30)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--device', default='cpu')
    ap.add_argument('--seed', type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    dev = torch.device(a.device)

    ckpt_path = os.path.join(a.resume, 'checkpoint.pt')
    ckpt = torch.load(ckpt_path) if os.path.exists(ckpt_path) else None
    if ckpt:
        manifest, weights = ckpt['manifest'], ckpt['weights']
        log = ckpt['log']
    else:
        manifest, weights = read_decoder(a.resume)
        earlier = manifest.get('training')
        log = {'steps': 0, 'crops': 0, 'seconds': 0, 'curve': [], 'previous': earlier}
    layer, scale = manifest['layer'], manifest['featureScale']
    log.update({'size': a.size, 'batch': a.batch, 'lr': a.lr, 'lrEnd': a.lr_end, 'tv': a.tv, 'layer': layer,
                'images': os.path.basename(os.path.normpath(a.images)), 'featureLoss': a.feature_loss,
                'trainer': f'scripts/train_decoder.py (PyTorch {torch.__version__}, {a.device}, {a.threads} threads)'})

    vgg_layers, vgg_np = read_tfjs_layers_folder(a.vgg)
    ops = [(n, f) for n, f, _ in make_ops(vgg_layers, {k: torch.from_numpy(v).to(dev) for k, v in vgg_np.items()})]
    names = [n for n, _ in ops]
    cut = names.index(layer) + 1

    def encode(x, end=cut):
        for _, f in ops[:end]:
            x = f(x)
        return x

    dec = Decoder(manifest, weights).to(dev)
    opt = torch.optim.Adam(dec.parameters(), lr=a.lr)
    if ckpt and 'adam' in ckpt:
        opt.load_state_dict(ckpt['adam'])

    train, held = list_images(a.images)
    held = held[:a.eval_images]
    print(f'{layer}: {len(train)} train, {len(held)} held-out images; resumed from {a.resume} at step {log["steps"]}', flush=True)
    pixels = [read_rgb(p) for p in train]
    small = [p for p, img in zip(train, pixels) if min(img.shape[:2]) < a.size]
    if small:
        raise SystemExit(f'{len(small)} training images are smaller than the --size {a.size} crop, e.g. {small[0]}')
    held_x = [center_crop(p).to(dev) for p in held]
    with torch.no_grad():
        held_top1 = [int(encode(caffe(x), len(ops)).argmax()) for x in held_x]

    def evaluate():
        dec.eval()
        total, kept = 0.0, 0
        with torch.no_grad():
            for x, t in zip(held_x, held_top1):
                y = dec(encode(caffe(x))).clamp(0, 1)
                mse = float(((y * 255 - x * 255) ** 2).mean())
                total += 10 * math.log10(255 ** 2 / max(mse, 1e-10))
                kept += int(encode(caffe(y), len(ops)).argmax()) == t
        dec.train()
        return round(total / len(held_x), 2), round(kept / len(held_x), 3)

    def batch():
        out = np.empty((a.batch, a.size, a.size, 3), dtype=np.uint8)
        for b in range(a.batch):
            img = pixels[rng.integers(len(pixels))]
            h, w = img.shape[:2]
            y0, x0 = rng.integers(h - a.size + 1), rng.integers(w - a.size + 1)
            crop = img[y0:y0 + a.size, x0:x0 + a.size]
            out[b] = crop[:, ::-1] if rng.random() < 0.5 else crop
        return torch.from_numpy(out).to(dev).permute(0, 3, 1, 2).float() / 255

    def save(folder):
        m = dict(manifest, training=log)
        write_decoder(folder, m, dec.named_hwio())
        with open(os.path.join(folder, 'training-curve.csv'), 'w') as f:
            f.write(curve_csv(log))
        torch.save({'manifest': manifest, 'weights': dec.named_hwio(), 'adam': opt.state_dict(), 'log': log},
                   os.path.join(folder, 'checkpoint.pt.tmp'))
        os.replace(os.path.join(folder, 'checkpoint.pt.tmp'), os.path.join(folder, 'checkpoint.pt'))

    if not log['curve']:
        p, r = evaluate()
        print(f'start: held-out PSNR {p} dB, top-1 kept {r * 100:.0f} % ({len(held)} images, 224 px)', flush=True)
        log['start'] = {'psnr': p, 'retention': r}
    budget = a.minutes * 60
    t0, seconds0, run_loss, n_loss = time.time(), log['seconds'], 0.0, 0
    step = step0 = log['steps']
    while step < a.steps and time.time() - t0 < budget:
        frac = min(1.0, (time.time() - t0) / budget)
        for g in opt.param_groups:
            g['lr'] = a.lr_end + (a.lr - a.lr_end) * 0.5 * (1 + math.cos(math.pi * frac))
        x = batch()
        with torch.no_grad():
            f = encode(caffe(x))
        y = dec(f)
        loss = F.mse_loss(y, x)
        if a.tv:
            loss = loss + a.tv * ((y[:, :, 1:] - y[:, :, :-1]).abs().mean() + (y[:, :, :, 1:] - y[:, :, :, :-1]).abs().mean())
        if a.feature_loss:
            loss = loss + a.feature_loss * F.mse_loss(encode(caffe(y.clamp(0, 1))), f) / scale ** 2
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        v = float(loss)
        if not math.isfinite(v):
            raise SystemExit('Decoder training diverged (loss is not finite); lower the learning rate.')
        run_loss, n_loss, step = run_loss + v, n_loss + 1, step + 1
        log['steps'], log['crops'] = step, log['crops'] + a.batch
        log['seconds'] = round(seconds0 + time.time() - t0, 1)
        if step % 20 == 0:
            el = time.time() - t0
            print(f'step {step} loss {run_loss / n_loss:.5f} lr {opt.param_groups[0]["lr"]:.2e} '
                  f'{(step - step0) * a.batch / el:.2f} crops/s, {el / 60:.1f} of {a.minutes:.0f} min', flush=True)
        if step % a.checkpoint_every == 0:
            p, r = evaluate()
            log['curve'].append({'step': step, 'loss': run_loss / n_loss, 'psnr': p, 'retention': r, 'seconds': round(log['seconds'])})
            run_loss, n_loss = 0.0, 0
            save(a.out)
            print(f'checkpoint step {step}: held-out PSNR {p} dB, top-1 kept {r * 100:.0f} % ({len(held)} images, 224 px)', flush=True)
    if n_loss:
        p, r = evaluate()
        log['curve'].append({'step': step, 'loss': run_loss / n_loss, 'psnr': p, 'retention': r, 'seconds': round(log['seconds'])})
        save(a.out)
        print(f'end step {step}: held-out PSNR {p} dB, top-1 kept {r * 100:.0f} %', flush=True)


if __name__ == '__main__':
    main()
