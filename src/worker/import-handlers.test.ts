/** The worker's import handler: progress events, cancel, refusals; nothing kept when it does not finish. */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { useNodeBackend } from '../backend/node/backend-node';
import { importHandlers } from './import-handlers';
import type { ImportEvent, ImportRequest } from './import-protocol';

const FIX = new URL('../testing/import-fixtures/', import.meta.url);
const file = (name: string) => new File([readFileSync(new URL(name, FIX))], name);
const handler = importHandlers['models.import'] as unknown as (p: ImportRequest, ctx: { signal: AbortSignal; emit(e: unknown): void }) => Promise<unknown>;

before(async () => { await useNodeBackend('wasm'); });

test('progress in bytes while reading, then converting; without IndexedDB the import fails with why, and frees its tensors', async () => {
  const events: ImportEvent[] = [];
  const before = tf.memory().numTensors;
  await assert.rejects(
    handler({ files: [file('tiny-torchvision-vgg-legacy.pth')], id: 'tv' }, { signal: new AbortController().signal, emit: (e) => events.push(e as ImportEvent) }),
    /refused to keep the imported model .* in IndexedDB/,
  );
  assert.equal(tf.memory().numTensors, before);
  const reads = events.filter((e) => e.phase === 'read');
  assert.ok(reads.length > 3);
  assert.ok(reads.every((e, i) => i === 0 || e.bytes >= reads[i - 1]!.bytes), 'bytes only grow');
  assert.equal(reads[reads.length - 1]!.bytes, reads[0]!.totalBytes);
  const last = events.filter((e) => e.phase === 'convert').pop()!;
  assert.ok(last.totalLayers! > 5 && last.layers === last.totalLayers, 'layers converted are reported');
});

test('cancel: an aborted import rejects as an AbortError and keeps nothing', async () => {
  const ctl = new AbortController();
  ctl.abort();
  const before = tf.memory().numTensors;
  await assert.rejects(handler({ files: [file('tiny-torchvision-vgg.pth')], id: 'tv' }, { signal: ctl.signal, emit: () => undefined }), (e: Error) => e.name === 'AbortError' && /cancelled/.test(e.message));
  assert.equal(tf.memory().numTensors, before);
});

test('a decoder alone, or a wrong file, is refused with what was expected', async () => {
  const ctx = { signal: new AbortController().signal, emit: () => undefined };
  await assert.rejects(handler({ files: [file('tiny-adain-decoder.pth')], id: 'd' }, ctx), /decoder alone is not a model.*vgg_normalised/);
  await assert.rejects(handler({ files: [file('tiny-resnet.pth')], id: 'r' }, ctx), /ResNet\?.*expected a torchvision VGG/);
});
