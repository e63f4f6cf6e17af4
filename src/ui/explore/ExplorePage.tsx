/**
 * The Explore page: one image, one classifier split at a layer, AdvBN's PGD on the feature statistics,
 * and what it does (decoded images per step, predictions, loss, δ). All tfjs work runs in the engine
 * worker (src/worker/explore-handlers.ts); this page orchestrates:
 *
 *   models (registry probe / picked folder) → 'explore.model' → 'explore.image' (crop + clean
 *   predictions) → 'explore.run' (debounced; a newer run cancels the one in flight) → step events.
 */
import type { ImportResult } from '../../worker/import-protocol';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { engine, RequestCancelled } from '../../worker/client';
import type { MemoryResult } from '../../worker/protocol';
import type { ImageResult, ModelProgress, ModelResult, RunEvent, RunRequest, RunResult, StepEvent } from '../../worker/explore-protocol';
import { useApp } from '../app-store';
import { readHash, writeHash } from '../url-state';
import { BACKEND_ORDER, type BackendName } from '../../common/backend-names';
import { entryLabels, initialLayer, joinPath, offeredLayers, type KnownModel } from '../../common/registry';
import { linkProblems, pick, settingsFromParams, settingsToParams, useExplore } from './explore-store';
import { downloadCanvas, exportScale, fetchSampleFile, sampleImage, stripCanvas, styleWorldSource, type SourceImage, type SquareImage } from './images';
import type { SampleResult } from '../../worker/style-world-protocol';
import { psnrRgba, psnrWord } from './psnr';
import { ImageInput } from './ImageInput';
import { Controls } from './Controls';
import { DeltaChart, LossChart, Predictions, RgbaView } from './Charts';
import { ModelPanel, NoModelPanel, useModels } from './ModelPanel';
import { ErrorBoundary } from '../ErrorBoundary';
import { SweepPanel } from './SweepPanel';
import { ShiftsPanel } from './ShiftsPanel';
import './explore.css';

/** Wait after the last control change before starting a run. */
export const DEBOUNCE_MS = 250;

/**
 * Settings ⇄ URL hash (and the requested backend, as `backend=`). Returns what the last link asked for
 * that could not be used as it was (NaN, out of range, unknown words), for the settings panel.
 */
