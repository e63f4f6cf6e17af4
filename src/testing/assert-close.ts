import assert from 'node:assert/strict';

/** Element-wise |a − b| < tol, with the index and both values in the message. */
export function assertClose(a: ArrayLike<number>, b: number[], tol = 1e-4): void {
  assert.equal(a.length, b.length);
  for (let i = 0; i < b.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) < tol, `[${i}] ${a[i]} vs ${b[i]}`);
}
