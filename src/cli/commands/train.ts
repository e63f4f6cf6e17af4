/**
 * advbn train --data style-world [--advbn|--no-advbn] [--layer L] [--epochs N] [--seed S] [--json] …
 *   Algorithm 1 (AdvBN fine-tuning) of the style-world model's head, then the robustness report of
 *   the base and the fine-tuned model (accuracy per test set, feature divergence per layer).
 * advbn train --data style-world --base --out DIR
 *   Standard training of the style-world model from scratch (and its decoder), written in TF.js layers
 *   format: how models/style-world was made.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Options, UsageError } from '../args';
import {
  createTrainer, disposeTrainer, trainLoop, DEFAULT_TRAIN_SETTINGS, type AdvbnTrainSettings, type StepResult,
} from '../../core/advbn-training';
import { robustnessReport, styleWorldTestSets } from '../../core/robustness';
import { mulberry32 } from '../../common/random';
import { compareFineTuning } from '../../core/compare-training';
import { comparisonMarkdown } from '../../common/compare-summary';
import type { ImageSet } from '../../data/style-world-data';
import { batchOf, renderSet } from '../../data/style-world-data';
import { epochSampler } from '../../data/batch';
import { trainSet } from '../../data/style-world';
import { loadLayersModelNetwork } from '../../models/layers-format';
import { folderReader } from '../../models/node-io';
import { disposeNetwork, layerIndex, type Network } from '../../models/network';
import { serializeLayersModel } from '../../models/layers-writer';
import { buildStyleWorldNet, STYLE_WORLD_DEFAULT_LAYER, STYLE_WORLD_TRAIN_LAYER } from '../../models/style-world-model';
import { trainStyleWorldDecoder } from '../../core/style-world-decoder';
import { serializeDecoder } from '../../models/decoder';
import { trainDomainsCommand } from './train-domains';

export const DEFAULT_STYLE_WORLD_DIR = 'models/style-world';
/** Test images come from their own seed, so "before" numbers are the same for every run. */
export const TEST_SEED = 9001;
export const DIVERGENCE_LAYERS = ['block1_relu1', 'block2_relu1', 'block3_relu1', 'block4_relu1'];

const log = (quiet: boolean, msg: string) => { if (!quiet) process.stderr.write(msg + '\n'); };

async function saveModel(net: Network, dir: string, meta: Record<string, unknown>) {
  mkdirSync(dir, { recursive: true });
  const s = await serializeLayersModel(net, { precision: 'float32', userDefinedMetadata: meta });
  writeFileSync(join(dir, 'model.json'), s.modelJson);
  writeFileSync(join(dir, 'group1-shard1of1.bin'), s.weights);
}

function curveSummary(results: StepResult[]) {
  const every = Math.max(1, Math.floor(results.length / 20));
  return results.filter((_, i) => i % every === 0 || i === results.length - 1).map((r) => ({
    step: r.step, cleanLoss: +r.cleanLoss.toFixed(4), cleanAcc: +r.cleanAcc.toFixed(3),
    advLoss: r.advLoss === null ? null : +r.advLoss.toFixed(4), advAcc: r.advAcc === null ? null : +r.advAcc.toFixed(3),
  }));
}

