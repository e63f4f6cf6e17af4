/**
 * The model registry: which classifiers (and decoders) the app knows, where their files are, and how
 * to feed them. No tfjs here: this module runs on the UI thread.
 *
 * FORMAT of `models/index.json` (also accepted at the root of a folder the user picks):
 *
 *     {
 *       "models": [
 *         {
 *           "id": "vgg19",                      // unique, URL-safe; used in share links (?model=vgg19)
 *           "name": "VGG-19 (ImageNet)",        // shown to people
 *           "path": "vgg19-imagenet-tfjs",      // folder, relative to index.json, with model.json + shards
 *                                               // (TensorFlow.js layers format), or an absolute URL
 *                                               // ("https://host/weights/vgg19/") for weights hosted
 *                                               // elsewhere (that host must allow CORS); decoders too
 *           "preprocessing": "caffe",           // "caffe" (Keras VGG: BGR, 0-255 minus means),
 *                                               // "unit" (RGB in [0,1] minus 0.5), "torch" (torchvision:
 *                                               // (RGB in [0,1] − mean) / std) or "rgb01" (RGB in [0,1])
 *           "inputSize": 224,                   // square input side, pixels
 *           "labels": "imagenet",               // "imagenet" (the 1000 names in src/models/imagenet-labels.json)
 *                                               // or an array of class names in output order
 *           "defaultLayer": "block4_conv1",     // split layer used when none is chosen
 *           "decoders": {                       // split layer → folder (relative to index.json) with
 *             "block3_conv1": "decoder-block3_conv1"  // decoder.json + weights.bin (advbn train-decoder)
 *           },
 *           "samples": [                        // the Explore page's first images for this model, in order:
 *             {"file": "imagenet-samples/x.JPEG"},  // an image file relative to index.json (used when present)
 *             {"styleWorld": {"family": "flat", "seed": 1, "index": 3}}  // or a style-world image drawn by code
 *           ]
 *         }
 *       ]
 *     }
 *
 * The first model that is present is the page's default: list the small embedded model (style-world)
 * first, so a fresh clone opens on it and VGG-19 (138 MB) loads only when chosen or linked.
 * Decoder folders are relative to index.json too, e.g. "style-world/decoder-block2_relu1".
 *
 * Optional "role": "encoder" marks a network without a classifier (an autoencoder's encoder; written by
 * `advbn import` for Keras _notop files and AdaIN's vgg_normalised).
 *
 * Only id, path, preprocessing and inputSize are required; name defaults to id, labels to "class i",
 * defaultLayer to the first decoder's layer, decoders to none. Entries whose files are missing are
 * listed as absent (the app probes model.json and each decoder.json).
 */
import imagenetLabels from './imagenet-labels.json';
import type { Preprocessing } from './preprocessing';

export interface RegistryEntry {
  id: string;
  name: string;
  path: string;
  preprocessing: Preprocessing;
  inputSize: number;
  labels: 'imagenet' | string[];
  defaultLayer: string;
  decoders: Record<string, string>;
  /** 'encoder': a network without a classifier (Keras _notop, AdaIN's vgg_normalised), used only as an autoencoder's encoder. */
  role?: 'classifier' | 'encoder';
  /** The model's own sample images (first view of the Explore page); none: the drawn fallback. */
  samples?: SampleSpec[];
}

/** A sample image: a file next to the weights, or an item of the style world (drawn by code, no file). */
export type SampleSpec =
  | { kind: 'file'; path: string }
  | { kind: 'style-world'; family: string; seed: number; index: number };

function parseSample(raw: unknown, at: string): SampleSpec {
  const r = (raw ?? {}) as Record<string, unknown>;
  if (typeof r.file === 'string' && r.file) return { kind: 'file', path: r.file };
  const sw = r.styleWorld as Record<string, unknown> | undefined;
  if (sw && typeof sw === 'object' && typeof sw.family === 'string' && Number.isInteger(sw.seed) && Number.isInteger(sw.index) && (sw.index as number) >= 0) {
    return { kind: 'style-world', family: sw.family, seed: sw.seed as number, index: sw.index as number };
  }
  throw new RegistryError(`${at}: each sample must be {"file": "path"} or {"styleWorld": {"family", "seed", "index"}} (got ${JSON.stringify(raw)}).`);
}

