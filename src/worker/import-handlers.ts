/**
 * The in-app import: dropped weight files → the project's formats, kept in IndexedDB, listed in the
 * model menu like a picked folder. h5wasm (4 MB of WebAssembly) loads on the first .h5 import.
 * Files are read through File.slice (see src/models/import/source.ts), never whole.
 */
import type { TypedHandlers } from './protocol';
import type { ImportEvent, ImportRequest, ImportResult } from './import-protocol';
import { idbDeletePrefix, idbPut } from '../common/idb-cache';
import { joinPath } from '../common/registry';
import { importFile } from '../models/import/import-file';
import { importFiles } from '../models/import/save';
import { disposeImported } from '../models/import/convert';
import { blobSource, checkAborted } from '../models/import/source';

export const importHandlers = {
  async 'models.import'(p: ImportRequest, { signal, emit }): Promise<ImportResult> {
    const t0 = performance.now();
    if (!p.files?.length) throw new Error('No file to import.');
    const items: Awaited<ReturnType<typeof importFile>>[] = [];
    const prefix = `import:${p.id}:${Date.now()}/`;
    let stored = false;
    try {
      for (const [index, file] of p.files.entries()) {
        items.push(await importFile(blobSource(file, file.name), {
          signal,
          onProgress: (pr) => emit({ kind: 'import-progress', index, count: p.files.length, ...pr } satisfies ImportEvent),
        }, p.id));
      }
      const keras = items.find((i) => i.kind !== 'decoder' && i.format === 'keras-h5' && i.classes === 1000);
      const extra: Record<string, Uint8Array> = {};
      const extraDirs: Record<string, string> = {};
      if (keras && p.kerasDecoders) {
        // The project's decoders were trained on the Keras VGG-19: they stay its default pair.
        for (const [layer, dir] of Object.entries(p.kerasDecoders.dirs)) {
          try {
            const json = await (await fetch(p.kerasDecoders.base + joinPath(dir, 'decoder.json'))).text();
            const m = JSON.parse(json) as { layer?: string; weights?: { path?: string } };
            if (m.layer !== layer || !m.weights?.path) continue;
            const w = await fetch(p.kerasDecoders.base + joinPath(dir, m.weights.path));
            if (!w.ok) continue;
            const local = `decoder-${layer}`;
            extra[`${local}/decoder.json`] = new TextEncoder().encode(json);
            extra[`${local}/${m.weights.path}`] = new Uint8Array(await w.arrayBuffer());
            extraDirs[layer] = local;
          } catch { /* a decoder that cannot be fetched is left out */ }
        }
      }
      checkAborted(signal);
      const out = await importFiles(items, p.id, undefined, extraDirs);
      if (!out.entry) throw new Error(`${out.description}: a decoder alone is not a model. Drop it together with its encoder (vgg_normalised.pth).`);
      const all = { ...out.files, ...extra };
      const total = Object.values(all).reduce((n, d) => n + d.byteLength, 0);
      let done = 0;
      stored = true;
      for (const [rel, data] of Object.entries(all)) {
        checkAborted(signal);
        try {
          await idbPut(prefix + rel, data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer);
        } catch (e) {
          throw new Error(`This browser refused to keep the imported model (${(total / 1048576).toFixed(0)} MB) in IndexedDB: ${(e as Error).message}. Free some site storage, or use the CLI (advbn import) and serve the folder.`);
        }
        done += data.byteLength;
        emit({ kind: 'import-progress', file: p.files.map((f) => f.name).join(', '), index: p.files.length - 1, count: p.files.length, phase: 'store', bytes: done, totalBytes: total } satisfies ImportEvent);
      }
      return { entry: out.entry, prefix, decoders: Object.keys(out.entry.decoders).sort(), description: out.description, ms: performance.now() - t0 };
    } catch (e) {
      // Nothing half-imported: files already kept are removed.
      if (stored) await idbDeletePrefix(prefix).catch(() => undefined);
      if ((e as Error).name === 'ImportCancelled') {
        const err = new Error('Import cancelled.');
        err.name = 'AbortError';
        throw err;
      }
      throw e;
    } finally {
      for (const i of items) disposeImported(i);
    }
  },
} satisfies Partial<TypedHandlers>;
