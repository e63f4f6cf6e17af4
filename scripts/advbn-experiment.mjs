#!/usr/bin/env node
// Runs `advbn train` with and without AdvBN over several seeds (same data, steps and seed for both) and
// prints the robustness table (mean ± std over seeds). Extra arguments are passed to every run.
//   node scripts/advbn-experiment.mjs [--seeds 1,2,3] [--layer block1_relu1 ...]
import { spawnSync } from 'node:child_process';

const argv = process.argv.slice(2);
let seeds = [1, 2, 3];
const i = argv.indexOf('--seeds');
if (i >= 0) { seeds = argv[i + 1].split(',').map(Number); argv.splice(i, 2); }
const bin = new URL('../bin/advbn.mjs', import.meta.url).pathname;
const runs = { advbn: [], plain: [] };
for (const seed of seeds) {
  for (const mode of ['advbn', 'plain']) {
    const args = ['train', '--data', 'style-world', mode === 'advbn' ? '--advbn' : '--no-advbn', '--seed', String(seed), '--json', ...argv];
    process.stderr.write(`advbn ${args.join(' ')}\n`);
    const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
    if (r.status !== 0) { process.stderr.write(r.stderr); process.exit(1); }
    runs[mode].push(JSON.parse(r.stdout));
  }
}
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));
const fmt = (xs) => `${(mean(xs) * 100).toFixed(1)} ± ${(std(xs) * 100).toFixed(1)}`;
const first = runs.advbn[0];
const rows = [...Object.keys(first.before).map((k) => [k, (r, w) => r[w][k]]),
  ['mean held-out style', (r, w) => r.meanHeldoutStyle[w]], ['mean corruption', (r, w) => r.meanCorruption[w]]];
console.log(`| test set | base | fine-tuned, no AdvBN | fine-tuned, AdvBN (${first.layer}) |`);
console.log('|---|---|---|---|');
for (const [name, get] of rows) console.log(`| ${name} | ${(get(first, 'before') * 100).toFixed(1)} | ${fmt(runs.plain.map((r) => get(r, 'after')))} | ${fmt(runs.advbn.map((r) => get(r, 'after')))} |`);
console.log(`\nseeds ${seeds.join(', ')}; ${first.steps} steps of ${first.batchSize}; training s: AdvBN ${runs.advbn.map((r) => r.timings.trainSeconds.toFixed(0)).join('/')}, plain ${runs.plain.map((r) => r.timings.trainSeconds.toFixed(0)).join('/')}`);
console.log('\nfeature divergence (mean over held-out styles): layer | base | no AdvBN | AdvBN');
for (const l of Object.keys(first.divergence.before)) {
  console.log(`${l} | ${first.divergence.before[l].style.toFixed(2)} | ${mean(runs.plain.map((r) => r.divergence.after[l].style)).toFixed(2)} | ${mean(runs.advbn.map((r) => r.divergence.after[l].style)).toFixed(2)}`);
}
