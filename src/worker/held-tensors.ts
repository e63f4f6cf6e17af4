/**
 * Tensors the handlers keep between requests, and reading them back before the engine leaves a GPU
 * backend (see readBackHeld). No tfjs backend imports here, so handler modules and their Node tests
 * can use it.
 */
import * as tf from '@tensorflow/tfjs';

/** Where handlers that keep tensors between requests (a model, an image, features) list them. */
const heldTensorSources: Array<() => tf.Tensor[]> = [];

/** A handler module's tensors kept between requests; read back before a GPU backend is left. */
export function registerHeldTensors(source: () => tf.Tensor[]): void {
  heldTensorSources.push(source);
}

/**
 * Before the engine leaves a GPU backend: every tensor the handlers keep is read back with an
 * asynchronous read. tfjs moves a tensor to the new backend lazily, on its first use there, with the old
 * backend's synchronous read — on WebGPU a copy through an OffscreenCanvas, which in Chromium's worker
 * (SwiftShader) gave zeros: after switching WebGPU → WASM on the Explore page the tiny model's weights
 * arrived as zeros (loss ln 10 at every step, δ unchanged), while each backend started fresh agreed
 * (e2e/explore.test.ts). With the values read back, the move copies them and reads nothing.
 */
export async function readBackHeld(): Promise<void> {
  const from = tf.getBackend();
  if (from !== 'webgpu' && from !== 'webgl') return;
  for (const source of heldTensorSources) {
    for (const t of source()) if (!t.isDisposed) await t.data();
  }
}
