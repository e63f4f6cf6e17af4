/**
 * What the importers read from: a file as random-access byte ranges, so that a 548 MB checkpoint is
 * read piece by piece (File.slice in the browser, a file handle in Node) instead of all at once.
 * No tfjs here.
 */

export interface ByteSource {
  /** File name, for messages and format detection. */
  name: string;
  size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
  /** The whole file as a browser File/Blob when there is one (HDF5 mounts it lazily). */
  blob?: Blob;
}

/** Progress of one import: bytes read and, once known, layers converted. */
export interface ImportProgress {
  file: string;
  phase: 'read' | 'convert';
  bytes: number;
  totalBytes: number;
  layers?: number;
  totalLayers?: number;
}

export interface ImportOptions {
  onProgress?: (p: ImportProgress) => void;
  signal?: AbortSignal;
}

/** The error for every file the import refuses: says what was found and what was expected. */
export class ImportError extends Error {}

export class ImportCancelled extends Error {
  constructor() { super('Import cancelled.'); this.name = 'ImportCancelled'; }
}

export function checkAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new ImportCancelled();
}

export function bytesSource(name: string, bytes: Uint8Array): ByteSource {
  return {
    name, size: bytes.byteLength,
    read: async (offset, length) => bytes.subarray(offset, Math.min(bytes.byteLength, offset + length)),
  };
}

export function blobSource(blob: Blob, name = (blob as File).name ?? 'file'): ByteSource {
  return {
    name, size: blob.size, blob,
    read: async (offset, length) => new Uint8Array(await blob.slice(offset, Math.min(blob.size, offset + length)).arrayBuffer()),
  };
}

/** Reads exactly `length` bytes or throws an ImportError that calls the file truncated. */
export async function readExact(src: ByteSource, offset: number, length: number): Promise<Uint8Array> {
  if (offset + length > src.size) {
    throw new ImportError(`${src.name} is truncated: needed bytes up to ${offset + length}, the file has ${src.size}.`);
  }
  return src.read(offset, length);
}

export const MB = 1024 * 1024;
