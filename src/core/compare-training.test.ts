import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { buildStyleWorldNet } from '../models/style-world-model';
import { disposeNetwork, layerIndex, type ConvLayer } from '../models/network';
import { createTrainer, disposeTrainer, trainLoop, DEFAULT_TRAIN_SETTINGS, type Trainer } from './advbn-training';
import { compareFineTuning } from './compare-training';
import { renderBatch, TRAIN_FAMILIES } from '../data/style-world';
import { useNodeBackend } from '../backend/node/backend-node';
import type { TestSet } from './robustness';

before(async () => { await useNodeBackend('wasm'); });

const batchFor = (seed: number, step: number) => {
  const b = renderBatch(TRAIN_FAMILIES, seed, 'train', step * 8, 8);
  return { x: tf.tensor4d(b.pixels, [8, 64, 64, 3]), labels: b.labels };
};
const testSet = (): TestSet => {
  const b = renderBatch(TRAIN_FAMILIES, 99, 'clean', 0, 10);
  return { name: 'clean', kind: 'clean', pixels: Uint8Array.from(b.pixels, (v) => Math.round(v * 255)), labels: b.labels, size: 64 };
};
const headKernel = async (t: Trainer) => Array.from(await (t.net.layers[layerIndex(t.net, 'block3_conv1')] as ConvLayer).kernel.data());

test('compareFineTuning: both arms see the same batches; the plain arm is exactly plain fine-tuning; nothing leaks', async () => {
  const base = buildStyleWorldNet(1, [4, 8, 8, 8]);
  const settings = { ...DEFAULT_TRAIN_SETTINGS, pgd: { eps: 0.5, tau: 0.25, steps: 2 } };
  const tensorsBefore = tf.memory().numTensors;
  let plainKernel: number[] = [];
  const seen: string[] = [];
  const r = await compareFineTuning({
    base, layer: 'block2_relu1', preprocessing: 'unit', settings, seeds: [5], steps: 3, tests: [testSet()],
    batch: (seed, step) => { seen.push(`${seed}:${step}`); return batchFor(seed, step); },
    onTrained: async (_seed, arm, t) => { if (arm === 'plain') plainKernel = await headKernel(t); },
  });
  assert.equal(tf.memory().numTensors, tensorsBefore, 'every tensor of both arms is disposed');
  assert.deepEqual(seen, ['5:0', '5:1', '5:2'], 'one batch per step, shared by both arms');
  const run = r.runs[0]!;
  assert.equal(run.curves.plain.length, 3);
  assert.equal(run.curves.plain[0]!.cleanLoss, run.curves.advbn[0]!.cleanLoss, 'same base, same first batch');
  assert.notEqual(run.curves.plain[2]!.cleanLoss, run.curves.advbn[2]!.cleanLoss, 'the AdvBN term changes the head');
  assert.ok(run.curves.plain.every((s) => s.advLoss === null) && run.curves.advbn.every((s) => s.advLoss !== null));

  // The same three batches through a stand-alone plain trainer give the very same head.
  const alone = createTrainer(base, 'block2_relu1', 'unit', { ...settings, advbn: false });
  await trainLoop(alone, 3, (step) => batchFor(5, step));
  assert.deepEqual(await headKernel(alone), plainKernel);
  disposeTrainer(alone);
  assert.deepEqual(r.summary.map((x) => x.set), ['clean']);
  assert.equal(r.summary[0]!.base, r.base.accuracy.clean);
  disposeNetwork(base);
});
