/**
 * Algorithm 1 of the method (§6): fine-tuning a classifier's head with AdvBN.
 *
 *     f = g^{1,l}(x)                          (frozen encoder, BNs in eval mode, no gradient)
 *     δ = PGD(f) with the head in eval mode using the auxiliary BNs
 *     loss = CE(head_adv(f_adv), y) + CE(head_clean(f), y)
 *     SGD (momentum 0.9, weight decay 1e-4) on the head's weights; lr ÷ 10 after half the steps
 *
 * The same step with AdvBN switched off is plain fine-tuning (the baseline); with the split before
 * the first layer and no AdvBN it is standard training from scratch (how the style-world model is made).
 *
 * Framework-free and backend-agnostic (WebGPU, WebGL, WASM with the project's kernels, CPU): the
 * caller supplies batches and receives per-step results; pause/cancel through an AbortSignal and an
 * optional `waitWhilePaused` hook. All tensors are disposed; a trained network is owned by the caller.
 */
import * as tf from '@tensorflow/tfjs';
import {
  forwardRange, layerIndex, outputIsRelu,
  type BatchNormLayer, type BatchNormTwin, type ForwardOptions, type Layer, type Network,
} from '../models/network';
import { preprocess, type Preprocessing } from '../models/preprocess';
import { crossEntropy } from './loss';
import { disposeDelta, perturbFeatures } from './advbn';
import { runPgd, validatePgdSettings } from './pgd';
import { Adam } from './adam';
import { channelMean } from './stats';
import { matchedDeltaArrays, randomDelta } from './random-delta';
import { drawMixStyle, mixStyle } from './mixstyle';
import { drawDsu, dsu } from './dsu';
import { mulberry32, type Rng } from '../common/random';

export { DEFAULT_TRAIN_SETTINGS, learningRate, type AdvbnTrainSettings } from '../common/train-settings';
import { learningRate, type AdvbnTrainSettings } from '../common/train-settings';
import type { StepResult } from '../common/train-types';
import type { Batch } from '../data/batch';
export type { StepResult };

// ---------------------------------------------------------------------------------------------
// Preparing a network for training

// tf.variable shares the source's data (reference counted) until the first assign: nothing to dispose here.
const copyVar = (t: tf.Tensor, trainable: boolean) => tf.variable(t, trainable);

function twinCopy(t: BatchNormTwin, trainable: boolean): BatchNormTwin {
  return {
    gamma: copyVar(t.gamma, trainable), beta: copyVar(t.beta, trainable),
    movingMean: copyVar(t.movingMean, false), movingVariance: copyVar(t.movingVariance, false),
  };
}

/**
 * A copy of `base` ready for Algorithm 1 at split index `splitIndex` (−1: train everything):
 * layers ≤ splitIndex are frozen copies, later ones own trainable tf.Variables, and every BN after
 * the split gets an auxiliary twin initialised as a copy of its clean twin (when `auxiliaryBn`).
 * `base` is not modified; the copy is owned by the caller (disposeNetwork).
 */
export function prepareForTraining(base: Network, splitIndex: number, auxiliaryBn: boolean): Network {
  // Dense parts: row blocks made because the whole kernel exceeds the GPU's storage-binding limit
  // (backend/binding-limits.ts). A trained kernel, its gradient and the optimiser's state are bound
  // whole, which that GPU would read back as zeros: refuse before anything is made.
  const split = base.layers.find((l, i) => i > splitIndex && l.kind === 'dense' && l.parts);
  if (split?.kind === 'dense') {
    throw new Error(`${split.name}'s kernel (${(split.kernel.size * 4 / 1e6).toFixed(1)} MB) is larger than this GPU's storage-binding limit (it runs in ${split.parts!.length} blocks); ` +
      `training binds it whole, so it cannot be trained here. Split after ${split.name} (a later layer) or train on WASM.`);
  }
  const layers: Layer[] = base.layers.map((l, i) => {
    const train = i > splitIndex;
    switch (l.kind) {
      case 'conv2d': return { ...l, kernel: copyVar(l.kernel, train) as unknown as tf.Tensor4D, bias: l.bias ? (copyVar(l.bias, train) as unknown as tf.Tensor1D) : null };
      // A frozen layer keeps its row blocks (clones share the data).
      case 'dense': return { ...l, kernel: copyVar(l.kernel, train) as unknown as tf.Tensor2D, bias: l.bias ? (copyVar(l.bias, train) as unknown as tf.Tensor1D) : null, parts: l.parts?.map((p) => tf.clone(p)) };
      case 'batchnorm': {
        const clean = twinCopy(l.clean, train);
        const adv = train && auxiliaryBn ? twinCopy(l.clean, true) : null;
        return { ...l, clean, adv };
      }
      default: return { ...l };
    }
  });
  return { ...base, layers };
}