export async function trainCommand(o: Options): Promise<void> {
  const data = o.string('data', 'style-world');
  if (data !== 'style-world') {
    await trainDomainsCommand(o, data);
    return;
  }
  const base = o.flag('base');
  const json = o.flag('json');
  const seed = o.integer('seed', 1);
  const epochs = o.number('epochs', base ? 4 : 2);
  const batchSize = o.integer('batch', 32);
  const trainSize = o.integer('train-size', base ? 4000 : 1500);
  const lr = o.number('lr', base ? 1e-2 : DEFAULT_TRAIN_SETTINGS.lr);
  const modelDir = o.string('model', DEFAULT_STYLE_WORLD_DIR);
  const out = o.optionalString('out');
  const testSize = o.integer('test-size', 150);
  const quiet = json || o.flag('quiet');
  const decoderLayer = o.optionalString('decoder');
  if (decoderLayer !== undefined) {
    const decoderSteps = o.integer('decoder-steps', 1500);
    const width = o.integer('decoder-width', 16);
    o.done();
    if (!out) throw new UsageError('--decoder needs --out DIR (the decoder goes to DIR/decoder-LAYER).');
    await trainDecoderOnly({ modelDir, layer: decoderLayer, seed, trainSize, steps: decoderSteps, width, out, quiet, json });
    return;
  }
  if (base) {
    const decoderSteps = o.integer('decoder-steps', 600);
    o.done();
    if (!out) throw new UsageError('--base needs --out DIR.');
    await trainBase({ seed, epochs, batchSize, trainSize, lr, out, decoderSteps, quiet, json });
    return;
  }
  const compare = o.flag('compare');
  const seedCount = o.integer('seeds', 1);
  const advbn = o.flag('advbn', true);
  const layer = o.string('layer', STYLE_WORLD_TRAIN_LAYER);
  const eps = o.number('eps', DEFAULT_TRAIN_SETTINGS.pgd.eps);
  const tau = o.number('tau', DEFAULT_TRAIN_SETTINGS.pgd.tau);
  const pgdSteps = o.integer('pgd-steps', DEFAULT_TRAIN_SETTINGS.pgd.steps);
  const advWeight = o.number('adv-weight', DEFAULT_TRAIN_SETTINGS.advWeight ?? 1);
  const advBn = o.string('adv-bn', DEFAULT_TRAIN_SETTINGS.advBn ?? 'auxiliary');
  if (advBn !== 'auxiliary' && advBn !== 'frozen') throw new UsageError(`--adv-bn must be auxiliary or frozen, got "${advBn}".`);
  const noDivergence = !o.flag('divergence', true);
  o.done();
  if (seedCount < 1) throw new UsageError(`--seeds must be at least 1, got ${seedCount}.`);
  if (seedCount > 1 && !compare) throw new UsageError('--seeds needs --compare (it repeats the plain-vs-AdvBN comparison over seeds).');
  if (compare) {
    const seeds = Array.from({ length: seedCount }, (_, i) => seed + i);
    await runCompare({ modelDir, layer, seeds, epochs, batchSize, trainSize, testSize, quiet, json, noDivergence,
      settings: { ...DEFAULT_TRAIN_SETTINGS, advbn: true, lr, advWeight, advBn, pgd: { eps, tau, steps: pgdSteps } } });
    return;
  }

  const t0 = performance.now();
  const baseNet = await loadLayersModelNetwork(await folderReader(modelDir), modelDir, 'style-world');
  layerIndex(baseNet, layer); // validates the name
  log(quiet, `rendering ${trainSize} training images and ${testSize} per test set…`);
  const train = renderSet(trainSet(), 100 + seed, trainSize);
  const tests = styleWorldTestSets(TEST_SEED, testSize);
  const renderSeconds = (performance.now() - t0) / 1000;
  const layers = noDivergence ? [] : DIVERGENCE_LAYERS;
  const before = await robustnessReport(baseNet, 'unit', tests, layers);

  const settings: AdvbnTrainSettings = { ...DEFAULT_TRAIN_SETTINGS, advbn, lr, advWeight, advBn, pgd: { eps, tau, steps: pgdSteps } };
  const trainer = createTrainer(baseNet, layer, 'unit', settings);
  const steps = Math.max(1, Math.round((epochs * trainSize) / batchSize));
  const sample = epochSampler(trainSize, batchSize, mulberry32(seed));
  const t1 = performance.now();
  const results = await trainLoop(trainer, steps, (s) => batchOf(train, sample(s)), {
    onStep: (r) => { if (r.step % 10 === 0 || r.step === steps - 1) log(quiet, `step ${r.step + 1}/${steps} clean ${r.cleanLoss.toFixed(3)} (${(r.cleanAcc * 100).toFixed(0)}%)${r.advLoss !== null ? ` adv ${r.advLoss.toFixed(3)} (${(r.advAcc! * 100).toFixed(0)}%)` : ''} ${r.ms.toFixed(0)} ms`); },
  });
  const trainSeconds = (performance.now() - t1) / 1000;
  const after = await robustnessReport(trainer.net, 'unit', tests, layers);
  if (out) await saveModel(trainer.net, out, { base: modelDir, layer, settings, seed, steps });
  disposeTrainer(trainer);
  disposeNetwork(baseNet);

  const result = {
    data, model: modelDir, layer, advbn, seed, epochs, steps, batchSize, trainSize, testSize,
    settings, backend: tf.getBackend(),
    before: before.accuracy, after: after.accuracy,
    meanHeldoutStyle: { before: before.meanStyle, after: after.meanStyle },
    meanCorruption: { before: before.meanCorruption, after: after.meanCorruption },
    divergence: { before: before.divergenceMean, after: after.divergenceMean, perSet: { before: before.divergence, after: after.divergence } },
    timings: { renderSeconds, trainSeconds, stepsPerSecond: steps / trainSeconds, imagesPerSecond: (steps * batchSize) / trainSeconds, totalSeconds: (performance.now() - t0) / 1000 },
    curve: curveSummary(results),
  };
  if (json) process.stdout.write(JSON.stringify(result) + '\n');
  else {
    const names = Object.keys(before.accuracy);
    process.stdout.write(`${'set'.padEnd(12)} before  after\n`);
    for (const n of names) process.stdout.write(`${n.padEnd(12)} ${(before.accuracy[n]! * 100).toFixed(1).padStart(6)} ${(after.accuracy[n]! * 100).toFixed(1).padStart(6)}\n`);
    process.stdout.write(`held-out style mean: ${(before.meanStyle * 100).toFixed(1)} → ${(after.meanStyle * 100).toFixed(1)}; corruption mean: ${(before.meanCorruption * 100).toFixed(1)} → ${(after.meanCorruption * 100).toFixed(1)}; training ${trainSeconds.toFixed(1)} s\n`);
  }
}

