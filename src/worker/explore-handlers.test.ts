/**
 * The Explore worker handlers, run in Node on the CPU backend with the e2e fixture's tiny CNN and
 * decoder (read through the 'files' source, i.e. what a picked folder gives).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { filesOf } from '../testing/files-source';
import { exploreHandlers, type ImageResult, type ModelResult, type RunEvent, type RunRequest, type RunResult, type StepEvent, type StrengthSweepCellEvent, type StrengthSweepEvent, type StrengthSweepRequest, type StrengthSweepResult, type ShiftsResult } from './explore-handlers';
import type { HandlerMap } from './protocol';
import { parseRegistry } from '../common/registry';
import { writeTinyModelFolder } from '../../e2e/fixtures';

let dir = '';
before(async () => {
  await tf.setBackend('cpu');
  dir = writeTinyModelFolder();
});
after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

type Call = <R>(type: string, payload: unknown, opts?: { signal?: AbortSignal; events?: unknown[] }) => Promise<R>;
const call: Call = async (type, payload, opts = {}) => {
  const h = (exploreHandlers as HandlerMap)[type]!; // untyped on purpose: the tests send bad payloads too
  return h(payload as never, { signal: opts.signal ?? new AbortController().signal, emit: (p) => opts.events?.push(p) }) as never;
};

const baseRun: RunRequest = { layer: 'c2', decoder: true, mode: 'feature', settings: { eps: 1.1, tau: 0.2, steps: 3 }, label: null, targeted: false };

async function loadTinyWithImage() {
  const [entry] = parseRegistry(readFileSync(join(dir, 'index.json'), 'utf8'), 'index.json');
  const m = await call<ModelResult>('explore.model', { key: 'tiny', source: { kind: 'files', files: filesOf(dir) }, entry });
  const w = 48, h = 40;
  const rgba = new Uint8ClampedArray(w * h * 4).map((_, i) => (i % 4 === 3 ? 255 : (i * 37) % 256));
  const img = await call<ImageResult>('explore.image', { key: 'img1', rgba, width: w, height: h });
  return { m, img };
}

test('model, image and a run: m + 1 step events with images, probabilities and δ', async () => {
  const { m, img } = await loadTinyWithImage();
  assert.equal(m.classes, 10);
  assert.equal(m.inputSize, 32);
  assert.equal(img.crop.length, 32 * 32 * 4);
  assert.equal(img.cleanProbs.length, 10);
  const events: unknown[] = [];
  const r = await call<RunResult>('explore.run', baseRun, { events });
  const steps = (events as RunEvent[]).filter((e): e is StepEvent => e.kind === 'step');
  assert.equal(steps.length, 4);
  assert.deepEqual(steps.map((s) => s.step), [0, 1, 2, 3]);
  const top1 = img.cleanProbs.indexOf(Math.max(...img.cleanProbs));
  assert.equal(r.label, top1, 'default label: the clean top-1');
  for (const s of steps) {
    assert.equal(s.image?.length, 32 * 32 * 4);
    assert.equal(s.deltaMu.length, 16);
    assert.ok(Math.abs(s.probs.reduce((a, b) => a + b, 0) - 1) < 1e-4);
    assert.equal(s.attackedProb, s.probs[top1]);
  }
  // Step 0 is δ = 1; in feature mode its predictions are the clean ones (head(encoder(x)) = g(x)).
  assert.ok(steps[0]!.deltaMu.every((v) => v === 1));
  for (let k = 0; k < 10; k++) assert.ok(Math.abs(steps[0]!.probs[k]! - img.cleanProbs[k]!) < 1e-5);
  // δ stays within the bound, and the untargeted attack does not lower the loss.
  for (const s of steps) for (const v of [...s.deltaMu, ...s.deltaSigma]) assert.ok(v >= 1 - 1.1 - 1e-6 && v <= 1 + 1.1 + 1e-6);
  assert.ok(steps[3]!.loss >= steps[0]!.loss - 1e-6, `loss ${steps[0]!.loss} → ${steps[3]!.loss}`);
});

test('no tensors are left behind by runs (features and model stay cached)', async () => {
  await loadTinyWithImage();
  await call('explore.run', baseRun);
  const n1 = tf.memory().numTensors;
  for (let i = 0; i < 5; i++) await call('explore.run', { ...baseRun, mode: i % 2 ? 'image' : 'feature', settings: { eps: 0.5, tau: 0.1 * (i + 1), steps: i } });
  await call('explore.run', baseRun);
  assert.equal(tf.memory().numTensors, n1);
});

test('a cancelled run stops, leaks nothing, and the next run works', async () => {
  await loadTinyWithImage();
  await call('explore.run', baseRun);
  const n1 = tf.memory().numTensors;
  const ctrl = new AbortController();
  const events: unknown[] = [];
  const p = call('explore.run', { ...baseRun, settings: { eps: 1, tau: 0.2, steps: 20 } }, { signal: ctrl.signal, events });
  setTimeout(() => ctrl.abort(), 0);
  await assert.rejects(p, (e: Error) => e.name === 'AbortError');
  assert.ok(events.filter((e) => (e as RunEvent).kind === 'step').length < 21);
  assert.equal(tf.memory().numTensors, n1);
  const r = await call<RunResult>('explore.run', baseRun);
  assert.equal(r.steps, 3);
});

test('bad settings, labels and modes are refused with a clear message', async () => {
  await loadTinyWithImage();
  await assert.rejects(call('explore.run', { ...baseRun, settings: { eps: NaN, tau: 0.2, steps: 2 } }), /ε \(eps\) = NaN is invalid/);
  await assert.rejects(call('explore.run', { ...baseRun, settings: { eps: 1, tau: 0.2, steps: 2.5 } }), /m \(steps\)/);
  await assert.rejects(call('explore.run', { ...baseRun, label: 10 }), /Label 10 is not a class/);
  await assert.rejects(call('explore.run', { ...baseRun, decoder: false, mode: 'image' }), /Image mode needs a decoder for c2/);
  await assert.rejects(call('explore.run', { ...baseRun, layer: 'nope', decoder: false }), /Layer "nope" is not in/);
  // Targeted: pulls toward the class, so its probability does not fall.
  const events: unknown[] = [];
  await call('explore.run', { ...baseRun, label: 4, targeted: true, settings: { eps: 1.5, tau: 0.3, steps: 4 } }, { events });
  const steps = (events as RunEvent[]).filter((e): e is StepEvent => e.kind === 'step');
  assert.ok(steps[4]!.attackedProb >= steps[0]!.attackedProb - 1e-6);
});

const baseSweep: StrengthSweepRequest = {
  layer: 'c2', decoder: true, mode: 'feature', label: null, randomDraws: 2, seed: 1,
  strengths: [0, 0.5, 1.1].map((eps) => ({ eps, tau: 0.2, steps: 2 })),
};

test('explore.sweep: one cell per strength in order, decoded, p(label) beside random draws; cancellable; no leaks', async () => {
  const { img } = await loadTinyWithImage();
  await call('explore.sweep', baseSweep); // warm-up
  const n1 = tf.memory().numTensors;
  const events: unknown[] = [];
  const r = await call<StrengthSweepResult>('explore.sweep', { ...baseSweep, image: 'img1', model: 'tiny' }, { events });
  const top1 = img.cleanProbs.indexOf(Math.max(...img.cleanProbs));
  assert.equal(r.label, top1);
  assert.deepEqual((events as StrengthSweepEvent[]).map((e) => e.kind), ['sweep-start', 'cell', 'cell', 'cell']);
  const cells = (events as StrengthSweepEvent[]).filter((e): e is StrengthSweepCellEvent => e.kind === 'cell');
  assert.deepEqual(cells.map((c) => c.strength.eps), [0, 0.5, 1.1]);
  assert.ok(Math.abs(cells[0]!.p - img.cleanProbs[top1]!) < 1e-5, 'ε = 0: the clean p');
  for (const c of cells) {
    assert.equal(c.image?.length, 32 * 32 * 4);
    assert.equal(c.randomP.length, 2);
    assert.ok(c.p >= 0 && c.p <= 1 && c.randomP.every((v) => v >= 0 && v <= 1));
  }
  assert.equal(tf.memory().numTensors, n1);
  const ctrl = new AbortController();
  const seen: unknown[] = [];
  const p = call('explore.sweep', { ...baseSweep, strengths: Array.from({ length: 10 }, () => ({ eps: 1, tau: 0.2, steps: 5 })) }, { signal: ctrl.signal, events: seen });
  setTimeout(() => ctrl.abort(), 0);
  await assert.rejects(p, (e: Error) => e.name === 'AbortError');
  assert.ok(seen.filter((e) => (e as StrengthSweepEvent).kind === 'cell').length < 10);
  assert.equal(tf.memory().numTensors, n1, 'a cancelled sweep leaks nothing');
  await assert.rejects(call('explore.sweep', { ...baseSweep, strengths: [] }), /names no strength/);
  await assert.rejects(call('explore.sweep', { ...baseSweep, strengths: [{ eps: -1, tau: 0.2, steps: 2 }] }), /ε \(eps\) = -1/);
  await assert.rejects(call('explore.sweep', { ...baseSweep, label: 10 }), /Label 10 is not a class/);
  await assert.rejects(call('explore.sweep', { ...baseSweep, image: 'other' }), (e: Error) => e.name === 'AbortError');
  assert.equal(tf.memory().numTensors, n1);
});

test('explore.shifts: adversarial, random draws, AdaIN to a style image and a corruption, decoded; bad input refused; no leaks', async () => {
  const { img } = await loadTinyWithImage();
  const w = 20, h = 30;
  const style = { rgba: new Uint8ClampedArray(w * h * 4).map((_, i) => (i % 4 === 3 ? 255 : (i * 91) % 256)), width: w, height: h, alpha: 1 };
  const req = { layer: 'c2', decoder: true, mode: 'feature' as const, settings: { eps: 1.1, tau: 0.2, steps: 3 }, label: null, randomDraws: 3, seed: 1, style, corruption: { name: 'blur', severity: 3 } };
  await call('explore.shifts', req);
  const n1 = tf.memory().numTensors;
  const r = await call<ShiftsResult>('explore.shifts', req);
  assert.equal(tf.memory().numTensors, n1);
  assert.equal(r.label, img.cleanProbs.indexOf(Math.max(...img.cleanProbs)));
  assert.ok(Math.abs(r.clean.p - img.cleanProbs[r.label]!) < 1e-6);
  assert.equal(r.random.length, 3);
  for (const o of [r.adversarial, ...r.random, r.adain!, r.corrupted!]) {
    assert.equal(o.image?.length, 32 * 32 * 4);
    assert.ok(o.p >= 0 && o.p <= 1 && o.top1Prob >= o.p - 1e-6);
  }
  assert.equal(r.styleCrop?.length, 32 * 32 * 4);
  const none = await call<ShiftsResult>('explore.shifts', { ...req, style: null, corruption: null });
  assert.equal(none.adain, null);
  assert.equal(none.corrupted, null);
  await assert.rejects(call('explore.shifts', { ...req, corruption: { name: 'fog', severity: 2 } }), /"fog" is unknown/);
  await assert.rejects(call('explore.shifts', { ...req, style: { ...style, alpha: 2 } }), /α = 2 is not in \[0, 1\]/);
  await assert.rejects(call('explore.shifts', { ...req, style: { ...style, width: 3 } }), /style image has no pixels/);
  assert.equal(tf.memory().numTensors, n1);
});

test('a picked folder with missing weights is a clear error', async () => {
  const [entry] = parseRegistry(readFileSync(join(dir, 'index.json'), 'utf8'), 'index.json');
  const files = filesOf(dir);
  delete files['tiny/group1-shard1of1.bin'];
  await assert.rejects(
    call('explore.model', { key: 'broken', source: { kind: 'files', files }, entry }),
    /cannot read the weight shards.*not in the picked folder/,
  );
});
