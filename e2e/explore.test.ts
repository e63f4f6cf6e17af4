/**
 * The Explore page end to end, on a tiny CNN + decoder that the test writes itself and loads through
 * the folder picker (so it runs on a fresh clone, without VGG-19).
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { browserSkipReason, CHROMIUM, CHROMIUM_FLAGS, openApp, stopServer } from './harness';
import { makePng, tempFile, writeTinyModelFolder } from './fixtures';

const skip = browserSkipReason();
let tinyDir = '';
before(() => { tinyDir = writeTinyModelFolder(); });
after(async () => {
  await stopServer();
  if (tinyDir) rmSync(tinyDir, { recursive: true, force: true });
});

async function pickTiny(page: Page) {
  await page.getByLabel('Model folder').first().setInputFiles(tinyDir);
  await page.locator('[data-testid="model-status"][data-loaded="1"]').waitFor();
}

/** Waits until the number of finished runs exceeds `after` and the last run is done; returns the count. */
async function waitRunDone(page: Page, afterRuns: number): Promise<number> {
  const status = page.getByTestId('run-status');
  await page.waitForFunction((n) => {
    const el = document.querySelector('[data-testid="run-status"]');
    return !!el && el.getAttribute('data-state') === 'done' && Number(el.getAttribute('data-runs')) > n;
  }, afterRuns);
  return Number(await status.getAttribute('data-runs'));
}

async function predictionTexts(page: Page, testid: string): Promise<string[]> {
  return page.getByTestId(testid).locator('li').allTextContents();
}

test('upload an image, see the three images and both predictions; m grows the filmstrip; a non-image is refused', { skip: skip ?? false, timeout: 240_000 }, async (t) => {
  const app = await openApp('#/explore?model=tiny&backend=wasm&steps=2');
  const { page } = app;
  try {
    await page.getByTestId('backend').filter({ hasText: 'tfjs backend: wasm' }).waitFor();
    await pickTiny(page);
    let runs = await waitRunDone(page, 0);

    // Upload a PNG made here (not square: the crop is shown on it).
    await page.getByLabel('Image file').setInputFiles(tempFile('stripes.png', makePng(120, 80)));
    await page.getByTestId('source-name').filter({ hasText: 'stripes.png · 120×80 · centre crop 80×80' }).waitFor();
    runs = await waitRunDone(page, runs);
    for (const id of ['img-original', 'img-recon', 'img-adv']) {
      assert.equal(await page.getByTestId(id).count(), 1, `${id} is shown`);
    }
    assert.equal((await predictionTexts(page, 'clean-preds')).length, 5);
    assert.equal((await predictionTexts(page, 'adv-preds')).length, 5);
    assert.equal(await page.getByTestId('frame').count(), 3, 'm = 2: frames for steps 0, 1, 2');
    assert.match(await page.getByRole('heading', { name: /^Adversarial/ }).textContent() ?? '', /step 2/);
    const cleanBefore = await predictionTexts(page, 'clean-preds');

    // The crop the model sees is the centre 80×80 of the 120×80 upload: the original-crop canvas is 32×32.
    assert.deepEqual(await page.getByTestId('img-original').evaluate((c: HTMLCanvasElement) => [c.width, c.height]), [32, 32]);

    // Move m (the range input) to 5: the filmstrip grows to 6 frames and the predictions follow.
    await page.getByRole('slider', { name: 'm (steps)' }).fill('5');
    assert.equal(await page.getByTestId('value-steps').textContent(), '5');
    runs = await waitRunDone(page, runs);
    assert.equal(await page.getByTestId('frame').count(), 6);
    assert.match(await page.getByRole('heading', { name: /^Adversarial/ }).textContent() ?? '', /step 5/);
    assert.equal(await page.getByTestId('filmstrip').getAttribute('data-frames'), '6');
    // Loss chart has a point per step.
    assert.equal(await page.getByTestId('loss-chart').locator('circle.loss').count(), 6);
    assert.match(await page.getByTestId('timing').textContent() ?? '', /ms\/step \(wasm, tiny @ c2, feature loss\)/);
    t.diagnostic(`tiny 32×32 @ c2, feature loss, wasm: ${await page.getByTestId('step-ms').textContent()}`);

    // A strong attack changes the adversarial predictions (probabilities at least) relative to clean.
    await page.getByRole('slider', { name: 'ε (epsilon)' }).fill('2');
    await page.getByRole('slider', { name: 'τ (tau, step size)' }).fill('1');
    runs = await waitRunDone(page, runs);
    const adv = await predictionTexts(page, 'adv-preds');
    assert.notDeepEqual(adv, cleanBefore, 'adversarial predictions differ from the clean ones');

    // Not an image: a clear message, and the page keeps working.
    await page.getByLabel('Image file').setInputFiles(tempFile('notes.txt', 'hello, not an image'));
    await page.getByTestId('image-error').filter({ hasText: /"notes\.txt" is not an image/ }).waitFor();
    await page.getByLabel('Image file').setInputFiles({ name: 'broken.png', mimeType: 'image/png', buffer: Buffer.from('not really a png') });
    await page.getByTestId('image-error').filter({ hasText: /"broken\.png" could not be decoded/ }).waitFor();
    assert.equal(await page.getByTestId('img-original').count(), 1);
    await page.getByRole('slider', { name: 'm (steps)' }).fill('3');
    await waitRunDone(page, runs);
    assert.equal(await page.getByTestId('frame').count(), 4);
    assert.deepEqual(app.errors, []);
  } finally {
    await app.close();
  }
});

