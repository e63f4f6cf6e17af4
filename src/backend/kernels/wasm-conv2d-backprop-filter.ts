/**
 * Convolution gradients for tfjs's WASM backend, built from its fast XNNPACK forward convolution.
 *
 * - tfjs-backend-wasm has no `Conv2DBackpropFilter`, so training any conv weights on WASM fails.
 * - Its `Conv2DBackpropInput` is a plain loop, ~10× slower than the forward conv (measured: 2.25 s
 *   vs 0.21 s at 28×28×512→512), which makes every PGD step through VGG-19's head take ~12 s.
 *
 * Both gradients are convolutions themselves:
 *   ∂L/∂x = conv(pad(dy), rot180(W) with in/out channels swapped)               (stride 1)
 *   ∂L/∂W[i,j,ci,co] = Σ_{n,h,w} x_pad[n, s·h+i, s·w+j, ci] · dy[n,h,w,co]
 *                   = conv(x_pad as [Ci, Hp, Wp, N], dy as a [Ho, Wo, N, Co] filter dilated by s)
 * so they run on the same XNNPACK kernel as the forward pass. The kernels below compose the WASM
 * backend's own kernels (PadV2, Transpose, Reverse, Conv2D, Slice) and free every intermediate.
 *
 * Two more costs per PGD step, found with `advbn bench --profile` (VGG-19 head at block4_conv1, one
 * thread): tfjs's engine clones every tensor it saves for the backward pass, and the WASM backend's
 * `Identity` copies the data, so each step copied all head weights (411 MB for fc1 alone, ~200 ms) and
 * gave them new ids, so XNNPACK re-packed them. `Identity` here shares the data (a reference count, as
 * the CPU and WebGL backends do; tensors are immutable), and the flipped, transposed filter of
 * ∂L/∂x is kept per filter while that filter lives, so its packed XNNPACK operator is reused.
 */
import * as tf from '@tensorflow/tfjs';
import { backend_util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import { registerWasmMaxPoolGrad } from './wasm-max-pool-grad';

type Backend = tf.KernelBackend & { disposeData(dataId: object): boolean };

function run(name: string, backend: Backend, inputs: Record<string, TensorInfo>, attrs: Record<string, unknown> = {}): TensorInfo {
  const k = tf.getKernel(name, 'wasm');
  if (!k) throw new Error(`WASM kernel ${name} is missing`);
  return k.kernelFunc({ inputs, backend, attrs: attrs as never }) as TensorInfo;
}

function free(backend: Backend, ...infos: TensorInfo[]) {
  for (const t of infos) backend.disposeData(t.dataId);
}

function pad4(backend: Backend, x: TensorInfo, top: number, bottom: number, left: number, right: number): TensorInfo {
  if (top === 0 && bottom === 0 && left === 0 && right === 0) return run('Identity', backend, { x });
  return run('PadV2', backend, { x }, { paddings: [[0, 0], [top, bottom], [left, right], [0, 0]], constantValue: 0 });
}

const conv2dBackpropFilter: KernelFunc = ({ inputs, backend: b, attrs }) => {
  const backend = b as Backend;
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dimRoundingMode, filterShape, dataFormat } = attrs as unknown as {
    strides: [number, number] | number; pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
    dimRoundingMode?: 'floor' | 'round' | 'ceil'; filterShape: [number, number, number, number]; dataFormat: 'NHWC' | 'NCHW';
  };
  if (dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter (wasm): only NHWC is supported');
  const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode);
  const { top, bottom, left, right } = info.padInfo;
  const [kh, kw] = [info.filterHeight, info.filterWidth];
  const xPad = pad4(backend, x, top, Math.max(0, bottom), left, Math.max(0, right));
  const xT = run('Transpose', backend, { x: xPad }, { perm: [3, 1, 2, 0] }); // [Ci, Hp, Wp, N]
  const dyT = run('Transpose', backend, { x: dy }, { perm: [1, 2, 0, 3] }); // [Ho, Wo, N, Co]
  const g = run('Conv2D', backend, { x: xT, filter: dyT }, {
    strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [info.strideHeight, info.strideWidth],
  }); // [Ci, ≥kh, ≥kw, Co]
  const gCut = g.shape[1] === kh && g.shape[2] === kw ? run('Identity', backend, { x: g }) : run('Slice', backend, { x: g }, { begin: [0, 0, 0, 0], size: [g.shape[0], kh, kw, g.shape[3]] });
  const out = run('Transpose', backend, { x: gCut }, { perm: [1, 2, 0, 3] }); // [kh, kw, Ci, Co]
  free(backend, xPad, xT, dyT, g, gCut);
  return out;
};

let originalBackpropInput: KernelFunc | null = null;

