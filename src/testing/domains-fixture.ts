/**
 * A small domains folder drawn by code (tests and the Train page's e2e; never PACS): the style world's
 * shapes as classes, its training styles as the "photo" domain and held-out style families as other
 * domains, written as PNG files `DIR/<domain>/<class>/<i>.png`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { IMAGE_SIZE, renderItem, SHAPES, TRAIN_FAMILIES } from '../data/style-world';
import { encodePng } from '../data/image-file';
import { disposeNetwork, type Network } from '../models/network';
import { serializeLayersModel, WEIGHTS_FILE } from '../models/layers-writer';
import { createDecoder, serializeDecoder } from '../models/decoder';

/** Writes `perClass` images of every shape for each domain; returns the domain names. */
export function writeDomainsFixture(dir: string, perClass = 4, domains: Record<string, readonly string[]> = { photo: TRAIN_FAMILIES, sketch: ['sketch'], neon: ['neon'] }): string[] {
  const px = new Float32Array(IMAGE_SIZE * IMAGE_SIZE * 3);
  for (const [domain, families] of Object.entries(domains)) {
    const counts = SHAPES.map(() => 0);
    for (let i = 0; counts.some((c) => c < perClass); i++) {
      if (i > perClass * SHAPES.length * 50) throw new Error('The style world did not draw every shape.');
      const { label } = renderItem(families, 4242, domain, i, px, 0);
      if (counts[label]! >= perClass) continue;
      const folder = join(dir, domain, SHAPES[label]!);
      mkdirSync(folder, { recursive: true });
      const rgba = new Uint8Array(IMAGE_SIZE * IMAGE_SIZE * 4);
      for (let p = 0; p < IMAGE_SIZE * IMAGE_SIZE; p++) {
        for (let c = 0; c < 3; c++) rgba[p * 4 + c] = Math.round(px[p * 3 + c]! * 255);
        rgba[p * 4 + 3] = 255;
      }
      writeFileSync(join(folder, `${counts[label]!}.png`), encodePng({ data: rgba, width: IMAGE_SIZE, height: IMAGE_SIZE }));
      counts[label]!++;
    }
  }
  return Object.keys(domains);
}

/**
 * A tiny VGG-shaped classifier with Keras layer names (block1_conv1 … block5_pool, flatten, fc), so the
 * domains code (split at block5_conv1, head through block5_pool) runs on it in seconds. Input 32×32.
 */
export function tinyVgg(seed = 1): Network {
  const r = (shape: number[], s: number, std = 0.4) => tf.randomNormal(shape, 0, std, 'float32', seed * 100 + s);
  const conv = (name: string, cin: number, cout: number, s: number) => ({
    kind: 'conv2d' as const, name, kernel: r([3, 3, cin, cout], s) as tf.Tensor4D, bias: r([cout], s + 50, 0.1) as tf.Tensor1D,
    activation: 'relu' as const, padding: 'same' as const, strides: 1,
  });
  return {
    name: 'tiny-vgg',
    inputShape: [32, 32, 3],
    layers: [
      conv('block1_conv1', 3, 6, 1),
      { kind: 'maxpool', name: 'block1_pool', size: 2, strides: 2 },
      conv('block5_conv1', 6, 8, 2),
      conv('block5_conv2', 8, 8, 3),
      { kind: 'maxpool', name: 'block5_pool', size: 2, strides: 2 },
      { kind: 'flatten', name: 'flatten' },
      { kind: 'dense', name: 'predictions', kernel: r([8 * 8 * 8, 5], 4, 0.05) as tf.Tensor2D, bias: r([5], 5, 0.1) as tf.Tensor1D, activation: 'softmax' },
    ],
  };
}

/** Writes tinyVgg as a TF.js layers-format model folder (what `advbn train --model DIR` reads). */
export async function writeTinyVggFolder(dir: string, seed = 1): Promise<void> {
  const net = tinyVgg(seed);
  try {
    const s = await serializeLayersModel(net, { precision: 'float32' });
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'model.json'), s.modelJson);
    writeFileSync(join(dir, WEIGHTS_FILE), s.weights);
  } finally {
    disposeNetwork(net);
  }
}

/** Writes an (untrained) decoder of tinyVgg at `layer` as a decoder folder (decoder.json + weights.bin). */
export async function writeTinyDecoderFolder(dir: string, layer = 'block5_conv1', seed = 1): Promise<void> {
  const net = tinyVgg(seed);
  const d = createDecoder(net, 'tiny-vgg', layer, 1, seed);
  try {
    const s = await serializeDecoder(d, 'float32');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'decoder.json'), s.json);
    writeFileSync(join(dir, 'weights.bin'), s.weights);
  } finally {
    disposeNetwork(d.net);
    disposeNetwork(net);
  }
}
