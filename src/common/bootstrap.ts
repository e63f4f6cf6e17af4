/**
 * Paired bootstrap of a difference in accuracy between two arms over seeds and test images. No tfjs:
 * the CLI, the page and the docs use it.
 *
 * Input, per set: d[s][i] = correct_A − correct_B ∈ {−1, 0, 1} for seed s and test image i (both arms of a
 * seed share the base, the batches and the test images: paired). One resample draws S seeds with
 * replacement (the same draw for every set) and, per set, n images with replacement (the same images
 * for every drawn seed: the test set is the same in every seed); its Δ is the mean of d over the drawn
 * seeds and images, in points. The 95 % interval holds the 2.5th to 97.5th percentiles of B resamples
 * (percentile bootstrap); the mean target's Δ is the mean of the target sets' Δ in each resample. The
 * point estimate is the observed mean. No statistics package on npm does a two-level (seed × image)
 * paired resample, so it is written here (~40 lines).
 */
import { mulberry32 } from './random';

export interface Interval {
  /** Observed Δ (A − B), points. */
  delta: number;
  /** 95 % percentile interval, points. */
  lo: number;
  hi: number;
}

export interface BootstrapResult {
  sets: Record<string, Interval>;
  /** Mean over `targets` (null when none). */
  meanTarget: Interval | null;
  resamples: number;
}

export const BOOTSTRAP_RESAMPLES = 2000;

const percentile = (sorted: Float64Array, q: number) => {
  const k = Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))));
  return sorted[k]!;
};
const r2 = (v: number) => Math.round(v * 100) / 100;

/** `diff[set][seed][image]`; every set has the same number of seeds, each seed the set's images. */
export function pairedBootstrap(diff: Record<string, ArrayLike<number>[]>, targets: string[], resamples = BOOTSTRAP_RESAMPLES, seed = 1): BootstrapResult {
  const names = Object.keys(diff);
  const S = names.length ? diff[names[0]!]!.length : 0;
  if (!S) throw new Error('The bootstrap needs at least one seed.');
  for (const n of names) {
    const d = diff[n]!;
    if (d.length !== S) throw new Error(`Set ${n} has ${d.length} seeds, ${names[0]} ${S}.`);
    if (!d[0]!.length || d.some((x) => x.length !== d[0]!.length)) throw new Error(`Set ${n} needs the same test images (at least one) in every seed.`);
  }
  for (const t of targets) if (!diff[t]) throw new Error(`Target ${t} is not among the sets.`);
  const rng = mulberry32(seed);
  const draws: Record<string, Float64Array> = Object.fromEntries(names.map((n) => [n, new Float64Array(resamples)]));
  const meanDraws = new Float64Array(resamples);
  const seedCount = new Int32Array(S);
  for (let b = 0; b < resamples; b++) {
    seedCount.fill(0);
    for (let k = 0; k < S; k++) seedCount[Math.floor(rng() * S)]!++;
    for (const n of names) {
      const d = diff[n]!, m = d[0]!.length;
      let sum = 0;
      for (let k = 0; k < m; k++) {
        const i = Math.floor(rng() * m);
        for (let s = 0; s < S; s++) if (seedCount[s]) sum += seedCount[s]! * d[s]![i]!;
      }
      draws[n]![b] = (100 * sum) / (m * S);
    }
    if (targets.length) meanDraws[b] = targets.reduce((a, t) => a + draws[t]![b]!, 0) / targets.length;
  }
  const observed = (n: string) => {
    const d = diff[n]!;
    let sum = 0;
    for (const x of d) for (let i = 0; i < x.length; i++) sum += x[i]!;
    return (100 * sum) / (d.length * d[0]!.length);
  };
  const interval = (delta: number, v: Float64Array): Interval => {
    const sorted = v.slice().sort();
    return { delta: r2(delta), lo: r2(percentile(sorted, 0.025)), hi: r2(percentile(sorted, 0.975)) };
  };
  const sets = Object.fromEntries(names.map((n) => [n, interval(observed(n), draws[n]!)]));
  const meanTarget = targets.length ? interval(targets.reduce((a, t) => a + observed(t), 0) / targets.length, meanDraws) : null;
  return { sets, meanTarget, resamples };
}

/** Whether the interval holds 0: the difference is within the noise of seeds and test images. */
export const withinNoise = (i: Interval) => i.lo <= 0 && i.hi >= 0;

const sgn = (v: number) => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(1)}`;

/** "+1.3 [−0.4, +3.0]": Δ and its 95 % interval, in points. */
export const formatInterval = (i: Interval) => `${sgn(i.delta)} [${sgn(i.lo)}, ${sgn(i.hi)}]`;

/** Plain words for an interval: "within noise", or a gain / a loss beyond it. */
export function intervalVerdict(i: Interval): string {
  return withinNoise(i) ? 'within noise (the 95 % interval holds 0)' : i.delta > 0 ? 'a gain beyond the noise (the 95 % interval is above 0)' : 'a loss beyond the noise (the 95 % interval is below 0)';
}
