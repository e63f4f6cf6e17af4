/** Batches for training and evaluation loops, whatever the data set: the batch type and shuffled epochs. */
import type * as tf from '@tensorflow/tfjs';
import { shuffle, type Rng } from '../common/random';

/** A labelled batch of images, RGB in [0, 1] (what training and evaluation loops consume). */
export interface Batch { x: tf.Tensor4D; labels: number[]; }

/** Shuffled epochs: batch `step` of an endless sequence of permutations (drop-last). Deterministic. */
export function epochSampler(n: number, batchSize: number, rng: Rng): (step: number) => number[] {
  const perEpoch = Math.floor(n / batchSize);
  if (perEpoch < 1) throw new Error(`The data set has ${n} images, fewer than one batch of ${batchSize}.`);
  let order: number[] = [];
  let epoch = -1;
  return (step) => {
    const e = Math.floor(step / perEpoch);
    while (epoch < e) { order = shuffle(Array.from({ length: n }, (_, i) => i), rng); epoch++; }
    const k = step % perEpoch;
    return order.slice(k * batchSize, (k + 1) * batchSize);
  };
}
