/**
 * scripts/train_decoder.py (the PyTorch trainer used for the shipped decoders) writes decoders that the
 * project reads and runs exactly as PyTorch did: a few steps from the committed block3_conv1 decoder, then
 * the held-out PSNR measured here (TF.js, the app's code) must equal the PSNR the script logged, before
 * and after training. A different upsampling, padding or weight layout on either side breaks it.
 * Skips with a message without the shared VGG-19 or Debian's python3-torch / python3-pil.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { useNodeBackend } from '../../backend/node/backend-node';
import { loadDecoderFolder, loadVgg } from '../vgg';
import { psnr, reconstruct } from '../../core/train-decoder';
import { disposeNetwork, type Network } from '../../models/network';
import type { Decoder } from '../../models/decoder';
import { listImages, loadCenterCrop, trainEvalSplit } from '../../data/image-folder';
import { IMAGENET_DIR, VGG19_DIR, vggSkipReason } from '../../testing/shared-data';

const PYTHON = process.env.ADVBN_PYTHON ?? '/usr/bin/python3';
const SCRIPT = new URL('../../../scripts/train_decoder.py', import.meta.url).pathname;
const COMMITTED = new URL('../../../models/decoder-block3_conv1', import.meta.url).pathname;

function pythonSkipReason(): string | false {
  const r = spawnSync(PYTHON, ['-c', 'import torch, numpy, PIL'], { encoding: 'utf8' });
  return r.status === 0 ? false : `PyTorch or PIL not importable by ${PYTHON} (apt-get install python3-torch python3-pil, or set ADVBN_PYTHON)`;
}

const skip = vggSkipReason() || pythonSkipReason();
let vgg: Network;

before(async () => {
  if (skip) return;
  await useNodeBackend('wasm');
  vgg = await loadVgg(VGG19_DIR);
});

async function heldOutPsnr(decoder: Decoder, count: number): Promise<number> {
  const files = trainEvalSplit(listImages(IMAGENET_DIR)).evaluation.slice(0, count);
  let total = 0;
  for (const f of files) {
    const x = loadCenterCrop(f, 224);
    const y = reconstruct(vgg, 'caffe', decoder.manifest.layer, decoder.net, x);
    total += await psnr(y, x);
    tf.dispose([x, y]);
  }
  return total / files.length;
}

test('a decoder trained by scripts/train_decoder.py runs here as it ran in PyTorch (same held-out PSNR)', { skip, timeout: 600_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'advbn-pytrain-'));
  const r = spawnSync(PYTHON, [SCRIPT, '--vgg', VGG19_DIR, '--images', IMAGENET_DIR, '--resume', COMMITTED, '--out', out,
    '--size', '64', '--batch', '4', '--lr', '1e-3', '--steps', '6', '--checkpoint-every', '3', '--eval-images', '3', '--threads', '1'],
  { encoding: 'utf8', timeout: 500_000 });
  assert.equal(r.status, 0, r.stderr);

  const trained = await loadDecoderFolder(out);
  const committed = await loadDecoderFolder(COMMITTED);
  const log = trained.manifest.training as { steps: number; start: { psnr: number }; curve: Array<{ step: number; psnr: number }>; previous: { steps: number } };
  assert.equal(log.steps, 6);
  assert.deepEqual(log.curve.map((c) => c.step), [3, 6]);
  assert.equal(log.previous.steps, (committed.manifest.training as { steps: number }).steps, 'the earlier phases are kept');
  assert.equal(trained.manifest.layers.length, committed.manifest.layers.length);

  const psnrBefore = await heldOutPsnr(committed, 3);
  const after = await heldOutPsnr(trained, 3);
  assert.ok(Math.abs(psnrBefore - log.start.psnr) < 0.05, `committed decoder: ${psnrBefore.toFixed(3)} dB here, ${log.start.psnr} in PyTorch`);
  assert.ok(Math.abs(after - log.curve[1]!.psnr) < 0.05, `trained decoder: ${after.toFixed(3)} dB here, ${log.curve[1]!.psnr} in PyTorch`);
  assert.notEqual(after.toFixed(3), psnrBefore.toFixed(3), 'six steps at lr 1e-3 move the weights');
  const csv = readFileSync(join(out, 'training-curve.csv'), 'utf8').trim().split('\n');
  assert.equal(csv[0], 'phase,step,seconds,loss,psnr_db,top1_kept');
  assert.match(csv.at(-1)!, /^\d+,6,/);
  disposeNetwork(trained.net);
  disposeNetwork(committed.net);
});
