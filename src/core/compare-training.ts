/**
 * Plain fine-tuning vs AdvBN fine-tuning in one run (what a class needs to see AdvBN work): for every
 * seed, both arms start from the same base model, see the same training images in the same order
 * (one batch tensor feeds both, step by step), and differ only in the AdvBN term of Algorithm 1.
 * The base model is evaluated once; each arm after training. The summary (mean ± std over seeds,
 * Δ paired by seed) is in compare-summary.ts.
 */
import type { Network } from '../models/network';
import type { Preprocessing } from '../models/preprocess';
import { createTrainer, disposeTrainer, trainStep, TrainingCancelledError, type AdvbnTrainSettings, type StepResult, type Trainer } from './advbn-training';
import type { Batch } from '../data/batch';
import { robustnessReport, type Report, type TestSet } from './robustness';
import { summarizeComparison, type Arm, type SummaryRow } from '../common/compare-summary';

export type { Arm };

export interface CompareOptions {
  base: Network;
  layer: string;
  preprocessing: Preprocessing;
  /** Settings of the AdvBN arm; the plain arm uses the same with `advbn: false`. */
  settings: AdvbnTrainSettings;
  seeds: number[];
  steps: number;
  /** Batch `step` of seed `seed` (its tensor is disposed here, after both arms used it). */
  batch(seed: number, step: number): Batch | Promise<Batch>;
  /** Called before a seed's first step (e.g. to render that seed's training set). */
  prepareSeed?(seed: number): void | Promise<void>;
  tests: TestSet[];
  divergenceLayers?: string[];
  signal?: AbortSignal;
  waitWhilePaused?(): Promise<void>;
  onStep?(seed: number, arm: Arm, r: StepResult): void;
  onPhase?(phase: 'report-before' | 'training' | 'report-after', seed: number | null, done: number, total: number): void;
  /** Receives each arm's trained network before it is disposed (e.g. to keep the AdvBN model). */
  onTrained?(seed: number, arm: Arm, trainer: Trainer): void | Promise<void>;
}

export interface SeedRun {
  seed: number;
  plain: Report;
  advbn: Report;
  trainSeconds: Record<Arm, number>;
  curves: Record<Arm, StepResult[]>;
}

export interface CompareResult {
  base: Report;
  runs: SeedRun[];
  summary: SummaryRow[];
}

export async function compareFineTuning(o: CompareOptions): Promise<CompareResult> {
  if (!o.seeds.length) throw new Error('A comparison needs at least one seed.');
  if (!(o.steps >= 1)) throw new Error(`A comparison needs at least one training step, got ${o.steps}.`);
  const layers = o.divergenceLayers ?? [];
  o.onPhase?.('report-before', null, 0, o.tests.length);
  const base = await robustnessReport(o.base, o.preprocessing, o.tests, layers, (d, t) => o.onPhase?.('report-before', null, d, t));
  const runs: SeedRun[] = [];
  for (const seed of o.seeds) {
    await o.prepareSeed?.(seed);
    const trainers: Record<Arm, Trainer> = {
      plain: createTrainer(o.base, o.layer, o.preprocessing, { ...o.settings, advbn: false }),
      advbn: createTrainer(o.base, o.layer, o.preprocessing, { ...o.settings, advbn: true }),
    };
    try {
      const curves: Record<Arm, StepResult[]> = { plain: [], advbn: [] };
      const ms: Record<Arm, number> = { plain: 0, advbn: 0 };
      o.onPhase?.('training', seed, 0, o.steps);
      for (let step = 0; step < o.steps; step++) {
        await o.waitWhilePaused?.();
        if (o.signal?.aborted) throw new TrainingCancelledError();
        const b = await o.batch(seed, step);
        try {
          for (const arm of ['plain', 'advbn'] as const) {
            const r = await trainStep(trainers[arm], b.x, b.labels, step, o.steps, o.signal);
            curves[arm].push(r);
            ms[arm] += r.ms;
            o.onStep?.(seed, arm, r);
          }
        } finally {
          b.x.dispose();
        }
      }
      const reports = {} as Record<Arm, Report>;
      for (const arm of ['plain', 'advbn'] as const) {
        o.onPhase?.('report-after', seed, 0, o.tests.length);
        reports[arm] = await robustnessReport(trainers[arm].net, o.preprocessing, o.tests, layers, (d, t) => o.onPhase?.('report-after', seed, d, t));
        await o.onTrained?.(seed, arm, trainers[arm]);
      }
      runs.push({ seed, plain: reports.plain, advbn: reports.advbn, trainSeconds: { plain: ms.plain / 1000, advbn: ms.advbn / 1000 }, curves });
    } finally {
      disposeTrainer(trainers.plain);
      disposeTrainer(trainers.advbn);
    }
  }
  const kinds = Object.fromEntries(o.tests.map((t) => [t.name, t.kind]));
  return { base, runs, summary: summarizeComparison(base, runs, kinds) };
}
