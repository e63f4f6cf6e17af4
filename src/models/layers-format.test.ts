import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadLayersModelNetwork, ModelFormatError } from './layers-format';
import { folderReader } from './node-io';
import { disposeNetwork, forward, split } from './network';
import { writeTinyModel } from '../testing/tiny-model-files';

before(async () => { await tf.setBackend('cpu'); });

test('a TF.js layers model loads into a network, with dequantized weights, and splits', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'advbn-model-'));
  writeTinyModel(dir);
  const net = await loadLayersModelNetwork(await folderReader(dir), dir, 'tiny');
  assert.deepEqual(net.layers.map((l) => l.kind), ['conv2d', 'maxpool', 'flatten', 'dense']);
  assert.deepEqual(net.inputShape, [4, 4, 3]);
  const c1 = net.layers[0]!;
  assert.ok(c1.kind === 'conv2d');
  assert.deepEqual(Array.from(await c1.bias!.data()), [0, 0.5]);
  const x = tf.ones([1, 4, 4, 3]);
  const logits = forward(net, x);
  assert.deepEqual(logits.shape, [1, 3]);
  const s = split(net, 'c1');
  assert.equal(s.relu, true);
  const viaSplit = s.head(s.encode(x));
  assert.deepEqual(Array.from(await viaSplit.data()), Array.from(await logits.data()));
  // encoder and head share the loaded weights: the same tensor objects
  assert.equal(s.net.layers[0], net.layers[0]);
});

test('a missing folder, a missing model.json and a corrupt model.json give clear errors', async () => {
  await assert.rejects(folderReader('/nonexistent/model/dir'), (e: Error) => e instanceof ModelFormatError && /does not exist.*model\.json/.test(e.message));
  const empty = mkdtempSync(join(tmpdir(), 'advbn-empty-'));
  await assert.rejects(loadLayersModelNetwork(await folderReader(empty), empty), /cannot read model\.json/);
  writeFileSync(join(empty, 'model.json'), '{"not": "a model"');
  await assert.rejects(loadLayersModelNetwork(await folderReader(empty), empty), /not valid JSON/);
  writeFileSync(join(empty, 'model.json'), '{"hello": 1}');
  await assert.rejects(loadLayersModelNetwork(await folderReader(empty), empty), /modelTopology/);
});

test('missing weight shards are reported', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'advbn-noshard-'));
  writeTinyModel(dir);
  const { unlinkSync } = await import('node:fs');
  unlinkSync(join(dir, 'group1-shard1of1.bin'));
  await assert.rejects(loadLayersModelNetwork(await folderReader(dir), dir), /weight shards/);
});

/** A 4×4 model with a BatchNormalization layer (and `extra` layers after it), all in memory. */
function bnModel(extra: Array<{ class_name: string; config: Record<string, unknown> }> = []) {
  const specs: Array<[string, number[]]> = [
    ['c1/kernel', [3, 3, 3, 2]], ['c1/bias', [2]],
    ['bn/gamma', [2]], ['bn/beta', [2]], ['bn/moving_mean', [2]], ['bn/moving_variance', [2]],
    ['d/kernel', [32, 3]], ['d/bias', [3]],
  ];
  const sizes = specs.map(([, s]) => s.reduce((a, b) => a * b, 1));
  const values = new Float32Array(sizes.reduce((a, b) => a + b, 0)).map((_, i) => 0.5 + (i % 7) / 10);
  const json = {
    format: 'layers-model',
    modelTopology: { class_name: 'Sequential', config: { name: 'bn', layers: [
      { class_name: 'InputLayer', config: { name: 'input', batch_input_shape: [null, 4, 4, 3] } },
      { class_name: 'Conv2D', config: { name: 'c1', activation: 'relu', padding: 'same', strides: [1, 1], use_bias: true } },
      { class_name: 'BatchNormalization', config: { name: 'bn', epsilon: 1e-3 } },
      ...extra,
      { class_name: 'Flatten', config: { name: 'f' } },
      { class_name: 'Dense', config: { name: 'd', activation: 'softmax', use_bias: true } },
    ] } },
    weightsManifest: [{ paths: ['w.bin'], weights: specs.map(([name, shape]) => ({ name, shape, dtype: 'float32' })) }],
  };
  const files: Record<string, ArrayBuffer> = { 'model.json': new TextEncoder().encode(JSON.stringify(json)).buffer as ArrayBuffer, 'w.bin': values.buffer };
  return async (name: string) => {
    const f = files[name];
    if (!f) throw new Error(`${name} not found`);
    return f;
  };
}

test('loading and disposing a model with BatchNormalization leaves no tensor behind; neither does a failed load', async () => {
  const before = tf.memory().numTensors;
  const net = await loadLayersModelNetwork(bnModel(), 'memory', 'bn');
  assert.equal(net.layers.find((l) => l.kind === 'batchnorm')?.kind, 'batchnorm');
  const shape = tf.tidy(() => forward(net, tf.ones([1, 4, 4, 3])).shape);
  assert.deepEqual(shape, [1, 3]);
  disposeNetwork(net);
  assert.equal(tf.memory().numTensors, before, 'tensors after load + dispose');
  // A layer type the loader does not know, after the weights are decoded: a clear error, no leak.
  await assert.rejects(loadLayersModelNetwork(bnModel([{ class_name: 'Conv3D', config: { name: 'c3' } }]), 'memory'), /Conv3D is not supported/);
  assert.equal(tf.memory().numTensors, before, 'tensors after a failed load');
});
