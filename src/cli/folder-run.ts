/**
 * Folder runs that outgrow one machine (`advbn perturb --image DIR --out DIR`, `advbn sweep`):
 * - shards: `--shard K/N` takes every N-th file of the sorted list from the K-th (K from 0, as a
 *   Kubernetes Indexed Job's JOB_COMPLETION_INDEX), so N machines split a folder with no coordination;
 * - a manifest (JSON lines: a header naming the run's settings and shard, then one line per finished
 *   image) is appended to as each image finishes, so a run that is stopped and started again skips
 *   what it already wrote;
 * - merging: manifests of the shards of one run join into one (`advbn merge`), checked to share the
 *   settings, to cover every shard once and to name no image twice.
 */
import { appendFileSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { UsageError } from './args';

export interface Shard { k: number; n: number; }

export const WHOLE: Shard = Object.freeze({ k: 0, n: 1 });

/** "K/N" with 0 ≤ K < N; undefined: the whole folder. */
export function parseShard(text: string | undefined): Shard {
  if (text === undefined) return WHOLE;
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) throw new UsageError(`--shard must be K/N (e.g. 0/4; K counts from 0), got "${text}".`);
  const k = Number(m[1]), n = Number(m[2]);
  if (n < 1 || k >= n) throw new UsageError(`--shard ${text}: K must be from 0 to N − 1 and N at least 1.`);
  return { k, n };
}

export const shardName = (s: Shard) => `${s.k}/${s.n}`;

/** The files of shard K of N: every N-th of the sorted list, from the K-th. */
export function shardFiles(files: readonly string[], s: Shard): string[] {
  return files.filter((_, i) => i % s.n === s.k);
}

export interface ManifestHeader {
  manifest: 'advbn-sweep' | 'advbn-perturb';
  version: 1;
  /** Everything that decides the rows' contents: runs with other settings must not be mixed. */
  settings: Record<string, unknown>;
  shard: string;
  /** How many files the whole folder had (all shards together). */
  files: number;
}

export interface ManifestRow { file: string; [key: string]: unknown; }

export interface ManifestData { header: ManifestHeader; rows: ManifestRow[]; path: string; }

/** Reads a manifest. A last line cut short (the run was killed while writing it) is dropped. */
export function readManifest(path: string): ManifestData {
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch (e) { throw new Error(`Manifest ${path} cannot be read (${(e as Error).message}).`); }
  const lines = text.split('\n');
  const parsed: unknown[] = [];
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    try {
      parsed.push(JSON.parse(line));
    } catch {
      if (i < lines.length - 1 && lines.slice(i + 1).some((l) => l.trim())) throw new Error(`Manifest ${path}, line ${i + 1} is not JSON.`);
    }
  });
  const header = parsed[0] as ManifestHeader | undefined;
  if (!header || (header.manifest !== 'advbn-sweep' && header.manifest !== 'advbn-perturb') || typeof header.settings !== 'object') {
    throw new Error(`${path} is not an advbn manifest (its first line should name "manifest": "advbn-sweep" or "advbn-perturb").`);
  }
  const rows = parsed.slice(1) as ManifestRow[];
  rows.forEach((r, i) => { if (typeof r?.file !== 'string') throw new Error(`Manifest ${path}, row ${i + 1} names no file.`); });
  return { header, rows, path };
}

const sameSettings = (a: ManifestHeader, b: ManifestHeader) => a.manifest === b.manifest && JSON.stringify(a.settings) === JSON.stringify(b.settings);

/**
 * A manifest being written: opened fresh, or reopened to resume (then its header must match the run's:
 * same kind, settings and shard). `done` holds the rows already there, by file.
 */
