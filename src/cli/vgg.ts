/** Loading the classifier and decoders for CLI commands. */
import * as tf from '@tensorflow/tfjs';
import { folderReader } from '../models/node-io';
import { loadLayersModelNetwork } from '../models/layers-format';
import { loadDecoder, type Decoder } from '../models/decoder';
import type { Network } from '../models/network';

export const DEFAULT_MODEL_DIR = process.env.ADVBN_VGG19_DIR ?? '../shared/models/vgg19-imagenet-tfjs';

export async function loadVgg(dir: string): Promise<Network> {
  return loadLayersModelNetwork(await folderReader(dir), dir, 'vgg19');
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
