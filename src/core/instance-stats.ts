/**
 * Per-instance feature statistics, as MixStyle and DSU use them (feature-statistics-methods.md): for
 * f of shape [N, H, W, C] (tfjs is channels-last), per instance and channel over H, W,
 *
 *     μ(f)[n, c] = mean over H, W;   σ(f)[n, c] = sqrt(var over H, W + 1e-6)
 *
 * var is unbiased (divides by H·W − 1), as `x.var(dim=[2, 3])` in both papers' PyTorch code (torch's
 * default). AdvBN's statistics differ (per channel over batch and space: stats.ts).
 */
import * as tf from '@tensorflow/tfjs';

export const INSTANCE_EPSILON = 1e-6;

/** μ and σ per instance and channel, shape [N, 1, 1, C]. */
export function instanceStats(f: tf.Tensor4D): { mu: tf.Tensor4D; sigma: tf.Tensor4D } {
  const hw = f.shape[1] * f.shape[2];
  if (hw < 2) throw new Error(`Per-instance statistics need at least 2 positions per channel; the features are ${f.shape[1]}×${f.shape[2]}.`);
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(f, [1, 2], true);
    // tf.moments is biased (÷ n); Bessel's correction gives torch's default unbiased variance (÷ n − 1).
    const sigma = tf.sqrt(tf.add(tf.mul(variance, hw / (hw - 1)), INSTANCE_EPSILON));
    return { mu: mean as tf.Tensor4D, sigma: sigma as tf.Tensor4D };
  });
}

/**
 * γ · (f − μ) / σ + β: f re-styled to per-instance mean β and std γ (μ, σ from `instanceStats`).
 * Both papers' code detaches μ and σ (`mu.detach()`, `sig.detach()`); here f is the frozen encoder's
 * output, a constant to every trainable weight, so no gradient flows into μ or σ either way.
 */
export function restyle(f: tf.Tensor4D, mu: tf.Tensor4D, sigma: tf.Tensor4D, gamma: tf.Tensor4D, beta: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.add(tf.mul(gamma, tf.div(tf.sub(f, mu), sigma)), beta) as tf.Tensor4D);
}
