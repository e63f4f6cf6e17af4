/**
 * The import reproduces what the real libraries computed: tiny files written by torch and h5py
 * (scripts/make-import-fixtures.py) and torch's outputs for a fixed input, committed beside them.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { useNodeBackend } from '../../backend/node/backend-node';
import { forward, split, disposeNetwork } from '../network';
import { preprocess } from '../preprocess';
import { importFile } from './import-file';
import { bytesSource, ImportCancelled, ImportError, type ImportProgress } from './source';
import { chwLinearToHwcKernel, disposeImported, type Imported, type ImportedNetwork } from './convert';
import { serializeLayersModel, memoryReader } from '../layers-writer';
import { loadLayersModelNetwork } from '../layers-format';

const DIR = new URL('../../testing/import-fixtures/', import.meta.url);
const REFS = JSON.parse(readFileSync(new URL('import-fixtures.json', DIR), 'utf8')) as Record<string, Record<string, number[]>>;
const fixture = (name: string) => bytesSource(name, new Uint8Array(readFileSync(new URL(name, DIR))));

before(async () => { await useNodeBackend('wasm'); });

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'lengths differ');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}
function input(ref: Record<string, number[]>): tf.Tensor4D {
  return tf.tensor4d(ref.input!, ref.inputShape as [number, number, number, number]);
}
async function run(net: ImportedNetwork, ref: Record<string, number[]>, to?: string): Promise<Float32Array> {
  const x = input(ref);
  const y = tf.tidy(() => {
    const pre = preprocess(net.preprocessing, x);
    return to ? split(net.net, to).encode(pre) : forward(net.net, pre);
  });
  const out = (await y.data()) as Float32Array;
  tf.dispose([x, y]);
  return out;
}
async function imported(name: string): Promise<ImportedNetwork> {
  const i = await importFile(fixture(name));
  assert.notEqual(i.kind, 'decoder');
  return i as ImportedNetwork;
}

for (const file of ['tiny-torchvision-vgg.pth', 'tiny-torchvision-vgg-legacy.pth', 'tiny-torchvision-vgg-deflated.pth']) {
  test(`torchvision VGG (${file}) reproduces torch's logits and block2_conv1 features`, async () => {
    const net = await imported(file);
    assert.equal(net.format, 'torchvision-vgg');
    assert.equal(net.preprocessing, 'torch');
    assert.equal(net.inputSize, 28);
    assert.equal(net.classes, 10);
    assert.deepEqual(net.net.layers.map((l) => l.name), ['block1_conv1', 'block1_conv2', 'block1_pool', 'block2_conv1', 'block2_pool', 'flatten', 'fc1', 'fc2', 'predictions']);
    const ref = REFS.torchvision!;
    const tol = 1e-4 * Math.max(1, maxAbs(ref.logits!));
    assert.ok(maxAbsDiff(await run(net, ref), ref.logits!) < tol, 'logits differ from torch');
    assert.ok(maxAbsDiff(await run(net, ref, 'block2_conv1'), ref.block2_conv1!) < tol, 'features differ from torch');
    disposeNetwork(net.net);
  });
}

test('Keras VGG .h5 reproduces the logits (Caffe preprocessing, HWIO kernels, H·W·C flatten)', async () => {
  const net = await imported('tiny-keras-vgg.h5');
  assert.equal(net.format, 'keras-h5');
  assert.equal(net.preprocessing, 'caffe');
  assert.equal(net.inputSize, 28);
  const ref = REFS.keras!;
  const tol = 1e-4 * Math.max(1, maxAbs(ref.logits!));
  assert.ok(maxAbsDiff(await run(net, ref), ref.logits!) < tol, 'logits differ');
  assert.ok(maxAbsDiff(await run(net, ref, 'block2_conv1'), ref.block2_conv1!) < 1e-4 * maxAbs(ref.block2_conv1!), 'features differ');
  disposeNetwork(net.net);
});

test('Keras _notop .h5 imports as an encoder without a classifier, same features', async () => {
  const net = await imported('tiny-keras-vgg-notop.h5');
  assert.equal(net.kind, 'encoder');
  assert.equal(net.classes, null);
  const ref = REFS.keras!;
  assert.ok(maxAbsDiff(await run(net, ref, 'block2_conv1'), ref.block2_conv1!) < 1e-4 * maxAbs(ref.block2_conv1!));
  disposeNetwork(net.net);
});

test('AdaIN vgg_normalised (legacy torch file) cut at relu4_1 reproduces torch, ceil-mode pools included', async () => {
  const net = await imported('tiny-adain-vgg-normalised.pth');
  assert.equal(net.format, 'adain-encoder');
  assert.equal(net.preprocessing, 'rgb01');
  assert.equal(net.net.layers[net.net.layers.length - 1]!.name, 'relu4_1');
  const ref = REFS.adain!;
  const x = input(ref);
  const f = forward(net.net, preprocess('rgb01', x));
  assert.deepEqual(f.shape, ref.relu4_1Shape);
  assert.ok(maxAbsDiff(await f.data(), ref.relu4_1!) < 1e-4 * maxAbs(ref.relu4_1!), 'relu4_1 differs');
  tf.dispose([x, f]);
  disposeNetwork(net.net);
});

test('AdaIN/AdvBN decoder.pth becomes a decoder for relu4_1 that reproduces torch on torch\'s features', async () => {
  const d = await importFile(fixture('tiny-adain-decoder.pth'));
  assert.equal(d.kind, 'decoder');
  if (d.kind !== 'decoder') return;
  assert.equal(d.decoder.manifest.layer, 'relu4_1');
  const ref = REFS.adain!;
  const f = tf.tensor4d(ref.relu4_1!, ref.relu4_1Shape as [number, number, number, number]);
  const y = forward(d.decoder.net, f);
  assert.deepEqual(y.shape, ref.decodedShape);
  assert.ok(maxAbsDiff(await y.data(), ref.decoded!) < 1e-4 * Math.max(1, maxAbs(ref.decoded!)));
  tf.dispose([f, y]);
  disposeImported(d);
});

test('an imported encoder survives the layers-format round trip (reflect padding, ceil pools)', async () => {
  const net = await imported('tiny-adain-vgg-normalised.pth');
  const s = await serializeLayersModel(net.net);
  const back = await loadLayersModelNetwork(memoryReader(s), 'memory');
  const ref = REFS.adain!;
  const x = input(ref);
  const f = forward(back, x);
  assert.ok(maxAbsDiff(await f.data(), ref.relu4_1!) < 1e-4 * maxAbs(ref.relu4_1!));
  tf.dispose([x, f]);
  disposeNetwork(net.net);
  disposeNetwork(back);
});

test('the C·H·W → H·W·C reorder of the first classifier layer is a pure permutation', () => {
  const c = 2, h = 2, w = 3, out = 2;
  const data = Float32Array.from({ length: out * c * h * w }, (_, i) => i);
  const k = chwLinearToHwcKernel({ shape: [out, c * h * w], data }, c, h, w);
  // NHWC position (y=1, x=2, c=1) is NCHW index 1·6 + 1·3 + 2 = 11; for output 1: 12 + 11.
  assert.equal(k.data[((1 * w + 2) * c + 1) * out + 1], 23);
});

test('progress is reported in bytes up to the file size, and cancel stops the import', async () => {
  const seen: ImportProgress[] = [];
  const i = await importFile(fixture('tiny-torchvision-vgg-legacy.pth'), { onProgress: (p) => seen.push(p) });
  disposeImported(i);
  const reads = seen.filter((p) => p.phase === 'read');
  assert.ok(reads.length > 3, 'a progress report per storage');
  assert.equal(reads[reads.length - 1]!.bytes, reads[0]!.totalBytes);
  assert.equal(seen[seen.length - 1]!.phase, 'convert');
  const ctl = new AbortController();
  ctl.abort();
  const before = tf.memory().numTensors;
  await assert.rejects(importFile(fixture('tiny-torchvision-vgg.pth'), { signal: ctl.signal }), ImportCancelled);
  assert.equal(tf.memory().numTensors, before);
});

const refusals: Array<[string, (b: Uint8Array) => Uint8Array, RegExp]> = [
  ['tiny-optimizer-checkpoint.pth', (b) => b, /found a dict with keys "epoch", "optimizer".*expected a state dict.*training checkpoint/s],
  ['tiny-resnet.pth', (b) => b, /conv1\.weight, bn1\.weight.*ResNet.*expected a torchvision VGG/s],
  ['tiny-wrong-shape.pth', (b) => b, /fc2 takes 12 inputs, expected 16/],
  ['tiny-torchvision-vgg.pth', (b) => b.subarray(0, b.length - 900), /truncated|damaged/],
  ['tiny-torchvision-vgg-legacy.pth', (b) => b.subarray(0, b.length - 100), /truncated/],
  ['tiny-adain-decoder.pth', (b) => b.subarray(0, 300), /truncated/],
  ['tiny-keras-vgg.h5', (b) => b.subarray(0, 30000), /truncated/],
  ['tiny-keras-vgg.h5', (b) => { const c = b.slice(); c[0] = 0x50; return c; }, /neither HDF5.*nor a PyTorch checkpoint/],
  ['import-fixtures.json', (b) => b, /neither HDF5.*Expected one of/s],
];
for (const [name, damage, message] of refusals) {
  test(`refuses ${name}${damage.toString().includes('subarray') ? ' (truncated)' : ''} with an error that says what was found and expected`, async () => {
    const bytes = damage(new Uint8Array(readFileSync(new URL(name, DIR))));
    const before = tf.memory().numTensors;
    let result: Imported | null = null;
    await assert.rejects(async () => { result = await importFile(bytesSource(name, bytes)); }, (e: Error) => {
      assert.ok(e instanceof ImportError, `an ImportError, got ${e.constructor.name}: ${e.message}`);
      assert.match(e.message, message);
      return true;
    });
    assert.equal(result, null);
    assert.equal(tf.memory().numTensors, before, 'nothing half-imported');
  });
}

test('a model saved in shards (as imports are, for IndexedDB) loads back the same', async () => {
  const net = await imported('tiny-torchvision-vgg.pth');
  const s = await serializeLayersModel(net.net, { shardBytes: 4000 });
  assert.ok(s.shards.length > 3, `${s.shards.length} shards`);
  assert.ok(s.shards.every(([, d]) => d.byteLength <= 4000));
  const files = new Map<string, Uint8Array>([['model.json', new TextEncoder().encode(s.modelJson)], ...s.shards]);
  const back = await loadLayersModelNetwork(async (n) => files.get(n)!.slice().buffer as ArrayBuffer, 'memory');
  const ref = REFS.torchvision!;
  assert.ok(maxAbsDiff(await run({ ...net, net: back }, ref), ref.logits!) < 1e-4 * Math.max(1, maxAbs(ref.logits!)));
  disposeNetwork(net.net);
  disposeNetwork(back);
});
