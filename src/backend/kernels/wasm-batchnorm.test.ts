/**
 * The fused training BatchNorm (wasm-batchnorm.ts, src/models/batchnorm-ops.ts) against the composed path
 * (tf.moments then tf.batchNorm, differentiated by tfjs) on the same WASM backend: values and all gradients,
 * with a loss that also reads the mean and variance outputs (so dμ and dσ² are not zero).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { useNodeBackend } from '../node/backend-node';
import { withKernels } from '../../testing/kernel-sets';
import { fusedBatchNormCallCount } from './wasm-batchnorm';
import { batchNormInference, batchNormTraining, fusedBatchNormTraining } from '../../models/batchnorm-ops';
import { BN_TRAINING_GRAD_KERNEL } from '../../common/kernel-names';

/** y, mean, variance, and ∂/∂(x, γ, β) of a loss that reads all three outputs. */
function run(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, w: tf.Tensor): tf.Tensor[] {
  const c = x.shape[x.shape.length - 1]!;
  const f = (xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
    const { y, mean, variance } = batchNormTraining(xx, g, b, 1e-5);
    // y weighted by a fixed random tensor, plus terms in μ and σ²: every upstream gradient is non-zero.
    return tf.add(tf.sum(tf.mul(y, w)), tf.add(tf.sum(tf.mul(mean, tf.linspace(0.5, 1.5, c))), tf.sum(tf.mul(variance, 0.01))));
  };
  const { y, mean, variance } = batchNormTraining(x, gamma, beta, 1e-5);
  const grads = tf.grads(f)([x, gamma, beta]);
  return [y, mean, variance, ...grads];
}

/** max |a − b| / max |b|. */
function relErr(a: Float32Array, b: Float32Array): number {
  let e = 0, m = 0;
  for (let i = 0; i < b.length; i++) {
    e = Math.max(e, Math.abs(a[i]! - b[i]!));
    m = Math.max(m, Math.abs(b[i]!));
  }
  return e / m;
}

const NAMES = ['y', 'mean', 'variance', '∂x', '∂γ', '∂β'];

test('fused training BatchNorm on WASM equals tf.moments + tf.batchNorm, values and gradients, within 1e-5 relative; tensor count flat', async () => {
  await useNodeBackend('wasm');
  // VGG-like activations (mean ≈ 100, std ≈ 50) at block4 shapes, a rank-2 input, and 6 channels (the JavaScript path).
  const cases: number[][] = [[32, 10, 10, 512], [4, 5, 5, 8], [16, 24], [3, 4, 4, 6]];
  for (const shape of cases) {
    const c = shape[shape.length - 1]!;
    const x = tf.tidy(() => tf.add(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', 1), tf.linspace(20, 80, c)), tf.linspace(50, 150, c)));
    const gamma = tf.randomUniform([c], 0.5, 2, 'float32', 2), beta = tf.randomNormal([c], 0, 1, 'float32', 3);
    const w = tf.randomNormal(shape, 0, 1, 'float32', 4);
    const tensors = tf.memory().numTensors;
    const calls = fusedBatchNormCallCount();
    const ours = await withKernels('ours', () => {
      assert.ok(fusedBatchNormTraining(), 'the fused kernel is registered with our kernel set');
      return run(x, gamma, beta, w);
    });
    if (c % 4 === 0) assert.equal(fusedBatchNormCallCount(), calls + 3, `${shape}: forward twice and gradient once on our module`);
    else assert.equal(fusedBatchNormCallCount(), calls, `${shape}: ${c} channels take the JavaScript path`);
    const theirs = await withKernels('tfjs', () => {
      assert.ok(!fusedBatchNormTraining(), 'tfjs\'s kernel set composes the op');
      return run(x, gamma, beta, w);
    });
    assert.equal(tf.memory().numTensors, tensors, `${shape}: tensor count flat`);
    ours.forEach((o, i) => {
      const e = relErr(o, theirs[i]!);
      assert.ok(e <= 1e-5, `${shape} ${NAMES[i]}: ${e}`);
    });
    tf.dispose([x, gamma, beta, w]);
  }
});

test('the composed gradient (where the fused gradient kernel is missing) equals tfjs\'s within 1e-5 relative', async () => {
  await useNodeBackend('wasm');
  const shape = [8, 6, 6, 16];
  const x = tf.tidy(() => tf.add(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', 5), 30), 80));
  const gamma = tf.randomUniform([16], 0.5, 2, 'float32', 6), beta = tf.randomNormal([16], 0, 1, 'float32', 7);
  const w = tf.randomNormal(shape, 0, 1, 'float32', 8);
  const config = tf.getKernel(BN_TRAINING_GRAD_KERNEL, 'wasm');
  assert.ok(config, 'the gradient kernel is registered');
  tf.unregisterKernel(BN_TRAINING_GRAD_KERNEL, 'wasm');
  let ours: Float32Array[];
  try {
    ours = await withKernels('ours', () => run(x, gamma, beta, w));
  } finally {
    tf.registerKernel(config);
  }
  const theirs = await withKernels('tfjs', () => run(x, gamma, beta, w));
  ours.forEach((o, i) => assert.ok(relErr(o, theirs[i]!) <= 1e-5, `${NAMES[i]}: ${relErr(o, theirs[i]!)}`));
  tf.dispose([x, gamma, beta, w]);
});

test('BatchNorm with running statistics as a channel affine map (ours) equals tf.batchNorm, values and gradients of x, γ, β, μ, σ², within 1e-5 relative; tensor count flat', async () => {
  await useNodeBackend('wasm');
  for (const shape of [[32, 5, 5, 512], [16, 24], [3, 4, 4, 6]]) {
    const c = shape[shape.length - 1]!;
    const x = tf.tidy(() => tf.add(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', 11), tf.linspace(20, 80, c)), tf.linspace(50, 150, c)));
    const mean = tf.linspace(45, 155, c), variance = tf.tidy(() => tf.square(tf.linspace(25, 75, c)));
    const gamma = tf.randomUniform([c], 0.5, 2, 'float32', 12), beta = tf.randomNormal([c], 0, 1, 'float32', 13);
    const w = tf.randomNormal(shape, 0, 1, 'float32', 14);
    const f = (...v: tf.Tensor[]) => tf.sum(tf.mul(batchNormInference(v[0]!, v[1]!, v[2]!, v[3]!, v[4]!, 1e-3), w));
    const run = () => [batchNormInference(x, mean, variance, gamma, beta, 1e-3), ...tf.grads(f)([x, mean, variance, gamma, beta])];
    const tensors = tf.memory().numTensors;
    const calls = fusedBatchNormCallCount();
    const ours = await withKernels('ours', run);
    if (c % 4 === 0) assert.equal(fusedBatchNormCallCount(), calls + 3, `${shape}: y twice and ∂L/∂x once on our module`);
    const theirs = await withKernels('tfjs', run);
    assert.equal(tf.memory().numTensors, tensors, `${shape}: tensor count flat`);
    ['y', '∂x', '∂μ', '∂σ²', '∂γ', '∂β'].forEach((name, i) => {
      const e = relErr(ours[i]!, theirs[i]!);
      assert.ok(e <= 1e-5, `${shape} ${name}: ${e}`);
    });
    tf.dispose([x, mean, variance, gamma, beta, w]);
  }
});
