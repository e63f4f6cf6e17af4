/**
 * BatchMatMul for tfjs's 'wasm' backend at one row (batch 1, M = 1: VGG-19's fully connected layers in a
 * PGD step), on the matrix–vector products of our module (winograd/winograd.c: gemv_rows, gemv_dots).
 * These products only stream the weights (fc1: 411 MB); tfjs's kernel (XNNPACK's fully connected
 * operator) took 146 ms for fc1's ∂L/∂x = dy · Wᵀ in `advbn bench --profile` (2.8 GB/s). Anything
 * else (more rows, transposed a, other dtypes) goes to tfjs's kernel; `setWasmConvKernels('tfjs')`
 * switches this one off too.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { matVec, offsetOf, wasmConvKernels, winogradAvailable, type WasmBackendLike } from './winograd-loader';

type Backend = tf.KernelBackend & WasmBackendLike & { makeOutput(shape: number[], dtype: 'float32'): TensorInfo };

let previous: KernelFunc | null = null;
let calls = 0;

/** How many matrix products our kernel has computed in this process (tests: proof that it ran). */
export function matVecCallCount(): number {
  return calls;
}

const batchMatMul: KernelFunc = (args) => {
  const backend = args.backend as Backend;
  const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
  const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
  // Rank 2 ([M, K]) or 3 ([batch, M, K]); the batch must be 1.
  const batch = (s: number[]) => s.slice(0, -2).reduce((p, d) => p * d, 1);
  const [m, k] = a.shape.slice(-2) as [number, number];
  const [b1, b2] = b.shape.slice(-2) as [number, number];
  const n = transposeB ? b1 : b2;
  const fits = wasmConvKernels() === 'ours' && !transposeA && a.dtype === 'float32' && b.dtype === 'float32' &&
    a.shape.length >= 2 && b.shape.length >= 2 && batch(a.shape) === 1 && batch(b.shape) === 1 && m === 1 &&
    (transposeB ? b2 : b1) === k && (transposeB ? k % 8 === 0 : n % 4 === 0) && winogradAvailable(backend);
  if (!fits) return previous!(args);
  const out = backend.makeOutput([...a.shape.slice(0, -1), n], 'float32');
  calls++;
  matVec(backend, offsetOf(backend, a), offsetOf(backend, b), offsetOf(backend, out), k, n, transposeB);
  return out;
};

let registered = false;

/** Wraps the 'wasm' backend's BatchMatMul (idempotent). */
export function registerWasmMatVecKernel(): void {
  if (registered) return;
  const existing = tf.getKernel('BatchMatMul', 'wasm');
  if (!existing) throw new Error('WASM kernel BatchMatMul is missing');
  previous = existing.kernelFunc;
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({ ...existing, kernelFunc: batchMatMul });
  registered = true;
}
