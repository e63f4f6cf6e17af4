/**
 * PSNR between two RGBA images of the same size (RGB only, alpha ignored), in dB: how close the
 * decoder's reconstruction (m = 0) is to the original crop. 10·log10(255² / MSE); Infinity when equal.
 */
export function psnrRgba(a: Uint8ClampedArray, b: Uint8ClampedArray): number {
  if (a.length !== b.length || a.length % 4 !== 0 || a.length === 0) throw new RangeError(`PSNR needs two RGBA images of the same size (got ${a.length} and ${b.length} bytes).`);
  let se = 0;
  for (let i = 0; i < a.length; i += 4) {
    for (let c = 0; c < 3; c++) { const d = a[i + c]! - b[i + c]!; se += d * d; }
  }
  const mse = se / ((a.length / 4) * 3);
  return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
}

/** A word for people: how recognisable a reconstruction of this PSNR is (style-world and photo decoders). */
export function psnrWord(db: number): string {
  if (db >= 25) return 'close';
  if (db >= 20) return 'recognisable';
  if (db >= 15) return 'rough';
  return 'poor';
}