export class RegistryError extends Error {}

const ID_RE = /^[A-Za-z0-9._-]+$/;

/** Validates one entry; throws a RegistryError that names the entry and the field. */
export function parseEntry(raw: unknown, where: string): RegistryEntry {
  if (!raw || typeof raw !== 'object') throw new RegistryError(`${where}: each model must be an object.`);
  const r = raw as Record<string, unknown>;
  const id = r.id;
  if (typeof id !== 'string' || !ID_RE.test(id)) throw new RegistryError(`${where}: "id" must be a string of letters, digits, '.', '_' or '-' (got ${JSON.stringify(id)}).`);
  const at = `${where}, model "${id}"`;
  if (typeof r.path !== 'string') throw new RegistryError(`${at}: "path" (the folder with model.json) is missing.`);
  if (!['caffe', 'unit', 'torch', 'rgb01'].includes(r.preprocessing as string)) throw new RegistryError(`${at}: "preprocessing" must be "caffe", "unit", "torch" or "rgb01".`);
  const size = r.inputSize;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 8 || size > 1024) throw new RegistryError(`${at}: "inputSize" must be a whole number from 8 to 1024.`);
  let labels: RegistryEntry['labels'] = [];
  if (r.labels === 'imagenet') labels = 'imagenet';
  else if (Array.isArray(r.labels) && r.labels.every((x) => typeof x === 'string')) labels = r.labels as string[];
  else if (r.labels !== undefined) throw new RegistryError(`${at}: "labels" must be "imagenet" or an array of class names.`);
  const decoders: Record<string, string> = {};
  if (r.decoders !== undefined) {
    if (!r.decoders || typeof r.decoders !== 'object' || Array.isArray(r.decoders)) throw new RegistryError(`${at}: "decoders" must map layer names to folders.`);
    for (const [layer, dir] of Object.entries(r.decoders as Record<string, unknown>)) {
      if (typeof dir !== 'string') throw new RegistryError(`${at}: decoder folder for ${layer} must be a string.`);
      decoders[layer] = dir;
    }
  }
  const defaultLayer = typeof r.defaultLayer === 'string' ? r.defaultLayer : Object.keys(decoders)[0];
  if (!defaultLayer) throw new RegistryError(`${at}: "defaultLayer" (the split layer) is missing.`);
  if (r.samples !== undefined && !Array.isArray(r.samples)) throw new RegistryError(`${at}: "samples" must be a list.`);
  const samples = ((r.samples as unknown[] | undefined) ?? []).map((x, i) => parseSample(x, `${at}, sample ${i + 1}`));
  return {
    id, name: typeof r.name === 'string' ? r.name : id, path: r.path, preprocessing: r.preprocessing as Preprocessing,
    inputSize: size, labels, defaultLayer, decoders, samples,
    ...(r.role === 'encoder' ? { role: 'encoder' as const } : {}),
  };
}

export function parseRegistry(text: string, where: string): RegistryEntry[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new RegistryError(`${where} is not valid JSON.`);
  }
  const models = (json as { models?: unknown })?.models;
  if (!Array.isArray(models)) throw new RegistryError(`${where}: expected {"models": [...]}.`);
  const out = models.map((m, i) => parseEntry(m, `${where} (entry ${i + 1})`));
  const ids = new Set<string>();
  for (const e of out) {
    if (ids.has(e.id)) throw new RegistryError(`${where}: id "${e.id}" appears twice.`);
    ids.add(e.id);
  }
  return out;
}

