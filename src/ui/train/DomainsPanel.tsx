/**
 * The Train page on a domains folder (PACS-style: root/<domain>/<class>/<image>): the paper's model —
 * VGG-19 split at l, its features computed once per image (progress per set, kept in this browser),
 * VGG-19's own layers after l fine-tuned with inserted and auxiliary BNs — trained three ways from the
 * same base on the same batches (plain, AdvBN, random δ) over seeds, then one table per arm and set
 * with the BN branch each number uses, Δ against plain, and verdicts.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { engine, RequestCancelled } from '../../worker/client';
import { probeServedModels, type KnownModel, type RegistryEntry } from '../../common/registry';
import { metaGet } from '../../common/idb-cache';
import type { DomainsEvent, LayerInfo, TrainDomainsRequest, TrainDomainsResult } from '../../worker/train-protocol';
import type { StepResult } from '../../common/train-types';
import { parseSweepM, useTrainStore } from './train-store';
import { decodeDomainSets, readDomainsFolder, type PickedDomains } from './domains-data';
import { DomainsTable } from './DomainsTable';
import { PICKED_FOLDERS_KEY } from './saved-models';

type RunState = 'idle' | 'running' | 'paused' | 'done' | 'error' | 'cancelled';

/** VGG-19 classifiers (served, or imported into this browser): what the domains comparison fine-tunes. */
function useVggModels() {
  const [models, setModels] = useState<KnownModel[] | null>(null);
  useEffect(() => {
    let live = true;
    (async () => {
      const served = await probeServedModels(new URL(`${import.meta.env.BASE_URL}models/`, location.href).href);
      const folders = (await metaGet<Array<{ prefix: string; entries: RegistryEntry[]; root: string }>>(PICKED_FOLDERS_KEY)) ?? [];
      const kept: KnownModel[] = folders.flatMap((f) => f.entries.map((entry) => ({ entry, source: { kind: 'idb' as const, prefix: f.prefix }, origin: f.root, present: true, decoders: [] })));
      if (live) setModels([...served.models, ...kept].filter((m) => m.present && m.entry.role !== 'encoder' && m.entry.inputSize >= 128));
    })().catch(() => live && setModels([]));
    return () => { live = false; };
  }, []);
  return models;
}

const PHASE_TEXT: Record<string, string> = {
  reading: 'reading images', loading: 'loading the model', features: 'features at the split layer', init: 'initialising the inserted BNs on the source',
  training: 'training', evaluating: 'evaluating',
};

