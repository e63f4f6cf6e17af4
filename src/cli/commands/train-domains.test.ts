/** `advbn train --data DIR` (a domains folder) end to end on a drawn fixture and a tiny VGG-shaped model. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, mkdirSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDomainsFixture, writeTinyDecoderFolder, writeTinyVggFolder } from '../../testing/domains-fixture';

const BIN = new URL('../../../bin/advbn.mjs', import.meta.url).pathname;
const ROOT = new URL('../../../', import.meta.url).pathname;
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 300_000, cwd: ROOT });

let dir = '';
const common = () => ['--model', join(dir, 'model'), '--size', '32', '--epochs', '1', '--batch', '8', '--pgd-steps', '1', '--cache-dir', join(dir, 'cache')];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'advbn-train-domains-'));
  writeDomainsFixture(join(dir, 'data'), 3);
  writeDomainsFixture(join(dir, 'extra'), 2, { clipart: ['dots'] });
  await writeTinyVggFolder(join(dir, 'model'));
  await writeTinyDecoderFolder(join(dir, 'decoder'));
  await writeTinyDecoderFolder(join(dir, 'decoder-pool'), 'block1_pool');
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('advbn train --data DIR --source photo --compare --seeds 2 --json: the issue\'s JSON, every arm, both branches, bootstrap intervals, cached features', () => {
  const r = run('train', '--data', join(dir, 'data'), '--source', 'photo', '--compare', '--seeds', '2', '--json', '--extra-test', join(dir, 'extra'), '--pictures', join(dir, 'pics'), '--decoder', join(dir, 'decoder'), ...common());
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1, 'exactly one JSON line on stdout');
  const out = JSON.parse(lines[0]!);
  assert.deepEqual(out.sets, ['source-val', 'neon', 'sketch', 'extra/clipart']);
  assert.deepEqual(Object.keys(out.arms), ['plain', 'advbn', 'advbn-clean-bn', 'advbn-aux-bn', 'random-uniform', 'random-uniform-clean-bn', 'random-uniform-aux-bn',
    'random-matched', 'random-matched-clean-bn', 'random-matched-aux-bn', 'mixstyle', 'dsu']);
  for (const arm of Object.values(out.arms) as Array<Record<string, { mean: number; std: number; seeds: number[] }>>) {
    for (const set of out.sets) {
      const s = arm[set]!;
      assert.equal(s.seeds.length, 2);
      for (const v of s.seeds) assert.ok(v >= 0 && v <= 100, `accuracy in %: ${v}`);
      assert.ok(Math.abs(s.mean - (s.seeds[0]! + s.seeds[1]!) / 2) < 0.011);
    }
  }
  // The rule: clean BNs on source-val, auxiliary BNs on targets and extras.
  assert.deepEqual(out.arms.advbn['source-val'], out.arms['advbn-clean-bn']['source-val']);
  assert.deepEqual(out.arms.advbn.sketch, out.arms['advbn-aux-bn'].sketch);
  assert.deepEqual(out.arms['random-matched']['extra/clipart'], out.arms['random-matched-aux-bn']['extra/clipart']);
  // The paired bootstrap: Δ against plain with its 95 % interval, per set and mean target; AdvBN against each control.
  const ci = out.bootstrap.vsPlain['random-matched'];
  assert.ok(ci.meanTarget.lo <= ci.meanTarget.delta && ci.meanTarget.delta <= ci.meanTarget.hi);
  assert.ok(Math.abs(ci.sets.sketch.delta - out.delta['random-matched'].sketch.mean) < 0.02);
  assert.deepEqual(Object.keys(out.bootstrap.vsAdvbn), ['random-uniform', 'random-matched', 'mixstyle', 'dsu']);
  assert.equal(out.predictions.dsu['2'].clean.sketch.length, out.labels.sketch.length);
  assert.equal(out.predictions.dsu['2'].aux, null);
  assert.deepEqual(out.settings.arms.mixstyle, 'mixstyle');
  assert.deepEqual(out.settings.arms['random-matched'].perturbation, 'random-matched');
  assert.deepEqual(out.delta.plain.sketch.seeds, [0, 0]);
  assert.equal(out.settings.source, 'photo');
  assert.deepEqual(out.settings.targets, ['neon', 'sketch']);
  assert.deepEqual(out.settings.seeds, [1, 2]);
  assert.ok(out.timing.plain.secondsPerEpoch > 0 && out.timing.advbn.trainSeconds.length === 2);
  assert.ok(out.timing.imagesEncoded > 0);
  assert.ok(out.seconds > 0);
  assert.equal(typeof out.meanTarget.advbn.mean, 'number');
  assert.equal(out.verdicts.length, 10);
  assert.match(out.verdicts[0], /^AdvBN vs plain, mean target accuracy: [+−]\d+\.\d \[[+−]\d+\.\d, [+−]\d+\.\d\] points \(Δ, 95 % paired bootstrap over 2 seeds/);
  assert.ok(out.verdicts.some((v: string) => v.startsWith('AdvBN vs random δ (matched sizes), mean target accuracy')));
  assert.ok(readdirSync(join(dir, 'cache')).some((f) => f.endsWith('.bin')), 'features are cached');
  assert.deepEqual(readdirSync(join(dir, 'pics')).sort(), ['advbn-batch.png', 'extra_clipart.png', 'neon.png', 'predictions.json', 'sketch.png']);
  const pics = JSON.parse(readFileSync(join(dir, 'pics', 'predictions.json'), 'utf8'));
  assert.equal(pics.sets.sketch.length, 24);
  assert.match(pics.sets.sketch[0].path, /^sketch\/[a-z]+\/\d\.png$/);
  // AdvBN on a source training batch, decoded: 8 images in three rows (images, m = 0, AdvBN), with both predictions.
  assert.equal(pics.advbnBatch.images.length, 8);
  assert.match(pics.advbnBatch.images[0].path, /^photo\//);
  assert.ok(pics.advbnBatch.pgdLoss[1] >= pics.advbnBatch.pgdLoss[0], `PGD raises the loss: ${pics.advbnBatch.pgdLoss}`);
  const png = readFileSync(join(dir, 'pics', 'advbn-batch.png'));
  assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [2 + 8 * (32 + 2), 2 + 3 * (32 + 10 + 2)]);

  // A second run reads every set from the cache and gives the same numbers.
  const again = run('train', '--data', join(dir, 'data'), '--source', 'photo', '--seeds', '2', '--json', '--extra-test', join(dir, 'extra'), ...common());
  assert.equal(again.status, 0, again.stderr);
  const out2 = JSON.parse(again.stdout);
  assert.equal(out2.timing.imagesEncoded, 0, 'nothing recomputed');
  assert.deepEqual(out2.arms, out.arms);
});

test('advbn train --pictures finds the decoder for the split in ./models/decoder-<layer> (as advbn bench does)', async () => {
  await writeTinyDecoderFolder(join(dir, 'models', 'decoder-block5_conv1'));
  const r = spawnSync(process.execPath, [BIN, 'train', '--data', join(dir, 'data'), '--seeds', '1', '--arms', 'plain,advbn', '--no-divergence', '--pictures', join(dir, 'pics-default'), ...common()],
    { encoding: 'utf8', timeout: 300_000, cwd: dir });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(readdirSync(join(dir, 'pics-default')).includes('advbn-batch.png'), r.stderr);
});

test('advbn train --sweep-m 0,1,2: one arm per strength (ε = m·τ − 0.1), curves per set', () => {
  const r = run('train', '--data', join(dir, 'data'), '--source', 'photo', '--sweep-m', '0,1,2', '--seeds', '1', '--json', '--no-divergence', ...common());
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(out.sweep.m, [0, 1, 2]);
  assert.deepEqual(out.sweep.eps, [0, 0.1, 0.3]);
  assert.equal(out.sweep.sets.sketch.mean.length, 3);
  assert.equal(out.sweep.sets['mean target'].mean.length, 3);
  assert.deepEqual(out.settings.arms.m2, { perturbation: 'adversarial', pgd: { tau: 0.2, steps: 2, eps: 0.3 } });
});

test('advbn train --data: bad folders and options fail with what was found and what was expected', () => {
  const bad = join(dir, 'bad');
  mkdirSync(bad, { recursive: true });
  writeDomainsFixture(bad, 1, { photo: ['flat'], sketch: ['sketch'] });
  const cls = readdirSync(join(bad, 'sketch'))[0]!;
  renameSync(join(bad, 'sketch', cls), join(bad, 'sketch', 'zebra'));
  const r1 = run('train', '--data', bad, ...common());
  assert.equal(r1.status, 1);
  assert.match(r1.stderr, /the domains do not share their classes \(photo lacks zebra; sketch lacks [a-z]+\)/);
  const r2 = run('train', '--data', join(dir, 'data'), '--source', 'painting', ...common());
  assert.equal(r2.status, 2);
  assert.match(r2.stderr, /--source painting is not a domain of .*; its domains: neon, photo, sketch/);
  const r3 = run('train', '--data', join(dir, 'nowhere'), ...common());
  assert.equal(r3.status, 2);
  assert.match(r3.stderr, /nowhere is not a folder/);
  const r4 = run('train', '--data', join(dir, 'data'), '--arms', 'advbn,plain', ...common());
  assert.equal(r4.status, 2);
  assert.match(r4.stderr, /--arms must start with plain/);
  const r7 = run('train', '--data', join(dir, 'data'), '--arms', 'plain,random', ...common());
  assert.equal(r7.status, 2);
  assert.match(r7.stderr, /--arms takes plain, advbn, random-uniform, random-matched, mixstyle, dsu; got "random"/);
  const r5 = run('train', '--data', join(dir, 'data'), '--pictures', join(dir, 'pics-bad'), '--decoder', join(dir, 'decoder-pool'), ...common());
  assert.equal(r5.status, 2);
  assert.match(r5.stderr, /decoder-pool decodes block1_pool, not the split layer block5_conv1/);
  // Regression: an --extra-test folder holding copies of the training photos (renamed) was accepted.
  const copy = join(dir, 'copy');
  cpSync(join(dir, 'data', 'photo'), join(copy, 'clipart'), { recursive: true });
  const copied = readdirSync(join(copy, 'clipart'))[0]!;
  renameSync(join(copy, 'clipart', copied, '0.png'), join(copy, 'clipart', copied, 'renamed.png'));
  const r6 = run('train', '--data', join(dir, 'data'), '--extra-test', join(dir, 'extra'), '--extra-test', copy, ...common());
  assert.equal(r6.status, 2, r6.stderr);
  const n = readdirSync(join(copy, 'clipart')).reduce((k, c) => k + readdirSync(join(copy, 'clipart', c)).length, 0);
  assert.match(r6.stderr, new RegExp(`--extra-test .*copy: ${n} images are byte for byte a training image of .*data \\(clipart/[a-z]+/\\d\\.png = photo/[a-z]+/\\d\\.png; .*\\); test images must not be training images`));
  assert.match(r6.stderr, /renamed\.png = photo\/[a-z]+\/0\.png/);
});
