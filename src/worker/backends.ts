/**
 * Backend selection for the browser (runs inside the worker).
 *
 * "auto" first asks what the GPUs are (WebGPU adapter info, WebGL renderer) and leaves software ones
 * out (SwiftShader, llvmpipe: ~60× slower than WASM on VGG-19), then tries hardware WebGPU, hardware
 * WebGL, WASM, CPU in that order; see gpu-adapter.ts. A backend asked for by name is started as asked.
 *
 * WASM runs on every core when the page is cross-origin isolated (COOP/COEP headers, or the service
 * worker in public/coi-serviceworker.js where the host sets none): tfjs then loads its threaded SIMD
 * build. Its C++ side caps the pool at navigator.hardwareConcurrency / 2 ("2 threads per core"), which
 * is 1 on a 2-core machine; withAllCores() lifts that cap while the module starts.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { winogradAvailable, winogradThreads, type WasmBackendLike } from '../backend/kernels/winograd-loader';
import { startBackend, type Platform } from '../backend/start';
import { autoCandidates, type AdapterInfoLike, type Candidate, type GpuProbe } from '../common/gpu-adapter';
import type { InitResult } from './protocol';
import { readBackHeld } from './held-tensors';

import { BACKEND_ORDER, MAX_WASM_THREADS, type BackendName } from '../common/backend-names';
export { BACKEND_ORDER, type BackendName };

/** The page's side of the shared start-up (src/backend/start.ts). */
const browserPlatform: Platform = {
  prepareWasm() {
    if (wasmPathsSet) return;
    wasmPathsSet = true;
    setWasmPaths({
      'tfjs-backend-wasm.wasm': wasmPlain,
      'tfjs-backend-wasm-simd.wasm': wasmSimd,
      'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
    });
    setThreadsCount(wasmThreadsWanted());
  },
  whileWasmStarts: withAllCores,
  prepareWebGpu: async () => !!(globalThis.navigator as Navigator & { gpu?: unknown })?.gpu,
  spawnHelper: spawnWebWorker,
};
let wasmPathsSet = false;

/** Every logical core the browser reports, at most tfjs's pool size. */
function wasmThreadsWanted(): number {
  return Math.max(1, Math.min(MAX_WASM_THREADS, globalThis.navigator?.hardwareConcurrency ?? 1));
}

/**
 * Runs `start` (the WASM module's start-up) with navigator.hardwareConcurrency reported doubled, so
 * the C++ cap (cores / 2) lets setThreadsCount's value through; the real value is restored after.
 */
