/**
 * The training kernels of our WASM set against tfjs's own kernels on the same backend (switched with
 * setWasmConvKernels): each must give tfjs's result; tolerances are stated per test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { useNodeBackend } from '../node/backend-node';
import { backendMemory, offsetOf, setWasmConvKernels, transformedFilterSize, wasmConvKernels, winogradFor, type WasmBackendLike, type WasmConvKernels } from './winograd-loader';
import { repetitions } from './wasm-tile';

/** Runs `f` with one kernel set and gives back its outputs' values. */
async function withKernels(k: WasmConvKernels, f: () => tf.Tensor[]): Promise<Float32Array[]> {
  const before = wasmConvKernels();
  setWasmConvKernels(k);
  try {
    const out = f();
    const v = await Promise.all(out.map((t) => t.data() as Promise<Float32Array>));
    tf.dispose(out);
    return v;
  } finally {
    setWasmConvKernels(before);
  }
}

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

test('the SIMD filter transform (winograd-train.c) equals the scalar one within 1e-6 relative, forward and flipped', async () => {
  await useNodeBackend('wasm');
  const b = tf.backend() as unknown as WasmBackendLike & { makeOutput(s: number[], d: 'float32'): tf.TensorInfo; disposeData(id: object): void };
  const ex = winogradFor(b);
  const [ci, co] = [64, 40];
  const w = tf.randomNormal([3, 3, ci, co], 0, 1, 'float32', 11);
  for (const flip of [0, 1]) {
    const u = [b.makeOutput([transformedFilterSize(ci, co)], 'float32'), b.makeOutput([transformedFilterSize(ci, co)], 'float32')];
    ex.wino4_filter(offsetOf(b, w), offsetOf(b, u[0]!), ci, co, flip);
    ex.wino4_filter_simd(offsetOf(b, w), offsetOf(b, u[1]!), ci, co, flip);
    const heap = new Float32Array(backendMemory(b).buffer);
    const [a, s] = u.map((t) => heap.slice(offsetOf(b, t) / 4, offsetOf(b, t) / 4 + transformedFilterSize(ci, co)));
    for (const t of u) b.disposeData(t.dataId);
    let err = 0, scale = 0;
    for (let i = 0; i < a!.length; i++) { err = Math.max(err, Math.abs(a![i]! - s![i]!)); scale = Math.max(scale, Math.abs(a![i]!)); }
    assert.ok(err / scale < 1e-6, `flip ${flip}: relative difference ${err / scale}`);
  }
  w.dispose();
});
