/**
 * The style world: a generated data set where *shape* is the class and *style* is everything else.
 *
 * Every image is 64×64 RGB. Its class is one of ten shapes drawn at a random position, size and
 * rotation. Its style (fill and background paints, textures, contrast, blur, lighting, noise) comes
 * from a named style family. Training families and held-out families are disjoint, so a held-out set
 * is a style shift the model never saw: the setting AdvBN (Shu et al., 2021) is meant for.
 *
 * Pure TypeScript, no DOM and no tfjs: pixels are written into a Float32Array (RGB in [0, 1], HWC),
 * so Node (CLI, tests) and the browser (worker) produce the very same images from the same seed.
 */
import { mulberry32, type Rng } from '../common/random';

import { IMAGE_SIZE, NUM_CLASSES, SHAPES, type ShapeName } from '../common/style-world-info';
export { IMAGE_SIZE, NUM_CLASSES, SHAPES, type ShapeName };

export type Rgb = [number, number, number];

/** How an area (the shape or the background) is painted. Coordinates are pixels. */
export type Paint =
  | { kind: 'solid'; c: Rgb }
  | { kind: 'gradient'; c1: Rgb; c2: Rgb; angle: number }
  | { kind: 'stripes'; c1: Rgb; c2: Rgb; period: number; angle: number; duty: number }
  | { kind: 'dots'; c1: Rgb; c2: Rgb; period: number; radius: number }
  | { kind: 'checks'; c1: Rgb; c2: Rgb; period: number; angle: number }
  | { kind: 'noise'; c1: Rgb; c2: Rgb; scale: number; seed: number };

export interface Style {
  family: string;
  fill: Paint;
  background: Paint;
  /** Outline of the shape (width in pixels); with `hollow` only the outline is drawn. */
  outline?: { c: Rgb; width: number; hollow: boolean };
  /** Soft glow around the shape (neon). */
  glow?: { c: Rgb; radius: number; strength: number };
  /** Radial light: brightness multiplier 1 + strength·(falloff) centred at (x, y) in [0, 1]. */
  light?: { x: number; y: number; strength: number };
  /** Global post-processing, in this order: blur, contrast around 0.5, brightness, colour gain, noise. */
  blur: number;
  contrast: number;
  brightness: number;
  /** Per-channel gain applied after contrast and brightness (a colour cast); absent: none. */
  gain?: Rgb;
  noise: number;
}

export interface StyleFamily {
  name: string;
  split: 'train' | 'heldout';
  description: string;
  sample(rng: Rng): Style;
}

// ---------------------------------------------------------------------------------------------
// Colours

export function hsl(h: number, s: number, l: number): Rgb {
  const hue = ((h % 1) + 1) % 1;
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => {
    const k = (n + hue * 12) % 12;
    return l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
  };
  return [f(0), f(8), f(4)];
}

const range = (rng: Rng, lo: number, hi: number) => lo + (hi - lo) * rng();
const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;

/** A training-palette colour: moderate saturation and lightness. */
function mid(rng: Rng, l0 = 0.25, l1 = 0.75): Rgb {
  return hsl(rng(), range(rng, 0.25, 0.8), range(rng, l0, l1));
}

/** Two colours whose lightness differs by at least `gap` (so the shape is visible). */
function contrasting(rng: Rng, gap = 0.25): [Rgb, Rgb] {
  const l1 = range(rng, 0.15, 0.85);
  let l2 = range(rng, 0.15, 0.85);
  if (Math.abs(l2 - l1) < gap) l2 = l1 > 0.5 ? l1 - gap - range(rng, 0, 0.1) : l1 + gap + range(rng, 0, 0.1);
  return [hsl(rng(), range(rng, 0.2, 0.8), l1), hsl(rng(), range(rng, 0.2, 0.8), l2)];
}

function shade(c: Rgb, k: number): Rgb {
  return [c[0] * k, c[1] * k, c[2] * k].map((v) => Math.min(1, Math.max(0, v))) as Rgb;
}

const plain = { blur: 0, contrast: 1, brightness: 0, noise: 0 };

// ---------------------------------------------------------------------------------------------
// Style families. Training and held-out families use different paints, palettes and effects.

