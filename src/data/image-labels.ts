/**
 * True labels of image files (Node), for accuracy summaries: from ImageNet-style file names
 * (`n01440764_tench.JPEG`: the WordNet id before the first '_') looked up in a classes file, or from a
 * labels file that names each image.
 *
 * Accepted labels files:
 * - JSON, a list of classes `[{ "index": 0, "wnid": "n01440764", ... }, ...]` (like ImageNet's
 *   classes.json) or a map `{ "n01440764": 0, ... }`: labels come from the wnid in each file name;
 * - text, one image per line: `<file name> <class index>` (space, tab or comma separated).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

export type LabelOf = (file: string) => number | undefined;

const WNID = /^(n\d{8})[_.]/;

/** A function that gives each file's class index, or undefined when the file is not named there. */
export function readLabels(path: string): LabelOf {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`Labels file ${path} cannot be read (${(e as Error).message}).`);
  }
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new Error(`Labels file ${path} is not valid JSON (${(e as Error).message}).`);
    }
    const byWnid = new Map<string, number>();
    if (Array.isArray(parsed)) {
      for (const c of parsed as Array<{ index?: unknown; wnid?: unknown }>) {
        if (typeof c?.wnid !== 'string' || !Number.isInteger(c.index)) throw new Error(`Labels file ${path}: expected a list of {"index": int, "wnid": "n…"}, found ${JSON.stringify(c).slice(0, 80)}.`);
        byWnid.set(c.wnid, c.index as number);
      }
    } else {
      for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
        if (!Number.isInteger(v)) throw new Error(`Labels file ${path}: expected {"n…": class index}, found ${k}: ${JSON.stringify(v)}.`);
        byWnid.set(k, v as number);
      }
    }
    return (file) => {
      const m = WNID.exec(basename(file));
      return m ? byWnid.get(m[1]!) : undefined;
    };
  }
  const byName = new Map<string, number>();
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim() || line.startsWith('#')) return;
    const parts = line.trim().split(/[\s,]+/);
    const index = Number(parts[parts.length - 1]);
    if (parts.length < 2 || !Number.isInteger(index)) throw new Error(`Labels file ${path}, line ${i + 1}: expected "<file name> <class index>", found "${line}".`);
    byName.set(basename(parts.slice(0, -1).join(' ')), index);
  });
  return (file) => byName.get(basename(file));
}
