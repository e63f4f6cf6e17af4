/**
 * A strength sweep (the paper's Figure 3 and its ablation): for one image (or a batch sharing δ), run
 * AdvBN PGD at a series of strengths, and beside each two random controls, seeded, several draws each:
 * uniform random δ (δμ, δσ uniform in [1 − ε, 1 + ε]: the same bound, smaller sizes, as PGD drives most
 * channels to ±ε) and random δ of the same size (PGD's δ at that strength with its per-channel sizes
 * |δ − 1| permuted across channels and given random signs: random-delta.ts). The paper's point: the
 * adversarial δ moves the prediction, a random δ of the same size barely does.
 *
 * Strengths come either from the paper's parametrisation (τ = 0.2, m = 1…8, ε = m·τ − 0.1) or from an
 * ε grid at a fixed m and τ. The image's features are encoded once and reused for every strength.
 * Every tensor made here is disposed; the caller's images are not.
 */
import * as tf from '@tensorflow/tfjs';
import { perturbFeatures } from './advbn';
import { channelMean } from './stats';
import { argmaxRows, makeObjective, type Classifier, type LossMode } from './attack';
import { ablationEps, runPgd, validatePgdSettings, type PgdSettings } from './pgd';
import { preprocess } from '../models/preprocess';
import type { Network } from '../models/network';
import { mulberry32 } from '../common/random';
import { argmax } from '../common/predictions';
import { matchedDeltaArrays, randomDeltaArrays } from './random-delta';

/** One strength: the PGD settings it runs with (ε also bounds the random control). */
export type Strength = PgdSettings;

/** The paper's ablation: τ fixed, m = 1…maxSteps, ε = m·τ − 0.1. */
export function paperStrengths(tau = 0.2, maxSteps = 8): Strength[] {
  return Array.from({ length: maxSteps }, (_, i) => validatePgdSettings({ eps: ablationEps(i + 1, tau), tau, steps: i + 1 }));
}

/** An ε grid at fixed τ and m. */
export function epsStrengths(eps: readonly number[], tau: number, steps: number): Strength[] {
  if (!eps.length) throw new RangeError('The ε grid is empty: give at least one strength.');
  return eps.map((e) => validatePgdSettings({ eps: e, tau, steps }));
}

/** A 32-bit seed from a number and a string (FNV-1a mix), so each image's draws do not depend on its place in a run. */
export function mixSeed(seed: number, key: string, extra = 0): number {
  let h = (Math.imul(seed >>> 0, 2654435761) ^ 0x811c9dc5) >>> 0;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619) >>> 0;
  h = Math.imul(h ^ extra, 2246822519) >>> 0;
  return (h ^ (h >>> 13)) >>> 0;
}

/**
 * Random draw `draw` of δ for a C-channel layer at bound ε: δ = 1 + ε·u with u uniform in [−1, 1),
 * so δμ and δσ are uniform in [1 − ε, 1 + ε). The same (seed, key, draw) gives the same u at every ε:
 * a draw grows along one direction as the strength grows.
 */
export function randomDeltaValues(channels: number, eps: number, seed: number, key: string, draw: number): { mu: Float32Array; sigma: Float32Array } {
  return randomDeltaArrays(channels, eps, mulberry32(mixSeed(seed, key, draw)));
}

/** Draw `draw` of the magnitude-matched control of an adversarial δ (seeded apart from the uniform draws). */
export function matchedDeltaValues(adv: { mu: ArrayLike<number>; sigma: ArrayLike<number> }, seed: number, key: string, draw: number): { mu: Float32Array; sigma: Float32Array } {
  return matchedDeltaArrays(adv, mulberry32(mixSeed(seed, `matched\0${key}`, draw)));
}

/** What a state of δ gives: probabilities [N × K] (of the shown image in image mode) and, when asked, the decoded image. */
export interface StrengthSweepOutcome {
  probs: Float32Array;
  image?: { data: Float32Array; shape: number[] };
}

export interface StrengthSweepCell {
  index: number;
  strength: Strength;
  adversarial: StrengthSweepOutcome;
  /** One per random draw: uniform in [1 − ε, 1 + ε]. */
  random: StrengthSweepOutcome[];
  /** As many draws of random δ with the adversarial δ's sizes (never decoded). */
  matched: StrengthSweepOutcome[];
  ms: number;
}

export interface StrengthSweepRequest {
  /** RGB [0, 1], [N, H, W, 3]. A batch shares μ, σ and δ. */
  images: tf.Tensor4D;
  mode: LossMode;
  decoder: Network | null;
  strengths: readonly Strength[];
  /** The labels PGD pushes away from, one per image (the true labels, or the clean top-1). Default: clean top-1. */
  labels?: number[];
  randomDraws: number;
  seed: number;
  /** Names the image for the random draws' seeds (its file name): the same image gets the same draws anywhere. */
  key: string;
  /** Read decoded images back (needs a decoder): the adversarial one, and the first `random` draws'. Default: none. */
  decode?: { adversarial?: boolean; random?: number };
}

