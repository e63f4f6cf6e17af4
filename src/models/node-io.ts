/** Node-side model loading: a folder on disk as a ReadFile. */
import { open, readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { ModelFormatError, type ReadFile } from './layers-format';
import { ImportError, type ByteSource } from './import/source';

export async function folderReader(dir: string): Promise<ReadFile> {
  const abs = resolve(dir);
  const s = await stat(abs).catch(() => null);
  if (!s || !s.isDirectory()) {
    throw new ModelFormatError(`Model folder ${abs} does not exist. Expected a folder with model.json and its weight shards (TensorFlow.js layers format), e.g. ../shared/models/vgg19-imagenet-tfjs.`);
  }
  return async (name) => {
    const buf = await readFile(join(abs, name));
    return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
  };
}

/** A file on disk as a ByteSource: read in ranges, never whole (the importers read 548 MB files). */
export async function fileSource(path: string): Promise<ByteSource & { close(): Promise<void> }> {
  const abs = resolve(path);
  const s = await stat(abs).catch(() => null);
  if (!s || !s.isFile()) throw new ImportError(`${path} does not exist or is not a file.`);
  const handle = await open(abs, 'r');
  return {
    name: basename(abs), size: s.size,
    read: async (offset, length) => {
      const n = Math.max(0, Math.min(length, s.size - offset));
      const buf = new Uint8Array(n);
      let got = 0;
      while (got < n) {
        const { bytesRead } = await handle.read(buf, got, n - got, offset + got);
        if (!bytesRead) break;
        got += bytesRead;
      }
      return got === n ? buf : buf.subarray(0, got);
    },
    close: () => handle.close(),
  };
}
