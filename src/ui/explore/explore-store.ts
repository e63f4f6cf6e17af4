/**
 * Explore settings: a zustand store whose fields are mirrored in the URL hash
 * (`#/explore?model=vgg19&layer=block3_conv1&eps=1.1&tau=0.2&steps=6&…`), so a link reproduces them.
 * Pure helpers (`settingsFromParams`, `settingsToParams`) do the conversion and are unit-tested.
 */
import { create } from 'zustand';
import { parseFields, serializeFields, type FieldSpec } from '../url-state';
import { ablationEps, PAPER_DEFAULTS } from '../../common/pgd-settings';
import { SEVERITY_CORRUPTIONS } from '../../common/shift-summary';

export type LossMode = 'feature' | 'image';

export interface ExploreSettings {
  /** Registry id of the model; '' = the first one present. */
  model: string;
  /** Split layer; '' = the model's default. */
  layer: string;
  /**
   * Autoencoder apart from the classifier: registry id of an encoder (with its decoder); '' = the
   * classifier's own first layers and the decoders listed with it. With one, the loss is image mode.
   */
  ae: string;
  eps: number;
  tau: number;
  steps: number;
  /** Keep ε = m·τ − 0.1 (the paper's ablation). */
  coupled: boolean;
  mode: LossMode;
  /** Attacked class; -1 = the clean top-1 prediction. */
  label: number;
  targeted: boolean;
  /** The strength sweep: '' none; 'paper': τ = 0.2, m = 1…8, ε = m·τ − 0.1; 'grid': the ε list at this m and τ. */
  strengthSweep: StrengthSweepKind;
  /** The ε list of a 'grid' sweep, comma-separated. */
  strengthSweepEps: string;
  /** Random-δ draws per strength in the sweep (and in the shifts side by side). */
  draws: number;
  /** The shifts side by side are open. */
  shifts: boolean;
  /** AdaIN strength α (0–1) toward the dropped style image. */
  alpha: number;
  /** The compared corruption (one of SEVERITY_CORRUPTIONS) and its severity 1–5. */
  corruption: string;
  severity: number;
}

export type StrengthSweepKind = '' | 'paper' | 'grid';
export const DEFAULT_SWEEP_EPS = '0,0.3,0.5,0.7,0.9,1.1';
export const MAX_SWEEP_CELLS = 12;
export const MAX_DRAWS = 10;

export const RANGES = {
  eps: { min: 0, max: 2, step: 0.05 },
  tau: { min: 0.01, max: 1, step: 0.01 },
  steps: { min: 0, max: 20, step: 1 },
  alpha: { min: 0, max: 1, step: 0.05 },
  severity: { min: 1, max: 5, step: 1 },
} as const;

export const DEFAULT_SETTINGS: Readonly<ExploreSettings> = Object.freeze({
  model: '', layer: '', ae: '',
  eps: PAPER_DEFAULTS.eps, tau: PAPER_DEFAULTS.tau, steps: PAPER_DEFAULTS.steps,
  coupled: false, mode: 'feature', label: -1, targeted: false,
  strengthSweep: '', strengthSweepEps: DEFAULT_SWEEP_EPS, draws: 3,
  shifts: false, alpha: 1, corruption: 'noise', severity: 3,
});

export const SETTINGS_FIELDS: FieldSpec = {
  model: 'string', layer: 'string', ae: 'string', eps: 'number', tau: 'number', steps: 'number',
  coupled: 'boolean', mode: 'string', label: 'number', targeted: 'boolean',
  // The strength sweep's URL parameters keep their first names (sweep, sweepEps), so saved links still work.
  strengthSweep: { type: 'string', param: 'sweep' }, strengthSweepEps: { type: 'string', param: 'sweepEps' }, draws: 'number',
  shifts: 'boolean', alpha: 'number', corruption: 'string', severity: 'number',
};

/** The ε values of a grid list: numbers in the ε slider's range, at most MAX_SWEEP_CELLS; null if it is not one. */
export function parseSweepEps(text: string): number[] | null {
  const parts = text.split(',').map((t) => t.trim()).filter(Boolean);
  if (!parts.length || parts.length > MAX_SWEEP_CELLS) return null;
  const eps = parts.map(Number);
  return eps.every((e) => Number.isFinite(e) && e >= RANGES.eps.min && e <= RANGES.eps.max) ? eps : null;
}

