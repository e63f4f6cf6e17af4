/**
 * Images on the UI thread: decoding what the user gives (file, paste, drop, camera), the code-drawn
 * sample image, and PNG export of the results. Pixels travel to the worker as RGBA bytes.
 */
import { imageSize } from 'image-size';
import type { SampleResult } from '../../worker/style-world-protocol';
import { downloadBlob } from '../download';

export interface SourceImage {
  /** Changes whenever the pixels change. */
  key: string;
  name: string;
  rgba: Uint8ClampedArray;
  width: number;
  height: number;
  /** Something the user should know about this picture (partly decoded, downscaled). */
  note?: string;
}

export class ImageInputError extends Error {}

/** Photos with more pixels than this are refused: decoding them could exhaust the tab's memory. */
export const MAX_PIXELS = 120e6;
/** How much of a file is read to find its dimensions (JPEG EXIF blocks can be long). */
const HEAD_BYTES = 512 * 1024;

/**
 * Whether an image file ends early: a JPEG without its end marker (FF D9), a PNG without IEND, a GIF
 * without its trailer, a WebP shorter than its RIFF header says. null when the format is none of these.
 * `head` is the file's first bytes, `tail` its last (up to 64), `size` its length.
 */
export function isTruncated(head: Uint8Array, tail: Uint8Array, size: number): boolean | null {
  const starts = (sig: number[]) => sig.every((b, i) => head[i] === b);
  const tailHas = (sig: number[]) => {
    for (let i = tail.length - sig.length; i >= 0; i--) if (sig.every((b, k) => tail[i + k] === b)) return true;
    return false;
  };
  if (starts([0xff, 0xd8, 0xff])) return !tailHas([0xff, 0xd9]);
  if (starts([0x89, 0x50, 0x4e, 0x47])) return !tailHas([0x49, 0x45, 0x4e, 0x44]);
  if (starts([0x47, 0x49, 0x46, 0x38])) return tail[tail.length - 1] !== 0x3b;
  if (starts([0x52, 0x49, 0x46, 0x46]) && head[8] === 0x57 && head[9] === 0x45 && head.length >= 12) {
    const riff = (head[4]! | (head[5]! << 8) | (head[6]! << 16) | (head[7]! << 24)) >>> 0;
    return size < riff + 8;
  }
  return null;
}

/** Width and height from the file's header, or null when the header does not tell (then the browser decodes to find out). */
export function headerSize(head: Uint8Array): { width: number; height: number } | null {
  try {
    const d = imageSize(head);
    // EXIF orientations 5–8 turn the picture by 90°: the browser shows it with the sides swapped.
    const turned = (d.orientation ?? 1) >= 5;
    if (d.width && d.height) return turned ? { width: d.height, height: d.width } : { width: d.width, height: d.height };
  } catch { /* unknown or incomplete header */ }
  return null;
}

/** The size to decode to so that the longer side is at most `max` (aspect kept), or null when no downscale is needed. */
export function downscaledSize(width: number, height: number, max = MAX_SIDE): { width: number; height: number } | null {
  const scale = max / Math.max(width, height);
  if (scale >= 1) return null;
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** Longest side kept from a photo; the model needs far fewer pixels and the worker copy stays small. */
export const MAX_SIDE = 1600;

let counter = 0;
const nextKey = (name: string) => `${++counter}:${name}`;

function canvas(w: number, h: number): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = w;
  c.height = h;
  return c;
}

function fromDrawable(name: string, src: CanvasImageSource, w: number, h: number): SourceImage {
  const scale = Math.min(1, MAX_SIDE / Math.max(w, h));
  const cw = Math.max(1, Math.round(w * scale)), ch = Math.max(1, Math.round(h * scale));
  const c = canvas(cw, ch);
  const ctx = c.getContext('2d', { willReadFrequently: true })!;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(src, 0, 0, cw, ch);
  const data = ctx.getImageData(0, 0, cw, ch).data;
  return { key: nextKey(name), name, rgba: new Uint8ClampedArray(data), width: cw, height: ch };
}

/**
 * Decodes an image file; a file that is not an image, or does not decode, is an ImageInputError.
 * A large photo is downscaled while it is decoded (createImageBitmap's resize options), so neither
 * this thread nor the worker ever holds its full-size pixels; a truncated file is used as far as the
 * browser could decode it, with a note saying so.
 */
