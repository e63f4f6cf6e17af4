/**
 * Issue 28 as a newcomer meets it, on a fresh clone's models/ (no VGG-19, no ../shared): every place
 * that needs VGG-19 says why it is missing, links the two published files and offers Import weights…
 * (the Train page too); the browser download runs with progress where the host allows it (here a
 * routed response with CORS) and says plainly when it cannot; a photo on the style-world model says what
 * that model knows; disabled buttons look disabled and say why; a dropped image survives Explore →
 * Train → Explore and back/forward; the charts say true things. Nothing here touches the internet:
 * the two official URLs are answered by page.route.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { browserSkipReason, openApp, setPublicDir, stopServer } from './harness';
import { freshClonePublic, makePng, tempFile } from './fixtures';
import { VGG19_SOURCES } from '../src/common/vgg19-sources';

const skip = browserSkipReason();
const FIX = new URL('../src/testing/import-fixtures/', import.meta.url);
before(async () => { await setPublicDir(freshClonePublic().pub); });
after(async () => { await setPublicDir(undefined); await stopServer(); });

/** Answers an official URL with a fixture (CORS allowed), or fails it as an offline/CORS-refused fetch does. */
async function routeOfficial(page: Page, url: string, fixture: string | null) {
  await page.unroute(url).catch(() => undefined);
  await page.route(url, (route) => (fixture
    ? route.fulfill({ status: 200, body: readFileSync(new URL(fixture, FIX)), headers: { 'access-control-allow-origin': '*', 'content-type': 'application/octet-stream' } })
    : route.abort('failed')));
}

/** Opens the app at `hash`, runs `body`, then checks the page threw nothing and closes it. */
async function withApp(hash: string, body: (page: Page, url: string) => Promise<void>) {
  const app = await openApp(hash, { timeoutMs: 200_000 });
  try {
    await body(app.page, app.url);
    assert.deepEqual(app.errors, []);
  } catch (e) {
    // What the page showed when it failed (the test's message alone rarely says why).
    const shown = await app.page.locator('body').innerText({ timeout: 5000 }).catch(() => '(no body)');
    throw new Error(`${(e as Error).message}\npage errors: ${app.errors.join(' | ') || 'none'}\npage text: ${shown.slice(0, 1200)}`);
  } finally {
    await app.close();
  }
}

async function dropOn(page: Page, zone: string, name: string) {
  const b64 = readFileSync(new URL(name, FIX)).toString('base64');
  await page.locator(zone).first().evaluate((el, f) => {
    const dt = new DataTransfer();
    dt.items.add(new File([Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0))], f.name));
    el.dispatchEvent(new DragEvent('dragover', { bubbles: true, cancelable: true, dataTransfer: dt }));
    el.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: dt }));
  }, { b64, name });
}

