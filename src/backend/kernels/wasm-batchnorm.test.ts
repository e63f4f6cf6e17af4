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
import { applyLayer, forwardRange, type BatchNormLayer, type Network } from '../../models/network';

/** y, mean, variance, and ∂/∂(x, γ, β) of a loss that reads all three outputs. */
function run(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, w: tf.Tensor, relu = false): tf.Tensor[] {
  const c = x.shape[x.shape.length - 1]!;
  const f = (xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
    const { y, mean, variance } = batchNormTraining(xx, g, b, 1e-5, relu);
    // y weighted by a fixed random tensor, plus terms in μ and σ²: every upstream gradient is non-zero.
    return tf.add(tf.sum(tf.mul(y, w)), tf.add(tf.sum(tf.mul(mean, tf.linspace(0.5, 1.5, c))), tf.sum(tf.mul(variance, 0.01))));
  };
  const { y, mean, variance } = batchNormTraining(x, gamma, beta, 1e-5, relu);
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

test('fused training BatchNorm (and BatchNorm + ReLU) on WASM equals tf.moments + tf.batchNorm (+ tf.relu), values and gradients, within 1e-5 relative; tensor count flat', async () => {
  await useNodeBackend('wasm');
  // VGG-like activations (mean ≈ 100, std ≈ 50) at block4 shapes, a rank-2 input, and 6 channels (the JavaScript path).
  const cases: Array<[number[], boolean]> = [[[32, 10, 10, 512], false], [[4, 5, 5, 8], false], [[16, 24], false], [[3, 4, 4, 6], false],
    [[32, 5, 5, 512], true], [[16, 24], true], [[3, 4, 4, 6], true]];
  for (const [shape, relu] of cases) {
    const c = shape[shape.length - 1]!;
    const x = tf.tidy(() => tf.add(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', 1), tf.linspace(20, 80, c)), tf.linspace(50, 150, c)));
    const gamma = tf.randomUniform([c], 0.5, 2, 'float32', 2), beta = tf.randomNormal([c], 0, 1, 'float32', 3);
    const w = tf.randomNormal(shape, 0, 1, 'float32', 4);
    const tensors = tf.memory().numTensors;
    const calls = fusedBatchNormCallCount();
    const ours = await withKernels('ours', () => {
      assert.ok(fusedBatchNormTraining(), 'the fused kernel is registered with our kernel set');
      return run(x, gamma, beta, w, relu);
    });
    if (c % 4 === 0) assert.equal(fusedBatchNormCallCount(), calls + 3, `${shape}: forward twice and gradient once on our module`);
    else assert.equal(fusedBatchNormCallCount(), calls, `${shape}: ${c} channels take the JavaScript path`);
    const theirs = await withKernels('tfjs', () => {
      assert.ok(!fusedBatchNormTraining(), 'tfjs\'s kernel set composes the op');
      return run(x, gamma, beta, w, relu);
    });
    assert.equal(tf.memory().numTensors, tensors, `${shape}: tensor count flat`);
    ours.forEach((o, i) => {
      const e = relErr(o, theirs[i]!);
      assert.ok(e <= 1e-5, `${shape}${relu ? ' + ReLU' : ''} ${NAMES[i]}: ${e}`);
    });
    if (relu) assert.ok(ours[0]!.some((v) => v === 0) && ours[0]!.some((v) => v > 0), 'the ReLU cut some outputs, not all');
    tf.dispose([x, gamma, beta, w]);
  }
});

test('the composed gradient (where the fused gradient kernel is missing) equals tfjs\'s within 1e-5 relative', async () => {
  await useNodeBackend('wasm');
  const shape = [8, 6, 6, 16];
  const x = tf.tidy(() => tf.add(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', 5), 30), 80));
  const gamma = tf.randomUniform([16], 0.5, 2, 'float32', 6), beta = tf.randomNormal([16], 0, 1, 'float32', 7);
  const w = tf.randomNormal(shape, 0, 1, 'float32', 8);
  for (const relu of [false, true]) {
    const calls = fusedBatchNormCallCount();
    // Our set on (withKernels registers its kernels), then the gradient kernel taken away for the run.
    const ours = await withKernels('ours', () => {
      const config = tf.getKernel(BN_TRAINING_GRAD_KERNEL, 'wasm');
      assert.ok(config, 'the gradient kernel is registered');
      tf.unregisterKernel(BN_TRAINING_GRAD_KERNEL, 'wasm');
      try {
        return run(x, gamma, beta, w, relu);
      } finally {
        tf.registerKernel(config);
      }
    });
    assert.equal(fusedBatchNormCallCount(), calls + 2, 'the fused forward ran twice, the gradient composed');
    const theirs = await withKernels('tfjs', () => run(x, gamma, beta, w, relu));
    ours.forEach((o, i) => assert.ok(relErr(o, theirs[i]!) <= 1e-5, `${relu ? 'ReLU, ' : ''}${NAMES[i]}: ${relErr(o, theirs[i]!)}`));
  }
  tf.dispose([x, gamma, beta, w]);
});

test('BatchNorm (and BatchNorm + ReLU) with running statistics as a channel affine map (ours) equals tf.batchNorm (+ tf.relu), values and gradients of x, γ, β, μ, σ², within 1e-5 relative; tensor count flat', async () => {
  await useNodeBackend('wasm');
  for (const [shape, relu] of [[[32, 5, 5, 512], false], [[16, 24], false], [[3, 4, 4, 6], false], [[32, 5, 5, 512], true], [[16, 24], true], [[3, 4, 4, 6], true]] as Array<[number[], boolean]>) {
    const c = shape[shape.length - 1]!;
    const x = tf.tidy(() => tf.add(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', 11), tf.linspace(20, 80, c)), tf.linspace(50, 150, c)));
    const mean = tf.linspace(45, 155, c), variance = tf.tidy(() => tf.square(tf.linspace(25, 75, c)));
    const gamma = tf.randomUniform([c], 0.5, 2, 'float32', 12), beta = tf.randomNormal([c], 0, 1, 'float32', 13);
    const w = tf.randomNormal(shape, 0, 1, 'float32', 14);
    const f = (...v: tf.Tensor[]) => tf.sum(tf.mul(batchNormInference(v[0]!, v[1]!, v[2]!, v[3]!, v[4]!, 1e-3, relu), w));
    const run = () => [batchNormInference(x, mean, variance, gamma, beta, 1e-3, relu), ...tf.grads(f)([x, mean, variance, gamma, beta])];
    const tensors = tf.memory().numTensors;
    const calls = fusedBatchNormCallCount();
    const ours = await withKernels('ours', run);
    if (c % 4 === 0) assert.equal(fusedBatchNormCallCount(), calls + 3, `${shape}: y twice and ∂L/∂x once on our module`);
    const theirs = await withKernels('tfjs', run);
    assert.equal(tf.memory().numTensors, tensors, `${shape}: tensor count flat`);
    ['y', '∂x', '∂μ', '∂σ²', '∂γ', '∂β'].forEach((name, i) => {
      const e = relErr(ours[i]!, theirs[i]!);
      assert.ok(e <= 1e-5, `${shape}${relu ? ' + ReLU' : ''} ${name}: ${e}`);
    });
    if (relu) assert.ok(ours[0]!.some((v) => v === 0) && ours[1]!.some((v) => v === 0), 'the ReLU cut some outputs and their gradients');
    tf.dispose([x, mean, variance, gamma, beta, w]);
  }
});

test('forwardRange runs a BatchNorm and the ReLU after it as one op, with the values of the two layers one by one', async () => {
  await useNodeBackend('wasm');
  const c = 8;
  const twin = () => ({
    gamma: tf.variable(tf.randomUniform([c], 0.5, 2, 'float32', 21)), beta: tf.variable(tf.randomNormal([c], 0, 1, 'float32', 22)),
    movingMean: tf.variable(tf.randomNormal([c], 0, 1, 'float32', 23), false), movingVariance: tf.variable(tf.randomUniform([c], 0.5, 2, 'float32', 24), false),
  });
  const bn: BatchNormLayer = { kind: 'batchnorm', name: 'bn', epsilon: 1e-3, momentum: 0.9, clean: twin(), adv: null };
  const net: Network = { name: 'bn-relu', inputShape: [4, 4, c], layers: [bn, { kind: 'relu', name: 'relu' }] };
  const x = tf.randomNormal([3, 4, 4, c], 0, 1, 'float32', 25);
  const tensors = tf.memory().numTensors;
  for (const training of [false, true]) {
    const calls = fusedBatchNormCallCount();
    const [fused, apart] = await withKernels('ours', () => [
      forwardRange(net, x, 0, 2, { training }),
      tf.tidy(() => applyLayer(net.layers[1]!, applyLayer(bn, x, { training }))),
    ]);
    assert.equal(fusedBatchNormCallCount(), calls + 2, 'our BN ran in both');
    const prof = await tf.profile(() => tf.tidy(() => forwardRange(net, x, 0, 2, { training })));
    tf.dispose(prof.result as tf.Tensor);
    assert.ok(!prof.kernelNames.includes('Relu'), `no separate ReLU: ${prof.kernelNames}`);
    assert.ok(relErr(fused!, apart!) <= 1e-6 && fused!.some((v) => v === 0), `training ${training}: ${relErr(fused!, apart!)}`);
  }
  assert.equal(tf.memory().numTensors, tensors, 'tensor count flat');
  tf.dispose([x, bn.clean.gamma, bn.clean.beta, bn.clean.movingMean, bn.clean.movingVariance]);
});
