/// <reference lib="webworker" />
/**
 * The engine: all tfjs work of the app runs here, so the UI thread never freezes. Handlers for each
 * page live in their own modules and are merged into one table.
 */
import * as tf from '@tensorflow/tfjs';
import type { FromWorker, HandlerMap, ToWorker, InitResult, MemoryResult, TypedHandlers } from './protocol';
import { initBackend, type BackendName } from './backends';
import { withWinogradSimd } from '../backend/kernels/winograd-loader';
import { exclusive } from './exclusive';
import { exploreHandlers } from './explore-handlers';
import { trainHandlers } from './train-handlers';
import { domainsHandlers } from './domains-handlers';
import { importHandlers } from './import-handlers';
import { styleWorldHandlers } from './style-world-handlers';

const coreHandlers = {
  /**
   * Backend switches are serialised with each other (React StrictMode, quick clicks) and with the
   * Explore requests: a switch never lands in the middle of a model load or a PGD step.
   */
  async init(payload: { backend?: BackendName }): Promise<InitResult> {
    return exclusive(undefined, () => initBackend(payload.backend));
  },
  async memory(): Promise<MemoryResult> {
    const m = tf.memory();
    return { numTensors: m.numTensors, numBytes: m.numBytes };
  },
} satisfies Partial<TypedHandlers>;

/** Every request of `Requests` has its handler here, with its types (a missing or mistyped one does not compile). */
const typedHandlers: TypedHandlers = { ...coreHandlers, ...exploreHandlers, ...trainHandlers, ...domainsHandlers, ...importHandlers, ...styleWorldHandlers };
const handlers: HandlerMap = typedHandlers;
const TRAINING = new Set<string>(['train.run', 'train.compare', 'train.domains']);
const inFlight = new Map<number, AbortController>();
const post = (m: FromWorker, transfer: Transferable[] = []) => (self as DedicatedWorkerGlobalScope).postMessage(m, transfer);

self.onmessage = async (e: MessageEvent<ToWorker>) => {
  const msg = e.data;
  if (msg.kind === 'cancel') {
    inFlight.get(msg.id)?.abort();
    return;
  }
  const handler = handlers[msg.type];
  if (!handler) {
    post({ kind: 'error', id: msg.id, message: `Unknown request type ${msg.type}`, aborted: false });
    return;
  }
  const ctrl = new AbortController();
  inFlight.set(msg.id, ctrl);
  try {
    const run = () => handler(msg.payload as never, {
      signal: ctrl.signal,
      emit: (payload, transfer) => post({ kind: 'event', id: msg.id, payload }, transfer),
    });
    // Training runs our kernels' relaxed-SIMD build (fused multiply-adds); Explore's PGD the strict one (winograd-loader.ts).
    const result = TRAINING.has(msg.type) ? await withWinogradSimd('relaxed', run) : await run();
    post({ kind: 'result', id: msg.id, payload: result });
  } catch (err) {
    const aborted = ctrl.signal.aborted || (err as Error)?.name === 'AbortError';
    post({ kind: 'error', id: msg.id, message: (err as Error)?.message ?? String(err), aborted });
  } finally {
    inFlight.delete(msg.id);
  }
};
