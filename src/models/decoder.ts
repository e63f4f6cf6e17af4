/**
 * Decoders that turn features of a split layer back into an image (§5 of the method).
 *
 * Architecture: the mirror of the encoder g^{1,l}, as in AdaIN's decoder: every encoder conv
 * (cin → cout) becomes a 3×3 reflection-padded conv (cout → cin) with ReLU, every pool a nearest ×2
 * upsampling, and the encoder's first conv becomes the last conv to 3 channels, without ReLU.
 * The first layer divides the features by their typical scale (VGG-19 features have std ≈ 270 at
 * block3_conv1), otherwise Adam barely moves. Output: RGB in [0, 1] (clamped only for display).
 *
 * A decoder is stored as `decoder.json` (the manifest: encoder, layer, preprocessing, feature scale,
 * layers) and `weights.bin` (float16), read with tf.io.decodeWeights.
 */
import * as tf from '@tensorflow/tfjs';
import { layerIndex, type ConvLayer, type Layer, type Network } from './network';
import type { Preprocessing } from './preprocess';
import type { ReadFile } from './layers-format';

export const DECODER_FORMAT = 'advbn-decoder';

export interface DecoderManifest {
  format: typeof DECODER_FORMAT;
  version: 1;
  /** The encoder whose features this decodes, e.g. "vgg19-imagenet (Keras)". */
  encoder: string;
  /** Split layer whose output is decoded. */
  layer: string;
  /** How the encoder's input was preprocessed. The decoder outputs RGB in [0, 1]. */
  preprocessing: Preprocessing;
  output: 'rgb01';
  featureScale: number;
  layers: Array<
    | { kind: 'scale'; name: string; factor: number }
    | { kind: 'conv2d'; name: string; shape: [number, number, number, number]; activation: 'relu' | 'linear' }
    | { kind: 'upsample'; name: string; factor: number }
  >;
  weights: { path: string; entries: tf.io.WeightsManifestEntry[] };
  training?: Record<string, unknown>;
}

export interface Decoder { manifest: DecoderManifest; net: Network; }

/** Mirror of layers [0, l] of a VGG-style encoder, as a list of layer specs (no weights yet). */
export function mirrorSpec(encoder: Network, layer: string, via?: string, prefix = 'dec'): DecoderManifest['layers'] {
  const end = layerIndex(encoder, layer);
  // With `via`, only layers (via, layer] are mirrored: the result maps features at `layer` to
  // (estimated) features at `via`, so that a decoder for `via` can finish the job (staged training).
  const stop = via ? layerIndex(encoder, via) + 1 : 0;
  if (stop > end) throw new Error(`${via} must come before ${layer} in the encoder.`);
  const specs: DecoderManifest['layers'] = [];
  let up = 0, conv = 0;
  for (let i = end; i >= stop; i--) {
    const l = encoder.layers[i]!;
    if (l.kind === 'conv2d') {
      const [kh, kw, cin, cout] = l.kernel.shape;
      const last = !via && !encoder.layers.slice(0, i).some((p) => p.kind === 'conv2d');
      specs.push({ kind: 'conv2d', name: `${prefix}_conv${++conv}`, shape: [kh === 1 ? 1 : 3, kw === 1 ? 1 : 3, cout, cin], activation: last ? 'linear' : 'relu' });
    } else if (l.kind === 'maxpool') {
      specs.push({ kind: 'upsample', name: `${prefix}_up${++up}`, factor: l.strides });
    } else if (l.kind !== 'relu') {
      throw new Error(`Cannot mirror layer ${l.name} (${l.kind}) into a decoder.`);
    }
  }
  return specs;
}

/** He-normal initialised network from specs. The last conv's bias starts at 0.5 (mid-grey). */
export function buildNetwork(name: string, specs: DecoderManifest['layers'], seed = 1, weights?: tf.NamedTensorMap): Network {
  const layers: Layer[] = [];
  let s = seed;
  for (const spec of specs) {
    if (spec.kind === 'scale') layers.push({ kind: 'scale', name: spec.name, factor: spec.factor });
    else if (spec.kind === 'upsample') layers.push({ kind: 'upsample', name: spec.name, factor: spec.factor });
    else {
      const [kh, kw, cin, cout] = spec.shape;
      const kernel = weights?.[`${spec.name}/kernel`] ?? tf.randomNormal(spec.shape, 0, Math.sqrt(2 / (kh * kw * cin)), 'float32', s++);
      const bias = weights?.[`${spec.name}/bias`] ?? tf.fill([cout], spec.activation === 'linear' && cout === 3 ? 0.5 : 0);
      if (!kernel || !bias || kernel.shape.join() !== spec.shape.join()) throw new Error(`Weights for ${spec.name} are missing or have the wrong shape.`);
      const conv: ConvLayer = {
        kind: 'conv2d', name: spec.name, activation: spec.activation, padding: 'reflect', strides: 1,
        kernel: tf.variable(kernel as tf.Tensor4D, true) as unknown as tf.Tensor4D,
        bias: tf.variable(bias as tf.Tensor1D, true) as unknown as tf.Tensor1D,
      };
      layers.push(conv);
      // tf.variable copies: the initial tensors are no longer needed.
      kernel.dispose();
      bias.dispose();
    }
  }
  return { name, inputShape: [0, 0, 0], layers };
}

