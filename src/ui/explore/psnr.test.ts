import { test } from 'node:test';
import assert from 'node:assert/strict';
import { psnrRgba, psnrWord } from './psnr';

test('psnrRgba: RGB only (alpha ignored), 10·log10(255²/MSE), ∞ when equal, an error for mismatched sizes', () => {
  const a = new Uint8ClampedArray([10, 20, 30, 255, 40, 50, 60, 255]);
  assert.equal(psnrRgba(a, a.slice()), Infinity);
  const b = a.slice();
  b[3] = 0; // alpha differs only
  assert.equal(psnrRgba(a, b), Infinity);
  const c = a.slice();
  c[0] += 10; // one channel of six off by 10 → MSE = 100 / 6
  assert.ok(Math.abs(psnrRgba(a, c) - 10 * Math.log10((255 * 255 * 6) / 100)) < 1e-9);
  assert.throws(() => psnrRgba(a, a.subarray(0, 4)), /same size/);
  assert.equal(psnrWord(22), 'recognisable');
  assert.equal(psnrWord(12), 'poor');
});
