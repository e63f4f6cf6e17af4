import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchedDeltaArrays, randomDeltaArrays } from './random-delta';
import { mulberry32 } from '../common/random';

test('the matched control keeps the adversary\'s sizes per channel (δμ and δσ apart), permuted, with random signs', () => {
  // A PGD-like δ: most channels at the bound ±0.5, a few inside.
  const adv = { mu: [1.5, 0.5, 1.5, 1.2, 0.5, 1.0, 1.5, 0.9], sigma: [0.5, 0.5, 0.5, 0.5, 1.5, 1.5, 1.1, 1.0] };
  const m = matchedDeltaArrays(adv, mulberry32(3));
  const sizes = (d: ArrayLike<number>) => Array.from(d, (v) => Math.round(Math.abs(v - 1) * 1e6) / 1e6).sort();
  assert.deepEqual(sizes(m.mu), sizes(adv.mu));
  assert.deepEqual(sizes(m.sigma), sizes(adv.sigma));
  // Direction: not the adversary's (a seeded draw that differs), and reproducible.
  assert.notDeepEqual([...m.mu], adv.mu.map(Math.fround));
  assert.deepEqual(matchedDeltaArrays(adv, mulberry32(3)), m);
  // Signs are random: over many draws each channel goes up and down about equally often.
  const rng = mulberry32(11);
  let up = 0, total = 0;
  for (let i = 0; i < 500; i++) for (const v of matchedDeltaArrays({ mu: [1.5, 0.5], sigma: [1.5, 1.5] }, rng).sigma) { total++; if (v > 1) up++; }
  assert.ok(Math.abs(up / total - 0.5) < 0.05, `fraction up ${up / total}`);
  assert.throws(() => matchedDeltaArrays({ mu: [1], sigma: [1, 1] }, rng), /δμ has 1 channels, δσ 2/);
});

test('the uniform control is smaller than a PGD δ at the bound: mean |δ − 1| ≈ ε/2', () => {
  const d = randomDeltaArrays(4096, 0.5, mulberry32(1));
  const mean = d.mu.reduce((a, v) => a + Math.abs(v - 1), 0) / d.mu.length;
  assert.ok(Math.abs(mean - 0.25) < 0.01, `mean |δ − 1| ${mean}`);
});
