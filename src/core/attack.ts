/**
 * AdvBN on a classifier split at a layer: the objectives of the two loss modes (§4) and a whole
 * attack run (clean predictions, default label, PGD), shared by the CLI, the worker and the tests.
 */
import * as tf from '@tensorflow/tfjs';
import { forward, type Split } from '../models/network';
import { preprocess, type Preprocessing } from '../models/preprocess';
import type { Network } from '../models/network';
import { runPgd, type Objective, type PgdOptions, type PgdReport, type PgdSettings } from './pgd';
import type { Delta } from './advbn';

import type { LossMode } from '../common/pgd-settings';
export type { LossMode };

export interface Classifier {
  split: Split;
  preprocessing: Preprocessing;
}

/**
 * An encoder apart from the classifier (image mode only): features f = E(x) come from `split.encode`
 * on the image preprocessed for E, and the loss is CE(C(D(f_adv(E(x)))), y) — how the AdvBN authors
 * made ImageNet-AdvBN (AdaIN's vgg_normalised relu4_1 → their decoder → torchvision VGG-19).
 */
export interface Encoder {
  split: Split;
  preprocessing: Preprocessing;
}

/**
 * Feature mode: L on head(f_adv) (Algorithm 1's loss). With a decoder, the decoded image is also
 * returned for display; it does not enter the loss.
 * Image mode: L on g(decoder(f_adv)), the whole classifier applied to the decoded image (how the
 * authors made ImageNet-AdvBN and Figures 1-3): the predictions shown are those of the shown image.
 */
export function makeObjective(c: Classifier, mode: LossMode, decoder: Network | null): Objective {
  if (mode === 'image') {
    if (!decoder) throw new Error('Image mode needs a decoder for the split layer.');
    return (fAdv) => {
      const image = tf.clipByValue(forward(decoder, fAdv), 0, 1);
      return { logits: forward(c.split.net, preprocess(c.preprocessing, image)), image };
    };
  }
  // The decoder only shows f_adv here: PGD runs it apart from the step (Objective.display).
  const display = decoder ? (fAdv: tf.Tensor) => tf.clipByValue(forward(decoder, fAdv), 0, 1) : undefined;
  return Object.assign((fAdv: tf.Tensor, wantImage = true) => ({
    logits: c.split.head(fAdv),
    image: display && wantImage ? display(fAdv) : undefined,
  }), { display });
}

/** Softmax probabilities of the whole classifier on RGB [0, 1] images, [N, K]. */
export function classify(c: Classifier, rgb: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => tf.softmax(forward(c.split.net, preprocess(c.preprocessing, rgb)) as tf.Tensor2D));
}

/** The whole classifier's top-1 class of each RGB [0, 1] image (values are clipped to [0, 1] first). */
export async function top1(c: Classifier, rgb: tf.Tensor4D): Promise<number[]> {
  const k = tf.tidy(() => tf.argMax(forward(c.split.net, preprocess(c.preprocessing, tf.clipByValue(rgb, 0, 1))), -1));
  const v = Array.from(await k.data());
  k.dispose();
  return v;
}

export function argmaxRows(probs: Float32Array, classes: number): number[] {
  const out: number[] = [];
  for (let r = 0; r * classes < probs.length; r++) {
    let best = 0;
    for (let k = 1; k < classes; k++) if (probs[r * classes + k]! > probs[r * classes + best]!) best = k;
    out.push(best);
  }
  return out;
}

export interface AttackRequest {
  /** RGB [0, 1], [N, H, W, 3] at the classifier's input size. A batch shares μ, σ and δ. */
  images: tf.Tensor4D;
  mode: LossMode;
  decoder: Network | null;
  settings: PgdSettings;
  /** Class to push away from (or toward, when targeted); default: each image's clean top-1. */
  label?: number;
  targeted?: boolean;
  /** Encode with this encoder instead of the classifier's first layers (image mode; `decoder` must decode its features). */
  encoder?: Encoder;
}

export interface AttackResult {
  cleanProbs: Float32Array;
  classes: number;
  labels: number[];
  reports: PgdReport[];
  delta: { mu: Float32Array; sigma: Float32Array };
  timings: { clean: number; encode: number; pgd: number };
}

/** Clean predictions, then PGD. Every tensor made here is disposed; `images` is not. */
export async function attack(c: Classifier, req: AttackRequest, options: PgdOptions = {}, onStep?: (r: PgdReport) => void): Promise<AttackResult> {
  const t0 = performance.now();
  const enc = req.encoder;
  if (enc && req.mode !== 'image') throw new Error('A separate encoder works in image mode only: the classifier\'s head cannot read its features.');
  // g = head ∘ encoder: the clean prediction reuses the encoder's features, which PGD needs anyway.
  // With a separate encoder the classifier sees the clean image itself.
  const f = tf.tidy(() => (enc ?? c).split.encode(preprocess((enc ?? c).preprocessing, req.images)));
  const t1 = performance.now();
  let cleanT: tf.Tensor2D;
  try {
    cleanT = enc ? classify(c, req.images) : tf.tidy(() => tf.softmax(c.split.head(f) as tf.Tensor2D));
  } catch (e) {
    f.dispose();
    throw e;
  }
  const cleanProbs = (await cleanT.data()) as Float32Array;
  const classes = cleanT.shape[1];
  cleanT.dispose();
  const n = req.images.shape[0];
  if (req.label !== undefined && (!Number.isInteger(req.label) || req.label < 0 || req.label >= classes)) {
    f.dispose();
    throw new RangeError(`Label ${req.label} is not a class index (0–${classes - 1}).`);
  }
  const labels = req.label !== undefined ? Array(n).fill(req.label) : argmaxRows(cleanProbs, classes);
  const t2 = performance.now();
  let delta: Delta | null = null;
  try {
    const objective = makeObjective(c, req.mode, req.decoder);
    const run = await runPgd(f, (enc ?? c).split.relu, objective, { labels, targeted: !!req.targeted }, req.settings, options, onStep);
    delta = run.delta;
    const [mu, sigma] = await Promise.all([delta.mu.data(), delta.sigma.data()]) as [Float32Array, Float32Array];
    return { cleanProbs, classes, labels, reports: run.reports, delta: { mu, sigma }, timings: { encode: t1 - t0, clean: t2 - t1, pgd: performance.now() - t2 } };
  } finally {
    f.dispose();
    if (delta) { delta.mu.dispose(); delta.sigma.dispose(); }
  }
}
