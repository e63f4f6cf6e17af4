/**
 * Paths to the third-party data that some tests use (never committed): from environment variables,
 * else ../shared beside the repository. Tests skip with this message when the data is absent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const root = resolve(new URL('../..', import.meta.url).pathname);
export const VGG19_DIR = resolve(process.env.ADVBN_VGG19_DIR ?? resolve(root, '../shared/models/vgg19-imagenet-tfjs'));
export const IMAGENET_DIR = resolve(process.env.ADVBN_IMAGENET_DIR ?? resolve(root, '../shared/imagenet/val-samples-256'));
export const CLASSES_JSON = resolve(process.env.ADVBN_CLASSES_JSON ?? resolve(IMAGENET_DIR, '../classes.json'));

export function vggSkipReason(): string | false {
  if (!existsSync(resolve(VGG19_DIR, 'model.json'))) return `VGG-19 weights not found at ${VGG19_DIR} (set ADVBN_VGG19_DIR)`;
  if (!existsSync(IMAGENET_DIR)) return `ImageNet samples not found at ${IMAGENET_DIR} (set ADVBN_IMAGENET_DIR)`;
  if (!existsSync(CLASSES_JSON)) return `classes.json not found at ${CLASSES_JSON} (set ADVBN_CLASSES_JSON)`;
  return false;
}

/** wnid → class index, from the shared classes.json. */
export function wnidIndex(): Map<string, number> {
  const classes = JSON.parse(readFileSync(CLASSES_JSON, 'utf8')) as Array<{ index: number; wnid: string }>;
  return new Map(classes.map((c) => [c.wnid, c.index]));
}
