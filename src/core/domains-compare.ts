/**
 * Algorithm 1 on a domains folder, several arms in one run: for every seed, each arm starts from the
 * same base (VGG-19 split at l, the same new linear layer), sees the same batches of source features in
 * the same order (one batch tensor feeds every arm, step by step), and differs only in its settings —
 * plain fine-tuning, AdvBN (PGD on δ), its controls (random δ uniform or magnitude-matched, MixStyle, DSU),
 * or AdvBN at other strengths (the m sweep).
 * Each trained arm is then evaluated on every set with its clean BNs and, where it has them, its
 * auxiliary BNs; the summary (domains-summary.ts) picks the branch by the paper's rule.
 */
import * as tf from '@tensorflow/tfjs';
import { applyLayer, type Network } from '../models/network';
import { createTrainer, disposeTrainer, trainStepOnFeatures, TrainingCancelledError, type AdvbnTrainSettings, type StepResult, type Trainer } from './advbn-training';
import { buildDomainNetwork, disposeDomainNetwork, headMoments, pretrainedHead } from './domains-model';
import { featureBatch, featureBatches, type FeatureSet } from './domains-features';
import { featureDivergence } from './stats';
import { accumulateMoments, momentsToStats, type FeatureMoments } from './stats';
import { epochSampler } from '../data/batch';
import { mulberry32 } from '../common/random';
import { ablationEps } from '../common/pgd-settings';
import { DOMAIN_ARMS, type DomainArmName } from '../common/train-settings';
import type { ArmAccuracy, ArmPredictions, SeedArmResult } from '../common/domains-summary';

export interface DomainArm { name: string; settings: AdvbnTrainSettings }

export { DOMAIN_ARMS, type DomainArmName };

/**
 * The arms of a comparison from their names, same `base` otherwise: plain (no perturbation), advbn (PGD
 * on δ), random-uniform and random-matched (random δ: uniform in [1 − ε, 1 + ε], or PGD's sizes in a
 * random direction; AdvBN's loss and auxiliary BNs), mixstyle and dsu (single loss, the head's own BNs).
 */
export function domainArms(names: readonly DomainArmName[], base: AdvbnTrainSettings): DomainArm[] {
  if (names[0] !== 'plain') throw new Error('The arms must start with plain (every Δ is against it).');
  return names.map((a): DomainArm => {
    switch (a) {
      case 'plain': return { name: a, settings: { ...base, advbn: false } };
      case 'mixstyle': case 'dsu': return { name: a, settings: { ...base, advbn: false, augment: a } };
      case 'advbn': return { name: a, settings: { ...base, advbn: true, perturbation: 'adversarial' } };
      case 'random-uniform': case 'random-matched': return { name: a, settings: { ...base, advbn: true, perturbation: a } };
      default: throw new Error(`Unknown arm "${a as string}"; the arms: ${DOMAIN_ARMS.join(', ')}.`);
    }
  });
}

/** The paper's strength ablation: one AdvBN arm per m (τ 0.2, ε = m·τ − 0.1); m = 0 is plain fine-tuning. */
export function mSweepArms(ms: number[], base: AdvbnTrainSettings): DomainArm[] {
  if (ms[0] !== 0) throw new Error('The m sweep must start with 0 (plain fine-tuning, the reference of every Δ).');
  return ms.map((m) => m === 0
    ? { name: 'plain', settings: { ...base, advbn: false } }
    : { name: `m${m}`, settings: { ...base, advbn: true, pgd: { tau: 0.2, steps: m, eps: ablationEps(m, 0.2) } } });
}

export interface DomainCompareOptions {
  vgg: Network;
  layer: string;
  classes: number;
  train: FeatureSet;
  /** Evaluation sets: source-val, the targets, the extras. */
  sets: FeatureSet[];
  arms: DomainArm[];
  seeds: number[];
  epochs: number;
  batchSize: number;
  /** §7 divergence between source-val and every other set, after each inserted BN (default on). */
  divergence?: boolean;
  signal?: AbortSignal;
  waitWhilePaused?(): Promise<void>;
  onStep?(seed: number, arm: string, r: StepResult, totalSteps: number): void;
  onPhase?(phase: 'init' | 'training' | 'evaluating', seed: number | null, arm: string | null): void;
  /** Predictions of each trained arm on each set (clean and auxiliary branch), for pictures. */
  onPredictions?(seed: number, arm: string, set: FeatureSet, clean: Int32Array, aux: Int32Array | null): void;
  /** Each trained arm of each seed, after its evaluation and before it is freed (pictures of it). */
  onTrained?(seed: number, arm: string, trainer: Trainer): Promise<void>;
}

export interface DomainArmRun extends SeedArmResult {
  trainSeconds: number;
  /** Wall seconds of each epoch's training steps. */
  epochSeconds: number[];
  curve: StepResult[];
  /** divergence[layer][set] (clean branch): source-val against the set. */
  divergence: Record<string, Record<string, number>>;
}

export interface DomainCompareResult {
  runs: DomainArmRun[];
  steps: number;
  stepsPerEpoch: number;
}

/**
 * Top-1 predictions of a fine-tuned domain network on a feature set with the chosen BN branch, and (when
 * `moments`) the per-channel moments after each inserted BatchNorm (before its ReLU), from the same pass.
 * Before the ReLU: after it, a channel that is all zeros on one set has σ ≈ sqrt(1e-5) and its KL term
 * (σ_B²/σ_A² ≈ 1e6 and more) swamps the mean over channels.
 */
