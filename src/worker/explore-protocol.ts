/**
 * Messages of the Explore page's worker handlers (payloads, events and results). No tfjs here: the UI
 * thread imports these types.
 */
import type { FileSource, RegistryEntry } from '../common/registry';
import type { LossMode, PgdSettings } from '../common/pgd-settings';


export interface ModelRequest { key: string; source: FileSource; entry: RegistryEntry }
export interface ModelResult { key: string; classes: number; inputSize: number; layers: string[]; ms: number }
/** Weight files read so far (of `total`) and their size in bytes. */
export interface ModelProgress { kind: 'progress'; loaded: number; total: number; bytes: number }

export interface ImageRequest { key: string; rgba: Uint8ClampedArray; width: number; height: number }
export interface ImageResult { key: string; size: number; crop: Uint8ClampedArray; cleanProbs: Float32Array; ms: number }

export type { LossMode };
/** An encoder apart from the classifier, with its decoder for `layer` (image mode: L = CE(C(D(f_adv(E(x)))), y)). */
export interface AutoencoderRef { key: string; source: FileSource; entry: RegistryEntry; layer: string }

export interface RunRequest {
  /**
   * The model and image (UI keys, as sent with 'explore.model' / 'explore.image') the run is meant for.
   * When the worker holds others by the time the run starts (the user switched meanwhile), the run is
   * dropped as cancelled rather than run on the wrong model.
   */
  model?: string;
  image?: string;
  layer: string;
  /** Encode with this encoder instead of the classifier's first layers; null/absent: the classifier's own. */
  autoencoder?: AutoencoderRef | null;
  /** Whether a decoder for `layer` is present (the UI probed it). */
  decoder: boolean;
  mode: LossMode;
  settings: PgdSettings;
  /** Class attacked; null: the clean top-1. */
  label: number | null;
  targeted: boolean;
}
export interface StepEvent {
  kind: 'step';
  step: number;
  loss: number;
  probs: Float32Array;
  /** Probability of the attacked class at this step. */
  attackedProb: number;
  deltaMu: Float32Array;
  deltaSigma: Float32Array;
  /** Decoded image at this step (RGBA, size × size), when a decoder is present. */
  image?: Uint8ClampedArray;
  size: number;
  /** The PGD step's own time (forward, backward, update), ms. */
  ms: number;
  /** Decoding this step's image for the filmstrip, apart from the step (0 without a decoder), ms. */
  decodeMs: number;
}
export interface RunStart { kind: 'start'; label: number; encodeMs: number; backend: string; relu: boolean; channels: number }
export type RunEvent = StepEvent | RunStart;
export interface RunResult { steps: number; label: number; totalMs: number; backend: string }


/** The Explore page's strength sweep (`explore.sweep`): AdvBN at each strength beside random δ of the same ε. */
export interface StrengthSweepRequest {
  model?: string;
  image?: string;
  layer: string;
  decoder: boolean;
  mode: LossMode;
  /** One PGD setting per strength (ε also bounds the random draws). */
  strengths: PgdSettings[];
  /** Class pushed away from; null: the clean top-1. */
  label: number | null;
  randomDraws: number;
  seed: number;
}
export interface StrengthSweepStartEvent { kind: 'sweep-start'; label: number; count: number; backend: string }
/** One strength done: the adversarial δ's decoded image and predictions, and the random draws' p(label). */
export interface StrengthSweepCellEvent {
  kind: 'cell';
  index: number;
  strength: PgdSettings;
  /** Top-1 class and p(label) under the adversarial δ. */
  top1: number;
  top1Prob: number;
  p: number;
  /** p(label) under each random draw, and their top-1 classes. */
  randomP: number[];
  randomTop1: number[];
  /** p(label) under each draw of random δ with the adversarial δ's sizes. */
  matchedP: number[];
  /** Decoded adversarial image (RGBA, size × size), when a decoder is present. */
  image?: Uint8ClampedArray;
  size: number;
  ms: number;
}
export type StrengthSweepEvent = StrengthSweepStartEvent | StrengthSweepCellEvent;
export interface StrengthSweepResult { cells: number; label: number; totalMs: number }

/** Shifts side by side (`explore.shifts`) for the current image and split layer. */
export interface ShiftsRequest {
  model?: string;
  image?: string;
  layer: string;
  decoder: boolean;
  mode: LossMode;
  settings: PgdSettings;
  /** Class compared (pushed away from by PGD); null: the clean top-1. */
  label: number | null;
  randomDraws: number;
  seed: number;
  /** A style image the user dropped (RGBA), centre-cropped to the input size; α blends f and AdaIN's f_s. */
  style: { rgba: Uint8ClampedArray; width: number; height: number; alpha: number } | null;
  /** A corruption of the photo: kind and severity 1–5; null: none. */
  corruption: { name: string; severity: number } | null;
}
/** One shift's outcome: p(label), top-1, and the image shown (decoded, or the corrupted crop), RGBA size × size. */
export interface ShiftOutcome { p: number; top1: number; top1Prob: number; image?: Uint8ClampedArray }
export interface ShiftsResult {
  label: number;
  size: number;
  clean: ShiftOutcome;
  adversarial: ShiftOutcome;
  random: ShiftOutcome[];
  /** Random δ of the adversarial δ's sizes (never decoded). */
  matched: ShiftOutcome[];
  adain: ShiftOutcome | null;
  corrupted: ShiftOutcome | null;
  /** The style image as the model saw it (centre crop), when one was given. */
  styleCrop: Uint8ClampedArray | null;
  ms: number;
}
