import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { buildStyleWorldNet } from '../models/style-world-model';
import { disposeNetwork, forwardRange, layerIndex, type BatchNormLayer, type ConvLayer, type ForwardOptions } from '../models/network';
import {
  auxiliaryBnLayers, createTrainer, disposeTrainer, learningRate, trainLoop, trainStep, DEFAULT_TRAIN_SETTINGS,
} from './advbn-training';
import { channelStats, featureMoments, momentsToStats } from './stats';
import { renderBatch, TRAIN_FAMILIES } from '../data/style-world';
import { useNodeBackend } from '../backend/node/backend-node';

// WASM with the project's conv-gradient kernels: the backend the CLI trains on (and much faster than 'cpu').
before(async () => { await useNodeBackend('wasm'); });

const WIDTHS = [4, 8, 8, 8];
const batch = (seed: number, n = 10) => {
  const b = renderBatch(TRAIN_FAMILIES, seed, 'train', 0, n);
  return { x: tf.tensor4d(b.pixels, [n, 64, 64, 3]), labels: b.labels };
};
const read = async (t: tf.Tensor) => Array.from(await t.data());
const changed = (a: number[], b: number[]) => a.some((v, i) => Math.abs(v - b[i]!) > 1e-6);

test('the head gets auxiliary BNs: clean and adversarial batches update different BN statistics', async () => {
  const base = buildStyleWorldNet(1, WIDTHS);
  const t = createTrainer(base, 'block2_relu1', 'unit', { ...DEFAULT_TRAIN_SETTINGS, advbn: true, pgd: { eps: 0.5, tau: 0.25, steps: 2 } });
  const aux = auxiliaryBnLayers(t.net);
  assert.deepEqual(aux.map((l) => l.name), ['block3_bn1', 'block4_bn1'], 'only BNs after the split have twins');
  const bn3 = aux[0]!;
  const encBn = t.net.layers[layerIndex(t.net, 'block1_bn1')] as BatchNormLayer;
  const snap = async (l: BatchNormLayer) => ({
    cleanMean: await read(l.clean.movingMean), advMean: await read(l.adv ? l.adv.movingMean : l.clean.movingMean),
    cleanGamma: await read(l.clean.gamma), advGamma: await read(l.adv ? l.adv.gamma : l.clean.gamma),
  });
  const s0 = await snap(bn3);
  assert.deepEqual(s0.cleanMean, s0.advMean, 'twins start as copies');
  const enc0 = await snap(encBn);

  // A forward pass in training mode through the adversarial twin reports statistics for 'adv' only.
  const b = batch(1, 6);
  const observed: NonNullable<ForwardOptions['observedStats']> = [];
  const f = forwardRange(t.net, tf.sub(b.x, 0.5), 0, t.splitIndex + 1);
  tf.dispose(forwardRange(t.net, f, t.splitIndex + 1, t.net.layers.length, { bn: 'adv', training: true, observedStats: observed }));
  assert.ok(observed.length === 2 && observed.every((o) => o.twin === 'adv'));
  observed.forEach((o) => { o.mean.dispose(); o.variance.dispose(); });
  f.dispose();

  const r = await trainStep(t, b.x, b.labels, 0, 10);
  assert.ok(r.advLoss !== null && r.pgdLoss !== null);
  assert.ok(r.pgdLoss![1] >= r.pgdLoss![0] - 1e-3, `PGD must not lower the loss: ${r.pgdLoss}`);
  const s1 = await snap(bn3);
  assert.ok(changed(s0.cleanMean, s1.cleanMean), 'clean running mean updated');
  assert.ok(changed(s0.advMean, s1.advMean), 'adversarial running mean updated');
  assert.ok(changed(s1.cleanMean, s1.advMean), 'clean and adversarial statistics differ after a step');
  assert.ok(changed(s1.cleanGamma, s1.advGamma), 'clean and adversarial γ get different gradients');
  const enc1 = await snap(encBn);
  assert.deepEqual(enc1, enc0, 'the frozen encoder BN does not change');
  // Without AdvBN there are no twins.
  const plain = createTrainer(base, 'block2_relu1', 'unit', { ...DEFAULT_TRAIN_SETTINGS, advbn: false });
  assert.equal(auxiliaryBnLayers(plain.net).length, 0);
  b.x.dispose();
  disposeTrainer(t);
  disposeTrainer(plain);
  disposeNetwork(base);
});

test('a few training steps lower the loss (standard training and AdvBN fine-tuning); no tensor leaks', async () => {
  const base = buildStyleWorldNet(2, WIDTHS);
  const b = batch(5, 10);
  for (const [layer, advbn] of [[null, false], ['block2_relu1', true]] as const) {
    const before = tf.memory().numTensors;
    const t = createTrainer(base, layer, 'unit', { ...DEFAULT_TRAIN_SETTINGS, advbn, lr: advbn ? 0.05 : 0.01, optimizer: advbn ? 'sgd' : 'adam', pgd: { eps: 0.3, tau: 0.15, steps: 2 } });
    const results = await trainLoop(t, 12, () => ({ x: b.x.clone(), labels: b.labels }));
    const first = results[0]!.cleanLoss, last = results[results.length - 1]!.cleanLoss;
    assert.ok(last < first * 0.8, `${layer ?? 'scratch'}: clean loss ${first} → ${last}`);
    if (advbn) assert.ok(results[results.length - 1]!.advLoss! < results[0]!.advLoss!, 'adversarial loss goes down too');
    disposeTrainer(t);
    assert.equal(tf.memory().numTensors, before, 'every tensor disposed');
  }
  b.x.dispose();
  disposeNetwork(base);
});

