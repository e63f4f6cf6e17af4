/**
 * The random-δ control of the AdvBN experiments: the same perturbation family as AdvBN,
 *
 *     f_adv = δσ · (f − μ(f)) + δμ · μ(f),   δμ[c], δσ[c] ~ U[1 − ε, 1 + ε] independently,
 *
 * but with δ drawn at random instead of by PGD. Comparing against it separates "adversarial" statistics
 * from "any noise on the statistics" at the same bound ε.
 */
import * as tf from '@tensorflow/tfjs';
import type { Delta } from './advbn';
import type { Rng } from '../common/random';

/**
 * δμ then δσ, each of length `channels`: δ = 1 + ε·u with u uniform in [−1, 1) from `rng` (seeded:
 * reproducible; the same draws of u at every ε, so a draw grows along one direction with the strength).
 */
export function randomDeltaArrays(channels: number, eps: number, rng: Rng): { mu: Float32Array; sigma: Float32Array } {
  if (!(eps >= 0) || !Number.isFinite(eps)) throw new RangeError(`ε must be a finite number ≥ 0, got ${eps}.`);
  const mu = new Float32Array(channels), sigma = new Float32Array(channels);
  for (let c = 0; c < channels; c++) mu[c] = 1 + eps * (2 * rng() - 1);
  for (let c = 0; c < channels; c++) sigma[c] = 1 + eps * (2 * rng() - 1);
  return { mu, sigma };
}

/** The same as tensors (the caller disposes them). */
export function randomDelta(channels: number, eps: number, rng: Rng): Delta {
  const { mu, sigma } = randomDeltaArrays(channels, eps, rng);
  return { mu: tf.tensor1d(mu), sigma: tf.tensor1d(sigma) };
}
