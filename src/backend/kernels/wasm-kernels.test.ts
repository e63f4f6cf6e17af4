import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { useNodeBackend } from '../node/backend-node';
import { clearFlippedFilters } from './wasm-conv2d-backprop-filter';
import { maxPoolGradSimdCount } from './wasm-max-pool-grad';

/** Conv gradients on the CPU backend (reference) and on WASM with the project's kernels. */
async function convGrads(backend: 'cpu' | 'wasm', xv: Float32Array, xs: number[], wv: Float32Array, ws: number[], stride: number, pad: 'same' | 'valid') {
  await useNodeBackend(backend);
  const x = tf.tensor4d(xv, xs as [number, number, number, number]);
  const w = tf.tensor4d(wv, ws as [number, number, number, number]);
  const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad))))([x, w]);
  const out = [await gx!.data(), await gw!.data()] as Float32Array[];
  tf.dispose([x, w, gx!, gw!]);
  return out;
}

const maxRelErr = (a: Float32Array, b: Float32Array) => {
  let scale = 0, err = 0;
  for (let i = 0; i < a.length; i++) { scale = Math.max(scale, Math.abs(a[i]!)); err = Math.max(err, Math.abs(a[i]! - b[i]!)); }
  return err / Math.max(scale, 1e-6);
};

for (const [stride, pad, k] of [[1, 'same', 3], [1, 'valid', 3], [2, 'same', 3], [2, 'valid', 3], [1, 'same', 1], [1, 'same', 5]] as const) {
  test(`WASM Conv2DBackpropFilter/Input match the CPU backend (stride ${stride}, ${pad}, ${k}×${k})`, async () => {
    await tf.setBackend('cpu');
    const xs = [2, 9, 8, 3], ws = [k, k, 3, 4];
    const xv = tf.randomNormal(xs, 0, 1, 'float32', 1).dataSync() as Float32Array;
    const wv = tf.randomNormal(ws, 0, 1, 'float32', 2).dataSync() as Float32Array;
    const [cx, cw] = await convGrads('cpu', xv, xs, wv, ws, stride, pad);
    const [wx, ww] = await convGrads('wasm', xv, xs, wv, ws, stride, pad);
    assert.ok(maxRelErr(cx!, wx!) < 1e-4, `dx relative error ${maxRelErr(cx!, wx!)}`);
    assert.ok(maxRelErr(cw!, ww!) < 1e-4, `dW relative error ${maxRelErr(cw!, ww!)}`);
  });
}

test('the WASM kernels free their intermediates', async () => {
  await useNodeBackend('wasm');
  const x = tf.randomNormal([1, 6, 6, 2]) as tf.Tensor4D, w = tf.randomNormal([3, 3, 2, 3]) as tf.Tensor4D;
  const run = () => { const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same')))([x, w]); tf.dispose(g); };
  run();
  const bytes = tf.memory().numBytes, tensors = tf.memory().numTensors;
  for (let i = 0; i < 5; i++) run();
  assert.equal(tf.memory().numTensors, tensors);
  assert.equal(tf.memory().numBytes, bytes);
  tf.dispose([x, w]);
});

test('Identity on WASM shares the data instead of copying it (tfjs clones every tensor it saves for backprop)', async () => {
  await useNodeBackend('wasm');
  const backend = tf.engine().backend as unknown as { numDataIds(): number };
  const x = tf.tensor1d([1, 2, 3]);
  const ids = backend.numDataIds();
  const y = tf.clone(x);
  assert.equal(backend.numDataIds(), ids, 'a clone adds no data');
  x.dispose();
  assert.deepEqual(Array.from(await y.data()), [1, 2, 3], 'the clone outlives the original');
  y.dispose();
  assert.equal(backend.numDataIds(), ids - 1, 'the data is freed with the last tensor');
});

test('the flipped filter kept for ∂L/∂x is freed once its filter is gone', async () => {
  await useNodeBackend('wasm');
  const backend = tf.engine().backend as unknown as { numDataIds(): number };
  const x = tf.randomNormal([1, 5, 5, 2]) as tf.Tensor4D;
  const gradX = (w: tf.Tensor4D) => { const g = tf.grad((a: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, w, 1, 'same')))(x); g.dispose(); };
  clearFlippedFilters(tf.engine().backend); // copies kept from earlier tests
  const ids = backend.numDataIds();
  const w1 = tf.randomNormal([3, 3, 2, 4]) as tf.Tensor4D;
  const made = () => (backend as unknown as { dataIdNextNumber: number }).dataIdNextNumber;
  const m0 = made();
  gradX(w1);
  const m1 = made();
  gradX(w1);
  assert.ok(made() - m1 < m1 - m0, `the second call makes no Reverse + Transpose of the filter (${made() - m1} vs ${m1 - m0} allocations)`);
  assert.equal(backend.numDataIds(), ids + 2, 'the filter and one flipped copy');
  w1.dispose();
  const w2 = tf.randomNormal([3, 3, 2, 4]) as tf.Tensor4D;
  gradX(w2);
  assert.equal(backend.numDataIds(), ids + 2, 'w1 and its copy are gone, w2 and its copy remain');
  w2.dispose();
  clearFlippedFilters(tf.engine().backend);
  assert.equal(backend.numDataIds(), ids);
  x.dispose();
});

