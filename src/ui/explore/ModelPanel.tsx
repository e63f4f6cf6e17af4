/**
 * Which models the page can use: those in the served models/ folder (models/index.json, probed) and
 * those from folders the user picked (kept in IndexedDB so they survive a reload).
 */
import { useCallback, useEffect, useState } from 'react';
import {
  filesByRelativePath, isAbsoluteUrl, joinPath, modelsInFolder, neededFiles, probeServedModels, RegistryError,
  type FileSource, type KnownModel, type RegistryEntry,
} from '../../common/registry';
import { idbDeletePrefix, idbPut, metaGet, metaPut } from '../../common/idb-cache';
import type { ModelProgress } from '../../worker/explore-protocol';
import type { ImportResult } from '../../worker/import-protocol';
import { ImportZone } from './ImportZone';
import { hasVgg19, missingWhy, Vgg19Missing } from '../vgg19/GetVgg19';
import { FOLDERS_KEY, keepImport, type PickedFolder } from '../vgg19/keep-import';


function pickedModel(f: PickedFolder, e: RegistryEntry, source: FileSource): KnownModel {
  return { entry: e, source, origin: `picked folder "${f.root}" (${new Date(f.at).toLocaleString()})`, present: true, decoders: f.decoders[e.id] ?? [] };
}

/** Served and picked models, merged; a picked model whose id is taken gets "-picked" appended. */
function merge(served: KnownModel[], picked: KnownModel[]): KnownModel[] {
  const out = [...served];
  for (const p of picked) {
    let id = p.entry.id;
    while (out.some((m) => m.entry.id === id)) id += '-picked';
    out.push(id === p.entry.id ? p : { ...p, entry: { ...p.entry, id } });
  }
  return out;
}

export function useModels() {
  const [served, setServed] = useState<KnownModel[] | null>(null);
  const [picked, setPicked] = useState<KnownModel[]>([]);
  const [modelsError, setModelsError] = useState<string | null>(null);
  const [folderError, setFolderError] = useState<string | null>(null);
  const [folderBusy, setFolderBusy] = useState(false);

  const refresh = useCallback(async () => {
    const base = new URL(`${import.meta.env.BASE_URL}models/`, location.href).href;
    const [s, folders] = await Promise.all([probeServedModels(base), metaGet<PickedFolder[]>(FOLDERS_KEY)]);
    setModelsError(s.error);
    setServed(s.models);
    setPicked((prev) => {
      const kept = (folders ?? []).flatMap((f) => f.entries.map((e) => pickedModel(f, e, { kind: 'idb', prefix: f.prefix })));
      // Models picked meanwhile (or not kept: IndexedDB full or unavailable) stay.
      const key = (m: KnownModel) => (m.source.kind === 'idb' ? m.source.prefix : m.origin) + '|' + m.entry.id;
      const seen = new Set(kept.map(key));
      return [...prev.filter((p) => !seen.has(key(p))), ...kept];
    });
  }, []);

  useEffect(() => { void refresh(); }, [refresh]);

  /** A folder from <input webkitdirectory>: validated, kept in IndexedDB, added; returns the new model's id. */
  const pickFolder = useCallback(async (list: FileList | null): Promise<string | null> => {
    if (!list || !list.length) return null;
    setFolderBusy(true);
    setFolderError(null);
    try {
      const { root, files } = filesByRelativePath(list);
      const { entries, decoders } = await modelsInFolder(files, root);
      const at = Date.now();
      const folder: PickedFolder = { root, prefix: `folder:${root}:${at}/`, entries, decoders, at };
      let models: KnownModel[];
      try {
        const old = (await metaGet<PickedFolder[]>(FOLDERS_KEY)) ?? [];
        for (const f of old.filter((o) => o.root === root)) await idbDeletePrefix(f.prefix);
        const paths = new Set(entries.flatMap((e) => neededFiles(files, e)));
        for (const p of paths) await idbPut(folder.prefix + p, await files.get(p)!.arrayBuffer());
        await metaPut(FOLDERS_KEY, [...old.filter((o) => o.root !== root), folder]);
        models = entries.map((e) => pickedModel(folder, e, { kind: 'idb', prefix: folder.prefix }));
      } catch {
        // Not kept (quota, private mode): use the files for this session only.
        const blobs: Record<string, Blob> = {};
        for (const e of entries) for (const p of neededFiles(files, e)) blobs[joinPath(p)] = files.get(p)!;
        models = entries.map((e) => ({ ...pickedModel(folder, e, { kind: 'files', files: blobs }), origin: `picked folder "${root}" (not kept: this browser's storage refused it)` }));
      }
      const folders = (await metaGet<PickedFolder[]>(FOLDERS_KEY)) ?? [];
      setPicked((prev) => [
        ...prev.filter((p) => p.source.kind === 'files' && !models.includes(p)),
        ...folders.filter((f) => f.root !== root).flatMap((f) => f.entries.map((e) => pickedModel(f, e, { kind: 'idb', prefix: f.prefix }))),
        ...models,
      ]);
      return models[0]!.entry.id;
    } catch (e) {
      setFolderError(e instanceof RegistryError ? e.message : `The folder could not be read: ${(e as Error).message}`);
      return null;
    } finally {
      setFolderBusy(false);
    }
  }, []);

  /** An import the worker kept in IndexedDB: listed like a picked folder (and kept across reloads). */
  const addImported = useCallback(async (r: ImportResult): Promise<void> => {
    const { folder, replaced } = await keepImport(r);
    const model = { ...pickedModel(folder, r.entry, { kind: 'idb', prefix: r.prefix }), origin: `imported ${new Date(folder.at).toLocaleString()}` };
    setPicked((prev) => [...prev.filter((p) => !(p.source.kind === 'idb' && replaced.some((o) => o.prefix === (p.source as { prefix: string }).prefix))), model]);
  }, []);

  const models = served ? merge(served, picked) : null;
  return { models, modelsError, refresh, pickFolder, folderError, folderBusy, addImported };
}

