/**
 * WebGPU outside the browser: tfjs's WebGPU backend on Dawn's Node bindings (the npm package `webgpu`,
 * an optional dependency that ships prebuilt dawn.node binaries in its tarball and downloads nothing
 * at install time). It is loaded lazily, only when the webgpu backend is asked for, so the CLI works
 * where it is missing. Every way it can fail ends in WebGpuUnavailable with the reason.
 */
import * as tf from '@tensorflow/tfjs';
import { describeAdapter, softwareAdapterReason, type AdapterInfoLike } from '../../common/gpu-adapter';

export class WebGpuUnavailable extends Error {
  constructor(reason: string) {
    super(`webgpu unavailable: ${reason}`);
    this.name = 'WebGpuUnavailable';
  }
}

/** The parts of Dawn's `webgpu` module and of a GPUAdapter this file uses. */
export interface GpuAdapterLike {
  info?: AdapterInfoLike;
  features: { has(name: string): boolean };
  limits: Record<string, number>;
  requestDevice(descriptor?: object): Promise<unknown>;
}
export interface DawnModule {
  create(flags: string[]): { requestAdapter(options?: object): Promise<GpuAdapterLike | null> };
  globals: Record<string, unknown>;
}

/** Loads the optional `webgpu` package; the variable keeps bundlers and tsc from resolving it. */
async function loadDawn(): Promise<DawnModule> {
  const name = 'webgpu';
  return (await import(name)) as DawnModule;
}

export interface NodeWebGpu {
  adapter: string;
  /** Why the adapter is a software one (SwiftShader, lavapipe), or null for hardware. */
  software: string | null;
  /** The adapter's limits (maxStorageBufferBindingSize, maxBufferSize, …). */
  limits: Record<string, number>;
}

export interface NodeWebGpuOptions {
  /** Run on a software adapter too (the CLI's --allow-software-gpu, ADVBN_ALLOW_SOFTWARE_GPU=1). */
  allowSoftware?: boolean;
  /**
   * Ask the device for this storage-binding limit instead of the adapter's largest (tests: WebGPU's
   * default of 128 MiB, what lavapipe and older SwiftShader report, below VGG-19's 411 MB fc1 kernel).
   */
  maxStorageBufferBindingSize?: number;
}

/** Dawn finds an adapter here (any kind)? Used to decide whether to start over with a software driver. */
export async function dawnHasAdapter(load: () => Promise<DawnModule> = loadDawn): Promise<boolean> {
  try {
    return !!(await (await load()).create([]).requestAdapter({ powerPreference: 'high-performance' }));
  } catch {
    return false;
  }
}

/**
 * Finds a WebGPU adapter through Dawn and registers tfjs's 'webgpu' backend on it: a hardware one, or
 * a software one when `allowSoftware`. `load` is replaceable so tests can hand in a Dawn that fails.
 */
export async function registerNodeWebGpu(load: () => Promise<DawnModule> = loadDawn, opts: NodeWebGpuOptions = {}): Promise<NodeWebGpu> {
  let dawn: DawnModule;
  try {
    dawn = await load();
  } catch (e) {
    throw new WebGpuUnavailable(`the optional npm package "webgpu" (Dawn for Node) could not be loaded (${(e as Error).message.split('\n')[0]}); install it with npm install webgpu`);
  }
  let adapter: GpuAdapterLike | null;
  try {
    const gpu = dawn.create([]);
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (adapter) {
      Object.assign(globalThis, dawn.globals);
      const g = globalThis as unknown as { navigator?: Record<string, unknown> };
      if (!g.navigator) g.navigator = {};
      Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
    }
  } catch (e) {
    throw new WebGpuUnavailable(`Dawn failed to start: ${(e as Error).message}`);
  }
  if (!adapter) {
    throw new WebGpuUnavailable('Dawn found no WebGPU adapter (no GPU, or no Vulkan driver with the features Dawn needs; Mesa\'s lavapipe lacks some)');
  }
  const software = softwareAdapterReason(adapter.info);
  if (software && !opts.allowSoftware) {
    throw new WebGpuUnavailable(`only a software adapter was found (${software}); the wasm backend is faster (--allow-software-gpu runs on it anyway)`);
  }
  const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu');
  const found = adapter;
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', async () => {
    const limits = found.limits;
    const requiredFeatures = found.features.has('timestamp-query') ? ['timestamp-query'] : [];
    // The same limits tfjs asks for in the browser (tfjs-backend-webgpu/src/base.ts).
    const device = await found.requestDevice({
      requiredFeatures,
      requiredLimits: {
        maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
        maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
        maxStorageBufferBindingSize: opts.maxStorageBufferBindingSize ?? limits.maxStorageBufferBindingSize,
        maxBufferSize: limits.maxBufferSize,
        maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
        maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
      },
    });
    return new WebGPUBackend(device as never, found.info as never);
  }, 3);
  const name = describeAdapter(adapter.info);
  // Dawn's limits are getters on the prototype: for…in reads them, a spread would not.
  const limits: Record<string, number> = {};
  for (const k in adapter.limits) limits[k] = adapter.limits[k]!;
  return { adapter: software ? `${name} (software)` : name, software, limits };
}
