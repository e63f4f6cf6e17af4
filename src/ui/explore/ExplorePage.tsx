/**
 * The Explore page: one image, one classifier split at a layer, AdvBN's PGD on the feature statistics,
 * and what it does (decoded images per step, predictions, loss, δ). All tfjs work runs in the engine
 * worker (src/worker/explore-handlers.ts); this page orchestrates:
 *
 *   models (registry probe / picked folder) → 'explore.model' → 'explore.image' (crop + clean
 *   predictions) → 'explore.run' (debounced; a newer run cancels the one in flight) → step events.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { engine, RequestCancelled } from '../../worker/client';
import type { MemoryResult } from '../../worker/protocol';
import type { ImageResult, ModelProgress, ModelResult, RunEvent, RunRequest, RunResult, StepEvent } from '../../worker/explore-protocol';
import { useApp } from '../app-store';
import { readHash, writeHash } from '../url-state';
import { BACKEND_ORDER, type BackendName } from '../../worker/backend-names';
import { entryLabels, initialLayer, offeredLayers, type KnownModel } from '../../common/registry';
import { pick, settingsFromParams, settingsToParams, useExplore } from './explore-store';
import { downloadCanvas, exportScale, sampleImage, stripCanvas, type SourceImage } from './images';
import { ImageInput } from './ImageInput';
import { Controls } from './Controls';
import { DeltaChart, LossChart, Predictions, RgbaView } from './Charts';
import { ModelPanel, NoModelPanel, useModels } from './ModelPanel';
import './explore.css';

/** Wait after the last control change before starting a run. */
export const DEBOUNCE_MS = 250;

/** Settings ⇄ URL hash (and the requested backend, as `backend=`). */
function useUrlSync() {
  useEffect(() => {
    const apply = () => {
      const { page, params } = readHash();
      if (page !== 'explore' && page !== '') return;
      const s = settingsFromParams(params);
      if (JSON.stringify(s) !== JSON.stringify(pick(useExplore.getState()))) useExplore.getState().replace(s);
      const b = params.get('backend');
      const app = useApp.getState();
      const want = b && (BACKEND_ORDER as string[]).includes(b) ? (b as BackendName) : 'auto';
      if (want !== app.requestedBackend) app.setRequestedBackend(want);
    };
    const write = () => {
      if (useApp.getState().page !== 'explore') return;
      const { page } = readHash();
      if (page !== 'explore' && page !== '') return;
      const p = settingsToParams(pick(useExplore.getState()));
      const b = useApp.getState().requestedBackend;
      if (b !== 'auto') p.set('backend', b);
      writeHash('explore', p);
    };
    apply();
    write();
    const un1 = useExplore.subscribe(write);
    const un2 = useApp.subscribe((s, prev) => { if (s.requestedBackend !== prev.requestedBackend) write(); });
    window.addEventListener('hashchange', apply);
    return () => { un1(); un2(); window.removeEventListener('hashchange', apply); };
  }, []);
}

interface Loaded { key: string; classes: number; inputSize: number; layers: string[]; labels: string[]; ms: number }
interface RunState {
  id: number;
  state: 'idle' | 'running' | 'done' | 'error';
  error: string | null;
  steps: StepEvent[];
  /** The previous run's steps, shown (dimmed) until the new run's first step arrives. */
  stale: StepEvent[];
  label: number | null;
  encodeMs: number | null;
  backend: string | null;
  m: number;
  mode: string;
}
const IDLE: RunState = { id: 0, state: 'idle', error: null, steps: [], stale: [], label: null, encodeMs: null, backend: null, m: 0, mode: 'feature' };

