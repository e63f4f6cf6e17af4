import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { useNodeBackend } from '../node/backend-node';

// Regression: tfjs-backend-wasm 4.22's Sign gave 0 for every |x| ≤ 1.19e-7, so PGD's τ·sign(∂L/∂δ)
// did not move δ on a photo the classifier is sure of (∂L/∂δ ~ 1e-8; wasm-sign.ts).
test('WASM Sign matches the CPU backend on tiny, denormal, signed-zero and non-finite values', async () => {
  const v = [1e-8, -2.3e-9, 1.1e-7, -1e-7, 1.2e-7, 1e-30, -1e-40, 3, -0.5, 0, -0, NaN, Infinity, -Infinity];
  const signs = async (backend: 'cpu' | 'wasm') => {
    await useNodeBackend(backend);
    const x = tf.tensor1d(v);
    const before = tf.memory().numTensors;
    const s = tf.sign(x);
    const out = Array.from(await s.data());
    s.dispose();
    assert.equal(tf.memory().numTensors, before);
    x.dispose();
    return out;
  };
  const cpu = await signs('cpu');
  assert.deepEqual(cpu.slice(0, 9), [1, -1, 1, -1, 1, 1, -1, 1, -1], 'the CPU backend, the reference');
  assert.deepEqual(await signs('wasm'), cpu);
  // int32 keeps its dtype.
  const i = tf.sign(tf.tensor1d([-4, 0, 7], 'int32'));
  assert.equal(i.dtype, 'int32');
  assert.deepEqual(Array.from(await i.data()), [-1, 0, 1]);
  i.dispose();
});
