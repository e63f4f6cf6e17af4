/**
 * PGD on the AdvBN statistics δ = (δμ, δσ) (§3 of the method):
 *
 *     repeat m times:
 *         L = CE(objective(f_adv(δ)), y)
 *         δ ← clip(δ + τ · sign(∂L/∂δ), 1 − ε, 1 + ε)
 *
 * Written as an async generator so a UI can draw every step as it arrives and cancel a run (an
 * AbortSignal, or simply stop iterating). All tensors it makes are disposed before it yields, except
 * the final δ, which the caller receives and owns.
 */
import * as tf from '@tensorflow/tfjs';
import { type Delta, identityDelta, perturbFeatures, pgdUpdate } from './advbn';
import { channelMean } from './stats';
import { crossEntropy } from './loss';
import { validatePgdSettings, type PgdSettings } from '../common/pgd-settings';

export { ablationEps, MAX_STEPS, PAPER_DEFAULTS, validatePgdSettings, type PgdSettings } from '../common/pgd-settings';


/** Whom the attack is about: one label per image in the batch. */
export interface PgdGoal {
  labels: number[];
  /** false: ascend CE(y) (push away from y, the paper). true: descend CE(y) (pull toward y). */
  targeted: boolean;
}

/**
 * Maps perturbed features to logits, and optionally to the image they decode to (image mode / display).
 * `wantImage` false: the caller will not read the image, so a display-only decoder pass can be skipped.
 * `display`: that display-only decoder on its own (feature mode). PGD then runs it after each step's
 * gradient, outside the tape, and reports its time apart (`decodeMs`), so `ms` is the step's own work.
 */
export type Objective = ((fAdv: tf.Tensor, wantImage?: boolean) => { logits: tf.Tensor; image?: tf.Tensor }) & {
  display?: (fAdv: tf.Tensor) => tf.Tensor;
};

export interface Summary { min: number; max: number; mean: number; }

