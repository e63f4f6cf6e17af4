/**
 * One queue for the engine's tfjs work that must not overlap: Explore requests and backend switches.
 * A backend switch that started while a model was loading made the load fail ("Backend 'webgpu' has
 * not yet been initialized", issue 8); a switch now waits until the request in flight has settled
 * (the UI cancels a run in flight when it switches, so that is at most one PGD step).
 */
let queue: Promise<unknown> = Promise.resolve();

export function abortError(message = 'cancelled'): Error {
  const e = new Error(message);
  e.name = 'AbortError';
  return e;
}

/** Runs `fn` after every earlier exclusive request has settled; a request cancelled meanwhile does not run. */
export function exclusive<T>(signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
  const next = queue.then(() => {
    if (signal?.aborted) throw abortError();
    return fn();
  });
  queue = next.catch(() => undefined);
  return next;
}
