/**
 * In-app import end to end: drop a tiny torchvision VGG (.pth written by torch, see
 * scripts/make-import-fixtures.py) on the page, see the progress bar, and run AdvBN PGD with it;
 * a wrong file gets an error that says what was expected, and the page lives on.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { browserSkipReason, openApp, stopServer } from './harness';

const skip = browserSkipReason();
const FIX = new URL('../src/testing/import-fixtures/', import.meta.url);
after(async () => { await stopServer(); });

/** Drops files on the import zone as a person would (a drop event carrying a DataTransfer). */
async function drop(page: Page, names: string[]) {
  const files = names.map((n) => ({ name: n, b64: readFileSync(new URL(n, FIX)).toString('base64') }));
  await page.getByTestId('import-zone').first().evaluate((zone, list) => {
    const dt = new DataTransfer();
    for (const f of list) {
      const bytes = Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0));
      dt.items.add(new File([bytes], f.name));
    }
    zone.dispatchEvent(new DragEvent('dragover', { bubbles: true, cancelable: true, dataTransfer: dt }));
    zone.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: dt }));
  }, files);
}

test('drop a torchvision .pth: progress bar, then it is in the model menu, loaded, and PGD runs with it', { skip: skip ?? false, timeout: 300_000 }, async () => {
  const app = await openApp('#/explore?backend=wasm&steps=2');
  const { page } = app;
  try {
    await page.locator('[data-testid="model-status"][data-loaded="1"]').waitFor();
    // Record whether the progress bar appears (a 33 KB file imports in a blink).
    await page.evaluate(() => {
      const w = window as unknown as { sawProgress: boolean };
      w.sawProgress = false;
      new MutationObserver(() => { if (document.querySelector('[data-testid="import-progress"]')) w.sawProgress = true; })
        .observe(document.body, { childList: true, subtree: true });
    });
    await drop(page, ['tiny-torchvision-vgg.pth']);
    await page.getByTestId('import-done').waitFor();
    assert.ok(await page.evaluate(() => (window as unknown as { sawProgress: boolean }).sawProgress), 'the progress bar was shown');
    assert.match(await page.getByTestId('import-done').textContent() ?? '', /torchvision VGG \(3 conv, 10 classes\)/);
    // Listed and chosen in the model menu, loaded with torchvision preprocessing.
    const menu = page.getByLabel('Model', { exact: true });
    assert.equal(await menu.inputValue(), 'tiny-torchvision-vgg');
    await page.locator('[data-testid="model-status"][data-loaded="1"]').filter({ hasText: 'torch preprocessing' }).waitFor();
    // PGD ran with it (feature mode at its default layer): a finished run with its predictions.
    await page.waitForFunction(() => document.querySelector('[data-testid="run-status"]')?.getAttribute('data-state') === 'done');
    assert.equal(await page.getByTestId('adv-preds').locator('li').count(), 5);
    assert.match(await page.getByTestId('timing').textContent() ?? '', /tiny-torchvision-vgg @ block1_conv2/);

    // Kept in IndexedDB: still listed after a reload.
    await page.reload();
    await page.locator('[data-testid="model-status"][data-loaded="1"]').waitFor();
    assert.ok((await menu.locator('option').allTextContents()).some((t) => /torchvision VGG/.test(t)), 'the import survives a reload');

    // A file that is not weights: an error naming what was expected; the page lives on.
    await drop(page, ['tiny-optimizer-checkpoint.pth']);
    await page.getByTestId('import-error').filter({ hasText: /training checkpoint/ }).waitFor();
    assert.deepEqual(app.errors, []);
  } finally {
    await app.close();
  }
});

test('the authors\' pipeline: drop vgg_normalised.pth + decoder.pth together, pair them with a torchvision classifier, PGD in image mode', { skip: skip ?? false, timeout: 300_000 }, async () => {
  const app = await openApp('#/explore?backend=wasm&steps=2');
  const { page } = app;
  try {
    await page.locator('[data-testid="model-status"][data-loaded="1"]').waitFor();
    await drop(page, ['tiny-torchvision-vgg3.pth']);
    await page.getByTestId('import-done').filter({ hasText: 'torchvision VGG' }).waitFor();
    await page.locator('[data-testid="model-status"][data-loaded="1"]').filter({ hasText: 'torch preprocessing' }).waitFor();
    await drop(page, ['tiny-adain-vgg-normalised.pth', 'tiny-adain-decoder.pth']);
    await page.getByTestId('import-done').filter({ hasText: /AdaIN vgg_normalised encoder up to relu4_1.*decoder for relu4_1/ }).waitFor();
    // The encoder is not offered as a classifier; it is offered as an autoencoder.
    const menu = page.getByLabel('Model', { exact: true });
    assert.equal(await menu.inputValue(), 'tiny-torchvision-vgg3', 'the classifier stays');
    assert.ok(!(await menu.locator('option').allTextContents()).some((t) => /vgg_normalised/.test(t)));
    await page.waitForFunction(() => document.querySelector('[data-testid="run-status"]')?.getAttribute('data-state') === 'done');
    const runs = Number(await page.getByTestId('run-status').getAttribute('data-runs'));
    const ae = page.getByLabel('Autoencoder');
    await ae.selectOption({ label: 'AdaIN vgg_normalised encoder up to relu4_1 (encoder + decoder apart)' });
    await page.getByTestId('ae-note').waitFor();
    await page.waitForFunction((n) => {
      const el = document.querySelector('[data-testid="run-status"]');
      return el?.getAttribute('data-state') === 'done' && Number(el.getAttribute('data-runs')) > n;
    }, runs);
    assert.match(await page.getByTestId('timing').textContent() ?? '', /@ relu4_1, image loss/);
    assert.equal(await page.getByTestId('img-adv').count(), 1, 'the decoded adversarial image is shown');
    assert.equal(await page.getByTestId('frame').count(), 3);
    assert.deepEqual(app.errors, []);
  } finally {
    await app.close();
  }
});

test('drop a Keras .h5: HDF5 is read in the worker (h5wasm, the File mounted lazily) and the model runs', { skip: skip ?? false, timeout: 300_000 }, async () => {
  const app = await openApp('#/explore?backend=wasm&steps=1');
  const { page } = app;
  try {
    await page.locator('[data-testid="model-status"][data-loaded="1"]').waitFor();
    await drop(page, ['tiny-keras-vgg.h5']);
    await page.getByTestId('import-done').filter({ hasText: 'Keras VGG weights (3 conv, 10 classes)' }).waitFor();
    await page.locator('[data-testid="model-status"][data-loaded="1"]').filter({ hasText: 'caffe preprocessing' }).waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid="run-status"]')?.getAttribute('data-state') === 'done'
      && /tiny-keras-vgg @/.test(document.querySelector('[data-testid="timing"]')?.textContent ?? ''));
    assert.deepEqual(app.errors, []);
  } finally {
    await app.close();
  }
});
