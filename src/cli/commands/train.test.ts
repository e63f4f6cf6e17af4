/** `advbn train` end to end on the shipped style-world model (tiny settings). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { HELDOUT_FAMILIES } from '../../data/style-world';
import { CORRUPTIONS } from '../../data/corruptions';

const BIN = new URL('../../../bin/advbn.mjs', import.meta.url).pathname;
const ROOT = new URL('../../../', import.meta.url).pathname;
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 240_000, cwd: ROOT });

test('advbn train --json prints one object with before/after accuracy per test set', () => {
  const r = run('train', '--data', 'style-world', '--advbn', '--layer', 'block2_relu1', '--epochs', '1', '--train-size', '64', '--batch', '32',
    '--test-size', '10', '--pgd-steps', '1', '--seed', '3', '--json');
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1, 'exactly one JSON line on stdout');
  const out = JSON.parse(lines[0]!);
  const sets = ['clean', ...HELDOUT_FAMILIES, ...CORRUPTIONS.map((c) => c.name)];
  for (const k of ['before', 'after'] as const) {
    assert.deepEqual(Object.keys(out[k]).sort(), [...sets].sort());
    for (const v of Object.values(out[k]) as number[]) assert.ok(v >= 0 && v <= 1);
  }
  assert.equal(out.advbn, true);
  assert.equal(out.layer, 'block2_relu1');
  assert.equal(out.steps, 2);
  assert.equal(out.settings.pgd.steps, 1);
  assert.ok(out.divergence.before.block3_relu1.style > 0);
  assert.ok(out.timings.trainSeconds > 0);
  assert.equal(out.curve.length, 2);
  assert.ok(out.curve[0].advLoss !== null);
});

test('advbn train: clear errors for a bad layer, bad data and unknown options', () => {
  const bad = run('train', '--data', 'style-world', '--layer', 'nope', '--train-size', '32', '--test-size', '2');
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /Layer "nope" is not in/);
  const data = run('train', '--data', 'imagenet');
  assert.equal(data.status, 2);
  assert.match(data.stderr, /--data must be style-world or a domains folder \(DIR\/<domain>\/<class>\/<image>\); imagenet is not a folder/);
  const unknown = run('train', '--data', 'style-world', '--bogus', '1');
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /Unknown option\(s\): --bogus/);
});

test('advbn train --compare --seeds 2 --json: plain and AdvBN per seed, one summary with mean ± std and Δ', () => {
  const r = run('train', '--data', 'style-world', '--compare', '--seeds', '2', '--layer', 'block2_relu1', '--epochs', '1', '--train-size', '32', '--batch', '16',
    '--test-size', '10', '--pgd-steps', '1', '--no-divergence', '--json');
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim());
  assert.deepEqual(out.seeds, [1, 2]);
  assert.equal(out.runs.length, 2);
  assert.equal(out.steps, 2);
  for (const run of out.runs) {
    assert.equal(run.curve.plain.length, 2);
    assert.equal(run.curve.advbn.length, 2);
    assert.equal(run.curve.plain[0].advLoss, null, 'the plain arm has no AdvBN term');
    assert.ok(run.curve.advbn[0].advLoss !== null);
    // Same base, same first batch: the clean loss before the first update is the same in both arms.
    assert.equal(run.curve.plain[0].cleanLoss, run.curve.advbn[0].cleanLoss);
  }
  const mean = out.summary.find((x: { set: string }) => x.set === 'mean held-out style');
  assert.equal(mean.plain.n, 2);
  const p = out.runs.map((x: { plain: { meanStyle: number } }) => x.plain.meanStyle);
  const a = out.runs.map((x: { advbn: { meanStyle: number } }) => x.advbn.meanStyle);
  assert.ok(Math.abs(mean.plain.mean - (p[0] + p[1]) / 2) < 1e-9);
  assert.ok(Math.abs(mean.delta.mean - ((a[0] - p[0]) + (a[1] - p[1])) / 2) < 1e-9);
  assert.match(out.table, /\| \*\*mean held-out style\*\* \|/);
  const noCompare = run('train', '--data', 'style-world', '--seeds', '3');
  assert.equal(noCompare.status, 2);
  assert.match(noCompare.stderr, /--seeds needs --compare/);
});
