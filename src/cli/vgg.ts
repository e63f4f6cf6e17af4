/** Loading the classifier and decoders for CLI commands. */
import * as tf from '@tensorflow/tfjs';
import { folderReader } from '../models/node-io';
import { loadLayersModelNetwork } from '../models/layers-format';
import { loadDecoder, type Decoder } from '../models/decoder';
import type { Network } from '../models/network';
import { modelMeta, type ModelMeta } from '../models/model-meta';
import { UsageError } from './args';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { entryLabels, parseRegistry, type RegistryEntry } from '../common/registry';
import { fitCurrentBackend } from '../backend/binding-limits';

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

/**
 * A model folder and what its model.json says about it (preprocessing, role; see model-meta.ts). A
 * model.json without that metadata (the project's style-world model) is described by its entry in the
 * index.json beside the folder when there is one (preprocessing, input size, default layer, class names).
 */
export async function loadModelFolder(dir: string, name = 'model'): Promise<{ net: Network; meta: ModelMeta; classNames?: (classes: number) => string[] }> {
  const read = await folderReader(dir);
  const net = await fitted(await loadLayersModelNetwork(read, dir, name));
  const text = new TextDecoder().decode(await read('model.json'));
  const meta = modelMeta(text);
  const own = (JSON.parse(text) as { userDefinedMetadata?: { advbn?: unknown } }).userDefinedMetadata?.advbn;
  const entry = own ? undefined : registryEntryOf(dir);
  if (!entry) return { net, meta };
  return {
    net,
    meta: { ...meta, preprocessing: entry.preprocessing, inputSize: entry.inputSize, ...(entry.defaultLayer ? { defaultLayer: entry.defaultLayer } : {}) },
    classNames: (classes) => entryLabels(entry, classes),
  };
}

/** The entry of the index.json beside a model folder that names this folder, if any. */
function registryEntryOf(dir: string): RegistryEntry | undefined {
  const index = join(dirname(resolve(dir)), 'index.json');
  if (!existsSync(index)) return undefined;
  const entries = parseRegistry(readFileSync(index, 'utf8'), index);
  return entries.find((e) => e.path.replace(/\/+$/, '') === basename(resolve(dir)));
}

export async function loadDecoderFolder(dir: string): Promise<Decoder> {
  return loadDecoder(await folderReader(dir), dir);
}

/**
 * The split layer: --layer, else the decoder's, else the model's default (block4_conv1 for VGG-19);
 * a decoder of another layer is a usage error.
 */
export function resolveLayer(layerOption: string | undefined, decoder: Decoder | null, decoderDir: string | undefined, meta: Pick<ModelMeta, 'defaultLayer'>): string {
  const layer = layerOption ?? decoder?.manifest.layer ?? meta.defaultLayer ?? 'block4_conv1';
  if (decoder && decoder.manifest.layer !== layer) {
    throw new UsageError(`The decoder in ${decoderDir} decodes ${decoder.manifest.layer}, not ${layer}: pass --layer ${decoder.manifest.layer}.`);
  }
  return layer;
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
