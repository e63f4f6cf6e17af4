import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  HELDOUT_FAMILIES, IMAGE_SIZE, NUM_CLASSES, renderBatch, renderItem, STYLE_FAMILIES, TRAIN_FAMILIES, testSets, trainSet,
} from './style-world';
import { CORRUPTIONS } from './corruptions';

const PER = IMAGE_SIZE * IMAGE_SIZE * 3;

test('same seed and index → identical pixels; different seeds or indices differ', () => {
  const a = renderBatch(TRAIN_FAMILIES, 7, 'train', 0, 10);
  const b = renderBatch(TRAIN_FAMILIES, 7, 'train', 0, 10);
  assert.deepEqual(a.labels, b.labels);
  assert.ok(a.pixels.every((v, i) => v === b.pixels[i]), 'same seed must give identical pixels');
  const c = renderBatch(TRAIN_FAMILIES, 8, 'train', 0, 10);
  let diff = 0;
  for (let i = 0; i < a.pixels.length; i++) diff += Math.abs(a.pixels[i]! - c.pixels[i]!);
  assert.ok(diff / a.pixels.length > 0.05, `different seeds must give different images (mean |Δ| = ${diff / a.pixels.length})`);
  const d = renderBatch(TRAIN_FAMILIES, 7, 'clean', 0, 10);
  assert.ok(d.pixels.some((v, i) => v !== a.pixels[i]), 'different set names must give different images');
});

test('pixels are RGB in [0, 1], shape visible (not a flat image), classes balanced', () => {
  const { pixels, labels } = renderBatch(TRAIN_FAMILIES, 1, 'train', 0, 20);
  assert.equal(pixels.length, 20 * PER);
  assert.ok(pixels.every((v) => v >= 0 && v <= 1));
  for (let k = 0; k < 20; k++) {
    const img = pixels.subarray(k * PER, (k + 1) * PER);
    let lo = 1, hi = 0;
    for (const v of img) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    assert.ok(hi - lo > 0.1, `image ${k} is nearly flat`);
  }
  for (let c = 0; c < NUM_CLASSES; c++) assert.equal(labels.filter((l) => l === c).length, 2);
});

test('training and held-out style families are disjoint, and sets draw only from their families', () => {
  assert.ok(TRAIN_FAMILIES.length >= 3 && HELDOUT_FAMILIES.length >= 3);
  for (const f of HELDOUT_FAMILIES) assert.ok(!TRAIN_FAMILIES.includes(f), `${f} is in both`);
  assert.equal(new Set(STYLE_FAMILIES.map((f) => f.name)).size, STYLE_FAMILIES.length);
  const tmp = new Float32Array(PER);
  for (let i = 0; i < 40; i++) assert.ok(TRAIN_FAMILIES.includes(renderItem(trainSet().families, 3, 'train', i, tmp).family));
  for (const s of testSets().slice(1)) {
    assert.equal(s.families.length, 1);
    assert.ok(HELDOUT_FAMILIES.includes(s.families[0]!));
    assert.equal(renderItem(s.families, 3, s.name, 0, tmp).family, s.name);
  }
});

test('corruptions keep the range and change the image', () => {
  const { pixels } = renderBatch(TRAIN_FAMILIES, 2, 'clean', 0, 1);
  for (const c of CORRUPTIONS) {
    const out = c.apply(pixels, IMAGE_SIZE, 1);
    assert.equal(out.length, PER);
    assert.ok(out.every((v) => v >= 0 && v <= 1), c.name);
    let diff = 0;
    for (let i = 0; i < PER; i++) diff += Math.abs(out[i]! - pixels[i]!);
    assert.ok(diff / PER > 0.005, `${c.name} changed nothing`);
  }
});