/** Class names of an entry, always as many as the model has classes (missing names → "class i"). */
export function entryLabels(e: Pick<RegistryEntry, 'labels'>, classes: number): string[] {
  const names = e.labels === 'imagenet' ? (imagenetLabels as string[]) : e.labels;
  return Array.from({ length: classes }, (_, i) => names[i] ?? `class ${i}`);
}

/** Joins registry-relative paths ('' and '.' mean the folder itself). */
export function joinPath(...parts: string[]): string {
  return parts
    .flatMap((p) => p.split('/'))
    .filter((p) => p !== '' && p !== '.')
    .join('/');
}

/**
 * Split layers offered for an entry: those with a decoder that is present, plus the default layer
 * (feature mode works without a decoder; it just has no image to show).
 */
export function offeredLayers(e: RegistryEntry, presentDecoders: readonly string[]): string[] {
  const layers = Object.keys(e.decoders).filter((l) => presentDecoders.includes(l));
  if (!layers.includes(e.defaultLayer)) layers.push(e.defaultLayer);
  return layers;
}

/** The layer to start with: the requested one if offered, else the default if it has a decoder, else the first with one. */
export function initialLayer(e: RegistryEntry, presentDecoders: readonly string[], requested?: string): string {
  const offered = offeredLayers(e, presentDecoders);
  if (requested && offered.includes(requested)) return requested;
  if (presentDecoders.includes(e.defaultLayer)) return e.defaultLayer;
  return offered.find((l) => presentDecoders.includes(l)) ?? e.defaultLayer;
}

/** A bare model folder (model.json, no index.json): an entry with what model.json tells. */
export function bareEntry(id: string, modelJsonText: string, decoders: Record<string, string>): RegistryEntry {
  let json: { modelTopology?: { model_config?: { config?: { layers?: Array<{ class_name: string; config: Record<string, unknown> }> } }; config?: { layers?: Array<{ class_name: string; config: Record<string, unknown> }> } } };
  try {
    json = JSON.parse(modelJsonText);
  } catch {
    throw new RegistryError(`${id}/model.json is not valid JSON.`);
  }
  const layers = json.modelTopology?.model_config?.config?.layers ?? json.modelTopology?.config?.layers;
  if (!Array.isArray(layers)) throw new RegistryError(`${id}/model.json has no layer list: not a TensorFlow.js layers-format model.`);
  const input = layers.find((l) => l.class_name === 'InputLayer')?.config;
  const shape = (input?.batch_input_shape ?? input?.batch_shape) as Array<number | null> | undefined;
  const inputSize = shape?.[1] ?? 224;
  const convs = layers.filter((l) => l.class_name === 'Conv2D').map((l) => String(l.config.name));
  const defaultLayer = Object.keys(decoders)[0] ?? convs[Math.floor(convs.length / 2)] ?? convs[0];
  if (!defaultLayer) throw new RegistryError(`${id}/model.json has no Conv2D layer to split at.`);
  return {
    id: id.replace(/[^A-Za-z0-9._-]/g, '_'), name: `${id} (picked folder)`, path: '',
    // Keras VGG-style 224 models use caffe preprocessing; the project's small models use 'unit'.
    preprocessing: inputSize === 224 ? 'caffe' : 'unit', inputSize, labels: [], defaultLayer, decoders, samples: [],
  };
}

/** Where an entry's files come from. The worker turns this into a ReadFile. */
export type FileSource =
  /** Served over HTTP: base URL of the registry folder (ends with '/'). */
  | { kind: 'url'; base: string }
  /** Stored in IndexedDB under keys `${prefix}${relative path}` (a picked folder, kept). */
  | { kind: 'idb'; prefix: string }
  /** The picked files themselves (relative path → Blob), when they could not be kept. */
  | { kind: 'files'; files: Record<string, Blob> };

export interface KnownModel {
  entry: RegistryEntry;
  source: FileSource;
  /** Where it came from, for people: "models/" or "picked folder …". */
  origin: string;
  present: boolean;
  /** Why it is not present (a 404, a CORS refusal, …), when it is not. */
  problem?: string;
  /** Layers whose decoder is present. */
  decoders: string[];
}