type DataId = object;
type Storage = { has(id: DataId): boolean };
/**
 * Per backend: filter data id → filter shape → its rot180, in/out-swapped copy (see the module comment).
 * The shape is part of the key: a reshape keeps the data id.
 */
const flippedFilters = new WeakMap<object, Map<DataId, Map<string, TensorInfo>>>();

/** Frees cached copies whose filter is gone (disposed tensors, replaced variable values). */
function pruneFlipped(backend: Backend, cache: Map<DataId, Map<string, TensorInfo>>) {
  const storage = (backend as unknown as { dataIdMap: Storage }).dataIdMap;
  for (const [id, shapes] of cache) {
    if (!storage.has(id)) {
      free(backend, ...shapes.values());
      cache.delete(id);
    }
  }
}

function flippedFilter(backend: Backend, filter: TensorInfo): TensorInfo {
  let cache = flippedFilters.get(backend);
  if (!cache) flippedFilters.set(backend, (cache = new Map()));
  pruneFlipped(backend, cache);
  let shapes = cache.get(filter.dataId);
  if (!shapes) cache.set(filter.dataId, (shapes = new Map()));
  const shape = filter.shape.join('×');
  let wT = shapes.get(shape);
  if (!wT) {
    const flipped = run('Reverse', backend, { x: filter }, { dims: [0, 1] });
    wT = run('Transpose', backend, { x: flipped }, { perm: [0, 1, 3, 2] }); // [kh, kw, Co, Ci]
    free(backend, flipped);
    shapes.set(shape, wT);
  }
  return wT;
}

/** Frees every cached flipped filter of `backend` (e.g. before disposing a model). */
export function clearFlippedFilters(backend: tf.KernelBackend): void {
  const cache = flippedFilters.get(backend);
  if (!cache) return;
  for (const shapes of cache.values()) free(backend as Backend, ...shapes.values());
  cache.clear();
}

/** The WASM Identity without the copy: the output shares the input's data (reference-counted). */
const identity: KernelFunc = ({ inputs, backend }) => {
  const { x } = inputs as { x: TensorInfo };
  if (x.dtype === 'string') return originalIdentity!({ inputs, backend, attrs: {} });
  (backend as unknown as { incRef(id: DataId): void }).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};
let originalIdentity: KernelFunc | null = null;

const conv2dBackpropInput: KernelFunc = (args) => {
  const backend = args.backend as Backend;
  const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
  const { strides, pad, dimRoundingMode, inputShape, dataFormat } = args.attrs as unknown as {
    strides: [number, number] | number; pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
    dimRoundingMode?: 'floor' | 'round' | 'ceil'; inputShape: [number, number, number, number]; dataFormat: 'NHWC' | 'NCHW';
  };
  const info = backend_util.computeConv2DInfo(inputShape, filter.shape as [number, number, number, number], strides, 1, pad, dimRoundingMode);
  const [kh, kw] = [info.filterHeight, info.filterWidth];
  const top = kh - 1 - info.padInfo.top;
  const left = kw - 1 - info.padInfo.left;
  const bottom = inputShape[1] + kh - 1 - info.outHeight - top;
  const right = inputShape[2] + kw - 1 - info.outWidth - left;
  if (dataFormat === 'NCHW' || info.strideHeight !== 1 || info.strideWidth !== 1 || Math.min(top, left, bottom, right) < 0) {
    return originalBackpropInput!(args); // strided or unusual padding: the backend's own kernel
  }
  const dyPad = pad4(backend, dy, top, bottom, left, right);
  const wT = flippedFilter(backend, filter);
  const out = run('Conv2D', backend, { x: dyPad, filter: wT }, { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1] });
  free(backend, dyPad);
  return out;
};

let registered = false;

/**
 * Registers Conv2DBackpropFilter (missing), a faster Conv2DBackpropInput, a copy-free Identity and a
 * correct MaxPoolGrad (wasm-max-pool-grad.ts) for the 'wasm' backend. Idempotent; call before or after
 * the backend is initialised.
 */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  registered = true;
  registerWasmMaxPoolGrad();
  const existingIdentity = tf.getKernel('Identity', 'wasm');
  if (existingIdentity) {
    originalIdentity = existingIdentity.kernelFunc;
    tf.unregisterKernel('Identity', 'wasm');
    tf.registerKernel({ ...existingIdentity, kernelFunc: identity });
  }
  const existingInput = tf.getKernel('Conv2DBackpropInput', 'wasm');
  if (existingInput) {
    originalBackpropInput = existingInput.kernelFunc;
    tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
    const config: KernelConfig = { ...existingInput, kernelFunc: conv2dBackpropInput };
    tf.registerKernel(config);
  }
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm')) tf.unregisterKernel('Conv2DBackpropFilter', 'wasm');
  tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2dBackpropFilter });
}
