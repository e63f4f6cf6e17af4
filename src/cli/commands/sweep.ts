/**
 * advbn sweep: top-1 accuracy of a folder of photos under AdvBN at a series of strengths, beside random
 * δ of the same ε (the paper's point that the adversarial direction is what matters), a JSON table and
 * a PNG strip of one example. Resumable (--manifest), splittable (--shard K/N), mergeable (advbn merge).
 */
import * as tf from '@tensorflow/tfjs';
import { basename } from 'node:path';
import { Options, UsageError } from '../args';
import { DEFAULT_MODEL_DIR, loadDecoderFolder, loadModelFolder, progress, resolveLayer } from '../vgg';
import { ManifestWriter, WHOLE, fileKey, parseShard, shardFiles, shardName, type ManifestHeader } from '../folder-run';
import { split } from '../../models/network';
import { epsStrengths, paperStrengths, sweep, sweepRecord, sweepTable, type Strength, type StrengthSweepCell, type StrengthSweepRecord, type StrengthSweepStart, type StrengthSweepTable } from '../../core/strength-sweep';
import type { LossMode } from '../../core/attack';
import { readLabels } from '../../data/image-labels';
import { listImages, loadCenterCrop } from '../../data/image-folder';
import { writePng } from '../../data/image-file';
import { PAPER_DEFAULTS } from '../../common/pgd-settings';
import { argmax } from '../../common/predictions';

export const DEFAULT_EPS = [0, 0.3, 0.5, 0.7, 0.9, 1.1];

export function parseEpsList(text: string): number[] {
  const eps = text.split(',').map((t) => t.trim()).filter(Boolean).map(Number);
  if (!eps.length || eps.some((e) => !Number.isFinite(e) || e < 0)) throw new UsageError(`--eps must be a comma-separated list of numbers ≥ 0, got "${text}".`);
  return eps;
}

/** The settings that decide a sweep's rows: the manifest's header, compared when resuming and merging. */
export interface StrengthSweepSettings {
  model: string; layer: string; mode: LossMode; decoder: string | null;
  strengths: Strength[]; random_draws: number; seed: number; reference: 'labels' | 'clean top-1';
}

export function sweepHeader(settings: StrengthSweepSettings, shard: string, files: number): ManifestHeader {
  return { manifest: 'advbn-sweep', version: 1, settings: settings as unknown as Record<string, unknown>, shard, files };
}

