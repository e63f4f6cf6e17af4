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

/** δμ, δσ of length `channels`, each entry uniform in [1 − ε, 1 + ε], from `rng` (seeded: reproducible). */
export function randomDelta(channels: number, eps: number, rng: Rng): Delta {
  if (!(eps >= 0) || !Number.isFinite(eps)) throw new RangeError(`ε must be a finite number ≥ 0, got ${eps}.`);
  const draw = () => {
    const a = new Float32Array(channels);
    for (let c = 0; c < channels; c++) a[c] = 1 - eps + 2 * eps * rng();
    return tf.tensor1d(a);
  };
  return { mu: draw(), sigma: draw() };
}
