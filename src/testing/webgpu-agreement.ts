/**
 * The same computation on WASM and on WebGPU in one process, for the agreement tests
 * (src/cli/webgpu-agreement.test.ts) and `npm run gpu-check`. Run as a script:
 *
 *     node --import tsx src/testing/webgpu-agreement.ts CASE[:LAYER] …
 *
 * in an environment where Dawn finds an adapter (the tests start it with SwiftShader's, see
 * software-gpu.ts). It prints one JSON line per case: per backend what the case computed (top-5, losses, δ,
 * weight updates) and its time. The comparison is the caller's.
 *
 * Cases:
 *  - vgg-feature: VGG-19 at 224 px, feature mode at LAYER (default block4_conv1), one PGD step. The
 *    encoder's features are computed once on WASM and handed to both backends (see the test for why).
 *  - vgg-encoder: VGG-19's encoder up to LAYER on a 64 px crop (the layers are all convolutional),
 *    so the encoder's kernels are compared too, at 1/12 of their 224 px cost.
 *  - style-image: the style-world model, image mode through its committed decoder, one PGD step.
 *  - style-train: one step of Algorithm 1 on the style world (lr 1, no momentum, no weight decay, so the
 *    change of every head weight is its gradient).
 *  - binding-limit[:ROWS]: x·W with W of ROWS × 4096 (default 25088: VGG-19 fc1's shape, 411 MB; seeded) on a WebGPU
 *    device asked for WebGPU's default storage-binding limit (128 MiB, $ADVBN_TEST_MAX_BINDING bytes when
 *    set; it must be the first case of its process): bound whole, as tfjs does, and as a dense layer fitted
 *    by core/binding-limits.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { useNodeBackend, type NodeBackend } from '../backend/node/backend-node';
import { loadDecoderFolder, loadModelFolder, loadVgg } from '../cli/vgg';
import { makeObjective, attack, type Classifier } from '../core/attack';
import { runPgd, type PgdReport } from '../core/pgd';
import { createTrainer, disposeTrainer, trainStep, DEFAULT_TRAIN_SETTINGS } from '../core/advbn-training';
import { disposeNetwork, forward, split, type Network } from '../models/network';
import { fitBindings, webGpuBindingLimit } from '../backend/binding-limits';
import { preprocess } from '../models/preprocess';
import { loadCenterCrop } from '../data/image-folder';
import { renderBatch, TRAIN_FAMILIES } from '../data/style-world';
import { IMAGENET_DIR, VGG19_DIR } from './shared-data';
import { mulberry32 } from '../common/random';

export const AGREEMENT_CASES = ['vgg-feature', 'vgg-encoder', 'style-image', 'style-train', 'binding-limit'] as const;
export type AgreementCase = (typeof AGREEMENT_CASES)[number];

/** What one backend computed; numbers as plain arrays so that JSON carries them. */
export interface BackendResult {
  backend: string;
  /** tfjs's backend when the case ended (that it did not fall back). */
  ranOn: string;
  /** Seconds the case took on this backend (weights loading included). */
  seconds: number;
  /** Named arrays to compare (probabilities, δ, losses, features, weight changes). */
  values: Record<string, number[]>;
  /** Clean top-5 class indices, where the case classifies. */
  top5?: number[];
}

export interface AgreementOutput {
  case: AgreementCase;
  adapter: string;
  results: BackendResult[];
}

const ROOT = resolve(new URL('../..', import.meta.url).pathname);
const STYLE_WORLD = join(ROOT, 'models/style-world');
const BACKENDS: NodeBackend[] = ['wasm', 'webgpu'];

function top5(probs: Float32Array | number[]): number[] {
  return Array.from(probs.keys()).sort((a, b) => probs[b]! - probs[a]!).slice(0, 5);
}

function pgdValues(reports: PgdReport[]): Record<string, number[]> {
  const last = reports[reports.length - 1]!;
  return {
    cleanProbs: Array.from(reports[0]!.probs),
    loss: reports.map((r) => r.loss),
    deltaMu: Array.from(last.deltaMu),
    deltaSigma: Array.from(last.deltaSigma),
  };
}

