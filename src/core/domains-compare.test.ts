import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { useNodeBackend } from '../backend/node/backend-node';
import { tinyVgg } from '../testing/domains-fixture';
import { buildDomainNetwork, disposeDomainNetwork, headMoments, pretrainedHead } from './domains-model';
import { compareOnDomains, domainArms, DOMAIN_ARMS, type DomainArm } from './domains-compare';
import { encodeImages, featureBatches, type FeatureSet } from './domains-features';
import { DEFAULT_TRAIN_SETTINGS, type AdvbnTrainSettings } from './advbn-training';
import { disposeNetwork, forwardRange, layerIndex } from '../models/network';
import { summarizeDomains } from '../common/domains-summary';

before(async () => { await useNodeBackend('wasm'); });

/** Features at block5_conv1 of random images whose class is readable from their colour. */
async function featureSet(vgg: ReturnType<typeof tinyVgg>, name: string, kind: FeatureSet['kind'], n: number, seed: number, shift = 0): Promise<FeatureSet> {
  const labels = Array.from({ length: n }, (_, i) => i % 3);
  const r = await encodeImages(vgg, 'block5_conv1', 'unit', n, (i) => tf.tidy(() => {
    const base = tf.randomUniform([32, 32, 3], 0, 0.5, 'float32', seed * 1000 + i);
    return tf.clipByValue(tf.add(base, tf.oneHot(labels[i]!, 3).mul(0.5 + shift)), 0, 1) as tf.Tensor3D;
  }), { batchSize: 8 });
  return { name, kind, features: r.features, shape: r.shape, labels, paths: labels.map((_, i) => `${name}/${i}`) };
}

const settings: AdvbnTrainSettings = { ...DEFAULT_TRAIN_SETTINGS, advbn: false, lr: 1e-3, optimizer: 'adam', weightDecay: 0, pgd: { eps: 0.5, tau: 0.2, steps: 2 } };
const ARMS: DomainArm[] = domainArms(DOMAIN_ARMS, settings);

test('the inserted BNs start as the identity: the domain network computes VGG\'s own head until the new layers', async () => {
  const vgg = tinyVgg(3);
  const train = await featureSet(vgg, 'source-train', 'train', 16, 1);
  const moments = await headMoments(pretrainedHead(vgg, 'block5_conv1'), featureBatches(train, 5));
  const net = buildDomainNetwork(vgg, 'block5_conv1', moments, 3, 1);
  const before = tf.memory().numTensors;
  const [ours, theirs] = tf.tidy(() => {
    const f = tf.tensor4d(train.features, [16, ...train.shape]);
    return [
      forwardRange(net, f, 1, layerIndex(net, 'gap') + 1),
      tf.mean(forwardRange(vgg, f, layerIndex(vgg, 'block5_conv1') + 1, layerIndex(vgg, 'block5_pool') + 1), [1, 2]),
    ];
  });
  const a = await ours!.data(), b = await theirs!.data();
  tf.dispose([ours!, theirs!]);
  assert.equal(tf.memory().numTensors, before);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / (Math.abs(b[i]!) + 1e-3));
  assert.ok(worst < 1e-3, `relative difference ${worst}`);
  // The pooled features are scaled to unit root mean square on the source before the new linear layer.
  const scaled = tf.tidy(() => forwardRange(net, tf.tensor4d(train.features, [16, ...train.shape]), 1, layerIndex(net, 'unit_rms') + 1));
  const rms = Math.sqrt((await tf.mean(tf.square(scaled)).data())[0]!);
  scaled.dispose();
  assert.ok(Math.abs(rms - 1) < 1e-3, `rms ${rms}`);
  disposeDomainNetwork(net);
  disposeNetwork(vgg);
});

