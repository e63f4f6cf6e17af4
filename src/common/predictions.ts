/** Top-k predictions with class names (plain arrays: no tfjs, usable on the UI thread). */
export interface Prediction { index: number; name: string; prob: number; }

/** Top-k of probabilities [K] (one image) with class names. */
export function topK(probs: Float32Array | number[], k: number, labels: readonly string[]): Prediction[] {
  const idx = Array.from(probs.keys()).sort((a, b) => probs[b]! - probs[a]!);
  return idx.slice(0, k).map((i) => ({ index: i, name: labels[i] ?? `class ${i}`, prob: probs[i]! }));
}

/** The index of the largest value (the first of equal ones); 0 for an empty array. */
export function argmax(a: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i]! > a[best]!) best = i;
  return best;
}
