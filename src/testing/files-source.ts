/** A folder as a 'files' model source (what a picked folder gives): every file under `root` as a Blob, keyed by its path relative to `root`. */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export function filesOf(root: string): Record<string, Blob> {
  const out: Record<string, Blob> = {};
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(root, p)] = new Blob([readFileSync(p)]);
    }
  };
  walk(root);
  return out;
}
