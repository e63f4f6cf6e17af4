import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { perturbFeatures, pgdUpdate } from './advbn';
import { channelMean, channelStd } from './stats';
import { mulberry32 } from '../common/random';

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

test("the clamp passes the gradient at exactly 0, like the authors' torch.clamp(min=0) (§2)", async () => {
  // A ReLU feature with exact zeros: at δ = 1 each zero maps to exactly (0 − μ)·1 + μ·1 = 0, on the
  // clamp's boundary. L = Σ w·f_adv, so ∂L/∂δμ[c] = μ[c]·Σ w over every position that passes the clamp.
  // With the boundary included (torch.clamp) that is all positions; a ReLU-style clamp drops the zeros.
  const values = [0, 2, 0, 4, 0, 1, 3, 0]; // [1, 2, 2, 2]: channel 0 = 0,0,0,3 ; channel 1 = 2,4,1,0
  const f = tf.tensor4d(values, [1, 2, 2, 2]);
  const w = tf.tensor4d([1, 1, 2, 1, 3, 1, 4, 5], [1, 2, 2, 2]);
  const grad = tf.grad((dMu: tf.Tensor) => tf.sum(tf.mul(w, perturbFeatures(f, dMu as tf.Tensor1D, tf.ones([2]) as tf.Tensor1D, true))));
  const g = await grad(tf.ones([2])).data();
  const mu = [3 / 4, 7 / 4];
  const wSum = [1 + 2 + 3 + 4, 1 + 1 + 1 + 5];
  for (let c = 0; c < 2; c++) assert.ok(Math.abs(g[c]! - mu[c]! * wSum[c]!) < 1e-5, `∂L/∂δμ[${c}] = ${g[c]}, expected ${mu[c]! * wSum[c]!} (zeros on the boundary must count)`);
  // Below the boundary the gradient is still blocked: δμ = 0.5 pushes the zeros to −μ/2 < 0.
  const g2 = await grad(tf.fill([2], 0.5)).data();
  const kept = [4, 1 + 1 + 1]; // positions with f − μ + 0.5μ ≥ 0, i.e. f ≥ μ/2
  for (let c = 0; c < 2; c++) assert.ok(Math.abs(g2[c]! - mu[c]! * kept[c]!) < 1e-5, `δμ = 0.5: ∂L/∂δμ[${c}] = ${g2[c]}, expected ${mu[c]! * kept[c]!}`);
});