/** The trainable variables of layers after the split (kernels, biases, BN γ/β of both twins). */
export function headVariables(net: Network, splitIndex: number): tf.Variable[] {
  const out: tf.Variable[] = [];
  const add = (t: unknown) => { if (t instanceof tf.Variable && t.trainable) out.push(t); };
  net.layers.forEach((l, i) => {
    if (i <= splitIndex) return;
    if (l.kind === 'conv2d' || l.kind === 'dense') { add(l.kernel); add(l.bias); }
    if (l.kind === 'batchnorm') for (const t of [l.clean, l.adv]) if (t) { add(t.gamma); add(t.beta); }
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Optimiser: SGD with momentum and (coupled, PyTorch-style) weight decay.

export class SgdMomentum {
  private velocity = new Map<tf.Variable, tf.Variable>();
  constructor(readonly momentum: number, readonly weightDecay: number) {}

  /** v ← μ·v + (g + wd·w);  w ← w − lr·v. Disposes nothing of `grads` (the caller does). */
  apply(vars: tf.Variable[], grads: tf.NamedTensorMap | (tf.Tensor | null)[], lr: number): void {
    vars.forEach((v, i) => {
      const g = Array.isArray(grads) ? grads[i] : grads[v.name];
      if (!g) return;
      let vel = this.velocity.get(v);
      if (!vel) {
        const zeros = tf.zerosLike(v);
        vel = tf.variable(zeros, false);
        zeros.dispose();
        this.velocity.set(v, vel);
      }
      const velNow = vel;
      tf.tidy(() => {
        const d = this.weightDecay ? tf.add(g, tf.mul(this.weightDecay, v)) : g;
        velNow.assign(tf.add(tf.mul(this.momentum, velNow), d));
        v.assign(tf.sub(v, tf.mul(lr, velNow)));
      });
    });
  }

  dispose(): void {
    for (const v of this.velocity.values()) v.dispose();
    this.velocity.clear();
  }
}

// ---------------------------------------------------------------------------------------------
// One training step

export interface Trainer {
  net: Network;
  /** Index of the split layer l (−1: no frozen encoder). */
  splitIndex: number;
  /** The feature at l is a ReLU output: f_adv is clamped at 0. */
  relu: boolean;
  preprocessing: Preprocessing;
  settings: AdvbnTrainSettings;
  vars: tf.Variable[];
  optimizer: SgdMomentum | AdamWithSchedule;
  /** Draws the controls' random numbers (random δ, MixStyle, DSU); seeded by settings.seed. */
  rng: Rng;
}

/** Adam whose learning rate follows the same step schedule (adam.ts: tfjs's equations, fused where the backend can). */
export class AdamWithSchedule extends Adam {}

/** Builds a trainer on a prepared copy of `base` (see prepareForTraining). */
export function createTrainer(base: Network, layer: string | null, preprocessing: Preprocessing, settings: AdvbnTrainSettings): Trainer {
  if (settings.advbn) validatePgdSettings(settings.pgd);
  const w = settings.advWeight ?? 1;
  if (!Number.isFinite(w) || w < 0) throw new RangeError(`The adversarial loss weight must be a finite number ≥ 0, got ${settings.advWeight}.`);
  const splitIndex = layer ? layerIndex(base, layer) : -1;
  if (settings.advbn && splitIndex < 0) throw new Error('AdvBN needs a split layer.');
  if (settings.augment && settings.advbn) throw new Error(`${settings.augment} is an arm of its own: it replaces AdvBN, it does not add to it.`);
  if (settings.augment && splitIndex < 0) throw new Error(`${settings.augment} needs a split layer.`);
  if (splitIndex >= base.layers.length - 1) throw new Error(`Layer ${layer} is the last layer: there is no head to fine-tune.`);
  const net = prepareForTraining(base, splitIndex, settings.advbn && settings.advBn !== 'frozen');
  const vars = headVariables(net, splitIndex);
  if (!vars.length) throw new Error(`The head after ${layer} has no trainable weights.`);
  return {
    net, splitIndex, preprocessing, settings, vars,
    relu: splitIndex >= 0 && outputIsRelu(net.layers[splitIndex]!),
    optimizer: settings.optimizer === 'adam' ? new AdamWithSchedule() : new SgdMomentum(settings.momentum, settings.weightDecay),
    rng: mulberry32(settings.seed ?? 1),
  };
}

export function disposeTrainer(t: Trainer, keepNetwork = false): void {
  t.optimizer.dispose();
  if (!keepNetwork) disposeNetworkVars(t.net);
}

function disposeNetworkVars(net: Network) {
  for (const l of net.layers) {
    if (l.kind === 'conv2d' || l.kind === 'dense') { l.kernel.dispose(); l.bias?.dispose(); }
    if (l.kind === 'batchnorm') for (const t of [l.clean, l.adv]) if (t) tf.dispose([t.gamma, t.beta, t.movingMean, t.movingVariance]);
  }
}


type Observed = NonNullable<ForwardOptions['observedStats']>;

/** running ← momentum·running + (1 − momentum)·batch, for every BN a forward pass observed. */
function updateRunningStats(observed: Observed): void {
  for (const o of observed) {
    const twin = o.layer[o.twin] as BatchNormTwin;
    const m = o.layer.momentum;
    tf.tidy(() => {
      twin.movingMean.assign(tf.add(tf.mul(m, twin.movingMean), tf.mul(1 - m, o.mean)));
      twin.movingVariance.assign(tf.add(tf.mul(m, twin.movingVariance), tf.mul(1 - m, o.variance)));
    });
    o.mean.dispose();
    o.variance.dispose();
  }
  observed.length = 0;
}

function correct(logits: tf.Tensor, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.cast(tf.equal(tf.argMax(logits, -1), labels), 'float32')) as tf.Scalar);
}

/**
 * One step of Algorithm 1 on a batch of RGB images in [0, 1] ([N, H, W, 3]). `x` is not disposed.
 * `step`/`totalSteps` drive the learning-rate schedule.
 */
export async function trainStep(t: Trainer, x: tf.Tensor4D, labels: number[], step: number, totalSteps: number, signal?: AbortSignal): Promise<StepResult> {
  const t0 = performance.now();
  // Frozen encoder: eval mode, outside any tape.
  const f = tf.tidy(() => forwardRange(t.net, preprocess(t.preprocessing, x), 0, t.splitIndex + 1));
  try {
    const r = await trainStepOnFeatures(t, f, labels, step, totalSteps, signal);
    return { ...r, ms: performance.now() - t0 };
  } finally {
    f.dispose();
  }
}

/**
 * The same step from features f = g^{1,l}(x) computed beforehand (a feature cache: the encoder is
 * frozen, so its output never changes). `f` is not disposed.
 */
/**
 * The head PGD attacks in Algorithm 1: the layers after the split in inference mode, through the auxiliary
 * BNs (the clean ones when they are frozen).
 */
export function pgdHead(t: Trainer): (fa: tf.Tensor) => tf.Tensor {
  const bn = t.settings.advBn === 'frozen' ? 'clean' : 'adv';
  return (fa) => forwardRange(t.net, fa, t.splitIndex + 1, t.net.layers.length, { bn, training: false });
}

/** The head on clean features, as the trained model is used: the layers after the split in inference mode, through the main BNs. */
export function cleanHead(t: Trainer): (f: tf.Tensor) => tf.Tensor {
  return (f) => forwardRange(t.net, f, t.splitIndex + 1, t.net.layers.length, { bn: 'clean', training: false });
}

export async function trainStepOnFeatures(t: Trainer, f: tf.Tensor, labels: number[], step: number, totalSteps: number, signal?: AbortSignal): Promise<StepResult> {
  const t0 = performance.now();
  const n = t.net.layers.length;
  const y = tf.tensor1d(labels, 'int32');
  let fAdv: tf.Tensor | null = null;
  /** What the clean path trains on: f, or MixStyle/DSU of f. */
  let fTrain: tf.Tensor | null = null;
  let pgdLoss: [number, number] | null = null;
  try {
    if (t.settings.advbn && t.settings.perturbation === 'random-uniform') {
      // The uniform control: δ drawn uniformly in [1 − ε, 1 + ε] (no gradient), same loss.
      const delta = randomDelta(f.shape[f.rank - 1]!, t.settings.pgd.eps, t.rng);
      const mean = channelMean(f);
      fAdv = perturbFeatures(f, delta.mu, delta.sigma, t.relu, mean);
      tf.dispose([mean, delta.mu, delta.sigma]);
    } else if (t.settings.advbn) {
      const head = pgdHead(t);
      // final: false: no forward pass at the last δ (7 convolutions of the block4_conv1 head) only for a report.
      const { reports, delta } = await runPgd(f, t.relu, (fa) => ({ logits: head(fa) }), { labels, targeted: false }, t.settings.pgd, { images: false, signal, final: false });
      pgdLoss = [reports[0]!.loss, reports[reports.length - 1]!.loss];
      if (t.settings.perturbation === 'random-matched') {
        // The matched control: PGD's sizes per channel, shuffled across channels, random signs.
        const m = matchedDeltaArrays({ mu: await delta.mu.data(), sigma: await delta.sigma.data() }, t.rng);
        disposeDelta(delta);
        delta.mu = tf.tensor1d(m.mu);
        delta.sigma = tf.tensor1d(m.sigma);
      }
      const mean = channelMean(f);
      fAdv = perturbFeatures(f, delta.mu, delta.sigma, t.relu, mean);
      mean.dispose();
      disposeDelta(delta);
    } else if (t.settings.augment) {
      // MixStyle / DSU: the batch's features re-styled (p 0.5), trained through the one clean path.
      const f4 = f as tf.Tensor4D;
      fTrain = t.settings.augment === 'mixstyle'
        ? mixStyle(f4, drawMixStyle(f4.shape[0], t.rng))
        : dsu(f4, drawDsu(f4.shape[0], f4.shape[3], t.rng));
    }
    const observed: Observed = [];
    const parts: tf.Tensor[] = [];
    const { value, grads } = tf.variableGrads(() => {
      const logitsClean = forwardRange(t.net, fTrain ?? f, t.splitIndex + 1, n, { bn: 'clean', training: true, observedStats: observed });
      const lossClean = crossEntropy(logitsClean, y);
      parts.push(tf.keep(lossClean), tf.keep(correct(logitsClean, y)));
      let loss = lossClean;
      if (fAdv) {
        const logitsAdv = t.settings.advBn === 'frozen'
          ? forwardRange(t.net, fAdv, t.splitIndex + 1, n, { bn: 'clean', training: false })
          : forwardRange(t.net, fAdv, t.splitIndex + 1, n, { bn: 'adv', training: true, observedStats: observed });
        const lossAdv = crossEntropy(logitsAdv, y);
        parts.push(tf.keep(lossAdv), tf.keep(correct(logitsAdv, y)));
        const w = t.settings.advWeight ?? 1;
        loss = tf.add(lossClean, w === 1 ? lossAdv : tf.mul(w, lossAdv));
      }
      for (const o of observed) { tf.keep(o.mean); tf.keep(o.variance); }
      return loss as tf.Scalar;
    }, t.vars);
    const lr = learningRate(t.settings, step, totalSteps);
    t.optimizer.apply(t.vars, grads, lr);
    updateRunningStats(observed);
    const vals = await Promise.all(parts.map((p) => p.data()));
    tf.dispose([value, ...Object.values(grads), ...parts]);
    const v = vals.map((d) => d[0]!);
    if (!Number.isFinite(v[0]!)) throw new Error('Training diverged (loss is not finite); lower the learning rate.');
    return {
      step, lr, cleanLoss: v[0]!, cleanAcc: v[1]!, advLoss: fAdv ? v[2]! : null, advAcc: fAdv ? v[3]! : null, pgdLoss,
      ms: performance.now() - t0,
    };
  } finally {
    tf.dispose([y, fAdv ?? [], fTrain ?? []]);
  }
}

// ---------------------------------------------------------------------------------------------
// The loop


export interface TrainLoopOptions {
  signal?: AbortSignal;
  /** Awaited before every step: resolve when the run may go on (pause = a promise that waits). */
  waitWhilePaused?: () => Promise<void>;
  onStep?: (r: StepResult) => void;
}

export class TrainingCancelledError extends Error {
  constructor() { super('Training cancelled'); this.name = 'AbortError'; }
}

/**
 * Runs `totalSteps` steps; `batch(step)` supplies each batch (its tensor is disposed here).
 * Returns all step results. The trainer's network holds the trained weights.
 */
export async function trainLoop(t: Trainer, totalSteps: number, batch: (step: number) => Batch | Promise<Batch>, opts: TrainLoopOptions = {}): Promise<StepResult[]> {
  const results: StepResult[] = [];
  for (let step = 0; step < totalSteps; step++) {
    await opts.waitWhilePaused?.();
    if (opts.signal?.aborted) throw new TrainingCancelledError();
    const b = await batch(step);
    try {
      const r = await trainStep(t, b.x, b.labels, step, totalSteps, opts.signal);
      results.push(r);
      opts.onStep?.(r);
    } finally {
      b.x.dispose();
    }
  }
  return results;
}

// ---------------------------------------------------------------------------------------------
// Evaluation

/** Top-1 accuracy of the network (clean BNs, eval mode) over batches of RGB [0, 1] images. */
export async function accuracy(net: Network, preprocessing: Preprocessing, batches: Iterable<Batch>): Promise<number> {
  let right = 0, total = 0;
  for (const b of batches) {
    const pred = tf.tidy(() => tf.argMax(forwardRange(net, preprocess(preprocessing, b.x), 0, net.layers.length), -1));
    const p = await pred.data();
    pred.dispose();
    b.x.dispose();
    b.labels.forEach((l, i) => { if (p[i] === l) right++; });
    total += b.labels.length;
  }
  return total ? right / total : NaN;
}

/** Names of the BN layers that own an auxiliary twin (for tests and the UI). */
export function auxiliaryBnLayers(net: Network): BatchNormLayer[] {
  return net.layers.filter((l): l is BatchNormLayer => l.kind === 'batchnorm' && l.adv !== null);
}