export const STYLE_FAMILIES: readonly StyleFamily[] = [
  {
    name: 'flat', split: 'train', description: 'solid fill on a solid background',
    sample(rng) {
      const [a, b] = contrasting(rng);
      return { family: 'flat', fill: { kind: 'solid', c: a }, background: { kind: 'solid', c: b }, ...plain, noise: range(rng, 0, 0.02) };
    },
  },
  {
    name: 'gradient', split: 'train', description: 'linear gradients in the shape and the background',
    sample(rng) {
      const [a, b] = contrasting(rng, 0.3);
      return {
        family: 'gradient',
        fill: { kind: 'gradient', c1: a, c2: shade(a, range(rng, 0.6, 1.3)), angle: range(rng, 0, Math.PI * 2) },
        background: { kind: 'gradient', c1: b, c2: mid(rng), angle: range(rng, 0, Math.PI * 2) },
        ...plain,
      };
    },
  },
  {
    name: 'stripes', split: 'train', description: 'striped backgrounds (wide stripes, low contrast)',
    sample(rng) {
      const [a, b] = contrasting(rng, 0.3);
      return {
        family: 'stripes', fill: { kind: 'solid', c: a },
        background: { kind: 'stripes', c1: b, c2: shade(b, range(rng, 0.7, 0.9)), period: range(rng, 8, 16), angle: range(rng, 0, Math.PI), duty: 0.5 },
        ...plain,
      };
    },
  },
  {
    name: 'soft-light', split: 'train', description: 'solid colours under a soft spotlight, slight blur',
    sample(rng) {
      const [a, b] = contrasting(rng, 0.3);
      return {
        family: 'soft-light', fill: { kind: 'solid', c: a }, background: { kind: 'solid', c: b },
        light: { x: rng(), y: rng(), strength: range(rng, 0.2, 0.5) }, ...plain, blur: range(rng, 0, 0.8),
      };
    },
  },
  {
    name: 'mottled', split: 'train', description: 'smooth low-frequency noise texture on the background',
    sample(rng) {
      const [a, b] = contrasting(rng, 0.3);
      return {
        family: 'mottled', fill: { kind: 'solid', c: a },
        background: { kind: 'noise', c1: b, c2: shade(b, range(rng, 0.7, 1.2)), scale: range(rng, 10, 20), seed: Math.floor(rng() * 1e9) },
        ...plain,
      };
    },
  },
  // ---- held out: never seen in training --------------------------------------------------------
  {
    name: 'neon', split: 'heldout', description: 'saturated glowing shapes on a near-black background',
    sample(rng) {
      const c = hsl(rng(), 1, range(rng, 0.5, 0.65));
      return {
        family: 'neon', fill: { kind: 'solid', c }, background: { kind: 'solid', c: hsl(rng(), 0.5, range(rng, 0.02, 0.08)) },
        glow: { c, radius: range(rng, 3, 6), strength: range(rng, 0.5, 0.9) }, ...plain, contrast: 1.2,
      };
    },
  },
  {
    name: 'sketch', split: 'heldout', description: 'dark pencil outline and hatching on noisy paper',
    sample(rng) {
      const ink = hsl(range(rng, 0.55, 0.7), range(rng, 0, 0.3), range(rng, 0.1, 0.25));
      const paper = hsl(range(rng, 0.08, 0.15), range(rng, 0.1, 0.4), range(rng, 0.82, 0.95));
      return {
        family: 'sketch',
        fill: { kind: 'stripes', c1: ink, c2: paper, period: range(rng, 3, 5), angle: range(rng, 0, Math.PI), duty: 0.35 },
        background: { kind: 'noise', c1: paper, c2: shade(paper, 0.93), scale: 3, seed: Math.floor(rng() * 1e9) },
        outline: { c: ink, width: range(rng, 1.2, 2), hollow: false },
        ...plain, noise: 0.03,
      };
    },
  },
  {
    name: 'dots', split: 'heldout', description: 'polka-dot textures in the shape and the background',
    sample(rng) {
      const [a, b] = contrasting(rng, 0.35);
      return {
        family: 'dots',
        fill: { kind: 'dots', c1: a, c2: mid(rng), period: range(rng, 4, 7), radius: range(rng, 1.2, 2.2) },
        background: { kind: 'dots', c1: b, c2: mid(rng), period: range(rng, 4, 7), radius: range(rng, 1.2, 2.2) },
        ...plain,
      };
    },
  },
  {
    name: 'checks', split: 'heldout', description: 'fine checkerboards in the shape and the background',
    sample(rng) {
      const [a, b] = contrasting(rng, 0.35);
      return {
        family: 'checks',
        fill: { kind: 'checks', c1: a, c2: shade(a, range(rng, 0.4, 0.7)), period: range(rng, 3, 6), angle: range(rng, 0, Math.PI / 2) },
        background: { kind: 'checks', c1: b, c2: shade(b, range(rng, 0.4, 0.7)), period: range(rng, 3, 6), angle: range(rng, 0, Math.PI / 2) },
        ...plain,
      };
    },
  },
  {
    name: 'fog', split: 'heldout', description: 'washed-out pastels: low contrast, haze and blur',
    sample(rng) {
      const [a, b] = contrasting(rng, 0.3);
      return {
        family: 'fog', fill: { kind: 'solid', c: a }, background: { kind: 'gradient', c1: b, c2: shade(b, 1.2), angle: range(rng, 0, 6.28) },
        ...plain, contrast: range(rng, 0.25, 0.4), brightness: range(rng, 0.1, 0.2), blur: range(rng, 1, 1.8),
      };
    },
  },
  {
    name: 'hollow', split: 'heldout', description: 'outline only, thick strokes, textured background',
    sample(rng) {
      const [a, b] = contrasting(rng, 0.35);
      return {
        family: 'hollow', fill: { kind: 'solid', c: b },
        background: { kind: 'stripes', c1: b, c2: shade(b, 0.85), period: range(rng, 3, 5), angle: range(rng, 0, Math.PI), duty: 0.5 },
        outline: { c: a, width: range(rng, 3, 5), hollow: true }, ...plain,
      };
    },
  },
  // ---- held out, shifts of feature statistics: a training style with its colour, contrast or
  // brightness shifted over the whole image (what AdvBN's per-channel δμ, δσ imitate) --------------
  {
    name: 'dusk', split: 'heldout', description: 'a training style, dim and dark: contrast ×0.35–0.5, brightness −0.15 to −0.25',
    sample(rng) { return { ...trainingStyle(rng), family: 'dusk', contrast: range(rng, 0.35, 0.5), brightness: range(rng, -0.25, -0.15) }; },
  },
  {
    name: 'haze', split: 'heldout', description: 'a training style, washed out: contrast ×0.3–0.45, brightness +0.15 to +0.25 (no blur)',
    sample(rng) { return { ...trainingStyle(rng), family: 'haze', contrast: range(rng, 0.3, 0.45), brightness: range(rng, 0.15, 0.25) }; },
  },
  {
    name: 'tint', split: 'heldout', description: 'a training style under a strong colour cast (two channels ×0.25–0.55)',
    sample(rng) {
      const keep = Math.floor(rng() * 3);
      const gain = [0, 1, 2].map((c) => (c === keep ? 1 : range(rng, 0.25, 0.55))) as Rgb;
      return { ...trainingStyle(rng), family: 'tint', gain };
    },
  },
  {
    name: 'harsh', split: 'heldout', description: 'a training style with contrast ×1.8–2.4 (clipped, saturated)',
    sample(rng) { return { ...trainingStyle(rng), family: 'harsh', contrast: range(rng, 1.8, 2.4) }; },
  },
  {
    name: 'negative', split: 'heldout', description: 'a training style with its colours inverted (contrast ×−1)',
    sample(rng) { return { ...trainingStyle(rng), family: 'negative', contrast: -1 }; },
  },
];

