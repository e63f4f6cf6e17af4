/**
 * A known-answer check of the backend that runs, when it starts: a convolution, a matrix product and
 * a gradient (∂/∂x of Σ conv(x, W)², what PGD's backward pass computes) against the same numbers
 * computed here in plain JavaScript (float64 loops, the CPU result). A GPU backend whose kernels are
 * wrong on this machine (a driver bug, a limit ignored, tfjs issue #6507's silent zeros) then falls
 * back with the reason instead of drawing wrong predictions.
 *
 * Sizes are tiny (≈ 1 ms on WASM), with a channel count (37) that is no multiple of a shader's tile
 * or vector width, so edge handling is exercised too.
 */
import * as tf from '@tensorflow/tfjs';

const [H, W, CI, CO, K] = [6, 5, 37, 9, 3];
const [M, N, P] = [3, 37, 11];

/** Deterministic values in (−1, 1), different for each seed. */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed * 2654435761 >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** conv2d, 'same' padding, stride 1, NHWC with one image; kernel [K, K, CI, CO]. */
function convRef(x: Float32Array, w: Float32Array): Float64Array {
  const y = new Float64Array(H * W * CO);
  const p = (K - 1) / 2;
  for (let r = 0; r < H; r++) for (let c = 0; c < W; c++) for (let o = 0; o < CO; o++) {
    let s = 0;
    for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) {
      const rr = r + i - p, cc = c + j - p;
      if (rr < 0 || rr >= H || cc < 0 || cc >= W) continue;
      for (let ci = 0; ci < CI; ci++) s += x[(rr * W + cc) * CI + ci]! * w[((i * K + j) * CI + ci) * CO + o]!;
    }
    y[(r * W + c) * CO + o] = s;
  }
  return y;
}

/** ∂/∂x Σ conv(x, W)² = 2 · conv_transpose(conv(x, W), W). */
function convGradRef(y: Float64Array, w: Float32Array): Float64Array {
  const g = new Float64Array(H * W * CI);
  const p = (K - 1) / 2;
  for (let r = 0; r < H; r++) for (let c = 0; c < W; c++) for (let o = 0; o < CO; o++) {
    const d = 2 * y[(r * W + c) * CO + o]!;
    for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) {
      const rr = r + i - p, cc = c + j - p;
      if (rr < 0 || rr >= H || cc < 0 || cc >= W) continue;
      for (let ci = 0; ci < CI; ci++) g[(rr * W + cc) * CI + ci] += d * w[((i * K + j) * CI + ci) * CO + o]!;
    }
  }
  return g;
}

function matMulRef(a: Float32Array, b: Float32Array): Float64Array {
  const out = new Float64Array(M * P);
  for (let i = 0; i < M; i++) for (let k = 0; k < P; k++) {
    let s = 0;
    for (let j = 0; j < N; j++) s += a[i * N + j]! * b[j * P + k]!;
    out[i * P + k] = s;
  }
  return out;
}

function relErr(want: Float64Array, got: ArrayLike<number>): number {
  let scale = 0, err = 0;
  for (let i = 0; i < want.length; i++) {
    scale = Math.max(scale, Math.abs(want[i]!));
    const d = Math.abs(want[i]! - got[i]!);
    err = Number.isNaN(d) ? Infinity : Math.max(err, d);
  }
  return err / Math.max(scale, 1e-12);
}

/** float32 kernels agree with float64 loops to ≈ 1e-6 here; 1e-3 leaves room for any summation order. */
export const SELF_CHECK_TOLERANCE = 1e-3;

/**
 * Runs the check on tfjs's current backend. Returns null when every result matches, else why not
 * ("matMul differs from the CPU result (relative 1.0)"). Disposes everything it makes.
 */
export async function kernelSelfCheck(): Promise<string | null> {
  const xv = values(H * W * CI, 1), wv = values(K * K * CI * CO, 2), av = values(M * N, 3), bv = values(N * P, 4);
  const yRef = convRef(xv, wv);
  const want = { conv2d: yRef, matMul: matMulRef(av, bv), 'conv2d gradient': convGradRef(yRef, wv) };
  const x = tf.tensor4d(xv, [1, H, W, CI]), w = tf.tensor4d(wv, [K, K, CI, CO]);
  const a = tf.tensor2d(av, [M, N]), b = tf.tensor2d(bv, [N, P]);
  const outs = {
    conv2d: tf.conv2d(x, w, 1, 'same'),
    matMul: tf.matMul(a, b),
    'conv2d gradient': tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.conv2d(t as tf.Tensor4D, w, 1, 'same'))))(x),
  };
  try {
    for (const [name, t] of Object.entries(outs)) {
      const e = relErr(want[name as keyof typeof want], await t.data());
      if (!(e <= SELF_CHECK_TOLERANCE)) return `${name} differs from the CPU result (relative ${e === Infinity ? 'NaN' : e.toPrecision(2)})`;
    }
    return null;
  } finally {
    tf.dispose([x, w, a, b, ...Object.values(outs)]);
  }
}
