/**
 * tfjs backends in Node: WASM (XNNPACK + SIMD, on every core through the threaded build), WebGPU
 * (Dawn's Node bindings, optional, only where a hardware adapter exists) and the pure-JS CPU backend.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from '../core/kernels/wasm-conv2d-backprop-filter';
import { checkThreads, defaultWasmThreads, registerThreadedWasm } from './wasm-threads-node';
import { registerNodeWebGpu, type DawnModule } from './webgpu-node';

export type NodeBackend = 'wasm' | 'webgpu' | 'cpu';
export const NODE_BACKENDS: NodeBackend[] = ['wasm', 'webgpu', 'cpu'];

/** What runs: the backend, its threads (CPU backends) and a line for logs ("WASM, 2 threads"). */
export interface NodeBackendInfo {
  backend: NodeBackend;
  threads: number;
  detail: string;
}

export interface NodeBackendOptions {
  /** WASM threads (default: every core, from ADVBN_THREADS if set). Fixed once WASM has started. */
  threads?: number;
  /** Replaces Dawn's loader (tests). */
  loadDawn?: () => Promise<DawnModule>;
}

let wasmThreads: number | null = null;
let wantedThreads: number | null = null;
let webgpuAdapter: string | null = null;

/** Sets the WASM thread count for this process (the CLI's --threads), before WASM starts. */
export function setWasmThreads(n: number): void {
  wantedThreads = checkThreads(n);
}

/** The WASM thread count asked for: --threads, else ADVBN_THREADS, else every core. */
export function requestedThreads(): number {
  if (wantedThreads !== null) return wantedThreads;
  const env = process.env.ADVBN_THREADS;
  return env ? checkThreads(Number(env)) : defaultWasmThreads();
}

export async function useNodeBackend(name: NodeBackend = 'wasm', opts: NodeBackendOptions = {}): Promise<NodeBackendInfo> {
  if (name === 'wasm') {
    const threads = checkThreads(opts.threads ?? wasmThreads ?? requestedThreads());
    if (wasmThreads === null) {
      // One thread: tfjs's own single-threaded SIMD build, as before; more: the threaded build.
      if (threads > 1) registerThreadedWasm(threads);
      wasmThreads = threads;
    } else if (threads !== wasmThreads) {
      throw new Error(`WASM already runs on ${wasmThreads} threads in this process; start a new one for ${threads}.`);
    }
    registerWasmTrainingKernels();
  }
  if (name === 'webgpu' && !webgpuAdapter) webgpuAdapter = (await registerNodeWebGpu(opts.loadDawn)).adapter;
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`tfjs backend "${name}" could not be initialised.`);
  await tf.ready();
  if (name === 'wasm') {
    const threads = getThreadsCount();
    return { backend: name, threads, detail: `WASM, ${threads} thread${threads === 1 ? '' : 's'}` };
  }
  if (name === 'webgpu') return { backend: name, threads: 1, detail: `WebGPU · ${webgpuAdapter}` };
  return { backend: name, threads: 1, detail: 'CPU (plain JavaScript), 1 thread' };
}
