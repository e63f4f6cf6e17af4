/**
 * Test data that is training data: an image of a `--extra-test` folder whose bytes equal a source image's
 * (a copy of the training photos passed as a target would inflate every number). Compared by content
 * (SHA-256 of each file), not by name, so renamed or moved copies count.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ImageFiles { root: string; paths: string[] }

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** Every file of `test` whose content equals a file of `source`: [test path, source path] pairs. */
export function contentOverlap(source: ImageFiles, test: ImageFiles): Array<[string, string]> {
  const seen = new Map<string, string>();
  for (const p of source.paths) seen.set(sha256(join(source.root, p)), p);
  const out: Array<[string, string]> = [];
  for (const p of test.paths) {
    const hit = seen.get(sha256(join(test.root, p)));
    if (hit !== undefined) out.push([p, hit]);
  }
  return out;
}
