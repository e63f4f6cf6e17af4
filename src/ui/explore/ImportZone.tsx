/**
 * Import weights people already have (Keras / torchvision VGG-19, the AdvBN authors' autoencoder):
 * drop the files here or pick them. The work runs in the engine worker ('models.import'): a progress
 * bar in MB and layers, Cancel, and the result kept in IndexedDB and listed in the model menu.
 */
import { useCallback, useRef, useState } from 'react';
import { engine, RequestCancelled } from '../../worker/client';
import { importId, SUPPORTED_WEIGHT_FILES, type ImportEvent, type ImportRequest, type ImportResult } from '../../worker/import-protocol';
import type { KnownModel } from '../../common/registry';
import { Vgg19Download } from '../vgg19/GetVgg19';

const MB = 1024 * 1024;

/** Where the served Keras VGG-19 decoders are (copied into a Keras VGG-19 import), if any. */
function kerasDecoders(models: KnownModel[] | null): ImportRequest['kerasDecoders'] {
  const m = (models ?? []).find((k) => k.source.kind === 'url' && k.entry.preprocessing === 'caffe' && k.entry.inputSize === 224 && k.decoders.length);
  if (!m || m.source.kind !== 'url') return undefined;
  return { base: m.source.base, dirs: Object.fromEntries(m.decoders.map((l) => [l, m.entry.decoders[l]!])) };
}

/** `offerDownload`: also offer VGG-19's published files, downloaded by this browser and imported here. */
export function ImportZone(props: { models: KnownModel[] | null; onImported(r: ImportResult): Promise<void>; offerDownload?: boolean }) {
  const [progress, setProgress] = useState<ImportEvent | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [over, setOver] = useState(false);
  const ctrl = useRef<AbortController | null>(null);

  const start = useCallback(async (list: FileList | File[] | null) => {
    const files = Array.from(list ?? []);
    if (!files.length || ctrl.current) return;
    const c = new AbortController();
    ctrl.current = c;
    setError(null);
    setDone(null);
    setProgress({ kind: 'import-progress', file: files[0]!.name, index: 0, count: files.length, phase: 'read', bytes: 0, totalBytes: files[0]!.size });
    try {
      const payload: ImportRequest = { files, id: importId(files.map((f) => f.name)), kerasDecoders: kerasDecoders(props.models) };
      const r = await engine().request('models.import', payload, { signal: c.signal, onEvent: (e) => setProgress(e as ImportEvent) });
      await props.onImported(r);
      setDone(`Imported ${r.description} in ${(r.ms / 1000).toFixed(1)} s; kept in this browser.`);
    } catch (e) {
      setError(e instanceof RequestCancelled ? 'Import cancelled; nothing was kept.' : (e as Error).message);
    } finally {
      ctrl.current = null;
      setProgress(null);
    }
  }, [props]);

  const p = progress;
  const frac = p && p.totalBytes ? p.bytes / p.totalBytes : 0;
  return (
    <div
      className={`import-zone${over ? ' over' : ''}`} data-testid="import-zone"
      onDragOver={(e) => { e.preventDefault(); setOver(true); }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => { e.preventDefault(); e.stopPropagation(); setOver(false); void start(e.dataTransfer?.files ?? null); }}
    >
      <div className="row wrap">
        <label className="button-like">
          Import weights…
          <input type="file" aria-label="Weight files" className="sr-only" multiple accept=".h5,.hdf5,.pth,.pt"
            onChange={(e) => { const input = e.target; void start(input.files ? Array.from(input.files) : null).then(() => { input.value = ''; }); }} />
        </label>
        <span className="muted small">or drop them here:</span>
      </div>
      <ul className="small muted supported-files">
        {SUPPORTED_WEIGHT_FILES.map((s) => <li key={s.file}><code>{s.file}</code> — {s.what}</li>)}
      </ul>
      {props.offerDownload && <Vgg19Download onFile={(f) => void start([f])} busy={!!p} />}
      {p && (
        <div className="import-progress" data-testid="import-status" data-phase={p.phase}>
          <progress data-testid="import-progress" max={1} value={frac} />
          <span className="small">
            {p.count > 1 ? `file ${p.index + 1}/${p.count}: ` : ''}{p.file} — {p.phase === 'store' ? 'keeping in this browser' : p.phase === 'read' ? 'reading' : 'converting'}
            {' '}{(p.bytes / MB).toFixed(1)} / {(p.totalBytes / MB).toFixed(1)} MB
            {p.totalLayers ? ` · ${p.layers ?? 0}/${p.totalLayers} layers` : ''}
          </span>
          <button type="button" onClick={() => ctrl.current?.abort()}>Cancel</button>
        </div>
      )}
      {error && <div className="error small" role="alert" data-testid="import-error">{error}</div>}
      {done && <div className="muted small" data-testid="import-done">{done}</div>}
    </div>
  );
}
