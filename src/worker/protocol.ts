/**
 * Messages between the UI thread and the engine worker. Every request has an id; the worker answers
 * with any number of `event`s (streamed progress: PGD steps, training curves) and then exactly one
 * `result` or `error`. `cancel` aborts a request in flight (its AbortSignal fires).
 */
export interface RequestMessage { kind: 'request'; id: number; type: string; payload: unknown; transfer?: never }
export interface CancelMessage { kind: 'cancel'; id: number }
export type ToWorker = RequestMessage | CancelMessage;

export interface EventMessage { kind: 'event'; id: number; payload: unknown }
export interface ResultMessage { kind: 'result'; id: number; payload: unknown }
export interface ErrorMessage { kind: 'error'; id: number; message: string; aborted: boolean }
export type FromWorker = EventMessage | ResultMessage | ErrorMessage;

/** What a handler gets: its payload, a way to stream events, and a signal that fires on cancel. */
export interface HandlerContext {
  signal: AbortSignal;
  emit(payload: unknown, transfer?: Transferable[]): void;
}
export type Handler = (payload: never, ctx: HandlerContext) => Promise<unknown>;
export type HandlerMap = Record<string, Handler>;

/** What the engine runs and why, for the top bar ("no hardware GPU: WASM, 8 threads"). */
export interface InitResult {
  backend: string;
  /** Backends tried before it that failed to start. */
  failed: string[];
  /** GPUs "auto" left out, with the reason ("WebGPU is swiftshader"). */
  skipped: string[];
  why: string;
  /** WASM's thread count; null for the GPU backends. */
  threads: number | null;
  /** Whether the page is cross-origin isolated (needed for WASM threads). */
  isolated: boolean;
}
export interface MemoryResult { numTensors: number; numBytes: number; }
