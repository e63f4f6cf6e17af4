/**
 * The CLI's feature cache: a folder of `<key>.bin` (float32, little-endian) + `<key>.json` (shape) files,
 * one pair per set of images at one split layer and size. Keys hash what the features depend on: the
 * model's model.json and weight files (their bytes: two models of one topology differ only there), the
 * layer, the image size and each image's path, size and modification time.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { FeatureStore } from '../core/domains-features';

export function defaultCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'advbn', 'features');
}

/** Per model folder: its weight files' sizes and mtimes, and the SHA-256 of model.json and their bytes. */
const modelHashes = new Map<string, { stamp: string; hash: string }>();

/**
 * SHA-256 of model.json and of every weight file its weightsManifest names, in order (hashed once per
 * process while the files' sizes and modification times stay the same: VGG-19's are 548 MB).
 */
export function modelBytesHash(modelDir: string): string {
  const json = readFileSync(join(modelDir, 'model.json'));
  const manifest = (JSON.parse(json.toString('utf8')) as { weightsManifest?: Array<{ paths: string[] }> }).weightsManifest ?? [];
  const files = manifest.flatMap((g) => g.paths).map((p) => join(modelDir, p));
  const stamp = [json.toString('utf8'), ...files.map((f) => { const s = statSync(f); return `${f}\0${s.size}\0${s.mtimeMs}`; })].join('\0');
  const known = modelHashes.get(modelDir);
  if (known?.stamp === stamp) return known.hash;
  const h = createHash('sha256').update(json);
  for (const f of files) h.update(readFileSync(f));
  const hash = h.digest('hex');
  modelHashes.set(modelDir, { stamp, hash });
  return hash;
}

/** A key for a set: the model's bytes (model.json and weights), layer, size and every image's path, byte size and mtime. */
export function featureKey(modelDir: string, layer: string, size: number, root: string, paths: string[]): string {
  const h = createHash('sha256');
  h.update(modelBytesHash(modelDir));
  h.update(`\0${layer}\0${size}\0`);
  for (const p of paths) {
    const s = statSync(join(root, p));
    h.update(`${p}\0${s.size}\0${s.mtimeMs}\0`);
  }
  return `${layer}-${size}-${h.digest('hex').slice(0, 24)}`;
}

export function folderFeatureStore(dir: string): FeatureStore {
  return {
    async get(key) {
      const bin = join(dir, `${key}.bin`), meta = join(dir, `${key}.json`);
      if (!existsSync(bin) || !existsSync(meta)) return null;
      const { shape, count } = JSON.parse(readFileSync(meta, 'utf8')) as { shape: [number, number, number]; count: number };
      const buf = readFileSync(bin);
      if (buf.byteLength !== count * shape[0] * shape[1] * shape[2] * 4) return null; // a torn write: recompute
      const features = new Float32Array(buf.byteLength / 4);
      new Uint8Array(features.buffer).set(buf);
      return { features, shape };
    },
    async put(key, features, shape) {
      mkdirSync(dir, { recursive: true });
      const bin = join(dir, `${key}.bin`);
      writeFileSync(`${bin}.tmp`, new Uint8Array(features.buffer, features.byteOffset, features.byteLength));
      renameSync(`${bin}.tmp`, bin);
      writeFileSync(join(dir, `${key}.json`), JSON.stringify({ shape, count: features.length / (shape[0] * shape[1] * shape[2]) }));
    },
  };
}
