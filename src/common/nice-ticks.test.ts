import { test } from 'node:test';
import assert from 'node:assert/strict';
import { niceTicks } from './nice-ticks';

test('niceTicks: steps of 1, 2 or 5 × 10^k from 0 past the maximum, labels distinct', () => {
  const empty = niceTicks(0.105);
  assert.deepEqual(empty.ticks, [0, 0.05, 0.1, 0.15]);
  assert.deepEqual(empty.ticks.map(empty.label), ['0.00', '0.05', '0.10', '0.15']);
  assert.deepEqual(niceTicks(2.4).ticks, [0, 1, 2, 3]);
  assert.deepEqual(niceTicks(2.4).ticks.map(niceTicks(2.4).label), ['0', '1', '2', '3']);
  assert.deepEqual(niceTicks(0.7).ticks, [0, 0.2, 0.4, 0.6, 0.8]);
  for (const max of [0.003, 0.0999, 0.5, 1, 1.9, 7, 33, 1000]) {
    const t = niceTicks(max);
    assert.ok(t.top >= max && t.ticks.length >= 2 && t.ticks.length <= 6, `${max}: ${t.ticks}`);
    assert.equal(new Set(t.ticks.map(t.label)).size, t.ticks.length, `${max}: ${t.ticks.map(t.label)}`);
  }
});
