/**
 * The AdvBN perturbation (§2 of the method; paper Eq. 1-2):
 *
 *     f_adv = δσ · (f − μ(f)) + δμ · μ(f)
 *
 * i.e. f re-normalised to mean δμ·μ and std δσ·σ (σ cancels, so it is never computed here).
 * δ = (1, 1) gives f back exactly. When the split layer is a ReLU output, f_adv is clamped at 0 with
 * the authors' gradient: torch.clamp(min=0) passes it where f_adv ≥ 0, the boundary included. At δ = 1
 * every zero of a ReLU feature lands exactly on 0, so a ReLU-style clamp (tf.relu, gradient blocked
 * at 0) would drop those positions from ∂L/∂δ and change the whole PGD path; tf.maximum's gradient
 * passes at equality.
 */
import * as tf from '@tensorflow/tfjs';
import { channelMean } from './stats';

export interface Delta {
  /** δμ, shape [C]. */
  mu: tf.Tensor1D;
  /** δσ, shape [C]. */
  sigma: tf.Tensor1D;
}

/** δ initialised to exactly 1, as in the paper (no random start). */
export function identityDelta(channels: number): Delta {
  return { mu: tf.ones([channels]) as tf.Tensor1D, sigma: tf.ones([channels]) as tf.Tensor1D };
}

export function disposeDelta(d: Delta): void {
  d.mu.dispose();
  d.sigma.dispose();
}

/**
 * Applies δ to a feature batch. The statistics are those of the whole batch: images in one batch
 * share μ and δ, as in the paper. `mean` may be passed in when it was computed once for many steps.
 */
export function perturbFeatures(f: tf.Tensor, deltaMu: tf.Tensor1D, deltaSigma: tf.Tensor1D, clampAtZero: boolean, mean?: tf.Tensor1D): tf.Tensor {
  return tf.tidy(() => {
    const mu = mean ?? channelMean(f);
    const out = tf.add(tf.mul(deltaSigma, tf.sub(f, mu)), tf.mul(deltaMu, mu));
    return clampAtZero ? tf.maximum(out, 0) : out;
  });
}

/** δ ← clip(δ + τ·sign(g), 1 − ε, 1 + ε): one projected sign-gradient ascent step (§3). */
export function pgdUpdate(delta: tf.Tensor1D, grad: tf.Tensor1D, tau: number, eps: number): tf.Tensor1D {
  return tf.tidy(() => tf.clipByValue(tf.add(delta, tf.mul(tau, tf.sign(grad))), 1 - eps, 1 + eps) as tf.Tensor1D);
}
