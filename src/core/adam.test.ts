/**
 * Adam (adam.ts) against tfjs's AdamOptimizer: the composed path on the CPU backend, and the fused WASM
 * kernel (our kernel set) against the composed path on the same backend (tfjs's kernel set).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Adam } from './adam';
import { useNodeBackend } from '../backend/node/backend-node';
import { setWasmConvKernels } from '../backend/kernels/winograd-loader';
import { fusedAdamCallCount } from '../backend/kernels/wasm-adam';

/** Five steps on three variables (one of odd size) with seeded gradients; the final weights. */
function run(step: (vars: tf.Variable[], grads: tf.NamedTensorMap) => void): Float32Array[] {
  const vars = tf.tidy(() => [tf.variable(tf.randomNormal([3, 3, 8, 16], 0, 1, 'float32', 1)), tf.variable(tf.randomNormal([7], 0, 1, 'float32', 2)), tf.variable(tf.randomNormal([16, 5], 0, 1, 'float32', 3))]);
  for (let s = 0; s < 5; s++) {
    const grads: tf.NamedTensorMap = {};
    vars.forEach((v, i) => { grads[v.name] = tf.randomNormal(v.shape, 0, s === 2 ? 1e-6 : 1, 'float32', 100 + 10 * s + i); }); // seed 0 would mean unseeded
    step(vars, grads);
    tf.dispose(Object.values(grads));
  }
  const out = vars.map((v) => v.dataSync() as Float32Array);
  tf.dispose(vars);
  return out;
}

const relErr = (a: Float32Array, b: Float32Array) => {
  let e = 0, s = 0;
  for (let i = 0; i < a.length; i++) { e = Math.max(e, Math.abs(a[i]! - b[i]!)); s = Math.max(s, Math.abs(b[i]!)); }
  return e / s;
};

test('Adam (composed, CPU backend) gives tfjs\'s AdamOptimizer weights within 1e-6 of the largest, and leaves no tensor', async () => {
  await tf.setBackend('cpu');
  const before = tf.memory().numTensors;
  const theirs = tf.train.adam(0.01);
  const a = run((vars, grads) => theirs.applyGradients(vars.map((v) => ({ name: v.name, tensor: grads[v.name]! }))));
  theirs.dispose();
  const ours = new Adam();
  const b = run((vars, grads) => ours.apply(vars, grads, 0.01));
  ours.dispose();
  a.forEach((w, i) => assert.ok(relErr(b[i]!, w) < 1e-6, `variable ${i}: ${relErr(b[i]!, w)}`));
  assert.equal(tf.memory().numTensors, before);
});

test('the fused WASM Adam (our kernels) gives the composed path\'s weights (tfjs\'s kernels) within 1e-6, ran, and leaves no tensor', async () => {
  await useNodeBackend('wasm');
  const before = tf.memory().numTensors;
  const results: Float32Array[][] = [];
  for (const k of ['tfjs', 'ours'] as const) {
    setWasmConvKernels(k);
    const calls = fusedAdamCallCount();
    const adam = new Adam();
    try {
      results.push(run((vars, grads) => adam.apply(vars, grads, 0.01)));
    } finally {
      adam.dispose();
      setWasmConvKernels('ours');
    }
    assert.equal(fusedAdamCallCount() - calls, k === 'ours' ? 15 : 0, `fused updates with ${k}'s kernels`);
  }
  results[0]!.forEach((w, i) => assert.ok(relErr(results[1]![i]!, w) < 1e-6, `variable ${i}: ${relErr(results[1]![i]!, w)}`));
  assert.equal(tf.memory().numTensors, before);
});