export function ExplorePage() {
  useUrlSync();
  const settings = useExplore(useShallow(pick));
  const setSettings = useExplore((s) => s.set);
  const backend = useApp((s) => s.backend);
  const { models, modelsError, refresh, pickFolder, folderError, folderBusy } = useModels();

  // ---- the model ----
  const present = models?.filter((m) => m.present) ?? [];
  // A link that names a model not available here loads nothing (rather than a 138 MB fallback): the
  // model panel says so and offers the others.
  const current: KnownModel | null = settings.model ? present.find((m) => m.entry.id === settings.model) ?? null : present[0] ?? null;
  const modelKey = current ? `${current.origin}|${current.entry.id}` : '';
  /** The run in flight: a new image or model cancels it at once (not only when its result arrives). */
  const runCtrl = useRef<AbortController | null>(null);
  const [engineReady, setEngineReady] = useState(false);
  useEffect(() => { if (backend) setEngineReady(true); }, [backend]);
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [progress, setProgress] = useState<ModelProgress | null>(null);
  const currentRef = useRef(current);
  currentRef.current = current;

  useEffect(() => {
    const m = currentRef.current;
    if (!m || !engineReady) return;
    runCtrl.current?.abort();
    const ctrl = new AbortController();
    setLoaded(null);
    setLoadError(null);
    setProgress(null);
    engine()
      .request<ModelResult>('explore.model', { key: modelKey, source: m.source, entry: m.entry }, { signal: ctrl.signal, onEvent: (p) => setProgress(p as ModelProgress) })
      .then((r) => {
        if (ctrl.signal.aborted) return;
        setLoaded({ ...r, labels: entryLabels(m.entry, r.classes) });
      })
      .catch((e: Error) => { if (!ctrl.signal.aborted && !(e instanceof RequestCancelled)) setLoadError(e.message); });
    return () => ctrl.abort();
  }, [modelKey, engineReady]);

  // ---- the image ----
  const [source, setSource] = useState<SourceImage>(() => sampleImage());
  const [imgRes, setImgRes] = useState<(ImageResult & { modelKey: string }) | null>(null);
  const [imgError, setImgError] = useState<string | null>(null);
  useEffect(() => {
    if (!loaded) return;
    runCtrl.current?.abort();
    const ctrl = new AbortController();
    setImgError(null);
    engine()
      .request<ImageResult>('explore.image', { key: source.key, rgba: source.rgba, width: source.width, height: source.height }, { signal: ctrl.signal })
      .then((r) => { if (!ctrl.signal.aborted) setImgRes({ ...r, modelKey: loaded.key }); })
      .catch((e: Error) => { if (!ctrl.signal.aborted && !(e instanceof RequestCancelled)) setImgError(e.message); });
    return () => ctrl.abort();
  }, [loaded, source]);
  const img = imgRes && loaded && imgRes.modelKey === loaded.key ? imgRes : null;

  // ---- layer, mode, label ----
  const layers = useMemo(() => {
    if (!current) return [];
    return offeredLayers(current.entry, current.decoders)
      .filter((l) => !loaded || loaded.layers.includes(l))
      .map((name) => ({ name, decoder: current.decoders.includes(name) }));
  }, [current, loaded]);
  const layer = current ? initialLayer(current.entry, current.decoders, settings.layer) : '';
  const hasDecoder = !!current?.decoders.includes(layer);
  // Links name the model and layer actually shown, so they reproduce the view on another machine.
  useEffect(() => {
    if (!current) return;
    const patch: { model?: string; layer?: string } = {};
    if (settings.model !== current.entry.id) patch.model = current.entry.id;
    if (settings.layer !== layer && (loaded?.layers.includes(layer) ?? false)) patch.layer = layer;
    if (patch.model !== undefined || patch.layer !== undefined) setSettings(patch);
  }, [current, layer, loaded, settings.model, settings.layer, setSettings]);
  const labels = loaded?.labels ?? [];
  const cleanTop1 = img ? argmax(img.cleanProbs) : null;

  // ---- the run ----
  const [run, setRun] = useState<RunState>(IDLE);
  const [tensors, setTensors] = useState<number | null>(null);
  const [runsDone, setRunsDone] = useState(0);
  const [nonce, setNonce] = useState(0);
  const runId = useRef(0);
  const request: RunRequest | null = img && loaded && backend ? {
    layer, decoder: hasDecoder, mode: settings.mode,
    settings: { eps: settings.eps, tau: settings.tau, steps: settings.steps },
    label: settings.label >= 0 ? settings.label : null, targeted: settings.targeted,
  } : null;
  const runKey = request ? JSON.stringify([request, img!.key, loaded!.key, backend, nonce]) : '';
  const requestRef = useRef(request);
  requestRef.current = request;

  useEffect(() => {
    const req = requestRef.current;
    if (!req) return;
    const ctrl = new AbortController();
    const timer = setTimeout(() => {
      runCtrl.current = ctrl;
      const id = ++runId.current;
      setRun((prev) => ({ ...IDLE, id, state: 'running', stale: prev.steps.length ? prev.steps : prev.stale, m: req.settings.steps, mode: req.mode }));
      engine()
        .request<RunResult>('explore.run', req, {
          signal: ctrl.signal,
          onEvent: (p) => {
            if (ctrl.signal.aborted) return;
            const ev = p as RunEvent;
            setRun((r) => {
              if (r.id !== id) return r;
              if (ev.kind === 'start') return { ...r, label: ev.label, encodeMs: ev.encodeMs, backend: ev.backend };
              return { ...r, steps: [...r.steps, ev], stale: [] };
            });
          },
        })
        .then(async () => {
          const mem = await engine().request<MemoryResult>('memory', {});
          if (ctrl.signal.aborted) return;
          setTensors(mem.numTensors);
          setRun((r) => (r.id === id ? { ...r, state: 'done' } : r));
          setRunsDone((n) => n + 1);
        })
        .catch((e: Error) => {
          if (ctrl.signal.aborted || e instanceof RequestCancelled) return;
          setRun((r) => (r.id === id ? { ...r, state: 'error', error: e.message } : r));
        });
    }, DEBOUNCE_MS);
    return () => { clearTimeout(timer); ctrl.abort(); };
  }, [runKey]);

  // ---- what to show ----
  const shown = run.steps.length ? run.steps : run.stale;
  const staleShown = !run.steps.length && run.stale.length > 0;
  const first = shown[0] ?? null;
  const last = shown[shown.length - 1] ?? null;
  const size = img?.size ?? current?.entry.inputSize ?? 0;
  const attacked = run.label ?? (settings.label >= 0 ? settings.label : cleanTop1);
  const stepMs = run.steps.map((s) => s.ms);
  const meanMs = stepMs.length ? stepMs.reduce((a, b) => a + b, 0) / stepMs.length : null;
  const frames = shown.filter((s) => s.image).map((s) => s.image!);

  const download = useCallback(async (what: 'adv' | 'strip') => {
    if (!frames.length || !size) return;
    const scale = exportScale(size);
    const c = what === 'adv' ? stripCanvas([frames[frames.length - 1]!], size, scale, 0) : stripCanvas(frames, size, scale);
    const tag = `${current?.entry.id}-${layer}-eps${settings.eps}-tau${settings.tau}-m${settings.steps}`;
    await downloadCanvas(c, what === 'adv' ? `advbn-${tag}.png` : `advbn-filmstrip-${tag}.png`);
  }, [frames, size, current, layer, settings.eps, settings.tau, settings.steps]);

  if (!models) {
    return <section className="explore"><div className="panel muted" data-testid="models-probing">looking for models…</div></section>;
  }
  if (!present.length) {
    return (
      <section className="explore">
        <NoModelPanel error={modelsError} models={models} onPick={pickFolder} folderError={folderError} busy={folderBusy} />
      </section>
    );
  }

  return (
    <section className="explore">
      <div className="explore-grid">
        <div className="col-left">
          <ModelPanel
            models={models} current={current} onSelect={(id) => setSettings({ model: id, layer: '', label: -1 })} onPick={pickFolder} onRefresh={refresh}
            folderError={folderError} busy={folderBusy} loaded={!!loaded} loadError={loadError} progress={progress}
            requested={settings.model} loadMs={loaded?.ms ?? null}
          />
          <ImageInput image={source} onImage={setSource} />
          {imgError && <div className="error" role="alert">{imgError}</div>}
          <Controls layers={layers} layer={layer} hasDecoder={hasDecoder} labels={labels} cleanTop1={cleanTop1} />
        </div>
        <div className="col-right">
          <div className="panel">
            <div className="row status-row">
              <span data-testid="run-status" data-state={run.state} data-runs={runsDone} data-step={last?.step ?? -1} role="status">
                {statusText(run, loaded, img, loadError)}
              </span>
              <span className="muted" data-testid="timing">
                {meanMs !== null ? `${meanMs.toFixed(0)} ms/step (${run.backend ?? backend}, ${current?.entry.id} @ ${layer}, ${run.mode} loss)` : ''}
                {run.encodeMs !== null && run.steps.length ? (run.encodeMs < 1 ? ' · features cached' : ` · encode ${run.encodeMs.toFixed(0)} ms`) : ''}
              </span>
              <span className="muted" data-testid="tensors" data-count={tensors ?? ''}>{tensors !== null ? `worker tensors: ${tensors}` : ''}</span>
              <button type="button" onClick={() => setNonce((n) => n + 1)} disabled={!request}>Run again</button>
            </div>
            {run.state === 'error' && <div className="error" role="alert" data-testid="run-error">{run.error}</div>}
          </div>

          <div className={`panel triptych ${staleShown ? 'stale' : ''}`}>
            <figure>
              <RgbaView rgba={img?.crop ?? null} size={size} testid="img-original" label="Original crop" />
              <figcaption>original crop ({size}×{size})</figcaption>
            </figure>
            <figure>
              <RgbaView rgba={first?.image ?? null} size={size} testid="img-recon" label="Reconstruction (m = 0)" />
              <figcaption>decoder reconstruction (m = 0)</figcaption>
            </figure>
            <figure>
              <RgbaView rgba={last && last.step > 0 ? last.image ?? null : null} size={size} testid="img-adv" label="Decoded adversarial" className="adv" />
              <figcaption>decoded adversarial{last && last.step > 0 ? ` (step ${last.step} of ${run.m})` : ''}</figcaption>
            </figure>
            {!hasDecoder && current && (
              <p className="muted note">No decoder for {layer} in this model's folder: AdvBN still runs on the features (see the predictions), but they cannot be shown as an image. Pick a layer with a decoder, or train one: <code>advbn train-decoder --layer {layer}</code>.</p>
            )}
            <div className="row downloads">
              <button type="button" onClick={() => void download('adv')} disabled={!frames.length}>Download adversarial PNG</button>
              <button type="button" onClick={() => void download('strip')} disabled={!frames.length}>Download filmstrip PNG</button>
            </div>
          </div>

          <div className={`panel ${staleShown ? 'stale' : ''}`}>
            <h3>Filmstrip: the decoded image after every PGD step</h3>
            <div className="filmstrip" data-testid="filmstrip" data-frames={shown.length}>
              {shown.map((s) => (
                <figure key={s.step} data-testid="frame">
                  <RgbaView rgba={s.image ?? null} size={size} testid={`frame-${s.step}`} label={`step ${s.step}`} />
                  <figcaption>m = {s.step}<br /><span className="muted">{attacked !== null ? `${(s.attackedProb * 100).toFixed(0)}%` : ''}</span></figcaption>
                </figure>
              ))}
            </div>
          </div>

          <div className="panel preds-row">
            <Predictions title="Clean (original crop)" probs={img?.cleanProbs ?? null} labels={labels} testid="clean-preds" kind="clean" highlight={attacked ?? undefined} />
            <Predictions
              title={`Adversarial${last ? ` (step ${last.step})` : ''}`} probs={last?.probs ?? null} labels={labels} testid="adv-preds" kind="adv" highlight={attacked ?? undefined}
              note={run.mode === 'image' ? 'whole classifier on the decoded image' : 'head on the perturbed features'}
            />
          </div>

          <div className="panel charts">
            <LossChart losses={shown.map((s) => s.loss)} probs={shown.map((s) => s.attackedProb)} steps={Math.max(run.m, shown.length - 1)} targeted={settings.targeted} />
            <div className="muted small">attacked class: {attacked !== null ? `${labels[attacked]?.split(',')[0] ?? attacked}${settings.label < 0 ? ' (clean top-1)' : ''}${settings.targeted ? ', targeted' : ''}` : '—'}</div>
            <DeltaChart title="δμ per channel" values={last?.deltaMu ?? null} eps={settings.eps} testid="delta-mu" />
            <DeltaChart title="δσ per channel" values={last?.deltaSigma ?? null} eps={settings.eps} testid="delta-sigma" />
            {stepMs.length > 0 && <div className="muted small" data-testid="step-ms">ms per step: {stepMs.map((v) => v.toFixed(0)).join(' · ')}</div>}
          </div>
        </div>
      </div>
    </section>
  );
}

function argmax(a: Float32Array): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i]! > a[best]!) best = i;
  return best;
}

function statusText(run: RunState, loaded: Loaded | null, img: unknown, loadError: string | null): string {
  if (loadError) return 'model could not be loaded';
  if (!loaded) return 'loading the model…';
  if (!img) return 'classifying the image…';
  switch (run.state) {
    case 'idle': return 'ready';
    case 'running': return run.steps.length ? `running PGD: step ${run.steps[run.steps.length - 1]!.step} of ${run.m}` : 'starting PGD…';
    case 'done': return `done: ${run.m} step${run.m === 1 ? '' : 's'}`;
    case 'error': return 'PGD failed';
  }
}
