/**
 * Imported weights → this project's networks and decoders. Each importer checks every name and shape
 * against the architecture it expects *before* a tensor is made, so a wrong file is refused whole
 * (nothing half-imported), with an error that says what was found and what was expected.
 *
 *  - Keras VGG (keras.applications .h5, with or without top): kernels are already HWIO, the flatten
 *    is already H·W·C; Caffe preprocessing.
 *  - torchvision VGG (`features.N.*`, `classifier.{0,3,6}.*`): OIHW → HWIO kernels, dense weights
 *    transposed, and the first classifier layer's inputs reordered from PyTorch's C·H·W flatten to
 *    the H·W·C flatten of an NHWC network; torchvision preprocessing.
 *  - AdaIN's vgg_normalised (the AdvBN authors' encoder): a 1×1 conv, then reflection-padded 3×3 convs
 *    and ceil-mode pools, cut at relu4_1; input RGB in [0, 1].
 *  - AdaIN/AdvBN decoder (`1.weight` …): reflection-padded 3×3 convs, nearest ×2 upsampling, output RGB
 *    in [0, 1]; stored as this project's decoder format.
 * Layers get Keras-style names (block4_conv1, fc1, …) or AdaIN's (relu4_1), so split layers and
 * decoders are named as people know them.
 */
import * as tf from '@tensorflow/tfjs';
import type { Layer, Network } from '../network';
import type { Preprocessing } from '../preprocess';
import { buildNetwork, DECODER_FORMAT, type Decoder, type DecoderManifest } from '../decoder';
import { ImportError } from './source';
import type { KerasLayerWeights } from './keras-h5';
import type { RawTensor, StateDict } from './torch-file';

export type ImportFormat = 'keras-h5' | 'torchvision-vgg' | 'adain-encoder' | 'adain-decoder';

export interface ImportedNetwork {
  kind: 'classifier' | 'encoder';
  format: ImportFormat;
  net: Network;
  preprocessing: Preprocessing;
  inputSize: number;
  /** Output classes, null for an encoder. */
  classes: number | null;
  /** Split layer to start with. */
  defaultLayer: string;
  /** One line for people: what was imported. */
  description: string;
}
export interface ImportedDecoder { kind: 'decoder'; format: 'adain-decoder'; decoder: Decoder; description: string; }
export type Imported = ImportedNetwork | ImportedDecoder;

/** A layer spec with float arrays in this project's layouts (HWIO, [in, out]); no tensors yet. */
type Spec =
  | { kind: 'conv2d'; name: string; kernel: RawTensor; bias: RawTensor; activation: 'relu' | 'linear'; padding: 'same' | 'valid' | 'reflect' }
  | { kind: 'dense'; name: string; kernel: RawTensor; bias: RawTensor; activation: 'relu' | 'softmax' }
  | { kind: 'maxpool'; name: string; ceil: boolean }
  | { kind: 'flatten'; name: string };

const fmtShape = (s: readonly number[]) => `[${s.join(', ')}]`;

