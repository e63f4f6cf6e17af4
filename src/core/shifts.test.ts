/** Shifts side by side on the committed style-world model: AdaIN's statistics, the four shifts, no leaks. */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { loadStyleWorldClassifier } from '../testing/style-world-classifier';
import type { Network } from '../models/network';
import { renderBatch, HELDOUT_FAMILIES, TRAIN_FAMILIES } from '../data/style-world';
import { corruptionAt } from '../data/corruptions';
import { channelStats } from './stats';
import { classify, type Classifier } from './attack';
import { adainFeatures, compareShifts } from './shifts';

let c: Classifier, decoder: Network;
before(async () => {
  await tf.setBackend('cpu');
  ({ c, decoder } = await loadStyleWorldClassifier());
});
const img = (families: readonly string[], i: number) => tf.tensor4d(renderBatch(families, 9, 'shifts', i, 1).pixels, [1, 64, 64, 3]);

test('AdaIN: α = 0 keeps f; α = 1 gives f the style features\' per-channel mean and std; bad α is refused', async () => {
  const f = tf.randomNormal([1, 8, 8, 4], 0, 1, 'float32', 1), fs = tf.randomNormal([1, 6, 6, 4], 3, 2, 'float32', 2);
  const same = adainFeatures(f, fs, 0, false);
  assert.ok(tf.max(tf.abs(tf.sub(same, f))).dataSync()[0]! < 1e-6);
  const out = adainFeatures(f, fs, 1, false);
  const [a, b] = [channelStats(out), channelStats(fs)];
  for (const [x, y] of [[a.mean, b.mean], [a.std, b.std]] as const) {
    const dx = x.dataSync(), dy = y.dataSync();
    dx.forEach((v, i) => assert.ok(Math.abs(v - dy[i]!) < 1e-3, `${v} vs ${dy[i]}`));
  }
  assert.ok(adainFeatures(f, fs, 1, true).min().dataSync()[0]! >= 0, 'clamped after a ReLU');
  assert.throws(() => adainFeatures(f, fs, 1.5, false), /α = 1.5 is not in \[0, 1\]/);
  assert.throws(() => adainFeatures(f, tf.zeros([1, 2, 2, 3]), 1, false), /3 channels, the image's 4/);
  tf.dispose([f, fs, same, out, a.mean, a.std, b.mean, b.std]);
});

test('the four shifts: adversarial and random δ, AdaIN to a style image, a corruption of the crop; no leaks', async () => {
  const x = img(TRAIN_FAMILIES, 2), style = img(HELDOUT_FAMILIES, 5);
  const req = {
    image: x, mode: 'feature' as const, decoder, settings: { eps: 1.1, tau: 0.2, steps: 4 }, label: 2, randomDraws: 3, seed: 1, key: 'k',
    style: { image: style, alpha: 1 }, corruption: corruptionAt('noise', 3),
  };
  await compareShifts(c, req); // warm-up
  const before = tf.memory().numTensors;
  const r = await compareShifts(c, req);
  assert.equal(tf.memory().numTensors, before);
  assert.equal(r.random.length, 3);
  for (const o of [r.adversarial, ...r.random, r.adain!, r.corrupted!]) {
    assert.deepEqual(o.image!.shape, [1, 64, 64, 3]);
    assert.ok(Math.abs(o.probs.reduce((a, b) => a + b, 0) - 1) < 1e-4);
  }
  assert.ok(r.adversarial.probs[2]! < Math.min(...r.random.map((o) => o.probs[2]!)), 'PGD lowers p(label) below every random draw');
  // The corrupted crop is what the classifier saw.
  const seen = tf.tensor4d(r.corrupted!.image!.data, [1, 64, 64, 3]);
  const p = classify(c, seen);
  const pd = p.dataSync();
  pd.forEach((v, k) => assert.ok(Math.abs(v - r.corrupted!.probs[k]!) < 1e-5));
  tf.dispose([seen, p]);
  const xd = x.dataSync();
  assert.ok(r.corrupted!.image!.data.some((v, i) => Math.abs(v - xd[i]!) > 0.05), 'noise changed the crop');
  // α = 0: AdaIN is the identity, so its p is the clean one.
  const r0 = await compareShifts(c, { ...req, style: { image: style, alpha: 0 }, corruption: undefined, randomDraws: 0 });
  r0.adain!.probs.forEach((v, k) => assert.ok(Math.abs(v - r0.cleanProbs[k]!) < 1e-5));
  assert.equal(r0.corrupted, undefined);
  assert.throws(() => corruptionAt('fog', 2), /"fog" is unknown/);
  assert.throws(() => corruptionAt('blur', 6), /Severity 6 is not 1–5/);
  tf.dispose([x, style]);
});
