/**
 * Per-channel feature statistics (§1 of the method; paper Eq. 1).
 * A feature batch f is [N, H, W, C] (tfjs is channels-last) or [N, C] after a dense layer.
 */
import * as tf from '@tensorflow/tfjs';
import { forwardRange, layerIndex, type Network } from '../models/network';
import { preprocess, type Preprocessing } from '../models/preprocess';
import type { Batch } from '../data/batch';

/** Added to the unbiased variance before the square root, as in the authors' code. */
export const VARIANCE_EPSILON = 1e-5;

/** Axes that statistics reduce over: everything but the channel axis (batch and space). */
export function reductionAxes(f: tf.Tensor): number[] {
  if (f.rank < 2) throw new Error(`Features must be [N, ..., C]; got rank ${f.rank}.`);
  return Array.from({ length: f.rank - 1 }, (_, i) => i);
}

/** μ(f)[c]: mean over N, H, W. Shape [C]. */
export function channelMean(f: tf.Tensor): tf.Tensor1D {
  return tf.mean(f, reductionAxes(f)) as tf.Tensor1D;
}

/** σ(f)[c] = sqrt(unbiased variance over N, H, W + 1e-5). Shape [C]. */
export function channelStd(f: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => {
    const axes = reductionAxes(f);
    const count = axes.reduce((n, a) => n * f.shape[a]!, 1);
    if (count < 2) throw new Error('The unbiased variance needs at least 2 values per channel.');
    const { variance } = tf.moments(f, axes);
    // tf.moments is biased (divides by n); Bessel's correction makes it unbiased (divides by n − 1).
    return tf.sqrt(tf.add(tf.mul(variance, count / (count - 1)), VARIANCE_EPSILON)) as tf.Tensor1D;
  });
}

export interface ChannelStats { mean: tf.Tensor1D; std: tf.Tensor1D; }

export function channelStats(f: tf.Tensor): ChannelStats {
  return { mean: channelMean(f), std: channelStd(f) };
}

/**
 * Symmetric KL divergence between two feature sets, each channel modelled as a normal distribution
 * (§7; paper Eq. 4-5): D = (1/C) Σ_c [KL(A_c‖B_c) + KL(B_c‖A_c)].
 * Inputs are the per-channel means and stds of A and B.
 */
export function featureDivergence(a: ChannelStats, b: ChannelStats): tf.Scalar {
  return tf.tidy(() => {
    const kl = (p: ChannelStats, q: ChannelStats) =>
      tf.sub(
        tf.add(tf.log(tf.div(q.std, p.std)), tf.div(tf.add(tf.square(p.std), tf.square(tf.sub(p.mean, q.mean))), tf.mul(2, tf.square(q.std)))),
        0.5,
      );
    return tf.mean(tf.add(kl(a, b), kl(b, a))) as tf.Scalar;
  });
}

// ---------------------------------------------------------------------------------------------
// Moments over a whole data set (for the §7 divergence), accumulated batch by batch

/** Per-channel running sums of a layer's features (for the §7 divergence over a whole data set). */
export interface FeatureMoments { count: number; sum: Float64Array; sumSq: Float64Array; }

/** Accumulates per-channel moments of the features at each named layer over the batches. */
export async function featureMoments(net: Network, preprocessing: Preprocessing, layers: string[], batches: Iterable<Batch>): Promise<Record<string, FeatureMoments>> {
  const idx = layers.map((l) => layerIndex(net, l));
  const last = Math.max(...idx);
  const out: Record<string, FeatureMoments> = {};
  for (const b of batches) {
    let h = preprocess(preprocessing, b.x);
    b.x.dispose();
    for (let i = 0; i <= last; i++) {
      const next = tf.tidy(() => forwardRange(net, h, i, i + 1));
      h.dispose();
      h = next;
      const k = idx.indexOf(i);
      if (k < 0) continue;
      await accumulateMoments(out, layers[k]!, h);
    }
    h.dispose();
  }
  return out;
}

/** Adds the per-channel sums and sums of squares of `h` ([N, …, C]) to `acc[name]`. `h` is not disposed. */
export async function accumulateMoments(acc: Record<string, FeatureMoments>, name: string, h: tf.Tensor): Promise<void> {
  const c = h.shape[h.rank - 1]!;
  const axes = Array.from({ length: h.rank - 1 }, (_, a) => a);
  const [s, q] = tf.tidy(() => [tf.sum(h, axes), tf.sum(tf.square(h), axes)]);
  const [sv, qv] = await Promise.all([s!.data(), q!.data()]);
  tf.dispose([s!, q!]);
  const m = (acc[name] ??= { count: 0, sum: new Float64Array(c), sumSq: new Float64Array(c) });
  m.count += h.size / c;
  for (let j = 0; j < c; j++) { m.sum[j]! += sv[j]!; m.sumSq[j]! += qv[j]!; }
}

/** Mean and std (unbiased variance + VARIANCE_EPSILON, as §1) of accumulated moments, as tensors. */
export function momentsToStats(m: FeatureMoments): { mean: tf.Tensor1D; std: tf.Tensor1D } {
  const c = m.sum.length;
  const mean = new Float32Array(c), std = new Float32Array(c);
  for (let j = 0; j < c; j++) {
    const mu = m.sum[j]! / m.count;
    const varU = Math.max(0, (m.sumSq[j]! - m.count * mu * mu) / Math.max(1, m.count - 1));
    mean[j] = mu;
    std[j] = Math.sqrt(varU + VARIANCE_EPSILON);
  }
  return { mean: tf.tensor1d(mean), std: tf.tensor1d(std) };
}
