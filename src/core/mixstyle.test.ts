import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { useNodeBackend } from '../backend/node/backend-node';
import { drawMixStyle, mixStyle } from './mixstyle';
import { mulberry32 } from '../common/random';
import { assertClose } from '../testing/assert-close';

before(async () => { await useNodeBackend('cpu'); });

test('MixStyle on a hand-computed case: 2 instances, 1 channel, 2×1 positions', async () => {
  // Instance 0: values 1, 3 → μ 2, unbiased var 2, σ = sqrt(2 + 1e-6). Instance 1: 10, 20 → μ 15, var 50.
  const f = tf.tensor4d([1, 3, 10, 20], [2, 2, 1, 1]);
  const before = tf.memory().numTensors;
  // π swaps the two; λ 0.25 for instance 0, 1 for instance 1 (keeps its own style).
  const out = mixStyle(f, { apply: true, perm: [1, 0], lambda: Float32Array.from([0.25, 1]) });
  const s0 = Math.sqrt(2 + 1e-6), s1 = Math.sqrt(50 + 1e-6);
  const g0 = 0.25 * s0 + 0.75 * s1, b0 = 0.25 * 2 + 0.75 * 15;
  // Instance 0 normalised: (1 − 2)/σ0 = −1/σ0, (3 − 2)/σ0 = +1/σ0; instance 1 unchanged (λ 1).
  assertClose(await out.data(), [b0 - g0 / s0, b0 + g0 / s0, 10, 20]);
  out.dispose();
  assert.equal(tf.memory().numTensors, before);
  // Not applied (the other half of the batches): f back unchanged.
  const same = mixStyle(f, { apply: false, perm: [1, 0], lambda: Float32Array.from([0.25, 1]) });
  assertClose(await same.data(), [1, 3, 10, 20]);
  tf.dispose([same, f]);
});

test('MixStyle draws: seeded; applied on about half the batches; λ from Beta(0.1, 0.1) piles up at 0 and 1', () => {
  const a = drawMixStyle(8, mulberry32(5)), b = drawMixStyle(8, mulberry32(5));
  assert.deepEqual(a, b);
  const rng = mulberry32(1);
  const before = tf.memory().numTensors;
  const draws = Array.from({ length: 400 }, () => drawMixStyle(16, rng));
  assert.equal(tf.memory().numTensors, before);
  const applied = draws.filter((d) => d.apply).length;
  assert.ok(applied > 160 && applied < 240, `applied ${applied} of 400`);
  const lams = draws.flatMap((d) => [...d.lambda]);
  assert.ok(lams.every((l) => l >= 0 && l <= 1));
  const extreme = lams.filter((l) => l < 0.1 || l > 0.9).length / lams.length;
  // Beta(0.1, 0.1): P(λ < 0.1 or λ > 0.9) ≈ 0.77.
  assert.ok(extreme > 0.7 && extreme < 0.85, `fraction near 0 or 1: ${extreme}`);
  for (const d of draws.slice(0, 5)) assert.deepEqual([...d.perm].sort((x, y) => x - y), Array.from({ length: 16 }, (_, i) => i));
});