test('settings live in the URL: a shared link reproduces them (model kept in IndexedDB)', { skip: skip ?? false, timeout: 240_000 }, async () => {
  const app = await openApp('#/explore?model=tiny&backend=wasm&steps=1');
  const { page } = app;
  try {
    await pickTiny(page);
    let runs = await waitRunDone(page, 0);
    await page.getByRole('slider', { name: 'τ (tau, step size)' }).fill('0.35');
    await page.getByRole('slider', { name: 'm (steps)' }).fill('4');
    await page.getByRole('checkbox', { name: /ablation/ }).check();
    await page.getByRole('checkbox', { name: /targeted/ }).check();
    await page.getByLabel('Class to attack').fill('seven');
    runs = await waitRunDone(page, runs);
    const url = page.url();
    assert.match(url, /tau=0\.35/);
    assert.match(url, /steps=4/);
    assert.match(url, /eps=1\.3/); // 4 · 0.35 − 0.1, coupled
    assert.match(url, /label=7/);
    assert.match(url, /model=tiny/);
    assert.match(url, /layer=c2/);

    // The link, opened in a new tab of the same browser: same settings, the picked model comes from IndexedDB.
    const other = await page.context().newPage();
    await other.goto(url);
    await other.locator('[data-testid="model-status"][data-loaded="1"]').waitFor();
    assert.equal(await other.getByRole('slider', { name: 'τ (tau, step size)' }).inputValue(), '0.35');
    assert.equal(await other.getByRole('slider', { name: 'm (steps)' }).inputValue(), '4');
    assert.equal(await other.getByRole('slider', { name: 'ε (epsilon)' }).inputValue(), '1.3');
    assert.equal(await other.getByRole('checkbox', { name: /ablation/ }).isChecked(), true);
    assert.equal(await other.getByRole('checkbox', { name: /targeted/ }).isChecked(), true);
    assert.equal(await other.getByLabel('Class to attack').inputValue(), 'seven');
    await waitRunDone(other, 0);
    assert.equal(await other.getByTestId('frame').count(), 5);
    // And a reload of the same tab keeps them too.
    await page.reload();
    assert.equal(await page.getByRole('slider', { name: 'm (steps)' }).inputValue(), '4');
  } finally {
    await app.close();
  }
});

test('the worker holds as many tensors after 20 runs as after 1', { skip: skip ?? false, timeout: 300_000 }, async () => {
  const app = await openApp('#/explore?model=tiny&backend=wasm&steps=2');
  const { page } = app;
  try {
    await pickTiny(page);
    let runs = await waitRunDone(page, 0);
    const countAfter = async () => Number(await page.getByTestId('tensors').getAttribute('data-count'));
    const first = await countAfter();
    assert.ok(first > 0, 'the tensor count is shown');
    // 19 more runs: alternate control changes (cancelling each other while debounced) and plain re-runs,
    // with both loss modes.
    for (let i = 0; i < 19; i++) {
      if (i % 3 === 0) await page.getByRole('slider', { name: 'τ (tau, step size)' }).fill(String(0.1 + 0.05 * (i % 5)));
      else if (i % 3 === 1) await page.getByRole('radio', { name: /decoded image|features/ }).nth(i % 2).check();
      else await page.getByRole('button', { name: 'Run again' }).click();
      runs = await waitRunDone(page, runs);
    }
    assert.ok(runs >= 20, `runs completed: ${runs}`);
    assert.equal(await countAfter(), first, 'tensor count after 20 runs equals the count after 1');
    // Runs cancelled in flight leak nothing either: m = 20 runs interrupted by quick changes.
    // (Changes 100 ms apart are debounced away; 300 ms apart, each starts a run the next one cancels.)
    await page.getByRole('slider', { name: 'm (steps)' }).fill('20');
    for (const [v, wait] of [['0.3', 300], ['0.4', 100], ['0.45', 300], ['0.5', 300], ['0.55', 0]] as const) {
      await page.waitForTimeout(wait);
      await page.getByRole('slider', { name: 'τ (tau, step size)' }).fill(v);
    }
    runs = await waitRunDone(page, runs);
    assert.equal(await page.getByTestId('frame').count(), 21);
    assert.equal(await countAfter(), first, 'tensor count unchanged after cancelled runs');
  } finally {
    await app.close();
  }
});

