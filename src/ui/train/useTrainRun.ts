/**
 * The Train page's runs: Algorithm 1 on the style world or a folder of images ('train.run'), or plain
 * and AdvBN fine-tuning side by side over seeds ('train.compare'), streamed step by step, with pause /
 * resume / cancel, progress and time left; then keeping the fine-tuned model in this browser.
 */
import { useCallback, useMemo, useRef, useState } from 'react';
import { engine, RequestCancelled } from '../../worker/client';
import type { Requests } from '../../worker/protocol';
import type { KnownModel } from '../../common/registry';
import type { StepResult } from '../../common/train-types';
import type {
  CompareEvent, LayerInfo, ModelRef, TrainCompareRequest, TrainCompareResult, TrainEvent, TrainRunRequest, TrainRunResult,
} from '../../worker/train-protocol';
import { runSettingsOf, useTrainStore, type TrainSettings } from './train-store';
import type { FolderData } from './folder-data';
import { saveTrainedModel, type SavedModel } from './saved-models';

export type RunState = 'idle' | 'running' | 'paused' | 'done' | 'error' | 'cancelled';
export interface Phase { phase: string; done?: number; total?: number }
/** The curves of both arms of the seed being trained (a comparison). */
export interface CompareCurvesState { plain: StepResult[]; advbn: StepResult[]; seed: number; seedIndex: number; seeds: number }
/** The run in flight and its clock (training time, pauses excluded). */
interface RunClock { id: string; ctrl: AbortController; trainStart: number; pausedMs: number; pausedAt: number | null; finished: boolean; lastStepAt: number }

/** The page state a run writes. */
interface RunSetters {
  setState(s: RunState): void;
  setPhase(p: Phase | null): void;
  setTotal(n: number): void;
  setError(e: string | null): void;
  setSteps(s: StepResult[]): void;
  setResult(r: TrainRunResult | null): void;
  setCmp(c: CompareCurvesState | null): void;
  setCmpResult(r: TrainCompareResult | null): void;
}

/** What differs between 'train.run' and 'train.compare': what a training phase and a step event do, and how the curves are shown. */
interface StreamHandlers<E> {
  onTraining(e: Extract<E, { kind: 'phase' }>): void;
  onStep(e: Extract<E, { kind: 'step' }>): void;
  show(): void;
}

/**
 * One streamed training request — the part 'train.run' and 'train.compare' share: phase events set the
 * phase line, step events go to `onStep` and are shown at most ~10 times a second; at the end the run is
 * 'done' (`onResult` gets the result), 'cancelled' or 'error', and its clock stops.
 */
async function streamTraining<Q extends 'train.run' | 'train.compare'>(
  type: Q, req: Requests[Q]['payload'], run: RunClock, ui: RunSetters,
  h: StreamHandlers<Requests[Q]['event']>, onResult: (r: Requests[Q]['result']) => void,
): Promise<void> {
  type E = Requests[Q]['event'];
  let flush = 0;
  const show = () => { flush = 0; h.show(); };
  try {
    const r = await engine().request(type, req, {
      signal: run.ctrl.signal,
      onEvent: (p) => {
        const e = p as TrainEvent | CompareEvent;
        if (e.kind === 'phase') {
          ui.setPhase({ phase: e.phase, done: e.done, total: e.total });
          if (e.phase === 'training') h.onTraining(e as Extract<E, { kind: 'phase' }>);
        } else {
          h.onStep(e as Extract<E, { kind: 'step' }>);
          run.lastStepAt = performance.now();
          ui.setTotal(e.total);
          // Batch React updates: at most ~10 renders per second.
          if (!flush) flush = window.setTimeout(show, 100);
        }
      },
    });
    window.clearTimeout(flush);
    show();
    onResult(r);
    ui.setState('done');
  } catch (e) {
    window.clearTimeout(flush);
    show();
    if (e instanceof RequestCancelled) ui.setState('cancelled');
    else { ui.setError((e as Error).message); ui.setState('error'); }
  } finally {
    run.finished = true;
    ui.setPhase(null);
  }
}

/** One fine-tuning run (plain or AdvBN, as the settings say). */
function trainOne(run: RunClock, req: TrainRunRequest, ui: RunSetters): Promise<void> {
  const buffer: StepResult[] = [];
  return streamTraining('train.run', req, run, ui, {
    onTraining: (e) => { run.trainStart = performance.now(); ui.setTotal(e.total ?? 0); },
    onStep: ({ kind: _k, total: _t, ...step }) => { buffer.push(step); },
    show: () => ui.setSteps([...buffer]),
  }, ui.setResult);
}

/** Plain and AdvBN side by side: one request; step events of both arms; one table at the end. */
function trainCompared(run: RunClock, req: TrainCompareRequest, ui: RunSetters): Promise<void> {
  const seed0 = req.data.kind === 'style-world' ? req.data.seed : 1;
  let cur: CompareCurvesState = { plain: [], advbn: [], seed: seed0, seedIndex: 0, seeds: req.seeds };
  const show = () => { ui.setCmp({ ...cur, plain: [...cur.plain], advbn: [...cur.advbn] }); ui.setSteps([...cur.advbn]); };
  return streamTraining('train.compare', req, run, ui, {
    onTraining: (e) => {
      if (e.seed == null) return;
      cur = { plain: [], advbn: [], seed: e.seed, seedIndex: e.seed - seed0, seeds: req.seeds };
      if (!run.trainStart) run.trainStart = performance.now();
      ui.setTotal(e.total ?? 0);
      show();
    },
    onStep: ({ kind: _k, arm, seed: _s, total: _t, ...step }) => { cur[arm].push(step); },
    show,
  }, ui.setCmpResult);
}

