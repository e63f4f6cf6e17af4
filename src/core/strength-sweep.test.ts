/** The strength sweep on the committed style-world model (64 px, fast): strengths, random control, tables, no leaks. */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { loadStyleWorldClassifier } from '../testing/style-world-classifier';
import { renderBatch, TRAIN_FAMILIES } from '../data/style-world';
import { classify, type Classifier } from './attack';
import { epsStrengths, paperStrengths, randomDeltaValues, sweep, sweepRecord, sweepTable, type StrengthSweepCell, type StrengthSweepRecord, type StrengthSweepStart } from './strength-sweep';
import type { Network } from '../models/network';

let c: Classifier, decoder: Network;

before(async () => {
  await tf.setBackend('cpu');
  ({ c, decoder } = await loadStyleWorldClassifier());
});

const images = (n: number, start = 0) => {
  const b = renderBatch(TRAIN_FAMILIES, 5, 'sweep', start, n);
  return { x: tf.tensor4d(b.pixels, [n, 64, 64, 3]), labels: b.labels };
};

async function runAll(req: Parameters<typeof sweep>[1]): Promise<{ start: StrengthSweepStart; cells: StrengthSweepCell[] }> {
  let start: StrengthSweepStart | null = null;
  const cells: StrengthSweepCell[] = [];
  for await (const cell of sweep(c, req, { onStart: (s) => { start = s; } })) cells.push(cell);
  return { start: start!, cells };
}

