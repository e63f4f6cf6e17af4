/**
 * tfjs backends in Node: WASM (XNNPACK + SIMD, on every core through the threaded build), WebGPU
 * (Dawn's Node bindings, optional, only where a hardware adapter exists — or a software one, on request:
 * --allow-software-gpu / ADVBN_ALLOW_SOFTWARE_GPU=1) and the pure-JS CPU backend.
 */
import '@tensorflow/tfjs-backend-wasm';
import { setWasmConvKernels, type SpawnWinogradWorker } from '../kernels/winograd-loader';
import { Worker } from 'node:worker_threads';
import { setFlagsFromString } from 'node:v8';
import { checkThreads, defaultWasmThreads, registerThreadedWasm } from './wasm-threads-node';
import { startBackend, type Platform } from '../start';
import { registerNodeWebGpu, WebGpuUnavailable, type DawnModule, type NodeWebGpu, type NodeWebGpuOptions } from './webgpu-node';

/*
 * Relaxed SIMD (our kernels' fused multiply-add, winograd-loader.ts) ships in V8 11.4+ (Chrome 114, Node 22);
 * Node 20's V8 11.3 has it behind a flag. Set before any module compiles; worker threads inherit it.
 * The probe is the smallest module that uses it: (func (result v128) (f32x4.relaxed_madd (v128.const 0)
 * (v128.const 0) (v128.const 0))) — header, type, function and code sections; 0xfd 0x85 0x02 is relaxed_madd.
 */
const RELAXED_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 61, 1, 59, 0,
  253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 253, 133, 2, 11]);
if (!WebAssembly.validate(RELAXED_PROBE)) setFlagsFromString('--experimental-wasm-relaxed-simd');

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
  /** WebGPU device options (software adapters, a smaller binding limit for tests). */
  webgpu?: NodeWebGpuOptions;
}

/** The environment variable that lets tests (and scripts) run WebGPU on a software adapter. */
export const ALLOW_SOFTWARE_GPU_ENV = 'ADVBN_ALLOW_SOFTWARE_GPU';
let allowSoftware = false;

/** The CLI's --allow-software-gpu: webgpu may run on SwiftShader / lavapipe (never chosen by itself). */
export function setAllowSoftwareGpu(allow: boolean): void {
  allowSoftware = allow;
}

/** --allow-software-gpu, else ADVBN_ALLOW_SOFTWARE_GPU=1. */
export function softwareGpuAllowed(): boolean {
  return allowSoftware || process.env[ALLOW_SOFTWARE_GPU_ENV] === '1';
}

let wasmThreads: number | null = null;
let wantedThreads: number | null = null;
let webgpu: NodeWebGpu | null = null;

/** The WebGPU adapter this process registered (null before `useNodeBackend('webgpu')`). */
export function nodeWebGpu(): NodeWebGpu | null {
  return webgpu;
}

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

/** Our convolution's helper threads (winograd-loader.ts) as Node workers; they do not keep the process alive. */
const spawnNodeWorker: SpawnWinogradWorker = (body, data) => {
  const w = new Worker(`const { workerData } = require('node:worker_threads');\n${body}\nwinogradWorker(workerData);`, { eval: true, workerData: data });
  w.unref();
  return w;
};

export async function useNodeBackend(name: NodeBackend = 'wasm', opts: NodeBackendOptions = {}): Promise<NodeBackendInfo> {
  // Node's side of the shared start-up (../start.ts).
  const platform: Platform = {
    prepareWasm() {
      const threads = checkThreads(opts.threads ?? wasmThreads ?? requestedThreads());
      if (wasmThreads === null) {
        // One thread: tfjs's own single-threaded SIMD build, as before; more: the threaded build.
        if (threads > 1) registerThreadedWasm(threads);
        wasmThreads = threads;
      } else if (threads !== wasmThreads) {
        throw new Error(`WASM already runs on ${wasmThreads} threads in this process; start a new one for ${threads}.`);
      }
      // ADVBN_WASM_KERNELS=tfjs: tfjs's own kernels instead of ours (winograd-loader.ts), e.g. to compare.
      const kernels = process.env.ADVBN_WASM_KERNELS;
      if (kernels === 'tfjs' || kernels === 'ours') setWasmConvKernels(kernels);
      else if (kernels) throw new Error(`ADVBN_WASM_KERNELS must be tfjs or ours, got "${kernels}".`);
    },
    async prepareWebGpu() {
      webgpu ??= await registerNodeWebGpu(opts.loadDawn, { allowSoftware: softwareGpuAllowed(), ...opts.webgpu });
      return true;
    },
    spawnHelper: spawnNodeWorker,
  };
  const r = await startBackend(name, platform);
  if (!r.ok) {
    if (name === 'webgpu' && r.selfCheck) throw new WebGpuUnavailable(`the known-answer self-check failed on ${webgpu!.adapter}: ${r.selfCheck}`);
    throw new Error(`${r.reason}.`);
  }
  if (name === 'wasm') return { backend: name, threads: r.threads, detail: `WASM, ${r.threads} thread${r.threads === 1 ? '' : 's'}` };
  if (name === 'webgpu') return { backend: name, threads: 1, detail: `WebGPU · ${webgpu!.adapter}` };
  return { backend: name, threads: 1, detail: 'CPU (plain JavaScript), 1 thread' };
}