export function DomainsPanel({ ready }: { ready: boolean }) {
  const { settings, set } = useTrainStore();
  const models = useVggModels();
  const [layers, setLayers] = useState<LayerInfo[]>([]);
  const [picked, setPicked] = useState<PickedDomains | null>(null);
  const [state, setState] = useState<RunState>('idle');
  const [phase, setPhase] = useState<string | null>(null);
  const [step, setStep] = useState<{ arm: string; seed: number; step: number; total: number; last: StepResult } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<TrainDomainsResult | null>(null);
  const run = useRef<{ id: string; ctrl: AbortController } | null>(null);
  const model = models?.find((m) => m.entry.id === settings.dModel) ?? models?.[0] ?? null;

  useEffect(() => {
    if (!model || !ready) return;
    let live = true;
    engine().request<LayerInfo[]>('train.layers', { source: model.source, entry: model.entry })
      .then((ls) => { if (live) setLayers(ls); })
      .catch((e: Error) => live && setError(`Cannot read ${model.entry.name}: ${e.message}`));
    return () => { live = false; };
  }, [model, ready]);
  // Split layers: convolutions (ReLU outputs) before block5_pool, the head VGG-19 keeps.
  const end = layers.findIndex((l) => l.name === 'block5_pool');
  const splitLayers = end > 0 ? layers.slice(0, end).filter((l) => l.relu && l.name !== layers[end - 1]!.name) : [];

  const onPick = useCallback((list: FileList | null) => {
    if (!list?.length) return;
    try {
      const p = readDomainsFolder(list);
      setPicked(p);
      setError(null);
      if (!p.layout.domains.includes(useTrainStore.getState().settings.dSource)) set({ dSource: p.layout.domains[0]! });
    } catch (e) {
      // The earlier folder and results stay: only the message changes.
      setError((e as Error).message);
    }
  }, [set]);

  const start = useCallback(async () => {
    const s = useTrainStore.getState().settings;
    if (!picked) { setError('Pick a domains folder first (root/<domain>/<class>/<image>, e.g. PACS).'); return; }
    if (!model) return;
    if (end < 0) { setError(`${model.entry.name} has no block5_pool layer: the domains comparison fine-tunes a VGG-19.`); return; }
    const sweepM = parseSweepM(s.dSweep);
    if (sweepM instanceof Error) { setError(sweepM.message); return; }
    const id = `domains-${Date.now()}`;
    const ctrl = new AbortController();
    run.current = { id, ctrl };
    setState('running'); setError(null); setStep(null); setPhase('reading');
    try {
      const sets = await decodeDomainSets(picked, s.dSource, s.dTestSize, s.dSize, (d, t) => setPhase(`reading ${d}/${t}`));
      if (ctrl.signal.aborted) throw new RequestCancelled();
      const req: TrainDomainsRequest = {
        runId: id, model: { source: model.source, entry: model.entry }, layer: s.dLayer, size: s.dSize, classes: picked.layout.classes, sets,
        arms: s.dRandom ? ['plain', 'advbn', 'random-uniform'] : ['plain', 'advbn'], seeds: s.seeds, epochs: s.dEpochs, batchSize: s.batchSize,
        lr: s.dLr, eps: s.dEps, tau: s.dTau, pgdSteps: s.dM, ...(sweepM ? { sweepM } : {}),
      };
      const r = await engine().request<TrainDomainsResult>('train.domains', req, {
        signal: ctrl.signal,
        onEvent: (p) => {
          const e = p as DomainsEvent;
          if (e.kind === 'phase') {
            const what = PHASE_TEXT[e.phase] ?? e.phase;
            setPhase(e.phase === 'features' ? `${what}: ${e.set} ${e.cached ? '(from this browser\'s cache)' : `${e.done ?? 0}/${e.total ?? 0}`}`
              : `${what}${e.seed != null ? ` — seed ${e.seed}` : ''}${e.arm ? `, ${e.arm}` : ''}`);
          } else {
            const { kind: _k, arm, seed, total, ...st } = e;
            setStep({ arm, seed, step: st.step + 1, total, last: st });
          }
        },
      });
      setResult(r);
      setState('done');
    } catch (e) {
      if (e instanceof RequestCancelled || ctrl.signal.aborted) setState('cancelled');
      else { setError((e as Error).message); setState('error'); }
    } finally {
      setPhase(null);
    }
  }, [picked, model, end]);

  const togglePause = useCallback(async () => {
    const r = run.current;
    if (!r) return;
    const pause = state === 'running';
    await engine().request('train.pause', { runId: r.id, paused: pause });
    setState((now) => (now === 'running' || now === 'paused' ? (pause ? 'paused' : 'running') : now));
  }, [state]);

  const running = state === 'running' || state === 'paused';
  const num = (key: 'dSize' | 'dTestSize' | 'dEpochs' | 'dLr' | 'dEps' | 'dTau' | 'dM' | 'seeds' | 'batchSize', label: string, aria: string, stepBy: number, disabled = false) => (
    <label>{label}<input type="number" aria-label={aria} value={settings[key]} step={stepBy} disabled={disabled} onChange={(e) => set({ [key]: Number(e.target.value) })} /></label>
  );

  return (
    <div className="train-grid" data-testid="domains-panel">
      <div className="panel train-controls">
        <h2>Robustness to style: a domains folder</h2>
        <p className="muted small">
          Train on one domain (e.g. PACS photos), test on unseen styles (art, cartoon, sketch). VGG-19 is split at l: the layers up to l are frozen
          and their features computed once per image; VGG-19's own layers after l are fine-tuned (a BatchNorm inserted after each convolution,
          starting as the identity, with an auxiliary twin for the AdvBN path), then average pooling and a new linear layer.
        </p>
        <button className="link" onClick={() => set({ data: 'style-world' })} disabled={running} data-testid="domains-back">← the style world or a folder of one domain</button>
        <fieldset disabled={running}>
          <legend>Data</legend>
          <input type="file" aria-label="Domains folder" {...({ webkitdirectory: '', directory: '' } as Record<string, string>)} multiple onChange={(e) => onPick(e.target.files)} />
          {picked && (
            <p className="muted small" data-testid="domains-summary">
              {picked.root}: {picked.layout.domains.map((d) => `${d} (${picked.layout.items[d]!.length})`).join(', ')}; {picked.layout.classes.length} classes ({picked.layout.classes.join(', ')}).
            </p>
          )}
          {picked && (
            <label>source domain (a fifth of it is held out as source-val; every other domain is a target)
              <select aria-label="Source domain" value={settings.dSource} onChange={(e) => set({ dSource: e.target.value })}>
                {picked.layout.domains.map((d) => <option key={d} value={d}>{d}</option>)}
              </select>
            </label>
          )}
          <div className="row">{num('dTestSize', 'test images per target (0: all)', 'Test images per target', 100)}{num('dSize', 'image size (px)', 'Image size', 16)}</div>
        </fieldset>
        <fieldset disabled={running}>
          <legend>Model and Algorithm 1</legend>
          <label>VGG-19
            <select aria-label="VGG model" value={model?.entry.id ?? ''} onChange={(e) => set({ dModel: e.target.value })}>
              {(models ?? []).map((m) => <option key={m.entry.id} value={m.entry.id}>{m.entry.name}</option>)}
            </select>
          </label>
          {models && !models.length && <p className="error small">No VGG-19 found: link or import one (README, "Models").</p>}
          <label>split layer l
            <select aria-label="Domains split layer" value={settings.dLayer} onChange={(e) => set({ dLayer: e.target.value })}>
              {(splitLayers.length ? splitLayers.map((l) => l.name) : [settings.dLayer]).map((n) => <option key={n} value={n}>{n}</option>)}
            </select>
          </label>
          {/* A strength sweep sets τ 0.2 and ε = m·τ − 0.1 per m: these three do not apply then. */}
          <div className="row">{num('dEps', 'ε', 'Domains epsilon', 0.1, !!settings.dSweep)}{num('dTau', 'τ', 'Domains tau', 0.05, !!settings.dSweep)}{num('dM', 'm', 'Domains PGD steps', 1, !!settings.dSweep)}</div>
          <div className="row">{num('dEpochs', 'epochs', 'Domains epochs', 0.5)}{num('batchSize', 'batch', 'Domains batch size', 8)}{num('dLr', 'lr (Adam)', 'Domains learning rate', 0.0001)}</div>
          <div className="row">{num('seeds', 'seeds', 'Domains seeds', 1)}</div>
          <label className="inline"><input type="checkbox" aria-label="Random delta arm" checked={settings.dRandom} onChange={(e) => set({ dRandom: e.target.checked })} disabled={!!settings.dSweep} /> random-δ control (δ uniform in [1 − ε, 1 + ε], same loss)</label>
          <label className="inline"><input type="checkbox" aria-label="Strength sweep" checked={!!settings.dSweep} onChange={(e) => set({ dSweep: e.target.checked ? '0,1,2,3,6' : '' })} /> strength sweep instead (the paper's Figure 4: τ 0.2, ε = m·τ − 0.1)</label>
          {settings.dSweep && <label>m values (0 = plain)<input aria-label="Sweep m values" value={settings.dSweep} onChange={(e) => set({ dSweep: e.target.value })} /></label>}
        </fieldset>
        <div className="row buttons">
          {!running && <button className="primary" onClick={() => void start()} disabled={!ready || !model || !picked} data-testid="domains-start">{settings.dSweep ? `Sweep m = ${settings.dSweep}` : `Compare plain, AdvBN${settings.dRandom ? ', random δ' : ''}`}</button>}
          {running && <button onClick={() => void togglePause()} data-testid="domains-pause">{state === 'paused' ? 'Resume' : 'Pause'}</button>}
          {running && <button onClick={() => run.current?.ctrl.abort()} data-testid="domains-cancel">Cancel</button>}
        </div>
      </div>
      <div className="train-results">
        <div className="panel">
          <div className="progress-line" data-testid="domains-state" data-state={state}>
            <strong>{state === 'idle' ? 'ready' : state}</strong>
            {phase && <span className="muted"> — {phase}</span>}
            {step && running && <span className="muted" data-testid="domains-step"> — seed {step.seed}, {step.arm}: step {step.step}/{step.total}, clean loss {step.last.cleanLoss.toFixed(3)}{step.last.advLoss !== null ? `, perturbed ${step.last.advLoss.toFixed(3)}` : ''}</span>}
          </div>
          {error && <div className="error" role="alert" data-testid="domains-error">{error}</div>}
        </div>
        {result && <DomainsTable result={result} decoderLayers={Object.keys(model?.entry.decoders ?? {})} />}
      </div>
    </div>
  );
}
