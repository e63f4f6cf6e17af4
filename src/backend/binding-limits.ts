/**
 * No silent zeros on WebGPU: tfjs-backend-webgpu installs no error scope, so a tensor bound as a
 * storage buffer larger than the device's `maxStorageBufferBindingSize` makes the shader fail
 * validation and its output reads back as zeros, without an error (tfjs issue #6507). VGG-19's fc1
 * kernel is 411 MB (25088 × 4096 float32); WebGPU's default limit, lavapipe's and older SwiftShader's
 * is 128 MiB.
 *
 * Before a network runs on WebGPU, `fitBindings` compares its largest weight and activation with the
 * device's limit. A dense kernel that is too large is split into row blocks that fit (read once from
 * the tensor's values, never bound whole; see DenseLayer.parts); an activation that is too large cannot
 * be split here, so the caller falls back to another backend with the reason returned.
 */
import * as tf from '@tensorflow/tfjs';
import { disposeNetwork, layerShapes, type Network } from '../models/network';

const F32 = 4;

export interface BindingFit {
  /** Dense layers split into row blocks: "fc1: 411.0 MB in 4 blocks of ≤ 128.0 MiB". */
  split: string[];
  /** Why the network cannot run within the limit (an activation too large), or null. */
  tooLarge: string | null;
  largestWeight: { name: string; bytes: number };
  largestActivation: { name: string; bytes: number };
}

const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;

/** The device's storage-binding limit when tfjs runs on WebGPU, else null (no such limit). */
export function webGpuBindingLimit(): number | null {
  if (tf.getBackend() !== 'webgpu') return null;
  const device = (tf.backend() as unknown as { device?: { limits?: { maxStorageBufferBindingSize?: number } } }).device;
  return device?.limits?.maxStorageBufferBindingSize ?? null;
}

/**
 * Splits every dense kernel larger than `maxBytes` into row blocks of at most `maxBytes`, and checks
 * the activations of one forward pass (batch `batch`) against it. Idempotent.
 */
export async function fitBindings(net: Network, maxBytes: number, batch = 1): Promise<BindingFit> {
  const fit: BindingFit = { split: [], tooLarge: null, largestWeight: { name: '', bytes: 0 }, largestActivation: { name: 'input', bytes: 0 } };
  for (const l of net.layers) {
    if (l.kind !== 'conv2d' && l.kind !== 'dense') continue;
    const bytes = l.kernel.size * F32;
    if (bytes > fit.largestWeight.bytes) fit.largestWeight = { name: l.name, bytes };
    if (bytes <= maxBytes) continue;
    if (l.kind === 'conv2d') {
      fit.tooLarge ??= `${l.name}'s kernel (${mb(bytes)}) is larger than this GPU's storage-binding limit (${mb(maxBytes)})`;
      continue;
    }
    const [rows, cols] = l.kernel.shape;
    const perBlock = Math.floor(maxBytes / (cols * F32));
    if (perBlock < 1) {
      fit.tooLarge ??= `one row of ${l.name}'s kernel (${mb(cols * F32)}) is larger than this GPU's storage-binding limit (${mb(maxBytes)})`;
      continue;
    }
    if (!l.parts) {
      const values = (await l.kernel.data()) as Float32Array;
      const parts: tf.Tensor2D[] = [];
      for (let r = 0; r < rows; r += perBlock) {
        const n = Math.min(perBlock, rows - r);
        parts.push(tf.tensor2d(values.subarray(r * cols, (r + n) * cols), [n, cols]));
      }
      l.parts = parts;
    }
    fit.split.push(`${l.name}: ${mb(bytes)} in ${l.parts.length} blocks of ≤ ${mb(maxBytes)}`);
  }
  for (const { name, shape } of [{ name: 'input', shape: net.inputShape }, ...layerShapes(net)]) {
    const bytes = batch * shape.reduce((a, b) => a * b, 1) * F32;
    if (bytes > fit.largestActivation.bytes) fit.largestActivation = { name, bytes };
  }
  if (fit.largestActivation.bytes > maxBytes) {
    fit.tooLarge ??= `the activation of ${fit.largestActivation.name} (${mb(fit.largestActivation.bytes)}) is larger than this GPU's storage-binding limit (${mb(maxBytes)})`;
  }
  return fit;
}

/**
 * `fitBindings` with the limit of the device tfjs runs on (nothing to do off WebGPU). Throws with the
 * reason when the network cannot fit, so the caller can say so and the user can pick another backend.
 */
export async function fitCurrentBackend(net: Network): Promise<BindingFit | null> {
  const limit = webGpuBindingLimit();
  if (limit === null) return null;
  const fit = await fitBindings(net, limit);
  if (fit.tooLarge) throw new Error(`${net.name} cannot run on this GPU: ${fit.tooLarge}. Choose WASM or WebGL.`);
  return fit;
}

/** fitCurrentBackend for a network just loaded: on failure it is disposed before the error goes on. */
export async function fitOrDispose(net: Network): Promise<void> {
  try {
    await fitCurrentBackend(net);
  } catch (e) {
    disposeNetwork(net);
    throw e;
  }
}
