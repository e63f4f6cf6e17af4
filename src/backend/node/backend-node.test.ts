import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { useNodeBackend } from './backend-node';
import { registerNodeWebGpu, WebGpuUnavailable, type DawnModule, type GpuAdapterLike } from './webgpu-node';
import { findSoftwareVulkan, softwareVulkanEnv, inSoftwareVulkanChild } from './software-vulkan';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

test('WASM runs on 2 threads in Node (threaded build) and computes what the CPU backend does', async () => {
  await tf.setBackend('cpu');
  const x = tf.randomNormal([1, 12, 12, 16], 0, 1, 'float32', 3);
  const w = tf.randomNormal([3, 3, 16, 32], 0, 1, 'float32', 4);
  const want = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same').dataSync();
  const xv = x.dataSync(), wv = w.dataSync();
  tf.dispose([x, w]);
  const info = await useNodeBackend('wasm', { threads: 2 });
  assert.equal(info.threads, 2, info.detail);
  assert.equal(info.detail, 'WASM, 2 threads');
  const got = tf.tidy(() => tf.conv2d(tf.tensor4d(xv, [1, 12, 12, 16]), tf.tensor4d(wv, [3, 3, 16, 32]), 1, 'same').dataSync());
  let err = 0;
  for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(want[i]! - got[i]!));
  assert.ok(err < 1e-3, `max abs difference ${err}`);
  await assert.rejects(useNodeBackend('wasm', { threads: 1 }), /already runs on 2 threads/);
});

const fakeDawn = (adapter: GpuAdapterLike | null): (() => Promise<DawnModule>) => async () => ({
  create: () => ({ requestAdapter: async () => adapter }),
  globals: {},
});
const adapterWith = (info: GpuAdapterLike['info']): GpuAdapterLike => ({
  info, features: { has: () => false }, limits: {}, requestDevice: async () => { throw new Error('not in this test'); },
});

test('webgpu in Node reports "unavailable" with the reason, never crashes', async () => {
  await assert.rejects(registerNodeWebGpu(async () => { throw new Error("Cannot find package 'webgpu'"); }),
    (e: Error) => e instanceof WebGpuUnavailable && /optional npm package "webgpu".*Cannot find package/.test(e.message));
  await assert.rejects(registerNodeWebGpu(fakeDawn(null)),
    (e: Error) => e instanceof WebGpuUnavailable && /no WebGPU adapter/.test(e.message));
  await assert.rejects(registerNodeWebGpu(fakeDawn(adapterWith({ vendor: 'mesa', architecture: '', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' }))),
    (e: Error) => e instanceof WebGpuUnavailable && /software adapter was found \(llvmpipe/.test(e.message));
  await assert.rejects(registerNodeWebGpu(async () => ({ create: () => { throw new Error('Vulkan init failed'); }, globals: {} })),
    (e: Error) => e instanceof WebGpuUnavailable && /Dawn failed to start: Vulkan init failed/.test(e.message));
});

test('a hardware adapter registers the webgpu backend (fake Dawn)', async () => {
  const r = await registerNodeWebGpu(fakeDawn(adapterWith({ vendor: 'nvidia', architecture: 'hopper' })));
  assert.equal(r.adapter, 'nvidia hopper');
  assert.ok(tf.findBackendFactory('webgpu'), 'the factory is registered (it is only started with a real device)');
  tf.removeBackend('webgpu');
});

test('a software adapter runs only on request (--allow-software-gpu / ADVBN_ALLOW_SOFTWARE_GPU=1), named as such', async () => {
  const swiftshader = adapterWith({ vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader driver' });
  await assert.rejects(registerNodeWebGpu(fakeDawn(swiftshader)),
    (e: Error) => e instanceof WebGpuUnavailable && /software adapter was found \(swiftshader\).*--allow-software-gpu/.test(e.message));
  const r = await registerNodeWebGpu(fakeDawn(swiftshader), { allowSoftware: true });
  assert.equal(r.adapter, 'google swiftshader (software)');
  assert.equal(r.software, 'swiftshader');
  tf.removeBackend('webgpu');
});

test('SwiftShader\'s Vulkan driver is found in Debian\'s chromium package, and its environment is built from it', (t) => {
  const vk = findSoftwareVulkan();
  const env = softwareVulkanEnv({ libDir: '/x/lib', icd: '/x/lib/icd.json' }, { LD_LIBRARY_PATH: '/a', HOME: '/h' });
  assert.equal(env.LD_LIBRARY_PATH, '/x/lib:/a');
  assert.equal(env.VK_ICD_FILENAMES, '/x/lib/icd.json');
  assert.equal(env.HOME, '/h');
  assert.ok(inSoftwareVulkanChild(env) && !inSoftwareVulkanChild({}));
  if (!vk) return t.skip('chromium-common (SwiftShader) is not installed here');
  assert.ok(existsSync(vk.icd) && existsSync(join(vk.libDir, 'libvulkan.so.1')), JSON.stringify(vk));
});

test('the real Dawn here: either a hardware adapter or a clear "unavailable" reason', async () => {
  try {
    const info = await useNodeBackend('webgpu');
    assert.match(info.detail, /^WebGPU · /);
    await useNodeBackend('wasm');
  } catch (e) {
    assert.ok(e instanceof WebGpuUnavailable, `unexpected error: ${(e as Error).message}`);
    assert.match((e as Error).message, /^webgpu unavailable: .+/);
  }
});
