/**
 * Our own Winograd F(4×4, 3×3) convolution (winograd/winograd.c, built by scripts/build-winograd-wasm.sh)
 * running inside tfjs-backend-wasm's memory: the module imports the backend's WebAssembly.Memory and
 * reads and writes tensors where tfjs keeps them (no copies); scratch comes from tfjs's malloc.
 *
 * Why our own: tfjs-backend-wasm 4.22 embeds a 2022 XNNPACK with indirect GEMM only (no Winograd) and
 * no newer WASM build of it exists as a library; every VGG-19 convolution is 3×3 stride 1, where
 * Winograd F(4×4, 3×3) needs 4× fewer multiplications.
 */
import * as tf from '@tensorflow/tfjs';
import {
  WINOGRAD_WASM_PLAIN, WINOGRAD_WASM_RELAXED_PLAIN, WINOGRAD_WASM_RELAXED_SHARED, WINOGRAD_WASM_SHARED,
} from './winograd/winograd-module.generated';

export type WasmConvKernels = 'tfjs' | 'ours';
export const WASM_CONV_KERNELS: WasmConvKernels[] = ['tfjs', 'ours'];
let active: WasmConvKernels = 'ours';

/**
 * Which kernels the 'wasm' backend runs for 3×3 convolutions and one-row matrix products: tfjs's own
 * (XNNPACK) or ours (this module's; wasm-winograd-conv.ts, wasm-matvec.ts). Switchable at run time.
 */
export function setWasmConvKernels(k: WasmConvKernels): void {
  active = k;
  for (const f of kernelSetListeners) f(k);
}
const kernelSetListeners: Array<(k: WasmConvKernels) => void> = [];
/** Calls `f` whenever the kernel set changes (kernels that exist only in our set register and unregister). */
export function onWasmConvKernels(f: (k: WasmConvKernels) => void): void {
  kernelSetListeners.push(f);
}
export function wasmConvKernels(): WasmConvKernels {
  return active;
}

interface EmscriptenModule {
  _malloc(n: number): number;
  _free(p: number): void;
  HEAPF32: Float32Array;
  wasmMemory?: WebAssembly.Memory;
  asm?: { memory?: WebAssembly.Memory };
}
export interface WasmBackendLike {
  wasm: EmscriptenModule;
  dataIdMap: { get(id: object): { memoryOffset: number } | undefined };
}

interface WinogradExports {
  wino4_filter(w: number, U: number, ci: number, co: number, flip: number): void;
  /** The same transform in SIMD (winograd-train.c). */
  wino4_filter_simd(w: number, U: number, ci: number, co: number, flip: number, n0: number, n1: number): void;
  wino4_conv(x: number, U: number, y: number, v: number, m: number, tmp: number, h: number, w: number, k: number,
    n: number, padT: number, padL: number, ho: number, wo: number, t0: number, t1: number, n0: number, n1: number): void;
  wino4_dw(x: number, dy: number, dU: number, v: number, m: number, tmp: number, h: number, w: number, k: number,
    n: number, padT: number, padL: number, ho: number, wo: number, t0: number, t1: number, n0: number, n1: number, first: number): void;
  wino4_dw_finish(dU: number, dW: number, k: number, n: number, n0: number, n1: number): void;
  mosaic_pack(x: number, m: number, b: number, h: number, w: number, c: number, cols: number, hm: number, wm: number): void;
  mosaic_unpack(m: number, y: number, b: number, h: number, w: number, c: number, cols: number, wm: number): void;
  colsum(x: number, out: number, rows: number, cols: number, scale: number): void;
  bn_train_fwd(x: number, gamma: number, beta: number, y: number, mean: number, v: number, scale: number, rows: number, c: number, eps: number, relu: number): void;
  bn_train_bwd(dy: number, x: number, mean: number, v: number, gamma: number, dmean: number, dv: number, dx: number, dgamma: number,
    dbeta: number, scratch: number, rows: number, c: number, eps: number, y: number, relu: number): void;
  max_pool_grad_2x2(x: number, dy: number, dx: number, b: number, h: number, w: number, c: number): void;
  channel_affine(x: number, a: number, b: number, mask: number, y: number, rows: number, c: number, relu: number): void;
  adam_update(w: number, g: number, m: number, v: number, wo: number, mo: number, vo: number, n: number,
    lr: number, b1: number, b2: number, c1: number, c2: number, eps: number): void;
  gemv_rows(x: number, b: number, y: number, k: number, n: number, n0: number, n1: number): void;
  gemv_dots(x: number, b: number, y: number, k: number, r0: number, r1: number): void;
}

