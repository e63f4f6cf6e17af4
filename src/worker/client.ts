/** The UI side of the engine worker: promise-returning requests with streamed events and cancel. */
import type { FromWorker, RequestType, Requests, ToWorker } from './protocol';

export class RequestCancelled extends Error {
  constructor() { super('cancelled'); this.name = 'AbortError'; }
}

interface Pending { resolve(v: unknown): void; reject(e: Error): void; onEvent?: (p: unknown) => void; }

export class EngineClient {
  private worker: Worker;
  private nextId = 1;
  private pending = new Map<number, Pending>();

  constructor(worker?: Worker) {
    this.worker = worker ?? new Worker(new URL('./engine.worker.ts', import.meta.url), { type: 'module' });
    this.worker.onmessage = (e: MessageEvent<FromWorker>) => this.receive(e.data);
    this.worker.onerror = (e) => {
      const err = new Error(`Engine worker crashed: ${e.message}`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
  }

  private receive(m: FromWorker) {
    const p = this.pending.get(m.id);
    if (!p) return;
    if (m.kind === 'event') p.onEvent?.(m.payload);
    else {
      this.pending.delete(m.id);
      if (m.kind === 'result') p.resolve(m.payload);
      else p.reject(m.aborted ? new RequestCancelled() : new Error(m.message));
    }
  }

  /**
   * Sends request `type` (payload, events and result typed by `Requests`); `signal` cancels it (the promise
   * then rejects with RequestCancelled).
   */
  request<T extends RequestType>(
    type: T, payload: Requests[T]['payload'],
    opts: { onEvent?: (p: Requests[T]['event']) => void; signal?: AbortSignal; transfer?: Transferable[] } = {},
  ): Promise<Requests[T]['result']> {
    const id = this.nextId++;
    return new Promise<Requests[T]['result']>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, onEvent: opts.onEvent as ((p: unknown) => void) | undefined });
      const msg: ToWorker = { kind: 'request', id, type, payload };
      this.worker.postMessage(msg, opts.transfer ?? []);
      opts.signal?.addEventListener('abort', () => this.worker.postMessage({ kind: 'cancel', id } satisfies ToWorker), { once: true });
    });
  }

  terminate() { this.worker.terminate(); }
}

let shared: EngineClient | null = null;
/** The app's one engine (one worker, one tfjs backend, shared by both pages). */
export function engine(): EngineClient {
  shared ??= new EngineClient();
  return shared;
}
