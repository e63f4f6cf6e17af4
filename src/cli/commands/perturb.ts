/**
 * advbn perturb: AdvBN PGD on one image (predictions, δ ranges, decoded image) or on a folder of
 * images (an ImageNet-AdvBN-style set of decoded adversarial images).
 */
import { mkdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Options, UsageError } from '../args';
import { DEFAULT_MODEL_DIR, loadDecoderFolder, loadModelFolder, progress, resolveLayer } from '../vgg';
import { split } from '../../models/network';
import { attack, classify, type AttackResult, type Classifier, type LossMode } from '../../core/attack';
import { summarize, validatePgdSettings, type PgdReport, type PgdSettings } from '../../core/pgd';
import { psnr } from '../../core/train-decoder';
import { readLabels, type LabelOf } from '../../data/image-labels';
import { topK, type Prediction } from '../../core/loss';
import { listImages, loadCenterCrop } from '../../data/image-folder';
import { writePng } from '../../data/image-file';
import { rgbToRgba } from '../../models/preprocess';
import { ManifestWriter, fileKey, parseShard, perturbManifestPath, shardFiles, shardName } from '../folder-run';
import labels from '../../common/imagenet-labels.json';
import { PAPER_DEFAULTS } from '../../common/pgd-settings';
import { argmax } from '../../common/predictions';

const LABELS = labels as string[];

export interface PerturbJson {
  image: string;
  model: string;
  layer: string;
  mode: LossMode;
  settings: PgdSettings;
  label: { index: number; name: string };
  targeted: boolean;
  clean: { top5: Prediction[] };
  adversarial: { top5: Prediction[] };
  flipped: boolean;
  /** Image mode: the m = 0 decoded image (δ = 1), its top-5 and PSNR against the crop. */
  reconstruction?: { top5: Prediction[]; psnr: number };
  steps: Array<{ step: number; loss: number; top1: Prediction; ms: number }>;
  delta: { mu: ReturnType<typeof summarize>; sigma: ReturnType<typeof summarize> };
  timings_ms: { load: number; clean: number; encode: number; pgd: number; per_step: number; total: number };
  backend: string;
  out?: string;
}

function rowProbs(probs: Float32Array, classes: number, row: number): Float32Array {
  return probs.subarray(row * classes, (row + 1) * classes);
}

function writeImage(path: string, data: Float32Array, shape: number[], row = 0) {
  const [, h, w] = shape as [number, number, number, number];
  const px = data.subarray(row * h * w * 3, (row + 1) * h * w * 3);
  writePng(path, { data: new Uint8Array(rgbToRgba(px, w, h).buffer), width: w, height: h });
}

