/**
 * advbn import FILE… --out models/NAME: weights people already have (Keras VGG-19 .h5, torchvision
 * VGG-19 .pth, the AdvBN authors' vgg_normalised.pth + decoder.pth) → a model folder in this project's
 * format and its entry in the registry beside it (models/index.json), so the app and the CLI load it
 * like the shipped models. Nothing is written unless every file imports.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { Options, UsageError } from '../args';
import { log } from '../vgg';
import { fileSource } from '../../models/node-io';
import { importFile } from '../../models/import/import-file';
import { disposeImported, type Imported } from '../../models/import/convert';
import { importFiles } from '../../models/import/save';
import { MB, type ImportProgress } from '../../models/import/source';
import { joinPath, parseRegistry, type RegistryEntry } from '../../common/registry';

/** The project's own decoders in `modelsDir` that were trained on the Keras VGG-19 (layer → folder). */
function kerasVggDecoders(modelsDir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(modelsDir)) return out;
  for (const d of readdirSync(modelsDir)) {
    const p = join(modelsDir, d, 'decoder.json');
    if (!existsSync(p)) continue;
    try {
      const m = JSON.parse(readFileSync(p, 'utf8')) as { encoder?: string; layer?: string; preprocessing?: string };
      // Registry-relative, like the model folder itself.
      if (m.layer && m.preprocessing === 'caffe' && /vgg19/i.test(m.encoder ?? '')) out[m.layer] = d;
    } catch { /* not a decoder */ }
  }
  return out;
}

/** Adds or replaces `entry` in the registry at `indexPath` (created when missing). */
export function upsertIndex(indexPath: string, entry: RegistryEntry): void {
  let models: unknown[] = [];
  if (existsSync(indexPath)) {
    const text = readFileSync(indexPath, 'utf8');
    parseRegistry(text, indexPath); // refuse to rewrite a registry that is already broken
    models = (JSON.parse(text) as { models: unknown[] }).models;
  }
  const i = models.findIndex((m) => (m as { id?: string }).id === entry.id);
  if (i >= 0) models[i] = entry; else models.push(entry);
  writeFileSync(indexPath, JSON.stringify({ models }, null, 2) + '\n');
}

export interface FolderImport {
  out: string; id: string; description: string;
  /** The registry written, or null (a decoder alone, or `index: false`). */
  entry: string | null;
  role: string; files: string[];
  timings: Array<{ file: string; mb: number; ms: number; format: string }>;
  total_ms: number;
}

/**
 * Imports `paths` into the model folder `out` and (unless `index: false`) its entry into the
 * index.json beside it. The folder is written under a temporary name and renamed when complete, so a
 * failure (a refused file, a full disk) leaves no half-written model folder behind.
 */
export async function importToFolder(paths: string[], out: string, opts: { name?: string; index?: boolean } = {}): Promise<FolderImport> {
  const id = basename(resolve(out));
  if (!/^[A-Za-z0-9._-]+$/.test(id)) throw new UsageError(`--out must end in a folder name of letters, digits, '.', '_' or '-' (got "${id}").`);
  const t0 = performance.now();
  const items: Imported[] = [];
  let lastMb = -1;
  const onProgress = (p: ImportProgress) => {
    const mb = Math.floor(p.bytes / MB);
    if (p.phase === 'read' && mb - lastMb < 32 && p.bytes < p.totalBytes) return;
    lastMb = mb;
    const line = p.phase === 'read' ? `${p.file}: ${(p.bytes / MB).toFixed(1)} / ${(p.totalBytes / MB).toFixed(1)} MB` : `${p.file}: converting, ${p.layers}/${p.totalLayers} layers`;
    if (process.stderr.isTTY) process.stderr.write(`\r${line}   ${p.phase === 'convert' && p.layers === p.totalLayers ? '\n' : ''}`);
    else log(line);
  };
  const timings: FolderImport['timings'] = [];
  try {
    for (const p of paths) {
      const src = await fileSource(p);
      const t = performance.now();
      try {
        const item = await importFile(src, { onProgress }, id);
        items.push(item);
        timings.push({ file: p, mb: +(src.size / MB).toFixed(1), ms: Math.round(performance.now() - t), format: item.format });
      } finally {
        await src.close();
      }
    }
    const modelsDir = dirname(resolve(out));
    const keras = items.find((i) => i.kind !== 'decoder' && i.format === 'keras-h5' && i.classes === 1000);
    const files = await importFiles(items, id, opts.name, keras ? kerasVggDecoders(modelsDir) : {});
    const staging = join(modelsDir, `.${id}.importing-${process.pid}`);
    try {
      for (const [rel, data] of Object.entries(files.files)) {
        mkdirSync(dirname(join(staging, rel)), { recursive: true });
        writeFileSync(join(staging, rel), data);
      }
      rmSync(out, { recursive: true, force: true });
      renameSync(staging, out);
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
    const indexPath = join(modelsDir, 'index.json');
    const index = opts.index ?? true;
    if (files.entry && index) upsertIndex(indexPath, { ...files.entry, path: id, decoders: Object.fromEntries(Object.entries(files.entry.decoders).map(([l, d]) => [l, files.files[`${d}/decoder.json`] ? joinPath(id, d) : d])) });
    return {
      out, id, description: files.description, entry: files.entry ? (index ? indexPath : null) : null,
      role: files.entry?.role ?? (files.entry ? 'classifier' : 'decoder'), files: Object.keys(files.files), timings, total_ms: Math.round(performance.now() - t0),
    };
  } finally {
    for (const i of items) disposeImported(i);
  }
}

/** Prints what an import wrote (the JSON, or two lines). */
export function reportImport(result: FolderImport, json: boolean): void {
  if (json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  else {
    log(`Imported ${result.description}`);
    log(`Wrote ${result.files.length} files to ${result.out}${result.entry ? ` and the entry "${result.id}" to ${result.entry}` : ''} in ${(result.total_ms / 1000).toFixed(1)} s.`);
  }
}

export async function importCommand(o: Options): Promise<void> {
  const out = o.string('out');
  const name = o.optionalString('name');
  const index = o.flag('index', true);
  const json = o.flag('json');
  o.done();
  const paths = o.positional();
  if (!paths.length) throw new UsageError('Name the file(s) to import: advbn import FILE… --out models/NAME.');
  reportImport(await importToFolder(paths, out, { name, index }), json);
}