function FolderPicker(props: { onPick(list: FileList | null): Promise<string | null>; onPicked?(id: string): void; busy: boolean }) {
  return (
    <label className="button-like">
      {props.busy ? 'Reading folder…' : 'Pick a model folder…'}
      <input
        type="file" aria-label="Model folder" className="sr-only" multiple
        ref={(el) => { el?.setAttribute('webkitdirectory', ''); }}
        onChange={async (e) => {
          const input = e.target;
          const id = await props.onPick(input.files);
          input.value = '';
          if (id) props.onPicked?.(id);
        }}
      />
    </label>
  );
}

export function ModelPanel(props: {
  models: KnownModel[] | null; current: KnownModel | null; requested: string;
  onSelect(id: string): void; onPick(list: FileList | null): Promise<string | null>; onRefresh(): Promise<void>;
  folderError: string | null; busy: boolean; loaded: boolean; loadError: string | null; progress: ModelProgress | null; loadMs: number | null;
  onImported(r: ImportResult): Promise<void>;
}) {
  const { models, current } = props;
  const missingRequested = !!props.requested && !!models && !current;
  return (
    <div className="panel model-panel">
      <h2>Model</h2>
      <div className="row wrap">
        <select aria-label="Model" value={current?.entry.id ?? ''} onChange={(e) => props.onSelect(e.target.value)}>
          {!current && <option value="">— choose a model —</option>}
          {(models ?? []).filter((m) => m.entry.role !== 'encoder').map((m) => (
            <option key={m.entry.id} value={m.entry.id} disabled={!m.present} title={m.present ? undefined : missingWhy(m)}>
              {m.entry.name}{m.present ? '' : ' (not found)'}
            </option>
          ))}
        </select>
        <FolderPicker onPick={props.onPick} onPicked={props.onSelect} busy={props.busy} />
      </div>
      {(models ?? []).filter((m) => !m.present && m.problem && isAbsoluteUrl(m.entry.path)).map((m) => (
        <div key={m.entry.id} className="error small" data-testid="model-problem">{m.entry.name}: {m.problem}</div>
      ))}
      {missingRequested && <div className="error small" role="alert" data-testid="model-missing">The model "{props.requested}" named in this link is not available here. Choose one above, or pick its folder.</div>}
      {props.folderError && <div className="error" role="alert" data-testid="folder-error">{props.folderError}</div>}
      {props.loadError && <div className="error" role="alert" data-testid="model-error">{props.loadError}</div>}
      <div className="muted small" data-testid="model-status" data-loaded={props.loaded ? '1' : '0'} data-model={current?.entry.id ?? ''} data-input-size={current?.entry.inputSize ?? ''}>
        {!models ? 'looking for models…'
          : !current ? ''
          : props.loaded ? `${current.entry.name} from ${current.origin} · input ${current.entry.inputSize}×${current.entry.inputSize} · ${current.entry.preprocessing} preprocessing${props.loadMs ? ` · loaded in ${(props.loadMs / 1000).toFixed(1)} s` : ''}`
          : props.loadError ? ''
          : `loading ${current.entry.name}${props.progress?.total ? `: ${props.progress.loaded}/${props.progress.total} weight files, ${(props.progress.bytes / 1048576).toFixed(1)} MB` : '…'}`}
      </div>
      {models && !hasVgg19(models)
        ? <Vgg19Missing testid="no-vgg19"><ImportZone models={models} onImported={props.onImported} offerDownload /></Vgg19Missing>
        : <ImportZone models={models} onImported={props.onImported} />}
    </div>
  );
}

export function NoModelPanel(props: { error: string | null; models: KnownModel[]; onPick(list: FileList | null): Promise<string | null>; folderError: string | null; busy: boolean; onImported(r: ImportResult): Promise<void> }) {
  return (
    <div className="panel no-model" data-testid="no-model">
      <h2>No model found</h2>
      <p>The Explore page needs a classifier in TensorFlow.js layers format. None of the models listed in <code>models/index.json</code> is present{props.error ? ` (${props.error})` : ''}:</p>
      <ul>{props.models.map((m) => <li key={m.entry.id}><code>{isAbsoluteUrl(m.entry.path) ? m.entry.path : `models/${m.entry.path}/model.json`}</code> — {m.entry.name}{m.problem ? <div className="small muted" data-testid="model-problem">{m.problem}</div> : null}</li>)}</ul>
      <p>To get one, either</p>
      <ol>
        <li>get VGG-19 (below: the two published files, a download in this browser, or <code>npx advbn get vgg19</code>), or import weights you have: the Keras <code>.h5</code>, torchvision's <code>.pth</code>, or the AdvBN authors' two files;</li>
        <li>link the shared VGG-19 weights into the served folder and reload:<br /><code>ln -s ../../shared/models/vgg19-imagenet-tfjs models/vgg19-imagenet-tfjs</code></li>
        <li>train the small style-world model with the Train page or the CLI, or</li>
        <li>pick a folder on this computer: a <code>models/</code> folder with <code>index.json</code>, or a single model folder with <code>model.json</code> and its shards (decoders in sub-folders with <code>decoder.json</code>). It is kept in this browser.</li>
      </ol>
      <FolderPicker onPick={props.onPick} busy={props.busy} />
      {props.folderError && <div className="error" role="alert" data-testid="folder-error">{props.folderError}</div>}
      <Vgg19Missing testid="no-vgg19"><ImportZone models={props.models} onImported={props.onImported} offerDownload /></Vgg19Missing>
    </div>
  );
}
