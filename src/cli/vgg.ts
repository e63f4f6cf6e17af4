/** Loading the classifier and decoders for CLI commands. */
import * as tf from '@tensorflow/tfjs';
import { folderReader } from '../models/node-io';
import { loadLayersModelNetwork } from '../models/layers-format';
import { loadDecoder, type Decoder } from '../models/decoder';
import type { Network } from '../models/network';
import { modelMeta, type ModelMeta } from '../models/model-meta';
import { fitCurrentBackend } from '../core/binding-limits';

/** On WebGPU: splits what exceeds the device's binding limit (see binding-limits.ts) and says so. */
async function fitted(net: Network): Promise<Network> {
  const fit = await fitCurrentBackend(net);
  for (const line of fit?.split ?? []) log(`webgpu: ${line} (storage-binding limit)`);
  return net;
}

export const DEFAULT_MODEL_DIR = process.env.ADVBN_VGG19_DIR ?? '../shared/models/vgg19-imagenet-tfjs';

export async function loadVgg(dir: string): Promise<Network> {
  return fitted(await loadLayersModelNetwork(await folderReader(dir), dir, 'vgg19'));
}

/** A model folder and what its model.json says about it (preprocessing, role; see model-meta.ts). */
export async function loadModelFolder(dir: string, name = 'model'): Promise<{ net: Network; meta: ModelMeta }> {
  const read = await folderReader(dir);
  const net = await fitted(await loadLayersModelNetwork(read, dir, name));
  const meta = modelMeta(new TextDecoder().decode(await read('model.json')));
  return { net, meta };
}

export async function loadDecoderFolder(dir: string): Promise<Decoder> {
  return loadDecoder(await folderReader(dir), dir);
}

export function log(msg: string): void {
  process.stderr.write(msg + '\n');
}

/** A one-line progress bar on stderr (only when stderr is a terminal, else plain lines every 10 %). */
export function progress(done: number, total: number, extra = ''): void {
  const width = 28;
  const frac = total ? done / total : 1;
  const bar = '█'.repeat(Math.round(frac * width)).padEnd(width, '░');
  const line = `${bar} ${done}/${total} ${extra}`;
  if (process.stderr.isTTY) {
    process.stderr.write(`\r${line}`);
    if (done === total) process.stderr.write('\n');
  } else if (done === total || Math.floor((done * 10) / total) !== Math.floor(((done - 1) * 10) / total)) {
    process.stderr.write(line + '\n');
  }
}

export function numTensors(): number {
  return tf.memory().numTensors;
}
