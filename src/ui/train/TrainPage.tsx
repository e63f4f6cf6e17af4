/**
 * The Train page: Algorithm 1 (AdvBN fine-tuning) in the browser. Pick a model and its split layer,
 * the style world or a folder of your images, run with live curves, pause / resume / cancel, then read
 * the robustness report (base vs fine-tuned: clean, held-out styles, corruptions, feature divergence),
 * keep the model in this browser (Explore lists it) or download it.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ErrorBoundary } from '../ErrorBoundary';
import { engine, RequestCancelled } from '../../worker/client';
import { probeServedModels, type KnownModel } from '../../common/registry';
import { metaGet } from '../../common/idb-cache';
import type { RegistryEntry } from '../../common/registry';
import type { StepResult } from '../../common/train-types';
import type { Report } from '../../common/train-types';
import type { CompareEvent, LayerInfo, TrainCompareRequest, TrainCompareResult, TrainEvent, TrainRunRequest, TrainRunResult } from '../../worker/train-protocol';
import { readHash, writeHash } from '../url-state';
import { useApp } from '../app-store';
import { CompareCurves, Curves } from './Curves';
import { CompareTable, verdict } from './CompareTable';
import { StyleGallery } from './StyleGallery';
import { AdvbnBatchPreview } from './AdvbnBatchPreview';
import { DomainsPanel } from './DomainsPanel';
import { runSettingsOf, trainSettingsFromParams, trainSettingsToParams, useTrainStore, type TrainSettings } from './train-store';
import { readClassFolder, type FolderData } from './folder-data';
import { download, PICKED_FOLDERS_KEY, saveTrainedModel, type SavedModel } from './saved-models';
import { STYLE_WORLD_MODEL_ID, STYLE_WORLD_TRAIN_LAYER } from '../../common/style-world-info';
import './train.css';

type RunState = 'idle' | 'running' | 'paused' | 'done' | 'error' | 'cancelled';

const PHASES: Record<string, string> = {
  loading: 'loading the model', rendering: 'preparing the data', 'report-before': 'evaluating the base model',
  training: 'training', 'report-after': 'evaluating the fine-tuned model', saving: 'serialising the weights',
};

function useTrainableModels() {
  const [models, setModels] = useState<KnownModel[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    (async () => {
      const base = new URL(`${import.meta.env.BASE_URL}models/`, location.href).href;
      const served = await probeServedModels(base);
      // Models trained here before (kept in IndexedDB) can be fine-tuned again.
      const folders = (await metaGet<Array<{ prefix: string; entries: RegistryEntry[]; root: string }>>(PICKED_FOLDERS_KEY)) ?? [];
      const kept: KnownModel[] = folders.flatMap((f) => f.entries.map((entry) => ({ entry, source: { kind: 'idb' as const, prefix: f.prefix }, origin: f.root, present: true, decoders: [] })));
      if (!live) return;
      // Training runs on small models (the style world's 64 px model); a 224 px VGG-19 would take hours.
      setModels([...served.models, ...kept].filter((m) => m.present && m.entry.inputSize <= 128));
      setError(served.error);
    })().catch((e: Error) => live && setError(e.message));
    return () => { live = false; };
  }, []);
  return { models, error };
}

/**
 * Where AdvBN can go: ReLU outputs (f_adv clamped at 0) and BatchNorm outputs (before their ReLU, where a
 * per-channel affine change of the statistics is exactly what a global contrast/brightness change of the
 * input does to a first block without bias).
 */
const isSplitLayer = (l: LayerInfo) => l.relu || l.kind === 'batchnorm';

const pct = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '—' : `${(v * 100).toFixed(1)}`);
const fmtTime = (s: number) => (s < 60 ? `${Math.round(s)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`);

