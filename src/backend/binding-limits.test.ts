import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { fitBindings } from './binding-limits';
import { disposeNetwork, forward, type Network } from '../models/network';
import { useNodeBackend } from './node/backend-node';
import { createTrainer, prepareForTraining, DEFAULT_TRAIN_SETTINGS } from '../core/advbn-training';

const net = (): Network => ({
  name: 'tiny', inputShape: [4, 4, 3],
  layers: [
    { kind: 'conv2d', name: 'c1', kernel: tf.randomNormal([3, 3, 3, 5], 0, 1, 'float32', 1) as tf.Tensor4D, bias: null, activation: 'relu', padding: 'same', strides: 1 },
    { kind: 'flatten', name: 'flat' },
    { kind: 'dense', name: 'fc1', kernel: tf.randomNormal([80, 7], 0, 1, 'float32', 2) as tf.Tensor2D, bias: tf.ones([7]) as tf.Tensor1D, activation: 'relu' },
  ],
});

test('a dense kernel over the binding limit is split into row blocks that fit, with the same outputs and gradients', async () => {
  await useNodeBackend('wasm');
  const n = net();
  const x = tf.randomNormal([2, 4, 4, 3], 0, 1, 'float32', 3);
  const grad = () => tf.grad((v: tf.Tensor) => tf.sum(tf.square(forward(n, v))))(x);
  const [y0, g0] = [forward(n, x), grad()];
  const before = tf.memory().numTensors;
  // fc1 is 80 × 7 × 4 = 2240 bytes; a limit of 600 bytes (a fake small GPU) gives blocks of 21 rows.
  const fit = await fitBindings(n, 600, 2);
  assert.deepEqual(fit.split, ['fc1: 0.0 MB in 4 blocks of ≤ 0.0 MB']);
  assert.deepEqual(fit.largestWeight, { name: 'fc1', bytes: 2240 });
  assert.equal(fit.tooLarge, 'the activation of c1 (0.0 MB) is larger than this GPU\'s storage-binding limit (0.0 MB)');
  const fc1 = n.layers[2]!;
  assert.ok(fc1.kind === 'dense' && fc1.parts && fc1.parts.every((p) => p.size * 4 <= 600));
  assert.deepEqual((fc1 as { parts: tf.Tensor[] }).parts.map((p) => p.shape[0]), [21, 21, 21, 17]);
  assert.equal(tf.memory().numTensors, before + 4, 'only the blocks are new');
  await fitBindings(n, 600, 2);
  assert.equal(tf.memory().numTensors, before + 4, 'idempotent');
  const [y1, g1] = [forward(n, x), grad()];
  const diff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]! / tf.max(tf.abs(a)).dataSync()[0]!);
  assert.ok(diff(y0, y1) < 1e-4 && diff(g0, g1) < 1e-4, `outputs ${diff(y0, y1)}, input gradients ${diff(g0, g1)}`);
  tf.dispose([x, y0, g0, y1, g1]);
  disposeNetwork(n);
  assert.equal(tf.memory().numTensors, before - 3, 'the network (3 tensors) and its blocks are disposed');
});

test('a limit above every binding changes nothing; a conv kernel or a row too large is a reason to fall back', async () => {
  await useNodeBackend('wasm');
  const n = net();
  const fit = await fitBindings(n, 1 << 20);
  assert.deepEqual([fit.split, fit.tooLarge], [[], null]);
  assert.equal((n.layers[2] as { parts?: unknown }).parts, undefined);
  assert.match((await fitBindings(n, 100)).tooLarge ?? '', /^c1's kernel \(0\.0 MB\) is larger than this GPU's storage-binding limit/);
  const m = net();
  m.layers.splice(0, 2, { kind: 'flatten', name: 'flat' });
  m.inputShape = [80, 1, 1];
  assert.match((await fitBindings(m, 20)).tooLarge ?? '', /^one row of fc1's kernel/);
  disposeNetwork(n);
  disposeNetwork(m);
});

// Regression: prepareForTraining dropped the blocks, so a training step (and the report after it) bound
// the whole dense kernel, which a GPU with that binding limit reads back as zeros.
test('training under a small binding limit: a split dense layer is refused when trained, kept in blocks when frozen', async () => {
  await useNodeBackend('wasm');
  const n = net();
  await fitBindings(n, 600, 1); // fc1 (2240 bytes) in 4 blocks, as on a GPU with a 600-byte limit
  const before = tf.memory().numTensors;
  assert.throws(() => createTrainer(n, 'c1', 'unit', { ...DEFAULT_TRAIN_SETTINGS, advbn: false }),
    /^Error: fc1's kernel \(0\.0 MB\) is larger than this GPU's storage-binding limit \(it runs in 4 blocks\); training binds it whole, so it cannot be trained here\. Split after fc1 \(a later layer\) or train on WASM\.$/);
  assert.equal(tf.memory().numTensors, before, 'nothing left behind by the refusal');
  // Split after fc1: fc1 is frozen and runs in its blocks, never bound whole.
  const frozen = prepareForTraining(n, 2, false);
  const fc1 = frozen.layers[2]!;
  assert.ok(fc1.kind === 'dense' && fc1.parts?.length === 4 && fc1.parts.every((p) => p.size * 4 <= 600));
  const [a, b] = tf.tidy(() => {
    const x = tf.randomNormal([2, 4, 4, 3], 0, 1, 'float32', 3);
    return [forward(n, x).dataSync(), forward(frozen, x).dataSync()];
  });
  assert.deepEqual(Array.from(b), Array.from(a));
  disposeNetwork(frozen);
  assert.ok((n.layers[2] as { parts: tf.Tensor[] }).parts.every((p) => !p.isDisposed), 'the base network keeps its blocks');
  assert.equal(tf.memory().numTensors, before);
  disposeNetwork(n);
});
