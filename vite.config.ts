import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The app is served from 127.0.0.1: navigator.gpu (WebGPU) needs a secure context, which localhost is.
export default defineConfig({
  plugins: [react()],
  server: { host: '127.0.0.1', port: 5173, strictPort: false },
  preview: { host: '127.0.0.1', port: 4173 },
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 4000 },
  // models/ (the project's own trained weights) is served as /models by the plugin below in dev and
  // copied into dist/models at build time.
  publicDir: 'public',
});
