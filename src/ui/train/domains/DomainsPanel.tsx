/**
 * The Train page on a domains folder (PACS-style: root/<domain>/<class>/<image>): the paper's model —
 * VGG-19 split at l, its features computed once per image (progress per set, kept in this browser),
 * VGG-19's own layers after l fine-tuned with inserted and auxiliary BNs — trained three ways from the
 * same base on the same batches (plain, AdvBN and the controls) over seeds, then one table per arm and set
 * with the BN branch each number uses, Δ against plain, and verdicts.
 */
import { useCallback, useEffect, useState } from 'react';
import { engine } from '../../../worker/client';
import type { KnownModel } from '../../../common/registry';
import type { LayerInfo } from '../../../worker/train-protocol';
import { useTrainStore } from '../train-store';
import { readDomainsFolder, type PickedDomains } from './domains-data';
import { DomainsTable } from './DomainsTable';
import { useTrainModels } from '../useTrainModels';
import { useDomainsRun } from './useDomainsRun';
import { ImportZone } from '../../explore/ImportZone';
import { Vgg19Missing } from '../../vgg19/GetVgg19';
import { keepImport } from '../../vgg19/keep-import';

/** VGG-19 classifiers (served, or imported into this browser): what the domains comparison fine-tunes. */
const isVgg = (m: KnownModel) => m.present && m.entry.role !== 'encoder' && m.entry.inputSize >= 128;

export function DomainsPanel({ ready }: { ready: boolean }) {
  const { settings, set } = useTrainStore();
  const found = useTrainModels(isVgg);
  // A failed search offers none (and says how to get one).
  const models = found.models ?? (found.error ? [] : null);
  const [layers, setLayers] = useState<LayerInfo[]>([]);
  const [picked, setPicked] = useState<PickedDomains | null>(null);
  const model = models?.find((m) => m.entry.id === settings.dModel) ?? models?.[0] ?? null;

  // Split layers: convolutions (ReLU outputs) before block5_pool, the head VGG-19 keeps.
  const end = layers.findIndex((l) => l.name === 'block5_pool');
  const splitLayers = end > 0 ? layers.slice(0, end).filter((l) => l.relu && l.name !== layers[end - 1]!.name) : [];

  const { state, phase, step, error, setError, result, start, togglePause, cancel } = useDomainsRun(model, picked, end);

  useEffect(() => {
    if (!model || !ready) return;
    let live = true;
    engine().request('train.layers', { source: model.source, entry: model.entry })
      .then((ls) => { if (live) setLayers(ls); })
      .catch((e: Error) => live && setError(`Cannot read ${model.entry.name}: ${e.message}`));
    return () => { live = false; };
  }, [model, ready, setError]);

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

  const running = state === 'running' || state === 'paused';
  // Why Compare cannot start yet (the button says it in its title and beside it).
  const startWhy = !ready ? 'The engine is still starting.' : !model ? (models ? 'No VGG-19 here: get or import one (above).' : 'Looking for VGG-19…')
    : !picked ? 'Pick a domains folder first (root/<domain>/<class>/<image>, e.g. PACS).' : '';
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
          {models && !models.length && (
            <Vgg19Missing testid="no-vgg19-train">
              <ImportZone models={models} offerDownload onImported={async (r) => { await keepImport(r); set({ dModel: r.entry.id }); found.refresh(); }} />
            </Vgg19Missing>
          )}
          <label>split layer l
            <select aria-label="Domains split layer" value={settings.dLayer} onChange={(e) => set({ dLayer: e.target.value })}>
              {(splitLayers.length ? splitLayers.map((l) => l.name) : [settings.dLayer]).map((n) => <option key={n} value={n}>{n}</option>)}
            </select>
          </label>
          {/* An m sweep sets τ 0.2 and ε = m·τ − 0.1 per m: these three do not apply then. */}
          <div className="row">{num('dEps', 'ε', 'Domains epsilon', 0.1, !!settings.dMSweep)}{num('dTau', 'τ', 'Domains tau', 0.05, !!settings.dMSweep)}{num('dM', 'm', 'Domains PGD steps', 1, !!settings.dMSweep)}</div>
          <div className="row">{num('dEpochs', 'epochs', 'Domains epochs', 0.5)}{num('batchSize', 'batch', 'Domains batch size', 8)}{num('dLr', 'lr (Adam)', 'Domains learning rate', 0.0001)}</div>
          <div className="row">{num('seeds', 'seeds', 'Domains seeds', 1)}</div>
          <label className="inline"><input type="checkbox" aria-label="Control arms" checked={settings.dRandom} onChange={(e) => set({ dRandom: e.target.checked })} disabled={!!settings.dMSweep} /> the controls: random δ uniform in [1 − ε, 1 + ε] and of AdvBN's sizes in a random direction (AdvBN's loss), MixStyle, DSU</label>
          <label className="inline"><input type="checkbox" aria-label="Strength sweep" checked={!!settings.dMSweep} onChange={(e) => set({ dMSweep: e.target.checked ? '0,1,2,3,6' : '' })} /> strength sweep instead (the paper's Figure 4: τ 0.2, ε = m·τ − 0.1)</label>
          {settings.dMSweep && <label>m values (0 = plain)<input aria-label="Sweep m values" value={settings.dMSweep} onChange={(e) => set({ dMSweep: e.target.value })} /></label>}
        </fieldset>
        <div className="row buttons">
          {!running && <button className="primary" onClick={() => void start()} disabled={!!startWhy} title={startWhy || undefined} aria-describedby={startWhy ? 'domains-start-why' : undefined} data-testid="domains-start">{settings.dMSweep ? `Sweep m = ${settings.dMSweep}` : `Compare plain, AdvBN${settings.dRandom ? ' and the controls' : ''}`}</button>}
          {running && <button onClick={() => void togglePause()} data-testid="domains-pause">{state === 'paused' ? 'Resume' : 'Pause'}</button>}
          {running && <button onClick={cancel} data-testid="domains-cancel">Cancel</button>}
          {!running && startWhy && <span className="muted small" id="domains-start-why" data-testid="domains-start-why">{startWhy}</span>}
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
