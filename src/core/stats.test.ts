import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { channelMean, channelStd, featureDivergence, VARIANCE_EPSILON } from './stats';

before(async () => { await tf.setBackend('cpu'); });

const close = (a: number, b: number, tol = 1e-5) => assert.ok(Math.abs(a - b) <= tol, `${a} ≠ ${b}`);

test('μ and σ are per channel over batch and space, σ² unbiased + 1e-5 (hand-computed)', async () => {
  // Batch of 2 images, 1×2 pixels, 2 channels. Channel 0: 1,2,3,4; channel 1: 10,10,10,14.
  const f = tf.tensor4d([1, 10, 2, 10, 3, 10, 4, 14], [2, 1, 2, 2]);
  const mu = await channelMean(f).data();
  close(mu[0]!, 2.5);
  close(mu[1]!, 11);
  const sd = await channelStd(f).data();
  // Channel 0: squared deviations 2.25+0.25+0.25+2.25 = 5, /(4−1) = 5/3.
  close(sd[0]!, Math.sqrt(5 / 3 + VARIANCE_EPSILON));
  // Channel 1: 1+1+1+9 = 12, /3 = 4.
  close(sd[1]!, Math.sqrt(4 + VARIANCE_EPSILON));
});

test('a constant channel has σ = sqrt(1e-5), not 0', async () => {
  const sd = await channelStd(tf.fill([1, 2, 2, 1], 7)).data();
  close(sd[0]!, Math.sqrt(VARIANCE_EPSILON), 1e-7);
});

test('statistics of dense features [N, C] reduce over the batch', async () => {
  const mu = await channelMean(tf.tensor2d([[1, 2], [3, 6]])).data();
  assert.deepEqual(Array.from(mu), [2, 4]);
});

test('feature divergence (Eq. 4-5) is 0 for equal statistics and matches the closed form', async () => {
  const a = { mean: tf.tensor1d([0, 1]), std: tf.tensor1d([1, 2]) };
  close((await featureDivergence(a, a).data())[0]!, 0);
  const b = { mean: tf.tensor1d([1, 1]), std: tf.tensor1d([1, 1]) };
  // channel 0: KL(a‖b) = 0 + (1 + 1)/2 − 1/2 = 0.5, KL(b‖a) = 0.5 → 1
  // channel 1: KL(a‖b) = log(1/2) + 4/2 − 1/2; KL(b‖a) = log 2 + 1/8 − 1/2
  const c1 = Math.log(0.5) + 2 - 0.5 + Math.log(2) + 1 / 8 - 0.5;
  close((await featureDivergence(a, b).data())[0]!, (1 + c1) / 2);
});
