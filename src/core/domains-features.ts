/**
 * Features at the split layer, computed once per image: g^{1,l} is frozen in Algorithm 1, so f = g^{1,l}(x)
 * never changes during fine-tuning and every arm, seed and epoch can read it from memory. A cache
 * (a folder in the CLI, IndexedDB in the browser) keeps them across runs.
 */
import * as tf from '@tensorflow/tfjs';
import { forwardRange, layerIndex, type Network } from '../models/network';
import { preprocess, type Preprocessing } from '../models/preprocess';

/** One set of images as features at l, with labels. */
export interface FeatureSet {
  /** 'source-train', 'source-val', a target domain, or `extra/<domain>`. */
  name: string;
  kind: 'train' | 'source-val' | 'target' | 'extra';
  /** [n, h, w, c] row-major. */
  features: Float32Array;
  shape: [number, number, number];
  labels: number[];
  /** Image paths (relative to their domains folder), for pictures of predictions. */
  paths: string[];
}

/** Where computed features are kept between runs. `key` names the model, layer, size and images. */
export interface FeatureStore {
  get(key: string): Promise<{ features: Float32Array; shape: [number, number, number] } | null>;
  put(key: string, features: Float32Array, shape: [number, number, number]): Promise<void>;
}

/**
 * Features at `layer` of `net` for `count` images (`image(i)`: RGB [size, size, 3] in [0, 1], disposed
 * here), in batches; `onProgress(done, count)` after each batch.
 */
export async function encodeImages(
  net: Network, layer: string, preprocessing: Preprocessing, count: number, image: (i: number) => tf.Tensor3D | Promise<tf.Tensor3D>,
  opts: { batchSize?: number; onProgress?: (done: number, total: number) => void; signal?: AbortSignal } = {},
): Promise<{ features: Float32Array; shape: [number, number, number] }> {
  const end = layerIndex(net, layer) + 1;
  const bs = opts.batchSize ?? 16;
  let out: Float32Array | null = null;
  let shape: [number, number, number] = [0, 0, 0];
  for (let s = 0; s < count; s += bs) {
    if (opts.signal?.aborted) throw Object.assign(new Error('Feature extraction cancelled'), { name: 'AbortError' });
    const n = Math.min(bs, count - s);
    const imgs: tf.Tensor3D[] = [];
    try {
      for (let i = 0; i < n; i++) imgs.push(await image(s + i));
      const f = tf.tidy(() => forwardRange(net, preprocess(preprocessing, tf.stack(imgs)), 0, end));
      const data = await f.data() as Float32Array;
      if (!out) {
        shape = [f.shape[1]!, f.shape[2]!, f.shape[3]!];
        out = new Float32Array(count * shape[0] * shape[1] * shape[2]);
      }
      f.dispose();
      out.set(data, s * shape[0] * shape[1] * shape[2]);
    } finally {
      tf.dispose(imgs);
    }
    opts.onProgress?.(s + n, count);
  }
  if (!out) throw new Error('No images to encode.');
  return { features: out, shape };
}

/** Features of a set, from the store when it has them, else computed and stored. */
export async function cachedFeatures(
  store: FeatureStore | null, key: string, compute: () => Promise<{ features: Float32Array; shape: [number, number, number] }>,
): Promise<{ features: Float32Array; shape: [number, number, number]; cached: boolean }> {
  const hit = store ? await store.get(key) : null;
  if (hit) return { ...hit, cached: true };
  const r = await compute();
  await store?.put(key, r.features, r.shape);
  return { ...r, cached: false };
}

/** Features of the images at `indices` as one [n, h, w, c] tensor (the caller disposes it). */
export function featureBatch(set: FeatureSet, indices: number[]): tf.Tensor4D {
  const per = set.shape[0] * set.shape[1] * set.shape[2];
  const out = new Float32Array(indices.length * per);
  indices.forEach((idx, k) => out.set(set.features.subarray(idx * per, (idx + 1) * per), k * per));
  return tf.tensor4d(out, [indices.length, ...set.shape]);
}

/** Consecutive batches of a feature set, as tensors (each disposed by its consumer). */
export function* featureBatches(set: FeatureSet, batchSize = 64): Generator<tf.Tensor4D> {
  const n = set.labels.length;
  for (let s = 0; s < n; s += batchSize) yield featureBatch(set, Array.from({ length: Math.min(batchSize, n - s) }, (_, i) => s + i));
}
