/**
 * Test fixtures made by code: a tiny CNN in TensorFlow.js layers format with a decoder (a "models/"
 * folder with index.json, to be picked with the folder picker), and PNG images.
 */
import { cpSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import zlib from 'node:zlib';
import { mulberry32 } from '../src/common/random';

/** The project's deterministic PRNG (mulberry32). */
const rng = mulberry32;

function normal(r: () => number, n: number, std: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = Math.max(1e-9, r()), v = r();
    out[i] = std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  return out;
}

interface W { name: string; shape: number[]; values: Float32Array }
function he(r: () => number, name: string, shape: number[]): W {
  const fanIn = shape.slice(0, -1).reduce((a, b) => a * b, 1);
  return { name, shape, values: normal(r, shape.reduce((a, b) => a * b, 1), Math.sqrt(2 / fanIn)) };
}
function bias(name: string, n: number, v = 0): W {
  return { name, shape: [n], values: new Float32Array(n).fill(v) };
}
function pack(ws: W[]): { manifest: Array<{ name: string; shape: number[]; dtype: 'float32' }>; bytes: Buffer } {
  const total = ws.reduce((n, w) => n + w.values.length, 0);
  const all = new Float32Array(total);
  let o = 0;
  for (const w of ws) { all.set(w.values, o); o += w.values.length; }
  return { manifest: ws.map((w) => ({ name: w.name, shape: w.shape, dtype: 'float32' })), bytes: Buffer.from(all.buffer) };
}

export const TINY_LABELS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

export interface TinyModelSpec {
  id: string;
  /** Input side in pixels (a multiple of 4). */
  size: number;
  /** Folder of the model, relative to the models folder. */
  path: string;
  /** Split layer → decoder folder (c1: conv 8→3; c2: conv 16→8, up ×2, conv 8→3). */
  decoders: Partial<Record<'c1' | 'c2', string>>;
  defaultLayer?: 'c1' | 'c2';
}

/** The Explore tests' model: 32×32 input, the c2 decoder in decoder-c2/. */
export const TINY: TinyModelSpec = { id: 'tiny', size: 32, path: 'tiny', decoders: { c2: 'decoder-c2' } };
/**
 * Models of three input sizes with decoders for both conv layers, for switching between models
 * (the pixels of one must never be drawn at the size of another).
 */
export const TINY_SIZES: TinyModelSpec[] = [
  { id: 'tiny', size: 32, path: 'tiny', decoders: { c1: 'tiny/decoder-c1', c2: 'tiny/decoder-c2' } },
  { id: 'tiny48', size: 48, path: 'tiny48', decoders: { c1: 'tiny48/decoder-c1', c2: 'tiny48/decoder-c2' } },
  { id: 'tiny16', size: 16, path: 'tiny16', decoders: { c2: 'tiny16/decoder-c2' }, defaultLayer: 'c2' },
];

function writeDecoder(dir: string, r: () => number, encoder: string, layer: 'c1' | 'c2') {
  const c2 = layer === 'c2';
  const dw = pack(c2
    ? [he(r, 'dec_conv1/kernel', [3, 3, 16, 8]), bias('dec_conv1/bias', 8), he(r, 'dec_conv2/kernel', [3, 3, 8, 3]), bias('dec_conv2/bias', 3, 0.5)]
    : [he(r, 'dec_conv1/kernel', [3, 3, 8, 3]), bias('dec_conv1/bias', 3, 0.5)]);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'decoder.json'), JSON.stringify({
    format: 'advbn-decoder', version: 1, encoder, layer, preprocessing: 'unit', output: 'rgb01', featureScale: 2,
    layers: c2
      ? [
        { kind: 'scale', name: 'feature_scale', factor: 0.5 },
        { kind: 'conv2d', name: 'dec_conv1', shape: [3, 3, 16, 8], activation: 'relu' },
        { kind: 'upsample', name: 'dec_up1', factor: 2 },
        { kind: 'conv2d', name: 'dec_conv2', shape: [3, 3, 8, 3], activation: 'linear' },
      ]
      : [
        { kind: 'scale', name: 'feature_scale', factor: 0.5 },
        { kind: 'conv2d', name: 'dec_conv1', shape: [3, 3, 8, 3], activation: 'linear' },
      ],
    weights: { path: 'weights.bin', entries: dw.manifest },
  }));
  writeFileSync(join(dir, 'weights.bin'), dw.bytes);
}

/**
 * Writes a models folder: `<dir>/index.json` and, per spec, `<dir>/<path>/` (model.json + shard:
 * size×size input, conv c1 (8) → pool → conv c2 (16) → pool → dense 10) and its decoders (decoder.json +
 * weights.bin; the encoder's mirror, §5). Returns dir.
 */
