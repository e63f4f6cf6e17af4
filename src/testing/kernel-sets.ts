/** Tests: running the same computation under each WASM kernel set (ours, tfjs's) on the active backend. */
import * as tf from '@tensorflow/tfjs';
import { setWasmConvKernels, wasmConvKernels, type WasmConvKernels } from '../backend/kernels/winograd-loader';

/** Runs `f` with kernel set `k` and gives back its outputs' values (the outputs are disposed). */
export async function withKernels(k: WasmConvKernels, f: () => tf.Tensor[]): Promise<Float32Array[]> {
  const before = wasmConvKernels();
  setWasmConvKernels(k);
  try {
    const out = f();
    const v = await Promise.all(out.map((t) => t.data() as Promise<Float32Array>));
    tf.dispose(out);
    return v;
  } finally {
    setWasmConvKernels(before);
  }
}