export async function sweepCommand(o: Options): Promise<void> {
  const tStart = performance.now();
  const modelDir = o.string('model', DEFAULT_MODEL_DIR);
  const imagesDir = o.string('images');
  const paper = o.flag('paper');
  const epsText = o.optionalString('eps');
  const tau = o.number('tau', PAPER_DEFAULTS.tau);
  const steps = o.integer('steps', PAPER_DEFAULTS.steps);
  const maxSteps = o.integer('max-steps', 8);
  const draws = o.integer('random-draws', 5);
  const seed = o.integer('seed', 1);
  const mode = o.string('mode', 'feature') as LossMode;
  const decoderDir = o.optionalString('decoder');
  const layerOption = o.optionalString('layer');
  const labelsPath = o.optionalString('labels') ?? process.env.ADVBN_CLASSES_JSON;
  const count = o.optionalInteger('count');
  const shard = parseShard(o.optionalString('shard'));
  const manifestPath = o.optionalString('manifest');
  const restart = o.flag('restart');
  const out = o.optionalString('out');
  const json = o.flag('json');
  o.done();
  if (mode !== 'feature' && mode !== 'image') throw new UsageError(`--mode must be feature or image, got "${mode}".`);
  if (mode === 'image' && !decoderDir) throw new UsageError('--mode image needs --decoder DIR (a decoder for the split layer).');
  if (out && !decoderDir) throw new UsageError('--out writes a strip of decoded images: it needs --decoder DIR.');
  if (paper && epsText !== undefined) throw new UsageError("Give --paper (ε = m·τ − 0.1, m = 1…--max-steps) or --eps (a grid at fixed m), not both.");
  if (draws < 0) throw new UsageError('--random-draws must be 0 or more.');
  if (count !== undefined && count < 1) throw new UsageError('--count must be at least 1.');
  if (shard !== WHOLE && !manifestPath) throw new UsageError('--shard needs --manifest FILE: the shards\' manifests are what `advbn merge` joins.');
  if (paper && (maxSteps < 1 || maxSteps > 100)) throw new UsageError('--max-steps must be from 1 to 100.');
  let strengths: Strength[];
  try {
    strengths = paper ? paperStrengths(tau, maxSteps) : epsStrengths(epsText === undefined ? DEFAULT_EPS : parseEpsList(epsText), tau, steps);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const all = listImages(imagesDir).slice(0, count);
  const files = shardFiles(all, shard);
  const labelOf = labelsPath ? readLabels(labelsPath) : null;

  const { net, meta } = await loadModelFolder(modelDir, 'classifier');
  if (meta.role === 'encoder') throw new UsageError(`${modelDir} is an encoder without a classifier.`);
  const decoder = decoderDir ? await loadDecoderFolder(decoderDir) : null;
  const layer = resolveLayer(layerOption, decoder, decoderDir, meta);
  const c = { split: split(net, layer), preprocessing: meta.preprocessing };
  const settings: StrengthSweepSettings = {
    model: basename(modelDir), layer, mode, decoder: decoderDir ? basename(decoderDir) : null,
    strengths, random_draws: draws, seed, reference: labelOf ? 'labels' : 'clean top-1',
  };
  const manifest = manifestPath ? new ManifestWriter(manifestPath, sweepHeader(settings, shardName(shard), all.length), restart) : null;
  const records: StrengthSweepRecord[] = [];
  let skipped = 0, unlabelled = 0, stripWritten = false, done = 0;
  const t0 = performance.now();
  for (const file of files) {
    const key = fileKey(file);
    const old = manifest?.done.get(key);
    if (old) { records.push(old as unknown as StrengthSweepRecord); skipped++; continue; }
    const truth = labelOf ? labelOf(file) : undefined;
    if (labelOf && truth === undefined) { unlabelled++; continue; }
    const x = loadCenterCrop(file, net.inputShape[0]);
    const wantStrip = !!out && !stripWritten;
    let start: StrengthSweepStart | null = null;
    const cells: StrengthSweepCell[] = [];
    try {
      for await (const cell of sweep(c, {
        images: x, mode, decoder: decoder?.net ?? null, strengths, labels: truth === undefined ? undefined : [truth],
        randomDraws: draws, seed, key, decode: wantStrip ? { adversarial: true, random: Math.min(1, draws) } : undefined,
      }, { onStart: (s) => { start = s; } })) cells.push(cell);
      if (wantStrip) {
        writeStrip(out, await rgbOf(x), cells);
        stripWritten = true;
      }
    } finally {
      x.dispose();
    }
    const s = start as StrengthSweepStart | null;
    const record = sweepRecord(key, truth ?? argmax(s!.cleanProbs), s!, cells);
    records.push(record);
    manifest?.append(record as unknown as { file: string });
    done++;
    progress(done + skipped, files.length - unlabelled, `${((performance.now() - t0) / 1000 / done).toFixed(1)} s/image`);
  }
  if (!records.length) throw new Error(`No image to sweep${unlabelled ? `: none of the ${unlabelled} images has a label in ${labelsPath}` : ''}.`);
  const table = sweepTable(strengths, records);
  const result = {
    ...table, random_draws: draws, mode, layer, reference: settings.reference, shard: shardName(shard),
    images: { in_folder: all.length, in_shard: files.length, swept: done, resumed: skipped, unlabelled },
    seconds: Math.round((performance.now() - tStart) / 100) / 10, backend: tf.getBackend(),
    ...(manifestPath ? { manifest: manifestPath } : {}), ...(out && stripWritten ? { out } : {}),
  };
  if (json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  else process.stdout.write(formatSweepTable(table, draws, settings.reference) + `\n${done} swept, ${skipped} resumed from the manifest; ${result.seconds} s (${layer}, ${mode} mode, backend ${result.backend})${out && stripWritten ? `; strip: ${out}` : ''}\n`);
}


/** The table as text: one row per strength. */
export function formatSweepTable(t: StrengthSweepTable, draws: number, reference: string): string {
  const pct = (v: number | null) => (v === null ? '     –' : `${v.toFixed(1).padStart(5)} %`);
  const p = (v: number | null) => (v === null ? '   –' : v.toFixed(3));
  const lines = [`top-1 accuracy against ${reference === 'labels' ? 'the true labels' : 'the clean top-1'}, ${t.n} images (clean ${pct(t.clean).trim()})`, ''];
  lines.push(`   ε     m    τ    adversarial   uniform (${draws} draws)   same size (${draws} draws)   p(true) adv / uniform / same size`);
  t.eps.forEach((e, i) => {
    lines.push(`${e.toFixed(2).padStart(5)}  ${String(t.steps[i]).padStart(3)}  ${t.tau[i]!.toFixed(2)}     ${pct(t.adversarial[i]!)}        ${pct(t.random[i]!)}            ${pct(t.matched?.[i] ?? null)}              ${p(t.adversarial_p[i]!)} / ${p(t.random_p[i]!)} / ${p(t.matched_p?.[i] ?? null)}`);
  });
  lines.push('', 'uniform: δμ, δσ uniform in [1 − ε, 1 + ε]; same size: the adversarial δ\'s per-channel |δ − 1| permuted across channels, random signs.');
  return lines.join('\n');
}

async function rgbOf(x: tf.Tensor4D): Promise<Float32Array> {
  return (await x.data()) as Float32Array;
}

/**
 * The example strip: top row the crop then the adversarial decoded image at each strength; bottom row
 * the crop then random draw 0 at each strength (when there are draws). 4 px white gaps.
 */
function writeStrip(path: string, crop: Float32Array, cells: readonly StrengthSweepCell[]): void {
  const shape = cells[0]!.adversarial.image!.shape;
  const [, h, w] = shape as [number, number, number, number];
  const lead = crop.length === h * w * 3 ? [crop] : []; // the crop leads each row when the decoder keeps its size
  const rows = [[...lead, ...cells.map((c) => c.adversarial.image!.data)]];
  if (cells[0]!.random[0]?.image) rows.push([...lead, ...cells.map((c) => c.random[0]!.image!.data)]);
  const gap = 4, cols = rows[0]!.length;
  const W = cols * w + (cols - 1) * gap, H = rows.length * h + (rows.length - 1) * gap;
  const px = new Uint8Array(W * H * 4).fill(255);
  rows.forEach((row, r) => row.forEach((img, col) => {
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      const o = ((r * (h + gap) + y) * W + col * (w + gap) + x) * 4, i = (y * w + x) * 3;
      for (let ch = 0; ch < 3; ch++) px[o + ch] = Math.round(255 * Math.min(1, Math.max(0, img[i + ch]!)));
    }
  }));
  writePng(path, { data: px, width: W, height: H });
}
