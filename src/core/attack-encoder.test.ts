/**
 * The autoencoder apart from the classifier: L = CE(C(D(f_adv(E(x)))), y), checked against torch on the
 * authors' pipeline in miniature (AdaIN vgg_normalised → their decoder → a torchvision VGG), and the
 * plumbing that keeps the classifier's own encoder out of it.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { useNodeBackend } from '../backend/node/backend-node';
import { split, disposeNetwork } from '../models/network';
import { importFile } from '../models/import/import-file';
import { bytesSource } from '../models/import/source';
import { disposeImported, type ImportedDecoder, type ImportedNetwork } from '../models/import/convert';
import { attack } from './attack';

const DIR = new URL('../testing/import-fixtures/', import.meta.url);
const REF = (JSON.parse(readFileSync(new URL('import-fixtures.json', DIR), 'utf8')) as Record<string, Record<string, number[]>>).pipeline!;
const load = (name: string) => importFile(bytesSource(name, new Uint8Array(readFileSync(new URL(name, DIR)))));

let C: ImportedNetwork, E: ImportedNetwork, D: ImportedDecoder;
before(async () => {
  await useNodeBackend('wasm');
  C = (await load('tiny-torchvision-vgg3.pth')) as ImportedNetwork;
  E = (await load('tiny-adain-vgg-normalised.pth')) as ImportedNetwork;
  D = (await load('tiny-adain-decoder.pth')) as ImportedDecoder;
});

function softmax(l: number[]): number[] {
  const m = Math.max(...l);
  const e = l.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

test('image mode with a separate encoder: step 0 is C(D(E(x))) as torch computes it; clean is C(x)', async () => {
  assert.equal(C.inputSize, 56);
  const x = tf.tensor4d(REF.input!, REF.inputShape as [number, number, number, number]);
  const before = tf.memory().numTensors;
  const r = await attack(
    { split: split(C.net, 'block1_conv1'), preprocessing: C.preprocessing },
    { images: x, mode: 'image', decoder: D.decoder.net, settings: { eps: 1.1, tau: 0.2, steps: 2 }, encoder: { split: split(E.net, 'relu4_1'), preprocessing: E.preprocessing } },
    { images: true },
  );
  assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
  const close = (a: ArrayLike<number>, b: number[], what: string, tol = 1e-4) => {
    for (let i = 0; i < b.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) < tol, `${what}[${i}]: ${a[i]} vs ${b[i]}`);
  };
  close(r.cleanProbs, softmax(REF.cleanLogits!), 'clean probabilities');
  close(r.reports[0]!.probs, softmax(REF.logits!), 'step-0 probabilities');
  const img = r.reports[0]!.image!;
  assert.deepEqual(img.shape, [1, 56, 56, 3]);
  close(img.data, REF.decoded!.map((v) => Math.min(1, Math.max(0, v))), 'decoded image', 1e-3);
  assert.equal(r.delta.mu.length, 16, 'δ has one entry per relu4_1 channel of the encoder');
  assert.ok(r.reports[2]!.loss > r.reports[0]!.loss, 'PGD raises the loss');
  x.dispose();
});

test('a separate encoder is refused in feature mode (the head cannot read its features)', async () => {
  const x = tf.zeros([1, 56, 56, 3]) as tf.Tensor4D;
  await assert.rejects(attack(
    { split: split(C.net, 'block2_conv1'), preprocessing: C.preprocessing },
    { images: x, mode: 'feature', decoder: null, settings: { eps: 1.1, tau: 0.2, steps: 1 }, encoder: { split: split(E.net, 'relu4_1'), preprocessing: E.preprocessing } },
  ), /image mode only/);
  x.dispose();
});

test('cleanup', () => {
  disposeNetwork(C.net);
  disposeNetwork(E.net);
  disposeImported(D);
});
