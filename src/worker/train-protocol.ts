/**
 * Messages of the Train page's worker handlers. No tfjs here: the UI thread imports these types.
 */
import type { FileSource, RegistryEntry } from '../common/registry';
import type { AdvbnTrainSettings, DomainArmName, TrainRunSettings } from '../common/train-settings';
import type { Report, StepResult } from '../common/train-types';
import type { Arm, SummaryRow } from '../common/compare-summary';
import type { DomainSummary } from '../common/domain-summary';

export interface ModelRef { source: FileSource; entry: RegistryEntry; }

export type TrainData =
  | { kind: 'style-world'; trainSize: number; seed: number }
  /** A folder of the user's images, already decoded to inputSize² RGB bytes on the UI thread. */
  | { kind: 'folder'; classes: string[]; size: number; pixels: Uint8Array; labels: number[] };

export interface TrainRunRequest extends TrainRunSettings {
  runId: string;
  model: ModelRef;
  data: TrainData;
  /** Layers whose feature divergence is reported (default: every ReLU output). */
  divergenceLayers?: string[];
}

export type TrainEvent =
  | { kind: 'phase'; phase: 'loading' | 'rendering' | 'report-before' | 'training' | 'report-after' | 'saving'; done?: number; total?: number }
  | ({ kind: 'step'; total: number } & StepResult);

export interface TrainRunResult {
  runId: string;
  classes: string[];
  steps: number;
  trainSeconds: number;
  before: Report | null;
  after: Report | null;
  /** The fine-tuned model in TF.js layers format. */
  modelJson: string;
  weights: ArrayBuffer;
  settings: AdvbnTrainSettings;
  backend: string;
}

export interface LayerInfo { name: string; kind: string; relu: boolean; }

/** Plain and AdvBN fine-tuning side by side (same base, same images, same order), over `seeds` seeds. */
export interface TrainCompareRequest extends Omit<TrainRunRequest, 'advbn'> {
  /** Number of seeds: data.seed, data.seed + 1, … (style world: each seed renders its own training set). */
  seeds: number;
}

export type CompareEvent =
  | { kind: 'phase'; phase: 'loading' | 'rendering' | 'report-before' | 'training' | 'report-after' | 'saving'; seed?: number | null; done?: number; total?: number }
  | ({ kind: 'step'; arm: Arm; seed: number; total: number } & StepResult);

/** Accuracy of one arm of one seed (the report without its per-layer divergence detail). */
export interface ArmReport { accuracy: Record<string, number>; meanStyle: number; meanCorruption: number; divergenceMean: Report['divergenceMean'] }

export interface TrainCompareResult {
  runId: string;
  classes: string[];
  seeds: number[];
  steps: number;
  base: ArmReport;
  runs: Array<{ seed: number; plain: ArmReport; advbn: ArmReport; trainSeconds: Record<Arm, number> }>;
  summary: SummaryRow[];
  /** The last seed's AdvBN model in TF.js layers format (to keep or download). */
  modelJson: string;
  weights: ArrayBuffer;
  settings: AdvbnTrainSettings;
  backend: string;
}


/** What AdvBN does to a training batch at the current ε, τ, m (the Train page's picture). */
export interface PreviewRequest { model: ModelRef; layer: string; eps: number; tau: number; steps: number; seed: number; n: number }
export interface PreviewResult {
  size: number;
  labels: number[];
  /** RGBA images: the clean batch; decoded m = 0 and decoded AdvBN features (null without a decoder for the layer). */
  clean: Uint8ClampedArray[];
  recon: Uint8ClampedArray[] | null;
  adv: Uint8ClampedArray[] | null;
  /** The base model's predictions on the clean batch and on the AdvBN features (the head in eval mode). */
  cleanPred: number[];
  advPred: number[];
  /** PGD loss at δ = 1 and at the end. */
  loss: [number, number];
  decoderLayer: string | null;
}

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

/** Algorithm 1 on a domains folder: plain / AdvBN / control arms over seeds (see core/domain-compare.ts). */
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
