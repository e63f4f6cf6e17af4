import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { perturbFeatures } from './advbn';
import { crossEntropy } from './loss';
import { ablationEps, pgd, PgdAbortedError, runPgd, validatePgdSettings } from './pgd';
import { attack, makeObjective } from './attack';
import { split } from '../models/network';
import { tinyConvNet } from '../testing/tiny-net';
import { countTransfers } from '../backend/transfer-counter';

before(async () => { await tf.setBackend('cpu'); });

const x = () => tf.randomUniform([1, 8, 8, 3], 0, 1, 'float32', 11) as tf.Tensor4D;

test('∂L/∂δ matches central finite differences on a tiny conv net', async () => {
  const net = tinyConvNet(3);
  const s = split(net, 'conv1');
  const f = s.encode(x());
  const labels = [2];
  const loss = (dMu: tf.Tensor1D, dSigma: tf.Tensor1D) => crossEntropy(s.head(perturbFeatures(f, dMu, dSigma, s.relu)), labels);
  const dMu0 = tf.tensor1d([0.9, 1.1, 1.05, 0.8]);
  const dSigma0 = tf.tensor1d([1.2, 0.7, 1.0, 1.3]);
  const [gMu, gSigma] = tf.grads((a: tf.Tensor, b: tf.Tensor) => loss(a as tf.Tensor1D, b as tf.Tensor1D))([dMu0, dSigma0]);
  const analytic = [...(await gMu!.data()), ...(await gSigma!.data())];
  const base = [...(await dMu0.data()), ...(await dSigma0.data())];
  const h = 1e-2; // float32: smaller steps drown in rounding
  for (let i = 0; i < 8; i++) {
    const at = (delta: number) => {
      const v = base.slice();
      v[i]! += delta;
      const l = loss(tf.tensor1d(v.slice(0, 4)), tf.tensor1d(v.slice(4)));
      return l.dataSync()[0]!;
    };
    const numeric = (at(h) - at(-h)) / (2 * h);
    assert.ok(Math.abs(numeric - analytic[i]!) < 2e-3 + 5e-2 * Math.abs(numeric), `component ${i}: analytic ${analytic[i]} vs numeric ${numeric}`);
  }
});

test('the loss rises over the PGD steps (untargeted) and falls (targeted)', async () => {
  const net = tinyConvNet(5);
  const c = { split: split(net, 'conv2'), preprocessing: 'unit' as const };
  const img = x();
  const r = await attack(c, { images: img, mode: 'feature', decoder: null, settings: { eps: 1.1, tau: 0.2, steps: 6 } });
  const losses = r.reports.map((s) => s.loss);
  assert.equal(r.reports.length, 7);
  assert.ok(losses[6]! > losses[0]! + 0.1, `loss did not rise: ${losses.join(', ')}`);
  const t = await attack(c, { images: img, mode: 'feature', decoder: null, settings: { eps: 1.1, tau: 0.2, steps: 6 }, label: (r.labels[0]! + 1) % 5, targeted: true });
  const tl = t.reports.map((s) => s.loss);
  assert.ok(tl[6]! < tl[0]!, `targeted loss did not fall: ${tl.join(', ')}`);
});

test('the tensor count is the same before and after a PGD run (and after a cancelled one)', async () => {
  const net = tinyConvNet(7);
  const c = { split: split(net, 'conv1'), preprocessing: 'unit' as const };
  const img = x();
  await attack(c, { images: img, mode: 'feature', decoder: null, settings: { eps: 1.1, tau: 0.2, steps: 3 } }); // warm-up
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) await attack(c, { images: img, mode: 'feature', decoder: null, settings: { eps: 0.5, tau: 0.1, steps: 4 } });
  assert.equal(tf.memory().numTensors, before);
  const ctrl = new AbortController();
  const f = c.split.encode(img);
  const beforeCancel = tf.memory().numTensors;
  await assert.rejects(runPgd(f, true, makeObjective(c, 'feature', null), { labels: [0], targeted: false }, { eps: 1, tau: 0.1, steps: 10 }, { signal: ctrl.signal }, (r) => { if (r.step === 2) ctrl.abort(); }), PgdAbortedError);
  assert.equal(tf.memory().numTensors, beforeCancel);
  // Stopping iteration early (a UI moving on) also frees everything.
  const it = pgd(f, true, makeObjective(c, 'feature', null), { labels: [0], targeted: false }, { eps: 1, tau: 0.1, steps: 10 });
  await it.next();
  await it.return(undefined as never);
  assert.equal(tf.memory().numTensors, beforeCancel);
  f.dispose();
});

