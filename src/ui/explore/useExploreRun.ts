/**
 * The Explore page's run: 'explore.run' for the current request, debounced (a newer request cancels the
 * run in flight), its step events gathered for the view, Stop and Run again; then the worker's tensor
 * count. What the view shows of it belongs to the model shown now only.
 */
import { useEffect, useRef, useState } from 'react';
import { engine, RequestCancelled } from '../../worker/client';
import type { RunEvent, RunRequest, StepEvent } from '../../worker/explore-protocol';
import type { SquareImage } from './images';
import type { Loaded, RunControl } from './useExploreModel';

/** Wait after the last control change before starting a run. */
export const DEBOUNCE_MS = 250;

/** A step as shown: its decoded image (if any) paired with its size once, when it arrives. */
export interface ShownStep extends StepEvent { pic: SquareImage | null }
export interface RunState {
  id: number;
  state: 'idle' | 'running' | 'done' | 'stopped' | 'error';
  error: string | null;
  /** The model (UI key) the run ran on: steps of another model are never shown. */
  modelKey: string;
  steps: ShownStep[];
  /** The previous run's steps (same model), shown (dimmed) until the new run's first step arrives. */
  stale: ShownStep[];
  label: number | null;
  encodeMs: number | null;
  backend: string | null;
  m: number;
  mode: string;
}
const IDLE: RunState = { id: 0, state: 'idle', error: null, modelKey: '', steps: [], stale: [], label: null, encodeMs: null, backend: null, m: 0, mode: 'feature' };

/**
 * Runs `request` (null: nothing to run yet) `DEBOUNCE_MS` after it last changed, on `backend`.
 * `modelKey`: the model shown now; `loaded`: the model the worker holds.
 */
export function useExploreRun(request: RunRequest | null, backend: string | null, modelKey: string, loaded: Loaded | null, runCtrl: RunControl) {
  const [run, setRun] = useState<RunState>(IDLE);
  const [tensors, setTensors] = useState<number | null>(null);
  const [runsDone, setRunsDone] = useState(0);
  const [nonce, setNonce] = useState(0);
  const runId = useRef(0);
  const runKey = request ? JSON.stringify([request, backend, nonce]) : '';
  const requestRef = useRef(request);
  requestRef.current = request;
  /** The run the Stop button cancelled (its error is "stopped", not a failure). */
  const stopped = useRef<AbortController | null>(null);

  useEffect(() => {
    const req = requestRef.current;
    if (!req) return;
    const ctrl = new AbortController();
    const runModel = req.model ?? '';
    const timer = setTimeout(() => {
      runCtrl.current = ctrl;
      const id = ++runId.current;
      setRun((prev) => ({
        ...IDLE, id, state: 'running', modelKey: runModel, m: req.settings.steps, mode: req.mode,
        // Dimmed previous steps only from the same model: another model's pixels have another size.
        stale: prev.modelKey !== runModel ? [] : prev.steps.length ? prev.steps : prev.stale,
      }));
      engine()
        .request('explore.run', req, {
          signal: ctrl.signal,
          onEvent: (p) => {
            if (ctrl.signal.aborted) return;
            const ev = p as RunEvent;
            setRun((r) => {
              if (r.id !== id) return r;
              if (ev.kind === 'start') return { ...r, label: ev.label, encodeMs: ev.encodeMs, backend: ev.backend };
              const step: ShownStep = { ...ev, pic: ev.image ? { rgba: ev.image, size: ev.size } : null };
              return { ...r, steps: [...r.steps, step], stale: [] };
            });
          },
        })
        .then(async () => {
          const mem = await engine().request('memory', {});
          if (ctrl.signal.aborted) return;
          setTensors(mem.numTensors);
          setRun((r) => (r.id === id ? { ...r, state: 'done' } : r));
          setRunsDone((n) => n + 1);
        })
        .catch((e: Error) => {
          if (stopped.current === ctrl) {
            setRun((r) => (r.id === id ? { ...r, state: 'stopped' } : r));
            return;
          }
          if (ctrl.signal.aborted) return;
          // Cancelled by the worker (the model or image it holds changed): nothing to show.
          if (e instanceof RequestCancelled) setRun((r) => (r.id === id ? { ...r, state: 'stopped' } : r));
          else setRun((r) => (r.id === id ? { ...r, state: 'error', error: e.message } : r));
        });
    }, DEBOUNCE_MS);
    return () => { clearTimeout(timer); ctrl.abort(); };
  }, [runKey]);
  const stop = () => {
    const ctrl = runCtrl.current;
    if (!ctrl || ctrl.signal.aborted) return;
    stopped.current = ctrl;
    ctrl.abort();
  };

  // Only steps of the model shown now: after a model switch (menu or link) the old run's pixels, of
  // another input size, are dropped at once, even before the new model has loaded.
  const ofThisModel = run.modelKey === modelKey && loaded?.key === modelKey;
  const shown = !ofThisModel ? [] : run.steps.length ? run.steps : run.stale;
  const stepMs = ofThisModel ? run.steps.map((s) => s.ms) : [];
  const decodeMs = ofThisModel ? run.steps.map((s) => s.decodeMs).filter((v) => v > 0) : [];
  return {
    run, tensors, runsDone, stop,
    rerun: () => setNonce((n) => n + 1),
    /** Forget the steps shown (an error boundary's reset). */
    clear: () => setRun((r) => ({ ...r, steps: [], stale: [] })),
    shown,
    /** The run's state as shown: a run of the previous model is over for this one. */
    runState: (ofThisModel ? run.state : 'idle') as RunState['state'],
    staleShown: ofThisModel && !run.steps.length && run.stale.length > 0,
    first: shown[0] ?? null,
    last: shown[shown.length - 1] ?? null,
    stepMs,
    /** Mean ms of decoding one filmstrip image (apart from the PGD step), or null without a decoder. */
    meanDecodeMs: decodeMs.length ? decodeMs.reduce((a, b) => a + b, 0) / decodeMs.length : null,
    meanMs: stepMs.length ? stepMs.reduce((a, b) => a + b, 0) / stepMs.length : null,
    frames: shown.flatMap((s) => (s.pic ? [s.pic] : [])),
  };
}

export type ExploreRun = ReturnType<typeof useExploreRun>;

export function statusText(run: RunState, loaded: Loaded | null, img: unknown, loadError: string | null): string {
  if (loadError) return 'model could not be loaded';
  if (!loaded) return 'loading the model…';
  if (!img) return 'classifying the image…';
  switch (run.state) {
    case 'idle': return 'ready';
    case 'running': return run.steps.length ? `running PGD: step ${run.steps[run.steps.length - 1]!.step} of ${run.m}` : 'starting PGD…';
    case 'done': return `done: ${run.m} step${run.m === 1 ? '' : 's'}`;
    case 'stopped': return run.steps.length ? `stopped at step ${run.steps[run.steps.length - 1]!.step} of ${run.m}` : 'stopped';
    case 'error': return 'PGD failed';
  }
}
