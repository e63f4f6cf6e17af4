/**
 * Messages of the Train page's worker handlers. No tfjs here: the UI thread imports these types.
 */
import type { FileSource, RegistryEntry } from '../common/registry';
import type { AdvbnTrainSettings, TrainRunSettings } from '../common/train-settings';
import type { Report, StepResult } from '../common/train-types';

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

