/**
 * Messages of the Train page's worker handlers. No tfjs here: the UI thread imports these types.
 */
import type { FileSource, RegistryEntry } from '../common/registry';
import type { AdvbnTrainSettings, TrainRunSettings } from '../common/train-settings';
import type { Report, StepResult } from '../common/train-types';
import type { Arm, SummaryRow } from '../common/compare-summary';

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
