/**
 * tfjs WebGPU flags the project sets when the webgpu backend starts (app worker and CLI), after
 * '@tensorflow/tfjs-backend-webgpu' is imported (it registers them) and before any kernel runs.
 *
 * WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE picks the kernel of Conv2DBackpropInput, the convolution's
 * gradient with respect to its input — the backward pass of every PGD step (∂L/∂δ goes back through
 * each convolution of the head, and in image mode of the whole classifier and decoder): true (tfjs's
 * default) a direct loop per output element, false an implicit-GEMM shader (Conv2DDerInputMMProgram)
 * like the forward convolution's. `advbn bench --conv-transpose naive,matmul` times both; see
 * CONV_TRANSPOSE_MEASURED for what was measured and why the default is what it is.
 */
import * as tf from '@tensorflow/tfjs';

export type ConvTranspose = 'naive' | 'matmul';
export const CONV_TRANSPOSE_FLAG = 'WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE';

/**
 * The default: naive, tfjs's own. Measured with `advbn bench --backends webgpu,wasm --allow-software-gpu
 * --conv-transpose naive,matmul` (VGG-19 feature mode at block5_conv3, 224 px) on the 2-core dev
 * machine (AMD EPYC, load average 7–11 from other jobs), the only adapter there being SwiftShader; per
 * step, wall (CPU of the process): one step each, naive 58.0 s (21.6 s), matmul 85.5 s (24.4 s); again
 * with --runs 2 and matmul first, naive 45.9 s (21.7 s), matmul 47.4 s (23.1 s). SwiftShader runs the
 * shaders on the CPU, so this compares the two kernels' work, not a GPU's memory behaviour; on a GPU
 * `npm run gpu-check` times both again (README, "WebGPU you can trust").
 */
export const DEFAULT_CONV_TRANSPOSE: ConvTranspose = 'naive';

/** Sets the conv-transpose kernel; false where the webgpu backend's flags are not registered here. */
export function setConvTranspose(kind: ConvTranspose): boolean {
  try {
    tf.env().set(CONV_TRANSPOSE_FLAG, kind === 'naive');
    return true;
  } catch {
    return false; // "Cannot set flag … as it has not been registered": the webgpu backend is not imported
  }
}

/** The project's WebGPU flags (see the module comment). Call when the webgpu backend starts. */
export function configureWebGpu(): void {
  setConvTranspose(DEFAULT_CONV_TRANSPOSE);
}
