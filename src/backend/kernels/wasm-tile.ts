/**
 * Tile for tfjs's 'wasm' backend when the result is the input repeated end to end: every axis tiled more
 * than once comes after axes of size 1 only (e.g. [1, 1, 1, C] by [N, H, W, 1]: what tfjs's BatchNorm
 * gradient does to 1/√(σ² + ε) for every BatchNorm of a training step). tfjs-backend-wasm's Tile walks the
 * output element by element with index arithmetic: `advbn bench --train --profile` found it at 5–9 % of a
 * domains-head step (≈ 90 ms for one 32×5×5×512 result on the 2-core dev machine, under load). Here the
 * input is copied once and then doubled with copyWithin (memmove) until the output is full. Any other
 * Tile, and every Tile with `setWasmConvKernels('tfjs')`, goes to tfjs's kernel.
 */
import type * as tf from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { backendMemory, offsetOf, wasmConvKernels, type WasmBackendLike } from './winograd-loader';
import { wrapWasmKernel } from './wasm-wrap';

type Backend = tf.KernelBackend & WasmBackendLike & { makeOutput(shape: number[], dtype: 'float32'): TensorInfo };

/** How many end-to-end copies of x tile(x, reps) is, or 0 when it is not a plain repetition. */
export function repetitions(shape: readonly number[], reps: readonly number[]): number {
  if (reps.length !== shape.length) return 0;
  const last = reps.reduce((l, r, i) => (r > 1 ? i : l), -1);
  for (let j = 0; j < last; j++) if (shape[j] !== 1) return 0;
  return reps.reduce((p, r) => p * r, 1);
}

let previous: KernelFunc | null = null;

const tile: KernelFunc = (args) => {
  const backend = args.backend as Backend;
  const { x } = args.inputs as { x: TensorInfo };
  const { reps } = args.attrs as unknown as { reps: number[] };
  const copies = repetitions(x.shape, reps);
  const n = x.shape.reduce((p, d) => p * d, 1);
  if (wasmConvKernels() !== 'ours' || x.dtype !== 'float32' || copies < 2 || n === 0) return previous!(args);
  const out = backend.makeOutput(x.shape.map((d, i) => d * reps[i]!), 'float32');
  const heap = new Float32Array(backendMemory(backend).buffer); // after makeOutput: the heap may have grown
  const src = offsetOf(backend, x) / 4, dst = offsetOf(backend, out) / 4, total = n * copies;
  heap.copyWithin(dst, src, src + n);
  for (let done = n; done < total; done *= 2) heap.copyWithin(dst + done, dst, dst + Math.min(done, total - done));
  return out;
};

/** Wraps the 'wasm' backend's Tile (idempotent). */
export function registerWasmTile(): void {
  wrapWasmKernel('Tile', (p) => { previous = p; return tile; });
}
