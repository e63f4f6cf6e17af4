/**
 * The style world's classifier: a small VGG-style network with BatchNorm, the app's embedded default.
 * Four conv-BN-ReLU blocks (8-16-32-64 channels, 3×3, max-pool between blocks), global average
 * pooling and a dense layer to the ten shapes. Input: 64×64 RGB, 'unit' preprocessing.
 */
import * as tf from '@tensorflow/tfjs';
import type { BatchNormLayer, BatchNormTwin, Layer, Network } from './network';
import { NUM_CLASSES, IMAGE_SIZE, STYLE_WORLD_MODEL_ID } from '../common/style-world-info';

export { STYLE_WORLD_MODEL_ID, STYLE_WORLD_LABELS, STYLE_WORLD_DEFAULT_LAYER, STYLE_WORLD_TRAIN_LAYER } from '../common/style-world-info';


function bnTwin(c: number): BatchNormTwin {
  return {
    gamma: tf.variable(tf.ones([c]), true), beta: tf.variable(tf.zeros([c]), true),
    movingMean: tf.variable(tf.zeros([c]), false), movingVariance: tf.variable(tf.ones([c]), false),
  };
}

/** A freshly initialised (He-normal) network; every weight is a tf.Variable. */
export function buildStyleWorldNet(seed = 1, widths: readonly number[] = [8, 16, 32, 64]): Network {
  const layers: Layer[] = [];
  let cin = 3, s = seed * 1000;
  widths.forEach((cout, i) => {
    const b = `block${i + 1}`;
    const kernel = tf.tidy(() => tf.randomNormal([3, 3, cin, cout], 0, Math.sqrt(2 / (9 * cin)), 'float32', s++));
    layers.push({ kind: 'conv2d', name: `${b}_conv1`, kernel: tf.variable(kernel, true) as unknown as tf.Tensor4D, bias: null, activation: 'linear', padding: 'same', strides: 1 });
    kernel.dispose();
    const bn: BatchNormLayer = { kind: 'batchnorm', name: `${b}_bn1`, epsilon: 1e-3, momentum: 0.9, clean: bnTwin(cout), adv: null };
    layers.push(bn, { kind: 'relu', name: `${b}_relu1` });
    if (i < widths.length - 1) layers.push({ kind: 'maxpool', name: `${b}_pool`, size: 2, strides: 2 });
    cin = cout;
  });
  layers.push({ kind: 'gap', name: 'gap' });
  const k = tf.tidy(() => tf.randomNormal([cin, NUM_CLASSES], 0, Math.sqrt(1 / cin), 'float32', s++));
  layers.push({ kind: 'dense', name: 'predictions', kernel: tf.variable(k, true) as unknown as tf.Tensor2D, bias: tf.variable(tf.zeros([NUM_CLASSES]), true) as unknown as tf.Tensor1D, activation: 'softmax' });
  k.dispose();
  return { name: STYLE_WORLD_MODEL_ID, inputShape: [IMAGE_SIZE, IMAGE_SIZE, 3], layers };
}