test("the paper's strengths: τ = 0.2, m = 1…8, ε = m·τ − 0.1; an ε grid keeps m and τ; bad strengths are refused", () => {
  const p = paperStrengths();
  assert.deepEqual(p.map((s) => s.steps), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(p.map((s) => s.eps), [0.1, 0.3, 0.5, 0.7, 0.9, 1.1, 1.3, 1.5]);
  assert.ok(p.every((s) => s.tau === 0.2));
  assert.deepEqual(epsStrengths([0, 0.5], 0.2, 6), [{ eps: 0, tau: 0.2, steps: 6 }, { eps: 0.5, tau: 0.2, steps: 6 }]);
  assert.throws(() => epsStrengths([0.3, -1], 0.2, 6), /ε \(eps\) = -1/);
  assert.throws(() => epsStrengths([], 0.2, 6), /empty/);
});

test('random δ: uniform in [1 − ε, 1 + ε], the same draw for the same seed and image at every ε, another for another image', () => {
  const a = randomDeltaValues(64, 0.5, 1, 'a.png', 0);
  const values = [...a.mu, ...a.sigma];
  assert.ok(values.every((v) => v >= 0.5 && v <= 1.5), 'within the bound');
  assert.ok(Math.max(...values) > 1.4 && Math.min(...values) < 0.6, 'spread over the whole interval');
  assert.deepEqual(randomDeltaValues(64, 0.5, 1, 'a.png', 0), a);
  const wide = randomDeltaValues(64, 1, 1, 'a.png', 0);
  wide.mu.forEach((v, i) => assert.ok(Math.abs((v - 1) - 2 * (a.mu[i]! - 1)) < 1e-5, 'one direction, scaled by ε'));
  assert.notDeepEqual(randomDeltaValues(64, 0.5, 1, 'b.png', 0).mu, a.mu);
  assert.notDeepEqual(randomDeltaValues(64, 0.5, 1, 'a.png', 1).mu, a.mu);
  assert.notDeepEqual(randomDeltaValues(64, 0.5, 2, 'a.png', 0).mu, a.mu);
});

test('feature mode: ε = 0 is the clean prediction; the adversarial δ lowers p(true class) more than random δ of the same ε', async () => {
  const strengths = epsStrengths([0, 0.5, 1.1], 0.2, 4);
  const records: StrengthSweepRecord[] = [];
  for (let i = 0; i < 4; i++) {
    const { x, labels } = images(1, i);
    const { start, cells } = await runAll({ images: x, mode: 'feature', decoder: null, strengths, labels, randomDraws: 3, seed: 1, key: `img${i}` });
    x.dispose();
    assert.deepEqual(cells.map((cl) => cl.index), [0, 1, 2], 'one cell per strength, in order');
    assert.ok(cells.every((cl) => cl.random.length === 3 && !cl.adversarial.image));
    cells[0]!.adversarial.probs.forEach((p, k) => assert.ok(Math.abs(p - start.cleanProbs[k]!) < 1e-5, 'ε = 0: δ = 1'));
    cells[0]!.random.forEach((r) => r.probs.forEach((p, k) => assert.ok(Math.abs(p - start.cleanProbs[k]!) < 1e-5)));
    records.push(sweepRecord(`img${i}`, labels[0]!, start, cells));
  }
  const t = sweepTable(strengths, records);
  assert.equal(t.n, 4);
  assert.deepEqual(t.eps, [0, 0.5, 1.1]);
  assert.equal(t.adversarial[0], t.clean);
  assert.equal(t.random[0], t.clean);
  for (const i of [1, 2]) assert.ok(t.adversarial_p[i]! < t.random_p[i]!, `ε ${t.eps[i]}: adversarial p ${t.adversarial_p[i]} vs random ${t.random_p[i]}`);
  assert.ok(t.adversarial_p[2]! < t.adversarial_p[0]! - 0.2, `PGD at ε 1.1 moves p(true): ${t.adversarial_p}`);
});

test('image mode: every probability is that of the decoded image shown', async () => {
  const { x, labels } = images(1, 7);
  const { cells } = await runAll({ images: x, mode: 'image', decoder, strengths: epsStrengths([0.7], 0.3, 2), labels, randomDraws: 2, seed: 3, key: 'k', decode: { adversarial: true, random: 2 } });
  x.dispose();
  for (const o of [cells[0]!.adversarial, ...cells[0]!.random]) {
    assert.deepEqual(o.image!.shape, [1, 64, 64, 3]);
    const img = tf.tensor4d(o.image!.data, [1, 64, 64, 3]);
    const p = classify(c, img);
    const d = await p.data();
    tf.dispose([img, p]);
    d.forEach((v, k) => assert.ok(Math.abs(v - o.probs[k]!) < 1e-4, `class ${k}: ${v} vs ${o.probs[k]}`));
  }
});

test('the tensor count stays flat over sweeps, a cancelled sweep included', async () => {
  const { x, labels } = images(2, 3); // a batch of two sharing δ
  const req = { images: x, mode: 'feature' as const, decoder, strengths: epsStrengths([0.3, 0.9], 0.2, 2), labels, randomDraws: 2, seed: 1, key: 'b', decode: { adversarial: true } };
  await runAll(req); // warm-up
  const before = tf.memory().numTensors;
  const { cells } = await runAll(req);
  assert.deepEqual(cells[1]!.adversarial.image!.shape, [2, 64, 64, 3]);
  assert.ok(!cells[1]!.random[0]!.image, "random draws are not decoded");
  assert.equal(tf.memory().numTensors, before);
  const ctrl = new AbortController();
  const it = sweep(c, req, { signal: ctrl.signal });
  await it.next();
  ctrl.abort();
  await assert.rejects(it.next(), { name: 'AbortError' });
  await it.return();
  assert.equal(tf.memory().numTensors, before, 'a cancelled sweep leaks nothing');
  await assert.rejects(runAll({ ...req, labels: [0] }), /1 labels for a batch of 2/);
  await assert.rejects(runAll({ ...req, labels: [0, 99] }), /Label 99 is not a class index/);
  await assert.rejects(runAll({ ...req, decoder: null }), /need a decoder/);
  assert.equal(tf.memory().numTensors, before, 'errors leak nothing');
  x.dispose();
});

test('the accuracy table: % top-1 against the truth per strength, random over every draw; record order does not matter', () => {
  const s = epsStrengths([0, 1], 0.2, 3);
  const r = (file: string, truth: number, clean: number, adv: number[], rnd: number[][]): StrengthSweepRecord => ({ file, truth, clean, adversarial: adv, random: rnd, adversarial_p: [0.9, 0.1], random_p: [0.9, 0.5] });
  const records = [r('b', 1, 1, [1, 0], [[1, 1], [1, 2]]), r('a', 2, 2, [2, 2], [[2, 2], [0, 0]]), r('c', 0, 1, [1, 1], [[1, 1], [0, 1]])];
  const t = sweepTable(s, records);
  assert.deepEqual({ eps: t.eps, adversarial: t.adversarial, random: t.random, n: t.n, clean: t.clean },
    { eps: [0, 1], adversarial: [66.67, 33.33], random: [66.67, 33.33], n: 3, clean: 66.67 });
  assert.deepEqual(sweepTable(s, [...records].reverse()), t);
  assert.throws(() => sweepTable(epsStrengths([0], 0.2, 3), records), /has 2 strengths, the table 1/);
});
