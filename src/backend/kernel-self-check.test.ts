import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { kernelSelfCheck } from './kernel-self-check';
import { useNodeBackend } from './node/backend-node';

type CpuBackend = {
  readSync(id: object): Float32Array; disposeData(id: object): void;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
};

/** Replaces `name`'s kernel on the 'cpu' backend by one whose output values go through `wrong`. */
async function withWrongKernel(name: string, wrong: (v: number) => number, body: () => Promise<void>) {
  const original = tf.getKernel(name, 'cpu')!;
  tf.unregisterKernel(name, 'cpu');
  tf.registerKernel({
    ...original,
    kernelFunc: (args) => {
      const backend = args.backend as unknown as CpuBackend;
      const info = original.kernelFunc(args) as tf.TensorInfo;
      const values = Float32Array.from(backend.readSync(info.dataId), wrong);
      backend.disposeData(info.dataId);
      return backend.makeTensorInfo(info.shape, info.dtype, values);
    },
  });
  try {
    await body();
  } finally {
    tf.unregisterKernel(name, 'cpu');
    tf.registerKernel(original);
  }
}

test('the known-answer self-check passes on the CPU and WASM backends, leaving no tensors', async () => {
  for (const b of ['cpu', 'wasm'] as const) {
    await useNodeBackend(b);
    const before = tf.memory().numTensors;
    assert.equal(await kernelSelfCheck(), null, b);
    assert.equal(tf.memory().numTensors, before, `${b}: tensors flat`);
  }
});

test('a wrong kernel fails the self-check with the kernel named: zeros from a matmul (tfjs #6507), a conv off by 1 %', async () => {
  await useNodeBackend('cpu');
  await withWrongKernel('BatchMatMul', () => 0, async () => {
    assert.match((await kernelSelfCheck()) ?? '', /^matMul differs from the CPU result \(relative 1\.0\)/);
  });
  await withWrongKernel('Conv2D', (v) => v * 1.01, async () => {
    assert.match((await kernelSelfCheck()) ?? '', /^conv2d differs/);
  });
  await withWrongKernel('Conv2DBackpropInput', (v) => -v, async () => {
    assert.match((await kernelSelfCheck()) ?? '', /^conv2d gradient differs/);
  });
  assert.equal(await kernelSelfCheck(), null, 'the right kernels are back');
});
