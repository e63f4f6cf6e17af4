import { test } from 'node:test';
import assert from 'node:assert/strict';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { downscaledSize, headerSize, isTruncated, MAX_SIDE, rgbaMismatch } from './images';

function jpegBytes(w: number, h: number): Uint8Array {
  const data = Buffer.alloc(w * h * 4, 128);
  return new Uint8Array(jpeg.encode({ data, width: w, height: h }, 80).data);
}
function pngBytes(w: number, h: number): Uint8Array {
  const png = new PNG({ width: w, height: h });
  png.data.fill(200);
  return new Uint8Array(PNG.sync.write(png));
}
const check = (b: Uint8Array) => isTruncated(b.subarray(0, 4096), b.subarray(Math.max(0, b.length - 64)), b.length);

test('a cut-off JPEG or PNG is recognised as truncated; complete files and unknown formats are not', () => {
  const j = jpegBytes(40, 30), p = pngBytes(40, 30);
  assert.equal(check(j), false);
  assert.equal(check(j.subarray(0, Math.floor(j.length * 0.6))), true);
  assert.equal(check(p), false);
  assert.equal(check(p.subarray(0, p.length - 20)), true);
  assert.equal(check(new TextEncoder().encode('hello, not an image')), null);
});

test('the header gives the size before decoding; large photos are decoded downscaled to MAX_SIDE', () => {
  assert.deepEqual(headerSize(jpegBytes(40, 30)), { width: 40, height: 30 });
  assert.deepEqual(headerSize(pngBytes(7, 9)), { width: 7, height: 9 });
  assert.equal(headerSize(new TextEncoder().encode('not an image')), null);
  assert.deepEqual(downscaledSize(8000, 8000), { width: MAX_SIDE, height: MAX_SIDE });
  assert.deepEqual(downscaledSize(8000, 2000), { width: MAX_SIDE, height: 400 });
  assert.equal(downscaledSize(1200, 900), null);
});

test('pixels that do not match a size are named before they reach a canvas', () => {
  assert.equal(rgbaMismatch(new Uint8ClampedArray(64 * 64 * 4), 64, 64), null);
  assert.match(rgbaMismatch(new Uint8ClampedArray(64 * 64 * 4), 224, 224) ?? '', /16384 bytes are not a 224×224 RGBA image/);
  assert.match(rgbaMismatch(new Uint8ClampedArray(0), 0, 0) ?? '', /not an image size/);
});
