/**
 * A ReadFile that also hashes what it reads: SHA-256 (Web Crypto, in browsers, workers and Node) of every
 * file, combined in name order. Keys of caches that depend on a model's weights use it (the worker's
 * feature cache): two models with one model.json and other weight bytes get other keys.
 */
import type { ReadFile } from './read-file';

export function hashingReader(read: ReadFile): { read: ReadFile; digest(): Promise<string> } {
  const files = new Map<string, Promise<ArrayBuffer>>();
  const hex = (b: ArrayBuffer) => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, '0')).join('');
  return {
    async read(name) {
      const bytes = await read(name);
      files.set(name, crypto.subtle.digest('SHA-256', bytes));
      return bytes;
    },
    /** The hash of every file read so far, by name; '' before any file was read. */
    async digest() {
      if (!files.size) return '';
      const names = [...files.keys()].sort();
      const parts = await Promise.all(names.map(async (n) => `${n}\0${hex(await files.get(n)!)}`));
      return hex(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(parts.join('\0'))));
    },
  };
}
