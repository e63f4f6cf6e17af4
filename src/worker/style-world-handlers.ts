/**
 * Pictures of the style world drawn in the worker (the generator in src/data is below the UI layer):
 *
 *   styleworld.gallery {count}                 → a few images of every training and held-out style
 *   styleworld.sample  {family, seed, index}   → one item (the style-world model's sample images)
 */
import type { TypedHandlers } from './protocol';
import type { GalleryRequest, GalleryResult, SampleRequest, SampleResult } from './style-world-protocol';
import { family, IMAGE_SIZE, renderItem, SHAPES, STYLE_FAMILIES } from '../data/style-world';

/** Seed of the gallery's images (fixed: the gallery is the same on every visit). */
export const GALLERY_SEED = 4242;

function toRgba(px: Float32Array): Uint8ClampedArray {
  const n = IMAGE_SIZE * IMAGE_SIZE;
  const rgba = new Uint8ClampedArray(n * 4);
  for (let p = 0; p < n; p++) {
    rgba[p * 4] = Math.round(px[p * 3]! * 255); rgba[p * 4 + 1] = Math.round(px[p * 3 + 1]! * 255); rgba[p * 4 + 2] = Math.round(px[p * 3 + 2]! * 255); rgba[p * 4 + 3] = 255;
  }
  return rgba;
}

export const styleWorldHandlers = {
  async 'styleworld.gallery'(p: GalleryRequest): Promise<GalleryResult> {
    const count = Math.max(1, Math.min(12, Math.round(Number(p?.count) || 4)));
    const px = new Float32Array(IMAGE_SIZE * IMAGE_SIZE * 3);
    return {
      size: IMAGE_SIZE,
      families: STYLE_FAMILIES.map((f) => ({
        name: f.name, split: f.split, description: f.description,
        // Indices 0, 3, 6, …: classes 0, 3, 6, 9, 2, … (class = index mod 10), so the shapes differ.
        images: Array.from({ length: count }, (_, i) => { renderItem([f.name], GALLERY_SEED, `gallery-${f.name}`, i * 3, px); return toRgba(px); }),
      })),
    };
  },

  async 'styleworld.sample'(p: SampleRequest): Promise<SampleResult> {
    family(p.family); // throws a clear error for an unknown family
    if (!Number.isInteger(p.index) || p.index < 0 || !Number.isInteger(p.seed)) throw new RangeError(`A style-world sample needs whole-number seed and index ≥ 0 (got seed ${p.seed}, index ${p.index}).`);
    const px = new Float32Array(IMAGE_SIZE * IMAGE_SIZE * 3);
    // The same set name as scripts/pick-style-world-samples.ts, which chose the registry's samples.
    const item = renderItem([p.family], p.seed, 'sample', p.index, px);
    return { rgba: toRgba(px), width: IMAGE_SIZE, height: IMAGE_SIZE, label: item.label, shape: SHAPES[item.label]! };
  },
} satisfies Partial<TypedHandlers>;
