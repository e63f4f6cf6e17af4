/**
 * A folder of photos (Node): listing, a deterministic train/eval split, and random crops with flips
 * for decoder training. Decoded images are cached in memory (900 images of 256 px ≈ 300 MB).
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { readImage, type RgbaImage } from './image-file';
import { IMAGE_EXTENSIONS } from '../common/image-extensions';
import { randInt, type Rng } from '../common/random';
import { resizeCenterCrop, rgbaToTensor } from '../models/preprocess';

export function listImages(dir: string): string[] {
  const s = statSync(dir, { throwIfNoEntry: false });
  if (!s?.isDirectory()) throw new Error(`Image folder ${dir} does not exist.`);
  const files = readdirSync(dir).filter((f) => IMAGE_EXTENSIONS.test(f)).sort().map((f) => join(dir, f));
  if (!files.length) throw new Error(`Image folder ${dir} has no .jpg/.jpeg/.png files.`);
  return files;
}

/** Every `every`-th image (in sorted order) is held out for evaluation; the rest train. */
export function trainEvalSplit(files: string[], every = 10): { train: string[]; evaluation: string[] } {
  return { train: files.filter((_, i) => i % every !== every - 1), evaluation: files.filter((_, i) => i % every === every - 1) };
}

export class ImageCache {
  private cache = new Map<string, RgbaImage>();
  get(path: string): RgbaImage {
    let img = this.cache.get(path);
    if (!img) {
      img = readImage(path);
      this.cache.set(path, img);
    }
    return img;
  }
}

/** A random size×size crop (random flip) of a random image, as RGB floats in [0, 1]. */
export function randomCrop(img: RgbaImage, size: number, rng: Rng, out: Float32Array, offset: number): void {
  if (img.width < size || img.height < size) throw new Error(`Image of ${img.width}×${img.height} is smaller than the crop ${size}.`);
  const x0 = randInt(rng, 0, img.width - size + 1);
  const y0 = randInt(rng, 0, img.height - size + 1);
  const flip = rng() < 0.5;
  let o = offset;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const sx = x0 + (flip ? size - 1 - x : x);
      const i = ((y0 + y) * img.width + sx) * 4;
      out[o++] = img.data[i]! / 255;
      out[o++] = img.data[i + 1]! / 255;
      out[o++] = img.data[i + 2]! / 255;
    }
  }
}

export function randomCropBatch(cache: ImageCache, files: string[], batch: number, size: number, rng: Rng): tf.Tensor4D {
  const out = new Float32Array(batch * size * size * 3);
  for (let b = 0; b < batch; b++) randomCrop(cache.get(files[randInt(rng, 0, files.length)]!), size, rng, out, b * size * size * 3);
  return tf.tensor4d(out, [batch, size, size, 3]);
}

/** Short side resized to `size`, centre crop: [1, size, size, 3] in [0, 1]. */
export function loadCenterCrop(path: string, size: number): tf.Tensor4D {
  const img = readImage(path);
  return tf.tidy(() => resizeCenterCrop(rgbaToTensor(img.data, img.width, img.height), size).expandDims(0) as tf.Tensor4D);
}
