/**
 * Image files in Node (the CLI): JPEG and PNG decoding/encoding in pure JS, so no native add-on or
 * downloaded binary is needed. The browser decodes with createImageBitmap instead.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

export interface RgbaImage { data: Uint8Array; width: number; height: number; }

export class ImageDecodeError extends Error {}

export function decodeImage(bytes: Uint8Array, name = 'image'): RgbaImage {
  const isPng = bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
  const isJpeg = bytes[0] === 0xff && bytes[1] === 0xd8;
  try {
    if (isPng) {
      const png = PNG.sync.read(Buffer.from(bytes));
      return { data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength), width: png.width, height: png.height };
    }
    if (isJpeg) {
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
      return { data: img.data, width: img.width, height: img.height };
    }
  } catch (e) {
    throw new ImageDecodeError(`${name}: the image could not be decoded (${(e as Error).message}).`);
  }
  throw new ImageDecodeError(`${name}: not a JPEG or PNG image.`);
}

export function readImage(path: string): RgbaImage {
  return decodeImage(new Uint8Array(readFileSync(path)), path);
}

export function encodePng(img: RgbaImage): Uint8Array {
  const png = new PNG({ width: img.width, height: img.height });
  png.data = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  return PNG.sync.write(png);
}

export function writePng(path: string, img: RgbaImage): void {
  writeFileSync(path, encodePng(img));
}
