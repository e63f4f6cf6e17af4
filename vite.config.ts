import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

/**
 * Cross-origin isolation (COOP + COEP): without it the page has no SharedArrayBuffer and tfjs's WASM
 * backend runs its single-threaded build. Every resource of the app is same-origin, so `require-corp`
 * blocks nothing. Static hosts that cannot set headers get the same from public/coi-serviceworker.js.
 */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/**
 * tfjs's threaded WASM backend starts each thread from `factory.toString()` (a Blob), so the factory
 * function must stand alone. In the published file it reads `_scriptDir` from an enclosing closure; a
 * minifier renames that variable and drops its `typeof` guard, and every thread then dies with
 * "ReferenceError: e is not defined" (the built app ran no model; tensorflow/tfjs#4539 tells the same
 * story). This moves the variable into the factory, where it means the same (`document.currentScript`
 * is read when the factory runs, and is undefined in a worker either way).
 */
export function tfjsWasmThreadsStandalone() {
  const head = /var WasmBackendModuleThreadedSimd = \(\(\) => \{\n(\s*var _scriptDir = [^\n]*\n\s*if \(typeof __filename !== 'undefined'\) _scriptDir = _scriptDir \|\| __filename;\n)\s*return \(\nfunction\(WasmBackendModuleThreadedSimd\) \{\n/;
  return {
    name: 'tfjs-wasm-threads-standalone',
    enforce: 'pre' as const,
    transform(code: string, id: string) {
      if (!/tfjs-backend-wasm-threaded-simd\.js$/.test(id.split('?')[0]!)) return null;
      const m = head.exec(code);
      if (!m) throw new Error(`${id}: the threaded WASM factory no longer has the expected head; check tfjsWasmThreadsStandalone in vite.config.ts`);
      return { code: code.replace(head, `var WasmBackendModuleThreadedSimd = (() => {\n  return (\nfunction(WasmBackendModuleThreadedSimd) {\n${m[1]}`), map: null };
    },
  };
}

// The app is served from 127.0.0.1: navigator.gpu (WebGPU) needs a secure context, which localhost is.
export default defineConfig({
  plugins: [react(), tfjsWasmThreadsStandalone()],
  server: { host: '127.0.0.1', port: 5173, strictPort: false, headers: ISOLATION_HEADERS },
  preview: { host: '127.0.0.1', port: 4173, headers: ISOLATION_HEADERS },
  worker: { format: 'es', plugins: () => [tfjsWasmThreadsStandalone()] },
  // The dev server pre-bundles dependencies it finds by crawling from index.html; the worker is loaded by
  // URL, so its imports (tfjs, h5wasm, …) were found only at run time, and Vite then reloaded the page
  // mid-test on a fresh clone. Crawl the worker too.
  optimizeDeps: { entries: ['index.html', 'src/worker/engine.worker.ts'] },
  // Relative asset URLs: the built folder works from any static host under any base path
  // (https://host/, https://host/course/advbn/, a file share); models/ is looked up beside index.html.
  base: './',
  build: { target: 'es2022', chunkSizeWarningLimit: 5000 },
  // models/ (the project's own trained weights) is served as /models by the plugin below in dev and
  // copied into dist/models at build time.
  publicDir: 'public',
});
