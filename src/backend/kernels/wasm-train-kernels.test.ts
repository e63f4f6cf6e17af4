/**
 * The training kernels of our WASM set against tfjs's own kernels on the same backend (switched with
 * setWasmConvKernels): each must give tfjs's result; tolerances are stated per test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { useNodeBackend } from '../node/backend-node';
import { withKernels } from '../../testing/kernel-sets';
import { backendMemory, offsetOf, setWasmConvKernels, winogradThreads, winogradFilterTransform, setWinogradSimd, transformedFilterSize, wasmConvKernels, winogradFor, type WasmBackendLike, type WasmConvKernels } from './winograd-loader';
import { repetitions } from './wasm-tile';
import { reducesLeadingAxes } from './wasm-reduce';
import { clearWinogradFilters } from './wasm-winograd-conv';
import { batchNormTraining } from '../../models/batchnorm-ops';
import { fusedBatchNormCallCount } from './wasm-batchnorm';

test('repetitions: which tiles are the input end to end', () => {
  assert.equal(repetitions([1, 1, 1, 8], [2, 3, 4, 1]), 24);
  assert.equal(repetitions([1, 5], [3, 2]), 6, 'the last tiled axis may have any size');
  assert.equal(repetitions([2, 1, 8], [1, 3, 1]), 0, 'a tiled axis after a non-1 axis interleaves');
  assert.equal(repetitions([4, 8], [1, 1]), 1);
  assert.equal(repetitions([4, 8], [1]), 0);
});

test('WASM Tile (ours) equals tfjs\'s exactly, on repetitions, on what it leaves to tfjs, and frees nothing it should keep', async () => {
  await useNodeBackend('wasm');
  const cases: Array<[number[], number[]]> = [[[1, 1, 1, 512], [32, 5, 5, 1]], [[1, 1, 1, 3], [2, 7, 3, 1]], [[1, 6], [5, 2]], [[2, 3, 4], [1, 3, 2]], [[3, 1], [1, 4]]];
  const tensors = tf.memory().numTensors;
  for (const [shape, reps] of cases) {
    const x = tf.randomNormal(shape, 0, 1, 'float32', 3);
    const [a] = await withKernels('ours', () => [tf.tile(x, reps)]);
    const [b] = await withKernels('tfjs', () => [tf.tile(x, reps)]);
    x.dispose();
    assert.deepEqual(a, b, `tile ${shape} by ${reps}`);
  }
  assert.equal(tf.memory().numTensors, tensors);
});

test('the SIMD filter transform (winograd-train.c, threads splitting N) equals the scalar one within 1e-6 relative, forward and flipped', async () => {
  await useNodeBackend('wasm');
  const b = tf.backend() as unknown as WasmBackendLike & { makeOutput(s: number[], d: 'float32'): tf.TensorInfo; disposeData(id: object): void };
  const ex = winogradFor(b);
  const [ci, co] = [128, 136]; // N ≥ 128 on both sides: two threads split N
  const w = tf.randomNormal([3, 3, ci, co], 0, 1, 'float32', 11);
  for (const flip of [0, 1]) {
    const u = [b.makeOutput([transformedFilterSize(ci, co)], 'float32'), b.makeOutput([transformedFilterSize(ci, co)], 'float32')];
    ex.wino4_filter(offsetOf(b, w), offsetOf(b, u[0]!), ci, co, flip);
    winogradFilterTransform(b, offsetOf(b, w), offsetOf(b, u[1]!), ci, co, flip as 0 | 1); // threads split N
    const heap = new Float32Array(backendMemory(b).buffer);
    const [a, s] = u.map((t) => heap.slice(offsetOf(b, t) / 4, offsetOf(b, t) / 4 + transformedFilterSize(ci, co)));
    for (const t of u) b.disposeData(t.dataId);
    let err = 0, scale = 0;
    for (let i = 0; i < a!.length; i++) { err = Math.max(err, Math.abs(a![i]! - s![i]!)); scale = Math.max(scale, Math.abs(a![i]!)); }
    assert.ok(err / scale < 1e-6, `flip ${flip}: relative difference ${err / scale}`);
  }
  w.dispose();
});

/** ∂Σ(conv(x, w)·r)/∂w with one kernel set. */
function filterGrad(x: tf.Tensor4D, w: tf.Tensor4D, r: tf.Tensor, pad: 'same' | 'valid'): tf.Tensor[] {
  return [tf.grad((b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, b as tf.Tensor4D, 1, pad), r)))(w)];
}

/** max |a − b| / max |b|. */
function relErr(a: Float32Array, b: Float32Array): number {
  let err = 0, scale = 0;
  for (let i = 0; i < a.length; i++) { err = Math.max(err, Math.abs(a[i]! - b[i]!)); scale = Math.max(scale, Math.abs(b[i]!)); }
  return err / Math.max(scale, 1e-30);
}

