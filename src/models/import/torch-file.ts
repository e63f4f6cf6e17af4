/**
 * PyTorch checkpoints (`torch.save(model.state_dict(), …)`) → named float arrays, in both
 * serializations torch has used:
 *  - zip (torch ≥ 1.6): `NAME/data.pkl` (the pickled state dict, storages as persistent ids) and one
 *    stored entry per storage, `NAME/data/KEY`. Stored entries are read at their offsets (see
 *    readStoredZip); compressed ones with fflate's streaming Unzip, chunk by chunk.
 *  - legacy (torch < 1.6, e.g. AdaIN's vgg_normalised.pth and torchvision's 2017 VGG files): pickles of
 *    the magic number, the protocol version and sys info, then the state dict, then the sorted list of
 *    storage keys, then each storage as an 8-byte little-endian element count and its raw bytes.
 * No tfjs here: the result is plain Float32Arrays, converted to networks in convert.ts.
 */
import { Unzip, UnzipInflate } from 'fflate';
import { PickleError, callName, describe, isCall, isGlobal, readPickle, type PyCall } from './pickle';
import { ImportError, MB, checkAborted, readExact, type ByteSource, type ImportOptions } from './source';

export interface RawTensor { shape: number[]; data: Float32Array; }
export type StateDict = Map<string, RawTensor>;

interface StorageRef { kind: 'storage'; key: string; dtype: string; elementSize: number; numel: number; viewOffset: number; }
interface TensorRef { kind: 'tensor'; storage: StorageRef; offset: number; shape: number[]; stride: number[]; }

const STORAGE_TYPES: Record<string, [string, number]> = {
  FloatStorage: ['float32', 4], HalfStorage: ['float16', 2], DoubleStorage: ['float64', 8], BFloat16Storage: ['bfloat16', 2],
  LongStorage: ['int64', 8], IntStorage: ['int32', 4], ShortStorage: ['int16', 2], CharStorage: ['int8', 1],
  ByteStorage: ['uint8', 1], BoolStorage: ['bool', 1],
};

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

/** True when the first bytes look like a torch file (zip or legacy pickle). */
export function isTorchFile(head: Uint8Array): boolean {
  return isZip(head) || (head[0] === 0x80 && head[2] === 0x8a);
}
function isZip(head: Uint8Array): boolean {
  return head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
}

function storageRef(pid: unknown, legacy: boolean): StorageRef {
  if (!Array.isArray(pid) || pid[0] !== 'storage' || !isGlobal(pid[1])) {
    throw new ImportError(`unexpected persistent id ${describe(pid)}: expected ('storage', torch.XStorage, key, …).`);
  }
  const t = STORAGE_TYPES[pid[1].name];
  if (!t) throw new ImportError(`storage type ${pid[1].module}.${pid[1].name} is not supported (float32, float16, float64, bfloat16, integers).`);
  const view = legacy ? (pid[5] as unknown[] | null) : null;
  return { kind: 'storage', key: String(pid[2]), dtype: t[0], elementSize: t[1], numel: Number(pid[4]), viewOffset: Array.isArray(view) ? Number(view[1]) : 0 };
}

/** Turns the calls a state dict contains into tensor references; leaves anything else as is. */
function interpret(v: unknown): unknown {
  if (v instanceof Map) {
    const out = new Map();
    for (const [k, x] of v) out.set(k, interpret(x));
    return out;
  }
  if (!isCall(v)) return v;
  const name = callName(v);
  if (name === 'torch._utils._rebuild_tensor_v2' || name === 'torch._utils._rebuild_tensor') {
    const [storage, offset, shape, stride] = v.args as [StorageRef, number, number[], number[]];
    if (!storage || storage.kind !== 'storage') throw new ImportError(`a tensor without a storage (${describe(storage)}).`);
    // Found by fuzzing (import-fuzz.test.ts): a damaged pickle can put anything where the shape is.
    const ints = (a: unknown) => Array.isArray(a) && a.every((x) => Number.isSafeInteger(Number(x)) && Number(x) >= 0);
    if (!ints(shape) || !ints(stride) || shape.length !== stride.length || !Number.isSafeInteger(Number(offset))) {
      throw new ImportError(`a tensor with shape ${describe(shape)}, stride ${describe(stride)} and offset ${describe(offset)}: the file is damaged.`);
    }
    return { kind: 'tensor', storage, offset: Number(offset) + storage.viewOffset, shape: shape.map(Number), stride: stride.map(Number) } satisfies TensorRef;
  }
  if (name === 'torch._utils._rebuild_parameter' || name === 'torch.nn.parameter.Parameter') return interpret(v.args[0]);
  return v;
}