function decode(b64: string): Uint8Array<ArrayBuffer> {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** The backend's heap: the threaded build keeps it in Module.wasmMemory, the plain one exports it. */
export function backendMemory(backend: WasmBackendLike): WebAssembly.Memory {
  const mem = backend.wasm.wasmMemory ?? backend.wasm.asm?.memory;
  if (!mem) throw new Error('tfjs-backend-wasm memory not found');
  return mem;
}

const instances = new WeakMap<object, Partial<Record<WinogradSimd, WinogradExports>>>();
let simdOk: boolean | null = null;

/**
 * Which build of our module runs. 'strict' (mul + add, the default) keeps PGD on the authors' path: it
 * matches PyTorch's losses step for step (src/core/reference.test.ts). 'relaxed' (f32x4.relaxed_madd in the
 * GEMMs: fused multiply-adds where the CPU has FMA, 1.3× the GEMM throughput on the dev machine's AMD EPYC)
 * rounds differently, which flips near-zero gradient signs of a 6-step PGD earlier (one photo's loss 1 %
 * off PyTorch's at step 3); training, where speed counts and no path is compared, runs it
 * (`withWinogradSimd('relaxed', …)` around the CLI's and the worker's training). Engines without relaxed
 * SIMD, and ADVBN_RELAXED_SIMD=0 in Node, stay strict.
 */
export type WinogradSimd = 'relaxed' | 'strict';
let simd: WinogradSimd = 'strict';
let relaxedOk: boolean | null = null;

/** Whether the relaxed build can run here (the engine validates it, and ADVBN_RELAXED_SIMD is not 0). */
export function relaxedSimdAvailable(): boolean {
  if (relaxedOk === null) {
    const env = typeof process !== 'undefined' ? process.env?.ADVBN_RELAXED_SIMD : undefined;
    relaxedOk = env !== '0' && WebAssembly.validate(decode(WINOGRAD_WASM_RELAXED_PLAIN));
  }
  return relaxedOk;
}
/** Picks the build for the calls that follow; returns the one that will run ('strict' where relaxed cannot). */
export function setWinogradSimd(s: WinogradSimd): WinogradSimd {
  simd = s === 'relaxed' && relaxedSimdAvailable() ? 'relaxed' : 'strict';
  return simd;
}
export function winogradSimd(): WinogradSimd {
  return simd;
}
/** Runs `f` on build `s`, then goes back to the build before. */
export async function withWinogradSimd<T>(s: WinogradSimd, f: () => Promise<T>): Promise<T> {
  const before = simd;
  setWinogradSimd(s);
  try {
    return await f();
  } finally {
    simd = before;
  }
}
function moduleBytes(shared: boolean, s: WinogradSimd): Uint8Array<ArrayBuffer> {
  const relaxed = s === 'relaxed';
  return decode(shared ? (relaxed ? WINOGRAD_WASM_RELAXED_SHARED : WINOGRAD_WASM_SHARED) : (relaxed ? WINOGRAD_WASM_RELAXED_PLAIN : WINOGRAD_WASM_PLAIN));
}

/** Whether this engine runs our module (WASM SIMD) on `backend`'s memory. */
export function winogradAvailable(backend: WasmBackendLike): boolean {
  if (instances.has(backend)) return true;
  if (simdOk === null) simdOk = WebAssembly.validate(decode(WINOGRAD_WASM_PLAIN));
  if (!simdOk || !(backend.wasm.wasmMemory ?? backend.wasm.asm?.memory)) return false;
  winogradFor(backend);
  return true;
}

/** Our module instantiated on `backend`'s memory (once per backend). */
export function winogradFor(backend: WasmBackendLike): WinogradExports {
  let byBuild = instances.get(backend);
  if (!byBuild) instances.set(backend, (byBuild = {}));
  let ex = byBuild[simd];
  if (!ex) {
    const memory = backendMemory(backend);
    const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    const module = new WebAssembly.Module(moduleBytes(shared, simd));
    ex = byBuild[simd] = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as WinogradExports;
  }
  return ex;
}

/** 4×4 output tiles of one image of Ho×Wo. */
export function tileCount(ho: number, wo: number): number {
  return Math.ceil(ho / 4) * Math.ceil(wo / 4);
}

/** Floats of the transformed filter: 36 · K · N. */
export function transformedFilterSize(k: number, n: number): number {
  return 36 * k * n;
}

/**
 * Tiles per call: one ξ-slice of V (tiles × K) of up to ~576 KiB, held in L2 while the GEMM streams the
 * transformed filter past it once per block (72 tiles at K = 512: 5 % faster than the 16 of a 128 KiB slice
 * at 32×10×10×512→512, scripts/bench-winograd-layer.ts-style timing; more did not pay).
 */
export function tileBlock(k: number, totalTiles: number): number {
  return Math.max(8, Math.min(totalTiles, Math.floor(147456 / k / 4) * 4));
}

/*
 * Threads. With tfjs's threaded build the heap is a shared WebAssembly.Memory: helper threads (Node
 * worker_threads, or Web Workers) instantiate the same module on it. A convolution with ≥ 32 tiles per thread
 * is split by tiles (each thread transforms only its tiles and reads all of the transformed filter: 5–15 %
 * faster at VGG-19's training and Explore shapes than splitting channels, 7 Dec 2026); a smaller one by output
 * channels, each thread reading its part of the transformed filter and transforming every tile into its own
 * scratch. Either way one call needs one barrier. The calling thread does the first part and
 * waits with Atomics.wait (allowed in Node's main thread and in workers, where tfjs runs in the app).
 * The matrix–vector products (wasm-matvec.ts) split their outputs the same way.
 * Control block (Int32Array on a SharedArrayBuffer): [0] job sequence, [1] parts done, [2] stop,
 * [3 … 15] the call's arguments, [16] the job (JOB_*), [17] the build (0 strict, 1 relaxed), then per thread (8 slots from 20 + 8·i): its
 * output range n0, n1, scratch (conv: V, M, tmp), and [5] ready.
 */
const P = 3, KIND = 16, BUILD = 17, T0 = 20, PER = 8;
const JOB_CONV = 0, JOB_ROWS = 1, JOB_DOTS = 2, JOB_DW = 3, JOB_FILTER = 4, JOB_CONV_TILES = 5;

/** The helper thread's body (plain JS, run by Node's Worker with eval or a Web Worker from a blob). */
export const WINOGRAD_WORKER_BODY = `
function winogradWorker(d) {
  const builds = d.modules.map((m) => m && new WebAssembly.Instance(m, { env: { memory: d.memory } }).exports);
  const c = new Int32Array(d.ctrl), b = ${T0} + ${PER} * d.index;
  let seen = Atomics.load(c, 0);
  Atomics.store(c, b + 5, 1);
  Atomics.notify(c, b + 5);
  for (;;) {
    Atomics.wait(c, 0, seen);
    const s = Atomics.load(c, 0);
    if (s === seen) continue;
    seen = s;
    if (Atomics.load(c, 2)) return;
    const kind = c[${KIND}], ex = builds[c[${BUILD}]] || builds[0];
    if (c[b] < c[b + 1] && kind === ${JOB_CONV}) {
      const [x, U, y, H, W, K, N, pt, pl, Ho, Wo, total, tb] = c.subarray(${P}, ${P} + 13);
      for (let t0 = 0; t0 < total; t0 += tb) ex.wino4_conv(x, U, y, c[b + 2], c[b + 3], c[b + 4], H, W, K, N, pt, pl, Ho, Wo, t0, Math.min(total, t0 + tb), c[b], c[b + 1]);
    } else if (c[b] < c[b + 1] && kind === ${JOB_CONV_TILES}) {
      const [x, U, y, H, W, K, N, pt, pl, Ho, Wo, , tb] = c.subarray(${P}, ${P} + 13);
      for (let t0 = c[b]; t0 < c[b + 1]; t0 += tb) ex.wino4_conv(x, U, y, c[b + 2], c[b + 3], c[b + 4], H, W, K, N, pt, pl, Ho, Wo, t0, Math.min(c[b + 1], t0 + tb), 0, N);
    } else if (c[b] < c[b + 1] && kind === ${JOB_DW}) {
      const [x, dy, dW, H, W, K, N, pt, pl, Ho, Wo, total, tb] = c.subarray(${P}, ${P} + 13);
      for (let t0 = 0; t0 < total; t0 += tb) ex.wino4_dw(x, dy, c[b + 6], c[b + 2], c[b + 3], c[b + 4], H, W, K, N, pt, pl, Ho, Wo, t0, Math.min(total, t0 + tb), c[b], c[b + 1], t0 === 0 ? 1 : 0);
      ex.wino4_dw_finish(c[b + 6], dW, K, N, c[b], c[b + 1]);
    } else if (c[b] < c[b + 1] && kind === ${JOB_FILTER}) {
      ex.wino4_filter_simd(c[${P}], c[${P} + 1], c[${P} + 2], c[${P} + 3], c[${P} + 4], c[b], c[b + 1]);
    } else if (c[b] < c[b + 1] && kind === ${JOB_ROWS}) {
      ex.gemv_rows(c[${P}], c[${P} + 1], c[${P} + 2], c[${P} + 3], c[${P} + 4], c[b], c[b + 1]);
    } else if (c[b] < c[b + 1]) {
      ex.gemv_dots(c[${P}], c[${P} + 1], c[${P} + 2], c[${P} + 3], c[b], c[b + 1]);
    }
    Atomics.add(c, 1, 1);
    Atomics.notify(c, 1);
  }
}`;

export interface WinogradWorkerData { modules: Array<WebAssembly.Module | null>; memory: WebAssembly.Memory; ctrl: SharedArrayBuffer; index: number }
/** Starts one helper thread that runs WINOGRAD_WORKER_BODY's winogradWorker(data); returns a way to stop it. */
export type SpawnWinogradWorker = (body: string, data: WinogradWorkerData) => { terminate(): unknown };

interface Pool { ctrl: Int32Array; threads: number; workers: Array<{ terminate(): unknown }> }
const pools = new WeakMap<object, Pool>();

/**
 * Runs our convolution on `threads` threads of `backend` (the caller and threads − 1 helpers started with
 * `spawn`); resolves once every helper has started. Needs tfjs's threaded build (a shared heap); with
 * one thread or a private heap nothing is started and the convolution runs on the calling thread.
 */
export async function startWinogradThreads(backend: WasmBackendLike, threads: number, spawn: SpawnWinogradWorker): Promise<number> {
  stopWinogradThreads(backend);
  const memory = backendMemory(backend);
  if (threads < 2 || typeof SharedArrayBuffer === 'undefined' || !(memory.buffer instanceof SharedArrayBuffer) || !winogradAvailable(backend)) return 1;
  const modules = [new WebAssembly.Module(moduleBytes(true, 'strict')), relaxedSimdAvailable() ? new WebAssembly.Module(moduleBytes(true, 'relaxed')) : null];
  const sab = new SharedArrayBuffer(4 * (T0 + PER * threads));
  const ctrl = new Int32Array(sab);
  const workers = [];
  for (let i = 1; i < threads; i++) workers.push(spawn(WINOGRAD_WORKER_BODY, { modules, memory, ctrl: sab, index: i }));
  const deadline = Date.now() + 30_000;
  for (let i = 1; i < threads; i++) {
    while (Atomics.load(ctrl, T0 + PER * i + 5) !== 1) {
      if (Date.now() > deadline) { for (const w of workers) w.terminate(); throw new Error('Winograd helper threads did not start'); }
      await new Promise((r) => setTimeout(r, 2));
    }
  }
  pools.set(backend, { ctrl, threads, workers });
  return threads;
}

/** Stops `backend`'s helper threads (if any). */
export function stopWinogradThreads(backend: WasmBackendLike): void {
  const pool = pools.get(backend);
  if (!pool) return;
  Atomics.store(pool.ctrl, 2, 1);
  Atomics.add(pool.ctrl, 0, 1);
  Atomics.notify(pool.ctrl, 0);
  for (const w of pool.workers) w.terminate();
  pools.delete(backend);
}

/** Threads our convolution runs on for `backend`. */
export function winogradThreads(backend: WasmBackendLike): number {
  return pools.get(backend)?.threads ?? 1;
}

/**
 * Runs one job on the pool: the helpers get `args` and their part (parts[i], i ≥ 1: n0, n1, scratch…), the
 * calling thread runs `own` (part 0) meanwhile, then waits for them. Without a pool: just `own`.
 */
function parallel(pool: Pool | undefined, kind: number, args: number[], parts: number[][], own: () => void): void {
  if (!pool || parts.length < 2) { own(); return; }
  const c = pool.ctrl;
  c.set(args, P);
  c[KIND] = kind;
  c[BUILD] = simd === 'relaxed' ? 1 : 0;
  for (let i = 1; i < pool.threads; i++) c.set(i < parts.length ? parts[i]! : [0, 0], T0 + PER * i); // [0, 0]: idle
  Atomics.store(c, 1, 0);
  Atomics.add(c, 0, 1);
  Atomics.notify(c, 0);
  own();
  for (let done = Atomics.load(c, 1); done < pool.threads - 1; done = Atomics.load(c, 1)) Atomics.wait(c, 1, done);
}

/** [0, n) in `threads` parts, each a multiple of `unit`. */
function cuts(n: number, threads: number, unit: number): Array<[number, number]> {
  const at = (i: number) => Math.floor((i * n) / unit / threads) * unit;
  return Array.from({ length: threads }, (_, i) => [at(i), i === threads - 1 ? n : at(i + 1)]);
}

/** How threads share a convolution: 'auto' (tiles where each thread gets ≥ TILES_PER_THREAD, else channels; 32: 32×5×5×512→512, 72 tiles, 18.9 → 17.5 ms, while 16×5×5 and 1×14×14 run faster by channels), or forced (tests, benchmarks). */
export type ConvSplit = 'auto' | 'tiles' | 'channels';
let convSplit: ConvSplit = 'auto';
const TILES_PER_THREAD = 32;
export function setWinogradConvSplit(s: ConvSplit): void {
  convSplit = s;
}

/** A batch of small images laid out as one (winograd-train.c's mosaic_pack): `cols` images a row, hm × wm. */
export interface Mosaic { cols: number; hm: number; wm: number; tiles: number }

/**
 * The mosaic with the fewest 4×4 tiles for `batch` images of h × w under a 'same' 3×3 convolution (padding 1,
 * output h × w), or null when the batch is one image, the convolution is not 'same', or the mosaic saves
 * less than 10 % of the tiles (maps of 4k − 1 or 4k px, and large maps, fill their tiles already).
 */
export function mosaicLayout(batch: number, h: number, w: number, padT: number, padL: number, ho: number, wo: number): Mosaic | null {
  if (batch < 2 || padT !== 1 || padL !== 1 || ho !== h || wo !== w) return null;
  let best: Mosaic | null = null;
  for (let rows = 1; rows <= batch; rows++) {
    const cols = Math.ceil(batch / rows);
    if (rows > 1 && (rows - 1) * cols >= batch) continue; // a row of empty cells
    const hm = rows * (h + 1) - 1, wm = cols * (w + 1) - 1;
    const tiles = tileCount(hm, wm);
    if (!best || tiles < best.tiles) best = { cols, hm, wm, tiles };
  }
  return best && best.tiles <= 0.9 * batch * tileCount(h, w) ? best : null;
}

/** What a failed malloc asked for and how big the heap is, for the error. */
function heapNote(backend: WasmBackendLike, floats: number[]): string {
  const mb = (b: number) => Math.round(b / 2 ** 20);
  return `asked ${mb(4 * floats.reduce((a, b) => a + b, 0))} MiB; the heap is ${mb(backendMemory(backend).buffer.byteLength)} MiB of at most 4,096; a smaller batch, image size or a later split needs less`;
}

/** Runs `f` with one mosaic buffer per [pointer, channels] (malloc'd, hm·wm·channels floats), freed after. */
function onMosaic(backend: WasmBackendLike, mo: Mosaic, bufs: Array<[number, number]>, f: (ptrs: number[]) => void): void {
  const m = backend.wasm;
  const ptrs: number[] = [];
  try {
    for (const [, c] of bufs) {
      const p = m._malloc(4 * mo.hm * mo.wm * c);
      if (!p) throw new Error('out of WASM memory for a mosaic of small maps');
      ptrs.push(p);
    }
    f(ptrs);
  } finally {
    for (const p of ptrs) m._free(p);
  }
}

/**
 * Runs the convolution: y (pointer, [batch, ho, wo, n]) = conv(x [batch, h, w, k], U) with zero padding
 * padT/padL (the rest follows from ho, wo). Scratch from the backend's malloc, freed before returning.
 */
export function winogradConv(backend: WasmBackendLike, x: number, U: number, y: number, batch: number, h: number,
  w: number, k: number, n: number, padT: number, padL: number, ho: number, wo: number): void {
  const ex = winogradFor(backend);
  const mo = mosaicLayout(batch, h, w, padT, padL, ho, wo);
  if (mo) {
    onMosaic(backend, mo, [[x, k], [y, n]], ([xm, ym]) => {
      ex.mosaic_pack(x, xm!, batch, h, w, k, mo.cols, mo.hm, mo.wm);
      winogradConv(backend, xm!, U, ym!, 1, mo.hm, mo.wm, k, n, 1, 1, mo.hm, mo.wm);
      ex.mosaic_unpack(ym!, y, batch, h, w, n, mo.cols, mo.wm);
    });
    return;
  }
  const total = batch * tileCount(ho, wo);
  const pool = pools.get(backend);
  // Threads split the tiles where each gets enough of them for the GEMM (every thread transforms only its own
  // tiles and reads all of U), else the output channels (each transforms every tile and reads its part of U).
  const byTiles = !!pool && (convSplit === 'tiles' || (convSplit === 'auto' && total >= TILES_PER_THREAD * pool.threads));
  const tb = tileBlock(k, byTiles ? Math.ceil(total / pool!.threads) : total);
  const ranges = byTiles ? cuts(total, pool!.threads, 4) : cuts(n, pool ? Math.min(pool.threads, n / 8) : 1, 8); // tiles, or whole panels of 8 channels
  const tb4 = Math.ceil(tb / 4) * 4; // the GEMM takes tiles in groups of four (winograd.c): the last group is padded
  const sizes = ranges.map(([n0, n1]) => 36 * tb4 * (k + (byTiles ? n : n1 - n0)) + 144);
  const m = backend.wasm;
  const base = m._malloc(4 * sizes.reduce((a, b) => a + b, 0));
  if (!base) throw new Error(`out of WASM memory for the Winograd scratch (${heapNote(backend, sizes)})`);
  const parts: number[][] = []; // n0, n1 (or t0, t1), V, M, tmp
  for (let i = 0, at = base; i < ranges.length; at += 4 * sizes[i]!, i++) {
    const [r0, r1] = ranges[i]!;
    const mAt = at + 4 * 36 * tb4 * k;
    parts.push([r0, r1, at, mAt, mAt + 4 * 36 * tb4 * (byTiles ? n : r1 - r0)]);
  }
  try {
    parallel(pool, byTiles ? JOB_CONV_TILES : JOB_CONV, [x, U, y, h, w, k, n, padT, padL, ho, wo, total, tb], parts, () => {
      const [r0, r1, v, mm, tmp] = parts[0]!;
      if (byTiles) for (let t0 = r0!; t0 < r1!; t0 += tb) ex.wino4_conv(x, U, y, v!, mm!, tmp!, h, w, k, n, padT, padL, ho, wo, t0, Math.min(r1!, t0 + tb), 0, n);
      else for (let t0 = 0; t0 < total; t0 += tb) ex.wino4_conv(x, U, y, v!, mm!, tmp!, h, w, k, n, padT, padL, ho, wo, t0, Math.min(total, t0 + tb), r0!, r1!);
    });
  } finally {
    m._free(base);
  }
}

/**
 * ∂L/∂W (pointer, [3, 3, k, n]) of the 3×3 stride-1 convolution of x [batch, h, w, k] (padding padT/padL) whose
 * output gradient is dy [batch, ho, wo, n] (winograd-train.c). Threads split the output channels; tiles go
 * in blocks of up to ~6M floats of transformed input per thread. Scratch from the backend's malloc.
 */
export function winogradFilterGrad(backend: WasmBackendLike, x: number, dy: number, dW: number, batch: number, h: number,
  w: number, k: number, n: number, padT: number, padL: number, ho: number, wo: number): void {
  const ex = winogradFor(backend);
  const mo = mosaicLayout(batch, h, w, padT, padL, ho, wo);
  if (mo) {
    onMosaic(backend, mo, [[x, k], [dy, n]], ([xm, dym]) => {
      ex.mosaic_pack(x, xm!, batch, h, w, k, mo.cols, mo.hm, mo.wm);
      ex.mosaic_pack(dy, dym!, batch, h, w, n, mo.cols, mo.hm, mo.wm); // zero between images: no gradient from there
      winogradFilterGrad(backend, xm!, dym!, dW, 1, mo.hm, mo.wm, k, n, 1, 1, mo.hm, mo.wm);
    });
    return;
  }
  const total = batch * tileCount(ho, wo);
  const tb = Math.min(total, Math.max(8, Math.floor(6_000_000 / (36 * k))));
  const pool = pools.get(backend);
  const ranges = cuts(n, pool ? Math.min(pool.threads, n / 8) : 1, 8);
  const sizes = ranges.map(([n0, n1]) => 36 * tb * (k + n1 - n0) + 36 * k * (n1 - n0) + 144);
  const m = backend.wasm;
  const base = m._malloc(4 * sizes.reduce((a, b) => a + b, 0));
  if (!base) throw new Error(`out of WASM memory for the Winograd filter-gradient scratch (${heapNote(backend, sizes)})`);
  const parts: number[][] = []; // n0, n1, V, M, tmp, (ready), dU
  for (let i = 0, at = base; i < ranges.length; at += 4 * sizes[i]!, i++) {
    const [n0, n1] = ranges[i]!;
    const mAt = at + 4 * 36 * tb * k, tmpAt = mAt + 4 * 36 * tb * (n1 - n0);
    parts.push([n0, n1, at, mAt, tmpAt, 1, tmpAt + 4 * 144]); // slot 5 is the helper's ready flag: left at 1
  }
  try {
    parallel(pool, JOB_DW, [x, dy, dW, h, w, k, n, padT, padL, ho, wo, total, tb], parts, () => {
      const [n0, n1, v, mm, tmp, , dU] = parts[0]!;
      for (let t0 = 0; t0 < total; t0 += tb) ex.wino4_dw(x, dy, dU!, v!, mm!, tmp!, h, w, k, n, padT, padL, ho, wo, t0, Math.min(total, t0 + tb), n0!, n1!, t0 === 0 ? 1 : 0);
      ex.wino4_dw_finish(dU!, dW, k, n, n0!, n1!);
    });
  } finally {
    m._free(base);
  }
}

/**
 * The transformed filter U (36·K·N floats at `U`) of the 3×3 filter w [3, 3, ci, co]: flip 0 for the forward
 * pass (K = ci, N = co), 1 for ∂L/∂x (K = co, N = ci; winograd-train.c's wino4_filter_simd). Threads split N.
 * In training every fine-tuned filter changes every step, so this runs twice per filter and step.
 */
export function winogradFilterTransform(backend: WasmBackendLike, w: number, U: number, ci: number, co: number, flip: 0 | 1): void {
  const ex = winogradFor(backend);
  const n = flip ? ci : co;
  const pool = pools.get(backend);
  const parts = cuts(n, pool ? Math.max(1, Math.min(pool.threads, n / 64)) : 1, 8);
  parallel(pool, JOB_FILTER, [w, U, ci, co, flip], parts, () => {
    const [n0, n1] = parts[0]!;
    ex.wino4_filter_simd(w, U, ci, co, flip, n0, n1);
  });
}

/**
 * y[n] = x[k] · B: B row-major k×n (`transposed` false) or n×k (true; y = x · Bᵀ). Pointers into the
 * backend's heap; n a multiple of 4 (rows) or k of 8 (transposed). Threads split the outputs.
 */
export function matVec(backend: WasmBackendLike, x: number, B: number, y: number, k: number, n: number, transposed: boolean): void {
  const ex = winogradFor(backend);
  const pool = pools.get(backend);
  const unit = transposed ? 64 : 256; // outputs per unit of work: rows of B, or columns (aligned to 4)
  const parts = cuts(n, pool ? Math.max(1, Math.min(pool.threads, Math.floor(n / unit))) : 1, transposed ? 1 : 4);
  parallel(pool, transposed ? JOB_DOTS : JOB_ROWS, [x, B, y, k, n], parts, () => {
    const [n0, n1] = parts[0]!;
    if (transposed) ex.gemv_dots(x, B, y, k, n0, n1);
    else ex.gemv_rows(x, B, y, k, n, n0, n1);
  });
}

export function offsetOf(backend: WasmBackendLike, t: tf.TensorInfo): number {
  const d = backend.dataIdMap.get(t.dataId);
  if (!d) throw new Error('tensor not on the wasm backend');
  return d.memoryOffset;
}
