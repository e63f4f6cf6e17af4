/**
 * Summary of a domains comparison (plain / AdvBN / random-δ fine-tuning, several seeds): per test set and
 * arm, mean ± std over seeds, Δ against plain paired by seed, and a verdict. No tfjs: the Train page and
 * the CLI both format results with it.
 *
 * Which BN branch a number uses: plain fine-tuning has one (the clean BNs). AdvBN and random-δ have two,
 * and the headline arms `advbn` and `random` follow the paper's rule, fixed in advance: the clean BNs on
 * source-val (the training style), the auxiliary BNs on target and extra sets (unseen styles). The arms
 * `advbn-clean-bn`, `advbn-aux-bn`, `random-clean-bn`, `random-aux-bn` give each branch on every set.
 */
import { meanStd, type MeanStd } from './compare-summary';

export type SetKind = 'source-val' | 'target' | 'extra';

/** Accuracy (0–1) of one trained arm of one seed on every set, per BN branch (aux null without twins). */
export interface ArmAccuracy {
  clean: Record<string, number>;
  aux: Record<string, number> | null;
}

export interface SeedArmResult {
  seed: number;
  arm: string;
  accuracy: ArmAccuracy;
}

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
export function summarizeDomains(sets: Array<{ name: string; kind: SetKind }>, results: SeedArmResult[], armNames: string[]): DomainSummary {
  const seeds = [...new Set(results.map((r) => r.seed))];
  const get = (arm: string, seed: number) => {
    const r = results.find((x) => x.arm === arm && x.seed === seed);
    if (!r) throw new Error(`No result for arm ${arm}, seed ${seed}.`);
    return r.accuracy;
  };
  /** Accuracy in % of `arm` on `set` for each seed, with the branch chosen by `branch`. */
  const series = (arm: string, branch: 'rule' | 'clean' | 'aux') => (set: { name: string; kind: SetKind }) => seeds.map((s) => {
    const a = get(arm, s);
    const b = branch === 'rule' ? ruleBranch(set.kind) : branch;
    const table = b === 'aux' && a.aux ? a.aux : a.clean;
    return 100 * table[set.name]!;
  });
  const reported: Array<[string, (set: { name: string; kind: SetKind }) => number[]]> = [];
  for (const arm of armNames) {
    const hasAux = seeds.every((s) => get(arm, s).aux !== null);
    reported.push([arm, series(arm, 'rule')]);
    if (hasAux) reported.push([`${arm}-clean-bn`, series(arm, 'clean')], [`${arm}-aux-bn`, series(arm, 'aux')]);
  }
  const targets = sets.filter((s) => s.kind === 'target');
  const arms: DomainSummary['arms'] = {}, delta: DomainSummary['delta'] = {};
  const meanTarget: DomainSummary['meanTarget'] = {}, meanTargetDelta: DomainSummary['meanTargetDelta'] = {};
  const plain = armNames[0]!;
  const plainSeries = series(plain, 'rule');
  const meanOver = (f: (set: { name: string; kind: SetKind }) => number[]) =>
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
  return { sets: sets.map((s) => s.name), arms, delta, meanTarget, meanTargetDelta, seeds };
}

/**
 * Plain words for a Δ in points over seeds: beyond the seed noise when it exceeds twice its standard
 * error (paired differences) — a rough guide, not a test.
 */
export function deltaVerdict(what: string, d: ArmSetStats): string {
  const n = d.seeds.length;
  const gain = `${d.mean >= 0 ? '+' : ''}${d.mean.toFixed(1)} points`;
  if (n < 2) return `${what}: ${gain} (one seed: run more seeds to see whether it exceeds the noise).`;
  const se = d.std / Math.sqrt(n);
  const clear = Math.abs(d.mean) > 2 * se;
  return `${what}: ${gain} ± ${d.std.toFixed(1)} (std over ${n} seeds) — ${clear ? (d.mean > 0 ? 'a gain beyond the seed noise' : 'worse, beyond the seed noise') : 'within the seed noise'}.`;
}

/** The verdicts a comparison's page and CLI print: AdvBN and random δ against plain on the mean target, AdvBN on source-val. */
export function domainVerdicts(sum: DomainSummary): string[] {
  const out: string[] = [];
  if (sum.meanTargetDelta.advbn) out.push(deltaVerdict('AdvBN vs plain, mean target accuracy', sum.meanTargetDelta.advbn));
  if (sum.meanTargetDelta.random) out.push(deltaVerdict('random δ vs plain, mean target accuracy', sum.meanTargetDelta.random));
  const sv = sum.delta.advbn?.['source-val'];
  if (sv) out.push(deltaVerdict('AdvBN vs plain, source-val', sv));
  return out;
}

const cell = (s: ArmSetStats | undefined) => (!s ? '–' : s.seeds.length > 1 ? `${s.mean.toFixed(1)} ± ${s.std.toFixed(1)}` : s.mean.toFixed(1));
const signed = (s: ArmSetStats | undefined) => (!s ? '–' : `${s.mean >= 0 ? '+' : ''}${s.mean.toFixed(1)}${s.seeds.length > 1 ? ` ± ${s.std.toFixed(1)}` : ''}`);

/** A Markdown table: one row per set (and mean target), one column per arm, Δ against plain for each other arm. */
export function domainMarkdown(sum: DomainSummary, armOrder: string[] = Object.keys(sum.arms)): string {
  const others = armOrder.filter((a) => a !== armOrder[0]);
  const head = `| set | ${armOrder.join(' | ')} | ${others.map((a) => `Δ ${a}`).join(' | ')} |`;
  const sep = `|${'---|'.repeat(1 + armOrder.length + others.length)}`;
  const rows = sum.sets.map((s) => `| ${s} | ${armOrder.map((a) => cell(sum.arms[a]?.[s])).join(' | ')} | ${others.map((a) => signed(sum.delta[a]?.[s])).join(' | ')} |`);
  if (Object.keys(sum.meanTarget).length) {
    rows.push(`| **mean target** | ${armOrder.map((a) => cell(sum.meanTarget[a])).join(' | ')} | ${others.map((a) => signed(sum.meanTargetDelta[a])).join(' | ')} |`);
  }
  return [head, sep, ...rows, '', `top-1 accuracy in %, mean ± sample std over ${sum.seeds.length} seed(s) (${sum.seeds.join(', ')}); Δ against ${armOrder[0]}, paired by seed.`].join('\n');
}

export type { MeanStd };
