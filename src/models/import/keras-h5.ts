/**
 * Keras HDF5 weight files (`model.save_weights(…h5)`, the layout of keras.applications'
 * `vgg19_weights_tf_dim_ordering_tf_kernels.h5` and its `_notop` variant) → the layers' weights in
 * file order. HDF5 is read with h5wasm (the HDF5 C library compiled to WebAssembly). In a browser
 * worker the File is mounted with Emscripten's WORKERFS, so only the datasets read are loaded; in
 * Node the bytes are written to h5wasm's in-memory file system. No tfjs here.
 *
 * Layout: root attribute `layer_names`; per layer a group with attribute `weight_names`; each weight a
 * dataset at `layer/weight_name` (Keras 2: `block1_conv1/kernel:0`, Keras 1: `block1_conv1_W_1:0`).
 */
import type * as H5 from 'h5wasm';
import { ImportCancelled, ImportError, checkAborted, type ByteSource, type ImportOptions } from './source';
import type { RawTensor } from './torch-file';

export interface KerasLayerWeights { name: string; weights: Array<RawTensor & { name: string }>; }

const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

export function isHdf5(head: Uint8Array): boolean {
  return HDF5_MAGIC.every((b, i) => head[i] === b);
}

let mountCount = 0;

function strings(v: unknown): string[] {
  if (v === null || v === undefined) return [];
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flat(4).map(String);
  return [];
}

type H5FS = {
  mkdir(p: string): void; writeFile(p: string, d: Uint8Array): void; unlink(p: string): void; rmdir(p: string): void;
  mount(type: unknown, opts: unknown, p: string): void; unmount(p: string): void; filesystems: Record<string, unknown>;
};

/** Reads every layer's weights from a Keras .h5 file. Throws ImportError when it is not one. */
export async function readKerasH5(src: ByteSource, opts: ImportOptions = {}): Promise<KerasLayerWeights[]> {
  const head = await src.read(0, Math.min(8, src.size));
  if (!isHdf5(head)) throw new ImportError(`${src.name} is not an HDF5 file (no HDF5 signature): expected Keras weights (.h5).`);
  // Loaded on first use: h5wasm is 4 MB of WebAssembly that only .h5 imports need.
  const h5wasm = await import('h5wasm');
  const { FS } = (await h5wasm.ready) as unknown as { FS: H5FS };
  const dir = `/import${++mountCount}`;
  FS.mkdir(dir);
  let path: string;
  const workerfs = src.blob && typeof (globalThis as { FileReaderSync?: unknown }).FileReaderSync === 'function' ? FS.filesystems.WORKERFS : null;
  if (workerfs) {
    FS.mount(workerfs, { blobs: [{ name: 'weights.h5', data: src.blob }] }, dir);
  } else {
    FS.writeFile(`${dir}/weights.h5`, await src.read(0, src.size));
  }
  path = `${dir}/weights.h5`;
  let file: H5.File | null = null;
  try {
    try {
      file = new h5wasm.File(path, 'r');
    } catch (e) {
      throw new ImportError(`${src.name}: HDF5 cannot open it (${(e as Error).message}); the file may be truncated.`);
    }
    // h5wasm reports a failed open (e.g. a truncated file) with a negative id instead of throwing.
    if (!(BigInt(file.file_id as unknown as bigint) > 0n)) {
      file = null;
      throw new ImportError(`${src.name}: HDF5 cannot open it: the file is truncated or damaged (${src.size} bytes).`);
    }
    const layerNames = strings(file.attrs['layer_names']?.value);
    if (!layerNames.length) {
      const top = file.keys().slice(0, 6).join(', ');
      throw new ImportError(`${src.name}: an HDF5 file without a "layer_names" attribute (top-level entries: ${top || 'none'}): expected Keras weights saved by save_weights (such as vgg19_weights_tf_dim_ordering_tf_kernels.h5). A whole saved model keeps them under "model_weights".`);
    }
    const out: KerasLayerWeights[] = [];
    let bytes = 0;
    for (const name of layerNames) {
      checkAborted(opts.signal);
      const g = file.get(name) as H5.Group | null;
      if (!g || typeof (g as H5.Group).keys !== 'function') throw new ImportError(`${src.name}: layer ${name} is listed but has no group.`);
      const weights: KerasLayerWeights['weights'] = [];
      for (const wn of strings(g.attrs['weight_names']?.value)) {
        const d = g.get(wn) as H5.Dataset | null;
        if (!d || !('shape' in d)) throw new ImportError(`${src.name}: weight ${name}/${wn} is listed but missing.`);
        let value: unknown;
        try {
          value = d.value;
        } catch (e) {
          throw new ImportError(`${src.name}: cannot read ${name}/${wn} (${(e as Error).message}); the file may be truncated.`);
        }
        if (!(value instanceof Float32Array || value instanceof Float64Array)) throw new ImportError(`${src.name}: weight ${name}/${wn} has type ${JSON.stringify(d.dtype)}, expected float32.`);
        const data = value instanceof Float32Array ? value : Float32Array.from(value);
        weights.push({ name: wn, shape: d.shape ?? [], data });
        bytes += data.byteLength;
        opts.onProgress?.({ file: src.name, phase: 'read', bytes: Math.min(bytes, src.size), totalBytes: src.size });
      }
      out.push({ name, weights });
    }
    return out;
  } catch (e) {
    // h5wasm throws plain Errors ("error - name not defined!") on damaged structures (found by fuzzing).
    if (e instanceof ImportError || e instanceof ImportCancelled) throw e;
    throw new ImportError(`${src.name}: HDF5 cannot read it (${(e as Error).message}): the file is damaged or truncated.`);
  } finally {
    try { file?.close(); } catch { /* already closed */ }
    try { if (workerfs) FS.unmount(dir); else FS.unlink(path); FS.rmdir(dir); } catch { /* best effort */ }
  }
}
