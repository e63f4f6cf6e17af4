/**
 * Summary of a domains comparison (plain fine-tuning against AdvBN and its controls, several seeds): per
 * test set and arm, mean ± std over seeds, Δ against plain paired by seed, a paired bootstrap over seeds
 * and test images (Δ and its 95 % interval, bootstrap.ts), and verdicts from the intervals. No tfjs: the
 * Train page and the CLI both format results with it.
 *
 * Which BN branch a number uses: plain, MixStyle and DSU have one (the clean BNs). AdvBN and the random-δ
 * controls have two, and their headline arms (`advbn`, `random-uniform`, `random-matched`) follow the
 * paper's rule, fixed in advance: the clean BNs on source-val (the training style), the auxiliary BNs on
 * target and extra sets (unseen styles). `<arm>-clean-bn` and `<arm>-aux-bn` give each branch on every set.
 */
import { meanStd, type MeanStd } from './compare-summary';
import { formatInterval, intervalVerdict, pairedBootstrap, type BootstrapResult, type Interval } from './bootstrap';

export type SetKind = 'source-val' | 'target' | 'extra';

/** Accuracy (0–1) of one trained arm of one seed on every set, per BN branch (aux null without twins). */
export interface ArmAccuracy {
  clean: Record<string, number>;
  aux: Record<string, number> | null;
}

/** Top-1 prediction per test image of one trained arm of one seed, per set and BN branch. */
export interface ArmPredictions {
  clean: Record<string, ArrayLike<number>>;
  aux: Record<string, ArrayLike<number>> | null;
}

export interface SeedArmResult {
  seed: number;
  arm: string;
  accuracy: ArmAccuracy;
  /** Per-image predictions: with the sets' labels, what the bootstrap resamples. */
  predictions?: ArmPredictions;
}

/** A set as the summary sees it; with `labels` (and every result's predictions) the bootstrap runs. */
export interface SummarySet { name: string; kind: SetKind; labels?: ArrayLike<number> }

export interface ArmSetStats { mean: number; std: number; seeds: number[] }

export interface DomainSummary {
  sets: string[];
  /** arms[arm][set]: accuracy in %, over seeds in the order of `seeds`. */
  arms: Record<string, Record<string, ArmSetStats>>;
  /** delta[arm][set]: arm − plain in points, paired by seed. */
  delta: Record<string, Record<string, ArmSetStats>>;
  /** Mean over the target domains (not the extra sets): per arm, and Δ against plain. */
  meanTarget: Record<string, ArmSetStats>;
  meanTargetDelta: Record<string, ArmSetStats>;
  seeds: number[];
  /**
   * Paired bootstrap over seeds and test images (when predictions and labels are there): per reported arm,
   * Δ against plain per set and for the mean target; `vsAdvbn[arm]`: AdvBN − that control.
   */
  bootstrap?: { vsPlain: Record<string, BootstrapResult>; vsAdvbn: Record<string, BootstrapResult> };
}

/** The branch the paper's rule picks for a set: clean BNs on the source style, auxiliary BNs elsewhere. */
export function ruleBranch(kind: SetKind): 'clean' | 'aux' {
  return kind === 'source-val' ? 'clean' : 'aux';
}

const stats = (xs: number[]): ArmSetStats => {
  const m = meanStd(xs);
  return { mean: round(m.mean), std: round(m.std), seeds: xs.map(round) };
};
const round = (v: number) => Math.round(v * 100) / 100;

/**
 * Builds the summary from per-seed results. `arms` are the trained arms' names ('plain' first);
 * each arm with auxiliary BNs is reported three ways (rule, clean BNs, auxiliary BNs).
 */