// Ragged tiles, both paddings, 1–2 threads' channel splits, and VGG-19's fine-tuned shapes at 80 px
// (10×10 and 5×5 maps of 512 channels; batch 2 to stay fast). Tolerance: 1e-4 of the largest |∂W|.
for (const [n, h, w, ci, co, pad] of [
  [2, 7, 9, 16, 8, 'same'], [1, 13, 6, 8, 24, 'valid'], [3, 5, 5, 32, 16, 'same'], [1, 4, 11, 8, 8, 'valid'], [2, 10, 10, 512, 512, 'same'], [2, 5, 5, 512, 512, 'same'],
] as const) {
  test(`Winograd ∂L/∂W equals tfjs's within 1e-4 relative: ${n}×${h}×${w}×${ci}→${co}, ${pad}`, async () => {
    await useNodeBackend('wasm');
    const x = tf.relu(tf.randomNormal([n, h, w, ci], 0, 1, 'float32', 3)) as tf.Tensor4D;
    const k = tf.randomNormal([3, 3, ci, co], 0, 0.05, 'float32', 4) as tf.Tensor4D;
    const r = tf.randomNormal([n, pad === 'same' ? h : h - 2, pad === 'same' ? w : w - 2, co], 0, 1, 'float32', 5);
    const [ours] = await withKernels('ours', () => filterGrad(x, k, r, pad));
    const [theirs] = await withKernels('tfjs', () => filterGrad(x, k, r, pad));
    tf.dispose([x, k, r]);
    assert.ok(relErr(ours!, theirs!) < 1e-4, `∂W relative error ${relErr(ours!, theirs!)}`);
  });
}

/**
 * Six Adam steps (lr 1e-2) of a small conv stack — conv 16→16 at 10×10, BN (batch statistics, the fused
 * kernels of wasm-batchnorm.ts with our set), ReLU, max
 * pool, conv 16→24 at 5×5, BN, ReLU, GAP, dense 24→7, cross-entropy — from the same weights and batch with
 * each kernel set. Returns the losses and the final weights.
 */
async function trainSmall(k: WasmConvKernels): Promise<{ losses: number[]; weights: Float32Array[] }> {
  const before = wasmConvKernels();
  setWasmConvKernels(k);
  try {
    const x = tf.randomNormal([6, 10, 10, 16], 0, 1, 'float32', 21);
    const y = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5], 'int32'), 7));
    const vars = tf.tidy(() => [
      tf.variable(tf.randomNormal([3, 3, 16, 16], 0, 0.15, 'float32', 22)), tf.variable(tf.ones([16])), tf.variable(tf.zeros([16])),
      tf.variable(tf.randomNormal([3, 3, 16, 24], 0, 0.15, 'float32', 23)), tf.variable(tf.ones([24])), tf.variable(tf.zeros([24])),
      tf.variable(tf.randomNormal([24, 7], 0, 0.3, 'float32', 24)),
    ]); // tidy frees the initial values; the variables keep their own
    const [w1, g1, b1, w2, g2, b2, d] = vars as [tf.Variable<tf.Rank.R4>, tf.Variable<tf.Rank.R1>, tf.Variable<tf.Rank.R1>, tf.Variable<tf.Rank.R4>, tf.Variable<tf.Rank.R1>, tf.Variable<tf.Rank.R1>, tf.Variable<tf.Rank.R2>];
    // The models' training BN: the fused kernels with our set, tf.moments + tf.batchNorm with tfjs's.
    const bn = (h: tf.Tensor4D, g: tf.Tensor1D, b: tf.Tensor1D) => tf.relu(batchNormTraining(h, g, b, 1e-3).y) as tf.Tensor4D;
    const opt = tf.train.adam(1e-2);
    const losses: number[] = [];
    for (let s = 0; s < 6; s++) {
      const loss = opt.minimize(() => {
        let h = bn(tf.conv2d(x as tf.Tensor4D, w1, 1, 'same'), g1, b1);
        h = tf.maxPool(h, 2, 2, 'valid');
        h = bn(tf.conv2d(h, w2, 1, 'same'), g2, b2);
        return tf.losses.softmaxCrossEntropy(y, tf.matMul(tf.mean(h, [1, 2]) as tf.Tensor2D, d)) as tf.Scalar;
      }, true)!;
      losses.push((await loss.data())[0]!);
      loss.dispose();
    }
    const weights = await Promise.all(vars.map((v) => v.data() as Promise<Float32Array>));
    tf.dispose([x, y, ...vars]);
    opt.dispose();
    return { losses, weights };
  } finally {
    setWasmConvKernels(before);
  }
}

