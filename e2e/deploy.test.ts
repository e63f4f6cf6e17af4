/**
 * Deploy: `vite build` (what `npm run build` runs) gives a folder that works from a static host under
 * any base path. Built into a temp folder, served under /course/advbn/ by a plain static server, and
 * opened: the embedded model loads from the built models/ and PGD runs.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { chromium } from 'playwright-core';
import { browserSkipReason, CHROMIUM, CHROMIUM_FLAGS } from './harness';

const skip = browserSkipReason();
const ROOT = new URL('..', import.meta.url).pathname;
const BASE = '/course/advbn/';
const TYPES: Record<string, string> = {
  '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.wasm': 'application/wasm', '.svg': 'image/svg+xml', '.bin': 'application/octet-stream',
};
let dir = '';
let server: Server | null = null;
after(() => {
  server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// The built app on a static host that sets no headers: coi-serviceworker.js isolates the page, so
// tfjs runs its threaded WASM build from minified code (see tfjsWasmThreadsStandalone in vite.config.ts).

test('the built folder runs from a static host under a sub-path, with models/', { skip: skip ?? false, timeout: 300_000 }, async () => {
  dir = mkdtempSync(join(tmpdir(), 'advbn-dist-'));
  const b = spawnSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--outDir', dir, '--emptyOutDir', '--logLevel', 'error'], { cwd: ROOT, encoding: 'utf8', timeout: 240_000 });
  assert.equal(b.status, 0, b.stderr);
  assert.ok(existsSync(join(dir, 'models', 'index.json')), 'models/ is in the built folder');
  const served: string[] = [];
  server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    if (!path.startsWith(BASE)) { res.writeHead(404).end(); return; }
    served.push(path);
    let file = normalize(join(dir, path.slice(BASE.length) || 'index.html'));
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!file.startsWith(dir) || !existsSync(file)) { res.writeHead(404).end('not found'); return; }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true });
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(process.env.DEBUG_DEPLOY ? 30_000 : 120_000);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    if (process.env.DEBUG_DEPLOY) {
      page.on('console', (m) => console.log('console', m.type(), m.text().slice(0, 300)));
      page.on('requestfailed', (r) => console.log('failed', r.url(), r.failure()?.errorText));
      page.on('response', (r) => { if (r.status() >= 400) console.log('status', r.status(), r.url()); });
    }
    await page.goto(`http://127.0.0.1:${port}${BASE}#/explore?backend=wasm&steps=1`);
    await page.locator('[data-testid="model-status"][data-loaded="1"]').waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid="run-status"]')?.getAttribute('data-state') === 'done');
    assert.equal(await page.getByTestId('adv-preds').locator('li').count(), 5);
    // Isolated by the service worker, WASM runs its threaded build on every core.
    assert.equal(await page.evaluate(() => crossOriginIsolated), true, 'the page is cross-origin isolated');
    const cores = await page.evaluate(() => Math.min(8, navigator.hardwareConcurrency));
    const why = (await page.getByTestId('backend-why').textContent()) ?? '';
    // … and our Winograd convolutions on as many threads (helper Web Workers on the shared heap).
    assert.match(why, new RegExp(`WASM( \\(chosen\\))?, ${cores} threads?, Winograd convolutions on ${cores} threads?$`), why);
    assert.ok(served.some((p) => p.startsWith(`${BASE}models/style-world/`)), 'weights came from the sub-path');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
