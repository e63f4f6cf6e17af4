import { test } from 'node:test';
import assert from 'node:assert/strict';
import { comparisonMarkdown, meanStd, summarizeComparison, type AccuracyReport } from './compare-summary';

const rep = (clean: number, a: number, b: number, noise: number): AccuracyReport => ({
  accuracy: { clean, a, b, noise }, meanStyle: (a + b) / 2, meanCorruption: noise,
});

test('meanStd: sample standard deviation (n − 1), 0 for one value', () => {
  assert.deepEqual(meanStd([0.5]), { mean: 0.5, std: 0, n: 1 });
  const m = meanStd([1, 2, 3, 4]);
  assert.equal(m.mean, 2.5);
  assert.ok(Math.abs(m.std - Math.sqrt(5 / 3)) < 1e-12);
  assert.ok(Number.isNaN(meanStd([]).mean));
});

test('summarizeComparison: Δ is paired by seed, not the difference of the means of noisy arms alone', () => {
  const base = rep(0.9, 0.3, 0.5, 0.6);
  // Seed 2 is harder for both arms; AdvBN is exactly 4 points better on "a" in both seeds.
  const runs = [
    { plain: rep(0.92, 0.40, 0.50, 0.60), advbn: rep(0.91, 0.44, 0.50, 0.61) },
    { plain: rep(0.90, 0.20, 0.50, 0.60), advbn: rep(0.90, 0.24, 0.50, 0.59) },
  ];
  const rows = summarizeComparison(base, runs, { clean: 'clean', a: 'style', b: 'style', noise: 'corruption' });
  assert.deepEqual(rows.map((r) => r.set), ['clean', 'a', 'b', 'noise', 'mean held-out style', 'mean corruption']);
  const a = rows.find((r) => r.set === 'a')!;
  assert.ok(Math.abs(a.delta.mean - 0.04) < 1e-12);
  assert.ok(a.delta.std < 1e-12, 'the paired difference has no spread');
  assert.ok(a.plain.std > 0.1, 'each arm alone varies a lot over the seeds');
  assert.equal(rows.find((r) => r.set === 'noise')!.kind, 'corruption');
  assert.equal(rows.find((r) => r.set === 'mean held-out style')!.kind, 'mean');
  assert.ok(Math.abs(rows.find((r) => r.set === 'mean held-out style')!.delta.mean - 0.02) < 1e-12);
  const md = comparisonMarkdown(rows, [1, 2]);
  assert.match(md, /\| a \| 30\.0 \| 30\.0 ± 14\.1 \| 34\.0 ± 14\.1 \| \+4\.0 ± 0\.0 \|/);
  assert.throws(() => summarizeComparison(base, []), /at least one seed/);
});
