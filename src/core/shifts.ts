/**
 * Shifts side by side, for one image at one split layer (the paper's two key points: the *adversarial*
 * δ matters, and AdvBN's shift lives in the same space as style transfer):
 *   (a) AdvBN's adversarial δ at (ε, τ, m);
 *   (b) random δ: uniform in [1 − ε, 1 + ε], and of the adversarial δ's sizes (seeded draws; see sweep.ts);
 *   (c) AdaIN to a style image: f_s = σ_style·(f − μ)/σ + μ_style with the style image's statistics at
 *       the split, blended as α·f_s + (1 − α)·f (clamped at 0 after a ReLU, as AdvBN's f_adv);
 *   (d) a common corruption of the photo itself (no decoder: the classifier sees the corrupted crop).
 * (a)–(c) go through the same objective (the head in feature mode, the classifier on the decoded image
 * in image mode). Every tensor made here is disposed; the caller's images are not.
 */
import * as tf from '@tensorflow/tfjs';
import { channelStats } from './stats';
import { classify, makeObjective, type Classifier, type LossMode } from './attack';
import { sweep, type StrengthSweepOutcome, type StrengthSweepStart } from './strength-sweep';
import type { PgdSettings } from './pgd';
import { preprocess } from '../models/preprocess';
import type { Network } from '../models/network';
import type { Corruption } from '../data/corruptions';

/** AdaIN at the split: f re-normalised to the style features' per-channel mean and std, blended by α ∈ [0, 1]. */
export function adainFeatures(f: tf.Tensor, fStyle: tf.Tensor, alpha: number, clampAtZero: boolean): tf.Tensor {
  if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`Style strength α = ${alpha} is not in [0, 1].`);
  if (f.shape[f.rank - 1] !== fStyle.shape[fStyle.rank - 1]) throw new Error(`The style features have ${fStyle.shape[fStyle.rank - 1]} channels, the image's ${f.shape[f.rank - 1]}.`);
  return tf.tidy(() => {
    const s = channelStats(f), st = channelStats(fStyle);
    const fs = tf.add(tf.mul(st.std, tf.div(tf.sub(f, s.mean), s.std)), st.mean);
    const out = tf.add(tf.mul(alpha, fs), tf.mul(1 - alpha, f));
    return clampAtZero ? tf.maximum(out, 0) : out;
  });
}

export interface ShiftsRequest {
  /** RGB [0, 1], [1, H, W, 3] at the classifier's input size. */
  image: tf.Tensor4D;
  mode: LossMode;
  decoder: Network | null;
  settings: PgdSettings;
  /** The class whose probability is compared (pushed away from by PGD). */
  label: number;
  randomDraws: number;
  seed: number;
  key: string;
  /** A style image (RGB [0, 1], [1, H, W, 3] at the input size) and α, for AdaIN. */
  style?: { image: tf.Tensor4D; alpha: number };
  /** A corruption of the photo (applied to the crop's pixels). */
  corruption?: Corruption;
}

export interface ShiftsResult {
  cleanProbs: Float32Array;
  adversarial: StrengthSweepOutcome;
  random: StrengthSweepOutcome[];
  /** Random δ with the adversarial δ's per-channel sizes (sweep.ts), as many draws. */
  matched: StrengthSweepOutcome[];
  adain?: StrengthSweepOutcome;
  corrupted?: StrengthSweepOutcome;
}

/** Runs the four shifts. Images are read back when there is a decoder (and always for the corrupted crop). */
export async function compareShifts(c: Classifier, req: ShiftsRequest, signal?: AbortSignal): Promise<ShiftsResult> {
  const decode = req.decoder ? { adversarial: true, random: req.randomDraws } : undefined;
  let start: StrengthSweepStart | null = null;
  let cell: Awaited<ReturnType<ReturnType<typeof sweep>['next']>>['value'] | undefined;
  for await (const x of sweep(c, {
    images: req.image, mode: req.mode, decoder: req.decoder, strengths: [req.settings], labels: [req.label],
    randomDraws: req.randomDraws, seed: req.seed, key: req.key, decode,
  }, { signal, onStart: (s) => { start = s; } })) cell = x;
  if (!cell || !start) throw new Error('The comparison did not run.');
  const result: ShiftsResult = { cleanProbs: (start as StrengthSweepStart).cleanProbs, adversarial: cell.adversarial, random: cell.random, matched: cell.matched };
  if (req.style) {
    const objective = makeObjective(c, req.mode, req.decoder);
    const style = req.style;
    const { probs, image } = tf.tidy(() => {
      const f = c.split.encode(preprocess(c.preprocessing, req.image));
      const fStyle = c.split.encode(preprocess(c.preprocessing, style.image));
      const o = objective(adainFeatures(f, fStyle, style.alpha, c.split.relu), !!req.decoder);
      return { probs: tf.softmax(o.logits as tf.Tensor2D), image: req.decoder ? o.image : undefined };
    });
    result.adain = await readOutcome(probs, image);
  }
  if (req.corruption) {
    const [, h, w] = req.image.shape;
    if (h !== w) throw new Error(`Corruptions take square crops, got ${w}×${h}.`);
    const pixels = req.corruption((await req.image.data()) as Float32Array, h, req.seed);
    const x = tf.tensor4d(pixels, req.image.shape);
    const probs = classify(c, x);
    result.corrupted = await readOutcome(probs, x);
  }
  return result;
}

async function readOutcome(probs: tf.Tensor, image: tf.Tensor | undefined): Promise<StrengthSweepOutcome> {
  const [p, img] = await Promise.all([probs.data() as Promise<Float32Array>, image ? (image.data() as Promise<Float32Array>) : Promise.resolve(null)]);
  const out: StrengthSweepOutcome = { probs: p };
  if (img && image) out.image = { data: img, shape: image.shape };
  tf.dispose([probs, image ?? []]);
  return out;
}