function ReportTable({ before, after }: { before: Report; after: Report }) {
  const names = Object.keys(after.accuracy);
  const row = (name: string, b: number, a: number, cls = '') => (
    <tr key={name} className={cls} data-set={name}>
      <th scope="row">{name}</th><td>{pct(b)}</td><td>{pct(a)}</td>
      <td className={a - b > 0.0005 ? 'up' : a - b < -0.0005 ? 'down' : ''}>{a - b >= 0 ? '+' : ''}{((a - b) * 100).toFixed(1)}</td>
    </tr>
  );
  return (
    <table className="report" data-testid="report-table">
      <caption>Top-1 accuracy (%) per test set: base model vs fine-tuned</caption>
      <thead><tr><th>test set</th><th>base</th><th>fine-tuned</th><th>Δ</th></tr></thead>
      <tbody>
        {names.map((n) => row(n, before.accuracy[n]!, after.accuracy[n]!, n === 'clean' ? 'clean-row' : ''))}
        {!Number.isNaN(after.meanStyle) && row('mean held-out style', before.meanStyle, after.meanStyle, 'mean-row')}
        {!Number.isNaN(after.meanCorruption) && row('mean corruption', before.meanCorruption, after.meanCorruption, 'mean-row')}
      </tbody>
    </table>
  );
}