function trainingStyle(rng: Rng): Style {
  return pick(rng, STYLE_FAMILIES.filter((f) => f.split === 'train')).sample(rng);
}

export const TRAIN_FAMILIES = STYLE_FAMILIES.filter((f) => f.split === 'train').map((f) => f.name);
export const HELDOUT_FAMILIES = STYLE_FAMILIES.filter((f) => f.split === 'heldout').map((f) => f.name);

export function family(name: string): StyleFamily {
  const f = STYLE_FAMILIES.find((s) => s.name === name);
  if (!f) throw new Error(`Unknown style family "${name}". Known: ${STYLE_FAMILIES.map((s) => s.name).join(', ')}.`);
  return f;
}

// ---------------------------------------------------------------------------------------------
// Shapes: inside tests in the shape's local frame (unit radius).

type Pt = [number, number];
const regular = (n: number, r: number, phase = -Math.PI / 2): Pt[] =>
  Array.from({ length: n }, (_, i) => [r * Math.cos(phase + (2 * Math.PI * i) / n), r * Math.sin(phase + (2 * Math.PI * i) / n)]);
const STAR: Pt[] = Array.from({ length: 10 }, (_, i) => {
  const r = i % 2 ? 0.42 : 1;
  const a = -Math.PI / 2 + (Math.PI * i) / 5;
  return [r * Math.cos(a), r * Math.sin(a)];
});
const TRIANGLE = regular(3, 1, -Math.PI / 2).map(([x, y]) => [x, y + 0.15] as Pt);
const HEXAGON = regular(6, 0.92, 0);
const ARROW: Pt[] = [[-0.9, -0.22], [0.1, -0.22], [0.1, -0.6], [0.92, 0], [0.1, 0.6], [0.1, 0.22], [-0.9, 0.22]];

