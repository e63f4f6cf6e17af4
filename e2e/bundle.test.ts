/**
 * The main-thread bundle stays small and tfjs-free: `vite build` into a temp folder, then the entry
 * chunk that index.html loads is measured (gzip) and searched for tfjs's engine. tfjs belongs in the
 * worker chunk, so the page paints without waiting for it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';

/** Target of issue 13: main chunk ≤ 120 kB gzip, React included. */
const MAIN_CHUNK_GZIP_LIMIT = 120 * 1024;

test('the main chunk is ≤ 120 kB gzip and holds no tfjs; tfjs lives in the worker chunk', async () => {
  const outDir = mkdtempSync(join(tmpdir(), 'advbn-build-'));
  try {
    await build({ configFile: new URL('../vite.config.ts', import.meta.url).pathname, logLevel: 'error', build: { outDir, emptyOutDir: true } });
    const html = readFileSync(join(outDir, 'index.html'), 'utf8');
    const entry = /<script[^>]*type="module"[^>]*src="([^"]+)"/.exec(html)?.[1];
    assert.ok(entry, 'index.html loads a module script');
    const mainPath = join(outDir, entry!.replace(/^.*?assets\//, 'assets/'));
    const main = readFileSync(mainPath);
    const gz = gzipSync(main, { level: 9 }).length;
    console.log(`main chunk ${entry}: ${(main.length / 1024).toFixed(1)} kB, ${(gz / 1024).toFixed(1)} kB gzip`);
    assert.ok(gz <= MAIN_CHUNK_GZIP_LIMIT, `main chunk is ${(gz / 1024).toFixed(1)} kB gzip, over ${MAIN_CHUNK_GZIP_LIMIT / 1024} kB`);
    // tfjs's engine: its scope bookkeeping and kernel registry are in every tfjs-core build.
    const text = main.toString('utf8');
    for (const marker of ['startScope', 'registerKernel', 'tfjs-backend-wasm']) assert.ok(!text.includes(marker), `main chunk contains tfjs (${marker})`);
    const assets = readdirSync(join(outDir, 'assets'));
    const worker = assets.find((f) => /worker.*\.js$/.test(f));
    assert.ok(worker && readFileSync(join(outDir, 'assets', worker), 'utf8').includes('startScope'), 'the worker chunk carries tfjs');
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
});