test('compareOnDomains: every arm from the same base on the same batches; both BN branches; deterministic; nothing leaks', async () => {
  const vgg = tinyVgg(2);
  const train = await featureSet(vgg, 'source-train', 'train', 24, 1);
  const sets = [await featureSet(vgg, 'source-val', 'source-val', 9, 2), await featureSet(vgg, 'sketch', 'target', 9, 3, -0.3)];
  const tensors = tf.memory().numTensors;
  const run = () => compareOnDomains({ vgg, layer: 'block5_conv1', classes: 3, train, sets, arms: ARMS, seeds: [4, 5], epochs: 1, batchSize: 8 });
  const r = await run();
  assert.equal(tf.memory().numTensors, tensors, 'every tensor of every arm is disposed');
  assert.equal(r.steps, 3);
  assert.equal(r.runs.length, 12);
  let restyled = 0;
  for (const seed of [4, 5]) {
    const [p, a, n, m, mix, dsu] = DOMAIN_ARMS.map((arm) => r.runs.find((x) => x.seed === seed && x.arm === arm)!);
    assert.equal(p!.curve[0]!.cleanLoss, a!.curve[0]!.cleanLoss, 'same base, same first batch');
    assert.equal(p!.curve[0]!.cleanLoss, n!.curve[0]!.cleanLoss);
    assert.equal(p!.curve[0]!.cleanLoss, m!.curve[0]!.cleanLoss);
    for (const x of [p, mix, dsu]) assert.equal(x!.accuracy.aux, null, 'plain, MixStyle and DSU have no auxiliary BNs');
    for (const x of [mix, dsu]) assert.ok(x!.curve.every((c) => c.advLoss === null && c.pgdLoss === null), 'MixStyle and DSU: a single loss');
    for (const x of [mix, dsu]) restyled += x!.curve.filter((c, i) => c.cleanLoss !== p!.curve[i]!.cleanLoss).length;
    assert.ok(a!.accuracy.aux && n!.accuracy.aux && m!.accuracy.aux, 'AdvBN and random δ report their auxiliary branch');
    assert.ok(a!.curve[0]!.pgdLoss![1] > a!.curve[0]!.pgdLoss![0], 'PGD raises the loss');
    assert.equal(n!.curve[0]!.pgdLoss, null, 'uniform random δ runs no PGD');
    assert.deepEqual(m!.curve[0]!.pgdLoss, a!.curve[0]!.pgdLoss, 'the matched control runs the same PGD on the same first batch');
    assert.notEqual(a!.curve[0]!.advLoss, n!.curve[0]!.advLoss, 'adversarial and random δ differ');
    assert.ok(m!.curve[0]!.advLoss! < a!.curve[0]!.advLoss!, 'the matched δ (random direction) hurts less than the adversarial one');
    assert.equal(p!.epochSeconds.length, 1);
    assert.ok(Object.keys(p!.divergence).length >= 1 && p!.divergence.block5_conv2_bn!.sketch! >= 0);
  }
  assert.ok(restyled > 0, 'MixStyle and DSU change what the head trains on');
  const seed4 = r.runs.filter((x) => x.seed === 4).map((x) => x.curve[0]!.cleanLoss);
  const seed5 = r.runs.filter((x) => x.seed === 5).map((x) => x.curve[0]!.cleanLoss);
  assert.notEqual(seed4[0], seed5[0], 'seeds differ (linear layer and batch order)');
  const again = await run();
  assert.deepEqual(again.runs.map((x) => x.accuracy), r.runs.map((x) => x.accuracy), 'same seeds, same results');
  assert.deepEqual(again.runs.map((x) => x.curve.map((c) => c.cleanLoss)), r.runs.map((x) => x.curve.map((c) => c.cleanLoss)));
  const sum = summarizeDomains(sets.map((s) => ({ name: s.name, kind: s.kind as 'source-val' | 'target', labels: s.labels })), r.runs, [...DOMAIN_ARMS]);
  assert.deepEqual(Object.keys(sum.arms), ['plain', 'advbn', 'advbn-clean-bn', 'advbn-aux-bn', 'random-uniform', 'random-uniform-clean-bn', 'random-uniform-aux-bn',
    'random-matched', 'random-matched-clean-bn', 'random-matched-aux-bn', 'mixstyle', 'dsu']);
  const adv = r.runs.filter((x) => x.arm === 'advbn');
  assert.deepEqual(sum.arms.advbn!['source-val']!.seeds, adv.map((x) => Math.round(x.accuracy.clean['source-val']! * 10000) / 100), 'source-val: clean BNs');
  assert.deepEqual(sum.arms.advbn!.sketch!.seeds, adv.map((x) => Math.round(x.accuracy.aux!.sketch! * 10000) / 100), 'targets: auxiliary BNs');
  // The bootstrap's observed Δ is the seeds' mean Δ (every seed has the same test images).
  const b = sum.bootstrap!;
  assert.ok(Math.abs(b.vsPlain.advbn!.sets.sketch!.delta - sum.delta.advbn!.sketch!.mean) < 0.02);
  assert.ok(Math.abs(b.vsPlain.dsu!.meanTarget!.delta - sum.meanTargetDelta.dsu!.mean) < 0.02);
  assert.deepEqual(Object.keys(b.vsAdvbn), ['random-uniform', 'random-matched', 'mixstyle', 'dsu']);
  for (const i of Object.values(b.vsPlain).flatMap((x) => Object.values(x.sets))) assert.ok(i.lo <= i.delta && i.delta <= i.hi);
  disposeNetwork(vgg);
});
