/**
 * A "domains folder": the same classes photographed or drawn in several styles, laid out
 * `DIR/<domain>/<class>/<image>` (PACS: photo, art_painting, cartoon, sketch). One domain is the source
 * (fine-tuning, with a seeded fifth held out as source-val); every other domain is an unseen target.
 *
 * Pure functions over relative paths, so the CLI (file system) and the browser (a picked folder's
 * webkitRelativePath) check a folder the same way and fail with the same words.
 */
import { shuffle, mulberry32 } from './random';
import { IMAGE_EXTENSIONS } from './image-extensions';


export interface DomainItem {
  /** Path relative to the domains folder: `<domain>/<class>/<file>`. */
  path: string;
  label: number;
}

export interface DomainsLayout {
  /** Domain names, sorted. */
  domains: string[];
  /** Class names, sorted; labels index into this list. */
  classes: string[];
  /** Images of each domain, sorted by path. */
  items: Record<string, DomainItem[]>;
}

export class DomainsLayoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DomainsLayoutError';
  }
}

const EXPECTED = 'expected DIR/<domain>/<class>/<image>.jpg|png (e.g. pacs/photo/dog/pic_001.jpg)';
const list = (xs: string[], most = 6) => (xs.length > most ? `${xs.slice(0, most).join(', ')} … (${xs.length} in all)` : xs.join(', '));

/**
 * Reads the layout from relative paths (`domain/class/file`; other files are ignored unless nothing
 * fits). `name` names the folder in messages. Throws DomainsLayoutError saying what was found and
 * what was expected: no domain/class structure, classes that differ between domains, empty classes.
 */