test('lr is divided by 10 after half the steps; cancel stops the loop', async () => {
  assert.equal(learningRate({ lr: 0.1, decayAt: 0.5 }, 4, 10), 0.1);
  assert.ok(Math.abs(learningRate({ lr: 0.1, decayAt: 0.5 }, 5, 10) - 0.01) < 1e-12);
  const base = buildStyleWorldNet(3, WIDTHS);
  const t = createTrainer(base, 'block3_relu1', 'unit', { ...DEFAULT_TRAIN_SETTINGS, advbn: false });
  const ctrl = new AbortController();
  const b = batch(3, 4);
  await assert.rejects(trainLoop(t, 5, () => ({ x: b.x.clone(), labels: b.labels }), { signal: ctrl.signal, onStep: (r) => { if (r.step === 1) ctrl.abort(); } }), /cancel/i);
  b.x.dispose();
  disposeTrainer(t);
  disposeNetwork(base);
});

test('per-set feature statistics accumulated over batches equal those of the whole set (§7 divergence input)', async () => {
  const net = buildStyleWorldNet(4, WIDTHS);
  const b = batch(9, 8);
  const halves = [{ x: tf.slice(b.x, [0, 0, 0, 0], [4, -1, -1, -1]) as tf.Tensor4D, labels: b.labels.slice(0, 4) }, { x: tf.slice(b.x, [4, 0, 0, 0], [4, -1, -1, -1]) as tf.Tensor4D, labels: b.labels.slice(4) }];
  const m = await featureMoments(net, 'unit', ['block2_relu1'], halves);
  const s = momentsToStats(m.block2_relu1!);
  const f = forwardRange(net, tf.sub(b.x, 0.5), 0, layerIndex(net, 'block2_relu1') + 1);
  const ref = channelStats(f);
  const [a1, a2, r1, r2] = await Promise.all([s.mean.data(), s.std.data(), ref.mean.data(), ref.std.data()]);
  for (let c = 0; c < a1.length; c++) {
    assert.ok(Math.abs(a1[c]! - r1[c]!) < 1e-4, `mean ${c}`);
    assert.ok(Math.abs(a2[c]! - r2[c]!) < 1e-3 * Math.max(1, r2[c]!), `std ${c}: ${a2[c]} vs ${r2[c]}`);
  }
  tf.dispose([b.x, f, s.mean, s.std, ref.mean, ref.std]);
  disposeNetwork(net);
});

test('adversarial loss weight: w = 0 leaves the head exactly as plain fine-tuning; a bad weight is an error', async () => {
  const base = buildStyleWorldNet(6, WIDTHS);
  const b = batch(6, 8);
  const kernel = async (t: ReturnType<typeof createTrainer>) => Array.from(await (t.net.layers[layerIndex(t.net, 'block3_conv1')] as ConvLayer).kernel.data());
  const pgd = { eps: 0.5, tau: 0.25, steps: 2 };
  const run = async (s: Partial<typeof DEFAULT_TRAIN_SETTINGS>) => {
    const t = createTrainer(base, 'block2_relu1', 'unit', { ...DEFAULT_TRAIN_SETTINGS, pgd, ...s });
    await trainLoop(t, 2, () => ({ x: b.x.clone(), labels: b.labels }));
    const k = await kernel(t);
    disposeTrainer(t);
    return k;
  };
  const plain = await run({ advbn: false });
  assert.deepEqual(await run({ advbn: true, advWeight: 0 }), plain);
  assert.notDeepEqual(await run({ advbn: true, advWeight: 1 }), plain);
  assert.throws(() => createTrainer(base, 'block2_relu1', 'unit', { ...DEFAULT_TRAIN_SETTINGS, advWeight: -1 }), /adversarial loss weight/);
  b.x.dispose();
  disposeNetwork(base);
});

test("advBn 'frozen': no auxiliary twins; the adversarial path runs the clean BNs in eval mode and does not move their statistics", async () => {
  const base = buildStyleWorldNet(7, WIDTHS);
  const b = batch(7, 8);
  const t = createTrainer(base, 'block2_relu1', 'unit', { ...DEFAULT_TRAIN_SETTINGS, advBn: 'frozen', pgd: { eps: 0.5, tau: 0.25, steps: 2 } });
  assert.equal(auxiliaryBnLayers(t.net).length, 0);
  const bn = t.net.layers[layerIndex(t.net, 'block3_bn1')] as BatchNormLayer;
  const before = await read(bn.clean.movingMean);
  const r = await trainStep(t, b.x, b.labels, 0, 10);
  assert.ok(r.advLoss !== null && r.pgdLoss !== null);
  // Only the clean pass (training mode) updates the running mean: momentum 0.9 towards its batch mean.
  const observed: NonNullable<ForwardOptions['observedStats']> = [];
  const ref = createTrainer(base, 'block2_relu1', 'unit', { ...DEFAULT_TRAIN_SETTINGS, advbn: false });
  const f = forwardRange(ref.net, tf.sub(b.x, 0.5), 0, ref.splitIndex + 1);
  tf.dispose(forwardRange(ref.net, f, ref.splitIndex + 1, ref.net.layers.length, { bn: 'clean', training: true, observedStats: observed }));
  const batchMean = await read(observed.find((o) => o.layer.name === 'block3_bn1')!.mean);
  const after = await read(bn.clean.movingMean);
  after.forEach((v, i) => assert.ok(Math.abs(v - (0.9 * before[i]! + 0.1 * batchMean[i]!)) < 1e-4, `channel ${i}`));
  observed.forEach((o) => { o.mean.dispose(); o.variance.dispose(); });
  f.dispose();
  b.x.dispose();
  disposeTrainer(t);
  disposeTrainer(ref);
  disposeNetwork(base);
});