export async function decodeImageFile(file: Blob & { name?: string }): Promise<SourceImage> {
  const name = file.name || 'pasted image';
  if (file.type && !file.type.startsWith('image/')) {
    throw new ImageInputError(`"${name}" is not an image (its type is ${file.type}). Choose a PNG, JPEG, WebP or GIF file.`);
  }
  if (!file.size) throw new ImageInputError(`"${name}" is empty (0 bytes).`);
  const head = new Uint8Array(await file.slice(0, HEAD_BYTES).arrayBuffer());
  const tail = new Uint8Array(await file.slice(Math.max(0, file.size - 64)).arrayBuffer());
  const truncated = isTruncated(head, tail, file.size) === true;
  const truncatedText = `"${name}" seems truncated (the file ends before its image data does)`;
  const dims = headerSize(head);
  if (dims && dims.width * dims.height > MAX_PIXELS) {
    throw new ImageInputError(`"${name}" is ${dims.width}×${dims.height} (${(dims.width * dims.height / 1e6).toFixed(0)} megapixels): too large to decode safely in the browser (at most ${MAX_PIXELS / 1e6} megapixels). Save a smaller copy and use that.`);
  }
  const target = dims ? downscaledSize(dims.width, dims.height) : null;
  let bmp: ImageBitmap;
  try {
    bmp = target
      ? await createImageBitmap(file, { resizeWidth: target.width, resizeHeight: target.height, resizeQuality: 'high' })
      : await createImageBitmap(file);
  } catch {
    // createImageBitmap refuses incomplete data; an <img> shows what arrived (like a slow download).
    const partial = truncated ? await viaImgElement(file).catch(() => null) : null;
    if (partial) {
      try {
        const w = partial.naturalWidth, h = partial.naturalHeight;
        return { ...fromDrawable(name, partial, w, h), note: `${truncatedText}: the browser shows the part it could decode; the rest may be grey or missing.` };
      } finally {
        URL.revokeObjectURL(partial.src);
      }
    }
    if (truncated) throw new ImageInputError(`${truncatedText}, and the browser could not decode any of it. Use a complete copy of the file.`);
    throw new ImageInputError(`"${name}" could not be decoded as an image. The file may be damaged or in a format this browser cannot read.`);
  }
  try {
    if (!bmp.width || !bmp.height) throw new ImageInputError(`"${name}" has no pixels.`);
    const img = fromDrawable(name, bmp, bmp.width, bmp.height);
    const notes: string[] = [];
    if (truncated) notes.push(`${truncatedText}: the browser shows the part it could decode; the rest may be grey or missing.`);
    if (dims && (img.width !== dims.width || img.height !== dims.height)) notes.push(`Downscaled from ${dims.width}×${dims.height} to ${img.width}×${img.height} while decoding (the model sees a small centre crop of it).`);
    return notes.length ? { ...img, note: notes.join(' ') } : img;
  } finally {
    bmp.close();
  }
}

/** Loads a file into an <img> element (resolves once it has pixels; the caller revokes its URL). */
function viaImgElement(file: Blob): Promise<HTMLImageElement> {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => (img.naturalWidth && img.naturalHeight ? resolve(img) : reject(new Error('no pixels')));
    img.onerror = () => { URL.revokeObjectURL(img.src); reject(new Error('not decodable')); };
    img.src = URL.createObjectURL(file);
  });
}

/** A frame of a playing video (camera snapshot). */
export function snapshotVideo(video: HTMLVideoElement): SourceImage {
  if (!video.videoWidth) throw new ImageInputError('The camera has not delivered a picture yet.');
  return fromDrawable('camera snapshot', video, video.videoWidth, video.videoHeight);
}

/**
 * The fallback sample, drawn by code (no third-party image): a landscape with a sun, hills, a house
 * and a tree, 320×240 so that the centre crop is visible. Used only for a model that names no sample
 * of its own kind (or whose sample files are absent): no model here was trained on drawings like it.
 */
export function sampleImage(): SourceImage {
  const w = 320, h = 240;
  const c = canvas(w, h);
  const g = c.getContext('2d', { willReadFrequently: true })!;
  const sky = g.createLinearGradient(0, 0, 0, h);
  sky.addColorStop(0, '#3d7fd9');
  sky.addColorStop(1, '#bfe3ff');
  g.fillStyle = sky;
  g.fillRect(0, 0, w, h);
  g.fillStyle = '#ffd34d';
  g.beginPath(); g.arc(250, 55, 28, 0, Math.PI * 2); g.fill();
  g.fillStyle = '#4f9a3a';
  g.beginPath(); g.moveTo(0, 170); g.quadraticCurveTo(90, 110, 180, 165); g.quadraticCurveTo(260, 200, 320, 150); g.lineTo(320, 240); g.lineTo(0, 240); g.fill();
  g.fillStyle = '#3a7a2c';
  g.fillRect(0, 200, w, 40);
  // house
  g.fillStyle = '#d9663b'; g.fillRect(120, 130, 80, 60);
  g.fillStyle = '#7a2e1c'; g.beginPath(); g.moveTo(110, 132); g.lineTo(160, 92); g.lineTo(210, 132); g.fill();
  g.fillStyle = '#ffe9a8'; g.fillRect(132, 145, 18, 16); g.fillRect(172, 145, 18, 16);
  g.fillStyle = '#5a3a22'; g.fillRect(153, 160, 16, 30);
  // tree
  g.fillStyle = '#6b4423'; g.fillRect(238, 140, 10, 50);
  g.fillStyle = '#2f6f2a'; g.beginPath(); g.arc(243, 128, 24, 0, Math.PI * 2); g.fill();
  // stripes on the ground give the classifier texture to work with
  g.strokeStyle = 'rgba(255,255,255,0.15)';
  for (let x = -40; x < w; x += 12) { g.beginPath(); g.moveTo(x, 240); g.lineTo(x + 40, 200); g.stroke(); }
  return fromDrawable('sample (drawn by code)', c, w, h);
}

