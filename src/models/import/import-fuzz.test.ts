/**
 * Untrusted files: seeded fuzzing of the importers over the tiny fixtures (src/testing/import-fuzz.ts).
 * Every case must end within seconds in a clear refusal (ImportError / PickleError, with a message) or,
 * where the change left a valid file (a flipped bit inside a weight), in an import — never a hang, a
 * crash or another error type; the cases run in child processes with a 512 MB heap, so memory is
 * bounded and a case that hangs or kills its process is named.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { FUZZ_EXCLUDED, FUZZ_FIXTURES, fixtureFiles } from '../../testing/import-fuzz';

const SCRIPT = fileURLToPath(new URL('../../testing/import-fuzz.ts', import.meta.url));
const SEED = Number(process.env.ADVBN_FUZZ_SEED ?? 19);
/** Cases per fixture (one third each: truncation, flipped bits, huge sizes); ADVBN_FUZZ_CASES for more. */
const PER_FIXTURE = Number(process.env.ADVBN_FUZZ_CASES ?? 30);
const BATCH = 110;
const CASE_MS = 5_000;

interface Row { i: number; file: string; mutation: string; ms: number; outcome: string; message: string }

test(`import fuzzing (seed ${SEED}): every case ends in a clear refusal or a valid import, within ${CASE_MS / 1000} s, memory bounded`, (t) => {
  const total = PER_FIXTURE * FUZZ_FIXTURES.length;
  const rows: Row[] = [];
  for (let first = 0; first < total; first += BATCH) {
    const count = Math.min(BATCH, total - first);
    const r = spawnSync(process.execPath, ['--max-old-space-size=512', '--import', 'tsx', SCRIPT, String(SEED), String(first), String(count)],
      { encoding: 'utf8', timeout: count * CASE_MS, maxBuffer: 64 << 20 });
    const got = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Row);
    rows.push(...got);
    if (got.length < count) {
      const i = first + got.length;
      assert.fail(`case ${i} (seed ${SEED}) did not end: exit ${r.status}${r.signal ? ', ' + r.signal : ''} — replay: node --import tsx ${SCRIPT} ${SEED} ${i} 1\n${r.stderr.slice(-1500)}`);
    }
  }
  const crashes = rows.filter((r) => r.outcome === 'crash');
  assert.deepEqual(crashes.map((r) => `case ${r.i} ${r.file}, ${r.mutation}: ${r.message}`), [], 'errors that are not a clear refusal');
  const slow = rows.filter((r) => r.ms > CASE_MS);
  assert.deepEqual(slow.map((r) => `case ${r.i} ${r.file}, ${r.mutation}: ${r.ms} ms`), [], 'cases slower than the limit');
  for (const r of rows.filter((x) => x.outcome === 'refused')) assert.ok(r.message.length > 20, `case ${r.i}: a refusal says why (${r.message})`);
  const count = (o: string) => rows.filter((r) => r.outcome === o).length;
  t.diagnostic(`${rows.length} cases over ${FUZZ_FIXTURES.length} fixtures: ${count('refused')} refused, ${count('accepted')} imported (valid after the change), slowest ${Math.max(...rows.map((r) => r.ms))} ms`);
  assert.equal(rows.length, total);
});

test('every weight fixture is fuzzed or named as left out, so the seeded cases stay where the regressions expect them', () => {
  assert.deepEqual(fixtureFiles(), [...FUZZ_FIXTURES, ...FUZZ_EXCLUDED].sort());
});

// Regressions: the cases the fuzzer found (seed 19) — h5wasm's plain "error - name not defined!" on a
// damaged HDF5 structure, and a damaged pickle whose tensor stride was no list ("stride.map is not a function").
test('the fuzz cases that once crashed the importers are refused with a message', async () => {
  const { fuzzCase, runFuzzCase } = await import('../../testing/import-fuzz');
  for (const i of [57, 145, 146, 242]) {
    const c = fuzzCase(19, i);
    const r = await runFuzzCase(c);
    assert.equal(r.outcome, 'refused', `case ${i} ${c.file}, ${c.mutation}: ${r.message}`);
    assert.match(r.message, /^Error: .*(damaged|truncated)/);
  }
});
