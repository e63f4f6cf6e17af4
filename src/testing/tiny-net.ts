/** Tiny random networks for tests: a conv net whose split point is a ReLU output, as in VGG. */
import * as tf from '@tensorflow/tfjs';
import type { Network } from '../models/network';

export function tinyConvNet(seed = 1, classes = 5): Network {
  const r = (shape: number[], s: number) => tf.randomNormal(shape, 0, 0.5, 'float32', seed * 100 + s);
  return {
    name: 'tiny',
    inputShape: [8, 8, 3],
    layers: [
      { kind: 'conv2d', name: 'conv1', kernel: r([3, 3, 3, 4], 1) as tf.Tensor4D, bias: r([4], 2) as tf.Tensor1D, activation: 'relu', padding: 'same', strides: 1 },
      { kind: 'conv2d', name: 'conv2', kernel: r([3, 3, 4, 6], 3) as tf.Tensor4D, bias: r([6], 4) as tf.Tensor1D, activation: 'relu', padding: 'same', strides: 1 },
      { kind: 'maxpool', name: 'pool', size: 2, strides: 2 },
      { kind: 'flatten', name: 'flatten' },
      { kind: 'dense', name: 'fc', kernel: r([4 * 4 * 6, classes], 5) as tf.Tensor2D, bias: r([classes], 6) as tf.Tensor1D, activation: 'softmax' },
    ],
  };
}
