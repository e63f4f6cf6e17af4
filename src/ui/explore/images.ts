/**
 * Images on the UI thread: decoding what the user gives (file, paste, drop, camera), the code-drawn
 * sample image, and PNG export of the results. Pixels travel to the worker as RGBA bytes.
 */

export interface SourceImage {
  /** Changes whenever the pixels change. */
  key: string;
  name: string;
  rgba: Uint8ClampedArray;
  width: number;
  height: number;
}

export class ImageInputError extends Error {}

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

/** Decodes an image file; a file that is not an image, or does not decode, is an ImageInputError. */
export async function decodeImageFile(file: Blob & { name?: string }): Promise<SourceImage> {
  const name = file.name || 'pasted image';
  if (file.type && !file.type.startsWith('image/')) {
    throw new ImageInputError(`"${name}" is not an image (its type is ${file.type}). Choose a PNG, JPEG, WebP or GIF file.`);
  }
  let bmp: ImageBitmap;
  try {
    bmp = await createImageBitmap(file);
  } catch {
    throw new ImageInputError(`"${name}" could not be decoded as an image. The file may be damaged or in a format this browser cannot read.`);
  }
  try {
    if (!bmp.width || !bmp.height) throw new ImageInputError(`"${name}" has no pixels.`);
    return fromDrawable(name, bmp, bmp.width, bmp.height);
  } finally {
    bmp.close();
  }
}

/** A frame of a playing video (camera snapshot). */
export function snapshotVideo(video: HTMLVideoElement): SourceImage {
  if (!video.videoWidth) throw new ImageInputError('The camera has not delivered a picture yet.');
  return fromDrawable('camera snapshot', video, video.videoWidth, video.videoHeight);
}

/**
 * The default sample, drawn by code (no third-party image): a landscape with a sun, hills, a house
 * and a tree, 320×240 so that the centre crop is visible.
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
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
