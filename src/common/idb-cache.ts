/**
 * A small IndexedDB file cache (works on the UI thread and in workers): model files keyed by a string,
 * values ArrayBuffers, plus a JSON "meta" store (e.g. the list of picked folders).
 * Every function fails soft where caching is optional: `cachingReader` still reads when IndexedDB is
 * unavailable or full.
 */
import type { ReadFile } from './read-file';

const DB = 'advbn-studio';
const FILES = 'files';
const META = 'meta';

let dbPromise: Promise<IDBDatabase> | null = null;

function open(): Promise<IDBDatabase> {
  if (typeof indexedDB === 'undefined') return Promise.reject(new Error('IndexedDB is not available here.'));
  dbPromise ??= new Promise<IDBDatabase>((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(FILES)) db.createObjectStore(FILES);
      if (!db.objectStoreNames.contains(META)) db.createObjectStore(META);
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB open failed'));
  }).catch((e) => {
    dbPromise = null;
    throw e;
  });
  return dbPromise;
}

function run<T>(store: string, mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  return open().then((db) => new Promise<T>((resolve, reject) => {
    const tx = db.transaction(store, mode);
    const req = fn(tx.objectStore(store));
    tx.oncomplete = () => resolve(req.result);
    tx.onerror = () => reject(tx.error ?? req.error ?? new Error('IndexedDB transaction failed'));
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  }));
}

export async function idbGet(key: string): Promise<ArrayBuffer | undefined> {
  const v = await run<unknown>(FILES, 'readonly', (s) => s.get(key));
  return v instanceof ArrayBuffer ? v : undefined;
}

export function idbPut(key: string, value: ArrayBuffer): Promise<void> {
  return run(FILES, 'readwrite', (s) => s.put(value, key)).then(() => undefined);
}

/** Keys starting with prefix. */
export function idbKeys(prefix: string): Promise<string[]> {
  return run(FILES, 'readonly', (s) => s.getAllKeys(IDBKeyRange.bound(prefix, prefix + '\uffff'))).then((k) => k.map(String));
}

/** Deletes every file whose key starts with prefix. */
export function idbDeletePrefix(prefix: string): Promise<void> {
  return run(FILES, 'readwrite', (s) => s.delete(IDBKeyRange.bound(prefix, prefix + '\uffff'))).then(() => undefined);
}

export async function metaGet<T>(key: string): Promise<T | undefined> {
  try {
    return (await run<unknown>(META, 'readonly', (s) => s.get(key))) as T | undefined;
  } catch {
    return undefined;
  }
}

export function metaPut(key: string, value: unknown): Promise<void> {
  return run(META, 'readwrite', (s) => s.put(value, key)).then(() => undefined);
}

/** Reads files stored under `${prefix}${name}`; a missing file is an error naming it. */
export function idbReader(prefix: string): ReadFile {
  return async (name) => {
    const v = await idbGet(prefix + name);
    if (!v) throw new Error(`${name} is not in this browser's model cache (IndexedDB). Pick the folder again.`);
    return v;
  };
}

/** FNV-1a of a string, as 8 hex digits (a version tag for manifests). */
export function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/**
 * Wraps a reader with the cache. Manifests (`*.json`) are always read from the source, and their
 * content's hash versions the cache keys of the files read after them (weight shards), so a model or
 * decoder that is retrained under the same name is never served stale. Writes happen in the
 * background and may fail (quota): the read still succeeds.
 */
export function cachingReader(inner: ReadFile, prefix: string): ReadFile & { hits: () => number } {
  let version = '';
  let hits = 0;
  const read = (async (name: string) => {
    if (name.endsWith('.json')) {
      const buf = await inner(name);
      const next = fnv1a(new TextDecoder().decode(buf));
      if (next !== version) {
        version = next;
        // Drop files cached for older versions of this manifest.
        void idbKeys(`${prefix}@`).then((keys) => Promise.all(keys.filter((k) => !k.startsWith(`${prefix}@${next}/`)).map((k) => idbDeletePrefix(k)))).catch(() => undefined);
      }
      return buf;
    }
    const key = `${prefix}@${version}/${name}`;
    const cached = await idbGet(key).catch(() => undefined);
    if (cached) { hits++; return cached; }
    const buf = await inner(name);
    void idbPut(key, buf).catch(() => undefined);
    return buf;
  }) as ReadFile & { hits: () => number };
  read.hits = () => hits;
  return read;
}
