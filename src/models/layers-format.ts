/**
 * Reads a Keras model in the TensorFlow.js "layers-model" format (model.json + binary shards) into a
 * {@link Network}. Works anywhere: the caller supplies `readFile`, which in Node reads from disk, in the
 * browser fetches a URL, reads a user-picked folder or an IndexedDB cache.
 *
 * Only what VGG-style classifiers need is supported (InputLayer, Conv2D, MaxPooling2D, Flatten, Dense,
 * BatchNormalization, GlobalAveragePooling2D, ReLU/Activation); anything else is a clear error.
 * One extension: Conv2D padding "reflect" (reflection padding by kernel/2, as in AdaIN's encoder), which
 * Keras itself does not have; MaxPooling2D padding "same" with size = strides is PyTorch's ceil mode.
 */
import * as tf from '@tensorflow/tfjs';
import { disposeNetwork, type Activation, type Layer, type Network } from './network';

import type { ReadFile } from '../common/read-file';
export type { ReadFile };

interface KerasLayerConfig {
  class_name: string;
  config: Record<string, unknown> & { name: string };
}
interface WeightsGroup { paths: string[]; weights: tf.io.WeightsManifestEntry[]; }
export interface LayersModelJson {
  format?: string;
  modelTopology: { model_config?: { config: { layers: KerasLayerConfig[] } }; config?: { layers: KerasLayerConfig[] } } & Record<string, unknown>;
  weightsManifest: WeightsGroup[];
}

export class ModelFormatError extends Error {}

/** Parses and validates model.json text; throws a ModelFormatError saying what was expected. */
export function parseModelJson(text: string, where: string): LayersModelJson {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ModelFormatError(`${where}: model.json is not valid JSON. Expected a TensorFlow.js layers-model folder (model.json + group*-shard*.bin).`);
  }
  const j = json as Partial<LayersModelJson>;
  if (!j || typeof j !== 'object' || !j.modelTopology || !Array.isArray(j.weightsManifest)) {
    throw new ModelFormatError(`${where}: model.json has no modelTopology/weightsManifest. Expected a TensorFlow.js layers-model (as written by tensorflowjs_converter from Keras).`);
  }
  return j as LayersModelJson;
}

function kerasLayers(m: LayersModelJson): KerasLayerConfig[] {
  const topo = m.modelTopology;
  const layers = topo.model_config?.config.layers ?? topo.config?.layers;
  if (!Array.isArray(layers)) throw new ModelFormatError('model.json: no layer list in modelTopology.');
  return layers;
}

function activation(a: unknown, layer: string): Activation {
  if (a === 'relu' || a === 'softmax' || a === 'linear') return a;
  throw new ModelFormatError(`Layer ${layer}: activation "${String(a)}" is not supported (relu, softmax, linear).`);
}

function pair(v: unknown): number {
  const n = Array.isArray(v) ? Number(v[0]) : Number(v);
  if (Array.isArray(v) && v[0] !== v[1]) throw new ModelFormatError(`Non-square window/stride ${JSON.stringify(v)} is not supported.`);
  return n;
}

/** Loads all weight shards and decodes them (uint8/float16 quantization included). */
export async function loadWeights(m: LayersModelJson, readFile: ReadFile): Promise<tf.NamedTensorMap> {
  const out: tf.NamedTensorMap = {};
  for (const group of m.weightsManifest) {
    const buffers = await Promise.all(group.paths.map((p) => readFile(p)));
    const total = buffers.reduce((s, b) => s + b.byteLength, 0);
    const joined = new Uint8Array(total);
    let offset = 0;
    for (const b of buffers) {
      joined.set(new Uint8Array(b), offset);
      offset += b.byteLength;
    }
    Object.assign(out, tf.io.decodeWeights(joined.buffer, group.weights));
  }
  return out;
}

/**
 * Builds a Network from model.json and decoded weights. Unused weights are disposed; when the model
 * cannot be built, all of them are (and the tensors made so far).
 */
export function networkFromLayersModel(name: string, m: LayersModelJson, weights: tf.NamedTensorMap): Network {
  const made: Layer[] = [];
  try {
    return buildNetwork(name, m, weights, made);
  } catch (e) {
    for (const t of Object.values(weights)) if (!t.isDisposed) t.dispose();
    disposeNetwork({ name, inputShape: [1, 1, 1], layers: made });
    throw e;
  }
}

