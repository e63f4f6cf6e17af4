import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_TRAIN_UI, parseSweepM, runSettingsOf, trainSettingsFromParams, trainSettingsToParams } from './train-store';

test('runSettingsOf gives the worker exactly the run settings, none of the page-only fields', () => {
  const s = { ...DEFAULT_TRAIN_UI, layer: 'block1_relu1', eps: 0.7, model: 'style-world', trainSize: 640, seed: 3 };
  const r = runSettingsOf(s);
  assert.deepEqual(Object.keys(r).sort(), ['advbn', 'batchSize', 'epochs', 'eps', 'layer', 'lr', 'pgdSteps', 'tau', 'testSize']);
  assert.equal(r.layer, 'block1_relu1');
  assert.equal(r.eps, 0.7);
});

test('parseSweepM: the m sweep\'s list, or what is wrong with it', () => {
  assert.deepEqual(parseSweepM('0, 1,2,3,6'), [0, 1, 2, 3, 6]);
  assert.equal(parseSweepM('  '), null);
  assert.match((parseSweepM('1,2') as Error).message, /must start with 0/);
  assert.match((parseSweepM('0,x') as Error).message, /whole numbers from 0 to 20/);
  assert.match((parseSweepM('0,,2') as Error).message, /whole numbers/);
  assert.match((parseSweepM('0,21') as Error).message, /whole numbers/);
});

test('the m sweep keeps its URL parameter name (dSweep): saved links still work', () => {
  const s = trainSettingsFromParams(new URLSearchParams('data=domains&dSweep=0,1,2'));
  assert.equal(s.dMSweep, '0,1,2');
  assert.equal(trainSettingsToParams(s).get('dSweep'), '0,1,2');
  assert.equal(trainSettingsToParams(s).has('dMSweep'), false);
});
