/**
 * The Train page end to end: a tiny AdvBN run on the style world on the WASM backend, with the shipped
 * style-world model; the curves draw, the report table lists the clean and held-out sets, and the
 * model can be kept in the browser and opened in Explore.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { browserSkipReason, openApp, stopServer } from './harness';
import { HELDOUT_FAMILIES, IMAGE_SIZE, renderItem, SHAPES, TRAIN_FAMILIES } from '../src/data/style-world';
import { writePng } from '../src/data/image-file';

/** A folder of PNGs, one sub-folder per class (circle, square, triangle), 10 images each. */
function classFolder(): string {
  const root = mkdtempSync(join(tmpdir(), 'advbn-folder-'));
  const dir = join(root, 'shapes');
  const px = new Float32Array(IMAGE_SIZE * IMAGE_SIZE * 3);
  for (let c = 0; c < 3; c++) mkdirSync(join(dir, SHAPES[c]!), { recursive: true });
  let n = 0;
  for (let i = 0; n < 30; i++) {
    const label = i % 10; // renderItem's class is index mod 10: keep the first three classes
    if (label > 2) continue;
    renderItem(TRAIN_FAMILIES, 5, 'folder', i, px);
    const rgba = new Uint8Array(IMAGE_SIZE * IMAGE_SIZE * 4);
    for (let p = 0; p < IMAGE_SIZE * IMAGE_SIZE; p++) {
      rgba[p * 4] = px[p * 3]! * 255; rgba[p * 4 + 1] = px[p * 3 + 1]! * 255; rgba[p * 4 + 2] = px[p * 3 + 2]! * 255; rgba[p * 4 + 3] = 255;
    }
    writePng(join(dir, SHAPES[label]!, `img${i}.png`), { data: rgba, width: IMAGE_SIZE, height: IMAGE_SIZE });
    n++;
  }
  return dir;
}

const skip = browserSkipReason();
after(stopServer);

