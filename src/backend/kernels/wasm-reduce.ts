/**
 * Sum and Mean for tfjs's 'wasm' backend when they reduce every axis but the last (per-channel sums of an
 * NHWC activation: BatchNorm's moments and its gradients, every BN of a training step, forward and back).
 * tfjs-backend-wasm transposes the input so that the reduced axes come last (a full copy) and then sums;
 * `advbn bench --train --profile` put Sum and Mean at ≈ 6 % of a domains-head step. Here the rows are
 * added in place (winograd-train.c's colsum). Anything else, and everything with
 * `setWasmConvKernels('tfjs')`, goes to tfjs's kernels.
 */
import type * as tf from '@tensorflow/tfjs';
import { util, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import { offsetOf, wasmConvKernels, winogradAvailable, winogradFor, type WasmBackendLike } from './winograd-loader';
import { wrapWasmKernel } from './wasm-wrap';

type Backend = tf.KernelBackend & WasmBackendLike & { makeOutput(shape: number[], dtype: 'float32'): TensorInfo };

/** Whether `axis` of a tensor of `shape` names every axis but the last (in any order). */
export function reducesLeadingAxes(shape: readonly number[], axis: number | number[] | undefined): boolean {
  if (shape.length < 2 || axis === undefined) return false;
  const axes = util.parseAxisParam(axis, shape as number[]).slice().sort((a, b) => a - b);
  return axes.length === shape.length - 1 && axes.every((a, i) => a === i);
}

function reduceKernel(mean: boolean, previous: () => KernelFunc): KernelFunc {
  return (args) => {
    const backend = args.backend as Backend;
    const { x } = args.inputs as { x: TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const c = x.shape[x.shape.length - 1]!;
    const rows = x.shape.slice(0, -1).reduce((p, d) => p * d, 1);
    if (wasmConvKernels() !== 'ours' || x.dtype !== 'float32' || c % 4 !== 0 || rows === 0 || !reducesLeadingAxes(x.shape, axis) || !winogradAvailable(backend)) {
      return previous()(args);
    }
    const out = backend.makeOutput(keepDims ? [...x.shape.slice(0, -1).map(() => 1), c] : [c], 'float32');
    winogradFor(backend).colsum(offsetOf(backend, x), offsetOf(backend, out), rows, c, mean ? 1 / rows : 1);
    return out;
  };
}

let previousSum: KernelFunc | null = null, previousMean: KernelFunc | null = null;

/** Wraps the 'wasm' backend's Sum and Mean (idempotent). */
export function registerWasmReduce(): void {
  wrapWasmKernel('Sum', (p) => { previousSum = p; return reduceKernel(false, () => previousSum!); });
  wrapWasmKernel('Mean', (p) => { previousMean = p; return reduceKernel(true, () => previousMean!); });
}