function inPolygon(x: number, y: number, poly: Pt[]): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i]!, [xj, yj] = poly[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Signed "inside" test of each shape at local point (x, y). */
export function insideShape(shape: ShapeName, x: number, y: number): boolean {
  const r = Math.hypot(x, y);
  switch (shape) {
    case 'circle': return r < 0.9;
    case 'square': return Math.max(Math.abs(x), Math.abs(y)) < 0.7;
    case 'triangle': return inPolygon(x, y, TRIANGLE);
    case 'star': return inPolygon(x, y, STAR);
    case 'cross': return (Math.abs(x) < 0.26 && Math.abs(y) < 0.92) || (Math.abs(y) < 0.26 && Math.abs(x) < 0.92);
    case 'ring': return r < 0.92 && r > 0.55;
    case 'hexagon': return inPolygon(x, y, HEXAGON);
    case 'diamond': return Math.abs(x) / 0.55 + Math.abs(y) / 0.98 < 1;
    case 'arrow': return inPolygon(x, y, ARROW);
    case 'crescent': return r < 0.9 && Math.hypot(x - 0.42, y) > 0.68;
  }
}

// ---------------------------------------------------------------------------------------------
// Rendering

function hash2(x: number, y: number, seed: number): number {
  let h = Math.imul(x, 374761393) ^ Math.imul(y, 668265263) ^ Math.imul(seed, 2246822519);
  h = Math.imul(h ^ (h >>> 13), 1274126177);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

/** Smooth value noise in [0, 1]. */
function valueNoise(x: number, y: number, seed: number): number {
  const xi = Math.floor(x), yi = Math.floor(y);
  const fx = x - xi, fy = y - yi;
  const sx = fx * fx * (3 - 2 * fx), sy = fy * fy * (3 - 2 * fy);
  const a = hash2(xi, yi, seed), b = hash2(xi + 1, yi, seed), c = hash2(xi, yi + 1, seed), d = hash2(xi + 1, yi + 1, seed);
  return (a * (1 - sx) + b * sx) * (1 - sy) + (c * (1 - sx) + d * sx) * sy;
}

function mix(a: Rgb, b: Rgb, t: number, out: Float32Array, o: number) {
  out[o] = a[0] + (b[0] - a[0]) * t;
  out[o + 1] = a[1] + (b[1] - a[1]) * t;
  out[o + 2] = a[2] + (b[2] - a[2]) * t;
}

function paintAt(p: Paint, x: number, y: number, size: number, out: Float32Array, o: number) {
  switch (p.kind) {
    case 'solid': out[o] = p.c[0]; out[o + 1] = p.c[1]; out[o + 2] = p.c[2]; return;
    case 'gradient': {
      const t = ((x - size / 2) * Math.cos(p.angle) + (y - size / 2) * Math.sin(p.angle)) / size + 0.5;
      mix(p.c1, p.c2, Math.min(1, Math.max(0, t)), out, o);
      return;
    }
    case 'stripes': {
      const u = (x * Math.cos(p.angle) + y * Math.sin(p.angle)) / p.period;
      mix(p.c1, p.c2, u - Math.floor(u) < p.duty ? 0 : 1, out, o);
      return;
    }
    case 'dots': {
      const cx = (Math.floor(x / p.period) + 0.5) * p.period, cy = (Math.floor(y / p.period) + 0.5) * p.period;
      mix(p.c1, p.c2, Math.hypot(x - cx, y - cy) < p.radius ? 1 : 0, out, o);
      return;
    }
    case 'checks': {
      const u = Math.floor((x * Math.cos(p.angle) + y * Math.sin(p.angle)) / p.period);
      const v = Math.floor((-x * Math.sin(p.angle) + y * Math.cos(p.angle)) / p.period);
      mix(p.c1, p.c2, (u + v) & 1, out, o);
      return;
    }
    case 'noise': mix(p.c1, p.c2, valueNoise(x / p.scale, y / p.scale, p.seed), out, o); return;
  }
}

/** Where and how the shape is drawn. */
export interface Placement { cx: number; cy: number; radius: number; angle: number; }

export function samplePlacement(rng: Rng, size = IMAGE_SIZE): Placement {
  const radius = range(rng, 0.25, 0.38) * size;
  const margin = radius * 0.95;
  // Moderate rotation (±30°): a square turned by 45° would be a diamond-like square.
  return { cx: range(rng, margin, size - margin), cy: range(rng, margin, size - margin), radius, angle: range(rng, -0.52, 0.52) };
}

const SS = [0.25, 0.75]; // 2×2 supersampling offsets

/** Coverage in [0, 1] of the shape at every pixel (2×2 supersampled). */
export function shapeCoverage(shape: ShapeName, pl: Placement, size = IMAGE_SIZE): Float32Array {
  const cov = new Float32Array(size * size);
  const cos = Math.cos(-pl.angle), sin = Math.sin(-pl.angle);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let n = 0;
      for (const oy of SS) for (const ox of SS) {
        const dx = (x + ox - pl.cx) / pl.radius, dy = (y + oy - pl.cy) / pl.radius;
        if (insideShape(shape, dx * cos - dy * sin, dx * sin + dy * cos)) n++;
      }
      cov[y * size + x] = n / 4;
    }
  }
  return cov;
}

