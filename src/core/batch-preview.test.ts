import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { buildStyleWorldNet } from '../models/style-world-model';
import { disposeNetwork, forwardRange } from '../models/network';
import { auxiliaryBnLayers, cleanHead, createTrainer, disposeTrainer, pgdHead, DEFAULT_TRAIN_SETTINGS } from './advbn-training';
import { previewAdvbnBatch } from './batch-preview';
import { renderBatch, TRAIN_FAMILIES } from '../data/style-world';
import { useNodeBackend } from '../backend/node/backend-node';

// Regression: the preview's "clean" prediction went through the auxiliary BNs (the head PGD attacks);
// training and evaluation read clean features through the main BNs.
test('the batch preview predicts clean features through the main BNs and AdvBN features through the auxiliary ones', async () => {
  await useNodeBackend('wasm');
  const base = buildStyleWorldNet(1, [4, 8, 8, 8]);
  const t = createTrainer(base, 'block2_relu1', 'unit', { ...DEFAULT_TRAIN_SETTINGS, advbn: true });
  // Make the twins disagree, as they do after training: the auxiliary BNs get other shifts.
  tf.tidy(() => { for (const [i, l] of auxiliaryBnLayers(t.net).entries()) l.adv!.beta.assign(tf.randomNormal(l.adv!.beta.shape, 0, 3, 'float32', 40 + i)); });
  const tensors = tf.memory().numTensors;
  const b = renderBatch(TRAIN_FAMILIES, 3, 'train', 0, 8);
  const x = tf.tensor4d(b.pixels, [8, 64, 64, 3]);
  const f = tf.tidy(() => forwardRange(t.net, tf.sub(x, 0.5), 0, t.splitIndex + 1)) as tf.Tensor4D;
  const top1 = async (bn: 'clean' | 'adv') => {
    const k = tf.tidy(() => tf.argMax(forwardRange(t.net, f, t.splitIndex + 1, t.net.layers.length, { bn, training: false }), -1));
    const v = Array.from(await k.data());
    k.dispose();
    return v;
  };
  const main = await top1('clean'), aux = await top1('adv');
  assert.notDeepEqual(main, aux, 'the two BN sets predict differently on this batch (else the test proves nothing)');
  const pv = await previewAdvbnBatch(f, t.relu, pgdHead(t), b.labels, { eps: 0.5, tau: 0.25, steps: 0 }, null, cleanHead(t));
  assert.deepEqual(pv.cleanPred, main, 'clean: the main BNs');
  // m = 0: δ = 1, so the AdvBN features are the clean ones, read through the auxiliary BNs.
  assert.deepEqual(pv.advPred, aux, 'AdvBN: the auxiliary BNs');
  tf.dispose([x, f]);
  assert.equal(tf.memory().numTensors, tensors);
  disposeTrainer(t);
  disposeNetwork(base);
});
