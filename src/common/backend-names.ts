/** Backend names and their preference order, without importing tfjs (the UI bundle stays tf-free). */
export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';
export const BACKEND_ORDER: BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];
/** tfjs's WASM thread pool is pre-sized for 8 workers (PTHREAD_POOL_SIZE); more gain nothing. */
export const MAX_WASM_THREADS = 8;
