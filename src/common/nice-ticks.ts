/**
 * Axis ticks people can read: from 0 up to at least `max`, at a step of 1, 2 or 5 × 10^k, labelled with
 * as many decimals as the step needs (so no two ticks read the same: "0.1, 0.1, 0.1, 0.0, 0.0" was a
 * 0–0.105 axis in fifths, printed to one decimal).
 */
export function niceTicks(max: number, count = 4): { ticks: number[]; top: number; label(v: number): string } {
  const m = Number.isFinite(max) && max > 0 ? max : 1;
  const raw = m / count;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * pow).find((s) => s >= raw * (1 - 1e-9))!;
  const n = Math.ceil(m / step - 1e-9);
  const ticks = Array.from({ length: n + 1 }, (_, i) => +(i * step).toPrecision(12));
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return { ticks, top: ticks[ticks.length - 1]!, label: (v) => v.toFixed(decimals) };
}