export class ManifestWriter {
  readonly done = new Map<string, ManifestRow>();
  /** `restart`: start over, discarding a manifest already there (its images are then made again). */
  constructor(readonly path: string, header: ManifestHeader, restart = false) {
    if (existsSync(path) && !restart) {
      const old = readManifest(path);
      if (!sameSettings(old.header, header) || old.header.shard !== header.shard) {
        throw new UsageError(`${path} was written by another run (${old.header.manifest}, shard ${old.header.shard}, settings ${JSON.stringify(old.header.settings)}); this run is shard ${header.shard} with ${JSON.stringify(header.settings)}. Pass --restart to start over (or use another manifest / output folder).`);
      }
      for (const r of old.rows) this.done.set(r.file, r);
      // Rewrite without a cut-off last line, so appends start on a fresh line.
      writeFileSync(path, [old.header, ...old.rows].map((r) => JSON.stringify(r) + '\n').join(''));
    } else {
      writeFileSync(path, JSON.stringify(header) + '\n');
    }
  }
  append(row: ManifestRow): void {
    appendFileSync(this.path, JSON.stringify(row) + '\n');
    this.done.set(row.file, row);
  }
  rows(): ManifestRow[] {
    return [...this.done.values()];
  }
}

/** The manifest of a perturb run in its output folder (one per shard, so shards can share the folder). */
export function perturbManifestPath(outDir: string, s: Shard): string {
  return join(outDir, s.n === 1 ? 'manifest.jsonl' : `manifest-${s.k}-of-${s.n}.jsonl`);
}

/** Arguments of `advbn merge`: manifest files, or folders whose manifest*.jsonl files are taken. */
export function manifestPaths(args: readonly string[]): string[] {
  const out: string[] = [];
  for (const a of args) {
    const s = statSync(a, { throwIfNoEntry: false });
    if (!s) throw new UsageError(`${a} does not exist.`);
    if (s.isDirectory()) {
      const found = readdirSync(a).filter((f) => /^manifest.*\.jsonl$/.test(f)).sort().map((f) => join(a, f));
      if (!found.length) throw new UsageError(`${a} holds no manifest*.jsonl file.`);
      out.push(...found);
    } else out.push(a);
  }
  if (!out.length) throw new UsageError('Name the manifests to merge (files, or folders holding manifest*.jsonl).');
  return out;
}

export interface Merged { header: ManifestHeader; rows: ManifestRow[]; missingShards: string[]; }

/**
 * Joins manifests of one run: same kind and settings, each shard of the same N at most once, no file
 * twice. Rows come out sorted by file. `missingShards` names the shards not given (a partial merge).
 */
export function mergeManifests(parts: readonly ManifestData[]): Merged {
  const first = parts[0];
  if (!first) throw new UsageError('Nothing to merge.');
  const shards = new Set<string>();
  let n: number | null = null;
  const byFile = new Map<string, { row: ManifestRow; from: string }>();
  for (const p of parts) {
    if (!sameSettings(p.header, first.header)) {
      throw new Error(`${p.path} comes from another run than ${first.path}: ${p.header.manifest} ${JSON.stringify(p.header.settings)} against ${first.header.manifest} ${JSON.stringify(first.header.settings)}.`);
    }
    const s = parseShard(p.header.shard);
    if (n !== null && s.n !== n) throw new Error(`${p.path} is shard ${p.header.shard}, but another manifest split the folder ${n} ways.`);
    n = s.n;
    if (shards.has(p.header.shard)) throw new Error(`Shard ${p.header.shard} is given twice (${p.path}).`);
    shards.add(p.header.shard);
    for (const row of p.rows) {
      const seen = byFile.get(row.file);
      if (seen) throw new Error(`${row.file} is in both ${seen.from} and ${p.path}.`);
      byFile.set(row.file, { row, from: p.path });
    }
  }
  const missingShards = Array.from({ length: n! }, (_, k) => `${k}/${n}`).filter((s) => !shards.has(s));
  const rows = [...byFile.values()].map((v) => v.row).sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return { header: { ...first.header, shard: shardName(WHOLE) }, rows, missingShards };
}

/** Writes a manifest whole (a merge's result): the same format a run writes, so it can be merged or resumed again. */
export function writeManifest(path: string, header: ManifestHeader, rows: readonly ManifestRow[]): void {
  writeFileSync(path, [header, ...rows].map((r) => JSON.stringify(r) + '\n').join(''));
}

/** The key a row is stored under: the image's file name (folders differ between machines). */
export const fileKey = (path: string) => basename(path);