function firstPhoto(): string {
  const f = readdirSync(IMAGENET_DIR).filter((n) => /\.(jpe?g|png)$/i.test(n)).sort()[0];
  if (!f) throw new Error(`no photos in ${IMAGENET_DIR}`);
  return join(IMAGENET_DIR, f);
}

/** Runs `body` on each backend in turn; `body` gets the backend and returns its values. */
async function onEachBackend(body: (b: NodeBackend) => Promise<Omit<BackendResult, 'backend' | 'seconds' | 'ranOn'>>): Promise<BackendResult[]> {
  const out: BackendResult[] = [];
  for (const b of BACKENDS) {
    const limit = Number(process.env.ADVBN_TEST_MAX_BINDING ?? 0);
    await useNodeBackend(b, b === 'webgpu' && limit > 0 ? { webgpu: { maxStorageBufferBindingSize: limit } } : {});
    const t0 = performance.now();
    const r = await body(b);
    out.push({ backend: b, ranOn: tf.getBackend(), seconds: Math.round((performance.now() - t0) / 100) / 10, ...r });
  }
  return out;
}

async function vggFeature(layer: string): Promise<BackendResult[]> {
  await useNodeBackend('wasm');
  const x = loadCenterCrop(firstPhoto(), 224);
  const wasmNet = await loadVgg(VGG19_DIR);
  const fT = tf.tidy(() => split(wasmNet, layer).encode(preprocess('caffe', x)));
  const f = { values: (await fT.data()) as Float32Array, shape: fT.shape };
  tf.dispose([x, fT]);
  let label = -1;
  return onEachBackend(async (b) => {
    const net = b === 'wasm' ? wasmNet : await loadVgg(VGG19_DIR);
    const c: Classifier = { split: split(net, layer), preprocessing: 'caffe' };
    const fb = tf.tensor(f.values, f.shape);
    if (label < 0) {
      const p = tf.tidy(() => tf.softmax(c.split.head(fb) as tf.Tensor2D));
      label = top5((await p.data()) as Float32Array)[0]!;
      p.dispose();
    }
    const { reports, delta } = await runPgd(fb, c.split.relu, makeObjective(c, 'feature', null), { labels: [label], targeted: false },
      { eps: 1.1, tau: 0.2, steps: 1 }, { images: false });
    tf.dispose([fb, delta.mu, delta.sigma]);
    disposeNetwork(net);
    return { values: pgdValues(reports), top5: top5(reports[0]!.probs) };
  });
}

async function vggEncoder(layer: string): Promise<BackendResult[]> {
  await useNodeBackend('wasm');
  const x = loadCenterCrop(firstPhoto(), 64);
  const pixels = { values: (await x.data()) as Float32Array, shape: x.shape };
  x.dispose();
  return onEachBackend(async () => {
    const net = await loadVgg(VGG19_DIR);
    const f = tf.tidy(() => split(net, layer).encode(preprocess('caffe', tf.tensor(pixels.values, pixels.shape))));
    const values = { features: Array.from(await f.data()) };
    f.dispose();
    disposeNetwork(net);
    return { values };
  });
}

async function styleImage(): Promise<BackendResult[]> {
  const layer = 'block2_relu1';
  const item = renderBatch(TRAIN_FAMILIES, 3, 'train', 0, 1);
  return onEachBackend(async () => {
    const { net, meta } = await loadModelFolder(STYLE_WORLD, 'style-world');
    const decoder = (await loadDecoderFolder(join(STYLE_WORLD, `decoder-${layer}`))).net;
    const c: Classifier = { split: split(net, layer), preprocessing: meta.preprocessing ?? 'unit' };
    const images = tf.tensor4d(item.pixels, [1, 64, 64, 3]);
    const r = await attack(c, { images, mode: 'image', decoder, settings: { eps: 1.1, tau: 0.2, steps: 1 } }, { images: 'last' });
    const decoded = r.reports[r.reports.length - 1]!.image!;
    images.dispose();
    disposeNetwork(net);
    disposeNetwork(decoder);
    return { values: { ...pgdValues(r.reports), decoded: Array.from(decoded.data) }, top5: top5(r.cleanProbs) };
  });
}

