/**
 * DSU (Li, Dai, Tong, Wang, Duan; ICLR 2022, "Uncertainty Modeling for Out-of-Distribution
 * Generalization"), a control beside AdvBN in the domains comparison (feature-statistics-methods.md).
 * On features f [N, H, W, C] at the split, during training only, with probability p = 0.5 per batch:
 *
 *     Σ²_μ = variance over the batch of μ(f) (per channel),  Σ²_σ likewise of σ(f);  Σ = sqrt(Σ² + 1e-6)
 *     ε_μ, ε_σ ~ N(0, 1) per instance and channel
 *     β = μ(f) + ε_μ·Σ_μ,  γ = σ(f) + ε_σ·Σ_σ
 *     DSU(f) = γ · (f − μ(f)) / σ(f) + β
 *
 * μ, σ per instance over H, W (instance-stats.ts); the batch variance is unbiased, as the authors'
 * `x.var(dim=0)`. A single loss CE(head(DSU(f))) with the head's own BNs.
 */
import * as tf from '@tensorflow/tfjs';
import { instanceStats, INSTANCE_EPSILON, restyle } from './instance-stats';
import { randInt, type Rng } from '../common/random';

export const DSU_P = 0.5;

/** One batch's draw: whether to apply, and ε_μ, ε_σ (each [N·C], instance-major). */
export interface DsuDraw { apply: boolean; epsMu: Float32Array; epsSigma: Float32Array }

/** Draws p and ε from `rng` (tfjs's seeded normal sampler, its seed drawn from `rng`). */
export function drawDsu(n: number, channels: number, rng: Rng, p = DSU_P): DsuDraw {
  const apply = rng() < p;
  const seed = randInt(rng, 0, 2 ** 31 - 1);
  const e = tf.randomNormal([2, n * channels], 0, 1, 'float32', seed);
  const v = e.dataSync() as Float32Array;
  e.dispose();
  return { apply, epsMu: v.slice(0, n * channels), epsSigma: v.slice(n * channels) };
}

/** Σ = sqrt(unbiased variance over the batch + 1e-6) of per-instance statistics s [N, 1, 1, C]. */
function batchSpread(s: tf.Tensor4D): tf.Tensor4D {
  const n = s.shape[0];
  if (n < 2) throw new Error('DSU needs a batch of at least 2 instances (the spread of the statistics over the batch).');
  const { variance } = tf.moments(s, 0, true);
  return tf.sqrt(tf.add(tf.mul(variance, n / (n - 1)), INSTANCE_EPSILON)) as tf.Tensor4D;
}

/** DSU(f) for a given draw (f back unchanged, as a new tensor, when the draw does not apply). */
export function dsu(f: tf.Tensor4D, draw: DsuDraw): tf.Tensor4D {
  if (!draw.apply) return tf.clone(f);
  const [n, , , c] = f.shape;
  if (draw.epsMu.length !== n * c || draw.epsSigma.length !== n * c) throw new Error(`The DSU draw has ${draw.epsMu.length} values, the features need ${n}×${c}.`);
  return tf.tidy(() => {
    const { mu, sigma } = instanceStats(f);
    const beta = tf.add(mu, tf.mul(tf.tensor4d(draw.epsMu, [n, 1, 1, c]), batchSpread(mu))) as tf.Tensor4D;
    const gamma = tf.add(sigma, tf.mul(tf.tensor4d(draw.epsSigma, [n, 1, 1, c]), batchSpread(sigma))) as tf.Tensor4D;
    return restyle(f, mu, sigma, gamma, beta);
  });
}