export function createDecoder(encoder: Network, encoderName: string, layer: string, featureScale: number, seed = 1): Decoder {
  const specs: DecoderManifest['layers'] = [{ kind: 'scale', name: 'feature_scale', factor: 1 / featureScale }, ...mirrorSpec(encoder, layer)];
  const manifest: DecoderManifest = {
    format: DECODER_FORMAT, version: 1, encoder: encoderName, layer, preprocessing: 'caffe', output: 'rgb01',
    featureScale, layers: specs, weights: { path: 'weights.bin', entries: [] },
  };
  return { manifest, net: buildNetwork(`decoder-${layer}`, specs, seed) };
}

/** The trainable variables of a decoder (kernels and biases). */
export function decoderVariables(net: Network): tf.Variable[] {
  const vars: tf.Variable[] = [];
  for (const l of net.layers) if (l.kind === 'conv2d') vars.push(l.kernel as unknown as tf.Variable, l.bias as unknown as tf.Variable);
  return vars;
}

function namedWeights(net: Network): tf.NamedTensorMap {
  const out: tf.NamedTensorMap = {};
  for (const l of net.layers) if (l.kind === 'conv2d') {
    out[`${l.name}/kernel`] = l.kernel;
    if (l.bias) out[`${l.name}/bias`] = l.bias;
  }
  return out;
}

/** Float32 → IEEE half (round to nearest even), for compact weights. */
export function toFloat16(values: Float32Array): Uint16Array {
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    f32[0] = values[i]!;
    const x = u32[0]!;
    const sign = (x >>> 16) & 0x8000;
    const exp = (x >>> 23) & 0xff;
    let mant = x & 0x7fffff;
    if (exp === 0xff) { out[i] = sign | 0x7c00 | (mant ? 0x200 : 0); continue; }
    let e = exp - 127 + 15;
    if (e >= 0x1f) { out[i] = sign | 0x7c00; continue; }
    if (e <= 0) {
      if (e < -10) { out[i] = sign; continue; }
      mant = (mant | 0x800000) >>> (1 - e);
      out[i] = sign | ((mant + 0xfff + ((mant >>> 13) & 1)) >>> 13);
      continue;
    }
    const half = sign | (e << 10) | (mant >>> 13);
    const rest = mant & 0x1fff;
    out[i] = rest > 0x1000 || (rest === 0x1000 && (half & 1)) ? half + 1 : half;
  }
  return out;
}

/** Serialises a decoder: manifest JSON text + float16 weights. */
export async function serializeDecoder(d: Decoder, precision: 'float16' | 'float32' = 'float16'): Promise<{ json: string; weights: Uint8Array }> {
  const named = namedWeights(d.net);
  const entries: tf.io.WeightsManifestEntry[] = [];
  const chunks: Uint8Array[] = [];
  for (const [name, t] of Object.entries(named)) {
    const values = (await t.data()) as Float32Array;
    if (precision === 'float16') {
      chunks.push(new Uint8Array(toFloat16(values).buffer));
      entries.push({ name, shape: t.shape, dtype: 'float32', quantization: { dtype: 'float16' } } as tf.io.WeightsManifestEntry);
    } else {
      chunks.push(new Uint8Array(values.slice().buffer));
      entries.push({ name, shape: t.shape, dtype: 'float32' });
    }
  }
  const total = chunks.reduce((n, c) => n + c.byteLength, 0);
  const joined = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) { joined.set(c, o); o += c.byteLength; }
  const manifest: DecoderManifest = { ...d.manifest, weights: { path: 'weights.bin', entries } };
  return { json: JSON.stringify(manifest, null, 1), weights: joined };
}

export class DecoderFormatError extends Error {}

export async function loadDecoder(readFile: ReadFile, where: string): Promise<Decoder> {
  let manifest: DecoderManifest;
  try {
    manifest = JSON.parse(new TextDecoder().decode(await readFile('decoder.json')));
  } catch (e) {
    throw new DecoderFormatError(`${where}: no readable decoder.json (${(e as Error).message}). Expected a decoder folder made by 'advbn train-decoder' (decoder.json + weights.bin).`);
  }
  if (manifest.format !== DECODER_FORMAT) throw new DecoderFormatError(`${where}: decoder.json is not an ${DECODER_FORMAT} manifest.`);
  const buf = await readFile(manifest.weights.path);
  const weights = tf.io.decodeWeights(buf, manifest.weights.entries);
  try {
    const net = buildNetwork(`decoder-${manifest.layer}`, manifest.layers, 1, weights);
    return { manifest, net };
  } catch (e) {
    tf.dispose(Object.values(weights));
    throw new DecoderFormatError(`${where}: ${(e as Error).message}`);
  }
}
