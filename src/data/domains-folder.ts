/**
 * A domains folder on disk (Node): the listing that domains.ts checks, and its images decoded and
 * resized for the frozen encoder. The browser reads the same layout from a picked folder instead.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { readImage } from './image-file';
import { domainsFromPaths, DomainsLayoutError, MIN_IMAGE_SIDE, type DomainItem, type DomainsLayout } from '../common/domains';
import { resizeCenterCrop, rgbaToTensor } from '../models/preprocess';

/** Lists `dir` three levels deep (domain/class/file) and checks the layout (domains.ts). */
export function listDomainsFolder(dir: string): DomainsLayout {
  const s = statSync(dir, { throwIfNoEntry: false });
  if (!s?.isDirectory()) throw new DomainsLayoutError(`Domains folder ${dir} does not exist or is not a folder.`);
  const paths: string[] = [];
  const walk = (d: string, depth: number) => {
    for (const f of readdirSync(d)) {
      if (f.startsWith('.')) continue;
      const p = join(d, f);
      const st = statSync(p);
      if (st.isDirectory()) { if (depth < 3) walk(p, depth + 1); }
      else paths.push(relative(dir, p).split(sep).join('/'));
    }
  };
  walk(dir, 1);
  return domainsFromPaths(paths, dir);
}

/** One image of the folder as RGB in [0, 1], short side resized to `size` and centre-cropped: [size, size, 3]. */
export function loadDomainImage(root: string, item: DomainItem, size: number): tf.Tensor3D {
  const path = join(root, item.path);
  const img = readImage(path); // names the file when it cannot be decoded
  if (img.width < MIN_IMAGE_SIDE || img.height < MIN_IMAGE_SIDE) {
    throw new DomainsLayoutError(`${path} is ${img.width}×${img.height} px; images must be at least ${MIN_IMAGE_SIDE} px on each side.`);
  }
  return tf.tidy(() => resizeCenterCrop(rgbaToTensor(img.data, img.width, img.height), size));
}
