import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadLayersModelNetwork, ModelFormatError } from './layers-format';
import { folderReader } from './node-io';
import { forward, split } from './network';

before(async () => { await tf.setBackend('cpu'); });

/** Writes a tiny Keras-style layers model (conv → pool → flatten → dense) with uint8-quantized weights. */
function writeTinyModel(dir: string) {
  const layers = [
    { class_name: 'InputLayer', config: { name: 'input_1', batch_input_shape: [null, 4, 4, 1] } },
    { class_name: 'Conv2D', config: { name: 'c1', activation: 'relu', padding: 'same', strides: [1, 1], use_bias: true } },
    { class_name: 'MaxPooling2D', config: { name: 'p1', pool_size: [2, 2], strides: [2, 2] } },
    { class_name: 'Flatten', config: { name: 'f' } },
    { class_name: 'Dense', config: { name: 'd', activation: 'softmax', use_bias: true } },
  ];
  const kernel = Array.from({ length: 9 * 2 }, (_, i) => (i % 5) / 4);
  const bias = [0, 0.5];
  const dense = Array.from({ length: 8 * 3 }, (_, i) => (i % 3) / 2);
  const dbias = [0, 0, 1];
  const all = [kernel, bias, dense, dbias];
  const q = (v: number[]) => ({ min: 0, scale: 0.25, bytes: v.map((x) => Math.round(x / 0.25)) });
  const specs = [['c1/kernel', [3, 3, 1, 2]], ['c1/bias', [2]], ['d/kernel', [8, 3]], ['d/bias', [3]]] as const;
  const bytes: number[] = [];
  const weights = specs.map(([name, shape], i) => {
    const qq = q(all[i]!);
    bytes.push(...qq.bytes);
    return { name, shape, dtype: 'float32', quantization: { dtype: 'uint8', min: 0, scale: 0.25, original_dtype: 'float32' } };
  });
  writeFileSync(join(dir, 'model.json'), JSON.stringify({ format: 'layers-model', modelTopology: { model_config: { class_name: 'Functional', config: { layers } } }, weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights }] }));
  writeFileSync(join(dir, 'group1-shard1of1.bin'), new Uint8Array(bytes));
}

test('a TF.js layers model loads into a network, with dequantized weights, and splits', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'advbn-model-'));
  writeTinyModel(dir);
  const net = await loadLayersModelNetwork(await folderReader(dir), dir, 'tiny');
  assert.deepEqual(net.layers.map((l) => l.kind), ['conv2d', 'maxpool', 'flatten', 'dense']);
  assert.deepEqual(net.inputShape, [4, 4, 1]);
  const c1 = net.layers[0]!;
  assert.ok(c1.kind === 'conv2d');
  assert.deepEqual(Array.from(await c1.bias!.data()), [0, 0.5]);
  const x = tf.ones([1, 4, 4, 1]);
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
