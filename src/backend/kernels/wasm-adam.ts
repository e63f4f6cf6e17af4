/**
 * The fused Adam update (FUSED_ADAM_KERNEL, src/common/kernel-names.ts) for tfjs's WASM backend:
 * winograd-train.c's adam_update, one SIMD pass over w, g, m, v per variable. tfjs's AdamOptimizer makes
 * about ten element-wise passes per variable (mul, add, square, div, sqrt …, each a kernel call with a
 * fresh output); for the block4_conv1 head's 16.5 M weights that was ≈ 100 ms of a 1.3 s training step
 * (advbn bench --train --profile). No library offers it for tfjs's WASM backend.
 *
 * The kernel exists only while our kernel set is on (setWasmConvKernels('ours'), the default): src/core/adam.ts
 * runs it when the backend has it and composes tfjs ops to the same equations otherwise, so `--kernels tfjs`
 * times tfjs's own element-wise kernels. Without our module (no WASM SIMD) the same pass runs in JavaScript.
 */
import type * as tf from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { FUSED_ADAM_KERNEL } from '../../common/kernel-names';
import { offsetOf, winogradAvailable, winogradFor, type WasmBackendLike } from './winograd-loader';
import { registerWasmKernelsOfOurSet } from './wasm-wrap';

type Backend = tf.KernelBackend & WasmBackendLike & {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array;
};
interface Attrs { lr: number; beta1: number; beta2: number; epsilon: number; c1: number; c2: number }

let calls = 0;
/** How many fused updates ran on our module in this process (tests: proof that it ran). */
export function fusedAdamCallCount(): number {
  return calls;
}

const fusedAdam: KernelFunc = ({ inputs, attrs, backend: b }) => {
  const backend = b as Backend;
  const { w, g, m, v } = inputs as { w: TensorInfo; g: TensorInfo; m: TensorInfo; v: TensorInfo };
  const { lr, beta1, beta2, epsilon, c1, c2 } = attrs as unknown as Attrs;
  for (const t of [w, g, m, v]) if (t.dtype !== 'float32') throw new Error(`${FUSED_ADAM_KERNEL}: float32 tensors only, got ${t.dtype}`);
  const n = w.shape.reduce((p, d) => p * d, 1);
  for (const t of [g, m, v]) if (t.shape.reduce((p, d) => p * d, 1) !== n) throw new Error(`${FUSED_ADAM_KERNEL}: shapes differ (${w.shape} and ${t.shape})`);
  const out = [w, m, v].map((t) => backend.makeOutput(t.shape, 'float32'));
  if (n === 0) return out;
  if (winogradAvailable(backend)) {
    calls++;
    winogradFor(backend).adam_update(offsetOf(backend, w), offsetOf(backend, g), offsetOf(backend, m), offsetOf(backend, v),
      offsetOf(backend, out[0]!), offsetOf(backend, out[1]!), offsetOf(backend, out[2]!), n, lr, beta1, beta2, c1, c2, epsilon);
    return out;
  }
  const [W, G, M, S] = [w, g, m, v].map((t) => backend.typedArrayFromHeap(t));
  const [Wo, Mo, So] = out.map((t) => backend.typedArrayFromHeap(t));
  for (let i = 0; i < n; i++) {
    const gi = G![i]!, mi = Math.fround(M![i]! * beta1 + gi * (1 - beta1)), vi = Math.fround(S![i]! * beta2 + gi * gi * (1 - beta2));
    Mo![i] = mi;
    So![i] = vi;
    Wo![i] = (mi / c1) / (Math.sqrt(vi / c2) + epsilon) * -lr + W![i]!;
  }
  return out;
};

/** Registers the kernel (while our kernel set is on) for the 'wasm' backend. Idempotent. */
export function registerWasmFusedAdam(): void {
  registerWasmKernelsOfOurSet([[FUSED_ADAM_KERNEL, fusedAdam]]);
}