export function summarize(a: Float32Array): Summary {
  let min = Infinity, max = -Infinity, sum = 0;
  for (const v of a) {
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  return { min, max, mean: a.length ? sum / a.length : NaN };
}

/** What the generator reports for every state of δ: step 0 is δ = 1, step k is after k updates. */
export interface PgdReport {
  step: number;
  /** CE against the goal's labels at this δ (mean over the batch). */
  loss: number;
  /** Softmax probabilities, [N × K] row-major. */
  probs: Float32Array;
  classes: number;
  deltaMu: Float32Array;
  deltaSigma: Float32Array;
  /** The objective's image at this δ ([N, H, W, 3] RGB in [0, 1]), when it gives one. */
  image?: { data: Float32Array; shape: number[] };
  /** Wall time of this step (forward + backward + update, and the image when it is part of the loss) in ms. */
  ms: number;
  /** Wall time of the display-only decoding of `image` (the objective's `display`), in ms; 0 without one. */
  decodeMs: number;
}

export interface PgdOptions {
  signal?: AbortSignal;
  /**
   * Read the objective's image back at every step (for a filmstrip). Default true. 'last': the final
   * state's only; 'ends': step 0 (the m = 0 reconstruction) and the final state.
   */
  images?: boolean | 'last' | 'ends';
  /**
   * Evaluate and report the final state (after the m-th update). Default true: m + 1 reports. false: m
   * reports, the last after m − 1 updates, and one forward pass fewer (training needs δ, not its loss).
   */
  final?: boolean;
}

export class PgdAbortedError extends Error {
  constructor() {
    super('PGD run cancelled');
    this.name = 'AbortError';
  }
}

const yieldToEventLoop = () => new Promise<void>((r) => setTimeout(r, 0));

/**
 * Runs PGD and yields m + 1 reports (m with `final: false`). Returns the final δ (owned by the caller) when the run completes.
 * `f` is not modified or disposed. `clampAtZero`: the split layer is a ReLU output.
 */
export async function* pgd(
  f: tf.Tensor,
  clampAtZero: boolean,
  objective: Objective,
  goal: PgdGoal,
  settings: PgdSettings,
  options: PgdOptions = {},
): AsyncGenerator<PgdReport, Delta, void> {
  validatePgdSettings(settings);
  const n = f.shape[0]!;
  if (goal.labels.length !== n) throw new Error(`PGD goal has ${goal.labels.length} labels for a batch of ${n}.`);
  const channels = f.shape[f.rank - 1]!;
  const mean = channelMean(f); // μ(f) is fixed: f does not change during PGD
  const labels = tf.tensor1d(goal.labels, 'int32');
  // Ascent on CE moves away from y; a targeted run ascends −CE, i.e. descends toward y.
  const sign = goal.targeted ? -1 : 1;
  let delta = identityDelta(channels);
  const imagesOption = options.images ?? true;
  try {
    const states = options.final === false ? settings.steps - 1 : settings.steps;
    for (let step = 0; step <= states; step++) {
      if (options.signal?.aborted) throw new PgdAbortedError();
      const t0 = performance.now();
      const last = step === settings.steps;
      const wantImages = imagesOption === true || ((imagesOption === 'last' || imagesOption === 'ends') && last) || (imagesOption === 'ends' && step === 0);
      let logits: tf.Tensor | null = null;
      let image: tf.Tensor | null = null;
      let lossValue: tf.Scalar;
      let next: Delta | null = null;
      if (!last) {
        // One forward/backward at the current δ gives this state's report and the step's gradient.
        const { value, grads } = tf.valueAndGrads((dMu: tf.Tensor, dSigma: tf.Tensor) => {
          const out = objective(perturbFeatures(f, dMu as tf.Tensor1D, dSigma as tf.Tensor1D, clampAtZero, mean), wantImages && !objective.display);
          logits = tf.keep(out.logits);
          if (out.image && wantImages) image = tf.keep(out.image);
          return tf.mul(sign, crossEntropy(out.logits, labels)) as tf.Scalar;
        })([delta.mu, delta.sigma]);
        lossValue = value;
        next = {
          mu: pgdUpdate(delta.mu, grads[0] as tf.Tensor1D, settings.tau, settings.eps),
          sigma: pgdUpdate(delta.sigma, grads[1] as tf.Tensor1D, settings.tau, settings.eps),
        };
        grads.forEach((g) => g.dispose());
      } else {
        const out = tf.tidy(() => {
          const o = objective(perturbFeatures(f, delta.mu, delta.sigma, clampAtZero, mean), wantImages && !objective.display);
          return { logits: o.logits, image: wantImages ? o.image : undefined, loss: tf.mul(sign, crossEntropy(o.logits, labels)) as tf.Scalar };
        });
        logits = out.logits;
        image = out.image ?? null;
        lossValue = out.loss;
      }
      // Everything the report carries in one device → CPU read (on WebGPU each read is a round trip
      // that waits for the queue): probabilities, loss, δ and the image, flattened and concatenated.
      const probsT = tf.softmax(logits! as tf.Tensor2D);
      const parts: tf.Tensor[] = [probsT, lossValue, delta.mu, delta.sigma, ...(image ? [image as tf.Tensor] : [])];
      const packed = tf.tidy(() => tf.concat(parts.map((t) => t.reshape([-1]))));
      let all: Float32Array;
      try {
        all = (await packed.data()) as Float32Array;
      } finally {
        packed.dispose();
      }
      // Copies, not views: callers transfer each array's buffer to another thread.
      let at = 0;
      const [probs, loss, dMu, dSigma, img] = parts.map((t) => all.slice(at, (at += t.size)));
      const report: PgdReport = {
        step,
        loss: sign * loss![0]!,
        probs: probs!,
        classes: (logits! as tf.Tensor).shape[1]!,
        deltaMu: dMu!,
        deltaSigma: dSigma!,
        ms: performance.now() - t0,
        decodeMs: 0,
      };
      if (img && image) report.image = { data: img, shape: (image as tf.Tensor).shape };
      tf.dispose([probsT, lossValue, logits!, image ?? []]);
      if (wantImages && objective.display) {
        // The filmstrip's image at this state's δ (before the update), decoded outside the gradient.
        const t1 = performance.now();
        const shown = tf.tidy(() => objective.display!(perturbFeatures(f, delta.mu, delta.sigma, clampAtZero, mean)));
        try {
          report.image = { data: ((await shown.data()) as Float32Array).slice(), shape: shown.shape };
        } finally {
          shown.dispose();
        }
        report.decodeMs = performance.now() - t1;
      }
      if (next) {
        const old = delta;
        delta = next;
        old.mu.dispose();
        old.sigma.dispose();
      }
      yield report;
      await yieldToEventLoop();
    }
    const result = delta;
    delta = { mu: tf.zeros([0]) as tf.Tensor1D, sigma: tf.zeros([0]) as tf.Tensor1D }; // hand ownership over
    return result;
  } finally {
    mean.dispose();
    labels.dispose();
    delta.mu.dispose();
    delta.sigma.dispose();
  }
}

/** Runs PGD to the end, collecting reports (for the CLI and tests). */
export async function runPgd(
  f: tf.Tensor, clampAtZero: boolean, objective: Objective, goal: PgdGoal, settings: PgdSettings, options: PgdOptions = {},
  onStep?: (r: PgdReport) => void,
): Promise<{ reports: PgdReport[]; delta: Delta }> {
  const reports: PgdReport[] = [];
  const it = pgd(f, clampAtZero, objective, goal, settings, options);
  for (;;) {
    const r = await it.next();
    if (r.done) return { reports, delta: r.value };
    reports.push(r.value);
    onStep?.(r.value);
  }
}
