/**
 * Messages between the UI thread and the engine worker. Every request has an id; the worker answers
 * with any number of `event`s (streamed progress: PGD steps, training curves) and then exactly one
 * `result` or `error`. `cancel` aborts a request in flight (its AbortSignal fires).
 */
import type { BackendName } from '../common/backend-names';
import type {
  ImageRequest, ImageResult, ModelProgress, ModelRequest, ModelResult, RunEvent, RunRequest, RunResult, ShiftsRequest, ShiftsResult,
  StrengthSweepEvent, StrengthSweepRequest, StrengthSweepResult,
} from './explore-protocol';
import type {
  CompareEvent, LayerInfo, ModelRef, PreviewRequest, PreviewResult, TrainCompareRequest, TrainCompareResult, TrainEvent, TrainRunRequest, TrainRunResult,
} from './train-protocol';
import type { DomainsEvent, TrainDomainsRequest, TrainDomainsResult } from './domains-protocol';
import type { ImportEvent, ImportRequest, ImportResult } from './import-protocol';
import type { GalleryRequest, GalleryResult, SampleRequest, SampleResult } from './style-world-protocol';

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

/**
 * Every request the engine answers: its payload, the events it streams and its result. EngineClient.request
 * and the worker's handler table (engine.worker.ts) both take their types from here, so a wrong payload,
 * event or result, or a request without a handler, is a compile error.
 */
export interface Requests {
  init: { payload: { backend?: BackendName }; event: never; result: InitResult };
  memory: { payload: Record<string, never>; event: never; result: MemoryResult };
  'explore.model': { payload: ModelRequest; event: ModelProgress; result: ModelResult };
  'explore.image': { payload: ImageRequest; event: never; result: ImageResult };
  'explore.run': { payload: RunRequest; event: RunEvent; result: RunResult };
  'explore.sweep': { payload: StrengthSweepRequest; event: StrengthSweepEvent; result: StrengthSweepResult };
  'explore.shifts': { payload: ShiftsRequest; event: never; result: ShiftsResult };
  'explore.unload': { payload: Record<string, never>; event: never; result: { ok: true } };
  'train.layers': { payload: ModelRef; event: never; result: LayerInfo[] };
  'train.pause': { payload: { runId: string; paused: boolean }; event: never; result: boolean };
  'train.run': { payload: TrainRunRequest; event: TrainEvent; result: TrainRunResult };
  'train.compare': { payload: TrainCompareRequest; event: CompareEvent; result: TrainCompareResult };
  'train.preview': { payload: PreviewRequest; event: never; result: PreviewResult };
  'train.domains': { payload: TrainDomainsRequest; event: DomainsEvent; result: TrainDomainsResult };
  'models.import': { payload: ImportRequest; event: ImportEvent; result: ImportResult };
  'styleworld.gallery': { payload: GalleryRequest; event: never; result: GalleryResult };
  'styleworld.sample': { payload: SampleRequest; event: never; result: SampleResult };
}
export type RequestType = keyof Requests;

/** The handler of each request, typed by `Requests`. */
export type TypedHandlers = { [T in RequestType]: (payload: Requests[T]['payload'], ctx: HandlerContext) => Promise<Requests[T]['result']> };