test('drop and paste an image; download the adversarial image and the filmstrip as PNG', { skip: skip ?? false, timeout: 240_000 }, async () => {
  const app = await openApp('#/explore?model=tiny&backend=wasm&steps=2');
  const { page } = app;
  try {
    await pickTiny(page);
    let runs = await waitRunDone(page, 0);
    const png = makePng(50, 90, 3).toString('base64');
    const send = (kind: 'drop' | 'paste', name: string) => page.evaluate(([b64, kind, name]) => {
      const bytes = Uint8Array.from(atob(b64!), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], name!, { type: 'image/png' }));
      if (kind === 'drop') document.querySelector('[data-testid="dropzone"]')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      else document.body.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
    }, [png, kind, name]);
    await send('drop', 'dropped.png');
    await page.getByTestId('source-name').filter({ hasText: 'dropped.png · 50×90' }).waitFor();
    runs = await waitRunDone(page, runs);
    await send('paste', 'pasted.png');
    await page.getByTestId('source-name').filter({ hasText: 'pasted.png · 50×90' }).waitFor();
    runs = await waitRunDone(page, runs);
    for (const [button, width] of [['Download adversarial PNG', 256], ['Download filmstrip PNG', 3 * 256 + 2 * 4]] as const) {
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: button }).click()]);
      const path = await download.path();
      const bytes = readFileSync(path);
      assert.equal(bytes.subarray(1, 4).toString(), 'PNG', `${button} gives a PNG`);
      assert.equal(bytes.readUInt32BE(16), width, `${button}: width`);
      assert.match(download.suggestedFilename(), /^advbn-.*tiny-c2-.*\.png$/);
    }
    // Switching the backend re-runs on the new one (the loaded weights move with it).
    await page.getByLabel('Backend').selectOption('cpu');
    await page.getByTestId('backend').filter({ hasText: 'tfjs backend: cpu' }).waitFor();
    await page.getByTestId('timing').filter({ hasText: /ms\/step \(cpu, tiny @ c2/ }).waitFor();
    await waitRunDone(page, runs);
    assert.match(page.url(), /backend=cpu/);
  } finally {
    await app.close();
  }
});

test('camera snapshot (Chromium fake camera)', { skip: skip ?? false, timeout: 180_000 }, async () => {
  // openApp starts the dev server; this test needs its own browser with a fake camera.
  const first = await openApp('#/train');
  const url = first.url;
  await first.close();
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_FLAGS, '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'] });
  try {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    await context.grantPermissions(['camera'], { origin: url });
    const page = await context.newPage();
    page.setDefaultTimeout(120_000);
    await page.goto(url + '#/explore?model=tiny&backend=wasm&steps=1');
    await pickTiny(page);
    const runs = await waitRunDone(page, 0);
    await page.getByRole('button', { name: 'Camera' }).click();
    await page.waitForFunction(() => (document.querySelector('video[aria-label="Camera preview"]') as HTMLVideoElement | null)?.videoWidth);
    await page.getByRole('button', { name: 'Take snapshot' }).click();
    await page.getByTestId('source-name').filter({ hasText: /^camera snapshot · \d+×\d+/ }).waitFor();
    await waitRunDone(page, runs);
    assert.equal(await page.getByTestId('img-original').count(), 1);
  } finally {
    await browser.close();
  }
});

test('a wrong folder gives a clear error', { skip: skip ?? false, timeout: 120_000 }, async () => {
  const app = await openApp('#/explore?model=tiny&backend=wasm');
  const { page } = app;
  try {
    const dir = tempFile('readme.txt', 'nothing here').replace(/\/readme\.txt$/, '');
    await page.getByLabel('Model folder').first().setInputFiles(dir);
    await page.getByTestId('folder-error').filter({ hasText: /has neither index\.json nor model\.json/ }).waitFor();
  } finally {
    await app.close();
  }
});

/** What the page shows of a finished run, read from the charts' data attributes (full precision). */
async function shownNumbers(page: Page) {
  const nums = async (id: string, attr: string) => ((await page.getByTestId(id).getAttribute(attr)) ?? '').split(' ').filter(Boolean).map(Number);
  const preds = async (id: string) => page.getByTestId(id).locator('li[data-class]').evaluateAll((els) => els.map((e) => ({ cls: Number(e.getAttribute('data-class')), p: Number(e.getAttribute('data-prob')) })));
  return { clean: await preds('clean-preds'), adv: await preds('adv-preds'), losses: await nums('loss-chart', 'data-losses'), mu: await nums('delta-mu', 'data-values'), sigma: await nums('delta-sigma', 'data-values') };
}