/** Permutes a row-major array: out dims are `perm` of the input dims. */
export function permute(t: RawTensor, perm: number[]): RawTensor {
  const shape = perm.map((p) => t.shape[p]!);
  const inStrides = t.shape.map((_, i) => t.shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const out = new Float32Array(t.data.length);
  const idx = new Array<number>(shape.length).fill(0);
  const strides = perm.map((p) => inStrides[p]!);
  for (let n = 0; n < out.length; n++) {
    let src = 0;
    for (let d = 0; d < idx.length; d++) src += idx[d]! * strides[d]!;
    out[n] = t.data[src]!;
    for (let d = idx.length - 1; d >= 0; d--) { if (++idx[d]! < shape[d]!) break; idx[d] = 0; }
  }
  return { shape, data: out };
}

/** OIHW (PyTorch conv weight) → HWIO (tfjs conv kernel); a direct loop (permute() is generic and slow). */
export function oihwToHwio(t: RawTensor): RawTensor {
  const [o, i, h, w] = t.shape as [number, number, number, number];
  const out = new Float32Array(t.data.length);
  for (let a = 0; a < o; a++) for (let b = 0; b < i; b++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    out[((y * w + x) * i + b) * o + a] = t.data[((a * i + b) * h + y) * w + x]!;
  }
  return { shape: [h, w, i, o], data: out };
}

/** [rows, cols] → [cols, rows], in cache-friendly tiles (fc weights are up to 102 M values). */
export function transpose2d(t: RawTensor): RawTensor {
  const [r, c] = t.shape as [number, number];
  const out = new Float32Array(t.data.length);
  const T = 64;
  for (let r0 = 0; r0 < r; r0 += T) for (let c0 = 0; c0 < c; c0 += T) {
    const r1 = Math.min(r, r0 + T), c1 = Math.min(c, c0 + T);
    for (let y = r0; y < r1; y++) for (let x = c0; x < c1; x++) out[x * r + y] = t.data[y * c + x]!;
  }
  return { shape: [c, r], data: out };
}

/**
 * PyTorch Linear weight [out, C·H·W] (flattened NCHW) → dense kernel [H·W·C, out] (flattened NHWC):
 * kernel[(h·W + w)·C + c][o] = weight[o][c·H·W + h·W + w].
 */
export function chwLinearToHwcKernel(w: RawTensor, c: number, h: number, wd: number): RawTensor {
  const [out, inp] = w.shape as [number, number];
  if (inp !== c * h * wd) throw new ImportError(`first classifier layer takes ${inp} inputs, expected ${c}×${h}×${wd} = ${c * h * wd}.`);
  // First the transpose to [C·H·W, out] (tiled), then move whole rows: row (c, y, x) → row (y, x, c).
  const t = transpose2d(w).data;
  const k = new Float32Array(inp * out);
  for (let ci = 0; ci < c; ci++) for (let y = 0; y < h; y++) for (let x = 0; x < wd; x++) {
    const from = ((ci * h + y) * wd + x) * out;
    k.set(t.subarray(from, from + out), ((y * wd + x) * c + ci) * out);
  }
  return { shape: [inp, out], data: k };
}

function networkFromSpecs(name: string, inputSize: number, specs: Spec[]): Network {
  const made: tf.Tensor[] = [];
  try {
    const layers: Layer[] = specs.map((s): Layer => {
      if (s.kind === 'maxpool') return { kind: 'maxpool', name: s.name, size: 2, strides: 2, ...(s.ceil ? { ceil: true } : {}) };
      if (s.kind === 'flatten') return { kind: 'flatten', name: s.name };
      const kernel = tf.tensor(s.kernel.data, s.kernel.shape);
      made.push(kernel);
      const bias = tf.tensor1d(s.bias.data);
      made.push(bias);
      if (s.kind === 'conv2d') return { kind: 'conv2d', name: s.name, kernel: kernel as tf.Tensor4D, bias, activation: s.activation, padding: s.padding, strides: 1 };
      return { kind: 'dense', name: s.name, kernel: kernel as tf.Tensor2D, bias, activation: s.activation };
    });
    return { name, inputShape: [inputSize, inputSize, 3], layers };
  } catch (e) {
    tf.dispose(made);
    throw e;
  }
}

/** Checks that convolutions chain (cin = previous cout) and start at 3 channels. */
function checkChain(specs: Spec[], where: string): number {
  let channels = 3;
  for (const s of specs) {
    if (s.kind !== 'conv2d') continue;
    const [kh, kw, cin, cout] = s.kernel.shape as [number, number, number, number];
    if (cin !== channels) throw new ImportError(`${where}: ${s.name} takes ${cin} channels, expected ${channels} (the previous layer's output); kernel ${fmtShape(s.kernel.shape)}.`);
    if (kh !== kw || (kh !== 3 && kh !== 1)) throw new ImportError(`${where}: ${s.name} has a ${kh}×${kw} kernel, expected 3×3.`);
    if (s.bias.shape.length !== 1 || s.bias.shape[0] !== cout) throw new ImportError(`${where}: ${s.name} bias has shape ${fmtShape(s.bias.shape)}, expected [${cout}].`);
    channels = cout;
  }
  return channels;
}

function checkDenseChain(specs: Spec[], inputs: number, where: string): number {
  let n = inputs;
  for (const s of specs) {
    if (s.kind !== 'dense') continue;
    const [i, o] = s.kernel.shape as [number, number];
    if (i !== n) throw new ImportError(`${where}: ${s.name} takes ${i} inputs, expected ${n}; kernel ${fmtShape(s.kernel.shape)}.`);
    if (s.bias.shape.length !== 1 || s.bias.shape[0] !== o) throw new ImportError(`${where}: ${s.name} bias has shape ${fmtShape(s.bias.shape)}, expected [${o}].`);
    n = o;
  }
  return n;
}

/** Input side such that `pools` 2×2 pools leave a square of `cells` positions, or null. */
function inputSideFor(cells: number, pools: number): number | null {
  const side = Math.round(Math.sqrt(cells));
  return side * side === cells && side > 0 ? side * 2 ** pools : null;
}

function defaultSplit(specs: Spec[]): string {
  const convs = specs.filter((s) => s.kind === 'conv2d').map((s) => s.name);
  return convs.includes('block4_conv1') ? 'block4_conv1' : convs[Math.floor(convs.length / 2)]!;
}

/** Keras keras.applications VGG weights (with or without the classifier top). */
export function fromKerasH5(layers: KerasLayerWeights[], where: string, name = 'keras-vgg'): ImportedNetwork {
  const specs: Spec[] = [];
  const denseCount = layers.filter((l) => l.weights.length === 2 && l.weights[0]!.shape.length === 2).length;
  let dense = 0;
  for (const l of layers) {
    const shapes = l.weights.map((w) => fmtShape(w.shape)).join(', ');
    if (l.weights.length === 0) {
      if (/pool/.test(l.name)) specs.push({ kind: 'maxpool', name: l.name, ceil: false });
      else if (/flatten/.test(l.name)) specs.push({ kind: 'flatten', name: l.name });
      else if (!/^input/.test(l.name) && !/dropout/.test(l.name)) throw new ImportError(`${where}: layer "${l.name}" has no weights and is not an input, pool, flatten or dropout layer; expected a VGG (blockN_convM, blockN_pool, flatten, fc1, fc2, predictions).`);
      continue;
    }
    if (l.weights.length === 2 && l.weights[0]!.shape.length === 4 && l.weights[1]!.shape.length === 1) {
      specs.push({ kind: 'conv2d', name: l.name, kernel: l.weights[0]!, bias: l.weights[1]!, activation: 'relu', padding: 'same' });
    } else if (l.weights.length === 2 && l.weights[0]!.shape.length === 2 && l.weights[1]!.shape.length === 1) {
      if (!specs.some((s) => s.kind === 'flatten')) specs.push({ kind: 'flatten', name: 'flatten' });
      specs.push({ kind: 'dense', name: l.name, kernel: l.weights[0]!, bias: l.weights[1]!, activation: ++dense === denseCount ? 'softmax' : 'relu' });
    } else {
      const what = l.weights.length === 4 ? ' (a BatchNormalization layer: VGG has none — a ResNet or another architecture?)' : '';
      throw new ImportError(`${where}: layer "${l.name}" has weights ${shapes}${what}; expected a conv kernel [3, 3, in, out] + bias or a dense kernel [in, out] + bias (a Keras VGG).`);
    }
  }
  if (!specs.some((s) => s.kind === 'conv2d')) throw new ImportError(`${where}: no convolution layers found; expected a Keras VGG.`);
  const channels = checkChain(specs, where);
  const pools = specs.filter((s) => s.kind === 'maxpool').length;
  const firstDense = specs.find((s) => s.kind === 'dense');
  let inputSize = 224;
  let classes: number | null = null;
  if (firstDense) {
    const inputs = firstDense.kernel.shape[0]!;
    const side = inputs % channels === 0 ? inputSideFor(inputs / channels, pools) : null;
    if (!side) throw new ImportError(`${where}: ${firstDense.name} takes ${inputs} inputs, which is not ${channels} channels × a square of positions after ${pools} pools.`);
    inputSize = side;
    classes = checkDenseChain(specs, inputs, where);
  }
  const net = networkFromSpecs(name, inputSize, specs);
  return {
    kind: classes ? 'classifier' : 'encoder', format: 'keras-h5', net, preprocessing: 'caffe', inputSize, classes,
    defaultLayer: defaultSplit(specs),
    description: `Keras VGG weights (${specs.filter((s) => s.kind === 'conv2d').length} conv${classes ? `, ${classes} classes` : ', no top'}) from ${where}`,
  };
}

function indexed(sd: StateDict, prefix: string): Map<number, { weight?: RawTensor; bias?: RawTensor }> {
  const out = new Map<number, { weight?: RawTensor; bias?: RawTensor }>();
  for (const [k, v] of sd) {
    const m = k.match(new RegExp(`^${prefix.replace('.', '\\.')}(\\d+)\\.(weight|bias)$`));
    if (!m) continue;
    const e = out.get(Number(m[1])) ?? {};
    e[m[2] as 'weight' | 'bias'] = v;
    out.set(Number(m[1]), e);
  }
  return out;
}

function keyList(sd: StateDict): string {
  const keys = [...sd.keys()];
  return keys.slice(0, 8).join(', ') + (keys.length > 8 ? `, … (${keys.length} in all)` : '');
}

function pair(e: { weight?: RawTensor; bias?: RawTensor }, key: string, where: string): { weight: RawTensor; bias: RawTensor } {
  if (!e.weight || !e.bias) throw new ImportError(`${where}: ${key} has ${e.weight ? 'no bias' : 'no weight'}; expected both.`);
  return e as { weight: RawTensor; bias: RawTensor };
}

/** torchvision `vgg*` state dict → classifier (NHWC, Keras-style names). */
export function fromTorchvisionVgg(sd: StateDict, where: string, name = 'torchvision-vgg'): ImportedNetwork {
  const stray = [...sd.keys()].filter((k) => !/^(features|classifier)\.\d+\.(weight|bias)$/.test(k));
  if (stray.length) {
    const bn = stray.some((k) => /running_mean|running_var/.test(k));
    throw new ImportError(`${where}: unexpected keys ${stray.slice(0, 5).join(', ')}${bn ? ' (BatchNorm: a vgg*_bn model, which this import does not support)' : ''}; expected a torchvision VGG state dict (features.N.weight/bias, classifier.{0,3,6}.weight/bias).`);
  }
  const feats = indexed(sd, 'features.');
  const idx = [...feats.keys()].sort((a, b) => a - b);
  if (!idx.length) throw new ImportError(`${where}: no features.N convolutions found; expected a torchvision VGG.`);
  const specs: Spec[] = [];
  let block = 1, conv = 0, pools = 0;
  for (let n = 0; n < idx.length; n++) {
    const i = idx[n]!;
    const { weight, bias } = pair(feats.get(i)!, `features.${i}`, where);
    if (weight.shape.length !== 4) throw new ImportError(`${where}: features.${i}.weight has shape ${fmtShape(weight.shape)}, expected a conv weight [out, in, 3, 3].`);
    specs.push({ kind: 'conv2d', name: `block${block}_conv${++conv}`, kernel: oihwToHwio(weight), bias, activation: 'relu', padding: 'same' });
    // torchvision: conv at i, ReLU at i+1, then either the next conv at i+2 or a MaxPool at i+2.
    const next = idx[n + 1];
    if (next === undefined || next === i + 3) {
      specs.push({ kind: 'maxpool', name: `block${block}_pool`, ceil: false });
      block++; conv = 0; pools++;
    } else if (next !== i + 2) {
      throw new ImportError(`${where}: features.${next} follows features.${i}; expected a VGG's conv/ReLU(/MaxPool) pattern (next conv at ${i + 2} or ${i + 3}).`);
    }
  }
  const channels = checkChain(specs, where);
  const cls = indexed(sd, 'classifier.');
  const cidx = [...cls.keys()].sort((a, b) => a - b);
  let classes: number | null = null;
  let inputSize = 224;
  if (cidx.length) {
    const first = pair(cls.get(cidx[0]!)!, `classifier.${cidx[0]}`, where);
    if (first.weight.shape.length !== 2) throw new ImportError(`${where}: classifier.${cidx[0]}.weight has shape ${fmtShape(first.weight.shape)}, expected [out, in].`);
    // torchvision's AdaptiveAvgPool2d((7, 7)) is the identity at the input size where features end at 7×7.
    const inputs = first.weight.shape[1]!;
    if (inputs !== channels * 49) throw new ImportError(`${where}: classifier.${cidx[0]} takes ${inputs} inputs, expected ${channels}×7×7 = ${channels * 49} (torchvision VGG).`);
    inputSize = 7 * 2 ** pools;
    specs.push({ kind: 'flatten', name: 'flatten' });
    const names = cidx.length === 3 ? ['fc1', 'fc2', 'predictions'] : cidx.map((_, k) => (k === cidx.length - 1 ? 'predictions' : `fc${k + 1}`));
    cidx.forEach((ci, k) => {
      const { weight, bias } = pair(cls.get(ci)!, `classifier.${ci}`, where);
      if (weight.shape.length !== 2) throw new ImportError(`${where}: classifier.${ci}.weight has shape ${fmtShape(weight.shape)}, expected [out, in].`);
      const kernel = k === 0 ? chwLinearToHwcKernel(weight, channels, 7, 7) : transpose2d(weight);
      specs.push({ kind: 'dense', name: names[k]!, kernel, bias, activation: k === cidx.length - 1 ? 'softmax' : 'relu' });
    });
    classes = checkDenseChain(specs, inputs, where);
  }
  const net = networkFromSpecs(name, inputSize, specs);
  return {
    kind: classes ? 'classifier' : 'encoder', format: 'torchvision-vgg', net, preprocessing: 'torch', inputSize, classes,
    defaultLayer: defaultSplit(specs),
    description: `torchvision VGG (${specs.filter((s) => s.kind === 'conv2d').length} conv${classes ? `, ${classes} classes` : ''}) from ${where}`,
  };
}

/** Numbered `nn.Sequential` keys (`0.weight` …) → sorted conv indices, or null when the keys are not that. */
function sequentialConvs(sd: StateDict): number[] | null {
  if (![...sd.keys()].every((k) => /^\d+\.(weight|bias)$/.test(k))) return null;
  return [...indexed(sd, '').keys()].sort((a, b) => a - b);
}

/** True when the state dict is AdaIN's vgg_normalised (first layer a 1×1 conv 3 → 3). */
export function looksLikeAdainEncoder(sd: StateDict): boolean {
  const idx = sequentialConvs(sd);
  return !!idx && idx[0] === 0 && sd.get('0.weight')?.shape.join() === '3,3,1,1';
}
/** True when the state dict is an AdaIN-style decoder (starts with a pad, ends in a conv to 3 channels). */
export function looksLikeAdainDecoder(sd: StateDict): boolean {
  const idx = sequentialConvs(sd);
  return !!idx && idx.length > 1 && idx[0] === 1 && sd.get(`${idx[idx.length - 1]}.weight`)?.shape[0] === 3;
}

/** AdaIN's vgg_normalised → encoder cut at `cut` (default relu4_1). */
export function fromAdainEncoder(sd: StateDict, where: string, cut = 'relu4_1', name = 'vgg_normalised'): ImportedNetwork {
  const idx = sequentialConvs(sd);
  if (!idx || !looksLikeAdainEncoder(sd)) throw new ImportError(`${where}: expected AdaIN's vgg_normalised state dict (0.weight a 1×1 conv 3 → 3, then 2.weight …), found keys ${keyList(sd)}.`);
  const specs: Spec[] = [];
  const first = pair(indexed(sd, '').get(0)!, '0', where);
  specs.push({ kind: 'conv2d', name: 'conv0', kernel: oihwToHwio(first.weight), bias: first.bias, activation: 'linear', padding: 'valid' });
  let block = 1, conv = 0, reached = false;
  for (let n = 1; n < idx.length && !reached; n++) {
    const i = idx[n]!, prev = idx[n - 1]!;
    // Between convs: [pad] after conv0, [ReLU, pad] within a block, [ReLU, MaxPool, pad] across blocks.
    if (i - prev === 4) { specs.push({ kind: 'maxpool', name: `pool${block}`, ceil: true }); block++; conv = 0; }
    else if (i - prev !== 3 && !(n === 1 && i - prev === 2)) throw new ImportError(`${where}: layer ${i} follows layer ${prev}; expected vgg_normalised's pad/conv/ReLU/pool pattern.`);
    const { weight, bias } = pair(indexed(sd, '').get(i)!, String(i), where);
    if (weight.shape.length !== 4) throw new ImportError(`${where}: ${i}.weight has shape ${fmtShape(weight.shape)}, expected [out, in, 3, 3].`);
    const lname = `relu${block}_${++conv}`;
    specs.push({ kind: 'conv2d', name: lname, kernel: oihwToHwio(weight), bias, activation: 'relu', padding: 'reflect' });
    reached = lname === cut;
  }
  if (!reached) throw new ImportError(`${where}: the encoder ends before ${cut} (last layer ${specs[specs.length - 1]!.name}); expected vgg_normalised up to at least ${cut}.`);
  checkChain(specs, where);
  const net = networkFromSpecs(name, 224, specs);
  return {
    kind: 'encoder', format: 'adain-encoder', net, preprocessing: 'rgb01', inputSize: 224, classes: null, defaultLayer: cut,
    description: `AdaIN vgg_normalised encoder up to ${cut} from ${where}`,
  };
}

/** AdaIN/AdvBN decoder → this project's decoder format (input: features of `layer`). */
export function fromAdainDecoder(sd: StateDict, where: string, encoder = 'vgg_normalised (AdaIN)'): ImportedDecoder {
  const idx = sequentialConvs(sd);
  if (!idx || !looksLikeAdainDecoder(sd)) throw new ImportError(`${where}: expected an AdaIN-style decoder state dict (1.weight, 5.weight, … ending in a conv to 3 channels), found keys ${keyList(sd)}.`);
  const specs: DecoderManifest['layers'] = [];
  const weights: Record<string, RawTensor> = {};
  let ups = 0;
  let channels = -1;
  idx.forEach((i, n) => {
    if (n > 0) {
      const gap = i - idx[n - 1]!;
      // Between convs: [ReLU, pad], or [ReLU, Upsample ×2, pad].
      if (gap === 4) specs.push({ kind: 'upsample', name: `dec_up${++ups}`, factor: 2 });
      else if (gap !== 3) throw new ImportError(`${where}: layer ${i} follows layer ${idx[n - 1]}; expected the decoder's pad/conv/ReLU/upsample pattern.`);
    }
    const { weight, bias } = pair(indexed(sd, '').get(i)!, String(i), where);
    if (weight.shape.length !== 4 || weight.shape[2] !== 3 || weight.shape[3] !== 3) throw new ImportError(`${where}: ${i}.weight has shape ${fmtShape(weight.shape)}, expected [out, in, 3, 3].`);
    const [cout, cin] = weight.shape as [number, number];
    if (channels >= 0 && cin !== channels) throw new ImportError(`${where}: ${i}.weight takes ${cin} channels, expected ${channels}.`);
    if (bias.shape[0] !== cout) throw new ImportError(`${where}: ${i}.bias has shape ${fmtShape(bias.shape)}, expected [${cout}].`);
    channels = cout;
    const spec = { kind: 'conv2d' as const, name: `dec_conv${n + 1}`, shape: [3, 3, cin, cout] as [number, number, number, number], activation: (n === idx.length - 1 ? 'linear' : 'relu') as 'relu' | 'linear' };
    specs.push(spec);
    weights[`${spec.name}/kernel`] = oihwToHwio(weight);
    weights[`${spec.name}/bias`] = bias;
  });
  const layer = `relu${ups + 1}_1`;
  const named: tf.NamedTensorMap = {};
  for (const [k, v] of Object.entries(weights)) named[k] = tf.tensor(v.data, v.shape);
  const net = buildNetwork(`decoder-${layer}`, specs, 1, named);
  const manifest: DecoderManifest = {
    format: DECODER_FORMAT, version: 1, encoder, layer, preprocessing: 'rgb01', output: 'rgb01', featureScale: 1,
    layers: specs, weights: { path: 'weights.bin', entries: [] }, training: { source: `imported from ${where}` },
  };
  return { kind: 'decoder', format: 'adain-decoder', decoder: { manifest, net }, description: `AdaIN-style decoder for ${layer} from ${where}` };
}

/** Which importer a PyTorch state dict needs, or an ImportError naming what was found. */
export function fromTorchStateDict(sd: StateDict, where: string, name?: string): Imported {
  const keys = [...sd.keys()];
  if (keys.some((k) => k.startsWith('features.'))) return fromTorchvisionVgg(sd, where, name);
  if (looksLikeAdainEncoder(sd)) return fromAdainEncoder(sd, where, 'relu4_1', name);
  if (looksLikeAdainDecoder(sd)) return fromAdainDecoder(sd, where);
  const resnet = keys.some((k) => /^layer\d\./.test(k)) || (keys.includes('conv1.weight') && keys.some((k) => k.startsWith('bn1.')));
  throw new ImportError(`${where}: found a state dict with keys ${keyList(sd)}${resnet ? ' (a ResNet?)' : ''}; expected a torchvision VGG (features.N.*, classifier.N.*), AdaIN's vgg_normalised.pth (0.weight = 1×1 conv) or the AdvBN/AdaIN decoder.pth (1.weight …).`);
}

export function disposeImported(i: Imported): void {
  tf.dispose(i.kind === 'decoder' ? i.decoder.net.layers.flatMap((l) => (l.kind === 'conv2d' ? [l.kernel, l.bias!] : [])) : i.net.layers.flatMap((l) => (l.kind === 'conv2d' || l.kind === 'dense' ? [l.kernel, l.bias!] : [])));
}
