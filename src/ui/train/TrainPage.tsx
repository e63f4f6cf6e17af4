/**
 * The Train page: Algorithm 1 (AdvBN fine-tuning) in the browser. Pick a model and its split layer,
 * the style world or a folder of your images, run with live curves, pause / resume / cancel, then read
 * the robustness report (base vs fine-tuned: clean, held-out styles, corruptions, feature divergence),
 * keep the model in this browser (Explore lists it) or download it. This file is the view; the runs are
 * useTrainRun's, the settings panel TrainControls, the domains mode its own folder (./domains).
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { ErrorBoundary } from '../ErrorBoundary';
import { engine } from '../../worker/client';
import type { KnownModel } from '../../common/registry';
import type { LayerInfo } from '../../worker/train-protocol';
import { readHash, writeHash } from '../url-state';
import { useApp } from '../app-store';
import { CompareCurves, compareLossCurveEnds, Curves, lossCurveEnds } from './Curves';
import { plannedSteps } from '../../common/train-types';
import { CompareTable, verdict } from './CompareTable';
import { StyleGallery } from './StyleGallery';
import { AdvbnBatchPreview } from './AdvbnBatchPreview';
import { DomainsPanel } from './domains/DomainsPanel';
import { trainSettingsFromParams, trainSettingsToParams, useTrainStore } from './train-store';
import { readClassFolder, type FolderData } from './folder-data';
import { download } from './saved-models';
import { STYLE_WORLD_MODEL_ID, STYLE_WORLD_TRAIN_LAYER } from '../../common/style-world-info';
import { TrainControls } from './TrainControls';
import { DivergenceTable, ReportTable } from './ReportTables';
import { useTrainModels } from './useTrainModels';
import { useTrainRun } from './useTrainRun';
import { fmtTime, pct } from './format';
import './train.css';

const PHASES: Record<string, string> = {
  loading: 'loading the model', rendering: 'preparing the data', 'report-before': 'evaluating the base model',
  training: 'training', 'report-after': 'evaluating the fine-tuned model', saving: 'serialising the weights',
};

/** Training runs on small models (the style world's 64 px model); a 224 px VGG-19 would take hours. */
const trainable = (m: KnownModel) => m.present && m.entry.inputSize <= 128;

/**
 * Where AdvBN can go: ReLU outputs (f_adv clamped at 0) and BatchNorm outputs (before their ReLU, where a
 * per-channel affine change of the statistics is exactly what a global contrast/brightness change of the
 * input does to a first block without bias).
 */
const isSplitLayer = (l: LayerInfo) => l.relu || l.kind === 'batchnorm';

export function TrainPage() {
  const { settings, set, replace } = useTrainStore();
  const backend = useApp((s) => s.backend);
  const { models, error: modelsError } = useTrainModels(trainable);
  const [layers, setLayers] = useState<LayerInfo[]>([]);
  const [folder, setFolder] = useState<FolderData | null>(null);
  const [folderBusy, setFolderBusy] = useState<string | null>(null);

  // URL ⇄ settings: read the hash once on mount, then write it on every change (a subscription, not an
  // effect on `settings`, so that StrictMode's double mount cannot overwrite the link's values).
  useEffect(() => {
    replace(trainSettingsFromParams(readHash().params));
    return useTrainStore.subscribe((st) => { if (readHash().page === 'train') writeHash('train', trainSettingsToParams(st.settings)); });
  }, [replace]);

  const model = useMemo(() => models?.find((m) => m.entry.id === settings.model) ?? models?.[0] ?? null, [models, settings.model]);
  const run = useTrainRun(model, folder, layers);
  const { state, phase, steps, total, error, setError, result, cmp, cmpResult, kept, saved, saveError, running } = run;
  const { done, allSteps, elapsed, eta, last } = run.progress;
  // The charts' step axis: the run's steps once it reports them; before, what the settings will give
  // (style world: trainSize images; a folder's size is known only when read).
  const axisSteps = total > 0 ? total : settings.data === 'style-world' ? plannedSteps(settings.trainSize, settings.batchSize, settings.epochs) : 0;

  useEffect(() => {
    if (!model || !backend) return;
    let live = true;
    engine().request('train.layers', { source: model.source, entry: model.entry })
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
  }, [model, backend, set, setError]);

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
  }, [model, set, setError]);

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
          <TrainControls
            models={models} model={model} splitLayers={splitLayers} layersKnown={layers.length > 0} headHasBn={headHasBn}
            folder={folder} folderBusy={folderBusy} onFolder={(l) => void onFolder(l)} running={running} paused={state === 'paused'}
            canStart={!!backend && !!model && !!settings.layer} onStart={() => void run.start()} onPause={() => void run.togglePause()} onCancel={run.cancel}
          />
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
            {last && <p className="muted small" data-testid="last-step">curves end at (smoothed, as drawn): {cmp ? compareLossCurveEnds(cmp.plain, cmp.advbn) : lossCurveEnds(steps)}.<br />Last batch alone: clean loss {last.cleanLoss.toFixed(3)} ({pct(last.cleanAcc)}%){last.advLoss !== null ? `, AdvBN loss ${last.advLoss.toFixed(3)} (${pct(last.advAcc ?? undefined)}%)` : ''}{last.pgdLoss ? `; PGD raised the loss ${last.pgdLoss[0].toFixed(2)} → ${last.pgdLoss[1].toFixed(2)}` : ''}</p>}
            {error && <div className="error" role="alert" data-testid="train-error">{error}</div>}
            {cmp
              ? <CompareCurves plain={cmp.plain} advbn={cmp.advbn} total={axisSteps} caption={cmp.seeds > 1 ? `seed ${cmp.seed} (${cmp.seedIndex + 1} of ${cmp.seeds})` : undefined} />
              : <Curves steps={steps} total={axisSteps} />}
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
              <button onClick={() => void run.save()} disabled={!!saved} data-testid="save">{saved ? 'Kept in this browser' : 'Keep in this browser'}</button>
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