function buildNetwork(name: string, m: LayersModelJson, weights: tf.NamedTensorMap, layers: Layer[]): Network {
  let inputShape: [number, number, number] | null = null;
  const used = new Set<string>();
  const w = (layer: string, key: string, required = true): tf.Tensor | null => {
    const full = `${layer}/${key}`;
    const t = weights[full];
    if (!t && required) throw new ModelFormatError(`Weight ${full} is missing from the shards.`);
    if (t) used.add(full);
    return t ?? null;
  };
  for (const l of kerasLayers(m)) {
    const c = l.config;
    switch (l.class_name) {
      case 'InputLayer': {
        const s = (c.batch_input_shape ?? c.batch_shape) as Array<number | null>;
        if (s && s.length === 4) inputShape = [s[1] ?? 224, s[2] ?? 224, s[3] ?? 3];
        break;
      }
      case 'Conv2D': {
        if (c.data_format && c.data_format !== 'channels_last') throw new ModelFormatError(`Layer ${c.name}: only channels_last is supported.`);
        layers.push({
          kind: 'conv2d', name: c.name,
          kernel: w(c.name, 'kernel') as tf.Tensor4D,
          bias: c.use_bias === false ? null : (w(c.name, 'bias') as tf.Tensor1D),
          activation: activation(c.activation, c.name),
          // 'reflect' is this project's extension (written by layers-writer for imported AdaIN encoders).
          padding: c.padding === 'valid' ? 'valid' : c.padding === 'reflect' ? 'reflect' : 'same',
          strides: pair(c.strides ?? 1),
        });
        break;
      }
      case 'MaxPooling2D':
        layers.push({
          kind: 'maxpool', name: c.name, size: pair(c.pool_size), strides: pair(c.strides ?? c.pool_size),
          ...(c.padding === 'same' ? { ceil: true } : {}),
        });
        break;
      case 'Flatten':
        layers.push({ kind: 'flatten', name: c.name });
        break;
      case 'GlobalAveragePooling2D':
        layers.push({ kind: 'gap', name: c.name });
        break;
      case 'Dense':
        layers.push({
          kind: 'dense', name: c.name,
          kernel: w(c.name, 'kernel') as tf.Tensor2D,
          bias: c.use_bias === false ? null : (w(c.name, 'bias') as tf.Tensor1D),
          activation: activation(c.activation, c.name),
        });
        break;
      case 'ReLU':
        layers.push({ kind: 'relu', name: c.name });
        break;
      case 'Activation':
        if (c.activation === 'relu') layers.push({ kind: 'relu', name: c.name });
        else if (c.activation !== 'softmax' && c.activation !== 'linear') throw new ModelFormatError(`Layer ${c.name}: activation ${String(c.activation)} not supported.`);
        break;
      case 'BatchNormalization': {
        // A variable is a new tensor (sharing the data): the decoded weight itself is not kept, so it
        // is not marked used and is disposed below (it leaked 4 tensors per BN layer per load).
        const v = (k: string) => {
          const t = w(c.name, k)!;
          used.delete(`${c.name}/${k}`);
          return tf.variable(t, false);
        };
        layers.push({
          kind: 'batchnorm', name: c.name, epsilon: Number(c.epsilon ?? 1e-3), momentum: Number(c.momentum ?? 0.99),
          clean: { gamma: v('gamma'), beta: v('beta'), movingMean: v('moving_mean'), movingVariance: v('moving_variance') },
          adv: null,
        });
        break;
      }
      case 'Dropout':
        break; // identity at inference
      default:
        throw new ModelFormatError(`Layer ${c.name}: Keras layer type ${l.class_name} is not supported.`);
    }
  }
  for (const [k, t] of Object.entries(weights)) if (!used.has(k)) t.dispose();
  if (!layers.length) throw new ModelFormatError('model.json lists no layers.');
  return { name, inputShape: inputShape ?? [224, 224, 3], layers };
}

/** model.json + shards → Network. `where` names the source in error messages. */
export async function loadLayersModelNetwork(readFile: ReadFile, where: string, name = 'model'): Promise<Network> {
  let text: string;
  try {
    text = new TextDecoder().decode(await readFile('model.json'));
  } catch (e) {
    throw new ModelFormatError(`${where}: cannot read model.json (${(e as Error).message}). Expected a folder with model.json and its weight shards (TensorFlow.js layers format).`);
  }
  const m = parseModelJson(text, where);
  let weights: tf.NamedTensorMap;
  try {
    weights = await loadWeights(m, readFile);
  } catch (e) {
    if (e instanceof ModelFormatError) throw e;
    throw new ModelFormatError(`${where}: cannot read the weight shards listed in model.json (${(e as Error).message}).`);
  }
  return networkFromLayersModel(name, m, weights);
}