/** True for "https://…" / "http://…" paths: weights hosted elsewhere than the app. */
export function isAbsoluteUrl(p: string): boolean {
  return /^https?:\/\//i.test(p);
}

/** URL of file `name` in folder `dir` of the registry at `base` ('…/models/'); `dir` may be an absolute URL. */
export function fileUrl(base: string, dir: string, name: string): string {
  if (isAbsoluteUrl(dir)) return new URL(joinPath(name), dir.endsWith('/') ? dir : dir + '/').href;
  return base + joinPath(dir, name);
}

/**
 * Why fetching `url` failed, in words people can act on. `failure` is the HTTP status, or the error
 * fetch threw: browsers report a CORS refusal and an unreachable host the same way (a TypeError),
 * so for another origin the message names both.
 */
export function fetchProblem(url: string, failure: number | Error, pageOrigin?: string): string {
  if (typeof failure === 'number') {
    if (failure === 404) return `${url} was not found (HTTP 404): check the "path" in models/index.json, or upload the weights there.`;
    if (failure === 401 || failure === 403) return `${url} is not public (HTTP ${failure}): the host refused to serve it.`;
    return `${url} could not be fetched (HTTP ${failure}).`;
  }
  let other = false;
  try { other = !!pageOrigin && new URL(url).origin !== pageOrigin; } catch { /* relative URL: same origin */ }
  return other
    ? `${url} could not be fetched (${failure.message}). Weights on another host need CORS: that server must answer with "Access-Control-Allow-Origin: ${pageOrigin}" (or *). Otherwise the host is unreachable or offline.`
    : `${url} could not be fetched (${failure.message}): the server is unreachable or offline.`;
}

function pageOrigin(): string | undefined {
  return typeof location === 'undefined' ? undefined : location.origin;
}

/** Fetches JSON; on failure, the reason (a 404, a CORS refusal, not JSON). */
async function fetchJsonWhy(url: string): Promise<{ value: unknown | null; problem: string | null }> {
  let r: Response;
  try {
    r = await fetch(url, { cache: 'no-cache' });
  } catch (e) {
    return { value: null, problem: fetchProblem(url, e as Error, pageOrigin()) };
  }
  if (!r.ok) return { value: null, problem: fetchProblem(url, r.status) };
  // A dev server answers unknown paths with index.html: only JSON counts.
  const text = await r.text();
  try {
    return { value: JSON.parse(text), problem: null };
  } catch {
    return { value: null, problem: `${url} is not JSON (the server answered with something else: the file is missing).` };
  }
}

async function fetchJson(url: string): Promise<unknown | null> {
  return (await fetchJsonWhy(url)).value;
}

/** Reads `${base}index.json` and probes which models and decoders are present. */
export async function probeServedModels(base: string): Promise<{ models: KnownModel[]; error: string | null }> {
  const raw = await fetchJson(`${base}index.json`);
  if (raw === null) return { models: [], error: `${base}index.json is missing.` };
  let entries: RegistryEntry[];
  try {
    entries = parseRegistry(JSON.stringify(raw), 'models/index.json');
  } catch (e) {
    return { models: [], error: (e as Error).message };
  }
  const models = await Promise.all(entries.map(async (entry): Promise<KnownModel> => {
    const probe = await fetchJsonWhy(fileUrl(base, entry.path, 'model.json'));
    const present = probe.value !== null;
    const decoders: string[] = [];
    await Promise.all(Object.entries(entry.decoders).map(async ([layer, dir]) => {
      const d = (await fetchJson(fileUrl(base, dir, 'decoder.json'))) as { layer?: string } | null;
      if (d && d.layer === layer) decoders.push(layer);
    }));
    decoders.sort();
    const origin = isAbsoluteUrl(entry.path) ? new URL(entry.path).host : 'models/';
    return { entry, source: { kind: 'url', base }, origin, present, decoders, ...(probe.problem ? { problem: probe.problem } : {}) };
  }));
  return { models, error: null };
}

