/**
 * Network → TensorFlow.js layers-model format (Keras-style model.json + one weights shard), the
 * inverse of layers-format.ts for what the project's own models use: Conv2D, BatchNormalization,
 * ReLU, MaxPooling2D, GlobalAveragePooling2D, Flatten, Dense. Auxiliary BN twins are not written:
 * at test time only the clean BatchNorms are used (Algorithm 1).
 */
import * as tf from '@tensorflow/tfjs';
import type { Network } from './network';
import { toFloat16 } from './decoder';

export const WEIGHTS_FILE = 'group1-shard1of1.bin';

export interface SerializedLayersModel {
  /** model.json text. */
  modelJson: string;
  /** The weights, all shards together (one shard, {@link WEIGHTS_FILE}, unless shardBytes was given). */
  weights: Uint8Array;
  /** File name → bytes of each shard, in model.json's order (views on `weights`). */
  shards: Array<[string, Uint8Array]>;
}

type KerasLayer = { class_name: string; config: Record<string, unknown> & { name: string } };

export async function serializeLayersModel(
  net: Network,
  opts: {
    precision?: 'float32' | 'float16'; userDefinedMetadata?: Record<string, unknown>;
    /** Split the weights into shards of at most this many bytes (browsers store at most ~128 MB per IndexedDB value). */
    shardBytes?: number;
  } = {},
): Promise<SerializedLayersModel> {
  const precision = opts.precision ?? 'float32';
  const [h, w, c] = net.inputShape;
  const layers: KerasLayer[] = [{ class_name: 'InputLayer', config: { name: 'input_1', batch_input_shape: [null, h, w, c], dtype: 'float32', sparse: false } }];
  const named: Array<[string, tf.Tensor]> = [];
  for (const l of net.layers) {
    switch (l.kind) {
      case 'conv2d': {
        // padding 'reflect' is not Keras: layers-format.ts reads it back (imported AdaIN encoders).
        const [kh, kw, , cout] = l.kernel.shape;
        layers.push({ class_name: 'Conv2D', config: {
          name: l.name, trainable: true, dtype: 'float32', filters: cout, kernel_size: [kh, kw], strides: [l.strides, l.strides],
          padding: l.padding, data_format: 'channels_last', dilation_rate: [1, 1], activation: l.activation, use_bias: !!l.bias,
        } });
        named.push([`${l.name}/kernel`, l.kernel]);
        if (l.bias) named.push([`${l.name}/bias`, l.bias]);
        break;
      }
      case 'dense':
        layers.push({ class_name: 'Dense', config: { name: l.name, trainable: true, dtype: 'float32', units: l.kernel.shape[1], activation: l.activation, use_bias: !!l.bias } });
        named.push([`${l.name}/kernel`, l.kernel]);
        if (l.bias) named.push([`${l.name}/bias`, l.bias]);
        break;
      case 'batchnorm':
        layers.push({ class_name: 'BatchNormalization', config: {
          name: l.name, trainable: true, dtype: 'float32', axis: -1, momentum: l.momentum, epsilon: l.epsilon, center: true, scale: true,
        } });
        named.push([`${l.name}/gamma`, l.clean.gamma], [`${l.name}/beta`, l.clean.beta], [`${l.name}/moving_mean`, l.clean.movingMean], [`${l.name}/moving_variance`, l.clean.movingVariance]);
        break;
      case 'relu':
        layers.push({ class_name: 'ReLU', config: { name: l.name, trainable: true, dtype: 'float32' } });
        break;
      case 'maxpool':
        layers.push({ class_name: 'MaxPooling2D', config: { name: l.name, trainable: true, dtype: 'float32', pool_size: [l.size, l.size], strides: [l.strides, l.strides], padding: l.ceil ? 'same' : 'valid', data_format: 'channels_last' } });
        break;
      case 'gap':
        layers.push({ class_name: 'GlobalAveragePooling2D', config: { name: l.name, trainable: true, dtype: 'float32', data_format: 'channels_last' } });
        break;
      case 'flatten':
        layers.push({ class_name: 'Flatten', config: { name: l.name, trainable: true, dtype: 'float32', data_format: 'channels_last' } });
        break;
      default:
        throw new Error(`Layer ${l.name} (${l.kind}) has no Keras equivalent in this writer.`);
    }
  }
  const entries: tf.io.WeightsManifestEntry[] = [];
  const chunks: Uint8Array[] = [];
  for (const [name, t] of named) {
    const values = (await t.data()) as Float32Array;
    if (precision === 'float16') {
      chunks.push(new Uint8Array(toFloat16(values).buffer));
      entries.push({ name, shape: t.shape, dtype: 'float32', quantization: { dtype: 'float16' } } as tf.io.WeightsManifestEntry);
    } else {
      chunks.push(new Uint8Array(Float32Array.from(values).buffer));
      entries.push({ name, shape: t.shape, dtype: 'float32' });
    }
  }
  const weights = new Uint8Array(chunks.reduce((n, ch) => n + ch.byteLength, 0));
  let o = 0;
  for (const ch of chunks) { weights.set(ch, o); o += ch.byteLength; }
  const shards: Array<[string, Uint8Array]> = [];
  const per = opts.shardBytes && opts.shardBytes < weights.byteLength ? opts.shardBytes : 0;
  if (!per) shards.push([WEIGHTS_FILE, weights]);
  else {
    const n = Math.ceil(weights.byteLength / per);
    for (let i = 0; i < n; i++) shards.push([`group1-shard${i + 1}of${n}.bin`, weights.subarray(i * per, Math.min(weights.byteLength, (i + 1) * per))]);
  }
  const json = {
    format: 'layers-model',
    generatedBy: 'advbn-studio',
    convertedBy: null,
    modelTopology: { class_name: 'Sequential', config: { name: net.name, layers }, keras_version: '2.15.0', backend: 'tensorflow' },
    weightsManifest: [{ paths: shards.map(([name]) => name), weights: entries }],
    ...(opts.userDefinedMetadata ? { userDefinedMetadata: opts.userDefinedMetadata } : {}),
  };
  return { modelJson: JSON.stringify(json), weights, shards };
}

/** A ReadFile over an in-memory serialized model (for IndexedDB copies and round-trip tests). */
export function memoryReader(m: SerializedLayersModel): (name: string) => Promise<ArrayBuffer> {
  return async (name) => {
    if (name === 'model.json') return new TextEncoder().encode(m.modelJson).buffer as ArrayBuffer;
    if (name === WEIGHTS_FILE) return m.weights.slice().buffer as ArrayBuffer;
    throw new Error(`${name} is not part of this model (model.json, ${WEIGHTS_FILE}).`);
  };
}