test('no VGG-19: menu, Explore and Train say why, link the two files, download in the browser (or say why not), Import weights… on the Train page', { skip: skip ?? false, timeout: 400_000 }, async () => {
  await withApp('#/explore?backend=wasm&steps=2', async (page, url) => {
    await page.locator('[data-testid="model-status"][data-loaded="1"]').waitFor();
    // The menu entry says why it is greyed out.
    const vgg = page.getByLabel('Model', { exact: true }).locator('option[value="vgg19"]');
    assert.match(await vgg.textContent() ?? '', /not found/);
    assert.match(await vgg.getAttribute('title') ?? '', /models\/vgg19-imagenet-tfjs[\s\S]*(548 MB|not shipped|does not ship)[\s\S]*advbn get vgg19/);
    // Explore: why, both published files linked, the CLI command.
    const why = page.getByTestId('no-vgg19');
    for (const s of Object.values(VGG19_SOURCES)) assert.equal(await why.locator(`a[href="${s.url}"]`).count(), 1, s.url);
    assert.match(await why.innerText(), /npx advbn get vgg19/);

    // The browser download: an unreachable host (or one without CORS) is said plainly…
    await routeOfficial(page, VGG19_SOURCES.torchvision.url, null);
    await page.getByTestId('vgg-download-torchvision').first().click();
    assert.match(await page.getByTestId('vgg-download-error').first().innerText(), /could not download[\s\S]*CORS[\s\S]*offline[\s\S]*advbn get vgg19/i);
    // …a file that is not the published one is refused (torch.hub's check: SHA-256 starts with dcbb9e9d)…
    await routeOfficial(page, VGG19_SOURCES.torchvision.url, 'tiny-torchvision-vgg5.pth');
    await page.getByTestId('vgg-download-torchvision').first().click();
    await page.getByTestId('vgg-download-error').filter({ hasText: /does not start with dcbb9e9d/ }).waitFor();
    // …and a host that allows it: progress, then the import (the Keras file: browsers cannot compute its md5; said so).
    await page.evaluate(() => {
      const w = window as unknown as { sawDownload: boolean };
      w.sawDownload = false;
      new MutationObserver(() => { if (document.querySelector('[data-testid="vgg-download-progress"]')) w.sawDownload = true; }).observe(document.body, { childList: true, subtree: true });
    });
    await routeOfficial(page, VGG19_SOURCES.keras.url, 'tiny-keras-vgg.h5');
    await page.getByTestId('vgg-download-keras').first().click();
    await page.getByTestId('import-done').filter({ hasText: /Keras/ }).waitFor();
    assert.ok(await page.evaluate(() => (window as unknown as { sawDownload: boolean }).sawDownload), 'the download showed its progress');
    assert.match(await page.getByTestId('vgg-download-note').first().innerText(), /md5/);

    // Train page, domains mode: the same, and Import weights… right there.
    await page.goto(`${url}#/train?data=domains&backend=wasm`);
    const missing = page.getByTestId('no-vgg19-train');
    await missing.waitFor();
    for (const s of Object.values(VGG19_SOURCES)) assert.equal(await missing.locator(`a[href="${s.url}"]`).count(), 1, s.url);
    assert.doesNotMatch(await missing.innerText(), /README/);
    // The start button is disabled, looks it, and says why.
    const start = page.getByTestId('domains-start');
    assert.equal(await start.isDisabled(), true);
    assert.match(await start.getAttribute('title') ?? '', /VGG-19/);
    const look = await start.evaluate((b) => { const s = getComputedStyle(b); return { cursor: s.cursor, opacity: Number(s.opacity) }; });
    assert.equal(look.cursor, 'not-allowed');
    assert.ok(look.opacity < 1, `opacity ${look.opacity}`);
    await dropOn(page, '[data-testid="domains-panel"] [data-testid="import-zone"]', 'tiny-torchvision-vgg5.pth');
    await page.getByTestId('import-done').filter({ hasText: /torchvision VGG/ }).waitFor();
    await page.getByLabel('VGG model').locator('option[value="tiny-torchvision-vgg5"]').waitFor({ state: 'attached' });
    await missing.waitFor({ state: 'detached' });
    assert.match(await start.getAttribute('title') ?? '', /domains folder/, 'still disabled: now for want of a folder, and it says so');
  });
});

test('a photo on the style-world model: says it knows 10 drawn shapes and offers VGG-19', { skip: skip ?? false, timeout: 300_000 }, async () => {
  await withApp('#/explore?backend=wasm&steps=2', async (page) => {
    await page.locator('[data-testid="model-status"][data-loaded="1"][data-model="style-world"]').waitFor();
    assert.equal(await page.getByTestId('toy-model-note').count(), 0, 'no note on the model\'s own samples');
    await page.getByLabel('Image file').setInputFiles(tempFile('newt.png', makePng(320, 240, 3)));
    await page.getByTestId('source-name').filter({ hasText: 'newt.png' }).waitFor();
    const note = page.getByTestId('toy-model-note');
    assert.match(await note.innerText(), /knows 10 drawn shapes[\s\S]*VGG-19/);
    assert.ok(await note.locator('a, button').count() >= 1, 'offers VGG-19');
  });
});

