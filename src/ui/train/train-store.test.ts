import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_TRAIN_UI, runSettingsOf } from './train-store';

test('runSettingsOf gives the worker exactly the run settings, none of the page-only fields', () => {
  const s = { ...DEFAULT_TRAIN_UI, layer: 'block1_relu1', eps: 0.7, model: 'style-world', trainSize: 640, seed: 3 };
  const r = runSettingsOf(s);
  assert.deepEqual(Object.keys(r).sort(), ['advbn', 'batchSize', 'epochs', 'eps', 'layer', 'lr', 'pgdSteps', 'tau', 'testSize']);
  assert.equal(r.layer, 'block1_relu1');
  assert.equal(r.eps, 0.7);
});