function useUrlSync(): [string[], (notes: string[]) => void] {
  const [notes, setNotes] = useState<string[]>([]);
  useEffect(() => {
    const apply = () => {
      const { page, params } = readHash();
      if (page !== 'explore' && page !== '') return;
      // A bare "#/explore" (the page tab, coming back from Train) keeps the current settings and
      // backend; only a link that names settings changes them.
      if (![...params.keys()].length) { write(); return; }
      setNotes(linkProblems(params));
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
  return [notes, setNotes];
}

/**
 * The model's own sample image number `index` (cycling): a style-world item drawn by code, or a file
 * served next to the model (null while it loads). A model that names none, or whose sample file is
 * absent, gets the drawn landscape, named as such.
 */
function useModelSample(m: KnownModel | null, index: number): SourceImage | null {
  const [img, setImg] = useState<SourceImage | null>(null);
  const key = m ? `${m.origin}|${m.entry.id}` : '';
  const mRef = useRef(m);
  mRef.current = m;
  useEffect(() => {
    const model = mRef.current;
    if (!model) return;
    const specs = model.entry.samples ?? [];
    const fallback = (why: string) => ({ ...sampleImage(), name: `drawn sample (${why}; drop a photo of your own)` });
    if (!specs.length) { setImg(fallback(`${model.entry.name} names no sample image`)); return; }
    const spec = specs[index % specs.length]!;
    let live = true;
    if (spec.kind === 'style-world') {
      setImg(null);
      engine().request<SampleResult>('styleworld.sample', { family: spec.family, seed: spec.seed, index: spec.index })
        .then((r) => { if (live) setImg(styleWorldSource(r, spec.family, spec.seed, spec.index)); })
        .catch((e: Error) => { if (live) setImg(fallback(`its sample could not be drawn: ${e.message}`)); });
      return () => { live = false; };
    }
    if (model.source.kind !== 'url') { setImg(fallback('the sample file is not in the picked folder')); return; }
    setImg(null);
    const name = spec.path.split('/').pop() ?? spec.path;
    void fetchSampleFile(`${model.source.base}${joinPath(spec.path)}`, `${name} (sample next to the model)`).then((r) => {
      if (live) setImg(r ?? fallback(`the sample photo ${spec.path} is not served here`));
    });
    return () => { live = false; };
  }, [key, index]);
  return img;
}

interface Loaded { key: string; classes: number; inputSize: number; layers: string[]; labels: string[]; ms: number }
/** A step as shown: its decoded image (if any) paired with its size once, when it arrives. */
export interface ShownStep extends StepEvent { pic: SquareImage | null }
interface RunState {
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

export function ExplorePage() {
  const [linkNotes, setLinkNotes] = useUrlSync();
  /** Link values that only the loaded model can judge (a layer it does not offer, a class it lacks). */
  const [modelNotes, setModelNotes] = useState<string[]>([]);
  const settings = useExplore(useShallow(pick));
  const setSettings = useExplore((s) => s.set);
  const backend = useApp((s) => s.backend);
  const { models, modelsError, refresh, pickFolder, folderError, folderBusy, addImported } = useModels();
  const onImported = async (r: ImportResult) => {
    await addImported(r);
    // An encoder alone is not a classifier: it is offered as an autoencoder, the classifier stays.
    if (r.entry.role !== 'encoder') setSettings({ model: r.entry.id, layer: '', label: -1 });
  };

  // ---- the model ----
  const present = models?.filter((m) => m.present && m.entry.role !== 'encoder') ?? [];
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
  const [userImage, setUserImage] = useState<SourceImage | null>(null);
  const [sampleIndex, setSampleIndex] = useState(0);
  const sample = useModelSample(current, sampleIndex);
  const source = userImage ?? sample;
  const onSample = useCallback(() => {
    // Back to the model's samples; a second click shows the next one.
    if (userImage) setUserImage(null);
    else setSampleIndex((i) => i + 1);
  }, [userImage]);
  const [imgRes, setImgRes] = useState<(ImageResult & { modelKey: string; pic: SquareImage }) | null>(null);
  const [imgError, setImgError] = useState<string | null>(null);
  useEffect(() => {
    if (!loaded || !source) return;
    runCtrl.current?.abort();
    const ctrl = new AbortController();
    setImgError(null);
    engine()
      .request<ImageResult>('explore.image', { key: source.key, rgba: source.rgba, width: source.width, height: source.height }, { signal: ctrl.signal })
      .then((r) => { if (!ctrl.signal.aborted) setImgRes({ ...r, modelKey: loaded.key, pic: { rgba: r.crop, size: r.size } }); })
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
  // An autoencoder apart from the classifier (an imported encoder with its decoder), when chosen.
  const autoencoders = (models ?? []).filter((m) => m.present && m.entry.role === 'encoder' && m.decoders.length);
  const ae = settings.ae ? autoencoders.find((m) => m.entry.id === settings.ae) ?? null : null;
  const classifierLayer = current ? initialLayer(current.entry, current.decoders, settings.layer) : '';
  const layer = ae ? initialLayer(ae.entry, ae.decoders, settings.layer) : classifierLayer;
  const hasDecoder = ae ? ae.decoders.includes(layer) : !!current?.decoders.includes(layer);
  const mode = ae ? 'image' : settings.mode;
  const aeLayers = ae ? ae.decoders.map((name) => ({ name, decoder: true })) : null;
  // Links name the model and layer actually shown, so they reproduce the view on another machine.
  useEffect(() => {
    if (!current) return;
    const patch: { model?: string; layer?: string; label?: number } = {};
    const notes: string[] = [];
    if (settings.model !== current.entry.id) patch.model = current.entry.id;
    if (!ae && settings.layer !== layer && (loaded?.layers.includes(layer) ?? false)) {
      patch.layer = layer;
      if (settings.layer) notes.push(`Layer "${settings.layer}" is not offered for ${current.entry.name}; using ${layer}.`);
    }
    if (loaded && settings.label >= loaded.classes) {
      patch.label = -1;
      notes.push(`Class ${settings.label} is not a class of ${current.entry.name} (0–${loaded.classes - 1}); attacking the clean top-1.`);
    }
    if (notes.length) setModelNotes(notes);
    if (Object.keys(patch).length) setSettings(patch);
  }, [current, layer, loaded, settings.model, settings.layer, settings.label, setSettings, ae]);
  const labels = loaded?.labels ?? [];
  const cleanTop1 = img ? argmax(img.cleanProbs) : null;

  // ---- the run ----
  const [run, setRun] = useState<RunState>(IDLE);
  const [tensors, setTensors] = useState<number | null>(null);
  const [runsDone, setRunsDone] = useState(0);
  const [nonce, setNonce] = useState(0);
  const runId = useRef(0);
  const request: RunRequest | null = img && loaded && backend ? {
    model: loaded.key, image: img.key,
    layer, decoder: hasDecoder, mode,
    autoencoder: ae ? { key: `${ae.origin}|${ae.entry.id}`, source: ae.source, entry: ae.entry, layer } : null,
    settings: { eps: settings.eps, tau: settings.tau, steps: settings.steps },
    label: settings.label >= 0 ? settings.label : null, targeted: settings.targeted,
  } : null;
  const runKey = request ? JSON.stringify([request, img!.key, loaded!.key, backend, nonce]) : '';
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
        .request<RunResult>('explore.run', req, {
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
          const mem = await engine().request<MemoryResult>('memory', {});
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

  // ---- what to show ----
  // Only steps of the model shown now: after a model switch (menu or link) the old run's pixels, of
  // another input size, are dropped at once, even before the new model has loaded.
  const ofThisModel = run.modelKey === modelKey && loaded?.key === modelKey;
  const shown = !ofThisModel ? [] : run.steps.length ? run.steps : run.stale;
  /** The run's state as shown: a run of the previous model is over for this one. */
  const runState: RunState['state'] = ofThisModel ? run.state : 'idle';
  const staleShown = ofThisModel && !run.steps.length && run.stale.length > 0;
  const first = shown[0] ?? null;
  const last = shown[shown.length - 1] ?? null;
  const size = img?.size ?? current?.entry.inputSize ?? 0;
  const attacked = run.label ?? (settings.label >= 0 ? settings.label : cleanTop1);
  const stepMs = ofThisModel ? run.steps.map((s) => s.ms) : [];
  const meanMs = stepMs.length ? stepMs.reduce((a, b) => a + b, 0) / stepMs.length : null;
  const frames = shown.flatMap((s) => (s.pic ? [s.pic] : []));
  const [downloadError, setDownloadError] = useState<string | null>(null);
  /** PSNR of the m = 0 reconstruction against the crop (how far the decoder alone moves the picture). */
  const recon = useMemo(() => {
    const r = first && first.step === 0 ? first.pic : null;
    return r && img?.pic && r.size === img.pic.size && r.rgba.length === img.pic.rgba.length ? psnrRgba(img.pic.rgba, r.rgba) : null;
  }, [first, img]);

  const download = useCallback(async (what: 'adv' | 'strip') => {
    if (!frames.length) return;
    setDownloadError(null);
    try {
      const scale = exportScale(frames[0]!.size);
      const c = what === 'adv' ? stripCanvas([frames[frames.length - 1]!], scale, 0) : stripCanvas(frames, scale);
      const tag = `${current?.entry.id}-${layer}-eps${settings.eps}-tau${settings.tau}-m${settings.steps}`;
      await downloadCanvas(c, what === 'adv' ? `advbn-${tag}.png` : `advbn-filmstrip-${tag}.png`);
    } catch (e) {
      setDownloadError(`The PNG could not be made: ${(e as Error).message}`);
    }
  }, [frames, current, layer, settings.eps, settings.tau, settings.steps]);

  if (!models) {
    return <section className="explore"><div className="panel muted" data-testid="models-probing">looking for models…</div></section>;
  }
  if (!present.length) {
    return (
      <section className="explore">
        <NoModelPanel error={modelsError} models={models} onPick={pickFolder} folderError={folderError} busy={folderBusy} onImported={onImported} />
      </section>
    );
  }

  return (
    <section className="explore">
      <div className="explore-grid">
        <div className="col-left">
          <ErrorBoundary name="Model panel">
            <ModelPanel
              models={models} current={current} onSelect={(id) => setSettings({ model: id, layer: '', label: -1 })} onPick={pickFolder} onRefresh={refresh}
              folderError={folderError} busy={folderBusy} loaded={!!loaded} loadError={loadError} progress={progress}
              requested={settings.model} loadMs={loaded?.ms ?? null} onImported={onImported}
            />
          </ErrorBoundary>
          <ErrorBoundary name="Image panel" onReset={() => setUserImage(null)}>
            <ImageInput image={source} onImage={setUserImage} onSample={onSample} sampleCount={current?.entry.samples?.length ?? 0} workerError={imgError} />
          </ErrorBoundary>
          <ErrorBoundary name="Settings panel">
            <Controls layers={aeLayers ?? layers} layer={layer} hasDecoder={hasDecoder} labels={labels} cleanTop1={cleanTop1}
              notes={[...linkNotes, ...modelNotes]} onDismissNotes={() => { setLinkNotes([]); setModelNotes([]); }}
              autoencoders={autoencoders.map((m) => ({ id: m.entry.id, name: m.entry.name }))} autoencoder={ae?.entry.id ?? ''} />
          </ErrorBoundary>
        </div>
        <div className="col-right">
          <ErrorBoundary name="Run status">
            <div className="panel">
              <div className="row status-row">
                <span data-testid="run-status" data-state={runState} data-runs={runsDone} data-step={last?.step ?? -1} role="status">
                  {statusText({ ...run, state: runState }, loaded, img, loadError)}
                </span>
                <span className="muted" data-testid="timing">
                  {meanMs !== null ? `${meanMs.toFixed(0)} ms/step (${run.backend ?? backend}, ${current?.entry.id} @ ${layer}, ${run.mode} loss)` : ''}
                  {run.encodeMs !== null && run.steps.length ? (run.encodeMs < 1 ? ' · features cached' : ` · encode ${run.encodeMs.toFixed(0)} ms`) : ''}
                </span>
                <span className="muted" data-testid="tensors" data-count={tensors ?? ''}>{tensors !== null ? `worker tensors: ${tensors}` : ''}</span>
                <button type="button" onClick={() => setNonce((n) => n + 1)} disabled={!request}>Run again</button>
                <button type="button" onClick={stop} disabled={runState !== 'running'}>Stop</button>
              </div>
              {runState === 'error' && <div className="error" role="alert" data-testid="run-error">{run.error}</div>}
            </div>
          </ErrorBoundary>

          <ErrorBoundary name="Images (original, reconstruction, adversarial)" onReset={() => setRun((r) => ({ ...r, steps: [], stale: [] }))}>
            <div className={`panel triptych ${staleShown ? 'stale' : ''}`}>
              <figure>
                <RgbaView image={img?.pic ?? null} testid="img-original" label="Original crop" />
                <figcaption>original crop ({size}×{size})</figcaption>
              </figure>
              <figure>
                <RgbaView image={first?.pic ?? null} testid="img-recon" label="Reconstruction (m = 0)" />
                <figcaption>decoder reconstruction (m = 0){recon !== null && <><br /><span className="muted small" data-testid="recon-psnr" data-psnr={recon.toFixed(2)}>PSNR {Number.isFinite(recon) ? recon.toFixed(1) : '∞'} dB ({psnrWord(recon)})</span></>}</figcaption>
              </figure>
              <figure>
                <RgbaView image={last && last.step > 0 ? last.pic : null} testid="img-adv" label="Decoded adversarial" className="adv" />
                <figcaption>decoded adversarial{last && last.step > 0 ? ` (step ${last.step} of ${run.m})` : ''}</figcaption>
              </figure>
              {!hasDecoder && current && (
                <p className="muted note">No decoder for {layer} in this model's folder: AdvBN still runs on the features (see the predictions), but they cannot be shown as an image. Pick a layer with a decoder, or train one: <code>advbn train-decoder --layer {layer}</code>.</p>
              )}
              <div className="row downloads">
                <button type="button" onClick={() => void download('adv')} disabled={!frames.length}>Download adversarial PNG</button>
                <button type="button" onClick={() => void download('strip')} disabled={!frames.length}>Download filmstrip PNG</button>
              </div>
              {downloadError && <div className="error small" role="alert" data-testid="download-error">{downloadError}</div>}
            </div>
          </ErrorBoundary>

          <ErrorBoundary name="Filmstrip" onReset={() => setRun((r) => ({ ...r, steps: [], stale: [] }))}>
            <div className={`panel ${staleShown ? 'stale' : ''}`}>
              <h3>Filmstrip: the decoded image after every PGD step</h3>
              <div className="filmstrip" data-testid="filmstrip" data-frames={shown.length}>
                {shown.map((s) => (
                  <figure key={s.step} data-testid="frame">
                    <RgbaView image={s.pic} testid={`frame-${s.step}`} label={`step ${s.step}`} />
                    <figcaption>m = {s.step}<br /><span className="muted">{attacked !== null ? `${(s.attackedProb * 100).toFixed(0)}%` : ''}</span></figcaption>
                  </figure>
                ))}
              </div>
            </div>
          </ErrorBoundary>

          <ErrorBoundary name="Strength sweep">
            <SweepPanel
              target={img && loaded && !ae ? { model: loaded.key, image: img.key, layer, decoder: hasDecoder, mode, label: settings.label >= 0 ? settings.label : null } : null}
              labels={labels} settings={settings} busy={runState === 'running'}
            />
          </ErrorBoundary>

          <ErrorBoundary name="Shifts side by side">
            <ShiftsPanel
              target={img && loaded && !ae ? { model: loaded.key, image: img.key, layer, decoder: hasDecoder, mode, settings: { eps: settings.eps, tau: settings.tau, steps: settings.steps }, label: settings.label >= 0 ? settings.label : null } : null}
              labels={labels} settings={settings} crop={img?.pic ?? null}
            />
          </ErrorBoundary>

          <ErrorBoundary name="Predictions">
            <div className="panel preds-row">
              <Predictions title="Clean (original crop)" probs={img?.cleanProbs ?? null} labels={labels} testid="clean-preds" kind="clean" highlight={attacked ?? undefined} />
              <Predictions
                title={`Adversarial${last ? ` (step ${last.step})` : ''}`} probs={last?.probs ?? null} labels={labels} testid="adv-preds" kind="adv" highlight={attacked ?? undefined}
                note={run.mode === 'image' ? 'whole classifier on the decoded image' : 'head on the perturbed features'}
              />
            </div>
          </ErrorBoundary>

          <ErrorBoundary name="Charts">
            <div className="panel charts">
              <LossChart losses={shown.map((s) => s.loss)} probs={shown.map((s) => s.attackedProb)} steps={Math.max(run.m, shown.length - 1)} targeted={settings.targeted} />
              <div className="muted small">attacked class: {attacked !== null ? `${labels[attacked]?.split(',')[0] ?? attacked}${settings.label < 0 ? ' (clean top-1)' : ''}${settings.targeted ? ', targeted' : ''}` : '—'}</div>
              <DeltaChart title="δμ per channel" values={last?.deltaMu ?? null} eps={settings.eps} testid="delta-mu" />
              <DeltaChart title="δσ per channel" values={last?.deltaSigma ?? null} eps={settings.eps} testid="delta-sigma" />
              {stepMs.length > 0 && <div className="muted small" data-testid="step-ms">ms per step: {stepMs.map((v) => v.toFixed(0)).join(' · ')}</div>}
            </div>
          </ErrorBoundary>
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
    case 'stopped': return run.steps.length ? `stopped at step ${run.steps[run.steps.length - 1]!.step} of ${run.m}` : 'stopped';
    case 'error': return 'PGD failed';
  }
}
