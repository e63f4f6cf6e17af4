/**
 * Seeded fuzzing of the weight importers (Keras .h5, PyTorch .pth zip and legacy) on the tiny fixtures
 * in import-fixtures/: truncations, flipped bytes, and "huge declared sizes" (0xFFFFFFFF, 2^31 − 1 or
 * 2^53 written over a 4- or 8-byte field near the start or the end of the file, where headers, zip
 * directories and pickle lengths live). Run as a script:
 *
 *     node --max-old-space-size=512 --import tsx src/testing/import-fuzz.ts SEED FIRST COUNT
 *
 * It prints one JSON line per case as it ends ({ i, file, mutation, outcome, ms, message }), so the
 * parent (import-fuzz.test.ts) knows which case was running if the process hangs or dies. Outcomes:
 * 'refused' (an ImportError or the pickle reader's PickleError: a message for the user), 'accepted'
 * (the mutation left a valid file, e.g. a flipped bit inside a weight), 'crash' (anything else).
 */
import { readFileSync, readdirSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { importFile } from '../models/import/import-file';
import { disposeImported } from '../models/import/convert';
import { bytesSource, ImportError } from '../models/import/source';
import { PickleError } from '../models/import/pickle';
import { mulberry32 } from '../common/random';

const DIR = new URL('./import-fixtures/', import.meta.url);
/**
 * The fixtures the seeded cases run over, named: case i's file is FUZZ_FIXTURES[i % length], so a fixture
 * added to the folder for another test must not shift the cases (the regressions name case numbers).
 * `import-fuzz.test.ts` checks that every .pth/.h5 in the folder is either here or in FUZZ_EXCLUDED.
 */
export const FUZZ_FIXTURES = [
  'tiny-adain-decoder.pth', 'tiny-adain-vgg-normalised.pth', 'tiny-keras-vgg-notop.h5', 'tiny-keras-vgg.h5',
  'tiny-optimizer-checkpoint.pth', 'tiny-resnet.pth', 'tiny-torchvision-vgg-deflated.pth', 'tiny-torchvision-vgg-legacy.pth',
  'tiny-torchvision-vgg.pth', 'tiny-torchvision-vgg3.pth', 'tiny-wrong-shape.pth',
];
/** Fixtures of the folder left out of the fuzzing: the same format as one fuzzed already (advbn get's download). */
export const FUZZ_EXCLUDED = ['tiny-torchvision-vgg5.pth'];
/** Every weight file in the fixtures folder. */
export const fixtureFiles = () => readdirSync(DIR).filter((f) => /\.(pth|h5)$/.test(f)).sort();

export interface FuzzCase { i: number; file: string; mutation: string; bytes: Uint8Array }

/** Case i of a seeded run: the fixture, how it was changed, and the changed bytes. */
export function fuzzCase(seed: number, i: number): FuzzCase {
  const rand = mulberry32(seed * 100_003 + i);
  const int = (n: number) => Math.floor(rand() * n);
  const file = FUZZ_FIXTURES[i % FUZZ_FIXTURES.length]!;
  const orig = new Uint8Array(readFileSync(new URL(file, DIR)));
  const kind = Math.floor(i / FUZZ_FIXTURES.length) % 3;
  if (kind === 0) {
    const at = int(orig.length);
    return { i, file, mutation: `truncated to ${at} of ${orig.length} bytes`, bytes: orig.slice(0, at) };
  }
  const bytes = orig.slice();
  // Headers sit at the start, zip directories and HDF5 superblock pointers at the end.
  const where = () => (rand() < 0.5 ? int(Math.min(4096, bytes.length)) : bytes.length - 1 - int(Math.min(1024, bytes.length)));
  if (kind === 1) {
    const n = 1 + int(8);
    const at: number[] = [];
    for (let k = 0; k < n; k++) {
      const p = where();
      bytes[p] = bytes[p]! ^ (1 << int(8));
      at.push(p);
    }
    return { i, file, mutation: `bits flipped at ${at.join(', ')}`, bytes };
  }
  const p = Math.max(0, where() - 8);
  const view = new DataView(bytes.buffer);
  const huge = [0xffffffff, 0x7fffffff, 2 ** 53][int(3)]!;
  if (huge > 0xffffffff || rand() < 0.3) view.setBigUint64(p, BigInt(huge), true);
  else view.setUint32(p, huge, true);
  return { i, file, mutation: `size ${huge} written at ${p}`, bytes };
}

export type FuzzOutcome = 'refused' | 'accepted' | 'crash';

export async function runFuzzCase(c: FuzzCase): Promise<{ outcome: FuzzOutcome; message: string }> {
  try {
    const r = await importFile(bytesSource(c.file, c.bytes));
    disposeImported(r);
    return { outcome: 'accepted', message: '' };
  } catch (e) {
    const err = e as Error;
    const clear = err instanceof ImportError || err instanceof PickleError;
    return { outcome: clear ? 'refused' : 'crash', message: `${err.name}: ${err.message}`.slice(0, 300) };
  }
}

async function main(): Promise<void> {
  const [seed, first, count] = process.argv.slice(2).map(Number) as [number, number, number];
  await tf.setBackend('cpu');
  for (let i = first; i < first + count; i++) {
    const c = fuzzCase(seed, i);
    const t0 = performance.now();
    const r = await runFuzzCase(c);
    process.stdout.write(JSON.stringify({ i, file: c.file, mutation: c.mutation, ms: Math.round(performance.now() - t0), ...r }) + '\n');
  }
}

if (process.argv[1] && new URL(`file://${process.argv[1]}`).pathname === new URL(import.meta.url).pathname) {
  main().then(() => process.exit(0), (e: Error) => { process.stderr.write(`${e.stack}\n`); process.exit(1); });
}
