/** Wrapping one of the 'wasm' backend's kernels: ours runs where it fits and calls the one it replaced otherwise. */
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc } from '@tensorflow/tfjs';

const wrapped = new Set<string>();

/**
 * Replaces the 'wasm' kernel `name` with `make(previous)` (previous: the kernel registered before, for the
 * cases ours does not take). Once per kernel name; later calls do nothing.
 */
export function wrapWasmKernel(name: string, make: (previous: KernelFunc) => KernelFunc, missing = `WASM kernel ${name} is missing`): void {
  if (wrapped.has(name)) return;
  const existing = tf.getKernel(name, 'wasm');
  if (!existing) throw new Error(missing);
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ ...existing, kernelFunc: make(existing.kernelFunc) });
  wrapped.add(name);
}