/** Separable box-ish blur (3 passes of a box ≈ Gaussian) of a single-channel or RGB buffer, in place. */
function blurBuffer(buf: Float32Array, size: number, channels: number, sigma: number) {
  if (sigma <= 0.05) return;
  const r = Math.max(1, Math.round(sigma));
  const tmp = new Float32Array(buf.length);
  for (let pass = 0; pass < 2; pass++) {
    for (let dir = 0; dir < 2; dir++) {
      const src = dir === 0 ? buf : tmp, dst = dir === 0 ? tmp : buf;
      for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) for (let c = 0; c < channels; c++) {
        let s = 0, n = 0;
        for (let k = -r; k <= r; k++) {
          const xx = dir === 0 ? x + k : x, yy = dir === 0 ? y : y + k;
          if (xx < 0 || yy < 0 || xx >= size || yy >= size) continue;
          s += src[(yy * size + xx) * channels + c]!;
          n++;
        }
        dst[(y * size + x) * channels + c] = s / n;
      }
    }
  }
}

/** Coverage of the shape's outline band of width w (pixels), from the fill coverage. */
function outlineBand(cov: Float32Array, size: number, width: number): Float32Array {
  const out = new Float32Array(size * size);
  const r = Math.ceil(width);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
    const c = cov[y * size + x]!;
    let lo = c;
    for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) {
      if (dx * dx + dy * dy > width * width) continue;
      const xx = x + dx, yy = y + dy;
      const v = xx < 0 || yy < 0 || xx >= size || yy >= size ? 0 : cov[yy * size + xx]!;
      if (v < lo) lo = v;
    }
    // Pixels of the shape whose neighbourhood leaves it (coverage minus erosion) form the band.
    out[y * size + x] = Math.max(0, c - lo);
  }
  return out;
}

