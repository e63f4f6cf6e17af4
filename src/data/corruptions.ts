/**
 * Image-space corruptions (ImageNet-C style, one severity each) in plain TypeScript, applied to
 * RGB images in [0, 1] stored HWC. Deterministic: noise comes from a seeded RNG.
 */
import { mulberry32 } from '../common/random';
import type { SeverityCorruption } from '../common/shift-summary';

export type Corruption = (img: Float32Array, size: number, seed: number) => Float32Array;

const clamp01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);

function gaussian(rng: () => number): number {
  const u = Math.max(1e-12, rng()), v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export function gaussianNoise(sigma: number): Corruption {
  return (img, _size, seed) => {
    const rng = mulberry32(seed);
    return img.map((v) => clamp01(v + sigma * gaussian(rng)));
  };
}

/** Separable Gaussian blur with reflected borders. */
export function gaussianBlur(sigma: number): Corruption {
  const r = Math.ceil(sigma * 2.5);
  const k = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const s = k.reduce((a, b) => a + b, 0);
  const w = k.map((v) => v / s);
  return (img, size) => {
    const tmp = new Float32Array(img.length), out = new Float32Array(img.length);
    const refl = (i: number) => (i < 0 ? -i - 1 : i >= size ? 2 * size - i - 1 : i);
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) for (let c = 0; c < 3; c++) {
      let a = 0;
      for (let j = -r; j <= r; j++) a += w[j + r]! * img[(y * size + refl(x + j)) * 3 + c]!;
      tmp[(y * size + x) * 3 + c] = a;
    }
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) for (let c = 0; c < 3; c++) {
      let a = 0;
      for (let j = -r; j <= r; j++) a += w[j + r]! * tmp[(refl(y + j) * size + x) * 3 + c]!;
      out[(y * size + x) * 3 + c] = a;
    }
    return out;
  };
}

/** Scales the distance from the image's mean (ImageNet-C "contrast"). */
export function contrast(factor: number): Corruption {
  return (img) => {
    let m = 0;
    for (const v of img) m += v;
    m /= img.length;
    return img.map((v) => clamp01((v - m) * factor + m));
  };
}

export function brightness(delta: number): Corruption {
  return (img) => img.map((v) => clamp01(v + delta));
}

/** Block-average to size/factor and back: pixelation. */
export function pixelate(factor: number): Corruption {
  return (img, size) => {
    const out = new Float32Array(img.length);
    for (let by = 0; by < size; by += factor) for (let bx = 0; bx < size; bx += factor) for (let c = 0; c < 3; c++) {
      let s = 0, n = 0;
      for (let y = by; y < Math.min(size, by + factor); y++) for (let x = bx; x < Math.min(size, bx + factor); x++) { s += img[(y * size + x) * 3 + c]!; n++; }
      for (let y = by; y < Math.min(size, by + factor); y++) for (let x = bx; x < Math.min(size, bx + factor); x++) out[(y * size + x) * 3 + c] = s / n;
    }
    return out;
  };
}

/**
 * JPEG-like compression: YCbCr, 8×8 DCT per channel, quantisation with the JPEG luma table scaled by
 * `quality` (lower = coarser), inverse DCT. Produces JPEG's blockiness and ringing.
 */
export function jpegLike(quality: number): Corruption {
  const base = [16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99];
  const scale = quality < 50 ? 5000 / quality : 200 - 2 * quality;
  const q = base.map((v) => Math.max(1, Math.floor((v * scale + 50) / 100)));
  const cos = Array.from({ length: 64 }, (_, i) => Math.cos(((2 * (i % 8) + 1) * Math.floor(i / 8) * Math.PI) / 16));
  const alpha = (u: number) => (u === 0 ? Math.SQRT1_2 : 1);
  return (img, size) => {
    const n = size * size;
    const ch = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
    for (let i = 0; i < n; i++) {
      const r = img[i * 3]! * 255, g = img[i * 3 + 1]! * 255, b = img[i * 3 + 2]! * 255;
      ch[0]![i] = 0.299 * r + 0.587 * g + 0.114 * b - 128;
      ch[1]![i] = -0.168736 * r - 0.331264 * g + 0.5 * b;
      ch[2]![i] = 0.5 * r - 0.418688 * g - 0.081312 * b;
    }
    const block = new Float64Array(64), coef = new Float64Array(64);
    for (const [ci, plane] of ch.entries()) {
      const qs = ci === 0 ? 1 : 2; // chroma quantised more coarsely
      for (let by = 0; by < size; by += 8) for (let bx = 0; bx < size; bx += 8) {
        for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) block[y * 8 + x] = plane[Math.min(size - 1, by + y) * size + Math.min(size - 1, bx + x)]!;
        for (let v = 0; v < 8; v++) for (let u = 0; u < 8; u++) {
          let s = 0;
          for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) s += block[y * 8 + x]! * cos[x * 8 + u]! * cos[y * 8 + v]!;
          const c = 0.25 * alpha(u) * alpha(v) * s;
          const step = q[v * 8 + u]! * qs;
          coef[v * 8 + u] = Math.round(c / step) * step;
        }
        for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) {
          let s = 0;
          for (let v = 0; v < 8; v++) for (let u = 0; u < 8; u++) s += alpha(u) * alpha(v) * coef[v * 8 + u]! * cos[x * 8 + u]! * cos[y * 8 + v]!;
          if (by + y < size && bx + x < size) plane[(by + y) * size + bx + x] = 0.25 * s;
        }
      }
    }
    const out = new Float32Array(img.length);
    for (let i = 0; i < n; i++) {
      const yv = ch[0]![i]! + 128, cb = ch[1]![i]!, cr = ch[2]![i]!;
      out[i * 3] = clamp01((yv + 1.402 * cr) / 255);
      out[i * 3 + 1] = clamp01((yv - 0.344136 * cb - 0.714136 * cr) / 255);
      out[i * 3 + 2] = clamp01((yv + 1.772 * cb) / 255);
    }
    return out;
  };
}

