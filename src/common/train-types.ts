/** Results of Algorithm 1 runs that the UI shows (no tfjs). */

/** One training step of Algorithm 1. */
export interface StepResult {
  step: number;
  lr: number;
  /** CE and accuracy of the clean path (batch statistics, before the update). */
  cleanLoss: number;
  cleanAcc: number;
  /** Same for the AdvBN path (null without AdvBN). */
  advLoss: number | null;
  advAcc: number | null;
  /** CE of the PGD objective at δ = 1 and after m − 1 updates, the last state training evaluates (eval mode, auxiliary BNs; PGD runs with `final: false`). */
  pgdLoss: [number, number] | null;
  ms: number;
}

/** The robustness report of a model: accuracy per test set, and the §7 feature divergence. */
export interface Report {
  accuracy: Record<string, number>;
  /** Mean accuracy over the held-out style sets and over the corruptions. */
  meanStyle: number;
  meanCorruption: number;
  /** divergence[layer][set]: §7 divergence between the clean set's and the set's features. */
  divergence: Record<string, Record<string, number>>;
  /** Per layer, mean divergence over style sets and over corruptions. */
  divergenceMean: Record<string, { style: number; corruption: number }>;
}

/**
 * Steps of a run of Algorithm 1 on `n` training images: `epochs` passes of batches of
 * min(batchSize, n) (the worker's, the CLI's and the Train page's count; at least one).
 */
export function plannedSteps(n: number, batchSize: number, epochs: number): number {
  return Math.max(1, Math.round((epochs * n) / Math.min(batchSize, n)));
}
