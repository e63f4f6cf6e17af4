// Screenshots of the Explore page on a real photo with VGG-19 (WASM in headless Chromium): the strength
// sweep (the paper's m = 1…8 at τ 0.2, ε = m·τ − 0.1, beside random δ) and the shifts side by side (AdvBN,
// random δ, AdaIN to a painting, a corruption). For notes and the README; not a test.
//   node --import tsx scripts/screenshot-explore.ts --photo PATH [--style PATH] [--out DIR] [--layer block4_conv1]
// Needs VGG-19 served from models/vgg19-imagenet-tfjs (a git-ignored link to ../shared) and the layer's decoder.
//   node --import tsx scripts/screenshot-explore.ts --default [--out DIR]
// takes the whole page as a new user first sees it (the embedded style-world model and sample, no
// third-party data) into DIR/explore-default.png; docs/explore.png is that, quantised to 256 colours.
import { existsSync, mkdirSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { openApp, stopServer } from '../e2e/harness';

const arg = (name: string, def = '') => { const i = process.argv.indexOf(`--${name}`); return i >= 0 ? process.argv[i + 1]! : def; };
const photo = arg('photo');
const style = arg('style');
const out = resolve(arg('out', '/tmp/advbn-screens'));
const layer = arg('layer', 'block4_conv1');
const runDone = `document.querySelector('[data-testid="run-status"]')?.getAttribute('data-state') === 'done'`;
if (process.argv.includes('--default')) {
  mkdirSync(out, { recursive: true });
  const app = await openApp('#/explore', { timeoutMs: 600_000 });
  try {
    await app.page.waitForFunction(runDone, undefined, { timeout: 600_000 });
    await app.page.screenshot({ path: `${out}/explore-default.png`, fullPage: true });
    process.stdout.write(JSON.stringify({ url: app.page.url(), file: `${out}/explore-default.png`, errors: app.errors }) + '\n');
  } finally {
    await app.close();
    await stopServer();
  }
  process.exit(0);
}
if (!photo || !existsSync(photo)) throw new Error(`--photo: give an image file (got "${photo}")`);
if (style && !existsSync(style)) throw new Error(`--style: ${style} does not exist`);
if (!existsSync('models/vgg19-imagenet-tfjs/model.json')) throw new Error('models/vgg19-imagenet-tfjs/model.json is missing: link ../shared/models/vgg19-imagenet-tfjs there');
mkdirSync(out, { recursive: true });

const t0 = Date.now();
const log = (s: string) => process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(0)} s] ${s}\n`);
const app = await openApp(`#/explore?model=vgg19&backend=wasm&layer=${layer}&sweep=paper&draws=3&shifts=1&corruption=blur&severity=3`, { timeoutMs: 1_800_000 });
const { page } = app;
try {
  await page.locator('[data-testid="model-status"][data-loaded="1"]').waitFor();
  log('model loaded');
  await page.getByLabel('Image file').setInputFiles(photo);
  await page.getByText(basename(photo).slice(-20)).first().waitFor();
  if (style) await page.locator('input[aria-label="Style image"]').setInputFiles(style);
  const state = (id: string, s: string) => `document.querySelector('[data-testid="${id}"]')?.getAttribute('data-state') === '${s}'`;
  await page.waitForFunction(runDone, undefined, { timeout: 1_800_000 });
  log('run done');
  await page.waitForFunction(state('sweep', 'done'), undefined, { timeout: 1_800_000 });
  log('sweep done');
  await page.waitForFunction(state('shifts', 'done'), undefined, { timeout: 1_800_000 });
  log('shifts done');
  await page.getByTestId('sweep').screenshot({ path: `${out}/sweep.png` });
  await page.getByTestId('shifts').screenshot({ path: `${out}/shifts.png` });
  await page.screenshot({ path: `${out}/explore.png`, fullPage: true });
  const text = async (id: string) => (await page.getByTestId(id).textContent()) ?? '';
  process.stdout.write(JSON.stringify({
    photo, style, layer, url: page.url(),
    cells: await page.getByTestId('sweep-cell').allTextContents(),
    shifts: await text('shifts-summary'), stepMs: await text('step-ms'), errors: app.errors,
  }, null, 1) + '\n');
  log(`screenshots in ${out}`);
} finally {
  await app.close();
  await stopServer();
}
