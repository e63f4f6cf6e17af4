/**
 * Wherever VGG-19 is missing (the model menu, Explore, the Train page's domains mode): why, the two
 * published files linked, the one CLI command, and a download in this browser with progress where the
 * host allows it (the Import weights… zone then imports the file as if it were dropped there).
 */
import { useRef, useState, type ReactNode } from 'react';
import { VGG19_SOURCES, type VggSourceId } from '../../common/vgg19-sources';
import type { KnownModel } from '../../common/registry';
import { browserCheckNote, downloadVgg19, type DownloadProgress } from './browser-download';

const MB = 1024 * 1024;

/** Whether a 1000-class 224 px VGG classifier is present (served, picked or imported). */
export function hasVgg19(models: KnownModel[] | null): boolean {
  return (models ?? []).some((m) => m.present && m.entry.role !== 'encoder' && m.entry.inputSize === 224 && m.entry.labels === 'imagenet');
}

/** Why a listed model is greyed out, for the menu's tooltip. */
export function missingWhy(m: KnownModel): string {
  const where = /^https?:/i.test(m.entry.path) ? m.entry.path : `models/${m.entry.path}/model.json`;
  const vgg = m.entry.labels === 'imagenet' && m.entry.inputSize === 224;
  return `Not found: ${where} is not there${m.problem ? ` (${m.problem})` : ''}.`
    + (vgg ? ' VGG-19\'s ImageNet weights (548 MB, third-party) do not ship with the app: run npx advbn get vgg19, or use Import weights… below.' : '');
}

/** Why there is no VGG-19 and where to get it; `children`: the Import weights… zone. */
export function Vgg19Missing(props: { testid: string; children?: ReactNode }) {
  return (
    <div className="vgg19-missing small" data-testid={props.testid}>
      <p>
        <b>No VGG-19 here.</b> The network the paper is about does not ship with the app: its ImageNet weights
        ({VGG19_SOURCES.keras.size}) are Keras's or torchvision's, not this project's. Get one of the two published files:
      </p>
      <ul className="published-files">
        {Object.values(VGG19_SOURCES).map((s) => (
          <li key={s.id}><a href={s.url} download>{s.file}</a> — {s.what}</li>
        ))}
      </ul>
      <p>
        and import it here (Import weights…, or drop it), or let the command line do it all — download, check, import into
        {' '}<code>models/</code>: <code>npx advbn get vgg19</code> (<code>--from torchvision</code> for the other file), then reload.
      </p>
      {props.children}
    </div>
  );
}

/** "Download … in this browser" for each published file; a finished download goes to `onFile`. */
export function Vgg19Download(props: { onFile(f: File): void; busy?: boolean }) {
  const [progress, setProgress] = useState<(DownloadProgress & { id: VggSourceId }) | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [note, setNote] = useState('');
  const ctrl = useRef<AbortController | null>(null);
  const start = async (id: VggSourceId) => {
    if (ctrl.current) return;
    const c = new AbortController();
    ctrl.current = c;
    setError(null);
    setNote(browserCheckNote(id));
    setProgress({ bytes: 0, total: null, id }); // shown while the host answers
    try {
      const file = await downloadVgg19(id, (p) => setProgress({ ...p, id }), c.signal);
      props.onFile(file);
    } catch (e) {
      if ((e as Error).name !== 'AbortError') setError((e as Error).message);
    } finally {
      ctrl.current = null;
      setProgress(null);
    }
  };
  const busy = !!progress || !!props.busy;
  return (
    <div className="vgg19-download">
      <div className="row wrap">
        {Object.values(VGG19_SOURCES).map((s) => (
          <button key={s.id} type="button" onClick={() => void start(s.id)} disabled={busy} data-testid={`vgg-download-${s.id}`}
            title={busy ? 'A download or import is running' : `Downloads ${s.file} (${s.size}) from ${new URL(s.url).host} in this browser, then imports it`}>
            Download the {s.id === 'keras' ? 'Keras' : 'torchvision'} file here ({s.size})
          </button>
        ))}
      </div>
      {progress && (
        <div className="import-progress" data-testid="vgg-download-progress">
          <progress max={1} value={progress.total ? progress.bytes / progress.total : undefined} />
          <span className="small">downloading {VGG19_SOURCES[progress.id].file}: {(progress.bytes / MB).toFixed(1)}{progress.total ? ` / ${(progress.total / MB).toFixed(1)}` : ''} MB</span>
          <button type="button" onClick={() => ctrl.current?.abort()}>Cancel</button>
        </div>
      )}
      {note && <div className="muted small" data-testid="vgg-download-note">{note}</div>}
      {error && <div className="error small" role="alert" data-testid="vgg-download-error">{error}</div>}
    </div>
  );
}

/**
 * A photo on a model of drawn shapes (the style world): it names one of its shapes whatever the photo
 * shows, so say what it knows and offer VGG-19 (switch to it, or show where to get it).
 */
export function ToyModelNote(props: { labels: string[]; vgg: KnownModel | null; onUseVgg(id: string): void }) {
  const showGet = () => document.querySelector('[data-testid="no-vgg19"]')?.scrollIntoView({ behavior: 'smooth', block: 'start' });
  return (
    <div className="warning small" role="status" data-testid="toy-model-note">
      This model knows {props.labels.length} drawn shapes ({props.labels.join(', ')}), not photos: on a photo it still names one of
      them, with confidence that means nothing. For photos use VGG-19 (ImageNet's 1000 classes):{' '}
      {props.vgg
        ? <button type="button" onClick={() => props.onUseVgg(props.vgg!.entry.id)}>Use {props.vgg.entry.name}</button>
        : <button type="button" onClick={showGet}>Get VGG-19…</button>}
    </div>
  );
}
