/**
 * tfjs's multi-threaded WASM build (XNNPACK on a pthreadpool) in Node.
 *
 * tfjs-backend-wasm never starts it in Node, for two reasons found in its sources:
 * 1. `WASM_HAS_MULTITHREAD_SUPPORT` is hard-wired to false under Node (tfjs issue 3830), and its
 *    `init()` hands Emscripten the pthread worker script as a blob: URL, which Node's worker_threads
 *    cannot load.
 * 2. Its C++ `init_with_threads_count` caps the pool at `emscripten_num_logical_cores() / 2` ("many x86
 *    processors have 2 threads per core"), so on a 2-core machine it always gets 1 thread, whatever
 *    `setThreadsCount` asks for.
 *
 * So this module builds the backend itself, with the package's own files: the threaded Emscripten
 * factory (wasm-out/tfjs-backend-wasm-threaded-simd.js), its pthread worker script (written once to a
 * temp file, since the package ships it only as a JS string) and the threaded .wasm binary. The
 * `emscripten_num_logical_cores` import is answered with 2 × the wanted thread count, so the C++ cap
 * lets `threads` through. The backend object is tfjs's own BackendWasm, so every registered 'wasm'
 * kernel (and the project's conv-gradient kernels) runs unchanged.
 */
import * as tf from '@tensorflow/tfjs';
import { BackendWasm, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);


export { MAX_WASM_THREADS } from '../../common/backend-names';
import { MAX_WASM_THREADS } from '../../common/backend-names';

/** The thread count to use by default: every core the process may use, at most MAX_WASM_THREADS. */
export function defaultWasmThreads(): number {
  return Math.max(1, Math.min(MAX_WASM_THREADS, availableParallelism()));
}

/**
 * Validates a requested thread count: a whole number from 1 to MAX_WASM_THREADS.
 * Throws with a message that names the bad value.
 */
export function checkThreads(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > MAX_WASM_THREADS) {
    throw new Error(`WASM threads must be a whole number from 1 to ${MAX_WASM_THREADS}, got ${n}.`);
  }
  return n;
}

/** The pthread worker script, written once per tfjs version into the temp folder. */
function workerScript(version: string): string {
  const dir = join(tmpdir(), `advbn-tfjs-wasm-${version}`);
  const file = join(dir, 'tfjs-backend-wasm-threaded-simd.worker.cjs');
  const { wasmWorkerContents } = require('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js') as { wasmWorkerContents: string };
  // The package keeps the script as a template string whose "\n" escapes became real newlines
  // inside string literals; tfjs re-escapes them the same way before making its blob.
  const text = wasmWorkerContents.replace(/\n/g, '\\n');
  if (!existsSync(file) || readFileSync(file, 'utf8') !== text) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, text);
  }
  return file;
}

interface EmscriptenModule {
  cwrap(name: string, ret: string | null, args: string[]): (...a: number[]) => number;
  tfjs?: Record<string, (...a: number[]) => number>;
  PThread: { runningWorkers: Array<{ unref?(): void }> };
}

/**
 * Replaces tfjs's 'wasm' backend factory with the threaded build on `threads` threads. Call before the
 * first `tf.setBackend('wasm')` of the process (a created backend is kept by tfjs).
 */
export function registerThreadedWasm(threads: number): void {
  checkThreads(threads);
  const mainJs = require.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js');
  const outDir = dirname(mainJs);
  const version = (require('@tensorflow/tfjs-backend-wasm/package.json') as { version: string }).version;
  const worker = workerScript(version);
  const factory = require(mainJs) as (config: object) => Promise<EmscriptenModule>;
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', async () => {
    const module = await factory({
      locateFile: (p: string) => (p.endsWith('.worker.js') ? worker : join(outDir, p)),
      // Each pthread worker evaluates this script to get the factory.
      mainScriptUrlOrBlob: mainJs,
      instantiateWasm(info: { env: Record<string, unknown> }, receive: (i: WebAssembly.Instance, m: WebAssembly.Module) => void) {
        // See the module comment (2): the C++ side halves this number.
        info.env.emscripten_num_logical_cores = () => 2 * threads;
        const binary = readFileSync(join(outDir, 'tfjs-backend-wasm-threaded-simd.wasm'));
        WebAssembly.instantiate(binary, info as WebAssembly.Imports).then((r) => receive(r.instance, r.module));
        return {};
      },
    });
    // The same bridge tfjs's init() sets up.
    module.tfjs = {
      init: module.cwrap('init', null, []),
      initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
      getThreadsCount: module.cwrap('get_threads_count', 'number', []),
      registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
      disposeData: module.cwrap('dispose_data', null, ['number']),
      dispose: module.cwrap('dispose', null, []),
    };
    setThreadsCount(threads);
    const backend = new BackendWasm(module as never);
    // The pool's threads live as long as the process; Emscripten keeps their workers ref'd while they
    // run, which would keep Node from exiting when the command is done.
    for (const w of module.PThread.runningWorkers) w.unref?.();
    return backend;
  }, 2);
}
