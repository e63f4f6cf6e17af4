import { test } from 'node:test';
import assert from 'node:assert/strict';
import { autoCandidates, describeAdapter, softwareAdapterReason, softwareRendererReason, type GpuProbe } from './gpu-adapter';

/** What headless Chromium without GPU drivers reports (measured here, Chromium 156). */
const SWIFTSHADER_WEBGPU = { vendor: 'google', architecture: 'swiftshader', device: '', description: 'SwiftShader Device (Subzero)' };
const SWIFTSHADER_WEBGL = 'ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)';
const LLVMPIPE_WEBGL = 'llvmpipe (LLVM 15.0.6, 256 bits)';
const NVIDIA_WEBGPU = { vendor: 'nvidia', architecture: 'ampere', device: '', description: '' };
const NVIDIA_WEBGL = 'ANGLE (NVIDIA, NVIDIA GeForce RTX 3080 Direct3D11 vs_5_0 ps_5_0, D3D11)';

test('software adapters are recognised by their info, hardware ones are not', () => {
  assert.equal(softwareAdapterReason(SWIFTSHADER_WEBGPU), 'swiftshader');
  assert.equal(softwareAdapterReason({ vendor: 'mesa', architecture: '', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' }), 'llvmpipe (LLVM 15.0.6, 256 bits)');
  assert.equal(softwareAdapterReason({ vendor: 'nvidia', isFallbackAdapter: true }), 'fallback adapter');
  assert.equal(softwareAdapterReason(NVIDIA_WEBGPU, true), 'fallback adapter', 'the older adapter.isFallbackAdapter counts too');
  assert.equal(softwareAdapterReason(NVIDIA_WEBGPU), null);
  assert.equal(softwareAdapterReason({ vendor: 'apple', architecture: 'metal-3' }), null);
  assert.equal(softwareAdapterReason(null), null, 'hidden info is not taken for software');
  assert.equal(softwareRendererReason(SWIFTSHADER_WEBGL), 'SwiftShader');
  assert.equal(softwareRendererReason(LLVMPIPE_WEBGL), 'llvmpipe');
  assert.equal(softwareRendererReason(NVIDIA_WEBGL), null);
});

test('auto picks WASM when the only GPUs are software (headless Chromium here)', () => {
  const probe: GpuProbe = { webgpu: { info: SWIFTSHADER_WEBGPU }, webgl: { renderer: SWIFTSHADER_WEBGL } };
  const { candidates, skipped } = autoCandidates(probe);
  assert.equal(candidates[0]!.backend, 'wasm');
  assert.match(candidates[0]!.why, /^no hardware GPU: WASM/);
  assert.deepEqual(candidates.map((c) => c.backend), ['wasm', 'cpu']);
  assert.deepEqual(skipped, ['WebGPU is swiftshader', 'WebGL is SwiftShader']);
});

test('auto picks WebGPU on a real adapter, and says which', () => {
  const { candidates, skipped } = autoCandidates({ webgpu: { info: NVIDIA_WEBGPU }, webgl: { renderer: NVIDIA_WEBGL } });
  assert.deepEqual(candidates.map((c) => c.backend), ['webgpu', 'webgl', 'wasm', 'cpu']);
  assert.equal(candidates[0]!.why, 'WebGPU · nvidia ampere');
  assert.equal(candidates[2]!.why, 'WASM', 'with a hardware GPU, WASM is not labelled "no hardware GPU"');
  assert.deepEqual(skipped, []);
});

test('a fallback WebGPU adapter next to hardware WebGL gives WebGL', () => {
  const { candidates } = autoCandidates({ webgpu: { info: NVIDIA_WEBGPU, isFallbackAdapter: true }, webgl: { renderer: NVIDIA_WEBGL } });
  assert.equal(candidates[0]!.backend, 'webgl');
});

test('no GPU API at all gives WASM, then CPU', () => {
  assert.deepEqual(autoCandidates({ webgpu: null, webgl: null }).candidates.map((c) => c.backend), ['wasm', 'cpu']);
});

test('describeAdapter names the adapter for the top bar', () => {
  assert.equal(describeAdapter({ vendor: 'apple', architecture: 'metal-3' }), 'apple metal-3');
  assert.equal(describeAdapter({ description: 'AMD Radeon Pro' }), 'AMD Radeon Pro');
  assert.equal(describeAdapter(undefined), 'GPU');
});
