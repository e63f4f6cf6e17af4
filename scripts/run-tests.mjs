#!/usr/bin/env node
// Runs node's test runner over *.test.ts files under the given folders (Node 20's --test takes no globs).
// --test-force-exit: a file whose tests are done exits even if a failed test left a browser or server open.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const roots = process.argv.slice(2);
const files = [];
const walk = (d) => {
  for (const f of readdirSync(d)) {
    const p = join(d, f);
    if (statSync(p).isDirectory()) { if (f !== 'node_modules') walk(p); }
    else if (f.endsWith('.test.ts')) files.push(p);
  }
};
for (const r of roots) walk(r);
files.sort();
if (!files.length) { console.error('no test files found under', roots.join(' ')); process.exit(1); }
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-force-exit', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
