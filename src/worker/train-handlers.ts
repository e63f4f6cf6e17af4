/**
 * Handlers of the Train page (see src/ui/train): Algorithm 1 on the style world or on a folder of the
 * user's images, streamed step by step, with pause / resume / cancel, then the robustness report of the
 * base and the fine-tuned model and the fine-tuned weights in TF.js layers format.
 *
 *   train.layers {source, entry}        → the model's layers (for the split-layer menu)
 *   train.run    TrainRunRequest        → events TrainEvent…, result TrainRunResult
 *   train.pause  {runId, paused}        → pauses / resumes a run between steps
 */
import * as tf from '@tensorflow/tfjs';
import type { TypedHandlers } from './protocol';
import type {
  ArmReport, CompareEvent, LayerInfo, ModelRef, PreviewRequest, PreviewResult, TrainCompareRequest, TrainCompareResult, TrainData, TrainEvent, TrainRunRequest, TrainRunResult,
} from './train-protocol';

export type * from './train-protocol';
import { readerFor } from './explore-handlers';
import { loadLayersModelNetwork } from '../models/layers-format';
import { disposeNetwork, outputIsRelu, type DenseLayer, type Network } from '../models/network';
import { serializeLayersModel } from '../models/layers-writer';
import {
  createTrainer, disposeTrainer, trainLoop, DEFAULT_TRAIN_SETTINGS, type AdvbnTrainSettings,
} from '../core/advbn-training';
import { corruptSet, robustnessReport, styleWorldTestSets, type Report, type TestSet } from '../core/robustness';
import { CORRUPTIONS } from '../data/corruptions';
import { mulberry32 } from '../common/random';
import { plannedSteps } from '../common/train-types';
import { batchOf, renderSet, type ImageSet } from '../data/style-world-data';
import { epochSampler } from '../data/batch';
import { renderBatch, TRAIN_FAMILIES, trainSet } from '../data/style-world';
import { loadDecoder } from '../models/decoder';
import { split } from '../models/network';
import { preprocess, rgbToRgba } from '../models/preprocess';
import { previewAdvbnBatch, type BatchPreview } from '../core/batch-preview';
import { fitOrDispose } from '../backend/binding-limits';
import { hashingReader } from '../common/hashing-reader';
import type { ReadFile } from '../common/read-file';
import { compareFineTuning } from '../core/compare-training';

export const TRAIN_TEST_SEED = 9001;

const armReport = (r: Report): ArmReport => ({ accuracy: r.accuracy, meanStyle: r.meanStyle, meanCorruption: r.meanCorruption, divergenceMean: r.divergenceMean });
/** Paused runs: the promise the loop awaits, and how to release it. */
const pauses = new Map<string, { paused: boolean; release: (() => void) | null; wait: Promise<void> | null }>();

export function pauseState(runId: string) {
  let s = pauses.get(runId);
  if (!s) { s = { paused: false, release: null, wait: null }; pauses.set(runId, s); }
  return s;
}

/** Forgets a run's pause state (when the run ends). */
export function endPause(runId: string): void {
  pauses.get(runId)?.release?.();
  pauses.delete(runId);
}

export async function loadModel(m: ModelRef): Promise<Network> {
  return loadFrom(m, readerFor(m.source, m.entry.path));
}

/** The model and the SHA-256 of the bytes it was read from (model.json and weights: cache keys depend on both). */
export async function loadModelAndHash(m: ModelRef): Promise<{ net: Network; bytesHash: string }> {
  const reader = hashingReader(readerFor(m.source, m.entry.path));
  const net = await loadFrom(m, reader.read);
  return { net, bytesHash: await reader.digest() };
}

async function loadFrom(m: ModelRef, read: ReadFile): Promise<Network> {
  const net = await loadLayersModelNetwork(read, m.entry.name, m.entry.id);
  await fitOrDispose(net);
  return net;
}

/** Replaces the last dense layer by a fresh one with `classes` outputs (a folder with other classes). */
function replaceClassifier(net: Network, classes: number, seed: number): void {
  const i = net.layers.map((l) => l.kind).lastIndexOf('dense');
  if (i < 0) throw new Error('The model has no dense classifier layer to replace for these classes.');
  const old = net.layers[i] as DenseLayer;
  if (old.kernel.shape[1] === classes) return;
  const cin = old.kernel.shape[0];
  old.kernel.dispose();
  old.bias?.dispose();
  net.layers[i] = { ...old, kernel: tf.randomNormal([cin, classes], 0, Math.sqrt(1 / cin), 'float32', seed) as tf.Tensor2D, bias: tf.zeros([classes]) as tf.Tensor1D };
}