function isTensorRef(v: unknown): v is TensorRef {
  return !!v && typeof v === 'object' && (v as TensorRef).kind === 'tensor';
}

/** The state dict in a checkpoint: the top-level dict of tensors, or its 'state_dict'/'model' entry. */
function findStateDict(root: unknown, where: string): Map<string, TensorRef> {
  let v = interpret(root);
  if (v instanceof Map && ![...v.values()].some(isTensorRef)) {
    for (const k of ['state_dict', 'model', 'model_state_dict']) {
      if (v.get(k) instanceof Map && [...(v.get(k) as Map<unknown, unknown>).values()].some(isTensorRef)) { v = v.get(k); break; }
    }
  }
  if (!(v instanceof Map) || ![...v.values()].some(isTensorRef)) {
    const hint = v instanceof Map && v.has('optimizer') ? ' This looks like a training checkpoint (it holds an optimizer state); save the model\'s state_dict() instead.' : '';
    throw new ImportError(`${where}: found a ${isCall(v) ? `pickled ${callName(v as PyCall)} object (a whole model?)` : describe(v)}, expected a state dict of tensors (torch.save(model.state_dict(), …)).${hint}`);
  }
  const out = new Map<string, TensorRef>();
  for (const [k, x] of v) if (isTensorRef(x)) out.set(String(k), x);
  return out;
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** Storage bytes → float32 values (every dtype). */
function storageValues(bytes: Uint8Array, dtype: string): Float32Array {
  const aligned = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  const b = aligned.buffer, o = aligned.byteOffset, n = aligned.byteLength;
  switch (dtype) {
    case 'float32': return new Float32Array(b, o, n / 4);
    case 'float64': return Float32Array.from(new Float64Array(b, o, n / 8));
    case 'float16': return Float32Array.from(new Uint16Array(b, o, n / 2), halfToFloat);
    case 'bfloat16': { const u = new Uint16Array(b, o, n / 2); const out = new Uint32Array(u.length); for (let i = 0; i < u.length; i++) out[i] = u[i]! << 16; return new Float32Array(out.buffer); }
    case 'int64': return Float32Array.from(new BigInt64Array(b, o, n / 8), (x) => Number(x));
    case 'int32': return Float32Array.from(new Int32Array(b, o, n / 4));
    case 'int16': return Float32Array.from(new Int16Array(b, o, n / 2));
    case 'int8': return Float32Array.from(new Int8Array(b, o, n));
    default: return Float32Array.from(new Uint8Array(b, o, n));
  }
}

/** A (possibly strided) view on storage values → a contiguous row-major copy. */
function materialize(name: string, t: TensorRef, values: Float32Array): RawTensor {
  const numel = t.shape.reduce((a, b) => a * b, 1);
  let contiguous = true;
  for (let i = t.shape.length - 1, s = 1; i >= 0; s *= t.shape[i]!, i--) if (t.shape[i]! > 1 && t.stride[i] !== s) contiguous = false;
  let maxIndex = t.offset;
  for (let i = 0; i < t.shape.length; i++) maxIndex += (t.shape[i]! - 1) * t.stride[i]!;
  if (numel && maxIndex >= values.length) throw new ImportError(`tensor ${name} reaches element ${maxIndex} of a storage of ${values.length}: the file is truncated or damaged.`);
  if (contiguous) return { shape: t.shape, data: t.offset === 0 && numel === values.length ? values : values.slice(t.offset, t.offset + numel) };
  const out = new Float32Array(numel);
  const idx = new Array<number>(t.shape.length).fill(0);
  for (let n = 0; n < numel; n++) {
    let src = t.offset;
    for (let d = 0; d < idx.length; d++) src += idx[d]! * t.stride[d]!;
    out[n] = values[src]!;
    for (let d = idx.length - 1; d >= 0; d--) { if (++idx[d]! < t.shape[d]!) break; idx[d] = 0; }
  }
  return { shape: t.shape, data: out };
}

function buildStateDict(refs: Map<string, TensorRef>, storages: Map<string, Uint8Array>, where: string): StateDict {
  const values = new Map<string, Float32Array>();
  const out: StateDict = new Map();
  for (const [name, t] of refs) {
    const bytes = storages.get(t.storage.key);
    if (!bytes) throw new ImportError(`${where}: storage ${t.storage.key} of ${name} is missing: the file is truncated or damaged.`);
    if (bytes.byteLength < t.storage.numel * t.storage.elementSize) throw new ImportError(`${where}: storage ${t.storage.key} of ${name} has ${bytes.byteLength} bytes, expected ${t.storage.numel * t.storage.elementSize}: the file is truncated.`);
    let v = values.get(t.storage.key);
    if (!v) { v = storageValues(bytes.subarray(0, t.storage.numel * t.storage.elementSize), t.storage.dtype); values.set(t.storage.key, v); }
    out.set(name, materialize(name, t, v));
  }
  return out;
}

const CHUNK = 16 * MB;

/** True when the file ends with a zip end-of-central-directory record (a complete zip file). */
async function hasZipEnd(src: ByteSource): Promise<boolean> {
  const n = Math.min(src.size, 22 + 65535);
  const tail = await src.read(src.size - n, n);
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail[i] === 0x50 && tail[i + 1] === 0x4b && tail[i + 2] === 0x05 && tail[i + 3] === 0x06) return true;
  }
  return false;
}

