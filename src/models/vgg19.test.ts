/**
 * The real VGG-19 (ImageNet) through the project's loader, split and AdvBN. Skips when the shared
 * weights are absent; CI has them.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { basename } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { useNodeBackend } from '../backend/node/backend-node';
import { loadVgg } from '../cli/vgg';
import { split, type Network } from './network';
import { attack } from '../core/attack';
import { PAPER_DEFAULTS, summarize } from '../core/pgd';
import { listImages, loadCenterCrop } from '../data/image-folder';
import { IMAGENET_DIR, VGG19_DIR, vggSkipReason, wnidIndex } from '../testing/shared-data';
import labels from '../common/imagenet-labels.json';

const skip = vggSkipReason();
let vgg: Network;
/** 20 images spread over the 900 (every 45th in sorted order): classes from fish to toilet tissue. */
let files: string[] = [];

before(async () => {
  if (skip) return;
  await useNodeBackend('wasm');
  vgg = await loadVgg(VGG19_DIR);
  files = listImages(IMAGENET_DIR).filter((_, i) => i % 45 === 0).slice(0, 20);
});

test('the project labels file is in the model order of the shared classes.json', { skip }, () => {
  const idx = wnidIndex();
  assert.equal(idx.size, 1000);
  assert.equal((labels as string[]).length, 1000);
  assert.match((labels as string[])[idx.get('n01440764')!]!, /^tench/);
  assert.match((labels as string[])[idx.get('n15075141')!]!, /^toilet tissue/);
});

test('VGG-19 clean top-1 on 20 shared images is at least 0.8, and AdvBN at the paper settings (feature mode, block4_conv1) changes the top-1 on most of them', { skip, timeout: 900_000 }, async () => {
  const idx = wnidIndex();
  const c = { split: split(vgg, 'block4_conv1'), preprocessing: 'caffe' as const };
  let correct = 0, flipped = 0;
  const before = tf.memory().numTensors;
  for (const f of files) {
    const truth = idx.get(basename(f).split('_')[0]!)!;
    const x = loadCenterCrop(f, 224);
    const r = await attack(c, { images: x, mode: 'feature', decoder: null, settings: PAPER_DEFAULTS }, { images: false });
    x.dispose();
    if (r.labels[0] === truth) correct++;
    const last = r.reports[r.reports.length - 1]!;
    let adv = 0;
    for (let k = 1; k < 1000; k++) if (last.probs[k]! > last.probs[adv]!) adv = k;
    if (adv !== r.labels[0]) flipped++;
    const mu = summarize(r.delta.mu), sigma = summarize(r.delta.sigma);
    for (const s of [mu, sigma]) assert.ok(s.min >= 1 - 1.1 - 1e-6 && s.max <= 1 + 1.1 + 1e-6, `δ outside [1 − ε, 1 + ε]: ${JSON.stringify(s)}`);
    assert.ok(r.reports[6]!.loss > r.reports[0]!.loss, `loss did not rise on ${f}`);
  }
  process.stderr.write(`# VGG-19: clean top-1 ${correct}/${files.length}; AdvBN flipped ${flipped}/${files.length}\n`);
  assert.ok(correct / files.length >= 0.8, `clean top-1 ${correct}/${files.length}`);
  assert.ok(flipped > files.length / 2, `flipped only ${flipped}/${files.length}`);
  assert.equal(tf.memory().numTensors, before, 'tensors leaked over 20 attacks');
});
