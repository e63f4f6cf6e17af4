/**
 * What people do, in many orders (issue 8): switch models of different input sizes after and during a
 * run, open links to other models/layers/modes in the same tab, switch backends mid-run, change every
 * control quickly, drop images while a model loads, stop runs, switch pages. After each action the page
 * must be alive (no page error, no panel showing a render error, a sane status); at the end the
 * worker holds as many tensors as after the first run.
 *
 * Runs on tiny fixture models of 16, 32 and 48 px (written here, loaded through the folder picker)
 * and the embedded 64 px style-world model; `ADVBN_INTERACTION_SEED` / `ADVBN_INTERACTION_ACTIONS`
 * replay or lengthen the random sequence.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { browserSkipReason, openApp, stopServer } from './harness';
import { TINY_SIZES, writeTinyModelsFolder } from './fixtures';
import { checkPage, waitModel, waitRunDone, waitUntil, type Live } from './interaction-checks';

const skip = browserSkipReason();
const STYLE_WORLD = existsSync(new URL('../models/style-world/model.json', import.meta.url));
let dir = '';
before(() => { dir = writeTinyModelsFolder(TINY_SIZES); });
after(async () => {
  await stopServer();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function pickFolder(app: Live) {
  await app.page.getByLabel('Model folder').first().setInputFiles(dir);
  await waitModel(app, 'tiny');
}

async function assertAlive(app: Live, what: string) {
  assert.deepEqual(app.errors, [], `page errors after ${what}`);
  const problem = await checkPage(app.page);
  assert.equal(problem, null, `after ${what}: ${problem}`);
}

test('switching to a model of another input size, after and during a run, and by a link in the same tab', { skip: skip ?? false, timeout: 300_000 }, async (t) => {
  const app = await openApp('#/explore?backend=wasm&steps=2');
  const { page } = app;
  try {
    await page.getByTestId('backend').filter({ hasText: 'tfjs backend: wasm' }).waitFor();
    await pickFolder(app);
    let runs = await waitRunDone(app, 0);
    await assertAlive(app, 'the first run on the 32 px model');

    // After a run: the Model menu, 32 px → 48 px.
    await page.getByLabel('Model', { exact: true }).selectOption('tiny48');
    await waitModel(app, 'tiny48');
    runs = await waitRunDone(app, runs);
    await assertAlive(app, 'choosing the 48 px model after a run');
    assert.deepEqual(await page.getByTestId('img-adv').evaluate((c: HTMLCanvasElement) => [c.width, c.height]), [48, 48]);

    // During a run: m = 20 with the loss through the decoder (slower), switch to the 16 px model once
    // the first step is in.
    await page.getByRole('radio', { name: /decoded image/ }).check();
    await page.getByRole('slider', { name: 'm (steps)' }).fill('20');
    await waitUntil(app, 'the first steps of a long run', () => page.evaluate(() => {
      const el = document.querySelector('[data-testid="run-status"]');
      return el?.getAttribute('data-state') === 'running' && Number(el.getAttribute('data-step')) >= 1;
    }));
    const at = await page.getByTestId('run-status').textContent();
    await page.getByLabel('Model', { exact: true }).selectOption('tiny16');
    t.diagnostic(`switched to the 16 px model at: ${at}`);
    await waitModel(app, 'tiny16');
    await assertAlive(app, 'choosing the 16 px model mid-run');
    runs = await waitRunDone(app, runs);
    await assertAlive(app, 'the run on the 16 px model');
    assert.equal(await page.getByTestId('frame').count(), 21);

    // A shared link to another model, layer and loss mode, opened in the same tab (a hash change).
    await page.evaluate(() => { location.hash = '#/explore?model=tiny&layer=c1&mode=image&steps=2&backend=wasm'; });
    await waitModel(app, 'tiny');
    runs = await waitRunDone(app, runs);
    await assertAlive(app, 'a link to the 32 px model at c1, image loss');
    assert.match(await page.getByTestId('timing').textContent() ?? '', /tiny @ c1, image loss/);

    if (STYLE_WORLD) {
      // The embedded 64 px model and back, both ways, the second time mid-run.
      await page.getByLabel('Model', { exact: true }).selectOption('style-world');
      await waitModel(app, 'style-world');
      runs = await waitRunDone(app, runs);
      await assertAlive(app, 'choosing style-world (64 px)');
      await page.getByRole('slider', { name: 'm (steps)' }).fill('12');
      await waitUntil(app, 'a long run to start', () => page.evaluate(() => document.querySelector('[data-testid="run-status"]')?.getAttribute('data-state') === 'running'));
      await page.evaluate(() => { location.hash = '#/explore?model=tiny48&steps=1&backend=wasm'; });
      await waitModel(app, 'tiny48');
      runs = await waitRunDone(app, runs);
      await assertAlive(app, 'a link to the 48 px model while style-world runs');
    }
  } finally {
    await app.close();
  }
});