interface ZipEntry { name: string; method: number; size: number; localHeader: number; }

/**
 * The zip's central directory (names, methods, sizes, local header offsets), read from the end of the
 * file: the tail and the directory only, never the data. Null when the file has no end record
 * (truncated) or is a ZIP64 archive (> 4 GB; then the streaming path reads it).
 */
async function zipDirectory(src: ByteSource): Promise<ZipEntry[] | null> {
  const n = Math.min(src.size, 22 + 65535);
  const tail = await src.read(src.size - n, n);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail[i] === 0x50 && tail[i + 1] === 0x4b && tail[i + 2] === 0x05 && tail[i + 3] === 0x06) { eocd = i; break; }
  }
  if (eocd < 0) return null;
  const v = new DataView(tail.buffer, tail.byteOffset + eocd, 22);
  const count = v.getUint16(10, true), size = v.getUint32(12, true), offset = v.getUint32(16, true);
  if (count === 0xffff || offset === 0xffffffff || offset + size > src.size) return null;
  const dir = await src.read(offset, size);
  const d = new DataView(dir.buffer, dir.byteOffset, dir.byteLength);
  const out: ZipEntry[] = [];
  for (let p = 0, k = 0; k < count && p + 46 <= dir.length; k++) {
    if (d.getUint32(p, true) !== 0x02014b50) return null;
    const nameLen = d.getUint16(p + 28, true), extraLen = d.getUint16(p + 30, true), commentLen = d.getUint16(p + 32, true);
    out.push({
      name: new TextDecoder().decode(dir.subarray(p + 46, p + 46 + nameLen)),
      method: d.getUint16(p + 10, true), size: d.getUint32(p + 20, true), localHeader: d.getUint32(p + 42, true),
    });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

/**
 * Torch writes its zips with every entry stored (uncompressed) and 64-byte aligned, so each storage
 * can be read directly at its offset. Why not a library for this part: fflate's streaming Unzip
 * took 15–18 s to pass 548 MB through (it scans every byte), and its/JSZip's whole-archive readers need
 * the whole file in memory; reading the directory (above) and slicing each stored entry takes well
 * under a second and holds one storage at a time. Compressed archives fall back to fflate.
 */
async function readStoredZip(src: ByteSource, entries: ZipEntry[], opts: ImportOptions): Promise<StateDict | null> {
  const byName = new Map(entries.map((e) => [e.name, e]));
  const pkl = entries.find((e) => e.name.endsWith('data.pkl'));
  if (!pkl) throw new ImportError(`${src.name}: a zip file without data.pkl (entries: ${entries.slice(0, 5).map((e) => e.name).join(', ')}): expected a PyTorch checkpoint (torch.save).`);
  const prefix = pkl.name.slice(0, -'data.pkl'.length);
  const read = async (e: ZipEntry): Promise<Uint8Array> => {
    const h = await readExact(src, e.localHeader, 30);
    const hv = new DataView(h.buffer, h.byteOffset, 30);
    if (hv.getUint32(0, true) !== 0x04034b50) throw new ImportError(`${src.name}: zip entry ${e.name} has no local header: the file is damaged.`);
    const start = e.localHeader + 30 + hv.getUint16(26, true) + hv.getUint16(28, true);
    return (await readExact(src, start, e.size)).slice();
  };
  if (entries.some((e) => e.method !== 0 && (e === pkl || e.name.startsWith(`${prefix}data/`)))) return null;
  const order = byName.get(`${prefix}byteorder`);
  if (order && new TextDecoder().decode(await read(order)).trim() !== 'little') throw new ImportError(`${src.name}: big-endian checkpoints are not supported.`);
  let root: unknown;
  try {
    root = readPickle(await read(pkl), 0, (pid) => storageRef(pid, false)).value;
  } catch (e) {
    if (e instanceof PickleError) throw new ImportError(`${src.name}: ${e.message}`);
    throw e;
  }
  const refs = findStateDict(root, src.name);
  const storages = new Map<string, Uint8Array>();
  let bytes = 0;
  for (const t of refs.values()) {
    if (storages.has(t.storage.key)) continue;
    checkAborted(opts.signal);
    const e = byName.get(`${prefix}data/${t.storage.key}`);
    if (!e) throw new ImportError(`${src.name}: the storage data/${t.storage.key} is missing: the file is truncated or damaged.`);
    storages.set(t.storage.key, await read(e));
    bytes += e.size;
    opts.onProgress?.({ file: src.name, phase: 'read', bytes: Math.min(src.size, bytes), totalBytes: src.size });
  }
  opts.onProgress?.({ file: src.name, phase: 'read', bytes: src.size, totalBytes: src.size });
  return buildStateDict(refs, storages, src.name);
}

async function readZip(src: ByteSource, opts: ImportOptions): Promise<StateDict> {
  // The streaming reader never needs the central directory, so check first that the file is whole.
  if (!(await hasZipEnd(src))) throw new ImportError(`${src.name}: a zip file without its end record: the file is truncated (${src.size} bytes). Expected a complete PyTorch checkpoint.`);
  const dir = await zipDirectory(src);
  if (dir) {
    const sd = await readStoredZip(src, dir, opts);
    if (sd) return sd;
  }
  const entries = new Map<string, Uint8Array[]>();
  const done = new Set<string>();
  let failure: Error | null = null;
  const unzip = new Unzip((file) => {
    if (!/(^|\/)(data\.pkl|data\/\d+|byteorder)$/.test(file.name)) return; // skip version, code, …
    const parts: Uint8Array[] = [];
    entries.set(file.name, parts);
    file.ondata = (err, data, final) => {
      if (err) { failure = err; return; }
      if (data.length) parts.push(data);
      if (final) done.add(file.name);
    };
    try { file.start(); } catch (e) { failure = e as Error; }
  });
  unzip.register(UnzipInflate);
  for (let off = 0; off < src.size; off += CHUNK) {
    checkAborted(opts.signal);
    const chunk = await src.read(off, Math.min(CHUNK, src.size - off));
    try { unzip.push(chunk, off + chunk.length >= src.size); } catch (e) { failure = e as Error; }
    if (failure) throw new ImportError(`${src.name}: the zip container is damaged (${(failure as Error).message}).`);
    opts.onProgress?.({ file: src.name, phase: 'read', bytes: off + chunk.length, totalBytes: src.size });
  }
  const join = (name: string) => {
    const parts = entries.get(name)!;
    if (parts.length === 1) return parts[0]!;
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) { out.set(p, o); o += p.length; }
    entries.set(name, [out]);
    return out;
  };
  const pkl = [...entries.keys()].find((n) => n.endsWith('data.pkl'));
  if (!pkl || !done.has(pkl)) throw new ImportError(`${src.name}: a zip file without a complete data.pkl: expected a PyTorch checkpoint (torch.save) — the file may be truncated or not from PyTorch.`);
  const prefix = pkl.slice(0, -'data.pkl'.length);
  const order = [...entries.keys()].find((n) => n.endsWith('byteorder'));
  if (order && new TextDecoder().decode(join(order)).trim() !== 'little') throw new ImportError(`${src.name}: big-endian checkpoints are not supported.`);
  let root: unknown;
  try {
    root = readPickle(join(pkl), 0, (pid) => storageRef(pid, false)).value;
  } catch (e) {
    if (e instanceof PickleError || e instanceof ImportError) throw new ImportError(`${src.name}: ${e.message}`);
    throw e;
  }
  const refs = findStateDict(root, src.name);
  const storages = new Map<string, Uint8Array>();
  for (const t of refs.values()) {
    const entry = `${prefix}data/${t.storage.key}`;
    if (!done.has(entry)) throw new ImportError(`${src.name}: the storage ${entry} is missing or incomplete: the file is truncated.`);
    storages.set(t.storage.key, join(entry));
  }
  return buildStateDict(refs, storages, src.name);
}

