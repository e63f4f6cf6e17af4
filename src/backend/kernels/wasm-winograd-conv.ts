/**
 * Conv2D and Conv2DBackpropInput for tfjs's 'wasm' backend on our Winograd F(4×4, 3×3) kernel
 * (wasm-winograd.ts), for 3×3 stride-1 undilated NHWC convolutions whose channel counts are multiples of
 * 8 (every VGG-19 convolution but block1_conv1's 3 input channels); anything else goes to the kernel
 * that was registered before (XNNPACK, or the composed ∂L/∂x of wasm-conv2d-backprop-filter.ts).
 *
 * ∂L/∂x of a stride-1 convolution is the convolution of dy with the rot180, in/out-swapped filter over
 * the padding k−1−pad; the kernel reads dy in place (the padding is implicit) and the swap and flip are
 * done by the filter transform. The transformed filters (36·Ci·Co floats each, forward and ∂L/∂x) are
 * kept per filter while the filter lives, in the backend's memory, and freed once it is gone.
 *
 * `setWasmConvKernels('tfjs')` switches back to tfjs's kernels at run time (advbn bench --kernels).
 */
import * as tf from '@tensorflow/tfjs';
import { backend_util, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import { registerWasmMatVecKernel } from './wasm-matvec';
import { offsetOf, transformedFilterSize, wasmConvKernels, winogradAvailable, winogradConv, winogradFilterTransform, type WasmBackendLike } from './winograd-loader';

export { setWasmConvKernels, wasmConvKernels, WASM_CONV_KERNELS, type WasmConvKernels } from './winograd-loader';

type Backend = tf.KernelBackend & WasmBackendLike & {
  disposeData(id: object): boolean;
  makeOutput(shape: number[], dtype: 'float32', memoryOffset?: number): TensorInfo;
  dataIdMap: WasmBackendLike['dataIdMap'] & { has(id: object): boolean };
};
type Pad = 'valid' | 'same' | number | backend_util.ExplicitPadding;
interface Transformed { fwd?: TensorInfo; bwd?: TensorInfo }

/**
 * Per backend: filter data id → filter shape → its transformed copies. The shape is part of the key: a
 * reshape shares its data id, and a [3,3,16,16] filter read as [3,3,32,8] is another filter.
 */
const caches = new WeakMap<object, Map<object, Map<string, Transformed>>>();

function cacheOf(backend: Backend): Map<object, Map<string, Transformed>> {
  let cache = caches.get(backend);
  if (!cache) caches.set(backend, (cache = new Map()));
  for (const [id, shapes] of cache) {
    if (!backend.dataIdMap.has(id)) {
      freeTransformed(backend, shapes);
      cache.delete(id);
    }
  }
  return cache;
}

/** Filter transforms done so far and their wall time (advbn bench --train --profile). */
export const filterTransformStats = { calls: 0, ms: 0 };

function freeTransformed(backend: Backend, shapes: Map<string, Transformed>): void {
  for (const t of shapes.values()) for (const u of [t.fwd, t.bwd]) if (u) backend.disposeData(u.dataId);
}

/**
 * At most this many bytes of transformed filters are kept per backend (36·Ci·Co floats each, two per filter:
 * 75 MiB for one 512×512 filter). Beyond it the least recently used filters' transforms are freed (they are
 * redone, ≈ 5 ms, if that filter comes back). Without a bound, every network evaluated in one process kept
 * its transforms while its filters lived: the domains comparison at block4_conv1 (six trained heads of 528 MiB
 * of transforms each) filled the 4 GiB wasm32 heap, and malloc crawled; at block3_conv1 an AdvBN step failed
 * for want of memory.
 */
let budgetBytes = 2 ** 30;
export function setWinogradFilterBudget(bytes: number): void {
  budgetBytes = bytes;
}
/** Bytes of transformed filters kept on `backend` now. */
export function winogradFilterCacheBytes(backend: tf.KernelBackend): number {
  let n = 0;
  for (const shapes of caches.get(backend)?.values() ?? []) for (const t of shapes.values()) for (const u of [t.fwd, t.bwd]) if (u) n += 4 * u.shape[0]!;
  return n;
}

/** The transformed filter for the forward pass (flip 0) or ∂L/∂x (flip 1), made once per filter and shape. */
function transformed(backend: Backend, filter: TensorInfo, flip: 0 | 1): TensorInfo {
  const cache = cacheOf(backend);
  let shapes = cache.get(filter.dataId);
  if (shapes) cache.delete(filter.dataId); // re-inserted below: the Map's order is least recently used first
  else shapes = new Map();
  cache.set(filter.dataId, shapes);
  const shape = filter.shape.join('×');
  let e = shapes.get(shape);
  if (!e) shapes.set(shape, (e = {}));
  const key = flip ? 'bwd' : 'fwd';
  let u = e[key];
  if (!u) {
    const [, , ci, co] = filter.shape as [number, number, number, number];
    const t0 = performance.now();
    u = backend.makeOutput([transformedFilterSize(ci, co)], 'float32');
    winogradFilterTransform(backend, offsetOf(backend, filter), offsetOf(backend, u), ci, co, flip);
    filterTransformStats.calls++;
    filterTransformStats.ms += performance.now() - t0;
    e[key] = u;
    for (const [id, old] of cache) {
      if (id === filter.dataId || winogradFilterCacheBytes(backend) <= budgetBytes) break;
      freeTransformed(backend, old);
      cache.delete(id);
    }
  }
  return u;
}

/** Frees every transformed filter kept on `backend` (e.g. before disposing a model). */
export function clearWinogradFilters(backend: tf.KernelBackend): void {
  const cache = caches.get(backend);
  if (!cache) return;
  for (const shapes of cache.values()) freeTransformed(backend as Backend, shapes);
  cache.clear();
}

/** 3×3, stride 1, no dilation, NHWC, channel counts multiples of 8, float32, and our module loads. */
function ours(backend: Backend, info: backend_util.Conv2DInfo, dataFormat: string | undefined, dtype: string): boolean {
  return wasmConvKernels() === 'ours' && dtype === 'float32' && dataFormat !== 'NCHW' &&
    info.filterHeight === 3 && info.filterWidth === 3 && info.strideHeight === 1 && info.strideWidth === 1 &&
    info.dilationHeight === 1 && info.dilationWidth === 1 && info.inChannels % 8 === 0 && info.outChannels % 8 === 0 &&
    winogradAvailable(backend);
}

let calls = 0;

/** How many convolutions (forward or ∂L/∂x) our kernel has computed in this process (tests: proof that it ran). */
export function winogradCallCount(): number {
  return calls;
}

let previousConv2D: KernelFunc | null = null;
let previousBackpropInput: KernelFunc | null = null;

const conv2d: KernelFunc = (args) => {
  const backend = args.backend as Backend;
  const { x, filter } = args.inputs as { x: TensorInfo; filter: TensorInfo };
  const { strides, pad, dilations, dimRoundingMode, dataFormat } = args.attrs as unknown as {
    strides: number | [number, number]; pad: Pad; dilations: number | [number, number]; dimRoundingMode?: 'floor' | 'round' | 'ceil'; dataFormat?: string;
  };
  const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filter.shape as [number, number, number, number], strides, dilations ?? 1, pad, dimRoundingMode);
  if (!ours(backend, info, dataFormat, x.dtype)) return previousConv2D!(args);
  const u = transformed(backend, filter, 0);
  const out = backend.makeOutput(info.outShape, 'float32');
  calls++;
  winogradConv(backend, offsetOf(backend, x), offsetOf(backend, u), offsetOf(backend, out), info.batchSize, info.inHeight, info.inWidth,
    info.inChannels, info.outChannels, info.padInfo.top, info.padInfo.left, info.outHeight, info.outWidth);
  return out;
};