test('Train page: a tiny AdvBN run on the style world shows curves and the robustness report', { skip: skip ?? false, timeout: 300_000 }, async () => {
  const app = await openApp('#/train?model=style-world&layer=block2_relu1&compare=0&advbn=1&trainSize=48&testSize=10&epochs=1&batchSize=16&pgdSteps=2', { timeoutMs: 240_000 });
  try {
    const page = app.page;
    await page.getByLabel('Backend').selectOption('wasm');
    await page.getByTestId('backend').filter({ hasText: 'tfjs backend: wasm' }).waitFor();
    await page.getByLabel('Split layer').filter({ has: page.locator('option[value="block2_relu1"]') }).waitFor();
    assert.equal(await page.getByLabel('Split layer').inputValue(), 'block2_relu1');
    await page.getByTestId('start').click();
    await page.locator('[data-testid="run-state"][data-state="running"]').waitFor();
    await page.locator('[data-testid="run-state"][data-state="done"]').waitFor();
    // Curves: one point per step (48 images / 16 = 3 steps), clean and AdvBN series.
    assert.equal(await page.getByTestId('curves').getAttribute('data-steps'), '3');
    assert.equal(await page.locator('[data-testid="chart-loss"] polyline').count(), 2);
    assert.equal(await page.locator('[data-testid="chart-acc"] polyline[data-series="AdvBN accuracy"]').count(), 1);
    assert.equal(await page.getByTestId('progress').getAttribute('aria-valuenow'), '3');
    // The report table: clean, the held-out styles and the corruptions, base and fine-tuned.
    const table = page.getByTestId('report-table');
    for (const set of ['clean', 'neon', 'sketch', 'dots', 'fog', 'noise', 'jpeg']) {
      const cells = await table.locator(`tr[data-set="${set}"] td`).allTextContents();
      assert.equal(cells.length, 3, `row ${set}`);
      for (const c of cells.slice(0, 2)) assert.match(c, /^\d+\.\d$/);
    }
    assert.equal(await page.locator('[data-testid="divergence-table"] tbody tr').count(), 4);
    // Keep it in the browser; Explore offers it.
    await page.getByTestId('save').click();
    const link = page.getByTestId('open-explore');
    await link.waitFor();
    assert.match((await link.getAttribute('href'))!, /#\/explore\?model=style-world-ft-/);
    assert.deepEqual(app.errors, []);
  } finally {
    await app.close();
  }
});

test('Train page: plain vs AdvBN side by side over 2 seeds: both curves, one table with Δ, the style gallery and the batch preview', { skip: skip ?? false, timeout: 400_000 }, async () => {
  const app = await openApp('#/train?model=style-world&layer=block2_relu1&compare=1&seeds=2&trainSize=32&testSize=10&epochs=1&batchSize=16&pgdSteps=1', { timeoutMs: 240_000 });
  try {
    const page = app.page;
    await page.getByLabel('Backend').selectOption('wasm');
    await page.getByTestId('backend').filter({ hasText: 'tfjs backend: wasm' }).waitFor();
    await page.getByLabel('Split layer').filter({ has: page.locator('option[value="block2_relu1"]') }).waitFor();
    // Pictures before any training: every family of the style world, and AdvBN on a training batch.
    assert.equal(await page.locator('[data-testid^="family-"][data-split="heldout"]').count(), HELDOUT_FAMILIES.length);
    assert.equal(await page.locator('[data-testid^="family-"][data-split="train"]').count(), TRAIN_FAMILIES.length);
    await page.locator('[data-testid="batch-preview"][data-ready="1"]').waitFor();
    assert.equal(await page.getByTestId('preview-clean').count(), 1);
    assert.equal(await page.getByTestId('preview-adv').count(), 1, 'the style-world model has a decoder for block2_relu1');
    await page.getByTestId('start').click();
    await page.locator('[data-testid="run-state"][data-state="done"]').waitFor();
    // 32 images / batch 16 = 2 steps per arm; the curves show the last seed's run of both arms.
    assert.equal(await page.getByTestId('curves').getAttribute('data-plain-steps'), '2');
    assert.equal(await page.getByTestId('curves').getAttribute('data-advbn-steps'), '2');
    assert.equal(await page.locator('[data-testid="chart-loss"] polyline').count(), 3);
    assert.equal(await page.getByTestId('progress').getAttribute('aria-valuenow'), '4');
    const table = page.getByTestId('compare-table');
    assert.equal(await table.getAttribute('data-seeds'), '2');
    const mean = await table.locator('tr[data-set="mean held-out style"] td').allTextContents();
    assert.equal(mean.length, 4);
    assert.match(mean[0]!, /^\d+\.\d$/, 'base');
    for (const c of mean.slice(1, 3)) assert.match(c, /^\d+\.\d ± \d+\.\d$/, 'plain and AdvBN: mean ± std over the seeds');
    assert.match(mean[3]!, /^[+-]\d+\.\d ± \d+\.\d$/, 'Δ against plain');
    assert.match((await page.getByTestId('verdict').textContent())!, /over 2 seeds/);
    assert.deepEqual(app.errors, []);
  } finally {
    await app.close();
  }
});

test('Train page: pause, resume and cancel', { skip: skip ?? false, timeout: 300_000 }, async () => {
  const app = await openApp('#/train?model=style-world&compare=0&advbn=1&pgdSteps=3&trainSize=400&testSize=0&epochs=3&batchSize=16', { timeoutMs: 240_000 });
  try {
    const page = app.page;
    await page.getByLabel('Backend').selectOption('wasm');
    await page.getByTestId('backend').filter({ hasText: 'tfjs backend: wasm' }).waitFor();
    await page.getByLabel('Split layer').filter({ has: page.locator('option[value="block2_relu1"]') }).waitFor();
    await page.getByTestId('start').click();
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="curves"]')?.getAttribute('data-steps')) >= 2);
    await page.getByTestId('pause').click();
    await page.locator('[data-testid="run-state"][data-state="paused"]').waitFor();
    await page.waitForTimeout(3000); // a step in flight may still finish
    const n = await page.getByTestId('curves').getAttribute('data-steps');
    await page.waitForTimeout(3000);
    assert.equal(await page.getByTestId('curves').getAttribute('data-steps'), n, 'no steps while paused');
    await page.getByTestId('pause').click(); // resume
    await page.waitForFunction((k) => Number(document.querySelector('[data-testid="curves"]')?.getAttribute('data-steps')) > k, Number(n));
    await page.getByTestId('cancel').click();
    await page.locator('[data-testid="run-state"][data-state="cancelled"]').waitFor();
    assert.deepEqual(app.errors, []);
  } finally {
    await app.close();
  }
});

test('Train page: fine-tune on a folder of my images (one sub-folder per class)', { skip: skip ?? false, timeout: 300_000 }, async () => {
  const dir = classFolder();
  const app = await openApp('#/train?model=style-world&compare=0&advbn=1&pgdSteps=1&testSize=10&epochs=1&batchSize=8&data=folder', { timeoutMs: 240_000 });
  try {
    const page = app.page;
    await page.getByLabel('Backend').selectOption('wasm');
    await page.getByTestId('backend').filter({ hasText: 'tfjs backend: wasm' }).waitFor();
    await page.getByLabel('Split layer').filter({ has: page.locator('option[value="block2_relu1"]') }).waitFor();
    await page.getByLabel('Image folder').setInputFiles(dir);
    await page.getByTestId('folder-summary').filter({ hasText: '30 images, 3 classes (circle, square, triangle)' }).waitFor();
    await page.getByTestId('start').click();
    await page.locator('[data-testid="run-state"][data-state="done"]').waitFor();
    // 24 training images (every 5th per class is the test set) / batch 8 = 3 steps.
    assert.equal(await page.getByTestId('curves').getAttribute('data-steps'), '3');
    const table = page.getByTestId('report-table');
    assert.equal(await table.locator('tr[data-set="clean"]').count(), 1);
    assert.equal(await table.locator('tr[data-set="noise"]').count(), 1);
    assert.equal(await table.locator('tr[data-set="neon"]').count(), 0, 'no style sets for a folder');
    assert.deepEqual(app.errors, []);
  } finally {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