test('a batch shares one δ: its length is the channel count, not N × C', async () => {
  const net = tinyConvNet(9);
  const c = { split: split(net, 'conv1'), preprocessing: 'unit' as const };
  const imgs = tf.randomUniform([3, 8, 8, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
  const r = await attack(c, { images: imgs, mode: 'feature', decoder: null, settings: { eps: 1.1, tau: 0.2, steps: 2 } });
  assert.equal(r.delta.mu.length, 4);
  assert.equal(r.labels.length, 3);
  assert.equal(r.reports[0]!.probs.length, 3 * 5);
});

test('one device → CPU read per step: probabilities, loss, δ and the image come back together, each in its own buffer', async () => {
  const net = tinyConvNet(4);
  const c = { split: split(net, 'conv1'), preprocessing: 'unit' as const };
  const f = c.split.encode(x());
  // An objective that also gives an image (here the perturbed features' first three channels).
  const objective = (fAdv: tf.Tensor) => ({ logits: c.split.head(fAdv), image: tf.slice(fAdv, [0, 0, 0, 0], [-1, -1, -1, 3]) });
  const counter = countTransfers();
  const reads: number[] = [];
  let last = 0;
  try {
    const { reports, delta } = await runPgd(f, true, objective, { labels: [1], targeted: false }, { eps: 1.1, tau: 0.2, steps: 3 }, { images: true }, () => {
      const n = counter.counts().reads;
      reads.push(n - last);
      last = n;
    });
    tf.dispose([delta.mu, delta.sigma]);
    assert.deepEqual(reads, [1, 1, 1, 1]);
    const r = reports[2]!;
    assert.equal(r.probs.length, 5);
    assert.equal(r.deltaMu.length, 4);
    assert.equal(r.image!.data.length, r.image!.shape.reduce((a, b) => a * b, 1));
    assert.ok(Math.abs(r.probs.reduce((a, b) => a + b, 0) - 1) < 1e-5);
    assert.ok(r.deltaMu.every((v) => v >= -0.1 - 1e-6 && v <= 2.1 + 1e-6));
    // Separate buffers: the worker transfers each one to the page.
    for (const a of [r.probs, r.deltaMu, r.deltaSigma, r.image!.data]) assert.equal(a.buffer.byteLength, a.byteLength);
  } finally {
    counter.stop();
    f.dispose();
  }
});

test('a display-only decoder runs outside the step: the step never asks for the image, the report shows it at that step\'s δ, timed apart', async () => {
  const net = tinyConvNet(4);
  const c = { split: split(net, 'conv1'), preprocessing: 'unit' as const };
  const f = c.split.encode(x());
  const tensors = tf.memory().numTensors;
  const asked: boolean[] = [];
  let shown = 0;
  const display = (fAdv: tf.Tensor) => { shown++; return tf.slice(fAdv, [0, 0, 0, 0], [-1, -1, -1, 3]); };
  const objective = Object.assign((fAdv: tf.Tensor, wantImage = true) => {
    asked.push(wantImage);
    return { logits: c.split.head(fAdv), image: wantImage ? display(fAdv) : undefined };
  }, { display });
  const { reports, delta } = await runPgd(f, true, objective, { labels: [1], targeted: false }, { eps: 1.1, tau: 0.2, steps: 3 }, { images: true });
  assert.deepEqual(asked, [false, false, false, false], 'the step itself never decodes');
  assert.equal(shown, 4, 'one display per reported state');
  for (const r of reports) {
    assert.ok(r.image, `step ${r.step} has its image`);
    assert.ok(r.decodeMs >= 0 && r.ms >= 0);
    // The image is the display of f_adv at this report's δ (before that step's update).
    const want = tf.tidy(() => display(perturbFeatures(f, tf.tensor1d(r.deltaMu), tf.tensor1d(r.deltaSigma), true)));
    const w = await want.data();
    want.dispose();
    assert.ok(w.every((v, i) => Math.abs(v - r.image!.data[i]!) < 1e-5), `step ${r.step}: the image matches its δ`);
  }
  tf.dispose([delta.mu, delta.sigma]);
  assert.equal(tf.memory().numTensors, tensors, 'no tensor left behind');
  f.dispose();
});

test('bad settings are rejected with a message naming them', () => {
  assert.throws(() => validatePgdSettings({ eps: NaN, tau: 0.2, steps: 6 }), /ε/);
  assert.throws(() => validatePgdSettings({ eps: 1, tau: -1, steps: 6 }), /τ/);
  assert.throws(() => validatePgdSettings({ eps: 1, tau: 0.2, steps: 2.5 }), /m \(steps\)/);
  assert.throws(() => validatePgdSettings({ eps: Infinity, tau: 0.2, steps: 1 }), /ε/);
  assert.doesNotThrow(() => validatePgdSettings({ eps: 1.1, tau: 0.2, steps: 0 }));
});

test('the ablation coupling ε = m·τ − 0.1 gives the paper default 1.1', () => {
  assert.equal(ablationEps(6, 0.2), 1.1);
  assert.equal(ablationEps(0, 0.2), 0);
});

test('image mode without a decoder is a clear error', () => {
  const c = { split: split(tinyConvNet(1), 'conv1'), preprocessing: 'unit' as const };
  assert.throws(() => makeObjective(c, 'image', null), /decoder/);
});

test('final: false skips the forward pass at the last δ: m reports (δ = 1 … after m − 1 updates), the same δ, one objective call fewer, no tensor left', async () => {
  const net = tinyConvNet(9);
  const s = split(net, 'conv2');
  const f = s.encode(x());
  let calls = 0;
  const objective = (fa: tf.Tensor) => { calls++; return { logits: s.head(fa) }; };
  const settings = { eps: 1.1, tau: 0.2, steps: 4 };
  const full = await runPgd(f, true, objective, { labels: [1], targeted: false }, settings, { images: false });
  const fullCalls = calls;
  calls = 0;
  const before = tf.memory().numTensors;
  const short = await runPgd(f, true, objective, { labels: [1], targeted: false }, settings, { images: false, final: false });
  assert.equal(tf.memory().numTensors, before + 2, 'only the returned δ (μ and σ) is left');
  assert.equal(full.reports.length, 5);
  assert.equal(short.reports.length, 4);
  assert.equal(calls, fullCalls - 1);
  short.reports.forEach((r, i) => assert.equal(r.loss, full.reports[i]!.loss, `step ${i}`));
  assert.deepEqual(await short.delta.mu.data(), await full.delta.mu.data());
  assert.deepEqual(await short.delta.sigma.data(), await full.delta.sigma.data());
  tf.dispose([f, full.delta.mu, full.delta.sigma, short.delta.mu, short.delta.sigma]);
});
