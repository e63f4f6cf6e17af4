/**
 * Fine-tuned models in this browser. A trained model is kept in IndexedDB (the app's file cache,
 * src/models/idb-cache.ts) under `trained:<id>/…` and registered in the "picked-folders" list that the
 * Explore page reads at start-up (the same record a picked model folder gets), so Explore offers it
 * next to the base model, with the base model's decoders for layers up to the split (the encoder was
 * frozen, so they still apply). Also: downloads as TF.js layers-format files.
 */
import { idbGet, idbPut, metaGet, metaPut } from '../../common/idb-cache';
import { joinPath, type KnownModel, type RegistryEntry } from '../../common/registry';
import { downloadBlob } from '../download';

/** The record ModelPanel (Explore) keeps per picked folder, under meta key "picked-folders". */
interface PickedFolder { root: string; prefix: string; entries: RegistryEntry[]; decoders: Record<string, string[]>; at: number }
export const PICKED_FOLDERS_KEY = 'picked-folders';
export const TRAINED_PREFIX = 'trained:';

async function readFrom(m: KnownModel, path: string): Promise<ArrayBuffer> {
  const s = m.source;
  if (s.kind === 'url') {
    const r = await fetch(s.base + path);
    if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
    return r.arrayBuffer();
  }
  if (s.kind === 'idb') {
    const b = await idbGet(s.prefix + path);
    if (!b) throw new Error(`${path} is not in IndexedDB`);
    return b;
  }
  const f = s.files[path];
  if (!f) throw new Error(`${path} is not in the picked folder`);
  return f.arrayBuffer();
}

export interface SavedModel { id: string; name: string; entry: RegistryEntry; decoders: string[] }

/**
 * Stores a fine-tuned model and registers it for Explore. `decoderLayers`: the base model's decoders
 * that stay valid (layers at or before the split). Returns the registry id Explore lists it under.
 */
export async function saveTrainedModel(opts: {
  base: KnownModel; name: string; layer: string; modelJson: string; weights: ArrayBuffer; classes: string[]; decoderLayers: string[];
}): Promise<SavedModel> {
  const at = Date.now();
  const id = `${opts.base.entry.id}-ft-${at.toString(36)}`;
  const prefix = `${TRAINED_PREFIX}${id}/`;
  await idbPut(`${prefix}model/model.json`, new TextEncoder().encode(opts.modelJson).buffer as ArrayBuffer);
  await idbPut(`${prefix}model/group1-shard1of1.bin`, opts.weights);
  const decoders: Record<string, string> = {};
  const present: string[] = [];
  for (const layer of opts.decoderLayers) {
    const dir = opts.base.entry.decoders[layer];
    if (!dir) continue;
    try {
      const manifestBuf = await readFrom(opts.base, joinPath(dir, 'decoder.json'));
      const manifest = JSON.parse(new TextDecoder().decode(manifestBuf)) as { weights: { path: string } };
      const weights = await readFrom(opts.base, joinPath(dir, manifest.weights.path));
      await idbPut(`${prefix}decoder-${layer}/decoder.json`, manifestBuf);
      await idbPut(`${prefix}decoder-${layer}/${manifest.weights.path}`, weights);
      decoders[layer] = `decoder-${layer}`;
      present.push(layer);
    } catch {
      // A decoder that cannot be read is simply not offered.
    }
  }
  const entry: RegistryEntry = {
    id, name: opts.name, path: 'model', preprocessing: opts.base.entry.preprocessing, inputSize: opts.base.entry.inputSize,
    labels: opts.classes.length ? opts.classes : opts.base.entry.labels, defaultLayer: opts.layer, decoders,
    // Style-world samples are drawn by code, so they travel with the model; files are relative to the base's folder.
    samples: (opts.base.entry.samples ?? []).filter((x) => x.kind === 'style-world'),
  };
  const folders = (await metaGet<PickedFolder[]>(PICKED_FOLDERS_KEY)) ?? [];
  await metaPut(PICKED_FOLDERS_KEY, [...folders, { root: `trained: ${opts.name}`, prefix, entries: [entry], decoders: { [id]: present }, at }]);
  return { id, name: opts.name, entry, decoders: present };
}

/** Starts a browser download of a file. */
export function download(name: string, data: BlobPart, type = 'application/octet-stream'): void {
  downloadBlob(new Blob([data], { type }), name);
}
