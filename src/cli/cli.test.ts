/** The advbn CLI end to end, on a tiny layers model written to a temp folder (no third-party data). */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { writeTinyModel } from '../testing/tiny-model-files';
import { encodePng } from '../data/image-file';
import { createDecoder, serializeDecoder } from '../models/decoder';
import { loadLayersModelNetwork } from '../models/layers-format';
import { folderReader } from '../models/node-io';
import { softwareGpuSkipReason } from '../testing/software-gpu';

const BIN = new URL('../../bin/advbn.mjs', import.meta.url).pathname;
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });

let dir = '', model = '', image = '', decoder = '';

function png(size: number, seed: number): Uint8Array {
  const data = new Uint8Array(size * size * 4);
  for (let i = 0; i < data.length; i++) data[i] = i % 4 === 3 ? 255 : (i * 37 + seed * 101) % 256;
  return encodePng({ data, width: size, height: size });
}

before(async () => {
  await tf.setBackend('cpu');
  dir = mkdtempSync(join(tmpdir(), 'advbn-cli-'));
  model = join(dir, 'model');
  mkdirSync(model);
  writeTinyModel(model);
  image = join(dir, 'img.png');
  writeFileSync(image, png(6, 1));
  const net = await loadLayersModelNetwork(await folderReader(model), model);
  const d = createDecoder(net, 'tiny', 'c1', 1, 1);
  decoder = join(dir, 'decoder');
  mkdirSync(decoder);
  const { json, weights } = await serializeDecoder(d);
  writeFileSync(join(decoder, 'decoder.json'), json);
  writeFileSync(join(decoder, 'weights.bin'), weights);
});

test('perturb --json prints clean and adversarial top-5, one entry per step, δ ranges within [1 − ε, 1 + ε]', () => {
  const r = run('perturb', '--model', model, '--layer', 'c1', '--image', image, '--eps', '0.5', '--tau', '0.3', '--steps', '3', '--json');
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.clean.top5.length, 3); // the tiny model has 3 classes
  assert.equal(out.adversarial.top5.length, 3);
  for (const p of [...out.clean.top5, ...out.adversarial.top5]) assert.ok(Number.isInteger(p.index) && typeof p.name === 'string' && p.prob >= 0 && p.prob <= 1);
  assert.equal(out.steps.length, 3);
  for (const s of out.steps) assert.equal(typeof s.loss, 'number');
  for (const k of ['mu', 'sigma']) {
    assert.ok(out.delta[k].min >= 0.5 - 1e-6 && out.delta[k].max <= 1.5 + 1e-6, JSON.stringify(out.delta[k]));
  }
  assert.equal(out.backend, 'wasm');
  assert.equal(typeof out.timings_ms.total, 'number');
});

test('perturb over a folder writes one decoded PNG per image, with a progress line', () => {
  const inDir = join(dir, 'in'), outDir = join(dir, 'out');
  mkdirSync(inDir);
  for (let i = 0; i < 3; i++) writeFileSync(join(inDir, `p${i}.png`), png(8, i));
  const r = run('perturb', '--model', model, '--layer', 'c1', '--image', inDir, '--out', outDir, '--decoder', decoder, '--steps', '2');
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(readdirSync(outDir).sort(), ['manifest.jsonl', 'p0.png', 'p1.png', 'p2.png']);
  assert.match(r.stderr, /3\/3/);
});

test('perturb --mode image --json adds the m = 0 reconstruction: its top-5 and PSNR against the crop', () => {
  const r = run('perturb', '--model', model, '--layer', 'c1', '--image', image, '--mode', 'image', '--decoder', decoder, '--steps', '2', '--json');
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.reconstruction.top5.length, 3);
  assert.ok(Number.isFinite(out.reconstruction.psnr) && out.reconstruction.psnr > 0 && out.reconstruction.psnr < 100, String(out.reconstruction.psnr));
  const total = out.reconstruction.top5.reduce((a: number, p: { prob: number }) => a + p.prob, 0);
  assert.ok(Math.abs(total - 1) < 1e-4, `3 classes: the top-5 holds all the probability (${total})`);
});