test('six Adam steps on a small conv stack: our kernels (strict and relaxed-SIMD builds) and tfjs\'s give the same losses (1e-4 relative) and weights (1e-3 of each tensor\'s largest |w|), and free what they make', async () => {
  await useNodeBackend('wasm');
  const tensors = tf.memory().numTensors;
  const theirs = await trainSmall('tfjs');
  assert.ok(theirs.losses[5]! < theirs.losses[0]! * 0.9, `the stack learns: ${theirs.losses.map((l) => l.toFixed(4))}`);
  for (const build of ['strict', 'relaxed'] as const) {
    const ran = setWinogradSimd(build);
    try {
      // Node 20 turns relaxed SIMD on (backend-node.ts): the relaxed build must run here unless switched off.
      if (process.env.ADVBN_RELAXED_SIMD !== '0') assert.equal(ran, build, `the ${build} build runs`);
      const fused = fusedBatchNormCallCount();
      const ours = await trainSmall('ours');
      assert.equal(fusedBatchNormCallCount(), fused + 6 * 4, `${build}: the fused BN ran (2 BNs, forward and gradient, 6 steps)`);
      ours.losses.forEach((l, i) => assert.ok(Math.abs(l - theirs.losses[i]!) <= 1e-4 * Math.abs(theirs.losses[i]!), `${build}, step ${i}: loss ${l} vs ${theirs.losses[i]}`));
      ours.weights.forEach((w, i) => assert.ok(relErr(w, theirs.weights[i]!) < 1e-3, `${build}, weights ${i}: relative difference ${relErr(w, theirs.weights[i]!)}`));
    } finally {
      setWinogradSimd('strict');
    }
  }
  assert.equal(tf.memory().numTensors, tensors);
});

test('WASM Sum and Mean over every axis but the last (ours) equal tfjs\'s within 1e-5 relative, shapes included; other reductions go to tfjs', async () => {
  await useNodeBackend('wasm');
  assert.ok(reducesLeadingAxes([32, 10, 10, 512], [2, 0, 1]) && reducesLeadingAxes([4, 8], 0) && reducesLeadingAxes([2, 3, 8], [-3, -2]));
  assert.ok(!reducesLeadingAxes([2, 3, 8], [0, 2]) && !reducesLeadingAxes([8], 0) && !reducesLeadingAxes([2, 8], [0, 1]));
  const cases: Array<[number[], number | number[], boolean]> = [[[32, 10, 10, 512], [0, 1, 2], false], [[32, 5, 5, 512], [0, 1, 2], true], [[7, 12], 0, false], [[2, 3, 8], [-3, -2], true], [[2, 3, 8], [0, 2], false], [[5, 6], 0, true]];
  const tensors = tf.memory().numTensors;
  for (const [shape, axis, keep] of cases) {
    const x = tf.randomNormal(shape, 1, 2, 'float32', 9);
    const run = () => [tf.sum(x, axis, keep), tf.mean(x, axis, keep)];
    const shapes = (k: WasmConvKernels) => { setWasmConvKernels(k); const t = run(); const s = t.map((u) => u.shape); tf.dispose(t); setWasmConvKernels('ours'); return s; };
    assert.deepEqual(shapes('ours'), shapes('tfjs'), `shapes of ${shape} over ${axis}`);
    const ours = await withKernels('ours', run), theirs = await withKernels('tfjs', run);
    x.dispose();
    ours.forEach((o, i) => assert.ok(relErr(o, theirs[i]!) < 1e-5, `${shape} over ${axis} (${i ? 'mean' : 'sum'}): ${relErr(o, theirs[i]!)}`));
  }
  assert.equal(tf.memory().numTensors, tensors);
});

test('the relaxed-SIMD build runs on every thread when chosen: a conv\'s output channels (each thread computes its own) round differently from the strict build\'s, both within 1e-5 of tfjs', async () => {
  await useNodeBackend('wasm');
  const b = tf.backend() as unknown as WasmBackendLike;
  const x = tf.randomNormal([1, 12, 12, 64], 0, 1, 'float32', 31);
  const w = tf.randomNormal([3, 3, 64, 64], 0, 0.1, 'float32', 32);
  const conv = (build: 'strict' | 'relaxed') => {
    const ran = setWinogradSimd(build);
    try {
      if (process.env.ADVBN_RELAXED_SIMD !== '0') assert.equal(ran, build, `the ${build} build runs in Node`);
      return withKernels('ours', () => [tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same')]);
    } finally {
      setWinogradSimd('strict');
    }
  };
  const [strict] = await conv('strict');
  const [relaxed] = await conv('relaxed');
  const [ref] = await withKernels('tfjs', () => [tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same')]);
  tf.dispose([x, w]);
  clearWinogradFilters(tf.engine().backend);
  const scale = Math.max(...ref!.map(Math.abs));
  for (const [name, y] of [['strict', strict!], ['relaxed', relaxed!]] as const) {
    const err = Math.max(...y.map((v, i) => Math.abs(v - ref![i]!))) / scale;
    assert.ok(err < 1e-5, `${name}: ${err} of the largest value from tfjs`);
  }
  if (process.env.ADVBN_RELAXED_SIMD === '0') return;
  // winogradConv's split: 64 channels over the threads in panels of 8 (cuts in winograd-loader.ts).
  const threads = Math.min(winogradThreads(b), 8);
  for (let t = 0; t < threads; t++) {
    const lo = Math.floor((t * 64) / 8 / threads) * 8, hi = t === threads - 1 ? 64 : Math.floor(((t + 1) * 64) / 8 / threads) * 8;
    assert.ok(strict!.some((v, i) => i % 64 >= lo && i % 64 < hi && v !== relaxed![i]), `thread ${t} (channels ${lo}–${hi}) gave the strict build\'s bits`);
  }
});
