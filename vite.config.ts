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

// The app is served from 127.0.0.1: navigator.gpu (WebGPU) needs a secure context, which localhost is.
export default defineConfig({
  plugins: [react()],
  server: { host: '127.0.0.1', port: 5173, strictPort: false, headers: ISOLATION_HEADERS },
  preview: { host: '127.0.0.1', port: 4173, headers: ISOLATION_HEADERS },
  worker: { format: 'es' },
  // Relative asset URLs: the built folder works from any static host under any base path
  // (https://host/, https://host/course/advbn/, a file share); models/ is looked up beside index.html.
  base: './',
  build: { target: 'es2022', chunkSizeWarningLimit: 5000 },
  // models/ (the project's own trained weights) is served as /models by the plugin below in dev and
  // copied into dist/models at build time.
  publicDir: 'public',
});
