import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { useNodeBackend } from '../backend/node/backend-node';
import { drawDsu, dsu } from './dsu';
import { mulberry32 } from '../common/random';
import { assertClose } from '../testing/assert-close';

before(async () => { await useNodeBackend('cpu'); });

test('DSU on a hand-computed case: 2 instances, 1 channel, 2×1 positions', async () => {
  // Instance 0: 1, 3 → μ 2, σ0 = sqrt(2 + 1e-6); instance 1: 10, 20 → μ 15, σ1 = sqrt(50 + 1e-6).
  const f = tf.tensor4d([1, 3, 10, 20], [2, 2, 1, 1]);
  const s0 = Math.sqrt(2 + 1e-6), s1 = Math.sqrt(50 + 1e-6);
  // Spread over the batch (unbiased, 2 instances): var(2, 15) = 84.5, var(σ0, σ1) = (σ1 − σ0)²/2.
  const sMu = Math.sqrt(84.5 + 1e-6), sSig = Math.sqrt((s1 - s0) ** 2 / 2 + 1e-6);
  const before = tf.memory().numTensors;
  const out = dsu(f, { apply: true, epsMu: Float32Array.from([1, -0.5]), epsSigma: Float32Array.from([0.5, 0]) });
  const b0 = 2 + sMu, g0 = s0 + 0.5 * sSig, b1 = 15 - 0.5 * sMu, g1 = s1;
  assertClose(await out.data(), [b0 - g0 / s0, b0 + g0 / s0, b1 - 5 * g1 / s1, b1 + 5 * g1 / s1]);
  out.dispose();
  assert.equal(tf.memory().numTensors, before);
  const same = dsu(f, { apply: false, epsMu: new Float32Array(2), epsSigma: new Float32Array(2) });
  assertClose(await same.data(), [1, 3, 10, 20]);
  tf.dispose([same, f]);
  assert.throws(() => dsu(tf.zeros([2, 2, 1, 3]) as tf.Tensor4D, { apply: true, epsMu: new Float32Array(2), epsSigma: new Float32Array(2) }), /draw has 2 values, the features need 2×3/);
});

test('DSU draws: seeded, standard normal, applied on about half the batches', () => {
  assert.deepEqual(drawDsu(4, 3, mulberry32(9)), drawDsu(4, 3, mulberry32(9)));
  const rng = mulberry32(2);
  const draws = Array.from({ length: 200 }, () => drawDsu(8, 16, rng));
  const applied = draws.filter((d) => d.apply).length;
  assert.ok(applied > 75 && applied < 125, `applied ${applied} of 200`);
  const e = draws.flatMap((d) => [...d.epsMu]);
  const m = e.reduce((a, b) => a + b, 0) / e.length, v = e.reduce((a, b) => a + (b - m) ** 2, 0) / e.length;
  assert.ok(Math.abs(m) < 0.05 && Math.abs(v - 1) < 0.05, `mean ${m}, var ${v}`);
});