export function domainsFromPaths(paths: string[], name = 'the folder'): DomainsLayout {
  const images = paths.map((p) => p.replace(/\\/g, '/').replace(/^\.?\//, '')).filter((p) => IMAGE_EXTENSIONS.test(p) && !p.split('/').some((s) => s.startsWith('.')));
  const byDomain = new Map<string, Map<string, string[]>>();
  const misplaced: string[] = [];
  for (const p of images) {
    const parts = p.split('/');
    if (parts.length !== 3) { misplaced.push(p); continue; }
    const [d, c] = parts as [string, string, string];
    let classes = byDomain.get(d);
    if (!classes) byDomain.set(d, (classes = new Map()));
    let files = classes.get(c);
    if (!files) classes.set(c, (files = []));
    files.push(p);
  }
  if (!byDomain.size) {
    const found = images.length ? `images at other depths (${list(misplaced)})` : paths.length ? `no images among ${list(paths)}` : 'nothing';
    throw new DomainsLayoutError(`${name} is not a domains folder: found ${found}; ${EXPECTED}.`);
  }
  if (misplaced.length) {
    throw new DomainsLayoutError(`${name}: ${misplaced.length} image(s) are not at <domain>/<class>/<image> (${list(misplaced, 3)}); ${EXPECTED}.`);
  }
  const domains = [...byDomain.keys()].sort();
  const classSets = domains.map((d) => [...byDomain.get(d)!.keys()].sort());
  const all = [...new Set(classSets.flat())].sort();
  const differing = domains.flatMap((d, i) => {
    const have = classSets[i]!;
    const missing = all.filter((c) => !have.includes(c));
    return missing.length ? [`${d} lacks ${list(missing)}`] : [];
  });
  if (differing.length) {
    throw new DomainsLayoutError(`${name}: the domains do not share their classes (${differing.join('; ')}); every domain must hold the same class folders: ${list(all, 12)}.`);
  }
  if (all.length < 2) throw new DomainsLayoutError(`${name}: found one class (${all[0]}); a classifier needs at least two class folders per domain.`);
  const items: Record<string, DomainItem[]> = {};
  for (const d of domains) {
    items[d] = all.flatMap((c, label) => byDomain.get(d)!.get(c)!.sort().map((path) => ({ path, label })));
  }
  return { domains, classes: all, items };
}

/**
 * Checks a second domains folder (`--extra-test`) against the first one's classes; its domains become
 * sets named `extra/<domain>`.
 */
export function checkSameClasses(main: DomainsLayout, extra: DomainsLayout, name: string): void {
  const a = main.classes.join('\u0000'), b = extra.classes.join('\u0000');
  if (a !== b) {
    throw new DomainsLayoutError(`${name} has the classes ${list(extra.classes, 12)}; the training folder has ${list(main.classes, 12)}: they must be the same.`);
  }
}

/**
 * The source domain split into train and source-val: per class, a seeded shuffle, and every
 * `1/valFraction`-th image held out (a fifth by default), so each class keeps its share.
 */
export function splitSource(items: DomainItem[], seed: number, valFraction = 0.2): { train: DomainItem[]; val: DomainItem[] } {
  const rng = mulberry32(seed);
  const train: DomainItem[] = [], val: DomainItem[] = [];
  const labels = [...new Set(items.map((i) => i.label))].sort((x, y) => x - y);
  for (const l of labels) {
    const mine = shuffle(items.filter((i) => i.label === l), rng);
    const nVal = Math.round(mine.length * valFraction);
    val.push(...mine.slice(0, nVal));
    train.push(...mine.slice(nVal));
  }
  const byPath = (x: DomainItem, y: DomainItem) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0);
  return { train: train.sort(byPath), val: val.sort(byPath) };
}

/** At most `n` items (0: all): a seeded random sample, sorted by path. */
export function sampleItems(items: DomainItem[], n: number, seed: number): DomainItem[] {
  if (!n || n >= items.length) return items.slice();
  const picked = shuffle(items, mulberry32(seed)).slice(0, n);
  return picked.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}

/** The smallest side an image may have (smaller ones are refused by name: a thumbnail is not data). */
export const MIN_IMAGE_SIDE = 32;

/** One set of a comparison before its images are read: the source's train / val split, each target's sample. */
export interface DomainSetSpec {
  name: string;
  kind: 'train' | 'source-val' | 'target' | 'extra';
  items: DomainItem[];
  /** 0: the training folder; k: the k-th extra folder. */
  folder: number;
}

/** The seeds that fix the source split and the target samples (the same sets for every run and arm). */
export const SPLIT_SEED = 12345;
export const SAMPLE_SEED = 777;

/**
 * The sets of a comparison: source-train and source-val (a seeded fifth), every other domain as a
 * target (at most `testSize` images each, 0 = all), and each extra folder's domains as `extra/<domain>`
 * (`extraK/<domain>` for the K-th of several extra folders).
 */
export function domainSetSpecs(layout: DomainsLayout, source: string, testSize: number, extras: DomainsLayout[] = []): DomainSetSpec[] {
  const items = layout.items[source];
  if (!items) throw new DomainsLayoutError(`${source} is not a domain of this folder; its domains: ${layout.domains.join(', ')}.`);
  const targets = layout.domains.filter((d) => d !== source);
  if (!targets.length && !extras.length) throw new DomainsLayoutError(`The folder has only the domain ${source}: add other domains to test on.`);
  const split = splitSource(items, SPLIT_SEED);
  return [
    { name: 'source-train', kind: 'train', items: split.train, folder: 0 },
    { name: 'source-val', kind: 'source-val', items: split.val, folder: 0 },
    ...targets.map((d) => ({ name: d, kind: 'target' as const, items: sampleItems(layout.items[d]!, testSize, SAMPLE_SEED), folder: 0 })),
    ...extras.flatMap((l, k) => l.domains.map((d) => ({
      name: extras.length > 1 ? `extra${k + 1}/${d}` : `extra/${d}`, kind: 'extra' as const, items: sampleItems(l.items[d]!, testSize, SAMPLE_SEED), folder: k + 1,
    }))),
  ];
}
