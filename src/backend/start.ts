/**
 * One start-up for every tfjs backend, shared by the page's worker (src/worker/backends.ts) and the
 * CLI (src/backend/node/backend-node.ts). What differs between the two is passed in as a `Platform`:
 * where WASM's binaries come from and how many threads it gets, how a helper thread is spawned, and how
 * WebGPU is reached (the browser's navigator.gpu; Dawn's bindings in Node).
 *
 * The sequence: our WASM kernels are registered before WASM starts (tfjs looks kernels up per op, so
 * registering first means the very first op already runs ours); the project's WebGPU flags are set before
 * WebGPU starts; after tf.setBackend a tiny op proves the backend computes (a backend can register and
 * then fail on first use, e.g. WebGL without a context); then WASM gets our convolution's helper threads,
 * and a GPU backend must pass the known-answer self-check (kernel-self-check.ts) or is not used.
 */
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from './kernels/wasm-conv2d-backprop-filter';
import { registerWasmWinogradKernels } from './kernels/wasm-winograd-conv';
import { registerWasmSign } from './kernels/wasm-sign';
import { registerWasmTile } from './kernels/wasm-tile';
import { registerWasmWinogradFilterGrad } from './kernels/wasm-winograd-filter-grad';
import { registerWasmReduce } from './kernels/wasm-reduce';
import { registerWasmFusedAdam } from './kernels/wasm-adam';
import { registerWasmBatchNorm } from './kernels/wasm-batchnorm';
import { startWinogradThreads, type SpawnWinogradWorker, type WasmBackendLike } from './kernels/winograd-loader';
import { kernelSelfCheck } from './kernel-self-check';
import { configureWebGpu } from './webgpu-flags';

export type StartableBackend = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/** What the page and Node do differently when a backend starts. */
export interface Platform {
  /** Before WASM's module loads: its binaries and thread count (browser: setWasmPaths; Node: the threaded build). */
  prepareWasm(): void;
  /** Wraps tf.setBackend('wasm') (the page lifts the C++ thread cap while the module starts). */
  whileWasmStarts?<T>(start: () => Promise<T>): Promise<T>;
  /** Before WebGPU starts: false when this platform has no WebGPU (Node registers Dawn's adapter here, or throws why not). */
  prepareWebGpu(): Promise<boolean>;
  /** Starts one helper thread of our convolution (a Web Worker, or a Node worker thread). */
  spawnHelper: SpawnWinogradWorker;
}

/** `selfCheck`: what the known-answer self-check found wrong, when that is why a GPU backend was refused. */
export type StartResult = { ok: true; threads: number } | { ok: false; reason: string; selfCheck?: string };

let helpersStarted = false;

/**
 * Starts `name` on `platform`. Resolves { ok: false, reason } when the backend is not usable here
 * (unavailable, or a GPU that fails its self-check); throws only what the platform's own steps throw.
 */
export async function startBackend(name: StartableBackend, platform: Platform): Promise<StartResult> {
  if (name === 'wasm') {
    platform.prepareWasm();
    registerWasmTrainingKernels();
    registerWasmWinogradKernels();
    registerWasmFusedAdam();
    registerWasmBatchNorm();
    registerWasmSign(); // tfjs's gives 0 for |x| ≤ 1.19e-7: PGD's sign(∂L/∂δ) on a confident photo
    registerWasmTile();
    registerWasmWinogradFilterGrad();
    registerWasmReduce();
  }
  if (name === 'webgpu') {
    if (!(await platform.prepareWebGpu())) return { ok: false, reason: 'no WebGPU here' };
    configureWebGpu();
  }
  const set = () => tf.setBackend(name);
  const ok = name === 'wasm' && platform.whileWasmStarts ? await platform.whileWasmStarts(set) : await set();
  if (!ok) return { ok: false, reason: `tfjs backend "${name}" could not be initialised` };
  await tf.ready();
  const t = tf.tidy(() => tf.sum(tf.mul(tf.ones([4]), 2)));
  const v = (await t.data())[0];
  t.dispose();
  if (v !== 8) return { ok: false, reason: `tfjs backend "${name}" computed 2·(1+1+1+1) = ${v}` };
  if (name === 'wasm') {
    const threads = getThreadsCount();
    if (!helpersStarted) {
      helpersStarted = true;
      // Not fatal: without helpers our convolution runs on this thread.
      try {
        await startWinogradThreads(tf.backend() as unknown as WasmBackendLike, threads, platform.spawnHelper);
      } catch (e) {
        console.warn('our WASM convolution stays on one thread:', e);
      }
    }
    return { ok: true, threads };
  }
  if (name === 'webgpu' || name === 'webgl') {
    const bad = await kernelSelfCheck();
    if (bad) return { ok: false, reason: `the known-answer self-check failed: ${bad}`, selfCheck: bad };
  }
  return { ok: true, threads: 1 };
}