export function summarizeDomains(sets: SummarySet[], results: SeedArmResult[], armNames: string[]): DomainSummary {
  const seeds = [...new Set(results.map((r) => r.seed))];
  const get = (arm: string, seed: number) => {
    const r = results.find((x) => x.arm === arm && x.seed === seed);
    if (!r) throw new Error(`No result for arm ${arm}, seed ${seed}.`);
    return r.accuracy;
  };
  /** Accuracy in % of `arm` on `set` for each seed, with the branch chosen by `branch`. */
  const series = (arm: string, branch: Branch) => (set: SummarySet) => seeds.map((s) => {
    const a = get(arm, s);
    const b = branch === 'rule' ? ruleBranch(set.kind) : branch;
    const table = b === 'aux' && a.aux ? a.aux : a.clean;
    return 100 * table[set.name]!;
  });
  const reported: Array<[string, (set: SummarySet) => number[], string, Branch]> = [];
  for (const arm of armNames) {
    const hasAux = seeds.every((s) => get(arm, s).aux !== null);
    reported.push([arm, series(arm, 'rule'), arm, 'rule']);
    if (hasAux) reported.push([`${arm}-clean-bn`, series(arm, 'clean'), arm, 'clean'], [`${arm}-aux-bn`, series(arm, 'aux'), arm, 'aux']);
  }
  const targets = sets.filter((s) => s.kind === 'target');
  const arms: DomainSummary['arms'] = {}, delta: DomainSummary['delta'] = {};
  const meanTarget: DomainSummary['meanTarget'] = {}, meanTargetDelta: DomainSummary['meanTargetDelta'] = {};
  const plain = armNames[0]!;
  const plainSeries = series(plain, 'rule');
  const meanOver = (f: (set: SummarySet) => number[]) =>
    seeds.map((_, i) => targets.reduce((acc, t) => acc + f(t)[i]!, 0) / Math.max(1, targets.length));
  for (const [name, f] of reported) {
    arms[name] = {};
    delta[name] = {};
    for (const set of sets) {
      const v = f(set), p = plainSeries(set);
      arms[name]![set.name] = stats(v);
      delta[name]![set.name] = stats(v.map((x, i) => x - p[i]!));
    }
    if (targets.length) {
      const m = meanOver(f), mp = meanOver(plainSeries);
      meanTarget[name] = stats(m);
      meanTargetDelta[name] = stats(m.map((x, i) => x - mp[i]!));
    }
  }
  const sum: DomainSummary = { sets: sets.map((s) => s.name), arms, delta, meanTarget, meanTargetDelta, seeds };
  const canBootstrap = sets.every((s) => s.labels) && results.every((r) => r.predictions);
  if (canBootstrap) {
    /** Per set, per seed: 1 where the arm's prediction (branch by `branch`) is right, else 0. */
    const correct = (arm: string, branch: Branch) => (set: SummarySet) => seeds.map((sd) => {
      const r = results.find((x) => x.arm === arm && x.seed === sd)!;
      const b = branch === 'rule' ? ruleBranch(set.kind) : branch;
      const pred = (b === 'aux' && r.predictions!.aux ? r.predictions!.aux : r.predictions!.clean)[set.name]!;
      return Int8Array.from(set.labels!, (l, i) => (pred[i] === l ? 1 : 0));
    });
    const targetNames = targets.map((t) => t.name);
    const diffs = (a: (set: SummarySet) => Int8Array[], b: (set: SummarySet) => Int8Array[]) =>
      Object.fromEntries(sets.map((set) => {
        const x = a(set), y = b(set);
        return [set.name, x.map((xs, k) => Int8Array.from(xs, (v, i) => v - y[k]![i]!))];
      }));
    const plainCorrect = correct(plain, 'rule');
    const vsPlain: Record<string, BootstrapResult> = {}, vsAdvbn: Record<string, BootstrapResult> = {};
    for (const [name, , arm, branch] of reported) {
      if (name === plain) continue;
      vsPlain[name] = pairedBootstrap(diffs(correct(arm, branch), plainCorrect), targetNames);
    }
    if (armNames.includes('advbn')) {
      for (const arm of armNames) {
        if (arm === plain || arm === 'advbn') continue;
        vsAdvbn[arm] = pairedBootstrap(diffs(correct('advbn', 'rule'), correct(arm, 'rule')), targetNames);
      }
    }
    sum.bootstrap = { vsPlain, vsAdvbn };
  }
  return sum;
}

type Branch = 'rule' | 'clean' | 'aux';

/** Display names of the arms, for sentences and the page. */
export const ARM_LABELS: Record<string, string> = {
  plain: 'plain', advbn: 'AdvBN', 'random-uniform': 'random δ (uniform)', 'random-matched': 'random δ (matched sizes)',
  mixstyle: 'MixStyle', dsu: 'DSU',
};
const label = (arm: string) => ARM_LABELS[arm] ?? arm;

/**
 * Plain words for a Δ: the bootstrap interval and whether it holds 0 ("within noise"), with the seeds'
 * mean ± std beside it. Without an interval (no per-image predictions) only mean ± std, and no verdict.
 */
