import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { perturbFeatures, pgdUpdate } from './advbn';
import { channelMean, channelStd } from './stats';
import { mulberry32 } from './random';

before(async () => { await tf.setBackend('cpu'); });

test('δ = 1 gives f back exactly', async () => {
  const f = tf.randomNormal([2, 3, 3, 4], 0, 3, 'float32', 1);
  const out = perturbFeatures(f, tf.ones([4]) as tf.Tensor1D, tf.ones([4]) as tf.Tensor1D, false);
  const [a, b] = [await f.data(), await out.data()];
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) < 1e-5);
});

test('f_adv has mean δμ·μ and std δσ·σ per channel (Eq. 2)', async () => {
  const f = tf.add(tf.randomNormal([2, 4, 4, 3], 0, 2, 'float32', 2), tf.tensor1d([1, 5, -3]));
  const dMu = tf.tensor1d([0.5, 1.5, 2]);
  const dSigma = tf.tensor1d([2, 0.25, 1]);
  const out = perturbFeatures(f, dMu, dSigma, false);
  const [mu, sd, muA, sdA] = await Promise.all([channelMean(f).data(), channelStd(f).data(), channelMean(out).data(), channelStd(out).data()]);
  const dm = await dMu.data(), ds = await dSigma.data();
  for (let c = 0; c < 3; c++) {
    assert.ok(Math.abs(muA[c]! - dm[c]! * mu[c]!) < 1e-4, `mean c${c}`);
    assert.ok(Math.abs(sdA[c]! - ds[c]! * sd[c]!) < 1e-3, `std c${c}`);
  }
});

test('after a ReLU split, f_adv is clamped at 0', async () => {
  const f = tf.relu(tf.randomNormal([1, 4, 4, 2], 0, 1, 'float32', 3));
  const out = perturbFeatures(f, tf.tensor1d([-0.1, 1]), tf.tensor1d([2.1, 2.1]), true);
  assert.ok((await tf.min(out).data())[0]! >= 0);
});

test('the projection keeps δ in [1 − ε, 1 + ε] for any τ, ε and gradient', async () => {
  const rng = mulberry32(42);
  for (let trial = 0; trial < 200; trial++) {
    const eps = rng() * 3, tau = rng() * 2;
    const delta = tf.tensor1d(Array.from({ length: 8 }, () => 1 + (rng() * 2 - 1) * eps));
    const grad = tf.tensor1d(Array.from({ length: 8 }, () => (rng() - 0.5) * 10 * (rng() < 0.2 ? 0 : 1)));
    let d = delta;
    for (let k = 0; k < 5; k++) d = pgdUpdate(d, grad, tau, eps);
    for (const v of await d.data()) assert.ok(v >= 1 - eps - 1e-6 && v <= 1 + eps + 1e-6, `δ ${v} outside [${1 - eps}, ${1 + eps}] (τ ${tau})`);
    tf.dispose([delta, grad, d]);
  }
});

test('one step moves each δ by exactly τ·sign(g) when inside the bound', async () => {
  const d = pgdUpdate(tf.ones([3]) as tf.Tensor1D, tf.tensor1d([2, -0.5, 0]), 0.2, 1.1);
  const v = await d.data();
  assert.deepEqual(Array.from(v).map((x) => Math.round(x * 1e6) / 1e6), [1.2, 0.8, 1]);
});