async function withAllCores<T>(start: () => Promise<T>): Promise<T> {
  const nav = globalThis.navigator as Navigator | undefined;
  if (!nav || !(globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated) return start();
  const real = nav.hardwareConcurrency;
  Object.defineProperty(nav, 'hardwareConcurrency', { value: 2 * real, configurable: true });
  try {
    return await start();
  } finally {
    delete (nav as unknown as Record<string, unknown>).hardwareConcurrency; // back to the prototype's getter
  }
}

/** Our convolution's helper threads (winograd-loader.ts) as Web Workers made from one blob (kept: it is tiny). */
let helperUrl: string | null = null;
function spawnWebWorker(body: string, data: unknown): Worker {
  helperUrl ??= URL.createObjectURL(new Blob([`${body}\nself.onmessage = (e) => winogradWorker(e.data);`], { type: 'text/javascript' }));
  const w = new Worker(helperUrl);
  w.postMessage(data);
  return w;
}

/** Why a GPU backend that started was not kept (its known-answer self-check failed), by backend. */
const selfCheckFailures = new Map<BackendName, string>();

/**
 * Tries one backend; resolves to false (never throws) when it is unavailable here. A GPU backend must
 * also pass the known-answer self-check (a convolution, a matrix product and a gradient against CPU
 * results, kernel-self-check.ts); when it does not, the reason is kept for the top bar.
 */
export async function tryBackend(name: BackendName): Promise<boolean> {
  try {
    const r = await startBackend(name, browserPlatform);
    if (!r.ok && r.selfCheck) selfCheckFailures.set(name, r.selfCheck);
    return r.ok;
  } catch {
    return false;
  }
}

interface GpuAdapterLike { info?: AdapterInfoLike; isFallbackAdapter?: boolean; requestAdapterInfo?(): Promise<AdapterInfoLike> }

/** What the GPUs are, without starting a tfjs backend: WebGPU adapter info and the WebGL renderer. */
export async function probeGpus(): Promise<GpuProbe> {
  let webgpu: GpuProbe['webgpu'] = null;
  const gpu = (globalThis.navigator as unknown as { gpu?: { requestAdapter(o?: object): Promise<GpuAdapterLike | null> } } | undefined)?.gpu;
  if (gpu) {
    try {
      const a = await gpu.requestAdapter({ powerPreference: 'high-performance' });
      if (a) webgpu = { info: a.info ?? (await a.requestAdapterInfo?.()) ?? null, isFallbackAdapter: a.isFallbackAdapter };
    } catch { /* no adapter */ }
  }
  let webgl: GpuProbe['webgl'] = null;
  try {
    const gl = new OffscreenCanvas(1, 1).getContext('webgl2');
    if (gl) {
      const ext = gl.getExtension('WEBGL_debug_renderer_info');
      webgl = { renderer: String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? '') || null };
      gl.getExtension('WEBGL_lose_context')?.loseContext();
    }
  } catch { /* no WebGL */ }
  return { webgpu, webgl };
}

/** The top-bar line for the backend that runs: the candidate's reason, plus threads for WASM. */
function describe(c: Candidate): Pick<InitResult, 'why' | 'threads' | 'isolated'> {
  const isolated = !!(globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
  if (c.backend !== 'wasm') return { why: c.why, threads: null, isolated };
  const threads = getThreadsCount();
  const note = threads === 1 && !isolated ? ' (page not cross-origin isolated)' : '';
  // Our 3×3 convolutions (wasm-winograd-conv.ts), where this engine runs them, and on how many threads.
  const backend = tf.backend() as unknown as WasmBackendLike;
  const conv = winogradAvailable(backend) ? winogradThreads(backend) : 0;
  const ours = conv ? `, Winograd convolutions on ${conv} thread${conv === 1 ? '' : 's'}` : '';
  return { why: `${c.why}, ${threads} thread${threads === 1 ? '' : 's'}${note}${ours}`, threads, isolated };
}

/**
 * Starts `preferred` if given and available, else what "auto" picks (see the module comment).
 * Returns the backend that runs, why, its threads (WASM), and the ones that failed or were skipped.
 */
export async function initBackend(preferred?: BackendName): Promise<InitResult> {
  let order: Candidate[];
  let skipped: string[] = [];
  if (preferred) {
    const label = { webgpu: 'WebGPU', webgl: 'WebGL', wasm: 'WASM', cpu: 'CPU' } as const;
    order = [preferred, ...BACKEND_ORDER.filter((b) => b !== preferred)].map((b) => ({
      backend: b, why: b === preferred ? `${label[b]} (chosen)` : `${label[b]} (${label[preferred]} failed to start)`,
    }));
  } else {
    ({ candidates: order, skipped } = autoCandidates(await probeGpus()));
  }
  await readBackHeld();
  const failed: BackendName[] = [];
  for (const c of order) {
    if (await tryBackend(c.backend)) return { backend: c.backend, failed, skipped, ...describe(c) };
    failed.push(c.backend);
    const bad = selfCheckFailures.get(c.backend);
    if (bad) skipped.push(`${c.backend === 'webgpu' ? 'WebGPU' : 'WebGL'} failed its self-check (${bad})`);
  }
  throw new Error('No tfjs backend could be started (tried WebGPU, WebGL, WASM, CPU).');
}
