/**
 * advbn merge: joins the manifests of a sharded run (`advbn sweep --shard K/N --manifest …`, or
 * `advbn perturb --image DIR --out DIR --shard K/N`) into one manifest and prints the whole run's table,
 * the same table a single run prints.
 */
import { Options, UsageError } from '../args';
import { manifestPaths, mergeManifests, readManifest, writeManifest } from '../folder-run';
import { sweepTable, type Strength, type StrengthSweepRecord } from '../../core/strength-sweep';
import { formatSweepTable, type StrengthSweepSettings } from './sweep';
import { printSummary, Tally, type Outcome } from './perturb';

export async function mergeCommand(o: Options): Promise<void> {
  const out = o.optionalString('out');
  const json = o.flag('json');
  const allowMissing = o.flag('allow-missing');
  o.done();
  const parts = manifestPaths(o.positional()).map(readManifest);
  const merged = mergeManifests(parts);
  if (merged.missingShards.length && !allowMissing) {
    throw new UsageError(`Shard(s) ${merged.missingShards.join(', ')} are missing: merge them too, or pass --allow-missing for a partial table.`);
  }
  if (out) writeManifest(out, merged.header, merged.rows);
  const meta = { manifests: parts.length, missing_shards: merged.missingShards, files_in_folder: merged.header.files, ...(out ? { manifest: out } : {}) };
  if (merged.header.manifest === 'advbn-sweep') {
    const s = merged.header.settings as unknown as StrengthSweepSettings;
    const table = sweepTable(s.strengths as Strength[], merged.rows as unknown as StrengthSweepRecord[]);
    const result = { ...table, random_draws: s.random_draws, mode: s.mode, layer: s.layer, reference: s.reference, ...meta };
    if (json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    else process.stdout.write(formatSweepTable(table, s.random_draws, s.reference) + `\nmerged ${parts.length} manifest(s)${merged.missingShards.length ? `; missing shards ${merged.missingShards.join(', ')}` : ''}\n`);
    return;
  }
  const summary = { images: merged.rows.length, ...new Tally(merged.rows as unknown as Outcome[]).summary(), settings: merged.header.settings, ...meta };
  if (json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  else printSummary({ ...summary, out: parts.map((p) => p.path).join(', ') });
}