function DivergenceTable({ before, after }: { before: Report; after: Report }) {
  const layers = Object.keys(after.divergenceMean);
  if (!layers.length) return null;
  const hasStyle = layers.some((l) => !Number.isNaN(after.divergenceMean[l]!.style));
  const f = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '—' : v.toFixed(3));
  return (
    <table className="report" data-testid="divergence-table">
      <caption>Feature divergence (§7, symmetric KL per channel) between clean and shifted test sets — lower means the layer sees the shift less</caption>
      <thead><tr><th>layer</th>{hasStyle && <><th>styles: base</th><th>fine-tuned</th></>}<th>corruptions: base</th><th>fine-tuned</th></tr></thead>
      <tbody>
        {layers.map((l) => (
          <tr key={l}>
            <th scope="row">{l}</th>
            {hasStyle && <><td>{f(before.divergenceMean[l]?.style)}</td><td>{f(after.divergenceMean[l]?.style)}</td></>}
            <td>{f(before.divergenceMean[l]?.corruption)}</td><td>{f(after.divergenceMean[l]?.corruption)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function TrainPage() {
  const { settings, set, replace } = useTrainStore();
  const backend = useApp((s) => s.backend);
  const { models, error: modelsError } = useTrainableModels();
  const [layers, setLayers] = useState<LayerInfo[]>([]);
  const [folder, setFolder] = useState<FolderData | null>(null);
  const [folderBusy, setFolderBusy] = useState<string | null>(null);
  const [state, setState] = useState<RunState>('idle');
  const [phase, setPhase] = useState<{ phase: string; done?: number; total?: number } | null>(null);
  const [steps, setSteps] = useState<StepResult[]>([]);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<TrainRunResult | null>(null);
  const [cmp, setCmp] = useState<{ plain: StepResult[]; advbn: StepResult[]; seed: number; seedIndex: number; seeds: number } | null>(null);
  const [cmpResult, setCmpResult] = useState<TrainCompareResult | null>(null);
  const [saved, setSaved] = useState<SavedModel | null>(null);
  const [saveError, setSaveError] = useState<string | null>(null);
  const run = useRef<{ id: string; ctrl: AbortController; trainStart: number; pausedMs: number; pausedAt: number | null; finished: boolean; lastStepAt: number } | null>(null);

  // URL ⇄ settings: read the hash once on mount, then write it on every change (a subscription, not an
  // effect on `settings`, so that StrictMode's double mount cannot overwrite the link's values).
  useEffect(() => {
    replace(trainSettingsFromParams(readHash().params));
    return useTrainStore.subscribe((st) => { if (readHash().page === 'train') writeHash('train', trainSettingsToParams(st.settings)); });
  }, [replace]);

  const model = useMemo(() => models?.find((m) => m.entry.id === settings.model) ?? models?.[0] ?? null, [models, settings.model]);

  useEffect(() => {
    if (!model || !backend) return;
    let live = true;
    engine().request<LayerInfo[]>('train.layers', { source: model.source, entry: model.entry })
      .then((ls) => {
        if (!live) return;
        setLayers(ls);
        const offered = ls.slice(0, -1).filter(isSplitLayer);
        if (!offered.some((l) => l.name === useTrainStore.getState().settings.layer)) {
          const preferred = model.entry.id === STYLE_WORLD_MODEL_ID ? STYLE_WORLD_TRAIN_LAYER : model.entry.defaultLayer;
          const def = offered.find((l) => l.name === preferred) ?? offered[Math.floor(offered.length / 2)];
          if (def) set({ layer: def.name });
        }
      })
      .catch((e: Error) => live && setError(`Cannot read ${model.entry.name}: ${e.message}`));
    return () => { live = false; };
  }, [model, backend, set]);

  const modelRef = useMemo(() => (model ? { source: model.source, entry: model.entry } : null), [model]);
  const splitLayers = layers.slice(0, -1).filter(isSplitLayer);
  const layerIdx = layers.findIndex((l) => l.name === settings.layer);
  const headHasBn = layers.slice(layerIdx + 1).some((l) => l.kind === 'batchnorm');

  const onFolder = useCallback(async (list: FileList | null) => {
    if (!list?.length || !model) return;
    setFolderBusy('reading images…');
    setError(null);
    try {
      const d = await readClassFolder(list, model.entry.inputSize, 3000, (done, n) => setFolderBusy(`reading images… ${done}/${n}`));
      setFolder(d);
      set({ data: 'folder' });
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setFolderBusy(null);
    }
  }, [model, set]);

  const start = useCallback(async () => {
    if (!model) return;
    const s: TrainSettings = useTrainStore.getState().settings;
    if (s.data === 'folder' && !folder) { setError('Pick a folder of images first (one sub-folder per class).'); return; }
    const id = `run-${Date.now()}`;
    const ctrl = new AbortController();
    run.current = { id, ctrl, trainStart: 0, pausedMs: 0, pausedAt: null, finished: false, lastStepAt: 0 };
    setState('running'); setSteps([]); setTotal(0); setError(null); setResult(null); setCmp(null); setCmpResult(null); setSaved(null); setSaveError(null); setPhase({ phase: 'loading' });
    const data: TrainRunRequest['data'] = s.data === 'folder' && folder
      ? { kind: 'folder', classes: folder.classes, size: folder.size, pixels: folder.pixels, labels: folder.labels }
      : { kind: 'style-world', trainSize: s.trainSize, seed: s.seed };
    if (s.compare) { await runCompare(id, ctrl, s, data); return; }
    const req: TrainRunRequest = { ...runSettingsOf(s), runId: id, model: { source: model.source, entry: model.entry }, data };
    const buffer: StepResult[] = [];
    let flush = 0;
    try {
      const r = await engine().request<TrainRunResult>('train.run', req, {
        signal: ctrl.signal,
        onEvent: (p) => {
          const e = p as TrainEvent;
          if (e.kind === 'phase') {
            setPhase({ phase: e.phase, done: e.done, total: e.total });
            if (e.phase === 'training' && run.current) { run.current.trainStart = performance.now(); setTotal(e.total ?? 0); }
          } else {
            const { kind: _k, total: t, ...step } = e;
            buffer.push(step);
            if (run.current?.id === id) run.current.lastStepAt = performance.now();
            setTotal(t);
            // Batch React updates: at most ~10 renders per second.
            if (!flush) flush = window.setTimeout(() => { flush = 0; setSteps([...buffer]); }, 100);
          }
        },
      });
      window.clearTimeout(flush);
      setSteps([...buffer]);
      setResult(r);
      setState('done');
    } catch (e) {
      window.clearTimeout(flush);
      setSteps([...buffer]);
      if (e instanceof RequestCancelled) setState('cancelled');
      else { setError((e as Error).message); setState('error'); }
    } finally {
      if (run.current?.id === id) run.current.finished = true;
      setPhase(null);
    }
  }, [model, folder]);

  /** Plain and AdvBN side by side: one request; step events of both arms; one table at the end. */
  const runCompare = useCallback(async (id: string, ctrl: AbortController, s: TrainSettings, data: TrainRunRequest['data']) => {
    if (!model) return;
    const { advbn: _plainAndAdvbn, ...settings } = runSettingsOf(s); // a comparison trains both arms
    const req: TrainCompareRequest = { ...settings, runId: id, model: { source: model.source, entry: model.entry }, data, seeds: s.seeds };
    const seed0 = data.kind === 'style-world' ? data.seed : 1;
    let cur = { plain: [] as StepResult[], advbn: [] as StepResult[], seed: seed0, seedIndex: 0, seeds: s.seeds };
    let flush = 0;
    const show = () => { flush = 0; setCmp({ ...cur, plain: [...cur.plain], advbn: [...cur.advbn] }); setSteps([...cur.advbn]); };
    try {
      const r = await engine().request<TrainCompareResult>('train.compare', req, {
        signal: ctrl.signal,
        onEvent: (p) => {
          const e = p as CompareEvent;
          if (e.kind === 'phase') {
            setPhase({ phase: e.phase, done: e.done, total: e.total });
            if (e.phase === 'training' && run.current && e.seed != null) {
              cur = { plain: [], advbn: [], seed: e.seed, seedIndex: e.seed - seed0, seeds: s.seeds };
              if (!run.current.trainStart) run.current.trainStart = performance.now();
              setTotal(e.total ?? 0);
              show();
            }
          } else {
            const { kind: _k, arm, seed: _s, total: t, ...step } = e;
            cur[arm].push(step);
            if (run.current?.id === id) run.current.lastStepAt = performance.now();
            setTotal(t);
            if (!flush) flush = window.setTimeout(show, 100);
          }
        },
      });
      window.clearTimeout(flush);
      show();
      setCmpResult(r);
      setState('done');
    } catch (e) {
      window.clearTimeout(flush);
      show();
      if (e instanceof RequestCancelled) setState('cancelled');
      else { setError((e as Error).message); setState('error'); }
    } finally {
      if (run.current?.id === id) run.current.finished = true;
      setPhase(null);
    }
  }, [model]);

  const togglePause = useCallback(async () => {
    const r = run.current;
    if (!r) return;
    const pause = state === 'running';
    await engine().request('train.pause', { runId: r.id, paused: pause });
    // The run may have ended meanwhile (its last step was in flight): its final state stands.
    if (r.finished || run.current !== r) return;
    if (pause) r.pausedAt = performance.now();
    else if (r.pausedAt !== null) { r.pausedMs += performance.now() - r.pausedAt; r.pausedAt = null; }
    setState(pause ? 'paused' : 'running');
  }, [state]);

  const cancel = useCallback(() => { run.current?.ctrl.abort(); }, []);

  const kept = result ?? cmpResult;
  const save = useCallback(async () => {
    const result = kept;
    if (!result || !model) return;
    setSaveError(null);
    try {
      const splitIdx = layers.findIndex((l) => l.name === settings.layer);
      const decoderLayers = Object.keys(model.entry.decoders).filter((l) => { const i = layers.findIndex((x) => x.name === l); return i >= 0 && i <= splitIdx; });
      const advbn = 'summary' in result ? true : settings.advbn;
      const name = `${model.entry.name} — ${advbn ? 'AdvBN' : 'plain'} fine-tune at ${settings.layer} (${new Date().toLocaleString()})`;
      setSaved(await saveTrainedModel({ base: model, name, layer: settings.layer, modelJson: result.modelJson, weights: result.weights, classes: result.classes, decoderLayers }));
    } catch (e) {
      setSaveError(`Could not keep the model in this browser: ${(e as Error).message}. Download it instead.`);
    }
  }, [kept, model, layers, settings.layer, settings.advbn]);

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
  const last = steps[steps.length - 1];

  if (settings.data === 'domains') return <section className="train"><ErrorBoundary name="Domains comparison"><DomainsPanel ready={!!backend} /></ErrorBoundary></section>;
  if (models === null) return <section className="train"><div className="panel muted">looking for models…</div></section>;
  if (!models.length) {
    return (
      <section className="train"><div className="panel error" role="alert">
        No trainable model found{modelsError ? ` (${modelsError})` : ''}. The style-world model ships in <code>models/style-world</code>;
        rebuild it with <code>node bin/advbn.mjs train --data style-world --base --out models/style-world</code>.
      </div></section>
    );
  }

  return (
    <section className="train">
      <div className="train-grid">
        {/* Error boundaries: a view that fails to render shows what failed; the rest keeps working. */}
        <ErrorBoundary name="Training settings">
        <div className="panel train-controls">
          <h2>Fine-tune with AdvBN</h2>
          <label>Model
            <select aria-label="Model" value={model?.entry.id ?? ''} onChange={(e) => set({ model: e.target.value, layer: '' })} disabled={running}>
              {models.map((m) => <option key={m.entry.id} value={m.entry.id}>{m.entry.name}</option>)}
            </select>
          </label>
          <label>Split layer l (AdvBN position; the encoder up to l is frozen)
            <select aria-label="Split layer" value={settings.layer} onChange={(e) => set({ layer: e.target.value })} disabled={running}>
              {splitLayers.map((l) => <option key={l.name} value={l.name}>{l.name}</option>)}
            </select>
          </label>
          {layers.length > 0 && !headHasBn && <p className="muted small">The head after {settings.layer} has no BatchNorm: no auxiliary BNs (AdvBN still perturbs the features).</p>}
          <fieldset disabled={running}>
            <legend>Data</legend>
            <label className="inline"><input type="radio" name="data" checked={settings.data === 'style-world'} onChange={() => set({ data: 'style-world' })} /> style world (generated shapes; held-out styles for the report)</label>
            <label className="inline"><input type="radio" name="data" checked={settings.data === 'folder'} onChange={() => set({ data: 'folder' })} /> a folder of my images (one sub-folder per class)</label>
            <label className="inline"><input type="radio" name="data" aria-label="Domains folder mode" onChange={() => set({ data: 'domains' })} /> a domains folder (domain/class/image, e.g. PACS): VGG-19, plain vs AdvBN vs random δ on unseen styles</label>
            {settings.data === 'folder' && (
              <div>
                <input type="file" aria-label="Image folder" {...({ webkitdirectory: '', directory: '' } as Record<string, string>)} multiple onChange={(e) => void onFolder(e.target.files)} />
                {folderBusy && <span className="muted"> {folderBusy}</span>}
                {folder && <p className="muted small" data-testid="folder-summary">{folder.labels.length} images, {folder.classes.length} classes ({folder.classes.join(', ')}){folder.skipped.length ? `; ${folder.skipped.length} unreadable files skipped` : ''}. Every 5th image per class is the test set.</p>}
              </div>
            )}
            {settings.data === 'style-world' && (
              <div className="row">
                <label>training images<input type="number" aria-label="Training images" value={settings.trainSize} min={16} step={100} onChange={(e) => set({ trainSize: Number(e.target.value) })} /></label>
                <label>seed<input type="number" aria-label="Seed" value={settings.seed} onChange={(e) => set({ seed: Number(e.target.value) })} /></label>
              </div>
            )}
            <label>test images per set<input type="number" aria-label="Test images per set" value={settings.testSize} min={0} step={50} onChange={(e) => set({ testSize: Number(e.target.value) })} /></label>
          </fieldset>
          <fieldset disabled={running}>
            <legend>Algorithm 1</legend>
            <label className="inline"><input type="checkbox" aria-label="Compare" checked={settings.compare} onChange={(e) => set({ compare: e.target.checked })} /> compare plain and AdvBN fine-tuning side by side (same base, same batches)</label>
            {settings.compare
              ? <label>seeds (mean ± std over them)<input type="number" aria-label="Seeds" value={settings.seeds} min={1} max={10} step={1} onChange={(e) => set({ seeds: Number(e.target.value) })} /></label>
              : <label className="inline"><input type="checkbox" aria-label="AdvBN" checked={settings.advbn} onChange={(e) => set({ advbn: e.target.checked })} /> AdvBN (off: plain fine-tuning, the baseline)</label>}
            <div className="row">
              <label>ε<input type="number" aria-label="epsilon" value={settings.eps} step={0.05} min={0} max={2} onChange={(e) => set({ eps: Number(e.target.value) })} disabled={!settings.advbn && !settings.compare} /></label>
              <label>τ<input type="number" aria-label="tau" value={settings.tau} step={0.05} min={0} max={1} onChange={(e) => set({ tau: Number(e.target.value) })} disabled={!settings.advbn && !settings.compare} /></label>
              <label>m<input type="number" aria-label="PGD steps" value={settings.pgdSteps} step={1} min={0} max={20} onChange={(e) => set({ pgdSteps: Number(e.target.value) })} disabled={!settings.advbn && !settings.compare} /></label>
            </div>
            <div className="row">
              <label>epochs<input type="number" aria-label="Epochs" value={settings.epochs} step={0.5} min={0.05} onChange={(e) => set({ epochs: Number(e.target.value) })} /></label>
              <label>batch<input type="number" aria-label="Batch size" value={settings.batchSize} step={8} min={2} onChange={(e) => set({ batchSize: Number(e.target.value) })} /></label>
              <label>lr<input type="number" aria-label="Learning rate" value={settings.lr} step={0.001} min={0} onChange={(e) => set({ lr: Number(e.target.value) })} /></label>
            </div>
            <p className="muted small">SGD, momentum 0.9, weight decay 1e-4, lr ÷ 10 after half the steps; CE(clean) + CE(AdvBN) with auxiliary BatchNorms.</p>
          </fieldset>
          <div className="row buttons">
            {!running && <button className="primary" onClick={() => void start()} disabled={!backend || !model || !settings.layer} data-testid="start">Start training</button>}
            {running && <button onClick={() => void togglePause()} data-testid="pause">{state === 'paused' ? 'Resume' : 'Pause'}</button>}
            {running && <button onClick={cancel} data-testid="cancel">Cancel</button>}
          </div>
        </div>
        </ErrorBoundary>

        <ErrorBoundary name="Training progress and report">
        <div className="train-results">
          <div className="panel">
            <div className="progress-line" data-testid="run-state" data-state={state}>
              <strong>{state === 'idle' ? 'ready' : state}</strong>
              {phase && <span className="muted"> — {PHASES[phase.phase] ?? phase.phase}{phase.phase !== 'training' && phase.total ? ` ${phase.done ?? 0}/${phase.total}` : ''}</span>}
              {cmp && cmp.seeds > 1 && total > 0 && <span className="muted" data-testid="seed-progress"> — seed {cmp.seedIndex + 1} of {cmp.seeds}</span>}
              {total > 0 && <span className="muted"> — step {done}/{allSteps}{cmp ? ' (plain and AdvBN each)' : ''}{running && eta > 0 ? `, about ${fmtTime(eta)} left` : ''}{done > 0 ? `, ${((done / Math.max(elapsed, 1e-3))).toFixed(2)} steps/s` : ''}</span>}
            </div>
            <div className="progress" role="progressbar" aria-label="Training progress" aria-valuemin={0} aria-valuemax={allSteps || 1} aria-valuenow={done} data-testid="progress">
              <div style={{ width: `${allSteps ? (100 * done) / allSteps : 0}%` }} />
            </div>
            {last && <p className="muted small" data-testid="last-step">last batch: clean loss {last.cleanLoss.toFixed(3)} ({pct(last.cleanAcc)}%){last.advLoss !== null ? `, AdvBN loss ${last.advLoss.toFixed(3)} (${pct(last.advAcc ?? undefined)}%)` : ''}{last.pgdLoss ? `; PGD raised the loss ${last.pgdLoss[0].toFixed(2)} → ${last.pgdLoss[1].toFixed(2)}` : ''}</p>}
            {error && <div className="error" role="alert" data-testid="train-error">{error}</div>}
            {cmp
              ? <CompareCurves plain={cmp.plain} advbn={cmp.advbn} total={Math.max(total, 2)} caption={cmp.seeds > 1 ? `seed ${cmp.seed} (${cmp.seedIndex + 1} of ${cmp.seeds})` : undefined} />
              : <Curves steps={steps} total={Math.max(total, 2)} />}
          </div>
          {result?.before && result.after && (
            <div className="panel" data-testid="report">
              <h3>Robustness report</h3>
              <p className="muted small">{result.steps} steps in {fmtTime(result.trainSeconds)} on {result.backend}; {settings.advbn ? `AdvBN at ${settings.layer} (ε ${result.settings.pgd.eps}, τ ${result.settings.pgd.tau}, m ${result.settings.pgd.steps})` : 'plain fine-tuning (no AdvBN)'}. Test sets: clean = the training styles; each held-out style family is a style never seen in training; corruptions are applied to the clean set.</p>
              <ReportTable before={result.before} after={result.after} />
              <DivergenceTable before={result.before} after={result.after} />
            </div>
          )}
          {settings.data === 'style-world' && model && (
            <AdvbnBatchPreview model={modelRef} layer={settings.layer} eps={settings.eps} tau={settings.tau} steps={settings.pgdSteps} seed={settings.seed} ready={!!backend && !running} />
          )}
          {cmpResult && (
            <div className="panel" data-testid="compare-report">
              <h3>Plain vs AdvBN fine-tuning</h3>
              <p className="verdict" data-testid="verdict">{verdict(cmpResult.summary.find((x) => x.set === 'mean held-out style'))}</p>
              <p className="muted small">{cmpResult.steps} steps per arm and seed on {cmpResult.backend}; AdvBN at {settings.layer} (ε {cmpResult.settings.pgd.eps}, τ {cmpResult.settings.pgd.tau}, m {cmpResult.settings.pgd.steps}); both arms start from the same base model and see the same batches in the same order. Clean = the training styles; each held-out style is a style never seen in training (see the gallery below); corruptions are applied to the clean set.</p>
              <CompareTable rows={cmpResult.summary} seeds={cmpResult.seeds} />
            </div>
          )}
          {kept && (
            <div className="panel row buttons" data-testid="save-panel">
              <button onClick={() => void save()} disabled={!!saved} data-testid="save">{saved ? 'Kept in this browser' : 'Keep in this browser'}</button>
              {cmpResult && <span className="muted small">the AdvBN model of seed {cmpResult.seeds[cmpResult.seeds.length - 1]}:</span>}
              <button onClick={() => download('model.json', kept.modelJson, 'application/json')}>Download model.json</button>
              <button onClick={() => download('group1-shard1of1.bin', kept.weights)}>Download weights (.bin)</button>
              {saved && <a className="button-link" href={`#/explore?model=${encodeURIComponent(saved.id)}&layer=${encodeURIComponent(settings.layer)}`} data-testid="open-explore">Open in Explore</a>}
              {saveError && <div className="error" role="alert">{saveError}</div>}
            </div>
          )}
          {settings.data === 'style-world' && <StyleGallery />}
        </div>
        </ErrorBoundary>
      </div>
    </section>
  );
}
