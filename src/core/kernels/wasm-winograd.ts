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
import { WINOGRAD_WASM_PLAIN, WINOGRAD_WASM_SHARED } from './winograd/winograd-wasm';

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
  wino4_conv(x: number, U: number, y: number, v: number, m: number, tmp: number, h: number, w: number, k: number,
    n: number, padT: number, padL: number, ho: number, wo: number, t0: number, t1: number): void;
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

const instances = new WeakMap<object, WinogradExports>();
let simdOk: boolean | null = null;

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
  let ex = instances.get(backend);
  if (!ex) {
    const memory = backendMemory(backend);
    const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    const module = new WebAssembly.Module(decode(shared ? WINOGRAD_WASM_SHARED : WINOGRAD_WASM_PLAIN));
    ex = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as WinogradExports;
    instances.set(backend, ex);
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

/** Tiles per call so that one ξ-slice of V (tiles × K) stays in L2 (~128 KiB). */
export function tileBlock(k: number, totalTiles: number): number {
  return Math.max(8, Math.min(totalTiles, Math.floor(32768 / k / 4) * 4));
}

/**
 * Runs the convolution: y (pointer, [batch, ho, wo, n]) = conv(x [batch, h, w, k], U) with zero padding
 * padT/padL (the rest follows from ho, wo). Scratch from the backend's malloc, freed before returning.
 */
export function winogradConv(backend: WasmBackendLike, x: number, U: number, y: number, batch: number, h: number,
  w: number, k: number, n: number, padT: number, padL: number, ho: number, wo: number): void {
  const ex = winogradFor(backend);
  const total = batch * tileCount(ho, wo);
  const tb = tileBlock(k, total);
  const m = backend.wasm;
  const v = m._malloc(36 * tb * k * 4);
  const mm = m._malloc(36 * tb * n * 4);
  const tmp = m._malloc(36 * 4 * 4);
  try {
    for (let t0 = 0; t0 < total; t0 += tb) {
      ex.wino4_conv(x, U, y, v, mm, tmp, h, w, k, n, padT, padL, ho, wo, t0, Math.min(total, t0 + tb));
    }
  } finally {
    m._free(v); m._free(mm); m._free(tmp);
  }
}

export function offsetOf(backend: WasmBackendLike, t: tf.TensorInfo): number {
  const d = backend.dataIdMap.get(t.dataId);
  if (!d) throw new Error('tensor not on the wasm backend');
  return d.memoryOffset;
}