/** The sweep's strengths: the paper's m = 1…8 at τ = 0.2, or the ε grid at the current m and τ. */
export function sweepStrengths(s: Pick<ExploreSettings, 'strengthSweep' | 'strengthSweepEps' | 'tau' | 'steps'>): Array<{ eps: number; tau: number; steps: number }> {
  if (s.strengthSweep === 'paper') return Array.from({ length: 8 }, (_, i) => ({ eps: ablationEps(i + 1, 0.2), tau: 0.2, steps: i + 1 }));
  if (s.strengthSweep === 'grid') return (parseSweepEps(s.strengthSweepEps) ?? parseSweepEps(DEFAULT_SWEEP_EPS)!).map((eps) => ({ eps, tau: s.tau, steps: s.steps }));
  return [];
}

const round = (v: number, digits = 4) => Math.round(v * 10 ** digits) / 10 ** digits;
const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** Brings settings into the controls' ranges; applies the ε coupling. Never returns NaN. */
export function normalizeSettings(s: ExploreSettings): ExploreSettings {
  const out = { ...s };
  out.tau = round(clamp(Number.isFinite(s.tau) ? s.tau : DEFAULT_SETTINGS.tau, RANGES.tau.min, RANGES.tau.max));
  out.steps = Math.round(clamp(Number.isFinite(s.steps) ? s.steps : DEFAULT_SETTINGS.steps, RANGES.steps.min, RANGES.steps.max));
  out.eps = round(clamp(Number.isFinite(s.eps) ? s.eps : DEFAULT_SETTINGS.eps, RANGES.eps.min, RANGES.eps.max));
  if (out.coupled) out.eps = round(clamp(ablationEps(out.steps, out.tau), RANGES.eps.min, RANGES.eps.max));
  if (out.mode !== 'feature' && out.mode !== 'image') out.mode = 'feature';
  out.label = Number.isInteger(s.label) && s.label >= 0 ? s.label : -1;
  if (out.strengthSweep !== '' && out.strengthSweep !== 'paper' && out.strengthSweep !== 'grid') out.strengthSweep = '';
  const eps = typeof s.strengthSweepEps === 'string' ? parseSweepEps(s.strengthSweepEps) : null;
  out.strengthSweepEps = eps ? eps.join(',') : DEFAULT_SWEEP_EPS;
  out.draws = Math.round(clamp(Number.isFinite(s.draws) ? s.draws : DEFAULT_SETTINGS.draws, 0, MAX_DRAWS));
  out.shifts = s.shifts === true;
  // α on the slider's 0.05 grid.
  out.alpha = round(Math.round(clamp(Number.isFinite(s.alpha) ? s.alpha : DEFAULT_SETTINGS.alpha, RANGES.alpha.min, RANGES.alpha.max) / RANGES.alpha.step) * RANGES.alpha.step, 2);
  if (!(SEVERITY_CORRUPTIONS as readonly string[]).includes(out.corruption)) out.corruption = DEFAULT_SETTINGS.corruption;
  out.severity = Math.round(clamp(Number.isFinite(s.severity) ? s.severity : DEFAULT_SETTINGS.severity, RANGES.severity.min, RANGES.severity.max));
  return out;
}

/** URL parameters → full settings (missing or unparseable fields take their defaults). */
export function settingsFromParams(params: URLSearchParams): ExploreSettings {
  const parsed = parseFields<ExploreSettings & Record<string, unknown>>(params, SETTINGS_FIELDS) as Partial<ExploreSettings>;
  return normalizeSettings({ ...DEFAULT_SETTINGS, ...parsed });
}

const BACKENDS = ['auto', 'webgpu', 'webgl', 'wasm', 'cpu'];

/**
 * What a link asks for that cannot be used as it is (NaN, out of range, unknown words), for people:
 * one sentence per value, saying what is used instead. Empty when the link is fine. (Model and layer
 * names depend on the models present and are checked on the page.)
 */