async function readLegacy(src: ByteSource, opts: ImportOptions): Promise<StateDict> {
  // The pickles sit at the start; read a growing prefix until they parse.
  let prefixLen = Math.min(src.size, 4 * MB);
  let parsed: { refs: Map<string, TensorRef>; keys: string[]; end: number } | null = null;
  const storageInfo = new Map<string, StorageRef>();
  while (!parsed) {
    checkAborted(opts.signal);
    const head = await src.read(0, prefixLen);
    try {
      const magic = readPickle(head, 0);
      if (magic.value !== LEGACY_MAGIC && BigInt(magic.value as number) !== LEGACY_MAGIC) throw new ImportError(`${src.name}: a pickle, but not a PyTorch file (no torch magic number); expected torch.save output.`);
      const proto = readPickle(head, magic.end);
      if (proto.value !== 1001) throw new ImportError(`${src.name}: torch legacy protocol ${String(proto.value)}, expected 1001.`);
      const sys = readPickle(head, proto.end);
      if (sys.value instanceof Map && sys.value.get('little_endian') === false) throw new ImportError(`${src.name}: big-endian checkpoints are not supported.`);
      const main = readPickle(head, sys.end, (pid) => {
        const s = storageRef(pid, true);
        storageInfo.set(s.key, s);
        return s;
      });
      const keys = readPickle(head, main.end);
      if (!Array.isArray(keys.value)) throw new ImportError(`${src.name}: expected the list of storage keys after the state dict, found ${describe(keys.value)}.`);
      parsed = { refs: findStateDict(main.value, src.name), keys: keys.value.map(String), end: keys.end };
    } catch (e) {
      if (e instanceof PickleError && /truncated/.test(e.message) && prefixLen < src.size) { prefixLen = Math.min(src.size, prefixLen * 4); continue; }
      if (e instanceof PickleError) throw new ImportError(`${src.name}: ${e.message}`);
      throw e;
    }
  }
  const storages = new Map<string, Uint8Array>();
  let off = parsed.end;
  for (const key of parsed.keys) {
    checkAborted(opts.signal);
    const info = storageInfo.get(key);
    if (!info) throw new ImportError(`${src.name}: storage key ${key} has no type in the state dict.`);
    const count = Number(new DataView((await readExact(src, off, 8)).slice().buffer).getBigUint64(0, true));
    const len = count * info.elementSize;
    storages.set(key, (await readExact(src, off + 8, len)).slice());
    off += 8 + len;
    opts.onProgress?.({ file: src.name, phase: 'read', bytes: off, totalBytes: src.size });
  }
  return buildStateDict(parsed.refs, storages, src.name);
}

/** Reads a PyTorch checkpoint's state dict. Throws ImportError (what was found, what was expected). */
export async function readTorchStateDict(src: ByteSource, opts: ImportOptions = {}): Promise<StateDict> {
  const head = await src.read(0, Math.min(8, src.size));
  if (isZip(head)) return readZip(src, opts);
  if (head[0] === 0x80 && head[2] === 0x8a) return readLegacy(src, opts);
  throw new ImportError(`${src.name} is not a PyTorch checkpoint (it starts with bytes ${[...head.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ')}; expected a zip "PK" or a pickle).`);
}
