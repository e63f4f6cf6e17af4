/** advbn import end to end: tiny real-format files → model folders + index entries the CLI then runs. */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePng } from '../../data/image-file';
import { parseRegistry } from '../../common/registry';

const BIN = new URL('../../../bin/advbn.mjs', import.meta.url).pathname;
const FIX = new URL('../../testing/import-fixtures/', import.meta.url).pathname;
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });

let models = '', image = '';
before(() => {
  const dir = mkdtempSync(join(tmpdir(), 'advbn-import-'));
  models = join(dir, 'models');
  mkdirSync(models);
  writeFileSync(join(models, 'index.json'), JSON.stringify({ models: [{ id: 'old', path: 'old', preprocessing: 'unit', inputSize: 32, defaultLayer: 'c1' }] }));
  image = join(dir, 'img.png');
  const size = 60, data = new Uint8Array(size * size * 4);
  for (let i = 0; i < data.length; i++) data[i] = i % 4 === 3 ? 255 : (i * 37) % 256;
  writeFileSync(image, encodePng({ data, width: size, height: size }));
});

test('advbn import writes a model folder and adds its entry to the index beside it (others kept)', () => {
  const r = run('import', join(FIX, 'tiny-torchvision-vgg3.pth'), '--out', join(models, 'tv'), '--json');
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { role: string; files: string[] };
  assert.equal(out.role, 'classifier');
  assert.ok(existsSync(join(models, 'tv', 'model.json')));
  const entries = parseRegistry(readFileSync(join(models, 'index.json'), 'utf8'), 'index.json');
  assert.deepEqual(entries.map((e) => e.id), ['old', 'tv']);
  const tv = entries[1]!;
  assert.equal(tv.preprocessing, 'torch');
  assert.equal(tv.inputSize, 56);
  assert.equal(tv.path, 'tv');
  // Importing again replaces the entry instead of adding a second one.
  assert.equal(run('import', join(FIX, 'tiny-torchvision-vgg3.pth'), '--out', join(models, 'tv')).status, 0);
  assert.equal(parseRegistry(readFileSync(join(models, 'index.json'), 'utf8'), 'index.json').length, 2);
});

test('the authors\' two files import as one encoder + decoder; perturb runs their pipeline with --encoder', () => {
  const r = run('import', join(FIX, 'tiny-adain-vgg-normalised.pth'), join(FIX, 'tiny-adain-decoder.pth'), '--out', join(models, 'adain'));
  assert.equal(r.status, 0, r.stderr);
  const e = parseRegistry(readFileSync(join(models, 'index.json'), 'utf8'), 'index.json').find((x) => x.id === 'adain')!;
  assert.equal(e.role, 'encoder');
  assert.equal(e.preprocessing, 'rgb01');
  assert.deepEqual(e.decoders, { relu4_1: 'adain/decoder-relu4_1' });
  const p = run('perturb', '--model', join(models, 'tv'), '--encoder', join(models, 'adain'), '--decoder', join(models, 'adain', 'decoder-relu4_1'),
    '--image', image, '--steps', '2', '--json', '--out', join(models, 'adv.png'));
  assert.equal(p.status, 0, p.stderr);
  const j = JSON.parse(p.stdout) as { mode: string; layer: string; steps: unknown[] };
  assert.equal(j.mode, 'image');
  assert.equal(j.layer, 'relu4_1');
  assert.equal(j.steps.length, 2);
  assert.ok(existsSync(join(models, 'adv.png')));
  // An encoder is not a classifier.
  const bad = run('perturb', '--model', join(models, 'adain'), '--image', image, '--json');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /encoder without a classifier: pass it as --encoder/);
});

test('a refused file writes nothing: no folder, index unchanged', () => {
  const before = readFileSync(join(models, 'index.json'), 'utf8');
  for (const f of ['tiny-optimizer-checkpoint.pth', 'tiny-resnet.pth', 'tiny-wrong-shape.pth']) {
    const r = run('import', join(FIX, f), '--out', join(models, 'refused'));
    assert.equal(r.status, 1);
    assert.match(r.stderr, /expected/);
    assert.ok(!existsSync(join(models, 'refused')));
  }
  // An AdaIN decoder with a classifier that is not its encoder.
  const r = run('import', join(FIX, 'tiny-torchvision-vgg3.pth'), join(FIX, 'tiny-adain-decoder.pth'), '--out', join(models, 'refused'));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /relu4_1/);
  assert.ok(!existsSync(join(models, 'refused')));
  assert.equal(readFileSync(join(models, 'index.json'), 'utf8'), before);
});

test('a Keras import is Caffe-preprocessed; only a 1000-class VGG-19 is linked to the project\'s VGG-19 decoders', () => {
  const dec = JSON.parse(readFileSync(new URL('../../../models/decoder-block3_conv1/decoder.json', import.meta.url), 'utf8')) as Record<string, unknown>;
  mkdirSync(join(models, 'decoder-block2_conv1'));
  writeFileSync(join(models, 'decoder-block2_conv1', 'decoder.json'), JSON.stringify({ ...dec, layer: 'block2_conv1' }));
  cpSync(join(FIX, 'tiny-keras-vgg.h5'), join(models, 'k.h5'));
  const r = run('import', join(models, 'k.h5'), '--out', join(models, 'keras'));
  assert.equal(r.status, 0, r.stderr);
  const e = parseRegistry(readFileSync(join(models, 'index.json'), 'utf8'), 'index.json').find((x) => x.id === 'keras')!;
  assert.equal(e.preprocessing, 'caffe');
  // Only a 1000-class VGG-19 gets the project's VGG-19 decoders; the tiny one has none.
  assert.deepEqual(e.decoders, {});
});
