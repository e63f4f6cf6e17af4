/**
 * Bad input through the real inputs (issue 8): files that are not what their name says, truncated
 * and huge photos, broken model folders, NaN and out-of-range values in links, and a view that fails
 * to render. Each gives a clear message in the panel where it happened, and the app stays usable.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { browserSkipReason, openApp, stopServer } from './harness';
import { makeBigPng, makeJpeg, tempFile, TINY, TINY_SIZES, writeTinyModelsFolder } from './fixtures';
import { checkPage, waitModel, waitRunDone, type Live } from './interaction-checks';

const skip = browserSkipReason();
const dirs: string[] = [];
let good = '';
before(() => { good = writeTinyModelsFolder([TINY]); dirs.push(good); });
after(async () => {
  await stopServer();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function start(hash = '#/explore?model=tiny&backend=wasm&steps=1'): Promise<Live & { close(): Promise<void> }> {
  const app = await openApp(hash);
  await app.page.getByLabel('Model folder').first().setInputFiles(good);
  await waitModel(app, 'tiny');
  return app;
}

async function stillWorks(app: Live, what: string) {
  const runs = Number(await app.page.getByTestId('run-status').getAttribute('data-runs'));
  await app.page.getByRole('button', { name: 'Run again' }).click();
  await waitRunDone(app, runs);
  assert.equal(await checkPage(app.page), null, `after ${what}`);
  assert.deepEqual(app.errors, [], `page errors after ${what}`);
}

test('image files: not an image despite its extension, truncated JPEG, 8000×8000 photo', { skip: skip ?? false, timeout: 240_000 }, async (t) => {
  const app = await start();
  const { page } = app;
  try {
    await waitRunDone(app, 0);
    const input = page.getByLabel('Image file');

    // Text saved as .jpg: the browser takes it for a JPEG by its name.
    await input.setInputFiles(tempFile('holiday.jpg', 'this is a text file, not a photo'));
    await page.getByTestId('image-error').filter({ hasText: /"holiday\.jpg" could not be decoded as an image/ }).waitFor();
    await stillWorks(app, 'a text file named .jpg');

    // A JPEG cut off at 55 %: used as far as it decodes, and the panel says so.
    const full = makeJpeg(240, 180);
    await input.setInputFiles(tempFile('cut.jpg', full.subarray(0, Math.floor(full.length * 0.55))));
    const msg = page.locator('[data-testid="image-warning"], [data-testid="image-error"]').filter({ hasText: /"cut\.jpg" seems truncated/ });
    await msg.waitFor();
    const kind = await msg.getAttribute('data-testid');
    t.diagnostic(`truncated JPEG: ${kind === 'image-warning' ? 'decoded in part, with a note' : 'refused'}: ${await msg.textContent()}`);
    if (kind === 'image-warning') await page.getByTestId('source-name').filter({ hasText: 'cut.jpg · 240×180' }).waitFor();
    await stillWorks(app, 'a truncated JPEG');

    // 8000×8000: decoded downscaled to 1600×1600 before anything reaches the worker.
    const big = tempFile('huge.png', makeBigPng(8000, 8000));
    const t0 = Date.now();
    await input.setInputFiles(big);
    await page.getByTestId('source-name').filter({ hasText: 'huge.png · 1600×1600' }).waitFor();
    t.diagnostic(`8000×8000 PNG (${(readFileSync(big).length / 1e6).toFixed(1)} MB file) shown as 1600×1600 after ${Date.now() - t0} ms`);
    assert.match(await page.getByTestId('image-warning').textContent() ?? '', /Downscaled from 8000×8000 to 1600×1600/);
    assert.deepEqual(await page.locator('[data-testid="source-preview"] canvas').evaluate((c: HTMLCanvasElement) => [c.width, c.height]), [1600, 1600]);
    await stillWorks(app, 'an 8000×8000 photo');
  } finally {
    await app.close();
  }
});

test('model folders: a missing shard, a model.json that is not JSON, a model.json that does not match index.json', { skip: skip ?? false, timeout: 240_000 }, async () => {
  const noShard = writeTinyModelsFolder([TINY]);
  unlinkSync(join(noShard, 'tiny', 'group1-shard1of1.bin'));
  const badJson = writeTinyModelsFolder([TINY]);
  writeFileSync(join(badJson, 'tiny', 'model.json'), '{"format": "layers-model", "modelTopology": ');
  // index.json says 32 px, the model is 48 px: found only when the worker loads it.
  const [, wide] = TINY_SIZES;
  const mismatch = writeTinyModelsFolder([{ ...wide!, id: 'liar', decoders: {} }]);
  const index = JSON.parse(readFileSync(join(mismatch, 'index.json'), 'utf8')) as { models: Array<{ inputSize: number }> };
  index.models[0]!.inputSize = 32;
  writeFileSync(join(mismatch, 'index.json'), JSON.stringify(index));
  dirs.push(noShard, badJson, mismatch);

  const app = await start();
  const { page } = app;
  try {
    await waitRunDone(app, 0);
    const picker = page.getByLabel('Model folder').first();
    await picker.setInputFiles(noShard);
    await page.getByTestId('folder-error').filter({ hasText: /tiny: 1 weight file\(s\) missing, e\.g\. tiny\/group1-shard1of1\.bin/ }).waitFor();
    await stillWorks(app, 'a folder with a missing shard');

    await picker.setInputFiles(badJson);
    await page.getByTestId('folder-error').filter({ hasText: /tiny\/model\.json is not a TensorFlow\.js layers model/ }).waitFor();
    await stillWorks(app, 'a folder whose model.json is not JSON');

    await picker.setInputFiles(mismatch);
    await page.getByTestId('model-error').filter({ hasText: /model\.json says the input is 48×48×3, the registry says 32×32×3/ }).waitFor();
    assert.equal(await page.getByTestId('run-status').textContent(), 'model could not be loaded');
    // The menu still offers the good model, and it works.
    await page.getByLabel('Model', { exact: true }).selectOption('tiny');
    await waitModel(app, 'tiny');
    await waitRunDone(app, 0);
    assert.equal(await checkPage(page), null);
    assert.deepEqual(app.errors, []);
  } finally {
    await app.close();
  }
});

test('links with NaN, out-of-range and unknown values: named in the settings panel, the run uses sane values', { skip: skip ?? false, timeout: 240_000 }, async () => {
  const app = await start('#/explore?model=tiny&backend=wasm&steps=1');
  const { page } = app;
  try {
    let runs = await waitRunDone(app, 0);
    await page.evaluate(() => { location.hash = '#/explore?model=tiny&backend=wasm&eps=NaN&tau=7&steps=-3&mode=pixels&targeted=maybe'; });
    const notes = page.getByTestId('link-notes');
    await notes.filter({ hasText: 'eps=NaN in the link is not a number; using 1.1.' }).waitFor();
    for (const s of ['tau=7 in the link is outside 0.01–1; using 1.', 'steps=-3 in the link is outside 0–20; using 0.', 'mode=pixels in the link is unknown', 'targeted=maybe in the link is not 0 or 1']) {
      assert.match(await notes.textContent() ?? '', new RegExp(s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    }
    runs = await waitRunDone(app, runs);
    assert.equal(await page.getByTestId('frame').count(), 1, 'm = 0: one frame');
    assert.equal(await page.getByRole('slider', { name: 'τ (tau, step size)' }).inputValue(), '1');

    // Values only the model can judge: a class it does not have, a layer it does not offer.
    await page.evaluate(() => { location.hash = '#/explore?model=tiny&backend=wasm&steps=1&label=42&layer=block9_conv9'; });
    await notes.filter({ hasText: 'Class 42 is not a class of Tiny test CNN (0–9); attacking the clean top-1.' }).waitFor();
    assert.match(await notes.textContent() ?? '', /Layer "block9_conv9" is not offered for Tiny test CNN; using c2\./);
    runs = await waitRunDone(app, runs);
    assert.match(page.url(), /layer=c2/);
    assert.doesNotMatch(page.url(), /label=/);
    await notes.getByRole('button', { name: 'OK' }).click();
    assert.equal(await notes.count(), 0);
    assert.equal(await checkPage(page), null);
    assert.deepEqual(app.errors, []);
  } finally {
    await app.close();
  }
});

test('a view that fails to render shows what failed and "Reset this view"; the rest of the app keeps working', { skip: skip ?? false, timeout: 240_000 }, async () => {
  const app = await start();
  const { page } = app;
  const logged: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') logged.push(m.text()); });
  try {
    let runs = await waitRunDone(app, 0);
    // Make drawing on canvases fail (as drawing pixels of the wrong size did), then start a run.
    await page.evaluate(() => {
      const proto = CanvasRenderingContext2D.prototype as unknown as Record<string, unknown>;
      proto.__put = proto.putImageData;
      proto.putImageData = () => { throw new Error('injected drawing failure'); };
    });
    await page.getByRole('slider', { name: 'm (steps)' }).fill('2');
    const failed = page.getByTestId('view-error');
    await failed.first().waitFor();
    const views = await failed.evaluateAll((els) => els.map((e) => e.getAttribute('data-view')));
    assert.ok(views.includes('Images (original, reconstruction, adversarial)'), `failed views: ${views.join(', ')}`);
    assert.match(await failed.first().textContent() ?? '', /failed: injected drawing failure/);
    assert.deepEqual(app.errors, [], 'no uncaught page error: the boundaries caught it');
    assert.ok(logged.some((l) => l.includes('[AdvBN]') && l.includes('injected drawing failure')), 'the error is logged');
    // The rest works: the header, the settings, the run (waited for without checkPage, which would
    // flag the failed view).
    const done = (n: number) => page.waitForFunction((n) => {
      const el = document.querySelector('[data-testid="run-status"]');
      return el?.getAttribute('data-state') === 'done' && Number(el.getAttribute('data-runs')) > n;
    }, n).then(async () => Number(await page.getByTestId('run-status').getAttribute('data-runs')));
    runs = await done(runs);
    await page.getByRole('slider', { name: 'τ (tau, step size)' }).fill('0.4');
    runs = await done(runs);
    assert.equal(await page.getByTestId('value-tau').textContent(), '0.40');
    // Drawing works again: "Reset this view" brings each failed view back.
    await page.evaluate(() => {
      const proto = CanvasRenderingContext2D.prototype as unknown as Record<string, unknown>;
      proto.putImageData = proto.__put;
    });
    // (Resetting drops the steps the views showed, so they cannot fail again; a new run fills them.)
    while (await failed.count()) await failed.first().getByRole('button', { name: 'Reset this view' }).click();
    await page.getByTestId('img-original').waitFor();
    await page.getByRole('button', { name: 'Run again' }).click();
    await waitRunDone(app, runs);
    for (const id of ['img-original', 'img-recon', 'img-adv']) assert.equal(await page.getByTestId(id).count(), 1, id);
    assert.equal(await page.getByTestId('frame').count(), 3);
    assert.equal(await checkPage(page), null);
  } finally {
    await app.close();
  }
});
