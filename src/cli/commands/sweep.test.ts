/**
 * advbn sweep, and folder runs split into shards, resumed and merged (advbn merge), end to end on the
 * committed style-world model with a few of its images written to a temp folder.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderBatch, TRAIN_FAMILIES } from '../../data/style-world';
import { encodePng, readImage } from '../../data/image-file';
import { rgbToRgba } from '../../models/preprocess';
import { readManifest } from '../folder-run';

const BIN = new URL('../../../bin/advbn.mjs', import.meta.url).pathname;
const MODEL = new URL('../../../models/style-world', import.meta.url).pathname;
const DECODER = join(MODEL, 'decoder-block1_relu1');
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
const ok = (r: ReturnType<typeof run>) => { assert.equal(r.status, 0, r.stderr); return r; };

let dir = '', images = '', labels = '';
const N = 6;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'advbn-sweep-'));
  images = join(dir, 'images');
  mkdirSync(images);
  const b = renderBatch(TRAIN_FAMILIES, 3, 'cli', 0, N);
  const lines: string[] = [];
  for (let i = 0; i < N; i++) {
    const name = `s${i}.png`;
    const rgba = rgbToRgba(b.pixels.subarray(i * 64 * 64 * 3, (i + 1) * 64 * 64 * 3), 64, 64);
    writeFileSync(join(images, name), encodePng({ data: new Uint8Array(rgba.buffer), width: 64, height: 64 }));
    lines.push(`${name} ${b.labels[i]}`);
  }
  labels = join(dir, 'labels.txt');
  writeFileSync(labels, lines.join('\n'));
});

const SWEEP = () => ['sweep', '--images', images, '--model', MODEL, '--labels', labels, '--eps', '0,0.5,1.1', '--steps', '2', '--random-draws', '2', '--json'];
const TABLE_KEYS = ['eps', 'adversarial', 'random', 'matched', 'n', 'clean', 'steps', 'tau', 'adversarial_p', 'random_p', 'matched_p'] as const;
const tableOf = (j: Record<string, unknown>) => Object.fromEntries(TABLE_KEYS.map((k) => [k, j[k]]));

test('sweep --json: accuracy per ε for adversarial and random δ, and a PNG strip of one example', () => {
  const strip = join(dir, 'strip.png');
  const j = JSON.parse(ok(run(...SWEEP(), '--decoder', DECODER, '--out', strip)).stdout);
  assert.deepEqual(j.eps, [0, 0.5, 1.1]);
  assert.equal(j.n, N);
  assert.equal(j.adversarial.length, 3);
  assert.equal(j.random.length, 3);
  for (const v of [...j.adversarial, ...j.random]) assert.ok(v >= 0 && v <= 100, String(v));
  assert.equal(j.adversarial[0], j.clean, 'ε = 0 is the clean accuracy');
  assert.equal(j.random[0], j.clean);
  // Random δ of the adversarial δ's sizes: at ε 0 PGD's δ is 1, its sizes 0, so it is the clean image too.
  assert.equal(j.matched.length, 3);
  assert.equal(j.matched[0], j.clean);
  assert.equal(j.matched_p.length, 3);
  assert.ok(j.adversarial[2] < j.random[2], `at ε 1.1 the adversarial δ hurts more than random δ: ${j.adversarial} vs ${j.random}`);
  const png = readImage(strip);
  assert.deepEqual([png.width, png.height], [4 * 64 + 3 * 4, 2 * 64 + 4], 'crop + 3 strengths, adversarial and random rows');
  const h = ok(run('sweep', '--images', images, '--model', MODEL, '--labels', labels, '--paper', '--max-steps', '2', '--random-draws', '1'));
  assert.match(h.stdout, /0\.10\s+1\s+0\.20/);
  assert.match(h.stdout, /0\.30\s+2\s+0\.20/);
});

test('sweep: 3 shards merged equal a single run; a stopped shard resumes; mismatched runs are refused', () => {
  const single = join(dir, 'single.jsonl');
  const whole = JSON.parse(ok(run(...SWEEP(), '--manifest', single)).stdout);
  const shards = [0, 1, 2].map((k) => join(dir, `shard-${k}.jsonl`));
  shards.forEach((m, k) => {
    const j = JSON.parse(ok(run(...SWEEP(), '--shard', `${k}/3`, '--manifest', m)).stdout);
    assert.equal(j.n, 2);
    assert.equal(j.shard, `${k}/3`);
  });
  const mergedPath = join(dir, 'merged.jsonl');
  const merged = JSON.parse(ok(run('merge', ...shards, '--out', mergedPath, '--json')).stdout);
  assert.deepEqual(tableOf(merged), tableOf(whole));
  assert.deepEqual(readManifest(mergedPath).rows, readManifest(single).rows, 'the merged manifest holds the single run\'s rows');

  // Shard 1 was stopped while writing its last row: rerunning it sweeps that image only.
  const text = readFileSync(shards[1]!, 'utf8');
  writeFileSync(shards[1]!, text.slice(0, text.length - 20));
  const resumed = JSON.parse(ok(run(...SWEEP(), '--shard', '1/3', '--manifest', shards[1]!)).stdout);
  assert.deepEqual(resumed.images, { in_folder: N, in_shard: 2, swept: 1, resumed: 1, unlabelled: 0 });
  assert.deepEqual(JSON.parse(ok(run('merge', ...shards, '--json')).stdout).adversarial, whole.adversarial);

  let r = run('merge', shards[0]!, shards[2]!);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /Shard\(s\) 1\/3 are missing/);
  assert.equal(JSON.parse(ok(run('merge', shards[0]!, shards[2]!, '--allow-missing', '--json')).stdout).n, 4);
  r = run('merge', shards[0]!, single);
  assert.match(r.stderr, /single\.jsonl is shard 0\/1, but another manifest split the folder 3 ways/);
  r = run('merge', single, mergedPath);
  assert.match(r.stderr, /Shard 0\/1 is given twice/);
  r = run('sweep', ...SWEEP().slice(1), '--eps', '0,0.4', '--shard', '1/3', '--manifest', shards[1]!);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /was written by another run/);
  r = run(...SWEEP(), '--shard', '3/3', '--manifest', join(dir, 'x.jsonl'));
  assert.match(r.stderr, /K must be from 0 to N − 1/);
  r = run(...SWEEP(), '--shard', '1/3');
  assert.match(r.stderr, /--shard needs --manifest/);
});

test('perturb over a folder: 3 shards into one --out folder, merged, equal a single run; a second run skips finished images', () => {
  const args = (out: string) => ['perturb', '--model', MODEL, '--image', images, '--out', out, '--decoder', DECODER, '--steps', '2', '--labels', labels, '--json'];
  const singleOut = join(dir, 'perturb-single'), shardOut = join(dir, 'perturb-shards');
  const single = JSON.parse(ok(run(...args(singleOut))).stdout);
  assert.equal(single.images, N);
  for (const k of [0, 1, 2]) ok(run(...args(shardOut), '--shard', `${k}/3`));
  const merged = JSON.parse(ok(run('merge', shardOut, '--json')).stdout);
  for (const k of ['images', 'labelled', 'top1_accuracy', 'keeps_original_top1', 'flipped', 'reconstruction_psnr']) assert.deepEqual(merged[k], single[k], k);
  const pngs = (d: string) => readdirSync(d).filter((f) => f.endsWith('.png')).sort();
  assert.deepEqual(pngs(shardOut), pngs(singleOut));
  assert.deepEqual(readdirSync(shardOut).filter((f) => f.endsWith('.jsonl')).sort(), ['manifest-0-of-3.jsonl', 'manifest-1-of-3.jsonl', 'manifest-2-of-3.jsonl']);
  const again = JSON.parse(ok(run(...args(singleOut))).stdout);
  assert.equal(again.resumed, N, 'every image was finished');
  assert.deepEqual(again.top1_accuracy, single.top1_accuracy);
  const other = run(...args(singleOut), '--eps', '0.5');
  assert.equal(other.status, 2);
  assert.match(other.stderr, /was written by another run/);
});
