/** tfjs backends in Node: WASM (default, XNNPACK + SIMD) and the pure-JS CPU backend. */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from '../core/kernels/wasm-conv2d-backprop-filter';

export type NodeBackend = 'wasm' | 'cpu';
export const NODE_BACKENDS: NodeBackend[] = ['wasm', 'cpu'];

export async function useNodeBackend(name: NodeBackend = 'wasm'): Promise<string> {
  if (name === 'wasm') registerWasmTrainingKernels();
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`tfjs backend "${name}" could not be initialised.`);
  await tf.ready();
  return tf.getBackend();
}
