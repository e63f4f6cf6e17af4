/**
 * The Train page's pictures from the worker: AdvBN on a training batch (decoded through the shipped
 * style-world decoder) leaks no tensor, and the style-world gallery / sample handlers draw what they say.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { trainHandlers } from './train-handlers';
import { styleWorldHandlers } from './style-world-handlers';
import type { PreviewResult } from './train-protocol';
import type { GalleryResult, SampleResult } from './style-world-protocol';
import type { HandlerMap } from './protocol';
import { parseRegistry } from '../common/registry';
import { HELDOUT_FAMILIES, TRAIN_FAMILIES } from '../data/style-world';

const MODELS = new URL('../../models/', import.meta.url).pathname;
before(async () => { await tf.setBackend('cpu'); });

/** The style-world folder as a 'files' source (what a picked folder gives), keys relative to models/. */
function styleWorldFiles(): Record<string, Blob> {
  const out: Record<string, Blob> = {};
  const walk = (rel: string) => {
    for (const f of readdirSync(join(MODELS, rel))) {
      const p = join(rel, f);
      if (statSync(join(MODELS, p)).isDirectory()) walk(p);
      else out[p] = new Blob([readFileSync(join(MODELS, p))]);
    }
  };
  walk('style-world');
  return out;
}

const call = async <R>(h: HandlerMap, type: string, payload: unknown): Promise<R> =>
  h[type]!(payload as never, { signal: new AbortController().signal, emit: () => {} }) as Promise<R>;

test('train.preview: clean, decoded (m = 0) and decoded AdvBN batch; AdvBN changes predictions; no tensor leaks', async () => {
  const entry = parseRegistry(readFileSync(join(MODELS, 'index.json'), 'utf8'), 'index.json').find((e) => e.id === 'style-world')!;
  const model = { source: { kind: 'files' as const, files: styleWorldFiles() }, entry };
  const before = tf.memory().numTensors;
  const r = await call<PreviewResult>(trainHandlers, 'train.preview', { model, layer: 'block1_relu1', eps: 1, tau: 0.35, steps: 3, seed: 1, n: 6 });
  assert.equal(tf.memory().numTensors, before, 'every tensor of the preview is disposed');
  assert.equal(r.clean.length, 6);
  assert.equal(r.recon!.length, 6);
  assert.equal(r.adv!.length, 6);
  assert.equal(r.clean[0]!.length, 64 * 64 * 4);
  assert.equal(r.decoderLayer, 'block1_relu1');
  assert.ok(r.loss[1] > r.loss[0], `PGD raises the loss: ${r.loss}`);
  assert.ok(r.advPred.some((p, i) => p !== r.cleanPred[i]), 'AdvBN changes some predictions');
  // A layer without a decoder: the clean batch and the predictions only.
  const noDec = await call<PreviewResult>(trainHandlers, 'train.preview', { model, layer: 'block3_relu1', eps: 1, tau: 0.35, steps: 1, seed: 1, n: 2 });
  assert.equal(noDec.adv, null);
  assert.equal(noDec.decoderLayer, null);
  assert.equal(tf.memory().numTensors, before);
});

test('styleworld.gallery and styleworld.sample: every family, a few 64 px images each; a bad family is a clear error', async () => {
  const g = await call<GalleryResult>(styleWorldHandlers, 'styleworld.gallery', { count: 3 });
  assert.deepEqual(g.families.filter((f) => f.split === 'train').map((f) => f.name), [...TRAIN_FAMILIES]);
  assert.deepEqual(g.families.filter((f) => f.split === 'heldout').map((f) => f.name), [...HELDOUT_FAMILIES]);
  assert.ok(g.families.every((f) => f.images.length === 3 && f.images[0]!.length === 64 * 64 * 4));
  const s = await call<SampleResult>(styleWorldHandlers, 'styleworld.sample', { family: 'mottled', seed: 1, index: 24 });
  assert.equal(s.shape, 'cross', 'index 24: class 24 mod 10 = 4, a cross (the first view)');
  await assert.rejects(call(styleWorldHandlers, 'styleworld.sample', { family: 'nope', seed: 1, index: 0 }), /Unknown style family "nope"/);
});
