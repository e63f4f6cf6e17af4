import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { createDecoder, loadDecoder, mirrorSpec, serializeDecoder, toFloat16 } from './decoder';
import { forward, split } from './network';
import { decoderTrainStep, trainableVariables } from '../core/train-decoder';
import { forwardRange } from './network';
import { tinyConvNet } from '../testing/tiny-net';
import { useNodeBackend } from '../backend/node/backend-node';

before(async () => { await useNodeBackend('wasm'); });

test('the decoder mirrors the encoder: convs reversed with channels swapped, an upsample per pool', () => {
  const net = tinyConvNet(1);
  const specs = mirrorSpec(net, 'conv2');
  assert.deepEqual(specs.map((s) => s.kind === 'conv2d' ? `${s.shape.join('x')}:${s.activation}` : s.kind), ['3x3x6x4:relu', '3x3x4x3:linear']);
  const withPool = { ...net, layers: [net.layers[0]!, net.layers[2]!, { ...net.layers[1]!, name: 'conv2' }] };
  assert.deepEqual(mirrorSpec(withPool, 'conv2').map((s) => s.kind), ['conv2d', 'upsample', 'conv2d']);
});

test('decoder output has the input image shape (H, W, 3) for any crop size', () => {
  const net = tinyConvNet(1);
  const withPool = { ...net, layers: [net.layers[0]!, net.layers[2]!, { ...net.layers[1]!, name: 'conv2' }] };
  const d = createDecoder(withPool, 'tiny', 'conv2', 1);
  for (const size of [8, 12, 16]) {
    const f = split(withPool, 'conv2').encode(tf.ones([2, size, size, 3]));
    const y = forward(d.net, f);
    assert.deepEqual(y.shape, [2, size, size, 3]);
    tf.dispose([f, y]);
  }
});

