/**
 * Counts the data a tfjs backend moves between the device and the CPU while some code runs: reads
 * (what `data()`, `dataSync()` and `array()` fetch that is not already on the CPU) and, on WebGPU,
 * uploads (tensors copied from the CPU into GPU buffers, e.g. weights on their first use).
 *
 * It wraps methods of the backend instance (not of its class), and `stop()` puts them back:
 *  - every backend: `read` / `readSync`, the outermost call only (CPU and WASM's `read` calls their
 *    `readSync`). On WebGPU a read of a tensor whose values the backend already holds on the CPU (read
 *    before, or never uploaded) moves nothing and is not counted; on the CPU backends every read is
 *    counted (a memory copy, but the same request a GPU would answer with a round trip);
 *  - WebGPU: `uploadToGPU`, counted when the tensor has CPU values and no GPU buffer yet.
 */
import * as tf from '@tensorflow/tfjs';

export interface TransferCounts {
  /** Device → CPU reads (a WebGPU read is a buffer copy, a submit and a map: a round trip). */
  reads: number;
  readBytes: number;
  /** CPU → device uploads (WebGPU only; 0 elsewhere). */
  uploads: number;
  uploadBytes: number;
}

interface TensorDataLike { values?: unknown; resource?: unknown; shape?: number[]; dtype?: string }
type AnyFn = (...args: unknown[]) => unknown;
interface BackendLike {
  tensorMap?: { get(id: unknown): TensorDataLike | undefined };
  [method: string]: unknown;
}

function bytesOf(d: TensorDataLike | undefined): number {
  if (!d?.shape) return 0;
  return d.shape.reduce((a, b) => a * b, 1) * (d.dtype === 'complex64' ? 8 : 4);
}

export interface TransferCounter {
  /** The counts so far. */
  counts(): TransferCounts;
  /** Puts the backend's methods back. */
  stop(): void;
}

/** Starts counting on `backend` (default: tfjs's current backend). */
export function countTransfers(backend: tf.KernelBackend = tf.backend()): TransferCounter {
  const b = backend as unknown as BackendLike;
  const c: TransferCounts = { reads: 0, readBytes: 0, uploads: 0, uploadBytes: 0 };
  const saved: Array<[string, boolean, unknown]> = [];
  const gpu = typeof b.uploadToGPU === 'function';
  let depth = 0; // read → readSync inside one request counts once
  const wrap = (name: string, before: (id: unknown) => void) => {
    const orig = b[name];
    if (typeof orig !== 'function') return;
    saved.push([name, Object.prototype.hasOwnProperty.call(b, name), orig]);
    b[name] = function (this: unknown, ...args: unknown[]) {
      if (depth === 0) before(args[0]);
      // The nested call (CPU and WASM's async read calls readSync) happens before read returns its
      // promise, so the depth goes back down synchronously; concurrent reads still count each.
      depth++;
      try {
        return (orig as AnyFn).apply(this, args);
      } finally {
        depth--;
      }
    };
  };
  const entry = (id: unknown) => b.tensorMap?.get(id);
  const onRead = (id: unknown) => {
    const d = entry(id);
    if (gpu && d && d.values != null) return; // WebGPU answers from its CPU copy
    c.reads++;
    c.readBytes += bytesOf(d);
  };
  wrap('read', onRead);
  wrap('readSync', onRead);
  if (gpu) {
    wrap('uploadToGPU', (id) => {
      const d = entry(id);
      if (!d || d.resource != null || d.values == null) return;
      c.uploads++;
      c.uploadBytes += bytesOf(d);
    });
  }
  return {
    counts: () => ({ ...c }),
    stop: () => {
      for (const [name, own, orig] of saved.reverse()) {
        if (own) b[name] = orig;
        else delete b[name];
      }
      saved.length = 0;
    },
  };
}