/** A style-world item the worker drew ('styleworld.sample') as a source image. */
export function styleWorldSource(r: SampleResult, family: string, seed: number, index: number): SourceImage {
  return { key: `sw:${family}:${seed}:${index}`, name: `style-world sample: a ${r.shape} in the "${family}" style (drawn by code)`, rgba: r.rgba, width: r.width, height: r.height };
}

/** A sample file served next to the model (e.g. a photo linked in for development); null when absent. */
export async function fetchSampleFile(url: string, name: string): Promise<SourceImage | null> {
  try {
    const r = await fetch(url);
    // A dev server answers a missing file with index.html: only a non-HTML answer can be the photo.
    if (!r.ok || (r.headers.get('content-type') ?? '').startsWith('text/')) return null;
    const bytes = await r.arrayBuffer();
    const img = await decodeImageFile(Object.assign(new Blob([bytes]), { name }));
    return { ...img, key: `file:${url}` };
  } catch {
    return null;
  }
}

/**
 * A square RGBA image together with its side: pixels and size always travel as one value, so a view
 * never draws the pixels of one model at the input size of another (issue 8).
 */
export interface SquareImage { rgba: Uint8ClampedArray; size: number }

/** Why `rgba` is not a width×height RGBA image, or null when it is. */
export function rgbaMismatch(rgba: Uint8ClampedArray, width: number, height: number): string | null {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) return `${width}×${height} is not an image size`;
  if (rgba.length !== width * height * 4) return `${rgba.length} bytes are not a ${width}×${height} RGBA image (${width * height * 4} bytes)`;
  return null;
}

/** Draws RGBA bytes into a canvas element (resizing it to the image); throws when they do not match the size. */
export function paint(el: HTMLCanvasElement | null, rgba: Uint8ClampedArray, width: number, height: number): void {
  if (!el) return;
  const bad = rgbaMismatch(rgba, width, height);
  if (bad) throw new Error(`Cannot draw the image: ${bad}.`);
  if (el.width !== width) el.width = width;
  if (el.height !== height) el.height = height;
  const ctx = el.getContext('2d')!;
  ctx.putImageData(new ImageData(new Uint8ClampedArray(rgba), width, height), 0, 0);
}

/**
 * Frames side by side (with a gap) on one canvas, each scaled ×scale with nearest-neighbour. Frames
 * must share one size (one run of one model); a frame of another size is an error, not a garbled PNG.
 */
export function stripCanvas(frames: SquareImage[], scale = 1, gap = 4): HTMLCanvasElement {
  if (!frames.length) throw new Error('No frames to export.');
  const size = frames[0]!.size;
  const odd = frames.find((f) => f.size !== size);
  if (odd) throw new Error(`The frames have different sizes (${size} and ${odd.size} px): run again and export when the run is done.`);
  const s = size * scale;
  const c = canvas(frames.length * s + Math.max(0, frames.length - 1) * gap, s);
  const ctx = c.getContext('2d')!;
  ctx.fillStyle = '#0f1115';
  ctx.fillRect(0, 0, c.width, c.height);
  ctx.imageSmoothingEnabled = false;
  const tmp = canvas(size, size);
  frames.forEach((f, i) => {
    paint(tmp, f.rgba, size, size);
    ctx.drawImage(tmp, i * (s + gap), 0, s, s);
  });
  return c;
}

/** Export scale: small models' images are enlarged (nearest-neighbour) to at least 256 px. */
export function exportScale(size: number): number {
  return Math.max(1, Math.ceil(256 / size));
}

export async function downloadCanvas(c: HTMLCanvasElement, filename: string): Promise<void> {
  const blob = await new Promise<Blob | null>((r) => c.toBlob(r, 'image/png'));
  if (!blob) throw new Error('The browser could not encode the PNG.');
  downloadBlob(blob, filename);
}
