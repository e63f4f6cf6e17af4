/**
 * Messages of the Train page's domains comparison (src/ui/train/domains, src/worker/domains-handlers.ts).
 * No tfjs here: the UI thread imports these types.
 *
 *   train.domains  TrainDomainsRequest  → events DomainsEvent…, result TrainDomainsResult
 */
import type { StepResult } from '../common/train-types';
import type { DomainSummary } from '../common/domains-summary';
import type { DomainArmName } from '../common/train-settings';
import type { ModelRef, PreviewResult } from './train-protocol';

/** One set of a domains folder, decoded on the UI thread to size² RGB bytes. */
export interface DomainsSetData {
  /** 'source-train', 'source-val', a target domain, or `extra/<domain>`. */
  name: string;
  kind: 'train' | 'source-val' | 'target' | 'extra';
  pixels: Uint8Array;
  labels: number[];
  paths: string[];
  /** Names what the pixels came from (paths, sizes, dates): with the model, layer and size, the feature cache key. */
  fingerprint: string;
}

/** Algorithm 1 on a domains folder: plain / AdvBN / control arms over seeds (see core/domains-compare.ts). */
export interface TrainDomainsRequest {
  runId: string;
  model: ModelRef;
  layer: string;
  size: number;
  classes: string[];
  /** The source training set first, then source-val, targets, extras. */
  sets: DomainsSetData[];
  arms: DomainArmName[];
  seeds: number;
  epochs: number;
  batchSize: number;
  lr: number;
  eps: number;
  tau: number;
  pgdSteps: number;
  /**
   * The paper's strength ablation instead of the arms: one AdvBN arm per m (τ 0.2, ε = m·τ − 0.1),
   * m = 0 first (plain fine-tuning).
   */
  sweepM?: number[];
}

export type DomainsEvent =
  | { kind: 'phase'; phase: 'loading' | 'features' | 'init' | 'training' | 'evaluating'; set?: string; cached?: boolean; seed?: number | null; arm?: string | null; done?: number; total?: number }
  | ({ kind: 'step'; arm: string; seed: number; total: number } & StepResult);

export interface TrainDomainsResult {
  runId: string;
  summary: DomainSummary;
  verdicts: string[];
  arms: string[];
  /** The m of each arm in a strength sweep (null: the three-arm comparison). */
  sweepM: number[] | null;
  seeds: number[];
  steps: number;
  /** Seconds: computing features (0 when all came from the cache), and per arm, training per epoch (mean over seeds). */
  timing: { featureSeconds: number; imagesEncoded: number; secondsPerEpoch: Record<string, number>; totalSeconds: number };
  /** The class names, in label order. */
  classes: string[];
  /** AdvBN on 8 source training images spread over the set (its classes) by the trained AdvBN network (seed 1), decoded; null without a decoder at the split (or without an AdvBN arm). */
  batch: PreviewResult | null;
  /** §7 divergence (source-val vs each set) after the last inserted BN (before its ReLU), per arm (seed 1 of the run), clean BNs. */
  divergence: Record<string, Record<string, number>>;
  divergenceLayer: string | null;
  backend: string;
}
