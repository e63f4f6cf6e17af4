/**
 * The real VGG-19 flow on WASM (short: m = 1). Runs when the weights exist: ADVBN_VGG19_DIR, or
 * ../shared/models/vgg19-imagenet-tfjs. The served folder needs models/vgg19-imagenet-tfjs: the test
 * links it when missing (the link is git-ignored; never commit it).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, readdirSync, symlinkSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { openApp, stopServer, VGG19_DIR, vggBrowserSkipReason } from './harness';
import { makePng, tempFile } from './fixtures';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
const VGG_DIR = VGG19_DIR;
const LINK = resolve(ROOT, 'models/vgg19-imagenet-tfjs');
const SAMPLES = resolve(ROOT, '../shared/imagenet/val-samples-256');
const DECODER = resolve(ROOT, 'models/decoder-block3_conv1/decoder.json');

const skip = vggBrowserSkipReason();

function ensureLink() {
  let present = false;
  try { lstatSync(LINK); present = true; } catch { /* absent */ }
  if (!present) symlinkSync(VGG_DIR, LINK, 'dir');
  if (!existsSync(`${LINK}/model.json`)) throw new Error(`${LINK} exists but has no model.json`);
}

after(stopServer);

async function waitRunDone(page: Page, afterRuns: number): Promise<number> {
  await page.waitForFunction((n) => {
    const el = document.querySelector('[data-testid="run-status"]');
    return !!el && el.getAttribute('data-state') === 'done' && Number(el.getAttribute('data-runs')) > n;
  }, afterRuns, { timeout: 400_000 });
  return Number(await page.getByTestId('run-status').getAttribute('data-runs'));
}

test('VGG-19 on WASM: clean and adversarial predictions, decoded images, ms per step', { skip: skip ?? false, timeout: 900_000 }, async (t) => {
  ensureLink();
  const decoder = existsSync(DECODER);
  const layer = decoder ? 'block3_conv1' : 'block4_conv1';
  const app = await openApp(`#/explore?model=vgg19&backend=wasm&steps=1&layer=${layer}`, { timeoutMs: 400_000 });
  const { page } = app;
  try {
    await page.getByTestId('backend').filter({ hasText: 'tfjs backend: wasm' }).waitFor();
    await page.locator('[data-testid="model-status"][data-loaded="1"]').waitFor();
    let runs = await waitRunDone(page, 0);

    // A real photo when the shared samples are there (a tabby cat), else a generated picture.
    const photo = existsSync(SAMPLES) ? readdirSync(SAMPLES).find((f) => f.endsWith('_tabby.JPEG')) : undefined;
    await page.getByLabel('Image file').setInputFiles(photo ? `${SAMPLES}/${photo}` : tempFile('pattern.png', makePng(300, 224)));
    runs = await waitRunDone(page, runs);
    const clean = await page.getByTestId('clean-preds').locator('li').allTextContents();
    assert.equal(clean.length, 5);
    if (photo) assert.ok(clean.slice(0, 5).some((c) => /cat/i.test(c)), `a cat is in the clean top-5: ${clean.join(' | ')}`);
    assert.equal((await page.getByTestId('adv-preds').locator('li').allTextContents()).length, 5);
    assert.equal(await page.getByTestId('frame').count(), 2);
    if (decoder) {
      for (const id of ['img-original', 'img-recon', 'img-adv']) assert.equal(await page.getByTestId(id).count(), 1, id);
    }
    const featureMs = await page.getByTestId('step-ms').textContent();
    t.diagnostic(`VGG-19 @ ${layer}, feature loss, ${await page.getByTestId('backend-why').textContent()}: ${featureMs} | ${await page.getByTestId('timing').textContent()}`);

    if (decoder) {
      // Image mode: the loss goes through the decoder and the whole classifier.
      await page.getByRole('radio', { name: /decoded image/ }).check();
      runs = await waitRunDone(page, runs);
      t.diagnostic(`VGG-19 @ ${layer}, image loss, wasm: ${await page.getByTestId('step-ms').textContent()} | ${await page.getByTestId('timing').textContent()}`);
      assert.match(await page.getByTestId('timing').textContent() ?? '', /image loss/);
    }
    await page.screenshot({ path: process.env.ADVBN_SCREENSHOT ?? '/tmp/explore-vgg.png', fullPage: true });
    assert.deepEqual(app.errors, []);
  } finally {
    await app.close();
  }
});