export interface StrengthSweepStart {
  cleanProbs: Float32Array;
  classes: number;
  labels: number[];
}

/**
 * Yields one cell per strength, in order, as each is done (so a page can draw them progressively);
 * `onStart` receives the clean predictions first. Cancel with the signal (PGD throws its AbortError).
 */
export async function* sweep(c: Classifier, req: StrengthSweepRequest, options: { signal?: AbortSignal; onStart?: (s: StrengthSweepStart) => void } = {}): AsyncGenerator<StrengthSweepCell, void, void> {
  if (!Number.isInteger(req.randomDraws) || req.randomDraws < 0) throw new RangeError(`Random draws must be a whole number ≥ 0, got ${req.randomDraws}.`);
  req.strengths.forEach(validatePgdSettings);
  const decodeAdv = !!req.decode?.adversarial, decodeRandom = req.decode?.random ?? 0;
  if ((decodeAdv || decodeRandom > 0) && !req.decoder) throw new Error('Decoded images need a decoder for the split layer.');
  const objective = makeObjective(c, req.mode, req.decoder);
  const f = tf.tidy(() => c.split.encode(preprocess(c.preprocessing, req.images)));
  try {
    const cleanT = tf.tidy(() => tf.softmax(c.split.head(f) as tf.Tensor2D));
    const cleanProbs = (await cleanT.data()) as Float32Array;
    const classes = cleanT.shape[1];
    cleanT.dispose();
    const n = req.images.shape[0];
    const labels = req.labels ?? argmaxRows(cleanProbs, classes);
    if (labels.length !== n) throw new Error(`The sweep has ${labels.length} labels for a batch of ${n}.`);
    for (const l of labels) if (!Number.isInteger(l) || l < 0 || l >= classes) throw new RangeError(`Label ${l} is not a class index (0–${classes - 1}).`);
    options.onStart?.({ cleanProbs, classes, labels });
    const channels = f.shape[f.rank - 1]!;
    const mean = channelMean(f);
    try {
      for (let i = 0; i < req.strengths.length; i++) {
        if (options.signal?.aborted) throw Object.assign(new Error('Sweep cancelled'), { name: 'AbortError' });
        const t0 = performance.now();
        const strength = req.strengths[i]!;
        // ε = 0 pins δ at 1: every PGD step is clipped back, so m = 0 gives the same state without the work.
        const settings = strength.eps === 0 ? { ...strength, steps: 0 } : strength;
        const run = await runPgd(f, c.split.relu, objective, { labels, targeted: false }, settings, { signal: options.signal, images: decodeAdv ? 'last' : false });
        const adv = { mu: await run.delta.mu.data(), sigma: await run.delta.sigma.data() };
        run.delta.mu.dispose();
        run.delta.sigma.dispose();
        const last = run.reports[run.reports.length - 1]!;
        const adversarial: StrengthSweepOutcome = { probs: last.probs, ...(last.image ? { image: last.image } : {}) };
        const random: StrengthSweepOutcome[] = [];
        for (let d = 0; d < req.randomDraws; d++) {
          const v = randomDeltaValues(channels, strength.eps, req.seed, req.key, d);
          random.push(await evaluate(f, v, c.split.relu, mean, objective, d < decodeRandom));
        }
        const matched: StrengthSweepOutcome[] = [];
        for (let d = 0; d < req.randomDraws; d++) {
          matched.push(await evaluate(f, matchedDeltaValues(adv, req.seed, req.key, d), c.split.relu, mean, objective, false));
        }
        yield { index: i, strength, adversarial, random, matched, ms: performance.now() - t0 };
      }
    } finally {
      mean.dispose();
    }
  } finally {
    f.dispose();
  }
}

