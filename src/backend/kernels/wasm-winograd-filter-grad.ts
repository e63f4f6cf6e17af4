/**
 * Conv2DBackpropFilter for tfjs's 'wasm' backend on our Winograd kernel (winograd/winograd-train.c:
 * ∂L/∂W = Gᵀ [Σ_tiles (Bᵀ d B) ⊗ (A ∂Y Aᵀ)] G, the adjoint of the forward F(4×4, 3×3)), for 3×3 stride-1
 * undilated NHWC convolutions whose channel counts are multiples of 8 — every fine-tuned VGG-19
 * convolution. The filter gradient is a third of a training step's convolution work; the kernel it
 * replaces (wasm-conv2d-backprop-filter.ts) runs it as a direct convolution on XNNPACK, with transposes.
 * Anything else, and everything under `setWasmConvKernels('tfjs')`, goes to that kernel.
 */
import type * as tf from '@tensorflow/tfjs';
import { backend_util, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import { offsetOf, wasmConvKernels, winogradAvailable, winogradFilterGrad, type WasmBackendLike } from './winograd-loader';
import { wrapWasmKernel } from './wasm-wrap';

type Backend = tf.KernelBackend & WasmBackendLike & { makeOutput(shape: number[], dtype: 'float32'): TensorInfo };
type Pad = 'valid' | 'same' | number | backend_util.ExplicitPadding;

let previous: KernelFunc | null = null;

const conv2dBackpropFilter: KernelFunc = (args) => {
  const backend = args.backend as Backend;
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dimRoundingMode, filterShape, dataFormat } = args.attrs as unknown as {
    strides: number | [number, number]; pad: Pad; dimRoundingMode?: 'floor' | 'round' | 'ceil'; filterShape: [number, number, number, number]; dataFormat?: string;
  };
  const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode);
  const fits = wasmConvKernels() === 'ours' && x.dtype === 'float32' && dy.dtype === 'float32' && dataFormat !== 'NCHW' &&
    info.filterHeight === 3 && info.filterWidth === 3 && info.strideHeight === 1 && info.strideWidth === 1 &&
    info.inChannels % 8 === 0 && info.outChannels % 8 === 0 && winogradAvailable(backend);
  if (!fits) return previous!(args);
  const out = backend.makeOutput(filterShape, 'float32');
  winogradFilterGrad(backend, offsetOf(backend, x), offsetOf(backend, dy), offsetOf(backend, out), info.batchSize, info.inHeight, info.inWidth,
    info.inChannels, info.outChannels, info.padInfo.top, info.padInfo.left, info.outHeight, info.outWidth);
  return out;
};

/** Wraps the 'wasm' backend's Conv2DBackpropFilter (call after registerWasmTrainingKernels, which adds it). Idempotent. */
export function registerWasmWinogradFilterGrad(): void {
  wrapWasmKernel('Conv2DBackpropFilter', (p) => { previous = p; return conv2dBackpropFilter; }, 'WASM kernel Conv2DBackpropFilter is missing (registerWasmTrainingKernels first)');
}
