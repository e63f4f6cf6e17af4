/**
 * End-to-end harness: a Vite dev server on 127.0.0.1 (WebGPU needs a secure context) and Debian's
 * Chromium driven by playwright-core. `npx playwright install` cannot work here (no internet), so the
 * browser comes from CHROMIUM_PATH or /usr/bin/chromium; tests skip with a message when it is absent.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { createServer, type Plugin, type ViteDevServer } from 'vite';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_FLAGS = [
  '--no-sandbox', '--enable-unsafe-webgpu', '--enable-unsafe-swiftshader', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
];

/** Why browser tests cannot run here, or null when they can. */
export function browserSkipReason(): string | null {
  return existsSync(CHROMIUM) ? null : `Chromium not found at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`;
}

/** The real VGG-19 folder for browser tests: ADVBN_VGG19_DIR, else ../shared beside the repository. */
export const VGG19_DIR = resolve(new URL('..', import.meta.url).pathname, process.env.ADVBN_VGG19_DIR ?? '../shared/models/vgg19-imagenet-tfjs');

/** Why a browser test on the real VGG-19 cannot run here (no browser, no weights), or null. */
export function vggBrowserSkipReason(): string | null {
  const b = browserSkipReason();
  if (b) return b;
  if (!existsSync(`${VGG19_DIR}/model.json`)) return `VGG-19 weights not found at ${VGG19_DIR} (set ADVBN_VGG19_DIR)`;
  return null;
}

export interface AppHandle { url: string; browser: Browser; page: Page; close(): Promise<void>; errors: string[]; }

let server: ViteDevServer | null = null;
let serverUrl = '';
/** The public folder the server serves (models/ in it): the repository's, or a test's own (setPublicDir). */
let publicDir: string | undefined;

/**
 * Serves `dir` as the public folder (its models/ is what the page lists) instead of the repository's:
 * a test's own models folder, e.g. a fresh clone's. Restarts the server if one runs. Undefined: the
 * repository's public/ again.
 */
export async function setPublicDir(dir: string | undefined): Promise<void> {
  if (server) await stopServer();
  publicDir = dir;
}

/**
 * The dev server falls back to the project root for paths its public folder lacks, so with a test's own
 * public folder /models/… would still reach the repository's models/ (and its VGG-19 link). This answers
 * /models/… from `dir`/models only: 404 for anything not there.
 */
function modelsOnlyFrom(dir: string): Plugin {
  const models = join(dir, 'models');
  return {
    name: 'e2e-models-only-from-public',
    configureServer(s) {
      s.middlewares.use((req, res, next) => {
        const path = decodeURIComponent((req.url ?? '').split('?')[0]!);
        if (!path.startsWith('/models/')) { next(); return; }
        const file = join(dir, path);
        if (!file.startsWith(models + sep) || !existsSync(file) || !statSync(file).isFile()) { res.statusCode = 404; res.end('not found'); return; }
        res.setHeader('Content-Type', file.endsWith('.json') ? 'application/json' : 'application/octet-stream');
        createReadStream(file).pipe(res);
      });
    },
  };
}

async function ensureServer(): Promise<string> {
  if (server) return serverUrl;
  server = await createServer({
    configFile: new URL('../vite.config.ts', import.meta.url).pathname, server: { host: '127.0.0.1', port: 0 }, logLevel: 'error',
    ...(publicDir ? { publicDir, plugins: [modelsOnlyFrom(publicDir)] } : {}),
  });
  await server.listen();
  const addr = server.httpServer!.address();
  if (!addr || typeof addr === 'string') throw new Error('dev server has no port');
  serverUrl = `http://127.0.0.1:${addr.port}/`;
  return serverUrl;
}

/** Browsers opened by openApp and not closed yet: stopServer closes them, so a test that fails before its
 * own close() cannot leave Chromium running and the test process hanging. */
const openBrowsers = new Set<Browser>();

export async function stopServer(): Promise<void> {
  await Promise.all([...openBrowsers].map((b) => b.close().catch(() => undefined)));
  openBrowsers.clear();
  await server?.close();
  server = null;
}

/** Opens the app at `hash` (e.g. '#/explore?backend=wasm'); console errors are collected in `errors`. */
export async function openApp(hash = '', opts: { timeoutMs?: number; viewport?: { width: number; height: number } } = {}): Promise<AppHandle> {
  const url = await ensureServer();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true });
  openBrowsers.add(browser);
  browser.on('disconnected', () => openBrowsers.delete(browser));
  const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1400, height: 1000 } });
  const page = await context.newPage();
  page.setDefaultTimeout(opts.timeoutMs ?? 120_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url + hash);
  return { url, browser, page, errors, close: () => browser.close() };
}
