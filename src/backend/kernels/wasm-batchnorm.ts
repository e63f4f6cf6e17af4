/**
 * BatchNorm in training mode, forward and gradient, fused (BN_TRAINING_KERNEL and BN_TRAINING_GRAD_KERNEL,
 * src/common/kernel-names.ts) for tfjs's WASM backend: winograd-train.c's bn_train_fwd (three passes over x) and
 * bn_train_bwd (two passes over dy and x). Composed from tfjs ops (tf.moments, then tf.batchNorm and their
 * gradients) one BN of a training step is ≈ 20 kernel calls (Sub, Square, Mean, Multiply ×6, Sum, Tile, RealDiv …),
 * each a pass over the activation with a fresh output: ≈ 8 % of a block4_conv1 step of the domains head
 * (advbn bench --train --profile). No library offers it for tfjs's WASM backend.
 *
 * CHANNEL_AFFINE_KERNEL (x·a + b per channel, winograd-train.c's channel_affine) is BatchNorm with running
 * statistics and its ∂L/∂x (dy·a) in one pass each: tfjs's FusedBatchNorm runs ≈ 1 GB/s on one thread, and its
 * gradient makes four passes (the eval-mode BNs of PGD: ≈ 4 % of an AdvBN step at block4_conv1).
 *
 * Like the fused Adam (wasm-adam.ts), the kernels exist only while our kernel set is on; src/models/batchnorm-ops.ts
 * runs them when the backend has them and composes tfjs ops otherwise. Channel counts that are not a multiple
 * of 4, and engines without our module, take the same equations in JavaScript.
 */
import type * as tf from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { BN_TRAINING_GRAD_KERNEL, BN_TRAINING_KERNEL, CHANNEL_AFFINE_KERNEL } from '../../common/kernel-names';
import { offsetOf, winogradAvailable, winogradFor, type WasmBackendLike } from './winograd-loader';
import { registerWasmKernelsOfOurSet } from './wasm-wrap';

type Backend = tf.KernelBackend & WasmBackendLike & {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array;
};

let calls = 0;
/** How many fused BN passes (training forward or gradient, or a channel affine map) ran on our module in this process (tests: proof that it ran). */
export function fusedBatchNormCallCount(): number {
  return calls;
}

function channelsOf(x: TensorInfo, name: string, params: TensorInfo[]): { rows: number; c: number } {
  if (x.shape.length < 2) throw new Error(`${name}: x must have rank ≥ 2, got shape [${x.shape}]`);
  const c = x.shape[x.shape.length - 1]!;
  for (const p of params) {
    if (p.dtype !== 'float32' || p.shape.length !== 1 || p.shape[0] !== c) throw new Error(`${name}: expected float32 [${c}], got ${p.dtype} [${p.shape}]`);
  }
  if (x.dtype !== 'float32') throw new Error(`${name}: float32 only, got ${x.dtype}`);
  return { rows: x.shape.reduce((p, d) => p * d, 1) / c, c };
}

/** Runs `f` with `floats` floats of scratch from the backend's malloc. */
function withScratch(backend: Backend, floats: number, f: (p: number) => void): void {
  const p = backend.wasm._malloc(4 * floats);
  if (!p) throw new Error('out of WASM memory for the BatchNorm scratch');
  try {
    f(p);
  } finally {
    backend.wasm._free(p);
  }
}

const forward: KernelFunc = ({ inputs, attrs, backend: b }) => {
  const backend = b as Backend;
  const { x, gamma, beta } = inputs as { x: TensorInfo; gamma: TensorInfo; beta: TensorInfo };
  const { epsilon: eps, relu } = attrs as unknown as { epsilon: number; relu?: boolean };
  const { rows, c } = channelsOf(x, BN_TRAINING_KERNEL, [gamma, beta]);
  const out = [backend.makeOutput(x.shape, 'float32'), backend.makeOutput([c], 'float32'), backend.makeOutput([c], 'float32')];
  const [y, mean, variance] = out as [TensorInfo, TensorInfo, TensorInfo];
  if (rows === 0) return out;
  if (c % 4 === 0 && winogradAvailable(backend)) {
    calls++;
    withScratch(backend, c, (scale) => winogradFor(backend).bn_train_fwd(offsetOf(backend, x), offsetOf(backend, gamma), offsetOf(backend, beta),
      offsetOf(backend, y), offsetOf(backend, mean), offsetOf(backend, variance), scale, rows, c, eps, relu ? 1 : 0));
    return out;
  }
  const [X, G, B, Y, M, S] = [x, gamma, beta, y, mean, variance].map((t) => backend.typedArrayFromHeap(t)) as Float32Array[];
  for (let j = 0; j < c; j++) {
    let s = 0;
    for (let r = 0; r < rows; r++) s += X![r * c + j]!;
    const mu = Math.fround(s / rows);
    let q = 0;
    for (let r = 0; r < rows; r++) q += (X![r * c + j]! - mu) ** 2;
    const v = Math.fround(q / rows), k = G![j]! / Math.sqrt(v + eps);
    M![j] = mu;
    S![j] = v;
    for (let r = 0; r < rows; r++) {
      const v = (X![r * c + j]! - mu) * k + B![j]!;
      Y![r * c + j] = relu ? Math.max(v, 0) : v;
    }
  }
  return out;
};

