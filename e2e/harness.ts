/**
 * End-to-end harness: a Vite dev server on 127.0.0.1 (WebGPU needs a secure context) and Debian's
 * Chromium driven by playwright-core. `npx playwright install` cannot work here (no internet), so the
 * browser comes from CHROMIUM_PATH or /usr/bin/chromium; tests skip with a message when it is absent.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createServer, type ViteDevServer } from 'vite';
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

async function ensureServer(): Promise<string> {
  if (server) return serverUrl;
  server = await createServer({ configFile: new URL('../vite.config.ts', import.meta.url).pathname, server: { host: '127.0.0.1', port: 0 }, logLevel: 'error' });
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
export async function openApp(hash = '', opts: { timeoutMs?: number } = {}): Promise<AppHandle> {
  const url = await ensureServer();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true });
  openBrowsers.add(browser);
  browser.on('disconnected', () => openBrowsers.delete(browser));
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  page.setDefaultTimeout(opts.timeoutMs ?? 120_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url + hash);
  return { url, browser, page, errors, close: () => browser.close() };
}
