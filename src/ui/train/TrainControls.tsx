/**
 * The Train page's settings panel: model, split layer, data (the style world, a folder of images, or the
 * domains mode), Algorithm 1's settings, and the run buttons. Settings live in the Train store (and so
 * in the URL); the run itself is useTrainRun's.
 */
import type { KnownModel } from '../../common/registry';
import type { LayerInfo } from '../../worker/train-protocol';
import type { FolderData } from './folder-data';
import { useTrainStore } from './train-store';

export interface TrainControlsProps {
  models: KnownModel[];
  model: KnownModel | null;
  splitLayers: LayerInfo[];
  /** Whether the model's layers are known (before: no word about its head). */
  layersKnown: boolean;
  headHasBn: boolean;
  folder: FolderData | null;
  folderBusy: string | null;
  onFolder(files: FileList | null): void;
  running: boolean;
  paused: boolean;
  canStart: boolean;
  onStart(): void;
  onPause(): void;
  onCancel(): void;
}

export function TrainControls(props: TrainControlsProps) {
  const { models, model, splitLayers, layersKnown, headHasBn, folder, folderBusy, onFolder, running, paused, canStart, onStart, onPause, onCancel } = props;
  const { settings, set } = useTrainStore();
  return (
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
      {layersKnown && !headHasBn && <p className="muted small">The head after {settings.layer} has no BatchNorm: no auxiliary BNs (AdvBN still perturbs the features).</p>}
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
        {!running && <button className="primary" onClick={onStart} disabled={!canStart} data-testid="start">Start training</button>}
        {running && <button onClick={onPause} data-testid="pause">{paused ? 'Resume' : 'Pause'}</button>}
        {running && <button onClick={onCancel} data-testid="cancel">Cancel</button>}
      </div>
    </div>
  );
}