/** A picked folder as path → File, paths relative to the picked folder (its own name removed). */
export function filesByRelativePath(files: ArrayLike<File>): { root: string; files: Map<string, File> } {
  const out = new Map<string, File>();
  let root = '';
  for (const f of Array.from(files)) {
    const rel = (f as File & { webkitRelativePath?: string }).webkitRelativePath || f.name;
    const parts = rel.split('/');
    if (parts.length > 1) {
      root ||= parts[0]!;
      out.set(parts.slice(1).join('/'), f);
    } else out.set(rel, f);
  }
  return { root: root || 'folder', files: out };
}

/**
 * Finds the models in a picked folder: an index.json (registry format above) at its root, or a bare
 * model (model.json at its root, decoders in sub-folders found by their decoder.json). Throws a
 * RegistryError saying what was expected when the folder holds neither, or files are missing.
 */
export async function modelsInFolder(files: Map<string, File>, root: string): Promise<{ entries: RegistryEntry[]; decoders: Record<string, string[]> }> {
  const text = async (p: string) => (await files.get(p)!.text());
  let entries: RegistryEntry[];
  if (files.has('index.json')) {
    entries = parseRegistry(await text('index.json'), `${root}/index.json`);
  } else if (files.has('model.json')) {
    const decoders: Record<string, string> = {};
    for (const p of files.keys()) {
      if (!p.endsWith('/decoder.json')) continue;
      try {
        const d = JSON.parse(await text(p)) as { layer?: unknown };
        if (typeof d.layer === 'string') decoders[d.layer] = p.slice(0, -'/decoder.json'.length);
      } catch { /* not a decoder manifest: ignored */ }
    }
    entries = [bareEntry(root, await text('model.json'), decoders)];
  } else {
    throw new RegistryError(`The folder "${root}" has neither index.json nor model.json. Pick a models/ folder (with index.json) or a TensorFlow.js layers-model folder (model.json + group*-shard*.bin).`);
  }
  const present: Record<string, string[]> = {};
  const usable: RegistryEntry[] = [];
  const problems: string[] = [];
  for (const e of entries) {
    const mj = joinPath(e.path, 'model.json');
    if (!files.has(mj)) { problems.push(`${e.id}: ${mj} is missing`); continue; }
    let shards: string[] = [];
    try {
      const m = JSON.parse(await text(mj)) as { weightsManifest?: Array<{ paths: string[] }> };
      if (!Array.isArray(m.weightsManifest)) throw new Error('no weightsManifest');
      shards = m.weightsManifest.flatMap((g) => g.paths.map((p) => joinPath(e.path, p)));
    } catch (err) {
      problems.push(`${e.id}: ${mj} is not a TensorFlow.js layers model (${(err as Error).message})`);
      continue;
    }
    const missing = shards.filter((s) => !files.has(s));
    if (missing.length) { problems.push(`${e.id}: ${missing.length} weight file(s) missing, e.g. ${missing[0]}`); continue; }
    present[e.id] = Object.entries(e.decoders)
      .filter(([, dir]) => files.has(joinPath(dir, 'decoder.json')))
      .map(([layer]) => layer)
      .sort();
    usable.push(e);
  }
  if (!usable.length) throw new RegistryError(`No usable model in "${root}": ${problems.join('; ')}.`);
  return { entries: usable, decoders: present };
}

/** The files a picked entry needs (model.json, shards, decoder folders), relative to the picked folder. */
export function neededFiles(files: Map<string, File>, e: RegistryEntry): string[] {
  const dirs = [e.path, ...Object.values(e.decoders)].map((d) => joinPath(d));
  return [...files.keys()].filter((p) => dirs.some((d) => (d === '' ? !p.includes('/') : p.startsWith(d + '/'))));
}