async function styleTrain(): Promise<BackendResult[]> {
  const layer = 'block2_relu1';
  const n = 8;
  const batch = renderBatch(TRAIN_FAMILIES, 5, 'train', 0, n);
  return onEachBackend(async () => {
    const { net, meta } = await loadModelFolder(STYLE_WORLD, 'style-world');
    const t = createTrainer(net, layer, meta.preprocessing ?? 'unit', {
      ...DEFAULT_TRAIN_SETTINGS, advbn: true, lr: 1, momentum: 0, weightDecay: 0, pgd: { eps: 1.0, tau: 0.35, steps: 1 },
    });
    const before = await Promise.all(t.vars.map((v) => v.data()));
    const x = tf.tensor4d(batch.pixels, [n, 64, 64, 3]);
    const step = await trainStep(t, x, batch.labels, 0, 10);
    x.dispose();
    const values: Record<string, number[]> = { losses: [step.cleanLoss, step.advLoss!, ...step.pgdLoss!] };
    // lr 1, no momentum or decay: w' = w − ∇w L, so before − after is the gradient.
    for (let i = 0; i < t.vars.length; i++) {
      const after = await t.vars[i]!.data();
      values[`grad ${i}`] = Array.from(after, (a, j) => before[i]![j]! - a);
    }
    disposeTrainer(t);
    disposeNetwork(net);
    return { values };
  });
}

/** Seeded values in (−1, 1), the same on every backend. */
function seeded(n: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  return Float32Array.from({ length: n }, () => 2 * rand() - 1);
}

async function bindingLimit(rows: number): Promise<BackendResult[]> {
  const cols = 4096;
  const w = seeded(rows * cols, 7), x = seeded(rows, 8);
  return onEachBackend(async () => {
    const xt = tf.tensor2d(x, [1, rows]);
    const kernel = tf.tensor2d(w, [rows, cols]);
    const whole = tf.matMul(xt, kernel);
    const wholeValues = Array.from(await whole.data());
    whole.dispose();
    const net: Network = { name: 'fc1', inputShape: [rows, 1, 1], layers: [{ kind: 'dense', name: 'fc1', kernel, bias: null, activation: 'linear' }] };
    const limit = webGpuBindingLimit();
    const fit = limit === null ? null : await fitBindings(net, limit);
    const y = forward(net, xt);
    const values = { whole: wholeValues, fitted: Array.from(await y.data()), limit: [limit ?? 0], blocks: [fit?.split.length ? (net.layers[0] as { parts: unknown[] }).parts.length : 0] };
    tf.dispose([xt, y]);
    disposeNetwork(net);
    return { values };
  });
}

export async function runAgreementCase(name: AgreementCase, layer?: string): Promise<BackendResult[]> {
  switch (name) {
    case 'vgg-feature': return vggFeature(layer ?? 'block4_conv1');
    case 'vgg-encoder': return vggEncoder(layer ?? 'block4_conv1');
    case 'style-image': return styleImage();
    case 'style-train': return styleTrain();
    case 'binding-limit': return bindingLimit(Number(layer ?? 25088));
  }
}

/** `CASE[:LAYER] …`: runs each case in this process (compiled shaders are reused), one JSON line each. */
async function main(): Promise<void> {
  const { nodeWebGpu } = await import('../backend/node/backend-node');
  for (const arg of process.argv.slice(2)) {
    const [name, layer] = arg.split(':') as [AgreementCase, string | undefined];
    if (!AGREEMENT_CASES.includes(name)) throw new Error(`case must be one of ${AGREEMENT_CASES.join(', ')}, got "${name}"`);
    const results = await runAgreementCase(name, layer);
    const out: AgreementOutput = { case: name, adapter: nodeWebGpu()?.adapter ?? '?', results };
    // Written to a pipe, a long line is flushed asynchronously: wait for it before the process exits.
    await new Promise<void>((done) => process.stdout.write(JSON.stringify(out) + '\n', () => done()));
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  main().then(() => process.exit(0), (e: Error) => {
    process.stderr.write(`${e.name}: ${e.message}\n`);
    process.exit(e.name === 'WebGpuUnavailable' ? 3 : 1);
  });
}
