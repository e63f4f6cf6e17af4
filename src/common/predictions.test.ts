import { test } from 'node:test';
import assert from 'node:assert/strict';
import { argmax, topK } from './predictions';

test('argmax: the index of the largest value, the first of equal ones, 0 for none', () => {
  assert.equal(argmax(new Float32Array([0.1, 0.7, 0.2])), 1);
  assert.equal(argmax([3, 1, 3]), 0);
  assert.equal(argmax([-2, -1, -3]), 1);
  assert.equal(argmax([]), 0);
});

test('argmax agrees with topK on the first class', () => {
  const p = new Float32Array([0.05, 0.1, 0.6, 0.25]);
  assert.equal(argmax(p), topK(p, 1, [])[0]!.index);
});