test('perturb over a labelled folder ends with accuracy on originals, reconstructions and AdvBN images', () => {
  const inDir = join(dir, 'labelled'), outDir = join(dir, 'labelled-out');
  mkdirSync(inDir);
  const names = ['n00000001_a.png', 'n00000002_b.png', 'n00000003_c.png', 'n00000004_d.png'];
  names.forEach((n, i) => writeFileSync(join(inDir, n), png(8, i + 5)));
  const labels = join(dir, 'classes.json');
  writeFileSync(labels, JSON.stringify([0, 1, 2].map((index) => ({ index, wnid: `n0000000${index + 1}` }))));
  const r = run('perturb', '--model', model, '--layer', 'c1', '--image', inDir, '--out', outDir, '--decoder', decoder,
    '--mode', 'image', '--steps', '2', '--labels', labels, '--json');
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.equal(s.images, 4);
  assert.equal(s.labelled, 3); // n00000004 is not in the classes file
  for (const k of ['original', 'reconstruction', 'advbn']) assert.ok(s.top1_accuracy[k] >= 0 && s.top1_accuracy[k] <= 1, k);
  for (const k of ['reconstruction', 'advbn']) assert.ok(s.keeps_original_top1[k] >= 0 && s.keeps_original_top1[k] <= 1, k);
  assert.ok(Number.isFinite(s.reconstruction_psnr));
  // The same folder with a text labels file naming every image, and the human table.
  const txt = join(dir, 'labels.txt');
  writeFileSync(txt, names.map((n, i) => `${n} ${i % 3}`).join('\n'));
  const h = run('perturb', '--model', model, '--layer', 'c1', '--image', inDir, '--out', outDir, '--decoder', decoder, '--steps', '1', '--labels', txt, '--restart');
  assert.equal(h.status, 0, h.stderr);
  assert.match(h.stdout, /reconstruction\s+\d+\.\d %/);
  const bad = join(dir, 'bad-labels.txt');
  writeFileSync(bad, 'p0.png cat\n');
  const e = run('perturb', '--model', model, '--layer', 'c1', '--image', inDir, '--out', outDir, '--decoder', decoder, '--steps', '1', '--labels', bad, '--restart');
  assert.notEqual(e.status, 0);
  assert.match(e.stderr, /line 1: expected "<file name> <class index>"/);
});

test('bad input gets a clear error and a non-zero exit', () => {
  let r = run('perturb', '--model', model, '--layer', 'c1', '--image', image, '--eps', 'NaN');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--eps must be a finite number/);
  r = run('perturb', '--model', model, '--layer', 'c1', '--image', image, '--steps', '-1');
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /m \(steps\)/);
  const corrupt = join(dir, 'corrupt.jpg');
  writeFileSync(corrupt, new Uint8Array([0xff, 0xd8, 0xff, 0, 1, 2, 3]));
  r = run('perturb', '--model', model, '--layer', 'c1', '--image', corrupt);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /could not be decoded/);
  const text = join(dir, 'notes.txt');
  writeFileSync(text, 'hello');
  r = run('perturb', '--model', model, '--layer', 'c1', '--image', text);
  assert.match(r.stderr, /not a JPEG or PNG/);
  r = run('perturb', '--model', join(dir, 'nope'), '--image', image);
  assert.match(r.stderr, /does not exist\. Expected a folder with model\.json/);
  r = run('perturb', '--model', model, '--layer', 'nope', '--image', image);
  assert.match(r.stderr, /Layer "nope" is not in/);
  r = run('perturb', '--model', model, '--layer', 'c1', '--image', image, '--mode', 'image');
  assert.match(r.stderr, /--mode image needs --decoder/);
  r = run('perturb', '--model', model, '--image', image, '--bogus', '1');
  assert.match(r.stderr, /Unknown option\(s\): --bogus/);
  r = run('frobnicate');
  assert.equal(r.status, 2);
  r = run('perturb', '--model', model, '--layer', 'c1', '--image', image, '--threads', '0');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--threads must be from 1 to 8, got 0/);
  r = run('perturb', '--model', model, '--layer', 'c1', '--image', image, '--backend', 'metal');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--backend must be one of wasm, webgpu, cpu/);
});

test('--backend webgpu runs where Dawn finds a hardware adapter, else stops with the reason', () => {
  const r = run('perturb', '--model', model, '--layer', 'c1', '--image', image, '--steps', '1', '--json', '--backend', 'webgpu');
  if (r.status === 0) return; // a GPU machine
  assert.equal(r.status, 1);
  assert.match(r.stderr, /advbn perturb: webgpu unavailable: \S/);
});

test('perturb --backend webgpu --allow-software-gpu runs on SwiftShader (the CLI starts itself again with its Vulkan driver) and agrees with wasm', (t) => {
  const skip = softwareGpuSkipReason();
  if (skip) return t.skip(skip);
  const args = ['perturb', '--model', model, '--layer', 'c1', '--image', image, '--eps', '0.5', '--tau', '0.3', '--steps', '2', '--json'];
  const gpu = run(...args, '--backend', 'webgpu', '--allow-software-gpu');
  assert.equal(gpu.status, 0, gpu.stderr);
  const wasm = run(...args, '--backend', 'wasm');
  const [g, w] = [JSON.parse(gpu.stdout), JSON.parse(wasm.stdout)];
  assert.equal(g.backend, 'webgpu');
  assert.deepEqual(g.clean.top5.map((p: { index: number }) => p.index), w.clean.top5.map((p: { index: number }) => p.index));
  g.steps.forEach((s: { loss: number }, i: number) => assert.ok(Math.abs(s.loss - w.steps[i].loss) <= 1e-4 * Math.max(1, Math.abs(w.steps[i].loss)), `step ${i + 1}: ${s.loss} vs ${w.steps[i].loss}`));
  assert.deepEqual(g.delta, w.delta);
});
