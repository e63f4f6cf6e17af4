/**
 * Full size: the shared VGG-19 written by the real libraries in the layouts people download
 * (scripts/write-vgg19-formats.py: a torchvision .pth by torch.save, a Keras .h5 by h5py), then imported:
 * each gives the shared model's top-5 on 20 images. Skips with a message without the shared data or
 * Debian's python3-torch / python3-h5py. Prints the import time of the 548 MB .pth.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { useNodeBackend } from '../../backend/node/backend-node';
import { loadVgg } from '../../cli/vgg';
import { disposeNetwork, forward, type Network } from '../network';
import { preprocess, type Preprocessing } from '../preprocess';
import { listImages, loadCenterCrop } from '../../data/image-folder';
import { IMAGENET_DIR, VGG19_DIR, vggSkipReason } from '../../testing/shared-data';
import { fileSource } from '../node-io';
import { importFile } from './import-file';
import { MB } from './source';
import type { ImportedNetwork } from './convert';

const PY = '/usr/bin/python3';
const SCRIPT = new URL('../../../scripts/write-vgg19-formats.py', import.meta.url).pathname;
function skipReason(): string | false {
  const v = vggSkipReason();
  if (v) return v;
  const r = spawnSync(PY, ['-c', 'import torch, h5py'], { encoding: 'utf8' });
  return r.status === 0 ? false : `${PY} cannot import torch and h5py (apt-get install python3-torch python3-h5py): ${r.stderr.trim().split('\n').pop()}`;
}
const skip = skipReason();
if (skip) process.stderr.write(`# full-size import test skipped: ${skip}\n`);

let dir = '';
let files: string[] = [];
let reference: number[][] = [];

async function top5(net: Network, pre: Preprocessing): Promise<number[][]> {
  const out: number[][] = [];
  for (const f of files) {
    const x = loadCenterCrop(f, 224);
    const logits = tf.tidy(() => forward(net, preprocess(pre, x)));
    const p = (await logits.data()) as Float32Array;
    tf.dispose([x, logits]);
    out.push([...p.keys()].sort((a, b) => p[b]! - p[a]!).slice(0, 5));
  }
  return out;
}

before(async () => {
  if (skip) return;
  await useNodeBackend('wasm');
  dir = mkdtempSync(join(tmpdir(), 'advbn-fullsize-'));
  const w = spawnSync(PY, [SCRIPT, VGG19_DIR, dir], { encoding: 'utf8', timeout: 600_000 });
  assert.equal(w.status, 0, w.stderr);
  files = listImages(IMAGENET_DIR).filter((_, i) => i % 45 === 0).slice(0, 20);
  const vgg = await loadVgg(VGG19_DIR);
  reference = await top5(vgg, 'caffe');
  disposeNetwork(vgg);
});
after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

for (const [file, pre] of [['vgg19-torchvision.pth', 'torch'], ['vgg19-keras.h5', 'caffe']] as const) {
  test(`full-size ${file} imports as VGG-19 with the shared model's top-5 on 20 images`, { skip, timeout: 900_000 }, async () => {
    const src = await fileSource(join(dir, file));
    const t0 = performance.now();
    const net = (await importFile(src)) as ImportedNetwork;
    const ms = performance.now() - t0;
    await src.close();
    assert.equal(net.preprocessing, pre);
    assert.equal(net.classes, 1000);
    assert.equal(net.inputSize, 224);
    assert.equal(net.net.layers.filter((l) => l.kind === 'conv2d').length, 16);
    const got = await top5(net.net, net.preprocessing);
    disposeNetwork(net.net);
    const top1 = got.filter((g, i) => g[0] === reference[i]![0]).length;
    const same5 = got.filter((g, i) => g.join() === reference[i]!.join()).length;
    process.stderr.write(`# ${file}: ${(src.size / MB).toFixed(0)} MB imported in ${(ms / 1000).toFixed(1)} s; top-1 agrees on ${top1}/20, identical top-5 on ${same5}/20\n`);
    assert.equal(top1, 20, 'top-1 differs from the shared model');
    assert.equal(same5, 20, 'top-5 differs from the shared model');
  });
}