const conv2dBackpropInput: KernelFunc = (args) => {
  const backend = args.backend as Backend;
  const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
  const { strides, pad, dimRoundingMode, inputShape, dataFormat } = args.attrs as unknown as {
    strides: number | [number, number]; pad: Pad; dimRoundingMode?: 'floor' | 'round' | 'ceil'; inputShape: [number, number, number, number]; dataFormat?: string;
  };
  const info = backend_util.computeConv2DInfo(inputShape, filter.shape as [number, number, number, number], strides, 1, pad, dimRoundingMode);
  if (!ours(backend, info, dataFormat, dy.dtype)) return previousBackpropInput!(args);
  const u = transformed(backend, filter, 1);
  const out = backend.makeOutput(inputShape, 'float32');
  calls++;
  // dx = conv(dy, flipped filter) with padding 2 − pad at the top and left; its output is x's shape.
  winogradConv(backend, offsetOf(backend, dy), offsetOf(backend, u), offsetOf(backend, out), info.batchSize, info.outHeight, info.outWidth,
    info.outChannels, info.inChannels, 2 - info.padInfo.top, 2 - info.padInfo.left, info.inHeight, info.inWidth);
  return out;
};

let registered = false;

/**
 * Wraps the 'wasm' backend's Conv2D and Conv2DBackpropInput (call after registerWasmTrainingKernels, whose
 * ∂L/∂x becomes the fallback), and its BatchMatMul (wasm-matvec.ts). Idempotent.
 */
export function registerWasmWinogradKernels(): void {
  if (registered) return;
  registerWasmMatVecKernel();
  for (const [name, mine] of [['Conv2D', conv2d], ['Conv2DBackpropInput', conv2dBackpropInput]] as const) {
    const existing = tf.getKernel(name, 'wasm');
    if (!existing) throw new Error(`WASM kernel ${name} is missing`);
    if (name === 'Conv2D') previousConv2D = existing.kernelFunc;
    else previousBackpropInput = existing.kernelFunc;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ ...existing, kernelFunc: mine });
  }
  registered = true;
}
