/**
 * The robustness report (issue 4, like the paper's Table 1): accuracy of a model on the clean test set,
 * on every held-out style set and on image corruptions of the clean set; and the feature divergence
 * (§7) per layer between the clean set and each shifted set.
 */
import * as tf from '@tensorflow/tfjs';
import type { Network } from '../models/network';
import type { Preprocessing } from '../models/preprocess';
import { accuracy } from './advbn-training';
import { featureMoments, momentsToStats } from './stats';
import { featureDivergence } from './stats';
import { CORRUPTIONS } from '../data/corruptions';
import { HELDOUT_FAMILIES, testSets } from '../data/style-world';
import { evalBatches, PIXELS_PER_IMAGE, renderSet, type ImageSet } from '../data/style-world-data';
import type { Report } from '../common/train-types';
export type { Report };

export interface TestSet extends ImageSet { kind: 'clean' | 'style' | 'corruption'; }

/** The clean image set with a corruption applied to every image. */
export function corruptSet(set: ImageSet, name: string, apply: (img: Float32Array, size: number, seed: number) => Float32Array, seed: number): ImageSet {
  const pixels = new Uint8Array(set.pixels.length);
  const img = new Float32Array(PIXELS_PER_IMAGE);
  for (let i = 0; i < set.labels.length; i++) {
    const o = i * PIXELS_PER_IMAGE;
    for (let j = 0; j < PIXELS_PER_IMAGE; j++) img[j] = set.pixels[o + j]! / 255;
    const out = apply(img, set.size, seed * 7919 + i);
    for (let j = 0; j < PIXELS_PER_IMAGE; j++) pixels[o + j] = Math.round(out[j]! * 255);
  }
  return { name, pixels, labels: set.labels.slice(), size: set.size };
}

/** Clean test set, every held-out style family and every corruption; `perSet` images each. */
export function styleWorldTestSets(seed: number, perSet: number, opts: { corruptions?: boolean; styles?: string[] } = {}): TestSet[] {
  const specs = testSets().filter((s) => s.name === 'clean' || !opts.styles || opts.styles.includes(s.name));
  const out: TestSet[] = specs.map((s) => ({ ...renderSet(s, seed, perSet), kind: s.name === 'clean' ? 'clean' : 'style' }));
  if (opts.corruptions ?? true) {
    const clean = out[0]!;
    for (const c of CORRUPTIONS) out.push({ ...corruptSet(clean, c.name, c.apply, seed), kind: 'corruption' });
  }
  return out;
}


const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

export async function robustnessReport(net: Network, preprocessing: Preprocessing, sets: TestSet[], layers: string[], onProgress?: (done: number, total: number) => void): Promise<Report> {
  const acc: Record<string, number> = {};
  const moments: Record<string, Awaited<ReturnType<typeof featureMoments>>> = {};
  let done = 0;
  for (const s of sets) {
    acc[s.name] = await accuracy(net, preprocessing, evalBatches(s));
    if (layers.length) moments[s.name] = await featureMoments(net, preprocessing, layers, evalBatches(s));
    onProgress?.(++done, sets.length);
  }
  const divergence: Record<string, Record<string, number>> = {};
  const divergenceMean: Record<string, { style: number; corruption: number }> = {};
  const clean = sets.find((s) => s.kind === 'clean');
  for (const layer of layers) {
    divergence[layer] = {};
    if (!clean) continue;
    const a = momentsToStats(moments[clean.name]![layer]!);
    for (const s of sets) {
      if (s === clean) continue;
      const b = momentsToStats(moments[s.name]![layer]!);
      const d = featureDivergence(a, b);
      divergence[layer]![s.name] = (await d.data())[0]!;
      tf.dispose([d, b.mean, b.std]);
    }
    tf.dispose([a.mean, a.std]);
    divergenceMean[layer] = {
      style: mean(sets.filter((s) => s.kind === 'style').map((s) => divergence[layer]![s.name]!)),
      corruption: mean(sets.filter((s) => s.kind === 'corruption').map((s) => divergence[layer]![s.name]!)),
    };
  }
  return {
    accuracy: acc,
    meanStyle: mean(sets.filter((s) => s.kind === 'style').map((s) => acc[s.name]!)),
    meanCorruption: mean(sets.filter((s) => s.kind === 'corruption').map((s) => acc[s.name]!)),
    divergence, divergenceMean,
  };
}

export { HELDOUT_FAMILIES };
