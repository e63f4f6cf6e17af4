/**
 * Style-world data sets in memory (Uint8, 12 KB per image) and tfjs batches made from them.
 * Rendering is deterministic (style-world.ts), so a set is fully described by (families, seed, name, size).
 */
import * as tf from '@tensorflow/tfjs';
import { IMAGE_SIZE, renderItem, type SetSpec } from './style-world';
import type { Batch } from './batch';


export const PIXELS_PER_IMAGE = IMAGE_SIZE * IMAGE_SIZE * 3;

export interface ImageSet {
  name: string;
  /** RGB bytes, [n, 64, 64, 3] row-major. */
  pixels: Uint8Array;
  labels: number[];
  size: number;
}

/** Renders `n` items of a set. `onProgress(done, n)` is called every 50 images (for the UI). */
export function renderSet(spec: SetSpec, seed: number, n: number, onProgress?: (done: number, n: number) => void): ImageSet {
  const pixels = new Uint8Array(n * PIXELS_PER_IMAGE);
  const tmp = new Float32Array(PIXELS_PER_IMAGE);
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    labels.push(renderItem(spec.families, seed, spec.name, i, tmp, 0).label);
    const o = i * PIXELS_PER_IMAGE;
    for (let j = 0; j < PIXELS_PER_IMAGE; j++) pixels[o + j] = Math.round(tmp[j]! * 255);
    if (onProgress && (i + 1) % 50 === 0) onProgress(i + 1, n);
  }
  return { name: spec.name, pixels, labels, size: IMAGE_SIZE };
}

/** Float RGB [0, 1] pixels of the images at `indices`. */
export function gather(set: ImageSet, indices: number[]): Float32Array {
  const per = set.size * set.size * 3;
  const out = new Float32Array(indices.length * per);
  indices.forEach((idx, k) => {
    const o = idx * per;
    for (let j = 0; j < per; j++) out[k * per + j] = set.pixels[o + j]! / 255;
  });
  return out;
}

export function batchOf(set: ImageSet, indices: number[]): Batch {
  return { x: tf.tensor4d(gather(set, indices), [indices.length, set.size, set.size, 3]), labels: indices.map((i) => set.labels[i]!) };
}

/** Consecutive batches over the whole set (evaluation). */
export function* evalBatches(set: ImageSet, batchSize = 50): Generator<Batch> {
  const n = set.labels.length;
  for (let s = 0; s < n; s += batchSize) yield batchOf(set, Array.from({ length: Math.min(batchSize, n - s) }, (_, i) => s + i));
}
