import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadLayersModelNetwork, ModelFormatError } from './layers-format';
import { folderReader } from './node-io';
import { forward, split } from './network';
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