test('the user\'s photo survives Explore → Train → Explore and back/forward, and the page says a link cannot carry it', { skip: skip ?? false, timeout: 300_000 }, async () => {
  await withApp('#/explore?backend=wasm&steps=2', async (page) => {
    await page.locator('[data-testid="model-status"][data-loaded="1"]').waitFor();
    await page.getByLabel('Image file').setInputFiles(tempFile('newt.png', makePng(320, 240, 3)));
    await page.getByTestId('source-name').filter({ hasText: 'newt.png' }).waitFor();
    // Explore → Train → Explore: the photo is still there.
    await page.locator('a[href="#/train"]').first().click();
    await page.getByTestId('start').waitFor();
    await page.locator('a[href="#/explore"]').first().click();
    await page.getByTestId('source-name').filter({ hasText: 'newt.png' }).waitFor();
    await page.goBack();
    await page.getByTestId('start').waitFor();
    await page.goForward();
    await page.getByTestId('source-name').filter({ hasText: 'newt.png' }).waitFor();
    assert.match(await page.getByTestId('image-link-note').innerText(), /link[\s\S]*(cannot|does not) carry/i);
  });
});

test('charts say true things: distinct y ticks, "step (of N)" with the run\'s steps, the plain curve visible, the sweep\'s title before a run, a word by the δ bars at ε > 1', { skip: skip ?? false, timeout: 300_000 }, async () => {
  await withApp('#/train?model=style-world&layer=block2_relu1&compare=1&seeds=1&trainSize=48&testSize=10&epochs=2&batchSize=16&pgdSteps=1&backend=wasm', async (page, url) => {
    // Empty charts: five distinct y ticks, and the number of steps the run will take (48/16 × 2 epochs).
    await page.getByTestId('chart-loss').waitFor();
    const ticks = await page.locator('[data-testid="chart-loss"] text.tick[text-anchor="end"]').allTextContents();
    assert.ok(ticks.length >= 3, `y ticks: ${ticks.join(', ')}`);
    assert.equal(new Set(ticks).size, ticks.length, `distinct ticks: ${ticks.join(', ')}`);
    assert.match(await page.getByTestId('chart-loss').innerText(), /step \(of 6\)/);
    await page.getByTestId('start').click();
    await page.locator('[data-testid="run-state"][data-state="done"]').waitFor();
    assert.match(await page.getByTestId('chart-loss').innerText(), /step \(of 6\)/);
    // The plain curve is drawn over AdvBN's clean curve (dashed), so it is never hidden under it.
    const order = await page.locator('[data-testid="chart-loss"] polyline').evaluateAll((ls) => ls.map((l) => l.getAttribute('data-series')));
    assert.ok(order.indexOf('plain: clean loss') > order.indexOf('AdvBN: clean loss'), order.join(' | '));
    assert.ok(await page.locator('[data-testid="chart-loss"] polyline[data-series="plain: clean loss"]').getAttribute('stroke-dasharray'));
    // The status line says what the curves' ends are.
    const ends = await page.getByTestId('chart-loss').getAttribute('data-ends');
    assert.ok(ends && (await page.getByTestId('last-step').innerText()).includes(ends), `status line ↔ curve ends ${ends}`);

    // Explore: the sweep's title before its first run (read as soon as it shows), and the δ bars at ε 1.1.
    await page.goto(`${url}#/explore?backend=wasm&steps=2&eps=1.1`);
    assert.doesNotMatch(await page.getByTestId('sweep').locator('h3').innerText(), /p\(—\)/);
    await page.locator('[data-testid="run-status"][data-state="done"]').waitFor();
    assert.match(await page.getByTestId('delta-note').innerText(), /^ε > 1[\s\S]*the scale of σ[\s\S]*crosses zero/);
    await page.goto(`${url}#/explore?backend=wasm&steps=2&eps=0.5`);
    await page.locator('[data-testid="run-status"][data-state="done"]').waitFor();
    assert.equal(await page.getByTestId('delta-note').count(), 0);
  });
});
