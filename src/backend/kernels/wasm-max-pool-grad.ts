/**
 * MaxPoolGrad for tfjs's WASM backend: 2×2 windows of stride 2 without padding (VGG-19's pools) in our module's
 * SIMD loop (winograd-train.c's max_pool_grad_2x2, ≈ 10× the JavaScript loop's speed: 6 ms → 0.5 ms at 32×10×10×512),
 * every other pooling in plain JavaScript.
 *
 * Why: tfjs-backend-wasm 4.22's own MaxPoolGrad gives no gradient to a window whose maximum is ≤ 0
 * (measured: a 2×2 window of −0.91, −0.04, −1.01, −1.44 passes nothing back; the CPU and WebGPU
 * backends pass it to −0.04). AdvBN hits exactly that case: at δ = 1 the perturbed feature is
 * max(δσ(f − μ) + δμμ, 0), so windows of dead ReLU units are all exactly 0, and the subgradient that the
 * CPU and WebGPU backends (and PyTorch) take — the first maximum of the window — reaches δ. On WASM it
 * did not, so a PGD step on WASM moved δ differently from WebGPU (found by the WebGPU agreement test:
 * on the style world's block2_relu1, ∂L/∂δμ differed in sign on 7 of 16 channels). No library offers this kernel
 * for WASM; the loop below reads each window once (VGG-19's largest pool, 224×224×64, takes ms).
 *
 * Convention (tfjs CPU, WebGPU, PyTorch): each output's gradient goes to the first position in row-major
 * window order holding the window's maximum; positions outside the input (padding) never count.
 */
import * as tf from '@tensorflow/tfjs';
import { backend_util, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import { offsetOf, winogradAvailable, winogradFor, type WasmBackendLike } from './winograd-loader';

type WasmBackend = tf.KernelBackend & WasmBackendLike & {
  readSync(dataId: object): backend_util.BackendValues;
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): backend_util.TypedArray;
};

/** dx for max pooling: `x` the pool's input [N, H, W, C], `dy` its output's gradient. Pure (tested). */
export function maxPoolGradValues(x: ArrayLike<number>, dy: ArrayLike<number>, dx: Float32Array, info: backend_util.Conv2DInfo): void {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const fh = info.effectiveFilterHeight, fw = info.effectiveFilterWidth;
  const top = info.padInfo.top, left = info.padInfo.left;
  dx.fill(0);
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < oh; r++) {
      const r0 = r * sh - top;
      for (let q = 0; q < ow; q++) {
        const q0 = q * sw - left;
        for (let ch = 0; ch < c; ch++) {
          let best = -Infinity;
          let at = -1;
          for (let i = 0; i < fh; i += dh) {
            const y = r0 + i;
            if (y < 0 || y >= h) continue;
            for (let j = 0; j < fw; j += dw) {
              const xx = q0 + j;
              if (xx < 0 || xx >= w) continue;
              const k = ((b * h + y) * w + xx) * c + ch;
              const v = x[k]!;
              if (v > best || at < 0) { best = v; at = k; }
            }
          }
          if (at >= 0) dx[at] += dy[((b * oh + r) * ow + q) * c + ch]!;
        }
      }
    }
  }
}

let simdCalls = 0;
/** How many MaxPoolGrads ran the SIMD loop in this process (tests: proof that it ran). */
export function maxPoolGradSimdCount(): number {
  return simdCalls;
}

const maxPoolGrad: KernelFunc = ({ inputs, backend: b, attrs }) => {
  const backend = b as WasmBackend;
  const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as {
    filterSize: [number, number] | number; strides: [number, number] | number;
    pad: 'valid' | 'same' | number | backend_util.ExplicitPadding; dimRoundingMode?: 'floor' | 'round' | 'ceil';
  };
  const info = backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
  const out = backend.makeOutput(input.shape, 'float32');
  const [n, h, w, c] = input.shape as [number, number, number, number];
  if (info.filterHeight === 2 && info.filterWidth === 2 && info.strideHeight === 2 && info.strideWidth === 2 && info.dilationHeight === 1 &&
    info.dilationWidth === 1 && info.padInfo.top === 0 && info.padInfo.left === 0 && info.outHeight === Math.floor(h / 2) &&
    info.outWidth === Math.floor(w / 2) && c % 4 === 0 && input.dtype === 'float32' && dy.dtype === 'float32' && n * h * w > 0 && winogradAvailable(backend)) {
    simdCalls++;
    winogradFor(backend).max_pool_grad_2x2(offsetOf(backend, input), offsetOf(backend, dy), offsetOf(backend, out), n, h, w, c);
    return out;
  }
  maxPoolGradValues(backend.readSync(input.dataId) as Float32Array, backend.readSync(dy.dataId) as Float32Array,
    backend.typedArrayFromHeap(out) as Float32Array, info);
  return out;
};

/** Replaces the WASM backend's MaxPoolGrad (see the module comment). Idempotent. */
export function registerWasmMaxPoolGrad(): void {
  if (tf.getKernel('MaxPoolGrad', 'wasm')?.kernelFunc === maxPoolGrad) return;
  if (tf.getKernel('MaxPoolGrad', 'wasm')) tf.unregisterKernel('MaxPoolGrad', 'wasm');
  tf.registerKernel({ kernelName: 'MaxPoolGrad', backendName: 'wasm', kernelFunc: maxPoolGrad });
}