/** ∂/∂x Σ r·maxPool(x) on a backend: which position of each window gets the gradient. */
async function poolGrad(backend: 'cpu' | 'wasm', xv: Float32Array, xs: number[], size: number, stride: number, pad: 'same' | 'valid') {
  await useNodeBackend(backend);
  const x = tf.tensor4d(xv, xs as [number, number, number, number]);
  const before = tf.memory().numTensors;
  const g = tf.grad((a: tf.Tensor) => {
    const y = tf.maxPool(a as tf.Tensor4D, size, stride, pad);
    return tf.sum(tf.mul(y, tf.range(1, y.size + 1).reshape(y.shape)));
  })(x);
  const out = (await g.data()) as Float32Array;
  g.dispose();
  assert.equal(tf.memory().numTensors, before, 'MaxPoolGrad leaves no tensors behind');
  x.dispose();
  return out;
}

// Regression: tfjs-backend-wasm 4.22's MaxPoolGrad passed nothing back from a window whose maximum is
// ≤ 0 — negative maxima, and the all-zero windows of dead ReLU units that AdvBN's δ gradient goes through.
// 3 channels and the 3×3 and ceil-mode pools take the JavaScript loop; 2×2/2 without padding on 8 channels the
// SIMD one (winograd-train.c's max_pool_grad_2x2), odd sizes (a last row and column outside every window) included.
for (const [name, shift, size, stride, pad, xs, simd] of [
  ['negative maxima, 2×2/2 valid', -1, 2, 2, 'valid', [2, 7, 7, 3], 0], ['all-zero windows (ReLU), 2×2/2 valid', 0, 2, 2, 'valid', [2, 7, 7, 3], 0],
  ['3×3/1 same (padding never counts)', -1, 3, 1, 'same', [2, 7, 7, 3], 0], ['2×2/2 same, odd size (ceil mode)', -1, 2, 2, 'same', [2, 7, 7, 3], 0],
  ['SIMD: negative maxima, 2×2/2 valid, odd size', -1, 2, 2, 'valid', [2, 7, 5, 8], 1], ['SIMD: all-zero windows (ReLU), 2×2/2 valid', 0, 2, 2, 'valid', [2, 6, 6, 8], 1],
  ['SIMD: 2×2/2 same, even size', -1, 2, 2, 'same', [3, 4, 6, 16], 1],
] as const) {
  test(`WASM MaxPoolGrad matches the CPU backend: ${name}`, async () => {
    await tf.setBackend('cpu');
    const xv = tf.tidy(() => {
      const r = tf.randomNormal(xs as unknown as number[], 0, 1, 'float32', 5);
      return (shift === 0 ? tf.relu(r) : tf.add(r, shift)).dataSync() as Float32Array;
    });
    const c = await poolGrad('cpu', xv, xs as unknown as number[], size, stride, pad);
    const before = maxPoolGradSimdCount();
    const w = await poolGrad('wasm', xv, xs as unknown as number[], size, stride, pad);
    assert.equal(maxPoolGradSimdCount(), before + simd, simd ? 'the SIMD loop ran' : 'the JavaScript loop ran');
    assert.ok(c.some((v) => v !== 0));
    assert.deepEqual(Array.from(w), Array.from(c));
  });
}
