/**
 * Fidelity: the project's AdvBN PGD against a PyTorch reference of the authors' perturb()
 * (scripts/reference_perturb.py, torch.clamp(min=0)) on the same VGG-19 weights and the same crops,
 * at the paper's settings (block4_conv1, ε 1.1, τ 0.2, m 6, feature mode). Skips with a message when
 * the shared VGG-19 or Debian's python3-torch is absent.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { useNodeBackend } from '../backend/node/backend-node';
import { loadVgg } from '../cli/vgg';
import { split, type Network } from '../models/network';
import { attack } from './attack';
import { PAPER_DEFAULTS, summarize } from './pgd';
import { listImages, loadCenterCrop } from '../data/image-folder';
import { IMAGENET_DIR, VGG19_DIR, vggSkipReason } from '../testing/shared-data';

const PYTHON = process.env.ADVBN_PYTHON ?? '/usr/bin/python3';
const SCRIPT = new URL('../../scripts/reference_perturb.py', import.meta.url).pathname;

function torchSkipReason(): string | false {
  const r = spawnSync(PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8' });
  return r.status === 0 ? false : `PyTorch not importable by ${PYTHON} (apt-get install python3-torch, or set ADVBN_PYTHON)`;
}

const skip = vggSkipReason() || torchSkipReason();
let vgg: Network;
let dir = '';

before(async () => {
  if (skip) return;
  await useNodeBackend('wasm');
  vgg = await loadVgg(VGG19_DIR);
  dir = mkdtempSync(join(tmpdir(), 'advbn-ref-'));
});

type Range = { min: number; max: number; mean: number };
interface Reference { clean_top5: Array<{ index: number; prob: number }>; label: number; losses: number[]; delta_summary: { mu: Range; sigma: Range } }

function reference(crop: string, clamp: 'torch' | 'relu', steps = PAPER_DEFAULTS.steps): Reference {
  const s = PAPER_DEFAULTS;
  const r = spawnSync(PYTHON, [SCRIPT, '--vgg', VGG19_DIR, '--crop', crop, '--layer', 'block4_conv1', '--eps', String(s.eps), '--tau', String(s.tau), '--steps', String(steps), '--clamp', clamp], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Reference;
}

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-6);

test("PGD follows the authors' path: the same clean top-5 and the same loss after each of the first updates", { skip, timeout: 900_000 }, async () => {
  // Three photos spread over the sample set (every 300th in sorted order).
  const files = listImages(IMAGENET_DIR).filter((_, i) => i % 300 === 150);
  const s = split(vgg, 'block4_conv1');
  const rows: string[] = [];
  let oldClampGap = 0;
  for (const file of files) {
    const x = loadCenterCrop(file, 224);
    const crop = join(dir, 'crop.f32');
    writeFileSync(crop, Buffer.from((await x.data() as Float32Array).buffer));
    const ref = reference(crop, 'torch');
    const r = await attack({ split: s, preprocessing: 'caffe' }, { images: x, mode: 'feature', decoder: null, settings: PAPER_DEFAULTS }, { images: false });
    x.dispose();
    const ours = r.reports.map((p) => p.loss);
    rows.push(`${file.split('/').pop()}: ours ${ours.map((v) => v.toFixed(3)).join(' ')} | torch ${ref.losses.map((v) => v.toFixed(3)).join(' ')}`);
    assert.equal(r.labels[0], ref.label, `${file}: clean top-1`);
    for (let k = 0; k < 5; k++) {
      assert.equal(ref.clean_top5[k]!.index, Array.from(r.cleanProbs).map((p, i) => [p, i] as const).sort((a, b) => b[0] - a[0])[k]![1]);
    }
    // δ = 1 and the first two updates: same sign pattern, so the losses agree to float precision.
    for (let k = 0; k <= 2; k++) assert.ok(rel(ours[k]!, ref.losses[k]!) < 2e-3, `${file}: loss at step ${k}: ${ours[k]} vs torch ${ref.losses[k]}\n${rows.join('\n')}`);
    // Later steps may flip the sign of a near-zero gradient component; the path stays close.
    for (let k = 3; k < ours.length; k++) assert.ok(rel(ours[k]!, ref.losses[k]!) < 1e-2, `${file}: loss at step ${k}: ${ours[k]} vs torch ${ref.losses[k]}`);
    if (file === files[0]) {
      // The boundary matters on real photos: with a ReLU-style clamp the reference's first update moves.
      const old = reference(crop, 'relu');
      oldClampGap = rel(old.losses[1]!, ref.losses[1]!);
      rows.push(`  with a ReLU-style clamp: torch ${old.losses.map((v) => v.toFixed(3)).join(' ')}`);
    }
  }
  console.log(rows.join('\n'));
  assert.ok(oldClampGap > 5e-3, `a ReLU-style clamp changed the first update's loss by only ${(100 * oldClampGap).toFixed(2)} %`);
  assert.ok(tf.memory().numTensors < 200);
});

// Photos VGG-19 is sure of: clean top-1 p = 1 in float32, so CE rounds to 0 and ∂L/∂δ is ~1e-8
// (found by classifying the sample set in order; the test checks p = 1 itself).
const CONFIDENT = ['n01784675_centipede.JPEG', 'n02510455_giant_panda.JPEG'];

test('on photos the classifier is sure of (p = 1), one PGD step moves δ as the authors\' code does (min, max, mean within 1e-5)', { skip, timeout: 900_000 }, async (t) => {
  const files = CONFIDENT.map((name) => join(IMAGENET_DIR, name)).filter((f) => existsSync(f));
  if (!files.length) return t.skip(`none of ${CONFIDENT.join(', ')} in ${IMAGENET_DIR}`);
  const s = split(vgg, 'block4_conv1');
  for (const file of files) {
    const x = loadCenterCrop(file, 224);
    const crop = join(dir, 'crop.f32');
    writeFileSync(crop, Buffer.from((await x.data() as Float32Array).buffer));
    const ref = reference(crop, 'torch', 1);
    const r = await attack({ split: s, preprocessing: 'caffe' }, { images: x, mode: 'feature', decoder: null, settings: { ...PAPER_DEFAULTS, steps: 1 } }, { images: false });
    x.dispose();
    const name = file.split('/').pop();
    assert.equal(r.labels[0], ref.label, `${name}: clean top-1`);
    assert.equal(r.cleanProbs[r.labels[0]!], 1, `${name}: not a p = 1 photo on this backend`);
    const ours = { mu: summarize(r.delta.mu), sigma: summarize(r.delta.sigma) };
    console.log(`${name}: δμ ours ${JSON.stringify(ours.mu)} torch ${JSON.stringify(ref.delta_summary.mu)}; δσ ours ${JSON.stringify(ours.sigma)} torch ${JSON.stringify(ref.delta_summary.sigma)}`);
    for (const k of ['mu', 'sigma'] as const) {
      for (const m of ['min', 'max', 'mean'] as const) {
        assert.ok(Math.abs(ours[k][m] - ref.delta_summary[k][m]) <= 1e-5, `${name}: δ${k === 'mu' ? 'μ' : 'σ'} ${m} ${ours[k][m]} vs torch ${ref.delta_summary[k][m]}`);
      }
    }
    // Every channel with a non-zero gradient moved (δ = 1 everywhere was the bug).
    assert.ok(ours.mu.max - ours.mu.min > 0.39 && ours.sigma.max - ours.sigma.min > 0.39, `${name}: δ did not move`);
  }
  assert.ok(tf.memory().numTensors < 200);
});
