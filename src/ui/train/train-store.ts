/**
 * Train page settings: a zustand store mirrored in the URL hash
 * (`#/train?model=style-world&layer=block2_relu1&advbn=1&epochs=2&…`), so a link reproduces a run's setup.
 */
import { create } from 'zustand';
import { parseFields, serializeFields, type FieldSpec } from '../url-state';
import { DEFAULT_TRAIN_SETTINGS, DOMAIN_DEFAULTS as D, type TrainRunSettings } from '../../common/train-settings';

export type DataKind = 'style-world' | 'folder' | 'domains';

export interface TrainSettings extends TrainRunSettings {
  model: string;
  data: DataKind;
  /** Train plain and AdvBN fine-tuning side by side (same base, data and order) and compare them. */
  compare: boolean;
  /** Seeds of a comparison (mean ± std over them). */
  seeds: number;
  trainSize: number;
  seed: number;
  /** Domains comparison (data = 'domains'): VGG-19 model, split layer, image size, source domain, … */
  dModel: string;
  dLayer: string;
  dSize: number;
  dSource: string;
  dTestSize: number;
  dEpochs: number;
  dLr: number;
  dEps: number;
  dTau: number;
  dM: number;
  /** Also train the random-δ control arm. */
  dRandom: boolean;
  /** The m sweep (the paper's strength ablation) instead of the arms: m values ("0,1,2,3,6"); empty: the three-arm comparison. */
  dMSweep: string;
}

export const DEFAULT_TRAIN_UI: Readonly<TrainSettings> = Object.freeze({
  model: 'style-world', layer: '', data: 'style-world', compare: true, seeds: 1, advbn: true,
  eps: DEFAULT_TRAIN_SETTINGS.pgd.eps, tau: DEFAULT_TRAIN_SETTINGS.pgd.tau, pgdSteps: DEFAULT_TRAIN_SETTINGS.pgd.steps,
  lr: DEFAULT_TRAIN_SETTINGS.lr, epochs: 2, batchSize: 32, trainSize: 1000, testSize: 100, seed: 1,
  // The CLI's 2-core defaults (advbn train --data DIR): see src/cli/commands/train-domains.ts.
  dModel: '', dLayer: D.layer, dSize: D.size, dSource: 'photo', dTestSize: D.testSize, dEpochs: D.epochs, dLr: D.lr, dEps: D.pgd.eps, dTau: D.pgd.tau, dM: D.pgd.steps, dRandom: true, dMSweep: '',
});

export const TRAIN_FIELDS: FieldSpec = {
  model: 'string', layer: 'string', data: 'string', compare: 'boolean', seeds: 'number', advbn: 'boolean', eps: 'number', tau: 'number', pgdSteps: 'number',
  lr: 'number', epochs: 'number', batchSize: 'number', trainSize: 'number', testSize: 'number', seed: 'number',
  dModel: 'string', dLayer: 'string', dSize: 'number', dSource: 'string', dTestSize: 'number', dEpochs: 'number', dLr: 'number',
  dEps: 'number', dTau: 'number', dM: 'number', dRandom: 'boolean',
  // The m sweep's URL parameter keeps its first name (dSweep), so saved links still work.
  dMSweep: { type: 'string', param: 'dSweep' },
};

const clamp = (v: number, lo: number, hi: number, fallback: number) => (Number.isFinite(v) ? Math.min(hi, Math.max(lo, v)) : fallback);

/** Brings settings into range (never NaN, whole numbers where needed). */
export function normalizeTrainSettings(s: TrainSettings): TrainSettings {
  const d = DEFAULT_TRAIN_UI;
  return {
    ...s,
    data: s.data === 'folder' || s.data === 'domains' ? s.data : 'style-world',
    compare: s.compare !== false, seeds: Math.round(clamp(s.seeds, 1, 10, d.seeds)),
    eps: clamp(s.eps, 0, 2, d.eps), tau: clamp(s.tau, 0, 1, d.tau), pgdSteps: Math.round(clamp(s.pgdSteps, 0, 20, d.pgdSteps)),
    lr: clamp(s.lr, 1e-5, 1, d.lr), epochs: clamp(s.epochs, 0.05, 50, d.epochs),
    batchSize: Math.round(clamp(s.batchSize, 2, 256, d.batchSize)), trainSize: Math.round(clamp(s.trainSize, 16, 20000, d.trainSize)),
    testSize: Math.round(clamp(s.testSize, 0, 2000, d.testSize)), seed: Math.round(clamp(s.seed, 0, 1e9, d.seed)),
    dSize: Math.round(clamp(s.dSize, 32, 224, d.dSize)), dTestSize: Math.round(clamp(s.dTestSize, 0, 5000, d.dTestSize)),
    dEpochs: clamp(s.dEpochs, 0.05, 50, d.dEpochs), dLr: clamp(s.dLr, 1e-6, 1, d.dLr), dEps: clamp(s.dEps, 0, 2, d.dEps),
    dTau: clamp(s.dTau, 0, 1, d.dTau), dM: Math.round(clamp(s.dM, 1, 20, d.dM)), dRandom: s.dRandom !== false, dMSweep: typeof s.dMSweep === 'string' ? s.dMSweep : '',
  };
}

/**
 * The m values of an m sweep ("0, 1, 2, 3, 6" → [0, 1, 2, 3, 6]); null for none; an Error naming what
 * is wrong for a list that is not whole numbers from 0 to 20 starting with 0.
 */
export function parseSweepM(text: string): number[] | null | Error {
  if (!text.trim()) return null;
  const ms = text.split(',').map((x) => Number(x.trim()));
  if (ms.some((m, i) => !Number.isInteger(m) || m < 0 || m > 20 || text.split(',')[i]!.trim() === '')) return new Error(`The m list must be whole numbers from 0 to 20 separated by commas, got "${text}".`);
  if (ms[0] !== 0) return new Error('The m list must start with 0 (plain fine-tuning, the reference of every Δ).');
  return ms;
}

/** The fields of a run that the worker request takes (the one definition: TrainRunSettings). */
export function runSettingsOf(s: TrainSettings): TrainRunSettings {
  const { layer, advbn, eps, tau, pgdSteps, lr, epochs, batchSize, testSize } = s;
  return { layer, advbn, eps, tau, pgdSteps, lr, epochs, batchSize, testSize };
}

export function trainSettingsFromParams(p: URLSearchParams): TrainSettings {
  return normalizeTrainSettings({ ...DEFAULT_TRAIN_UI, ...parseFields<TrainSettings & Record<string, unknown>>(p, TRAIN_FIELDS) });
}

export function trainSettingsToParams(s: TrainSettings): URLSearchParams {
  return serializeFields(s as unknown as Record<string, unknown>, TRAIN_FIELDS);
}

interface TrainStore {
  settings: TrainSettings;
  set(patch: Partial<TrainSettings>): void;
  replace(s: TrainSettings): void;
}

export const useTrainStore = create<TrainStore>((set) => ({
  settings: { ...DEFAULT_TRAIN_UI },
  set: (patch) => set((st) => ({ settings: normalizeTrainSettings({ ...st.settings, ...patch }) })),
  replace: (s) => set({ settings: normalizeTrainSettings(s) }),
}));
