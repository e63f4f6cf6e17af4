import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EngineClient, RequestCancelled } from './client';
import type { FromWorker, ToWorker } from './protocol';
import type { LayerInfo } from './train-protocol';

/** A stand-in for the engine worker: records what the client posts; `answer` plays the worker's side. */
function fakeWorker() {
  const posted: ToWorker[] = [];
  const w = {
    onmessage: null as ((e: MessageEvent<FromWorker>) => void) | null,
    onerror: null as ((e: ErrorEvent) => void) | null,
    postMessage(m: ToWorker) { posted.push(m); },
    terminate() {},
  };
  const answer = (m: FromWorker) => w.onmessage!({ data: m } as MessageEvent<FromWorker>);
  return { worker: w as unknown as Worker, posted, answer };
}

test('a request: its type and payload posted, events streamed, the result resolved', async () => {
  const { worker, posted, answer } = fakeWorker();
  const c = new EngineClient(worker);
  const events: unknown[] = [];
  const p = c.request('explore.model', { key: 'k', source: { kind: 'url', base: '/m/' }, entry: {} as never }, { onEvent: (e) => events.push(e) });
  const sent = posted[0]!;
  assert.equal(sent.kind, 'request');
  assert.equal(sent.kind === 'request' && sent.type, 'explore.model');
  answer({ kind: 'event', id: sent.id, payload: { kind: 'progress', loaded: 1, total: 2, bytes: 10 } });
  answer({ kind: 'result', id: sent.id, payload: { key: 'k', classes: 3, inputSize: 32, layers: ['c1'], ms: 1 } });
  const r = await p;
  assert.equal(r.classes, 3);
  assert.deepEqual(events, [{ kind: 'progress', loaded: 1, total: 2, bytes: 10 }]);
});

test('a cancelled request posts cancel and rejects with RequestCancelled; an error rejects with its message', async () => {
  const { worker, posted, answer } = fakeWorker();
  const c = new EngineClient(worker);
  const ctrl = new AbortController();
  const p = c.request('train.pause', { runId: 'r', paused: true }, { signal: ctrl.signal });
  ctrl.abort();
  assert.deepEqual(posted[1], { kind: 'cancel', id: posted[0]!.id });
  answer({ kind: 'error', id: posted[0]!.id, message: 'cancelled', aborted: true });
  await assert.rejects(p, RequestCancelled);
  const q = c.request('memory', {});
  answer({ kind: 'error', id: posted[2]!.id, message: 'no such model', aborted: false });
  await assert.rejects(q, /no such model/);
});

/**
 * Checked by the type-check (tsc), not run: each request's payload and result types come from `Requests`,
 * so these lines must not compile (an unused @ts-expect-error fails tsc).
 */
export function typeChecks(c: EngineClient): void {
  // @ts-expect-error: train.pause takes { runId: string; paused: boolean }
  void c.request('train.pause', { runId: 1, paused: true });
  // @ts-expect-error: no such request type
  void c.request('train.nothing', {});
  // @ts-expect-error: train.layers answers LayerInfo[], not a string
  const wrong: Promise<string> = c.request('train.layers', { source: { kind: 'url', base: '/' }, entry: {} as never });
  const right: Promise<LayerInfo[]> = c.request('train.layers', { source: { kind: 'url', base: '/' }, entry: {} as never });
  void wrong; void right;
}
