import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatInterval, intervalVerdict, pairedBootstrap, withinNoise } from './bootstrap';

test('paired bootstrap on hand-made cases: a sure gain, a coin flip, the seed level, the mean target', () => {
  // A right on both images, B on neither, in both seeds: every resample gives +100.
  const sure = pairedBootstrap({ a: [[1, 1], [1, 1]] }, []);
  assert.deepEqual(sure.sets.a, { delta: 100, lo: 100, hi: 100 });
  assert.equal(sure.meanTarget, null);
  // One seed, two images, d = +1 and −1: a resample's Δ is +100 (¼), 0 (½) or −100 (¼) → interval [−100, 100].
  const flip = pairedBootstrap({ a: [[1, -1]] }, ['a'], 4000, 7);
  assert.deepEqual(flip.sets.a, { delta: 0, lo: -100, hi: 100 });
  assert.ok(withinNoise(flip.sets.a!));
  assert.match(intervalVerdict(flip.sets.a!), /^within noise/);
  // Seeds disagree (seed 1: +50 on every resample of its images, seed 2: −50): the seed draw alone spans ±50.
  const seeds = pairedBootstrap({ a: [[1, 0], [-1, 0]] }, []);
  assert.equal(seeds.sets.a!.delta, 0);
  assert.ok(seeds.sets.a!.lo <= -50 + 1e-9 && seeds.sets.a!.hi >= 50 - 1e-9, formatInterval(seeds.sets.a!));
  // Mean target: the mean of the two sets' Δ; set x always +100, set y always 0 → +50 exactly; z (not a target) aside.
  const mt = pairedBootstrap({ x: [[1, 1, 1]], y: [[0, 0, 0]], z: [[-1, -1, -1]] }, ['x', 'y']);
  assert.deepEqual(mt.meanTarget, { delta: 50, lo: 50, hi: 50 });
  assert.deepEqual(mt.sets.z, { delta: -100, lo: -100, hi: -100 });
  assert.match(intervalVerdict(mt.sets.z!), /loss beyond the noise/);
  assert.match(intervalVerdict(mt.meanTarget!), /gain beyond the noise/);
  assert.equal(formatInterval({ delta: 1.26, lo: -0.4, hi: 3 }), '+1.3 [−0.4, +3.0]');
  // Deterministic for a seed.
  assert.deepEqual(pairedBootstrap({ a: [[1, 0, -1, 1]] }, []), pairedBootstrap({ a: [[1, 0, -1, 1]] }, []));
  assert.throws(() => pairedBootstrap({ a: [[1], [1]], b: [[1]] }, []), /Set b has 1 seeds, a 2/);
  assert.throws(() => pairedBootstrap({ a: [[1]] }, ['q']), /Target q is not among the sets/);
});