/**
 * --compare: plain and AdvBN fine-tuning from the same base, same images, same order, for each seed
 * (seed, seed + 1, …); prints one table: base / plain / AdvBN / Δ (mean ± std over seeds).
 */
async function runCompare(a: {
  modelDir: string; layer: string; seeds: number[]; epochs: number; batchSize: number; trainSize: number; testSize: number;
  quiet: boolean; json: boolean; noDivergence: boolean; settings: AdvbnTrainSettings;
}) {
  const t0 = performance.now();
  const baseNet = await loadLayersModelNetwork(await folderReader(a.modelDir), a.modelDir, 'style-world');
  try {
    layerIndex(baseNet, a.layer);
    log(a.quiet, `rendering ${a.testSize} images per test set…`);
    const tests = styleWorldTestSets(TEST_SEED, a.testSize);
    const steps = Math.max(1, Math.round((a.epochs * a.trainSize) / a.batchSize));
    let train: ImageSet | null = null;
    let sample: ((step: number) => number[]) | null = null;
    const result = await compareFineTuning({
      base: baseNet, layer: a.layer, preprocessing: 'unit', settings: a.settings, seeds: a.seeds, steps, tests,
      divergenceLayers: a.noDivergence ? [] : DIVERGENCE_LAYERS,
      prepareSeed: (seed) => {
        log(a.quiet, `seed ${seed}: rendering ${a.trainSize} training images…`);
        train = renderSet(trainSet(), 100 + seed, a.trainSize);
        sample = epochSampler(a.trainSize, a.batchSize, mulberry32(seed));
      },
      batch: (_seed, step) => batchOf(train!, sample!(step)),
      onStep: (seed, arm, r) => { if (r.step % 10 === 0 || r.step === steps - 1) log(a.quiet, `seed ${seed} ${arm.padEnd(5)} step ${r.step + 1}/${steps} clean ${r.cleanLoss.toFixed(3)}${r.advLoss !== null ? ` adv ${r.advLoss.toFixed(3)}` : ''} ${r.ms.toFixed(0)} ms`); },
    });
    const table = comparisonMarkdown(result.summary, a.seeds);
    if (a.json) {
      process.stdout.write(JSON.stringify({
        data: 'style-world', model: a.modelDir, layer: a.layer, seeds: a.seeds, epochs: a.epochs, steps, batchSize: a.batchSize,
        trainSize: a.trainSize, testSize: a.testSize, settings: a.settings, backend: tf.getBackend(),
        summary: result.summary,
        base: { accuracy: result.base.accuracy, divergence: result.base.divergenceMean },
        runs: result.runs.map((r) => ({
          seed: r.seed, trainSeconds: r.trainSeconds,
          plain: { accuracy: r.plain.accuracy, meanStyle: r.plain.meanStyle, meanCorruption: r.plain.meanCorruption, divergence: r.plain.divergenceMean },
          advbn: { accuracy: r.advbn.accuracy, meanStyle: r.advbn.meanStyle, meanCorruption: r.advbn.meanCorruption, divergence: r.advbn.divergenceMean },
          curve: { plain: curveSummary(r.curves.plain), advbn: curveSummary(r.curves.advbn) },
        })),
        table, totalSeconds: (performance.now() - t0) / 1000,
      }) + '\n');
    } else {
      process.stdout.write(`AdvBN at ${a.layer}: ε ${a.settings.pgd.eps}, τ ${a.settings.pgd.tau}, m ${a.settings.pgd.steps}, adversarial weight ${a.settings.advWeight ?? 1}; ${steps} steps of ${a.batchSize}, lr ${a.settings.lr}\n\n${table}\n`);
      process.stdout.write(`training s per seed (plain / AdvBN): ${result.runs.map((r) => `${r.trainSeconds.plain.toFixed(0)}/${r.trainSeconds.advbn.toFixed(0)}`).join(', ')}; total ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
    }
  } finally {
    disposeNetwork(baseNet);
  }
}

/** --decoder LAYER: a decoder for the existing style-world model at LAYER (the Explore page's view). */
async function trainDecoderOnly(a: { modelDir: string; layer: string; seed: number; trainSize: number; steps: number; width: number; out: string; quiet: boolean; json: boolean }) {
  const t0 = performance.now();
  const net = await loadLayersModelNetwork(await folderReader(a.modelDir), a.modelDir, 'style-world');
  try {
    layerIndex(net, a.layer);
    const train = renderSet(trainSet(), a.seed, a.trainSize);
    const d = await trainStyleWorldDecoder(net, a.layer, train, a.steps, a.seed, (s, loss, p) => {
      if (s % 50 === 0) log(a.quiet, `decoder step ${s}/${a.steps} loss ${loss.toFixed(4)}${p !== undefined ? ` PSNR ${p.toFixed(1)} dB` : ''}`);
    }, 16, a.width);
    const dir = join(a.out, `decoder-${a.layer}`);
    mkdirSync(dir, { recursive: true });
    const { json, weights } = await serializeDecoder(d.decoder, 'float16');
    writeFileSync(join(dir, 'decoder.json'), json);
    writeFileSync(join(dir, 'weights.bin'), weights);
    disposeNetwork(d.decoder.net);
    const summary = { layer: a.layer, steps: a.steps, psnr: d.psnr, dir, seconds: (performance.now() - t0) / 1000 };
    process.stdout.write(JSON.stringify(summary) + '\n');
  } finally {
    disposeNetwork(net);
  }
}

async function trainBase(a: { seed: number; epochs: number; batchSize: number; trainSize: number; lr: number; out: string; decoderSteps: number; quiet: boolean; json: boolean }) {
  const t0 = performance.now();
  const train = renderSet(trainSet(), a.seed, a.trainSize);
  const renderSeconds = (performance.now() - t0) / 1000;
  log(a.quiet, `rendered ${a.trainSize} images in ${renderSeconds.toFixed(1)} s`);
  const init = buildStyleWorldNet(a.seed);
  const trainer = createTrainer(init, null, 'unit', { ...DEFAULT_TRAIN_SETTINGS, advbn: false, lr: a.lr, optimizer: 'adam', decayAt: 0.7 });
  disposeNetwork(init);
  const steps = Math.round((a.epochs * a.trainSize) / a.batchSize);
  const sample = epochSampler(a.trainSize, a.batchSize, mulberry32(a.seed));
  const t1 = performance.now();
  const results = await trainLoop(trainer, steps, (s) => batchOf(train, sample(s)), {
    onStep: (r) => { if (r.step % 10 === 0 || r.step === steps - 1) log(a.quiet, `step ${r.step + 1}/${steps} loss ${r.cleanLoss.toFixed(3)} acc ${(r.cleanAcc * 100).toFixed(0)}% ${r.ms.toFixed(0)} ms`); },
  });
  const trainSeconds = (performance.now() - t1) / 1000;
  const tests = styleWorldTestSets(TEST_SEED, 150);
  const report = await robustnessReport(trainer.net, 'unit', tests, []);
  log(a.quiet, `accuracy: ${JSON.stringify(report.accuracy)}`);
  const meta = { trainedBy: 'advbn train --base', seed: a.seed, epochs: a.epochs, steps, trainSize: a.trainSize, batchSize: a.batchSize, lr: a.lr, trainSeconds, accuracy: report.accuracy };
  await saveModel(trainer.net, a.out, meta);
  let decoder: Record<string, unknown> | null = null;
  if (a.decoderSteps > 0) {
    const t2 = performance.now();
    const d = await trainStyleWorldDecoder(trainer.net, STYLE_WORLD_DEFAULT_LAYER, train, a.decoderSteps, a.seed, (s, loss, p) => {
      if (s % 50 === 0) log(a.quiet, `decoder step ${s}/${a.decoderSteps} loss ${loss.toFixed(4)}${p !== undefined ? ` PSNR ${p.toFixed(1)} dB` : ''}`);
    });
    const dir = join(a.out, `decoder-${STYLE_WORLD_DEFAULT_LAYER}`);
    mkdirSync(dir, { recursive: true });
    const { json, weights } = await serializeDecoder(d.decoder, 'float16');
    writeFileSync(join(dir, 'decoder.json'), json);
    writeFileSync(join(dir, 'weights.bin'), weights);
    decoder = { layer: STYLE_WORLD_DEFAULT_LAYER, steps: a.decoderSteps, psnr: d.psnr, seconds: (performance.now() - t2) / 1000 };
    disposeNetwork(d.decoder.net);
  }
  disposeTrainer(trainer);
  const summary = { ...meta, renderSeconds, imagesPerSecond: (steps * a.batchSize) / trainSeconds, decoder, curve: curveSummary(results) };
  if (a.json) process.stdout.write(JSON.stringify(summary) + '\n');
  else process.stdout.write(JSON.stringify(summary, null, 1) + '\n');
}