test('a few training steps lower the reconstruction loss (WASM, with the project conv-gradient kernel)', async () => {
  const net = tinyConvNet(2);
  const d = createDecoder(net, 'tiny', 'conv1', 1, 3);
  const setup = { encoder: net, preprocessing: 'unit' as const, layer: 'conv1', decoder: d.net, tvWeight: 1e-4, optimizer: tf.train.adam(1e-2) };
  const x = tf.randomUniform([4, 8, 8, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
  const first = await decoderTrainStep(setup, x);
  let last = first;
  for (let i = 0; i < 30; i++) last = await decoderTrainStep(setup, x);
  assert.ok(last < first * 0.5, `loss ${first} → ${last}`);
  assert.equal(trainableVariables(d.net).length, 2); // conv1's mirror is one conv: kernel + bias
});

test('the feature loss adds weight × the normalised feature MSE of the decoded image, and trains it down', async () => {
  const net = tinyConvNet(2);
  const d = createDecoder(net, 'tiny', 'conv1', 1, 3);
  const x = tf.randomUniform([4, 8, 8, 3], 0, 1, 'float32', 6) as tf.Tensor4D;
  const base = { encoder: net, preprocessing: 'unit' as const, layer: 'conv1', decoder: d.net, tvWeight: 0 };
  const pixel = await decoderTrainStep({ ...base, optimizer: tf.train.sgd(0) }, x);
  const both = await decoderTrainStep({ ...base, featureLoss: { weight: 2, scale: 0.5 }, optimizer: tf.train.sgd(0) }, x);
  const feature = tf.tidy(() => {
    const f = forwardRange(net, tf.sub(x, 0.5), 0, 1); // 'unit' preprocessing: x − 0.5
    const fPred = forwardRange(net, tf.sub(tf.clipByValue(forwardRange(d.net, f, 0, d.net.layers.length), 0, 1), 0.5), 0, 1);
    return tf.div(tf.mean(tf.squaredDifference(fPred, f)), 0.25);
  });
  const fv = (await feature.data())[0]!;
  feature.dispose();
  assert.ok(fv > 0);
  assert.ok(Math.abs(both - (pixel + 2 * fv)) < 1e-4 * Math.max(1, both), `${both} vs ${pixel} + 2 × ${fv}`);
  const setup = { ...base, featureLoss: { weight: 2, scale: 0.5 }, optimizer: tf.train.adam(1e-2) };
  let last = both;
  for (let i = 0; i < 30; i++) last = await decoderTrainStep(setup, x);
  assert.ok(last < both * 0.5, `loss ${both} → ${last}`);
  x.dispose();
});

test('save and load round-trips the weights (float32 exactly, float16 within half precision)', async () => {
  const net = tinyConvNet(4);
  const d = createDecoder(net, 'tiny', 'conv2', 2.5, 9);
  for (const precision of ['float32', 'float16'] as const) {
    const { json, weights } = await serializeDecoder(d, precision);
    const files: Record<string, ArrayBuffer> = { 'decoder.json': new TextEncoder().encode(json).buffer as ArrayBuffer, 'weights.bin': weights.slice().buffer as ArrayBuffer };
    const back = await loadDecoder(async (n) => files[n]!, 'memory');
    assert.equal(back.manifest.layer, 'conv2');
    assert.equal(back.manifest.featureScale, 2.5);
    const f = split(net, 'conv2').encode(tf.ones([1, 8, 8, 3]));
    const a = await forward(d.net, f).data(), b = await forward(back.net, f).data();
    const tol = precision === 'float32' ? 0 : 2e-2;
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= tol * Math.max(1, Math.abs(a[i]!)), `${precision}: ${a[i]} vs ${b[i]}`);
  }
});

test('resuming from a checkpoint continues from the saved weights, not from a fresh init', async () => {
  const net = tinyConvNet(2);
  const d = createDecoder(net, 'tiny', 'conv1', 1, 3);
  const x = tf.randomUniform([4, 8, 8, 3], 0, 1, 'float32', 6) as tf.Tensor4D;
  const setup = { encoder: net, preprocessing: 'unit' as const, layer: 'conv1', decoder: d.net, tvWeight: 0, optimizer: tf.train.adam(1e-2) };
  for (let i = 0; i < 20; i++) await decoderTrainStep(setup, x);
  const trained = await decoderTrainStep(setup, x);
  const { json, weights } = await serializeDecoder(d, 'float32');
  const files: Record<string, ArrayBuffer> = { 'decoder.json': new TextEncoder().encode(json).buffer as ArrayBuffer, 'weights.bin': weights.slice().buffer as ArrayBuffer };
  const resumed = await loadDecoder(async (n) => files[n]!, 'checkpoint');
  const fresh = createDecoder(net, 'tiny', 'conv1', 1, 3);
  const lossOf = async (n: typeof d.net) => decoderTrainStep({ ...setup, decoder: n, optimizer: tf.train.sgd(0) }, x);
  const resumedLoss = await lossOf(resumed.net);
  assert.ok(Math.abs(resumedLoss - trained) < 0.05 * trained + 1e-3, `resumed ${resumedLoss} vs trained ${trained}`);
  assert.ok((await lossOf(fresh.net)) > resumedLoss * 1.5, 'a fresh decoder should be clearly worse');
});

test('float16 conversion rounds like IEEE half', () => {
  const h = toFloat16(new Float32Array([0, 1, -2, 65504, 1e-8, 0.1, Infinity]));
  assert.deepEqual(Array.from(h), [0, 0x3c00, 0xc000, 0x7bff, 0, 0x2e66, 0x7c00]);
});

test('a wrong decoder folder gives a clear error', async () => {
  await assert.rejects(loadDecoder(async () => { throw new Error('ENOENT'); }, '/tmp/none'), /decoder\.json/);
  await assert.rejects(loadDecoder(async () => new TextEncoder().encode('{"format":"other"}').buffer as ArrayBuffer, 'x'), /not an advbn-decoder/);
});