/** Folder data: every 5th image of each class is held out as the clean test set. */
function folderSets(d: Extract<TrainData, { kind: 'folder' }>): { train: ImageSet; test: ImageSet } {
  const per = d.size * d.size * 3;
  const trainIdx: number[] = [], testIdx: number[] = [];
  const seen = new Map<number, number>();
  d.labels.forEach((l, i) => {
    const k = seen.get(l) ?? 0;
    seen.set(l, k + 1);
    (k % 5 === 4 ? testIdx : trainIdx).push(i);
  });
  const pick = (idx: number[], name: string): ImageSet => {
    const pixels = new Uint8Array(idx.length * per);
    idx.forEach((src, k) => pixels.set(d.pixels.subarray(src * per, (src + 1) * per), k * per));
    return { name, pixels, labels: idx.map((i) => d.labels[i]!), size: d.size };
  };
  return { train: pick(trainIdx, 'train'), test: pick(testIdx, 'clean') };
}

/** The training set, test sets and class names of a request (the base's classifier is replaced for a folder). */
function prepareData(p: Pick<TrainRunRequest, 'data' | 'testSize' | 'model'>, base: Network, seed: number, ev: (e: Extract<TrainEvent, { kind: 'phase' }>) => void): { train: ImageSet; tests: TestSet[]; classes: string[] } {
  const size = base.inputShape[0];
  ev({ kind: 'phase', phase: 'rendering', done: 0, total: 1 });
  if (p.data.kind === 'style-world') {
    if (size !== 64) throw new Error(`The style world is 64×64; ${p.model.entry.name} expects ${size}×${size} inputs.`);
    const train = renderSet(trainSet(), 100 + seed, p.data.trainSize, (done, total) => ev({ kind: 'phase', phase: 'rendering', done, total }));
    const tests: TestSet[] = p.testSize > 0 ? styleWorldTestSets(TRAIN_TEST_SEED, p.testSize) : [];
    return { train, tests, classes: Array.isArray(p.model.entry.labels) ? p.model.entry.labels : [] };
  }
  if (p.data.size !== size) throw new Error(`Folder images were prepared at ${p.data.size} px; the model expects ${size}.`);
  const sets = folderSets(p.data);
  replaceClassifier(base, p.data.classes.length, 7);
  const tests: TestSet[] = p.testSize > 0 && sets.test.labels.length ? [
    { ...sets.test, kind: 'clean' },
    ...CORRUPTIONS.map((c) => ({ ...corruptSet(sets.test, c.name, c.apply, TRAIN_TEST_SEED), kind: 'corruption' as const })),
  ] : [];
  return { train: sets.train, tests, classes: p.data.classes };
}

/** The model's decoder for `layer` (its registry entry's `decoders`), or null when it has none or it cannot be read. */
export async function layerDecoder(model: ModelRef, layer: string): Promise<Network | null> {
  const dir = model.entry.decoders[layer];
  if (dir === undefined) return null;
  try {
    const d = await loadDecoder(readerFor(model.source, dir), dir);
    if (d.manifest.layer === layer) return d.net;
    disposeNetwork(d.net);
  } catch { /* no decoder present: pictures of the clean batch only */ }
  return null;
}

/** A batch preview as the page shows it: RGBA images of `size` px (the decoded ones at the decoder's size). */
export function previewResult(pv: BatchPreview, clean: Uint8ClampedArray[], size: number, labels: number[], decoderLayer: string | null): PreviewResult {
  const rgba = (imgs: Float32Array[] | null) => imgs?.map((px) => rgbToRgba(px, pv.decodedSize, pv.decodedSize)) ?? null;
  return { size, labels, clean, recon: rgba(pv.recon), adv: rgba(pv.adv), cleanPred: pv.cleanPred, advPred: pv.advPred, loss: pv.loss, decoderLayer };
}

