/**
 * An import as files: a model folder (TF.js layers format with `userDefinedMetadata.advbn`, see
 * model-meta.ts) and decoder folders, plus the registry entry that lists them. The CLI writes these
 * files to disk; the app keeps them in IndexedDB. Weights stay float32: the import must reproduce the
 * source exactly.
 */
import { serializeLayersModel } from '../layers-writer';

export const SHARD_BYTES = 64 * 1024 * 1024;
import { serializeDecoder } from '../decoder';
import type { ModelMeta } from '../model-meta';
import type { RegistryEntry } from '../../common/registry';
import type { Imported, ImportedDecoder, ImportedNetwork } from './convert';
import { ImportError } from './source';

export interface ImportFiles {
  /** Path relative to the model folder → contents. */
  files: Record<string, Uint8Array>;
  /** Registry entry (path '' = the model folder itself), null for a decoder alone. */
  entry: RegistryEntry | null;
  description: string;
}

const utf8 = (s: string) => new TextEncoder().encode(s);

/** Checks what was imported together makes one model: at most one network, decoders for its layers. */
export function pairImports(items: Imported[]): { net: ImportedNetwork | null; decoders: ImportedDecoder[] } {
  const nets = items.filter((i): i is ImportedNetwork => i.kind !== 'decoder');
  const decoders = items.filter((i): i is ImportedDecoder => i.kind === 'decoder');
  if (nets.length > 1) throw new ImportError(`Import one network at a time (got ${nets.map((n) => n.description).join(' and ')}).`);
  const net = nets[0] ?? null;
  if (!net && decoders.length > 1) throw new ImportError('Several decoders without their encoder: import them with the encoder (vgg_normalised.pth).');
  for (const d of decoders) {
    const layer = d.decoder.manifest.layer;
    if (net && !net.net.layers.some((l) => l.name === layer)) {
      throw new ImportError(`${d.description} decodes ${layer}, which ${net.description} does not have (layers ${net.net.layers.map((l) => l.name).join(', ')}).`);
    }
    if (net && net.format !== 'adain-encoder') throw new ImportError(`${d.description} belongs to AdaIN's vgg_normalised encoder, not to ${net.description}: import it with vgg_normalised.pth.`);
  }
  return { net, decoders };
}

/** Serialises an import. `id` names the model (letters, digits, '.', '_', '-'). */
export async function importFiles(items: Imported[], id: string, name?: string, extraDecoders: Record<string, string> = {}): Promise<ImportFiles> {
  const { net, decoders } = pairImports(items);
  const files: Record<string, Uint8Array> = {};
  if (!net) {
    const s = await serializeDecoder(decoders[0]!.decoder, 'float32');
    return { files: { 'decoder.json': utf8(s.json), 'weights.bin': s.weights }, entry: null, description: decoders[0]!.description };
  }
  const meta: ModelMeta = {
    role: net.kind, preprocessing: net.preprocessing, inputSize: net.inputSize, classes: net.classes, defaultLayer: net.defaultLayer, source: net.description,
  };
  // 64 MB shards: IndexedDB refuses values over ~128 MB in Chromium (the app keeps imports there).
  const s = await serializeLayersModel(net.net, { precision: 'float32', userDefinedMetadata: { advbn: meta }, shardBytes: SHARD_BYTES });
  files['model.json'] = utf8(s.modelJson);
  for (const [name, data] of s.shards) files[name] = data;
  const decoderDirs: Record<string, string> = { ...extraDecoders };
  for (const d of decoders) {
    const ds = await serializeDecoder(d.decoder, 'float32');
    const dir = `decoder-${d.decoder.manifest.layer}`;
    files[`${dir}/decoder.json`] = utf8(ds.json);
    files[`${dir}/weights.bin`] = ds.weights;
    decoderDirs[d.decoder.manifest.layer] = dir;
  }
  const defaultLayer = decoders[0]?.decoder.manifest.layer ?? (Object.keys(decoderDirs).includes(net.defaultLayer) ? net.defaultLayer : Object.keys(decoderDirs)[0] ?? net.defaultLayer);
  const entry: RegistryEntry = {
    id, name: name ?? net.description.replace(/ from .*/, ''), path: '', preprocessing: net.preprocessing, inputSize: net.inputSize,
    labels: net.classes === 1000 ? 'imagenet' : [], defaultLayer, decoders: decoderDirs,
    ...(net.kind === 'encoder' ? { role: 'encoder' as const } : {}),
  };
  return { files, entry, description: [net.description, ...decoders.map((d) => d.description)].join('; ') };
}