export function writeTinyModelsFolder(specs: TinyModelSpec[], dir = mkdtempSync(join(tmpdir(), 'advbn-tiny-'))): string {
  const r = rng(7);
  const conv = (name: string, filters: number) => ({
    class_name: 'Conv2D',
    config: { name, filters, kernel_size: [3, 3], strides: [1, 1], padding: 'same', data_format: 'channels_last', activation: 'relu', use_bias: true },
  });
  const pool = (name: string) => ({ class_name: 'MaxPooling2D', config: { name, pool_size: [2, 2], strides: [2, 2], padding: 'valid' } });
  for (const spec of specs) {
    const size = spec.size;
    const layers = [
      { class_name: 'InputLayer', config: { name: 'input', batch_input_shape: [null, size, size, 3], dtype: 'float32' } },
      conv('c1', 8), pool('p1'), conv('c2', 16), pool('p2'),
      { class_name: 'Flatten', config: { name: 'flatten' } },
      { class_name: 'Dense', config: { name: 'logits', units: 10, activation: 'softmax', use_bias: true } },
    ];
    const flat = (size / 4) * (size / 4) * 16;
    const weights = pack([
      he(r, 'c1/kernel', [3, 3, 3, 8]), bias('c1/bias', 8, 0.05),
      he(r, 'c2/kernel', [3, 3, 8, 16]), bias('c2/bias', 16, 0.05),
      he(r, 'logits/kernel', [flat, 10]), bias('logits/bias', 10),
    ]);
    mkdirSync(join(dir, spec.path), { recursive: true });
    writeFileSync(join(dir, spec.path, 'model.json'), JSON.stringify({
      format: 'layers-model', generatedBy: 'advbn-studio e2e fixture', convertedBy: null,
      modelTopology: { class_name: 'Sequential', config: { name: spec.id, layers }, keras_version: '2.x', backend: 'tensorflow' },
      weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: weights.manifest }],
    }));
    writeFileSync(join(dir, spec.path, 'group1-shard1of1.bin'), weights.bytes);
    for (const layer of ['c2', 'c1'] as const) {
      const d = spec.decoders[layer];
      if (d !== undefined) writeDecoder(join(dir, d), r, spec.id, layer);
    }
  }
  writeFileSync(join(dir, 'index.json'), JSON.stringify({
    models: specs.map((s) => ({
      id: s.id, name: s.id === 'tiny' ? 'Tiny test CNN' : `Tiny test CNN (${s.size} px)`, path: s.path, preprocessing: 'unit', inputSize: s.size,
      labels: TINY_LABELS, defaultLayer: s.defaultLayer ?? 'c2', decoders: s.decoders,
    })),
  }, null, 1));
  return dir;
}

/**
 * Writes `<dir>/index.json`, `<dir>/tiny/` (model.json + shard: 32×32 input, conv c1 (8) → pool →
 * conv c2 (16) → pool → dense 10) and `<dir>/decoder-c2/` (decoder.json + weights.bin). Returns dir.
 */
export function writeTinyModelFolder(dir = mkdtempSync(join(tmpdir(), 'advbn-tiny-')), size = 32): string {
  return writeTinyModelsFolder([{ ...TINY, size }], dir);
}

/** A PNG of w×h with a colourful pattern (not square, so the centre crop matters). */
export function makePng(w: number, h: number, seed = 1): Buffer {
  const png = new PNG({ width: w, height: h });
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 4;
      png.data[i] = (x * 255) / w;
      png.data[i + 1] = (y * 255) / h;
      png.data[i + 2] = ((x + y + seed * 40) % 64) * 4;
      png.data[i + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}

export function tempFile(name: string, data: Buffer | string): string {
  const d = mkdtempSync(join(tmpdir(), 'advbn-file-'));
  const p = join(d, name);
  writeFileSync(p, data);
  return p;
}

/**
 * A w×h greyscale PNG (8-bit, one channel: 8000×8000 is 64 MB raw, a few hundred kB compressed)
 * with a block pattern, written directly (pngjs would need the 256 MB RGBA buffer).
 */
export function makeBigPng(w: number, h: number): Buffer {
  const row = Buffer.alloc(w + 1);
  const raw = Buffer.alloc((w + 1) * h);
  for (let y = 0; y < h; y++) {
    row[0] = 0; // filter: none
    for (let x = 0; x < w; x++) row[x + 1] = (((x >> 7) + (y >> 7)) & 1) * 200 + 30;
    row.copy(raw, y * (w + 1));
  }
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(td) >>> 0);
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw, { level: 6 })), chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A JPEG of w×h (a colourful pattern) encoded with jpeg-js. */
export function makeJpeg(w: number, h: number): Buffer {
  const data = Buffer.alloc(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 4;
      data[i] = (x * 255) / w; data[i + 1] = (y * 255) / h; data[i + 2] = ((x ^ y) & 63) * 4; data[i + 3] = 255;
    }
  }
  return jpeg.encode({ data, width: w, height: h }, 85).data;
}

/**
 * public/ as a fresh clone has it, in `dir` (serve it with harness.setPublicDir): the shipped files, and
 * models/ = the repository's own models only — no VGG-19 link, no ImageNet samples, no VGG-19 imported.
 */
export function freshClonePublic(dir = mkdtempSync(join(tmpdir(), 'advbn-fresh-'))): { models: string; pub: string } {
  const root = resolve(new URL('..', import.meta.url).pathname);
  const models = join(dir, 'models');
  cpSync(join(root, 'models'), models, {
    recursive: true,
    filter: (src) => !/\/models\/(vgg19-imagenet-tfjs|imagenet-samples|vgg19-keras|vgg19-torchvision)(\/|$)/.test(src),
  });
  const pub = join(dir, 'public');
  mkdirSync(pub);
  for (const f of ['coi-serviceworker.js', 'favicon.svg']) cpSync(join(root, 'public', f), join(pub, f));
  symlinkSync(models, join(pub, 'models'), 'dir');
  return { models, pub };
}
