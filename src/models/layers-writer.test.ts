import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { buildStyleWorldNet } from './style-world-model';
import { memoryReader, serializeLayersModel } from './layers-writer';
import { loadLayersModelNetwork } from './layers-format';
import { disposeNetwork, forward } from './network';

before(async () => { await tf.setBackend('cpu'); });

test('Network → layers-model → Network round trip: same layers, same weights, same logits', async () => {
  const net = buildStyleWorldNet(3, [4, 6, 8, 8]);
  // Non-trivial BN statistics, so that a mix-up of moving mean/variance/gamma/beta would show.
  for (const l of net.layers) if (l.kind === 'batchnorm') {
    const c = l.clean.gamma.shape[0]!;
    l.clean.gamma.assign(tf.randomUniform([c], 0.5, 1.5, 'float32', 1));
    l.clean.beta.assign(tf.randomUniform([c], -0.5, 0.5, 'float32', 2));
    l.clean.movingMean.assign(tf.randomUniform([c], -1, 1, 'float32', 3));
    l.clean.movingVariance.assign(tf.randomUniform([c], 0.5, 2, 'float32', 4));
  }
  const s = await serializeLayersModel(net);
  const json = JSON.parse(s.modelJson);
  assert.equal(json.format, 'layers-model');
  assert.equal(json.modelTopology.config.layers[0].class_name, 'InputLayer');
  const back = await loadLayersModelNetwork(memoryReader(s), 'memory', 'copy');
  assert.deepEqual(back.layers.map((l) => `${l.kind}:${l.name}`), net.layers.map((l) => `${l.kind}:${l.name}`));
  assert.deepEqual(back.inputShape, [64, 64, 3]);
  const x = tf.randomUniform([2, 64, 64, 3], -0.5, 0.5, 'float32', 5);
  const [a, b] = [await forward(net, x).data(), await forward(back, x).data()];
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) < 1e-4, `logit ${i}: ${a[i]} vs ${b[i]}`);
  // float16 also loads and stays close.
  const h = await serializeLayersModel(net, { precision: 'float16' });
  assert.ok(h.weights.byteLength * 2 === s.weights.byteLength);
  const half = await loadLayersModelNetwork(memoryReader(h), 'memory', 'half');
  const c = await forward(half, x).data();
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - c[i]!) < 0.05);
  [net, back, half].forEach(disposeNetwork);
  x.dispose();
});
