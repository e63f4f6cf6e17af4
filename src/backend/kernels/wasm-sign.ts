/**
 * Sign for tfjs's WASM backend, in plain JavaScript.
 *
 * Why: tfjs-backend-wasm 4.22's own Sign returns 0 for every |x| ≤ 1.19e-7 (float32's machine epsilon;
 * measured: sign(1.1e-7) = 0, sign(1.2e-7) = 1, sign(−1e-7) = 0; the CPU and WebGPU backends and
 * PyTorch give ±1). PGD on AdvBN's δ steps by τ · sign(∂L/∂δ) (pgd.ts), and on a photo the classifier
 * is sure of (p = 1 in float32, so CE = 0 and the other classes keep p ≈ 1e-8) every component of
 * ∂L/∂δ is ~1e-8: on WASM δ stayed 1 for every step, as if AdvBN did nothing, while PyTorch and WebGPU
 * moved every channel by τ. The backward pass itself was right (checked layer by layer against the CPU
 * backend); only the sign was lost. No library offers this kernel for WASM; one pass over the values
 * (δ has 512) costs nothing.
 *
 * Convention (tfjs CPU, PyTorch): 1 for x > 0, −1 for x < 0, 0 for ±0 and NaN.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';

type WasmBackend = tf.KernelBackend & {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): ArrayLike<number> & { [i: number]: number };
};

const sign: KernelFunc = ({ inputs, backend: b }) => {
  const backend = b as WasmBackend;
  const { x } = inputs as { x: TensorInfo };
  const out = backend.makeOutput(x.shape, x.dtype);
  if (out.shape.reduce((p, d) => p * d, 1) === 0) return out;
  const src = backend.typedArrayFromHeap(x), dst = backend.typedArrayFromHeap(out);
  for (let i = 0; i < src.length; i++) {
    const v = src[i]!;
    dst[i] = v > 0 ? 1 : v < 0 ? -1 : 0;
  }
  return out;
};

/** Replaces the WASM backend's Sign (see the module comment). Idempotent. */
export function registerWasmSign(): void {
  if (tf.getKernel('Sign', 'wasm')?.kernelFunc === sign) return;
  if (tf.getKernel('Sign', 'wasm')) tf.unregisterKernel('Sign', 'wasm');
  tf.registerKernel({ kernelName: 'Sign', backendName: 'wasm', kernelFunc: sign });
}
