/**
 * The Train page's domains comparison in the worker (train.domains), run in Node on the CPU backend with
 * the tiny VGG-shaped model and a decoder at its split, read through the 'files' source (what a picked
 * model folder gives): the result carries AdvBN on a source training batch, decoded, and frees every tensor.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { filesOf } from '../testing/files-source';
import { domainsHandlers } from './domains-handlers';
import type { DomainsSetData, TrainDomainsRequest, TrainDomainsResult } from './domains-protocol';
import type { RegistryEntry } from '../common/registry';
import { writeTinyDecoderFolder, writeTinyVggFolder } from '../testing/domains-fixture';
import { mulberry32 } from '../common/random';

let dir = '';
before(async () => {
  await tf.setBackend('cpu');
  dir = mkdtempSync(join(tmpdir(), 'advbn-domains-worker-'));
  await writeTinyVggFolder(join(dir, 'tiny-vgg'));
  await writeTinyDecoderFolder(join(dir, 'tiny-vgg', 'decoder-block5_conv1'));
});
after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

/** A set of `n` random 32 px images (seeded) with labels cycling over 5 classes. */
function set(name: string, kind: DomainsSetData['kind'], n: number, seed: number): DomainsSetData {
  const rng = mulberry32(seed);
  const pixels = new Uint8Array(n * 32 * 32 * 3).map(() => Math.floor(256 * rng()));
  return { name, kind, pixels, labels: Array.from({ length: n }, (_, i) => i % 5), paths: Array.from({ length: n }, (_, i) => `${name}/${i}.png`), fingerprint: `${name}:${seed}:${n}` };
}

const call = async (p: TrainDomainsRequest) =>
  domainsHandlers['train.domains']!(p as never, { signal: new AbortController().signal, emit: () => {} }) as Promise<TrainDomainsResult>;

test('train.domains: AdvBN on a source training batch by the trained network, decoded at the split; none without a decoder; no tensor leaks', async () => {
  const entry: RegistryEntry = {
    id: 'tiny-vgg', name: 'tiny VGG', path: 'tiny-vgg', preprocessing: 'caffe', inputSize: 32, labels: ['a', 'b', 'c', 'd', 'e'],
    defaultLayer: 'block5_conv1', decoders: { block5_conv1: 'tiny-vgg/decoder-block5_conv1' },
  };
  const req: TrainDomainsRequest = {
    runId: 'r1', model: { source: { kind: 'files', files: filesOf(dir) }, entry }, layer: 'block5_conv1', size: 32, classes: ['a', 'b', 'c', 'd', 'e'],
    sets: [set('source-train', 'train', 16, 1), set('source-val', 'source-val', 5, 2), set('sketch', 'target', 5, 3)],
    arms: ['plain', 'advbn'], seeds: 1, epochs: 1, batchSize: 8, lr: 1e-3, eps: 0.5, tau: 0.2, pgdSteps: 2,
  };
  const before = tf.memory().numTensors;
  const r = await call(req);
  assert.equal(tf.memory().numTensors, before, 'every tensor is freed');
  assert.deepEqual(r.classes, req.classes);
  const b = r.batch!;
  assert.ok(b, 'a batch preview');
  assert.equal(b.decoderLayer, 'block5_conv1');
  // 8 of the 16 training images, spread over the set (indices 0, 2, …, 14), so over its classes.
  assert.deepEqual(b.labels, [0, 2, 4, 1, 3, 0, 2, 4]);
  assert.equal(b.clean.length, 8);
  // The clean images are those training images, as RGBA.
  assert.deepEqual([...b.clean[1]!.subarray(0, 4)], [...req.sets[0]!.pixels.subarray(2 * 32 * 32 * 3, 2 * 32 * 32 * 3 + 3), 255]);
  assert.equal(b.recon!.length, 8);
  assert.equal(b.adv!.length, 8);
  assert.equal(b.adv![0]!.length, 32 * 32 * 4);
  assert.ok(b.recon!.some((im, i) => im.some((v, k) => v !== b.adv![i]![k])), 'AdvBN changes the decoded images');
  assert.ok(b.loss[1] >= b.loss[0], `PGD raises the loss: ${b.loss}`);

  // Without a decoder at the split: no batch.
  const none = await call({ ...req, runId: 'r2', model: { ...req.model, entry: { ...entry, decoders: {} } } });
  assert.equal(none.batch, null);
  assert.equal(tf.memory().numTensors, before);
});