/** A 3×3 colour matrix (rows: output R, G, B). */
export function colorMatrix(m: number[]): Corruption {
  return (img) => {
    const out = new Float32Array(img.length);
    for (let i = 0; i < img.length; i += 3) {
      const r = img[i]!, g = img[i + 1]!, b = img[i + 2]!;
      out[i] = clamp01(m[0]! * r + m[1]! * g + m[2]! * b);
      out[i + 1] = clamp01(m[3]! * r + m[4]! * g + m[5]! * b);
      out[i + 2] = clamp01(m[6]! * r + m[7]! * g + m[8]! * b);
    }
    return out;
  };
}

export const SEPIA = [0.393, 0.769, 0.189, 0.349, 0.686, 0.168, 0.272, 0.534, 0.131];
/** Grey-scale then a cold blue-green tint (an "Instagram" filter). */
export const COLD_TINT = [0.15, 0.3, 0.05, 0.25, 0.5, 0.1, 0.35, 0.6, 0.25];

/** The corruption test sets of the robustness report, one severity each. */
export const CORRUPTIONS: ReadonlyArray<{ name: string; apply: Corruption }> = [
  { name: 'noise', apply: gaussianNoise(0.12) },
  { name: 'blur', apply: gaussianBlur(1.5) },
  { name: 'contrast', apply: contrast(0.3) },
  { name: 'brightness', apply: brightness(0.35) },
  { name: 'jpeg', apply: jpegLike(15) },
  { name: 'pixelate', apply: pixelate(4) },
  { name: 'sepia', apply: colorMatrix(SEPIA) },
  { name: 'cold-tint', apply: colorMatrix(COLD_TINT) },
];

/**
 * Severities 1–5 of a few ImageNet-C kinds (Hendrycks & Dietterich 2019, their parameters for 224 px
 * where they carry over: noise σ, contrast factor, brightness shift, JPEG quality; blur σ and pixel
 * block size approximated for these implementations).
 */
export const SEVERITIES: Readonly<Record<SeverityCorruption, readonly [Corruption, Corruption, Corruption, Corruption, Corruption]>> = {
  noise: [0.08, 0.12, 0.18, 0.26, 0.38].map(gaussianNoise) as never,
  blur: [1, 2, 3, 4, 6].map(gaussianBlur) as never,
  contrast: [0.4, 0.3, 0.2, 0.1, 0.05].map(contrast) as never,
  brightness: [0.1, 0.2, 0.3, 0.4, 0.5].map(brightness) as never,
  jpeg: [25, 18, 15, 10, 7].map(jpegLike) as never,
  pixelate: [2, 3, 4, 5, 6].map(pixelate) as never,
};

/** The corruption `name` at severity 1–5; a clear error for anything else. */
export function corruptionAt(name: string, severity: number): Corruption {
  const levels = (SEVERITIES as Readonly<Record<string, (typeof SEVERITIES)[SeverityCorruption] | undefined>>)[name];
  if (!levels) throw new RangeError(`Corruption "${name}" is unknown (${Object.keys(SEVERITIES).join(', ')}).`);
  if (!Number.isInteger(severity) || severity < 1 || severity > 5) throw new RangeError(`Severity ${severity} is not 1–5.`);
  return levels[severity - 1]!;
}
