/**
 * MixStyle (Zhou, Yang, Qiao, Xiang; ICLR 2021, "Domain Generalization with MixStyle"), a control beside
 * AdvBN in the domains comparison (feature-statistics-methods.md). On features f [N, H, W, C] at the
 * split, during training only, with probability p = 0.5 per batch (else f unchanged):
 *
 *     π a random permutation of the batch;  λ ~ Beta(α, α) per instance, α = 0.1
 *     γ_mix = λ·σ(f) + (1 − λ)·σ(f_π),   β_mix = λ·μ(f) + (1 − λ)·μ(f_π)
 *     MixStyle(f) = γ_mix · (f − μ(f)) / σ(f) + β_mix
 *
 * μ, σ per instance over H, W (instance-stats.ts). Trained with a single loss CE(head(MixStyle(f))) and
 * the head's own BNs (no clean term, no auxiliary BNs).
 */
import * as tf from '@tensorflow/tfjs';
import { instanceStats, restyle } from './instance-stats';
import { randInt, shuffle, type Rng } from '../common/random';

export const MIXSTYLE_P = 0.5;
export const MIXSTYLE_ALPHA = 0.1;

/** One batch's draw: whether to mix, the partner of each instance, and λ per instance. */
export interface MixStyleDraw { apply: boolean; perm: number[]; lambda: Float32Array }

/**
 * Draws p, π and λ from `rng` (λ = X / (X + Y), X, Y ~ Gamma(α): tfjs's seeded gamma sampler, handles
 * α < 1, with its seed drawn from `rng`).
 */
export function drawMixStyle(n: number, rng: Rng, p = MIXSTYLE_P, alpha = MIXSTYLE_ALPHA): MixStyleDraw {
  const apply = rng() < p;
  const perm = shuffle(Array.from({ length: n }, (_, i) => i), rng);
  const seed = randInt(rng, 0, 2 ** 31 - 1);
  const lambda = tf.tidy(() => {
    const g = tf.randomGamma([2, n], alpha, 1, 'float32', seed);
    const [x, y] = tf.unstack(g);
    return tf.div(x!, tf.maximum(tf.add(x!, y!), 1e-30));
  });
  const values = lambda.dataSync() as Float32Array;
  lambda.dispose();
  return { apply, perm, lambda: Float32Array.from(values) };
}

/** MixStyle(f) for a given draw (f back unchanged, as a new tensor, when the draw does not apply). */
export function mixStyle(f: tf.Tensor4D, draw: MixStyleDraw): tf.Tensor4D {
  if (!draw.apply) return tf.clone(f);
  const n = f.shape[0];
  if (draw.perm.length !== n || draw.lambda.length !== n) throw new Error(`The MixStyle draw is for a batch of ${draw.perm.length}, the features have ${n}.`);
  return tf.tidy(() => {
    const { mu, sigma } = instanceStats(f);
    const idx = tf.tensor1d(draw.perm, 'int32');
    const lam = tf.tensor4d(draw.lambda, [n, 1, 1, 1]);
    const mix = (a: tf.Tensor4D) => tf.add(tf.mul(lam, a), tf.mul(tf.sub(1, lam), tf.gather(a, idx))) as tf.Tensor4D;
    return restyle(f, mu, sigma, mix(sigma), mix(mu));
  });
}
