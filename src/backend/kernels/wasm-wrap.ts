/** Wrapping one of the 'wasm' backend's kernels: ours runs where it fits and calls the one it replaced otherwise. */
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc } from '@tensorflow/tfjs';
import { onWasmConvKernels, wasmConvKernels } from './winograd-loader';

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

const ownRegistered = new Set<string>();

/**
 * Registers kernels that exist only in our kernel set (no tfjs kernel of that name: fused Adam, fused BatchNorm)
 * for the 'wasm' backend while the set is 'ours', and unregisters them under setWasmConvKernels('tfjs'), so that
 * callers that look them up compose tfjs ops instead. Once per kernel name.
 */
export function registerWasmKernelsOfOurSet(kernels: Array<[string, KernelFunc]>): void {
  const fresh = kernels.filter(([name]) => !ownRegistered.has(name));
  if (!fresh.length) return;
  for (const [name] of fresh) ownRegistered.add(name);
  const sync = (k: 'tfjs' | 'ours') => {
    for (const [kernelName, kernelFunc] of fresh) {
      const has = tf.getKernel(kernelName, 'wasm') !== undefined;
      if (k === 'ours' && !has) tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
      if (k === 'tfjs' && has) tf.unregisterKernel(kernelName, 'wasm');
    }
  };
  onWasmConvKernels(sync);
  sync(wasmConvKernels());
}