export const trainHandlers = {
  async 'train.layers'(payload: ModelRef): Promise<LayerInfo[]> {
    const net = await loadModel(payload);
    try {
      return net.layers.map((l) => ({ name: l.name, kind: l.kind, relu: outputIsRelu(l) }));
    } finally {
      disposeNetwork(net);
    }
  },

  async 'train.pause'(payload: { runId: string; paused: boolean }): Promise<boolean> {
    const s = pauseState(payload.runId);
    s.paused = payload.paused;
    if (payload.paused && !s.wait) s.wait = new Promise<void>((r) => { s.release = r; });
    if (!payload.paused && s.release) { s.release(); s.release = null; s.wait = null; }
    return s.paused;
  },

  async 'train.run'(p: TrainRunRequest, { signal, emit }): Promise<TrainRunResult> {
    const ev = (e: TrainEvent) => emit(e);
    const pause = pauseState(p.runId);
    // Cancelling a paused run must wake it so that it can stop.
    signal.addEventListener('abort', () => { pause.release?.(); }, { once: true });
    ev({ kind: 'phase', phase: 'loading' });
    const base = await loadModel(p.model);
    let trainer: ReturnType<typeof createTrainer> | null = null;
    try {
      const { train, tests, classes } = prepareData(p, base, p.data.kind === 'style-world' ? p.data.seed : 1, ev);
      if (signal.aborted) throw new DOMException('cancelled', 'AbortError');
      const layers = p.divergenceLayers ?? base.layers.filter((l) => l.kind === 'relu' || (l.kind === 'conv2d' && l.activation === 'relu')).map((l) => l.name);
      let before: Report | null = null;
      if (tests.length) {
        ev({ kind: 'phase', phase: 'report-before', done: 0, total: tests.length });
        before = await robustnessReport(base, p.model.entry.preprocessing, tests, layers, (done, total) => ev({ kind: 'phase', phase: 'report-before', done, total }));
      }
      const settings: AdvbnTrainSettings = {
        ...DEFAULT_TRAIN_SETTINGS, advbn: p.advbn, lr: p.lr, pgd: { eps: p.eps, tau: p.tau, steps: p.pgdSteps },
      };
      trainer = createTrainer(base, p.layer, p.model.entry.preprocessing, settings);
      const n = train.labels.length;
      const batch = Math.min(p.batchSize, n);
      const steps = plannedSteps(n, p.batchSize, p.epochs);
      const sample = epochSampler(n, batch, mulberry32(p.data.kind === 'style-world' ? p.data.seed : 1));
      ev({ kind: 'phase', phase: 'training', done: 0, total: steps });
      const t0 = performance.now();
      await trainLoop(trainer, steps, (s) => batchOf(train, sample(s)), {
        signal,
        waitWhilePaused: async () => { while (pause.paused && pause.wait && !signal.aborted) await pause.wait; },
        onStep: (r) => ev({ kind: 'step', total: steps, ...r }),
      });
      const trainSeconds = (performance.now() - t0) / 1000;
      let after: Report | null = null;
      if (tests.length) {
        ev({ kind: 'phase', phase: 'report-after', done: 0, total: tests.length });
        after = await robustnessReport(trainer.net, p.model.entry.preprocessing, tests, layers, (done, total) => ev({ kind: 'phase', phase: 'report-after', done, total }));
      }
      ev({ kind: 'phase', phase: 'saving' });
      const s = await serializeLayersModel(trainer.net, {
        userDefinedMetadata: { base: p.model.entry.id, layer: p.layer, advbn: p.advbn, steps, classes, settings },
      });
      const weights = s.weights.buffer.slice(s.weights.byteOffset, s.weights.byteOffset + s.weights.byteLength) as ArrayBuffer;
      return { runId: p.runId, classes, steps, trainSeconds, before, after, modelJson: s.modelJson, weights, settings, backend: tf.getBackend() };
    } finally {
      if (trainer) disposeTrainer(trainer);
      disposeNetwork(base);
      pauses.delete(p.runId);
    }
  },

  async 'train.compare'(p: TrainCompareRequest, { signal, emit }): Promise<TrainCompareResult> {
    const ev = (e: CompareEvent) => emit(e);
    const pause = pauseState(p.runId);
    signal.addEventListener('abort', () => { pause.release?.(); }, { once: true });
    if (!Number.isInteger(p.seeds) || p.seeds < 1 || p.seeds > 10) throw new RangeError(`Seeds must be a whole number from 1 to 10, got ${p.seeds}.`);
    ev({ kind: 'phase', phase: 'loading' });
    const base = await loadModel(p.model);
    try {
      const seed0 = p.data.kind === 'style-world' ? p.data.seed : 1;
      const seeds = Array.from({ length: p.seeds }, (_, i) => seed0 + i);
      let data = prepareData(p, base, seed0, ev);
      const layers = p.divergenceLayers ?? base.layers.filter((l) => l.kind === 'relu' || (l.kind === 'conv2d' && l.activation === 'relu')).map((l) => l.name);
      const settings: AdvbnTrainSettings = { ...DEFAULT_TRAIN_SETTINGS, advbn: true, lr: p.lr, pgd: { eps: p.eps, tau: p.tau, steps: p.pgdSteps } };
      const n = data.train.labels.length;
      const batch = Math.min(p.batchSize, n);
      const steps = plannedSteps(n, p.batchSize, p.epochs);
      let sample = epochSampler(n, batch, mulberry32(seed0));
      let kept: { modelJson: string; weights: ArrayBuffer } | null = null;
      const r = await compareFineTuning({
        base, layer: p.layer, preprocessing: p.model.entry.preprocessing, settings, seeds, steps, tests: data.tests, divergenceLayers: layers, signal,
        waitWhilePaused: async () => { while (pause.paused && pause.wait && !signal.aborted) await pause.wait; },
        prepareSeed: (seed) => {
          if (seed !== seed0 && p.data.kind === 'style-world') data = { ...data, train: prepareData(p, base, seed, ev).train };
          sample = epochSampler(n, batch, mulberry32(seed));
        },
        batch: (_seed, step) => batchOf(data.train, sample(step)),
        onStep: (seed, arm, st) => ev({ kind: 'step', arm, seed, total: steps, ...st }),
        onPhase: (phase, seed, done, total) => ev({ kind: 'phase', phase, seed, done, total }),
        onTrained: async (seed, arm, trainer) => {
          if (arm !== 'advbn' || seed !== seeds[seeds.length - 1]) return;
          ev({ kind: 'phase', phase: 'saving' });
          const s = await serializeLayersModel(trainer.net, { userDefinedMetadata: { base: p.model.entry.id, layer: p.layer, advbn: true, steps, classes: data.classes, settings, seed } });
          kept = { modelJson: s.modelJson, weights: s.weights.buffer.slice(s.weights.byteOffset, s.weights.byteOffset + s.weights.byteLength) as ArrayBuffer };
        },
      });
      const k = kept as { modelJson: string; weights: ArrayBuffer } | null;
      if (!k) throw new Error('The AdvBN model of the last seed was not kept.');
      return {
        runId: p.runId, classes: data.classes, seeds, steps, base: armReport(r.base),
        runs: r.runs.map((x) => ({ seed: x.seed, plain: armReport(x.plain), advbn: armReport(x.advbn), trainSeconds: x.trainSeconds })),
        summary: r.summary, modelJson: k.modelJson, weights: k.weights, settings, backend: tf.getBackend(),
      };
    } finally {
      disposeNetwork(base);
      pauses.delete(p.runId);
    }
  },

  /**
   * One batch of training images (the style world's, seed-fixed), PGD on δ for the whole batch as in
   * Algorithm 1 (true labels, feature-mode loss, the base model's head), decoded through the model's
   * decoder for the layer when it has one.
   */
  async 'train.preview'(p: PreviewRequest): Promise<PreviewResult> {
    const net = await loadModel(p.model);
    const tensors: tf.Tensor[] = [];
    let decoderNet: Network | null = null;
    try {
      const size = net.inputShape[0];
      if (size !== 64) throw new Error(`The batch preview shows the style world (64×64); ${p.model.entry.name} expects ${size}×${size}.`);
      const n = Math.max(1, Math.min(16, Math.round(p.n)));
      const b = renderBatch(TRAIN_FAMILIES, 100 + p.seed, 'train', 0, n);
      const x = tf.tensor4d(b.pixels, [n, size, size, 3]);
      tensors.push(x);
      const s = split(net, p.layer);
      const f = tf.tidy(() => s.encode(preprocess(p.model.entry.preprocessing, x)));
      tensors.push(f);
      decoderNet = await layerDecoder(p.model, p.layer);
      const head = (fa: tf.Tensor) => s.head(fa); // no auxiliary BNs here: one head for clean and AdvBN
      const pv = await previewAdvbnBatch(f as tf.Tensor4D, s.relu, head, b.labels, { eps: p.eps, tau: p.tau, steps: p.steps }, decoderNet, head);
      const px = (await x.data()) as Float32Array;
      const per = size * size * 3;
      const clean = Array.from({ length: n }, (_, i) => rgbToRgba(px.subarray(i * per, (i + 1) * per), size, size));
      return previewResult(pv, clean, size, b.labels, decoderNet ? p.layer : null);
    } finally {
      tf.dispose(tensors);
      if (decoderNet) disposeNetwork(decoderNet);
      disposeNetwork(net);
    }
  },
} satisfies Partial<TypedHandlers>;
