/** The PGD settings of AdvBN (§3 of the method) and their validation; no tfjs, so the UI can use them. */

/** Where the loss is measured (§4): on the head's output, or on the classifier applied to the decoded image. */
export type LossMode = 'feature' | 'image';

export interface PgdSettings {
  /** Bound on ‖δ − 1‖∞ for both δμ and δσ. */
  eps: number;
  /** Step size of the sign-gradient step. */
  tau: number;
  /** Number of PGD steps m. */
  steps: number;
}

/** τ = 0.2, m = 6, ε = m·τ − 0.1 = 1.1 (paper). */
export const PAPER_DEFAULTS: Readonly<PgdSettings> = Object.freeze({ eps: 1.1, tau: 0.2, steps: 6 });

/** The ablation's coupling of ε to m and τ: ε = m·τ − 0.1 (never below 0). */
export function ablationEps(steps: number, tau: number): number {
  return Math.max(0, Math.round((steps * tau - 0.1) * 1e6) / 1e6);
}

export const MAX_STEPS = 100;

/** Throws a RangeError naming the bad setting (NaN, infinite, negative, fractional step counts). */
export function validatePgdSettings(s: PgdSettings): PgdSettings {
  const bad = (name: string, v: unknown, want: string) => new RangeError(`AdvBN setting ${name} = ${String(v)} is invalid: ${want}.`);
  if (typeof s.eps !== 'number' || !Number.isFinite(s.eps) || s.eps < 0) throw bad('ε (eps)', s.eps, 'expected a finite number ≥ 0');
  if (typeof s.tau !== 'number' || !Number.isFinite(s.tau) || s.tau < 0) throw bad('τ (tau)', s.tau, 'expected a finite number ≥ 0');
  if (typeof s.steps !== 'number' || !Number.isInteger(s.steps) || s.steps < 0 || s.steps > MAX_STEPS) throw bad('m (steps)', s.steps, `expected a whole number from 0 to ${MAX_STEPS}`);
  return s;
}