export function deltaVerdict(what: string, d: ArmSetStats, ci?: Interval): string {
  const n = d.seeds.length;
  const spread = n > 1 ? ` (per seed ${d.seeds.map((v) => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(1)}`).join(', ')})` : ' (one seed)';
  if (!ci) return `${what}: ${d.mean >= 0 ? '+' : ''}${d.mean.toFixed(1)} points${spread}; no per-image predictions, so no interval.`;
  return `${what}: ${formatInterval(ci)} points (Δ, 95 % paired bootstrap over ${n} seed${n === 1 ? '' : 's'} and the test images)${spread} — ${intervalVerdict(ci)}.`;
}

/**
 * The verdicts a comparison's page and CLI print: every arm against plain on the mean target, AdvBN
 * against each control on the mean target, AdvBN on source-val.
 */
export function domainVerdicts(sum: DomainSummary): string[] {
  const out: string[] = [];
  const b = sum.bootstrap;
  const arms = Object.keys(sum.meanTargetDelta).filter((a) => a !== 'plain' && !a.endsWith('-clean-bn') && !a.endsWith('-aux-bn'));
  for (const a of arms) out.push(deltaVerdict(`${label(a)} vs plain, mean target accuracy`, sum.meanTargetDelta[a]!, b?.vsPlain[a]?.meanTarget ?? undefined));
  for (const [a, r] of Object.entries(b?.vsAdvbn ?? {})) {
    if (!r.meanTarget || !sum.meanTarget.advbn || !sum.meanTarget[a]) continue;
    const per = sum.meanTarget.advbn.seeds.map((v, i) => v - sum.meanTarget[a]!.seeds[i]!);
    const mean = per.reduce((x, y) => x + y, 0) / per.length;
    out.push(deltaVerdict(`AdvBN vs ${label(a)}, mean target accuracy`, { mean, std: NaN, seeds: per.map((v) => Math.round(v * 100) / 100) }, r.meanTarget));
  }
  const sv = sum.delta.advbn?.['source-val'];
  if (sv) out.push(deltaVerdict('AdvBN vs plain, source-val', sv, b?.vsPlain.advbn?.sets['source-val']));
  return out;
}

const cell = (s: ArmSetStats | undefined) => (!s ? '–' : s.seeds.length > 1 ? `${s.mean.toFixed(1)} ± ${s.std.toFixed(1)}` : s.mean.toFixed(1));
const signed = (s: ArmSetStats | undefined) => (!s ? '–' : `${s.mean >= 0 ? '+' : ''}${s.mean.toFixed(1)}${s.seeds.length > 1 ? ` ± ${s.std.toFixed(1)}` : ''}`);

/**
 * A Markdown table: one row per set (and mean target), one column per arm (mean ± std over seeds), then Δ
 * against the first arm for each other arm — with the bootstrap's 95 % interval when the first arm is
 * plain and the summary has one, else mean ± std of the paired Δ.
 */
export function domainMarkdown(sum: DomainSummary, armOrder: string[] = Object.keys(sum.arms)): string {
  const others = armOrder.filter((a) => a !== armOrder[0]);
  const ci = armOrder[0] === 'plain' ? sum.bootstrap?.vsPlain : undefined;
  const head = `| set | ${armOrder.join(' | ')} | ${others.map((a) => `Δ ${a}`).join(' | ')} |`;
  const sep = `|${'---|'.repeat(1 + armOrder.length + others.length)}`;
  const d = (a: string, set: string | null) => {
    const i = set === null ? ci?.[a]?.meanTarget : ci?.[a]?.sets[set];
    return i ? formatInterval(i) : signed(set === null ? sum.meanTargetDelta[a] : sum.delta[a]?.[set]);
  };
  const rows = sum.sets.map((s) => `| ${s} | ${armOrder.map((a) => cell(sum.arms[a]?.[s])).join(' | ')} | ${others.map((a) => d(a, s)).join(' | ')} |`);
  if (Object.keys(sum.meanTarget).length) {
    rows.push(`| **mean target** | ${armOrder.map((a) => cell(sum.meanTarget[a])).join(' | ')} | ${others.map((a) => d(a, null)).join(' | ')} |`);
  }
  const how = ci ? `Δ against plain and its 95 % interval (paired bootstrap over seeds and test images, ${Object.values(ci)[0]?.resamples ?? 0} resamples)` : `Δ against ${armOrder[0]}, mean ± std paired by seed`;
  return [head, sep, ...rows, '', `top-1 accuracy in %, mean ± sample std over ${sum.seeds.length} seed(s) (${sum.seeds.join(', ')}); ${how}.`].join('\n');
}

export type { MeanStd };
