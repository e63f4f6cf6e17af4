/**
 * Backend selection for the browser (runs inside the worker): WebGPU, else WebGL, else WASM, else CPU.
 * The WASM binaries are bundled by Vite and their URLs handed to tfjs.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { registerWasmTrainingKernels } from '../core/kernels/wasm-conv2d-backprop-filter';

import { BACKEND_ORDER, type BackendName } from './backend-names';
export { BACKEND_ORDER, type BackendName };

let wasmReady = false;
function prepareWasm() {
  if (wasmReady) return;
  wasmReady = true;
  setWasmPaths({
    'tfjs-backend-wasm.wasm': wasmPlain,
    'tfjs-backend-wasm-simd.wasm': wasmSimd,
    'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
  });
  registerWasmTrainingKernels();
}

/** Tries one backend; resolves to false (never throws) when it is unavailable here. */
export async function tryBackend(name: BackendName): Promise<boolean> {
  try {
    if (name === 'webgpu' && !(globalThis.navigator as Navigator & { gpu?: unknown })?.gpu) return false;
    if (name === 'wasm') prepareWasm();
    const ok = await tf.setBackend(name);
    if (!ok) return false;
    await tf.ready();
    // A backend can register but fail on first use (e.g. WebGL without a context): run a tiny op.
    const t = tf.tidy(() => tf.sum(tf.mul(tf.ones([4]), 2)));
    const v = (await t.data())[0];
    t.dispose();
    return v === 8;
  } catch {
    return false;
  }
}

/**
 * Starts `preferred` if given and available, else the first that works in BACKEND_ORDER.
 * Returns the backend that runs and the ones that failed.
 */
export async function initBackend(preferred?: BackendName): Promise<{ backend: BackendName; failed: BackendName[] }> {
  const order = preferred ? [preferred, ...BACKEND_ORDER.filter((b) => b !== preferred)] : BACKEND_ORDER;
  const failed: BackendName[] = [];
  for (const b of order) {
    if (await tryBackend(b)) return { backend: b, failed };
    failed.push(b);
  }
  throw new Error('No tfjs backend could be started (tried WebGPU, WebGL, WASM, CPU).');
}
