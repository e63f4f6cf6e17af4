/**
 * Summary of a plain-vs-AdvBN comparison over seeds: per test set, the base model's accuracy and the
 * mean ± std (over seeds) of plain fine-tuning, AdvBN fine-tuning and their difference (AdvBN − plain,
 * paired by seed: both arms of a seed share the base model, the training images and their order).
 *
 * No tfjs here: the Train page (UI thread) and the CLI both format results with it.
 */

/** The two arms of a comparison. */
export type Arm = 'plain' | 'advbn';

/** What the summary needs of a robustness report (a subset of core/robustness Report). */
export interface AccuracyReport {
  accuracy: Record<string, number>;
  meanStyle: number;
  meanCorruption: number;
}

export interface MeanStd { mean: number; std: number; n: number }

export interface SummaryRow {
  set: string;
  /** 'mean' rows aggregate the held-out styles or the corruptions. */
  kind: 'clean' | 'style' | 'corruption' | 'mean';
  base: number;
  plain: MeanStd;
  advbn: MeanStd;
  /** AdvBN − plain per seed, then mean ± std. */
  delta: MeanStd;
}

/** Mean and sample standard deviation (n − 1; 0 for one value). */
export function meanStd(xs: number[]): MeanStd {
  const n = xs.length;
  if (!n) return { mean: NaN, std: NaN, n: 0 };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, n };
}

/**
 * One row per test set of `base` (in its order) plus "mean held-out style" and "mean corruption"
 * rows when present. `kinds` names each set's kind (sets not listed count as styles, except "clean").
 */
export function summarizeComparison(
  base: AccuracyReport, runs: Array<{ plain: AccuracyReport; advbn: AccuracyReport }>, kinds: Record<string, 'clean' | 'style' | 'corruption'> = {},
): SummaryRow[] {
  if (!runs.length) throw new Error('A comparison needs at least one seed.');
  const row = (set: string, kind: SummaryRow['kind'], get: (r: AccuracyReport) => number): SummaryRow => {
    const p = runs.map((r) => get(r.plain)), a = runs.map((r) => get(r.advbn));
    return { set, kind, base: get(base), plain: meanStd(p), advbn: meanStd(a), delta: meanStd(a.map((v, i) => v - p[i]!)) };
  };
  const rows = Object.keys(base.accuracy).map((set) => row(set, kinds[set] ?? (set === 'clean' ? 'clean' : 'style'), (r) => r.accuracy[set]!));
  if (!Number.isNaN(base.meanStyle)) rows.push(row('mean held-out style', 'mean', (r) => r.meanStyle));
  if (!Number.isNaN(base.meanCorruption)) rows.push(row('mean corruption', 'mean', (r) => r.meanCorruption));
  return rows;
}

const pct = (v: number) => (v * 100).toFixed(1);
const pm = (m: MeanStd) => (m.n > 1 ? `${pct(m.mean)} ± ${pct(m.std)}` : pct(m.mean));
const signed = (m: MeanStd) => `${m.mean >= 0 ? '+' : ''}${pct(m.mean)}${m.n > 1 ? ` ± ${pct(m.std)}` : ''}`;

/** A Markdown table of the summary (the CLI prints it; the notes quote it). */
export function comparisonMarkdown(rows: SummaryRow[], seeds: number[]): string {
  const lines = [
    `| test set | base | plain fine-tuning | AdvBN fine-tuning | Δ AdvBN − plain |`,
    '|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.kind === 'mean' ? `**${r.set}**` : r.set} | ${pct(r.base)} | ${pm(r.plain)} | ${pm(r.advbn)} | ${signed(r.delta)} |`),
  ];
  lines.push('', `accuracy in %; mean ± sample std over ${seeds.length} seed${seeds.length === 1 ? '' : 's'} (${seeds.join(', ')}); Δ is paired by seed.`);
  return lines.join('\n');
}