export function linkProblems(params: URLSearchParams): string[] {
  const out: string[] = [];
  const s = settingsFromParams(params);
  for (const key of ['eps', 'tau', 'steps'] as const) {
    const raw = params.get(key);
    if (raw === null) continue;
    const n = Number(raw);
    const { min, max } = RANGES[key];
    if (raw.trim() === '' || !Number.isFinite(n)) out.push(`${key}=${raw} in the link is not a number; using ${s[key]}.`);
    else if (key === 'eps' && s.coupled) continue;
    else if (n < min || n > max) out.push(`${key}=${raw} in the link is outside ${min}–${max}; using ${s[key]}.`);
    else if (n !== s[key]) out.push(`${key}=${raw} in the link is not a step of the slider; using ${s[key]}.`);
  }
  const label = params.get('label');
  if (label !== null && !(label.trim() !== '' && Number.isInteger(Number(label)) && Number(label) >= -1)) {
    out.push(`label=${label} in the link is not a class number; attacking the clean top-1.`);
  }
  const mode = params.get('mode');
  if (mode !== null && mode !== 'feature' && mode !== 'image') out.push(`mode=${mode} in the link is unknown (feature or image); using feature.`);
  for (const key of ['coupled', 'targeted', 'shifts'] as const) {
    const raw = params.get(key);
    if (raw !== null && !['0', '1', 'true', 'false'].includes(raw)) out.push(`${key}=${raw} in the link is not 0 or 1; using ${s[key] ? 1 : 0}.`);
  }
  const sweep = params.get('sweep');
  if (sweep !== null && !['', 'paper', 'grid'].includes(sweep)) out.push(`sweep=${sweep} in the link is unknown (paper or grid); no sweep.`);
  const sweepEps = params.get('sweepEps');
  if (sweepEps !== null && !parseSweepEps(sweepEps)) out.push(`sweepEps=${sweepEps} in the link is not a list of up to ${MAX_SWEEP_CELLS} ε from ${RANGES.eps.min} to ${RANGES.eps.max}; using ${s.strengthSweepEps}.`);
  const draws = params.get('draws');
  if (draws !== null && String(s.draws) !== draws) out.push(`draws=${draws} in the link is not a whole number from 0 to ${MAX_DRAWS}; using ${s.draws}.`);
  for (const key of ['alpha', 'severity'] as const) {
    const raw = params.get(key);
    if (raw !== null && String(s[key]) !== raw) out.push(`${key}=${raw} in the link is not ${key === 'alpha' ? 'a step of 0.05 from 0 to 1' : 'a whole number from 1 to 5'}; using ${s[key]}.`);
  }
  const corruption = params.get('corruption');
  if (corruption !== null && corruption !== s.corruption) out.push(`corruption=${corruption} in the link is unknown (${SEVERITY_CORRUPTIONS.join(', ')}); using ${s.corruption}.`);
  const backend = params.get('backend');
  if (backend !== null && !BACKENDS.includes(backend)) out.push(`backend=${backend} in the link is unknown (webgpu, webgl, wasm or cpu); choosing one automatically.`);
  return out;
}

/** Settings → URL parameters (only fields that differ from the defaults, to keep links short). */
export function settingsToParams(s: ExploreSettings): URLSearchParams {
  const changed: Record<string, unknown> = {};
  for (const k of Object.keys(SETTINGS_FIELDS) as Array<keyof ExploreSettings>) {
    if (s[k] !== DEFAULT_SETTINGS[k]) changed[k] = s[k];
  }
  return serializeFields(changed, SETTINGS_FIELDS);
}

export interface ExploreStore extends ExploreSettings {
  set(patch: Partial<ExploreSettings>): void;
  paperDefaults(): void;
  replace(s: ExploreSettings): void;
}

export const useExplore = create<ExploreStore>((set, get) => ({
  ...DEFAULT_SETTINGS,
  set: (patch) => {
    const cur = get();
    const next = normalizeSettings({ ...pick(cur), ...patch });
    // Moving ε by hand ends the coupling.
    if (patch.eps !== undefined && patch.coupled === undefined && cur.coupled) {
      next.coupled = false;
      next.eps = normalizeSettings({ ...next, eps: patch.eps }).eps;
    }
    set(next);
  },
  paperDefaults: () => set(normalizeSettings({ ...pick(get()), eps: PAPER_DEFAULTS.eps, tau: PAPER_DEFAULTS.tau, steps: PAPER_DEFAULTS.steps })),
  replace: (s) => set(normalizeSettings(s)),
}));

export function pick(s: ExploreSettings): ExploreSettings {
  return {
    model: s.model, layer: s.layer, ae: s.ae, eps: s.eps, tau: s.tau, steps: s.steps, coupled: s.coupled,
    mode: s.mode, label: s.label, targeted: s.targeted, strengthSweep: s.strengthSweep, strengthSweepEps: s.strengthSweepEps, draws: s.draws,
    shifts: s.shifts, alpha: s.alpha, corruption: s.corruption, severity: s.severity,
  };
}