const gradient: KernelFunc = ({ inputs, attrs, backend: b }) => {
  const backend = b as Backend;
  const { dy, x, mean, variance, gamma, dmean, dvariance, y } = inputs as Record<'dy' | 'x' | 'mean' | 'variance' | 'gamma' | 'dmean' | 'dvariance', TensorInfo> & { y?: TensorInfo };
  const eps = (attrs as unknown as { epsilon: number }).epsilon;
  const { rows, c } = channelsOf(x, BN_TRAINING_GRAD_KERNEL, [mean, variance, gamma, dmean, dvariance]);
  for (const t of y ? [dy, y] : [dy]) if (t.shape.join() !== x.shape.join()) throw new Error(`${BN_TRAINING_GRAD_KERNEL}: [${t.shape}] and x [${x.shape}] differ`);
  const out = [backend.makeOutput(x.shape, 'float32'), backend.makeOutput([c], 'float32'), backend.makeOutput([c], 'float32')];
  const [dx, dgamma, dbeta] = out as [TensorInfo, TensorInfo, TensorInfo];
  if (rows === 0) return out;
  if (c % 4 === 0 && winogradAvailable(backend)) {
    calls++;
    const o = (t: TensorInfo) => offsetOf(backend, t);
    withScratch(backend, 3 * c, (scratch) => winogradFor(backend).bn_train_bwd(o(dy), o(x), o(mean), o(variance), o(gamma), o(dmean), o(dvariance),
      o(dx), o(dgamma), o(dbeta), scratch, rows, c, eps, y ? o(y) : 0, y ? 1 : 0));
    return out;
  }
  const [G0, X, M, S, G, DM, DS, DX, DG, DB] = [dy, x, mean, variance, gamma, dmean, dvariance, dx, dgamma, dbeta].map((t) => backend.typedArrayFromHeap(t)) as Float32Array[];
  const Y = y ? backend.typedArrayFromHeap(y) : null;
  const DY = Y ? G0!.map((d, i) => (Y[i]! > 0 ? d : 0)) : G0; // the ReLU's gradient first
  for (let j = 0; j < c; j++) {
    const mu = M![j]!, r = 1 / Math.sqrt(S![j]! + eps), gr = G![j]! * r;
    let sdy = 0, sdyx = 0;
    for (let i = 0; i < rows; i++) {
      sdy += DY![i * c + j]!;
      sdyx += DY![i * c + j]! * (X![i * c + j]! - mu);
    }
    DB![j] = sdy;
    DG![j] = sdyx * r;
    const B = (2 * DS![j]! - gr * r * r * sdyx) / rows, D = (DM![j]! - gr * sdy) / rows;
    for (let i = 0; i < rows; i++) DX![i * c + j] = gr * DY![i * c + j]! + B * (X![i * c + j]! - mu) + D;
  }
  return out;
};

const affine: KernelFunc = ({ inputs, attrs, backend: b }) => {
  const backend = b as Backend;
  const { x, a, b: offset, mask } = inputs as { x: TensorInfo; a: TensorInfo; b?: TensorInfo; mask?: TensorInfo };
  const relu = (attrs as unknown as { relu?: boolean }).relu ?? false;
  const { rows, c } = channelsOf(x, CHANNEL_AFFINE_KERNEL, offset ? [a, offset] : [a]);
  if (mask && mask.shape.join() !== x.shape.join()) throw new Error(`${CHANNEL_AFFINE_KERNEL}: mask [${mask.shape}] and x [${x.shape}] differ`);
  const y = backend.makeOutput(x.shape, 'float32');
  if (rows === 0) return y;
  const at = (t?: TensorInfo) => (t ? offsetOf(backend, t) : 0);
  if (c % 4 === 0 && winogradAvailable(backend)) {
    calls++;
    winogradFor(backend).channel_affine(at(x), at(a), at(offset), at(mask), at(y), rows, c, relu ? 1 : 0);
    return y;
  }
  const [X, A, Y] = [x, a, y].map((t) => backend.typedArrayFromHeap(t)) as Float32Array[];
  const B = offset ? backend.typedArrayFromHeap(offset) : null, K = mask ? backend.typedArrayFromHeap(mask) : null;
  for (let i = 0; i < rows * c; i++) {
    const v = (K && !(K[i]! > 0) ? 0 : X![i]!) * A![i % c]! + (B ? B[i % c]! : 0);
    Y![i] = relu ? Math.max(v, 0) : v;
  }
  return y;
};

/** Registers the three kernels (while our kernel set is on) for the 'wasm' backend. Idempotent. */
export function registerWasmBatchNorm(): void {
  registerWasmKernelsOfOurSet([[BN_TRAINING_KERNEL, forward], [BN_TRAINING_GRAD_KERNEL, gradient], [CHANNEL_AFFINE_KERNEL, affine]]);
}