export async function perturbCommand(o: Options): Promise<void> {
  const tStart = performance.now();
  const modelDir = o.string('model', DEFAULT_MODEL_DIR);
  const imagePath = o.string('image');
  const encoderDir = o.optionalString('encoder');
  const layerOption = o.optionalString('layer');
  const settings: PgdSettings = { eps: o.number('eps', PAPER_DEFAULTS.eps), tau: o.number('tau', PAPER_DEFAULTS.tau), steps: o.integer('steps', PAPER_DEFAULTS.steps) };
  const mode = o.string('mode', encoderDir ? 'image' : 'feature') as LossMode;
  const decoderDir = o.optionalString('decoder');
  const label = o.optionalInteger('label');
  const target = o.optionalInteger('target');
  const out = o.optionalString('out');
  const json = o.flag('json');
  const batchSize = o.integer('batch-size', 1);
  const labelsPath = o.optionalString('labels') ?? process.env.ADVBN_CLASSES_JSON;
  const shardOption = o.optionalString('shard');
  const shard = parseShard(shardOption);
  const restart = o.flag('restart');
  o.done();
  validatePgdSettings(settings);
  if (mode !== 'feature' && mode !== 'image') throw new UsageError(`--mode must be feature or image, got "${mode}".`);
  if (mode === 'image' && !decoderDir) throw new UsageError('--mode image needs --decoder DIR (a decoder for the split layer).');
  if (encoderDir && mode !== 'image') throw new UsageError('--encoder works in image mode only (the loss is the classifier on the decoded image).');
  if (label !== undefined && target !== undefined) throw new UsageError('Give --label (untargeted) or --target (targeted), not both.');
  if (out && !decoderDir) throw new UsageError('--out writes the decoded adversarial image: it needs --decoder DIR.');
  if (batchSize < 1) throw new UsageError('--batch-size must be at least 1.');
  const isDir = statSync(imagePath, { throwIfNoEntry: false })?.isDirectory() ?? false;
  if (!isDir && !statSync(imagePath, { throwIfNoEntry: false })) throw new UsageError(`Image ${imagePath} does not exist.`);
  if (isDir && !out) throw new UsageError('With a folder of images, --out DIR is required.');
  if (!isDir && shardOption !== undefined) throw new UsageError('--shard splits a folder of images: --image must be a folder.');

  const { net: vgg, meta } = await loadModelFolder(modelDir, 'classifier');
  if (meta.role === 'encoder') throw new UsageError(`${modelDir} is an encoder without a classifier: pass it as --encoder, and a classifier as --model.`);
  const encoder = encoderDir ? await loadModelFolder(encoderDir, 'encoder') : null;
  const decoder = decoderDir ? await loadDecoderFolder(decoderDir) : null;
  // The split layer: --layer, else the decoder's, else the model's default (block4_conv1 for VGG-19).
  const layer = resolveLayer(layerOption, decoder, decoderDir, encoder ? encoder.meta : meta);
  if (encoder && decoder && decoder.manifest.preprocessing !== encoder.meta.preprocessing) {
    throw new UsageError(`The decoder in ${decoderDir} was made for an encoder with ${decoder.manifest.preprocessing} input, but ${encoderDir} takes ${encoder.meta.preprocessing}: pair a decoder with its own encoder.`);
  }
  const classifier = { split: split(vgg, encoder ? vgg.layers[0]!.name : layer), preprocessing: meta.preprocessing };
  const encoderSplit = encoder ? { split: split(encoder.net, layer), preprocessing: encoder.meta.preprocessing } : undefined;
  const tLoaded = performance.now();
  const size = vgg.inputShape[0];
  const request = (images: tf.Tensor4D) => ({
    images, mode, decoder: decoder?.net ?? null, settings,
    label: target ?? label, targeted: target !== undefined, encoder: encoderSplit,
  });

  if (!isDir) {
    const x = loadCenterCrop(imagePath, size);
    const r = await attack(classifier, request(x), { images: mode === 'image' ? 'ends' : out ? 'last' : false });
    const reconstruction = mode === 'image' ? {
      top5: topK(rowProbs(r.reports[0]!.probs, r.classes, 0), 5, LABELS),
      psnr: round2(await imagePsnr(r.reports[0]!, x, 0)),
    } : undefined;
    x.dispose();
    const last = r.reports[r.reports.length - 1]!;
    if (out) {
      if (!last.image) throw new Error('No decoded image was produced.');
      writeImage(out, last.image.data, last.image.shape);
    }
    const result = describe(r, 0, {
      image: imagePath, layer, mode, settings, targeted: target !== undefined,
      load: tLoaded - tStart, total: performance.now() - tStart, out,
    });
    if (reconstruction) result.reconstruction = reconstruction;
    if (json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    else printHuman(result);
    return;
  }

  const all = listImages(imagePath);
  const files = shardFiles(all, shard);
  const labelOf: LabelOf | null = labelsPath ? readLabels(labelsPath) : null;
  mkdirSync(out!, { recursive: true });
  // The manifest in --out: what each finished image gave; a second run skips them (resume).
  const manifest = new ManifestWriter(perturbManifestPath(out!, shard), {
    manifest: 'advbn-perturb', version: 1, shard: shardName(shard), files: all.length,
    settings: {
      model: basename(modelDir), encoder: encoderDir ? basename(encoderDir) : null, decoder: decoderDir ? basename(decoderDir) : null,
      layer, mode, ...settings, label: label ?? null, target: target ?? null, batch_size: batchSize,
    },
  }, restart);
  const todo = files.filter((f) => !manifest.done.has(fileKey(f)));
  const resumed = files.length - todo.length;
  const t0 = performance.now();
  let swept = 0;
  for (let i = 0; i < todo.length; i += batchSize) {
    const group = todo.slice(i, i + batchSize);
    const x = tf.tidy(() => tf.concat(group.map((f) => loadCenterCrop(f, size))) as tf.Tensor4D);
    // Only the m = 0 and final δ's decoded images are read back: no filmstrip is decoded along the way.
    const r = await attack(classifier, request(x), { images: 'ends' });
    const first = r.reports[0]!, last = r.reports[r.reports.length - 1]!;
    // Image mode: each report's predictions are those of its decoded image. Feature mode: classify them.
    const reconProbs = mode === 'image' ? first.probs : await classifyImage(classifier, first);
    const advProbs = mode === 'image' ? last.probs : await classifyImage(classifier, last);
    for (let k = 0; k < group.length; k++) {
      const name = basename(group[k]!).replace(/\.[^.]+$/, '') + '.png';
      writeImage(join(out!, name), last.image!.data, last.image!.shape, k);
      const top1 = (p: Float32Array) => argmax(rowProbs(p, r.classes, k));
      const truth = labelOf?.(group[k]!);
      manifest.append({
        file: fileKey(group[k]!), out: name, ...(truth === undefined ? {} : { truth }),
        original: top1(r.cleanProbs), reconstruction: top1(reconProbs), advbn: top1(advProbs), attacked: r.labels[k]!,
        psnr: round4(await imagePsnr(first, x, k)),
      });
    }
    x.dispose();
    swept += group.length;
    progress(resumed + swept, files.length, `${(swept / ((performance.now() - t0) / 1000)).toFixed(2)} img/s`);
  }
  const summary = {
    images: files.length, ...new Tally(manifest.rows() as unknown as Outcome[]).summary(), out, layer, mode, settings,
    labels: labelsPath ?? null, shard: shardName(shard), resumed, manifest: manifest.path,
    seconds: (performance.now() - tStart) / 1000, backend: tf.getBackend(),
  };
  if (json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  else printSummary(summary);
}

const round2 = (v: number) => Math.round(v * 100) / 100;

/** PSNR (dB, 0–255 scale) of row `row` of a report's decoded image against the crop. */
async function imagePsnr(report: PgdReport, crops: tf.Tensor4D, row: number): Promise<number> {
  const { data, shape } = report.image!;
  const [, h, w, c] = shape as [number, number, number, number];
  const a = tf.tensor4d(data.subarray(row * h * w * c, (row + 1) * h * w * c), [1, h, w, c]);
  const b = tf.slice(crops, [row, 0, 0, 0], [1, -1, -1, -1]);
  const v = await psnr(a, b);
  tf.dispose([a, b]);
  return v;
}

/** The whole classifier's probabilities on a report's decoded images. */
async function classifyImage(c: Classifier, report: PgdReport): Promise<Float32Array> {
  const x = tf.tensor4d(report.image!.data, report.image!.shape as [number, number, number, number]);
  const p = classify(c, x);
  const d = (await p.data()) as Float32Array;
  tf.dispose([x, p]);
  return d;
}

export interface Outcome { truth?: number; original: number; reconstruction: number; advbn: number; attacked: number; psnr: number }

/**
 * A folder run's table (the project's small ImageNet-AdvBN table): top-1 accuracy on the originals,
 * on the m = 0 reconstructions and on the AdvBN images when labels are known, and how often the
 * reconstruction and the AdvBN image keep the original's top-1.
 */
export class Tally {
  constructor(private rows: readonly Outcome[]) {}
  get flipped() { return this.rows.filter((r) => r.advbn !== r.attacked).length; }
  summary() {
    const rate = (rows: readonly Outcome[], ok: (r: Outcome) => boolean) => (rows.length ? round4(rows.filter(ok).length / rows.length) : null);
    const labelled = this.rows.filter((r) => r.truth !== undefined);
    return {
      labelled: labelled.length,
      top1_accuracy: labelled.length ? {
        original: rate(labelled, (r) => r.original === r.truth),
        reconstruction: rate(labelled, (r) => r.reconstruction === r.truth),
        advbn: rate(labelled, (r) => r.advbn === r.truth),
      } : null,
      keeps_original_top1: { reconstruction: rate(this.rows, (r) => r.reconstruction === r.original), advbn: rate(this.rows, (r) => r.advbn === r.original) },
      flipped: this.flipped,
      flip_rate: rate(this.rows, (r) => r.advbn !== r.attacked),
      reconstruction_psnr: round2(this.rows.reduce((s, r) => s + r.psnr, 0) / Math.max(1, this.rows.length)),
    };
  }
}
const round4 = (v: number) => Math.round(v * 1e4) / 1e4;

export function printSummary(s: { images: number; out?: string; labelled: number; top1_accuracy: Record<string, number | null> | null; keeps_original_top1: Record<string, number | null>; flipped: number; reconstruction_psnr: number }) {
  const pct = (v: number | null | undefined) => (v === null || v === undefined ? '   –  ' : `${(100 * v).toFixed(1).padStart(5)} %`);
  const lines = [`wrote ${s.images} images to ${s.out}; top-1 changed on ${s.flipped} (${((100 * s.flipped) / s.images).toFixed(1)} %)`, ''];
  lines.push('                  top-1 accuracy   keeps original top-1');
  lines.push(`original          ${pct(s.top1_accuracy?.original)}          –`);
  lines.push(`reconstruction    ${pct(s.top1_accuracy?.reconstruction)}          ${pct(s.keeps_original_top1.reconstruction)}   (PSNR ${s.reconstruction_psnr.toFixed(2)} dB)`);
  lines.push(`AdvBN             ${pct(s.top1_accuracy?.advbn)}          ${pct(s.keeps_original_top1.advbn)}`);
  if (!s.labelled) lines.push('(no labels: pass --labels FILE, a classes JSON for wnid_… file names or "<file> <index>" lines)');
  process.stdout.write(lines.join('\n') + '\n');
}

function describe(r: AttackResult, row: number, meta: {
  image: string; layer: string; mode: LossMode; settings: PgdSettings; targeted: boolean; load: number; total: number; out?: string;
}): PerturbJson {
  const last = r.reports[r.reports.length - 1]!;
  const clean = topK(rowProbs(r.cleanProbs, r.classes, row), 5, LABELS);
  const adv = topK(rowProbs(last.probs, last.classes, row), 5, LABELS);
  const steps = r.reports.slice(1).map((s) => ({ step: s.step, loss: s.loss, top1: topK(rowProbs(s.probs, s.classes, row), 1, LABELS)[0]!, ms: Math.round(r.reports[s.step - 1]!.ms) }));
  const stepMs = r.reports.slice(0, -1).map((s) => s.ms);
  return {
    image: meta.image, model: 'vgg19-imagenet', layer: meta.layer, mode: meta.mode, settings: meta.settings,
    label: { index: r.labels[row]!, name: LABELS[r.labels[row]!]! }, targeted: meta.targeted,
    clean: { top5: clean }, adversarial: { top5: adv }, flipped: adv[0]!.index !== clean[0]!.index,
    steps,
    delta: { mu: summarize(r.delta.mu), sigma: summarize(r.delta.sigma) },
    timings_ms: {
      load: Math.round(meta.load), clean: Math.round(r.timings.clean), encode: Math.round(r.timings.encode), pgd: Math.round(r.timings.pgd),
      per_step: stepMs.length ? Math.round(stepMs.reduce((a, b) => a + b, 0) / stepMs.length) : 0, total: Math.round(meta.total),
    },
    backend: tf.getBackend(),
    ...(meta.out ? { out: meta.out } : {}),
  };
}

function printHuman(r: PerturbJson) {
  const pct = (p: number) => `${(100 * p).toFixed(1).padStart(5)} %`;
  const lines = [
    `${r.image}  (${r.layer}, ${r.mode} mode, ε ${r.settings.eps}, τ ${r.settings.tau}, m ${r.settings.steps}, backend ${r.backend})`,
    `${r.targeted ? 'target' : 'attacked label'}: ${r.label.name} (${r.label.index})`,
    '', 'clean                                   adversarial',
  ];
  for (let i = 0; i < 5; i++) {
    const c = r.clean.top5[i]!, a = r.adversarial.top5[i]!;
    lines.push(`${pct(c.prob)} ${c.name.slice(0, 30).padEnd(32)} ${pct(a.prob)} ${a.name.slice(0, 30)}`);
  }
  lines.push('', 'step  loss     top-1');
  for (const s of r.steps) lines.push(`${String(s.step).padStart(4)}  ${s.loss.toFixed(3).padStart(7)}  ${s.top1.name} (${pct(s.top1.prob).trim()})`);
  lines.push('', `δμ ∈ [${r.delta.mu.min.toFixed(3)}, ${r.delta.mu.max.toFixed(3)}] mean ${r.delta.mu.mean.toFixed(3)};  δσ ∈ [${r.delta.sigma.min.toFixed(3)}, ${r.delta.sigma.max.toFixed(3)}] mean ${r.delta.sigma.mean.toFixed(3)}`);
  lines.push(`top-1 ${r.flipped ? 'changed' : 'unchanged'}; ${r.timings_ms.per_step} ms per PGD step, ${r.timings_ms.total} ms in all`);
  if (r.out) lines.push(`decoded adversarial image: ${r.out}`);
  process.stdout.write(lines.join('\n') + '\n');
}
