/**
 * advbn eval-decoder: reconstruction quality of a decoder on held-out images (the every-10th split
 * used by train-decoder): 224 px centre crops, m = 0, mean PSNR (RGB, 0–255) and SSIM; and a grid
 * PNG with rows original | reconstruction | AdvBN (paper defaults, image mode), like Figures 2-3.
 */
import * as tf from '@tensorflow/tfjs';
import { Options, UsageError } from '../args';
import { DEFAULT_MODEL_DIR, loadDecoderFolder, loadVgg, log, progress } from '../vgg';
import { listImages, loadCenterCrop, trainEvalSplit } from '../../data/image-folder';
import { psnr, reconstruct, ssim } from '../../core/train-decoder';
import { split } from '../../models/network';
import { attack, top1 } from '../../core/attack';
import { PAPER_DEFAULTS } from '../../core/pgd';
import { writePng } from '../../data/image-file';
import { rgbToRgba } from '../../models/preprocess';

export async function evalDecoderCommand(o: Options): Promise<void> {
  const modelDir = o.string('model', DEFAULT_MODEL_DIR);
  const decoderDir = o.string('decoder');
  const imagesDir = o.string('images');
  const count = o.integer('count', 90);
  const grid = o.optionalString('grid');
  const gridRows = o.integer('grid-rows', 4);
  const all = o.flag('all-images');
  const json = o.flag('json');
  o.done();
  if (count < 1) throw new UsageError('--count must be at least 1.');
  const vgg = await loadVgg(modelDir);
  const decoder = await loadDecoderFolder(decoderDir);
  const layer = decoder.manifest.layer;
  const files = listImages(imagesDir);
  const evalFiles = (all ? files : trainEvalSplit(files).evaluation).slice(0, count);
  const psnrs: number[] = [];
  const ssims: number[] = [];
  const classifier = { split: split(vgg, layer), preprocessing: 'caffe' as const };
  let kept = 0;
  const t0 = performance.now();
  for (const [i, f] of evalFiles.entries()) {
    const x = loadCenterCrop(f, 224);
    const y = reconstruct(vgg, 'caffe', layer, decoder.net, x);
    psnrs.push(await psnr(y, x));
    ssims.push(await ssim(y, x));
    // Class retention: VGG-19's top-1 on the m = 0 reconstruction equals its top-1 on the original.
    const [a, b] = [(await top1(classifier, x))[0], (await top1(classifier, y))[0]];
    if (a === b) kept++;
    tf.dispose([x, y]);
    if (!json) progress(i + 1, evalFiles.length, `PSNR ${(psnrs.reduce((a, b) => a + b, 0) / psnrs.length).toFixed(2)} dB, top-1 kept ${kept}/${i + 1}`);
  }
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  const result = {
    decoder: decoderDir, layer, images: evalFiles.length, split: all ? 'all' : 'held-out (every 10th image)', size: 224,
    psnr_mean: Math.round(mean(psnrs) * 100) / 100, ssim_mean: Math.round(mean(ssims) * 1000) / 1000,
    top1_kept: Math.round((kept / evalFiles.length) * 1000) / 1000,
    psnr_min: Math.round(Math.min(...psnrs) * 100) / 100, psnr_max: Math.round(Math.max(...psnrs) * 100) / 100,
    seconds: Math.round((performance.now() - t0) / 100) / 10, backend: tf.getBackend(), grid: grid ?? null,
  };
  if (grid) await writeGrid(grid, vgg, decoder, evalFiles.slice(0, gridRows));
  if (json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  else log(`${result.images} held-out images at 224 px: PSNR ${result.psnr_mean} dB, SSIM ${result.ssim_mean}, VGG-19 top-1 kept on ${(100 * result.top1_kept).toFixed(0)} %${grid ? `; grid: ${grid}` : ''}`);
}

/** Rows: original | reconstruction (m = 0) | AdvBN at the paper's defaults (image mode). */
async function writeGrid(path: string, vgg: Awaited<ReturnType<typeof loadVgg>>, decoder: Awaited<ReturnType<typeof loadDecoderFolder>>, files: string[]) {
  const size = 224, gap = 4, cols = 3;
  const width = cols * size + (cols + 1) * gap, height = files.length * size + (files.length + 1) * gap;
  const canvas = new Uint8Array(width * height * 4).fill(255);
  const put = (rgb: Float32Array, row: number, col: number) => {
    const rgba = rgbToRgba(rgb, size, size);
    const x0 = gap + col * (size + gap), y0 = gap + row * (size + gap);
    for (let y = 0; y < size; y++) canvas.set(rgba.subarray(y * size * 4, (y + 1) * size * 4), ((y0 + y) * width + x0) * 4);
  };
  const classifier = { split: split(vgg, decoder.manifest.layer), preprocessing: 'caffe' as const };
  for (const [row, f] of files.entries()) {
    const x = loadCenterCrop(f, size);
    const rec = reconstruct(vgg, 'caffe', decoder.manifest.layer, decoder.net, x);
    put((await x.data()) as Float32Array, row, 0);
    put((await tf.clipByValue(rec, 0, 1).data()) as Float32Array, row, 1);
    const r = await attack(classifier, { images: x, mode: 'image', decoder: decoder.net, settings: PAPER_DEFAULTS }, { images: true });
    const last = r.reports[r.reports.length - 1]!;
    put(last.image!.data, row, 2);
    tf.dispose([x, rec]);
    log(`grid row ${row + 1}/${files.length}`);
  }
  writePng(path, { data: canvas, width, height });
}
