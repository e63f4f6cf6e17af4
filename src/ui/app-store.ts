/** App-level state: which page, which tfjs backend the engine runs (requested and actual). */
import { create } from 'zustand';
import type { BackendName } from '../common/backend-names';
import { readHash } from './url-state';

export type Page = 'explore' | 'train';

export interface AppState {
  page: Page;
  /** Backend the user asked for ('auto' = WebGPU, else WebGL, else WASM, else CPU). */
  requestedBackend: BackendName | 'auto';
  /** Backend the engine actually runs, once started. */
  backend: BackendName | null;
  backendFailed: BackendName[];
  backendError: string | null;
  /** What runs and why, from the engine ("no hardware GPU: WASM, 8 threads"); GPUs "auto" left out. */
  backendWhy: string | null;
  backendSkipped: string[];
  setPage(p: Page): void;
  setRequestedBackend(b: BackendName | 'auto'): void;
  setBackend(b: BackendName | null, failed?: BackendName[], error?: string | null, why?: string | null, skipped?: string[]): void;
}

/** A link may ask for a backend (`#/explore?backend=wasm`): start with it rather than switch later. */
function backendFromHash(): BackendName | 'auto' {
  const b = readHash().params.get('backend');
  return b === 'webgpu' || b === 'webgl' || b === 'wasm' || b === 'cpu' ? b : 'auto';
}

export const useApp = create<AppState>((set) => ({
  page: 'explore',
  requestedBackend: backendFromHash(),
  backend: null,
  backendFailed: [],
  backendError: null,
  backendWhy: null,
  backendSkipped: [],
  setPage: (page) => set({ page }),
  setRequestedBackend: (requestedBackend) => set({ requestedBackend }),
  setBackend: (backend, backendFailed = [], backendError = null, backendWhy = null, backendSkipped = []) =>
    set({ backend, backendFailed, backendError, backendWhy, backendSkipped }),
}));