async function evaluate(f: tf.Tensor, v: { mu: Float32Array; sigma: Float32Array }, relu: boolean, mean: tf.Tensor1D, objective: ReturnType<typeof makeObjective>, wantImage: boolean): Promise<StrengthSweepOutcome> {
  const { probs, image } = tf.tidy(() => {
    const o = objective(perturbFeatures(f, tf.tensor1d(v.mu), tf.tensor1d(v.sigma), relu, mean), wantImage);
    return { probs: tf.softmax(o.logits as tf.Tensor2D), image: wantImage ? o.image : undefined };
  });
  const [p, img] = await Promise.all([probs.data() as Promise<Float32Array>, image ? (image.data() as Promise<Float32Array>) : Promise.resolve(null)]);
  const out: StrengthSweepOutcome = { probs: p };
  if (img && image) out.image = { data: img, shape: image.shape };
  tf.dispose([probs, image ?? []]);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Accuracy tables (no tensors): what a folder run records per image, and the table made from records.

/** One image's outcome at every strength: top-1 classes and p(true class). */
export interface StrengthSweepRecord {
  file: string;
  /** The class accuracy is measured against (the true label, or the clean top-1 when no labels are known). */
  truth: number;
  clean: number;
  /** Top-1 under the adversarial δ, one per strength. */
  adversarial: number[];
  /** Top-1 under each random draw, [strength][draw]. */
  random: number[][];
  /** p(truth) under the adversarial δ, one per strength. */
  adversarial_p: number[];
  /** Mean over draws of p(truth) under random δ, one per strength. */
  random_p: number[];
  /** The same under random δ of the adversarial δ's sizes (absent in records made before it existed). */
  matched?: number[][];
  matched_p?: number[];
}

/** Probabilities of row `row` of an [N × K] matrix. */
export function rowOf(probs: Float32Array, classes: number, row: number): Float32Array {
  return probs.subarray(row * classes, (row + 1) * classes);
}

/** The record of row `row` of a finished sweep (cells in strength order). */
export function sweepRecord(file: string, truth: number, start: StrengthSweepStart, cells: readonly StrengthSweepCell[], row = 0): StrengthSweepRecord {
  const k = start.classes;
  const pOf = (o: StrengthSweepOutcome) => rowOf(o.probs, k, row)[truth]!;
  return {
    file, truth,
    clean: argmax(rowOf(start.cleanProbs, k, row)),
    adversarial: cells.map((c) => argmax(rowOf(c.adversarial.probs, k, row))),
    random: cells.map((c) => c.random.map((r) => argmax(rowOf(r.probs, k, row)))),
    adversarial_p: cells.map((c) => round(pOf(c.adversarial), 6)),
    random_p: cells.map((c) => round(c.random.length ? c.random.reduce((s, r) => s + pOf(r), 0) / c.random.length : NaN, 6)),
    matched: cells.map((c) => c.matched.map((r) => argmax(rowOf(r.probs, k, row)))),
    matched_p: cells.map((c) => round(c.matched.length ? c.matched.reduce((s, r) => s + pOf(r), 0) / c.matched.length : NaN, 6)),
  };
}

export interface StrengthSweepTable {
  eps: number[];
  /** Top-1 accuracy (%) under the adversarial δ at each strength. */
  adversarial: number[];
  /** Top-1 accuracy (%) under uniform random δ at each strength, over every image and draw. */
  random: number[];
  /** The same under random δ of the adversarial δ's sizes (null when a record lacks it). */
  matched: number[] | null;
  n: number;
  steps: number[];
  tau: number[];
  clean: number;
  /** Mean p(true class), adversarial and random, at each strength. */
  adversarial_p: number[];
  random_p: number[];
  matched_p: number[] | null;
}

const round = (v: number, digits: number) => (Number.isFinite(v) ? Math.round(v * 10 ** digits) / 10 ** digits : null as unknown as number);

/** The accuracy table of a set of records (order does not matter: records are sorted by file first). */
export function sweepTable(strengths: readonly Strength[], records: readonly StrengthSweepRecord[]): StrengthSweepTable {
  const rows = [...records].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  const s = strengths.length;
  for (const r of rows) {
    if (r.adversarial.length !== s || r.random.length !== s) throw new Error(`The record of ${r.file} has ${r.adversarial.length} strengths, the table ${s}.`);
  }
  const pct = (hits: number, total: number) => (total ? round((100 * hits) / total, 2) : null as unknown as number);
  const mean = (vs: number[]) => (vs.length ? round(vs.reduce((a, b) => a + b, 0) / vs.length, 4) : null as unknown as number);
  const drawAccuracy = (rs: readonly StrengthSweepRecord[], draws: (r: StrengthSweepRecord) => number[]) => {
    let hits = 0, total = 0;
    for (const r of rs) for (const t of draws(r)) { total++; if (t === r.truth) hits++; }
    return pct(hits, total);
  };
  const hasMatched = rows.length > 0 && rows.every((r) => r.matched?.length === s && r.matched_p?.length === s);
  return {
    eps: strengths.map((x) => x.eps),
    adversarial: strengths.map((_, i) => pct(rows.filter((r) => r.adversarial[i] === r.truth).length, rows.length)),
    random: strengths.map((_, i) => drawAccuracy(rows, (r) => r.random[i]!)),
    matched: hasMatched ? strengths.map((_, i) => drawAccuracy(rows, (r) => r.matched![i]!)) : null,
    n: rows.length,
    steps: strengths.map((x) => x.steps),
    tau: strengths.map((x) => x.tau),
    clean: pct(rows.filter((r) => r.clean === r.truth).length, rows.length),
    adversarial_p: strengths.map((_, i) => mean(rows.map((r) => r.adversarial_p[i]!))),
    random_p: strengths.map((_, i) => mean(rows.map((r) => r.random_p[i]!).filter(Number.isFinite))),
    matched_p: hasMatched ? strengths.map((_, i) => mean(rows.map((r) => r.matched_p![i]!).filter(Number.isFinite))) : null,
  };
}