/** Asks the worker to pause (a running run) or resume (a paused one) run `runId`, between steps; returns whether it pauses. */
export async function togglePaused(runId: string, state: RunState): Promise<boolean> {
  const pause = state === 'running';
  await engine().request('train.pause', { runId, paused: pause });
  return pause;
}

/** The worker's request for settings `s` on `model` (a comparison, or one run). */
function requestOf(s: TrainSettings, id: string, model: ModelRef, folder: FolderData | null): { compare: TrainCompareRequest } | { one: TrainRunRequest } {
  const data: TrainRunRequest['data'] = s.data === 'folder' && folder
    ? { kind: 'folder', classes: folder.classes, size: folder.size, pixels: folder.pixels, labels: folder.labels }
    : { kind: 'style-world', trainSize: s.trainSize, seed: s.seed };
  const { advbn, ...settings } = runSettingsOf(s); // a comparison trains both arms
  return s.compare ? { compare: { ...settings, runId: id, model, data, seeds: s.seeds } } : { one: { ...settings, advbn, runId: id, model, data } };
}

export function useTrainRun(model: KnownModel | null, folder: FolderData | null, layers: LayerInfo[]) {
  const [state, setState] = useState<RunState>('idle');
  const [phase, setPhase] = useState<Phase | null>(null);
  const [steps, setSteps] = useState<StepResult[]>([]);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<TrainRunResult | null>(null);
  const [cmp, setCmp] = useState<CompareCurvesState | null>(null);
  const [cmpResult, setCmpResult] = useState<TrainCompareResult | null>(null);
  const [saved, setSaved] = useState<SavedModel | null>(null);
  const [saveError, setSaveError] = useState<string | null>(null);
  const run = useRef<RunClock | null>(null);
  const ui = useMemo<RunSetters>(() => ({ setState, setPhase, setTotal, setError, setSteps, setResult, setCmp, setCmpResult }), []);

  const start = useCallback(async () => {
    if (!model) return;
    const s = useTrainStore.getState().settings;
    if (s.data === 'folder' && !folder) { setError('Pick a folder of images first (one sub-folder per class).'); return; }
    const id = `run-${Date.now()}`;
    const clock: RunClock = { id, ctrl: new AbortController(), trainStart: 0, pausedMs: 0, pausedAt: null, finished: false, lastStepAt: 0 };
    run.current = clock;
    setState('running'); setSteps([]); setTotal(0); setError(null); setResult(null); setCmp(null); setCmpResult(null); setSaved(null); setSaveError(null); setPhase({ phase: 'loading' });
    const req = requestOf(s, id, { source: model.source, entry: model.entry }, folder);
    await ('compare' in req ? trainCompared(clock, req.compare, ui) : trainOne(clock, req.one, ui));
  }, [model, folder, ui]);

  const togglePause = useCallback(async () => {
    const r = run.current;
    if (!r) return;
    const pause = await togglePaused(r.id, state);
    // The run may have ended meanwhile (its last step was in flight): its final state stands.
    if (r.finished || run.current !== r) return;
    if (pause) r.pausedAt = performance.now();
    else if (r.pausedAt !== null) { r.pausedMs += performance.now() - r.pausedAt; r.pausedAt = null; }
    setState(pause ? 'paused' : 'running');
  }, [state]);

  const cancel = useCallback(() => { run.current?.ctrl.abort(); }, []);

  const kept = result ?? cmpResult;
  const save = useCallback(async () => {
    if (!kept || !model) return;
    const settings = useTrainStore.getState().settings;
    setSaveError(null);
    try {
      const splitIdx = layers.findIndex((l) => l.name === settings.layer);
      const decoderLayers = Object.keys(model.entry.decoders).filter((l) => { const i = layers.findIndex((x) => x.name === l); return i >= 0 && i <= splitIdx; });
      const advbn = 'summary' in kept ? true : settings.advbn;
      const name = `${model.entry.name} — ${advbn ? 'AdvBN' : 'plain'} fine-tune at ${settings.layer} (${new Date().toLocaleString()})`;
      setSaved(await saveTrainedModel({ base: model, name, layer: settings.layer, modelJson: kept.modelJson, weights: kept.weights, classes: kept.classes, decoderLayers }));
    } catch (e) {
      setSaveError(`Could not keep the model in this browser: ${(e as Error).message}. Download it instead.`);
    }
  }, [kept, model, layers]);

  const running = state === 'running' || state === 'paused';
  const r = run.current;
  // A comparison runs `seeds` × steps (both arms per step): progress counts over all seeds.
  const seedOffset = cmp ? cmp.seedIndex * total : 0;
  const done = seedOffset + steps.length;
  const allSteps = cmp ? total * cmp.seeds : total;
  // Training time so far (pauses excluded); frozen at the last step once the run is over.
  const now = r && (r.finished || !running) ? r.lastStepAt : performance.now();
  const elapsed = r && r.trainStart ? Math.max(0, now - r.trainStart - r.pausedMs - (r.pausedAt ? now - r.pausedAt : 0)) / 1000 : 0;
  const eta = done > 0 && allSteps > done ? (elapsed / done) * (allSteps - done) : 0;

  return {
    state, running, phase, steps, total, error, setError, result, cmp, cmpResult, kept, saved, saveError,
    progress: { done, allSteps, elapsed, eta, last: steps[steps.length - 1] },
    start, togglePause, cancel, save,
  };
}