/** Renders one image (RGB in [0, 1], HWC) into `out` at `offset`. */
export function renderImage(shape: ShapeName, pl: Placement, style: Style, noiseRng: Rng, out: Float32Array, offset = 0, size = IMAGE_SIZE): void {
  const cov = shapeCoverage(shape, pl, size);
  const img = new Float32Array(size * size * 3);
  const bg = new Float32Array(3), fg = new Float32Array(3);
  const band = style.outline ? outlineBand(cov, size, style.outline.width) : null;
  let glow: Float32Array | null = null;
  if (style.glow) {
    glow = cov.slice();
    blurBuffer(glow, size, 1, style.glow.radius);
  }
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = y * size + x;
      paintAt(style.background, x + 0.5, y + 0.5, size, bg, 0);
      paintAt(style.fill, x + 0.5, y + 0.5, size, fg, 0);
      let a = cov[i]!;
      if (style.outline?.hollow) a = 0;
      let r = bg[0]! + (fg[0]! - bg[0]!) * a, g = bg[1]! + (fg[1]! - bg[1]!) * a, b = bg[2]! + (fg[2]! - bg[2]!) * a;
      if (band && style.outline) {
        const t = band[i]!, c = style.outline.c;
        r += (c[0] - r) * t; g += (c[1] - g) * t; b += (c[2] - b) * t;
      }
      if (glow && style.glow) {
        const t = glow[i]! * style.glow.strength * (1 - a), c = style.glow.c;
        r += c[0] * t; g += c[1] * t; b += c[2] * t;
      }
      if (style.light) {
        const d = Math.hypot(x / size - style.light.x, y / size - style.light.y);
        const k = 1 + style.light.strength * (1 - 2 * Math.min(1, d));
        r *= k; g *= k; b *= k;
      }
      img[i * 3] = r; img[i * 3 + 1] = g; img[i * 3 + 2] = b;
    }
  }
  if (style.blur > 0.05) blurBuffer(img, size, 3, style.blur);
  for (let i = 0; i < size * size * 3; i++) {
    let v = (img[i]! - 0.5) * style.contrast + 0.5 + style.brightness;
    if (style.gain) v *= style.gain[i % 3]!;
    if (style.noise > 0) v += style.noise * (noiseRng() * 2 - 1) * 1.7;
    out[offset + i] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
}

// ---------------------------------------------------------------------------------------------
// Data sets

/** A deterministic seed for item `index` of a set: the set's seed and name mixed with the index. */
export function itemSeed(seed: number, set: string, index: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (let i = 0; i < set.length; i++) h = Math.imul(h ^ set.charCodeAt(i), 16777619) >>> 0;
  h = Math.imul(h ^ index, 2654435761) >>> 0;
  return (h ^ (h >>> 15)) >>> 0;
}

export interface StyleWorldItem { label: number; family: string; }

/**
 * Item `index` of a set whose styles come from `families`: its class is index mod 10 (balanced),
 * everything else is random but fixed by (seed, set, index). Writes 64·64·3 floats at `offset`.
 */
export function renderItem(families: readonly string[], seed: number, set: string, index: number, out: Float32Array, offset = 0): StyleWorldItem {
  const rng = mulberry32(itemSeed(seed, set, index));
  const label = index % NUM_CLASSES;
  const fam = family(families[Math.floor(rng() * families.length)]!);
  const pl = samplePlacement(rng);
  const style = fam.sample(rng);
  renderImage(SHAPES[label]!, pl, style, rng, out, offset);
  return { label, family: fam.name };
}

/** A batch of items [start, start + n) of a set: pixels ([n, 64, 64, 3] row-major) and labels. */
export function renderBatch(families: readonly string[], seed: number, set: string, start: number, n: number): { pixels: Float32Array; labels: number[] } {
  const per = IMAGE_SIZE * IMAGE_SIZE * 3;
  const pixels = new Float32Array(n * per);
  const labels: number[] = [];
  for (let i = 0; i < n; i++) labels.push(renderItem(families, seed, set, start + i, pixels, i * per).label);
  return { pixels, labels };
}

/** The standard sets: "train" and "clean" (test) use the training families; each held-out family is a set. */
export interface SetSpec { name: string; families: readonly string[]; }
export function trainSet(): SetSpec { return { name: 'train', families: TRAIN_FAMILIES }; }
export function testSets(): SetSpec[] {
  return [{ name: 'clean', families: TRAIN_FAMILIES }, ...HELDOUT_FAMILIES.map((f) => ({ name: f, families: [f] }))];
}

export { pick as pickFrom };
