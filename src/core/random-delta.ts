/**
 * The random-δ controls of the AdvBN experiments: the same perturbation family as AdvBN,
 *
 *     f_adv = δσ · (f − μ(f)) + δμ · μ(f),
 *
 * with δ drawn at random instead of by PGD:
 * - uniform ('random-uniform'): δμ[c], δσ[c] ~ U[1 − ε, 1 + ε] independently. Same bound ε, but smaller:
 *   PGD drives most channels to ±ε.
 * - magnitude-matched ('random-matched', feature-statistics-methods.md): from PGD's δ of the same batch,
 *   a_c = |δ_c − 1| for δμ and δσ separately, permuted across channels, each with a random sign:
 *   δ'_c = 1 ± a_π(c). The adversary's distribution of sizes, a random direction.
 */
import * as tf from '@tensorflow/tfjs';
import type { Delta } from './advbn';
import { shuffle, type Rng } from '../common/random';

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

/**
 * The magnitude-matched control of an adversarial δ (arrays of length C): for δμ and δσ separately,
 * δ'_c = 1 + s_c·|δ_π(c) − 1| with π a random permutation of the channels and s_c = ±1 at random, from `rng`.
 */
export function matchedDeltaArrays(adv: { mu: ArrayLike<number>; sigma: ArrayLike<number> }, rng: Rng): { mu: Float32Array; sigma: Float32Array } {
  const one = (d: ArrayLike<number>) => {
    const perm = shuffle(Array.from({ length: d.length }, (_, i) => i), rng);
    return Float32Array.from(perm, (j) => 1 + (rng() < 0.5 ? -1 : 1) * Math.abs(d[j]! - 1));
  };
  if (adv.mu.length !== adv.sigma.length) throw new Error(`δμ has ${adv.mu.length} channels, δσ ${adv.sigma.length}.`);
  const mu = one(adv.mu);
  return { mu, sigma: one(adv.sigma) };
}

/** The same as tensors (the caller disposes them). */
export function randomDelta(channels: number, eps: number, rng: Rng): Delta {
  const { mu, sigma } = randomDeltaArrays(channels, eps, rng);
  return { mu: tf.tensor1d(mu), sigma: tf.tensor1d(sigma) };
}