export async function predictSet(net: Network, set: FeatureSet, bn: 'clean' | 'adv', moments = false): Promise<{ pred: Int32Array; moments: Record<string, FeatureMoments> }> {
  const pred = new Int32Array(set.labels.length);
  const acc: Record<string, FeatureMoments> = {};
  let o = 0;
  for (const f of featureBatches(set)) {
    let h: tf.Tensor = f;
    for (let i = 1; i < net.layers.length; i++) {
      const l = net.layers[i]!;
      const next = tf.tidy(() => applyLayer(l, h, { bn }));
      if (h !== f) h.dispose();
      h = next;
      if (moments && l.kind === 'batchnorm') await accumulateMoments(acc, l.name, h);
    }
    const p = tf.tidy(() => tf.argMax(h, -1));
    h.dispose();
    f.dispose();
    const v = await p.data();
    p.dispose();
    pred.set(v, o);
    o += v.length;
  }
  return { pred, moments: acc };
}

const accuracyOf = (pred: Int32Array, labels: number[]) => labels.reduce((n, l, i) => n + (pred[i] === l ? 1 : 0), 0) / Math.max(1, labels.length);

/** §7 divergence (Eq. 4-5) between source-val's moments and every other set's, per layer. */
async function divergences(sets: FeatureSet[], moments: Map<FeatureSet, Record<string, FeatureMoments>>): Promise<Record<string, Record<string, number>>> {
  const ref = sets.find((s) => s.kind === 'source-val');
  if (!ref) return {};
  const refM = moments.get(ref)!;
  const out: Record<string, Record<string, number>> = {};
  for (const s of sets) {
    if (s === ref) continue;
    const m = moments.get(s)!;
    for (const layer of Object.keys(refM)) {
      const a = momentsToStats(refM[layer]!), b = momentsToStats(m[layer]!);
      const d = featureDivergence(a, b);
      (out[layer] ??= {})[s.name] = (await d.data())[0]!;
      tf.dispose([d, a.mean, a.std, b.mean, b.std]);
    }
  }
  return out;
}

export async function compareOnDomains(o: DomainCompareOptions): Promise<DomainCompareResult> {
  if (!o.seeds.length) throw new Error('A comparison needs at least one seed.');
  if (!o.arms.length) throw new Error('A comparison needs at least one arm.');
  const n = o.train.labels.length;
  const stepsPerEpoch = Math.floor(n / o.batchSize);
  if (stepsPerEpoch < 1) throw new Error(`The source training set has ${n} images, fewer than one batch of ${o.batchSize}.`);
  const steps = Math.max(1, Math.round(o.epochs * stepsPerEpoch));
  o.onPhase?.('init', null, null);
  const moments = await headMoments(pretrainedHead(o.vgg, o.layer), featureBatches(o.train));
  const runs: DomainArmRun[] = [];
  for (const seed of o.seeds) {
    const base = buildDomainNetwork(o.vgg, o.layer, moments, o.classes, seed);
    const trainers = o.arms.map((a) => createTrainer(base, o.layer, 'rgb01', { ...a.settings, seed: a.settings.seed ?? seed * 1000 + 7 }));
    try {
      const curves = o.arms.map(() => [] as StepResult[]);
      const epochMs = o.arms.map(() => [] as number[]);
      const sample = epochSampler(n, o.batchSize, mulberry32(seed));
      o.onPhase?.('training', seed, null);
      for (let step = 0; step < steps; step++) {
        await o.waitWhilePaused?.();
        if (o.signal?.aborted) throw new TrainingCancelledError();
        const idx = sample(step);
        const f = featureBatch(o.train, idx);
        const labels = idx.map((i) => o.train.labels[i]!);
        try {
          for (let a = 0; a < o.arms.length; a++) {
            const r = await trainStepOnFeatures(trainers[a]!, f, labels, step, steps, o.signal);
            curves[a]!.push(r);
            const e = Math.floor(step / stepsPerEpoch);
            epochMs[a]![e] = (epochMs[a]![e] ?? 0) + r.ms;
            o.onStep?.(seed, o.arms[a]!.name, r, steps);
          }
        } finally {
          f.dispose();
        }
      }
      for (let a = 0; a < o.arms.length; a++) {
        const arm = o.arms[a]!, net = trainers[a]!.net;
        o.onPhase?.('evaluating', seed, arm.name);
        const hasAux = net.layers.some((l) => l.kind === 'batchnorm' && l.adv);
        const accuracy: ArmAccuracy = { clean: {}, aux: hasAux ? {} : null };
        const predictions: ArmPredictions = { clean: {}, aux: hasAux ? {} : null };
        const moments = new Map<FeatureSet, Record<string, FeatureMoments>>();
        for (const set of o.sets) {
          const clean = await predictSet(net, set, 'clean', o.divergence !== false);
          const aux = hasAux ? (await predictSet(net, set, 'adv')).pred : null;
          moments.set(set, clean.moments);
          accuracy.clean[set.name] = accuracyOf(clean.pred, set.labels);
          predictions.clean[set.name] = clean.pred;
          if (aux) { accuracy.aux![set.name] = accuracyOf(aux, set.labels); predictions.aux![set.name] = aux; }
          o.onPredictions?.(seed, arm.name, set, clean.pred, aux);
        }
        await o.onTrained?.(seed, arm.name, trainers[a]!);
        const ms = curves[a]!.reduce((t, r) => t + r.ms, 0);
        runs.push({
          seed, arm: arm.name, accuracy, predictions, trainSeconds: ms / 1000, epochSeconds: epochMs[a]!.map((x) => x / 1000), curve: curves[a]!,
          divergence: o.divergence === false ? {} : await divergences(o.sets, moments),
        });
      }
    } finally {
      // The trainers' copies share VGG-19's frozen kernels; disposing them frees only what they own.
      for (const t of trainers) disposeTrainer(t);
      disposeDomainNetwork(base);
    }
  }
  return { runs, steps, stepsPerEpoch };
}