// The WASM half runs after switching the backend in the same page: the model, image and features the
// worker holds were made on WebGPU and move to WASM on first use. That move used to read them with
// the WebGPU backend's synchronous read (an OffscreenCanvas copy), which gave zeros in Chromium's
// worker: WASM then showed a uniform 0.100 and an unchanged δ (see worker/backends.ts, readBackHeld).
test('WebGPU: the tiny model runs PGD on the webgpu backend and shows the numbers WASM shows', { skip: skip ?? false, timeout: 300_000 }, async (t) => {
  const app = await openApp('#/explore?model=tiny&backend=webgpu&steps=2');
  const { page } = app;
  try {
    const badge = page.getByTestId('backend');
    await badge.filter({ hasText: /tfjs backend: / }).waitFor();
    const backend = await badge.getAttribute('data-backend');
    if (backend !== 'webgpu') {
      // navigator.gpu missing in this Chromium build: say so rather than pass silently.
      assert.fail(`WebGPU is not available in this browser (the engine started ${backend}).`);
    }
    await pickTiny(page);
    let runs = await waitRunDone(page, 0);
    assert.equal(await page.getByTestId('frame').count(), 3);
    assert.match(await page.getByTestId('timing').textContent() ?? '', /ms\/step \(webgpu, tiny @ c2/);
    t.diagnostic(`tiny 32×32 @ c2, feature loss, webgpu (SwiftShader): ${await page.getByTestId('step-ms').textContent()}`);
    const gpu = await shownNumbers(page);
    // The same run on WASM (switching re-runs with the same image and settings).
    await page.getByLabel('Backend').selectOption('wasm');
    await page.getByTestId('timing').filter({ hasText: /ms\/step \(wasm, tiny @ c2/ }).waitFor();
    runs = await waitRunDone(page, runs);
    const wasm = await shownNumbers(page);
    assert.equal(gpu.losses.length, 3);
    assert.deepEqual(gpu.clean.map((p) => p.cls), wasm.clean.map((p) => p.cls), 'clean top-5');
    assert.deepEqual(gpu.adv.map((p) => p.cls), wasm.adv.map((p) => p.cls), 'adversarial top-5');
    [...gpu.clean, ...gpu.adv].forEach((p, i) => assert.ok(Math.abs(p.p - [...wasm.clean, ...wasm.adv][i]!.p) < 1e-4, `probability ${i}: ${p.p} on WebGPU, ${[...wasm.clean, ...wasm.adv][i]!.p} on WASM`));
    gpu.losses.forEach((l, i) => assert.ok(Math.abs(l - wasm.losses[i]!) <= 1e-4 * Math.max(1, Math.abs(wasm.losses[i]!)), `loss at step ${i}: ${l} on WebGPU, ${wasm.losses[i]} on WASM`));
    assert.equal(gpu.mu.length, 16);
    assert.deepEqual(gpu.mu, wasm.mu, 'δμ');
    assert.deepEqual(gpu.sigma, wasm.sigma, 'δσ');
    assert.deepEqual(app.errors, []);
  } finally {
    await app.close();
  }
});

test('the embedded style-world model (served from models/) is the default and runs with its decoder', { skip: skip ?? false, timeout: 240_000 }, async (t) => {
  const { existsSync } = await import('node:fs');
  if (!existsSync(new URL('../models/style-world/model.json', import.meta.url))) {
    t.skip('models/style-world is not there');
    return;
  }
  const app = await openApp('#/explore?backend=wasm&steps=2');
  const { page } = app;
  try {
    await page.locator('[data-testid="model-status"][data-loaded="1"]').waitFor();
    assert.match(page.url(), /model=style-world/);
    await waitRunDone(page, 0);
    assert.equal(await page.getByTestId('frame').count(), 3);
    for (const id of ['img-original', 'img-recon', 'img-adv']) assert.equal(await page.getByTestId(id).count(), 1, id);
    assert.equal((await predictionTexts(page, 'clean-preds')).length, 5);
    await page.getByRole('radio', { name: /decoded image/ }).check();
    await page.getByTestId('timing').filter({ hasText: /image loss/ }).waitFor();
    t.diagnostic(`style-world 64×64 @ block2_relu1, image loss, wasm: ${await page.getByTestId('step-ms').textContent()}`);
    assert.deepEqual(app.errors, []);
  } finally {
    await app.close();
  }
});
