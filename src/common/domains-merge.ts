/**
 * Joins the JSON of several `advbn train --data … --json` runs of one comparison (e.g. one process per
 * seed on a shared machine) back into one summary. Arms of a seed do not depend on which other arms or
 * seeds ran beside them (domains-compare.ts: the base, the batches and each arm's draws come from the seed
 * alone), so runs of the same settings split by seed or by arm join exactly. No tfjs.
 */
import { summarizeDomains, type DomainSummary, type SeedArmResult, type SetKind, type SummarySet } from './domains-summary';

/** What a run's JSON carries that the merge reads. */
export interface DomainRunJson {
  sets: string[];
  settings: Record<string, unknown> & { targets: string[]; seeds: number[] };
  labels: Record<string, number[]>;
  predictions: Record<string, Record<string, { clean: Record<string, number[]>; aux: Record<string, number[]> | null }>>;
}

/** Settings that must agree between the joined runs (everything but the arms and the seeds). */
const SAME = ['data', 'source', 'layer', 'size', 'epochs', 'batchSize', 'steps', 'lr', 'optimizer', 'pgd', 'testSize'];

export function mergeDomainRuns(runs: DomainRunJson[]): { summary: DomainSummary; sets: SummarySet[]; results: SeedArmResult[]; armNames: string[] } {
  if (!runs.length) throw new Error('Nothing to merge.');
  const first = runs[0]!;
  for (const r of runs) {
    if (!r.predictions || !r.labels) throw new Error('A run\'s JSON has no per-image predictions (made before they were written): it cannot be merged.');
    for (const k of SAME) {
      if (JSON.stringify(r.settings[k]) !== JSON.stringify(first.settings[k])) throw new Error(`The runs differ in ${k}: ${JSON.stringify(first.settings[k])} vs ${JSON.stringify(r.settings[k])}.`);
    }
    if (JSON.stringify(r.sets) !== JSON.stringify(first.sets) || JSON.stringify(r.labels) !== JSON.stringify(first.labels)) throw new Error('The runs differ in their test sets.');
  }
  const kind = (name: string): SetKind => (name === 'source-val' ? 'source-val' : first.settings.targets.includes(name) ? 'target' : 'extra');
  const sets: SummarySet[] = first.sets.map((name) => ({ name, kind: kind(name), labels: first.labels[name]! }));
  const results: SeedArmResult[] = [];
  const armNames: string[] = [];
  const seen = new Set<string>();
  for (const r of runs) {
    for (const [arm, bySeed] of Object.entries(r.predictions)) {
      if (!armNames.includes(arm)) armNames.push(arm);
      for (const [seed, p] of Object.entries(bySeed)) {
        const key = `${arm}/${seed}`;
        if (seen.has(key)) {
          // The same arm and seed in two runs (plain beside each group of a split run): it must agree to the
          // last prediction — the arms of a seed do not depend on each other — and is kept once.
          const other = results.find((x) => x.arm === arm && x.seed === Number(seed))!;
          if (JSON.stringify(other.predictions) !== JSON.stringify(p)) throw new Error(`Arm ${arm}, seed ${seed} is in more than one run, with different predictions.`);
          continue;
        }
        seen.add(key);
        const acc = (t: Record<string, number[]>) => Object.fromEntries(sets.map((s) => [s.name, t[s.name]!.reduce((n, v, i) => n + (v === s.labels![i] ? 1 : 0), 0) / s.labels!.length]));
        results.push({ seed: Number(seed), arm, accuracy: { clean: acc(p.clean), aux: p.aux ? acc(p.aux) : null }, predictions: p });
      }
    }
  }
  if (!armNames.includes('plain')) throw new Error('No run has the plain arm (every Δ is against it).');
  const ordered = ['plain', ...armNames.filter((a) => a !== 'plain')];
  results.sort((a, b) => a.seed - b.seed);
  const seeds = [...new Set(results.map((r) => r.seed))];
  for (const a of ordered) for (const s of seeds) if (!seen.has(`${a}/${s}`)) throw new Error(`Arm ${a} has no run for seed ${s}.`);
  return { summary: summarizeDomains(sets, results, ordered), sets, results, armNames: ordered };
}
