/**
 * Per-channel feature statistics (§1 of the method; paper Eq. 1).
 * A feature batch f is [N, H, W, C] (tfjs is channels-last) or [N, C] after a dense layer.
 */
import * as tf from '@tensorflow/tfjs';

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
