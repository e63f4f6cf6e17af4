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
import { existsSync, lstatSync, rmSync, symlinkSync } from 'node:fs';
import { resolve } from 'node:path';
import { browserSkipReason, openApp, stopServer } from './harness';
import { makePng, TINY_SIZES, writeTinyModelsFolder } from './fixtures';
import { mulberry32, randInt, type Rng } from '../src/common/random';
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
    // (Tiny runs are quick: if the run ended between two looks, the switch comes after it instead.)
    await waitUntil(app, 'the first steps of a long run', () => page.evaluate((n) => {
      const el = document.querySelector('[data-testid="run-status"]');
      const state = el?.getAttribute('data-state');
      return (state === 'running' && Number(el?.getAttribute('data-step')) >= 1) || (state === 'done' && Number(el?.getAttribute('data-runs')) > n);
    }, runs));
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

// ---- random sequences ----

/** One thing a person does; returns what it did (for the replay log). */
type Action = (app: Live, r: Rng) => Promise<string>;
interface Weighted { name: string; weight: number; act: Action }

const pickOf = <T,>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

/** A PNG through the file input, or dropped on the image panel (w, h from the sequence's PRNG). */
async function giveImage(app: Live, r: Rng, how: 'file' | 'drop'): Promise<string> {
  const w = randInt(r, 8, 300), h = randInt(r, 8, 300), seed = randInt(r, 0, 9);
  const name = `pattern-${w}x${h}.png`;
  const png = makePng(w, h, seed);
  if (how === 'file') await app.page.getByLabel('Image file').setInputFiles({ name, mimeType: 'image/png', buffer: png });
  else {
    await app.page.evaluate(([b64, name]) => {
      const bytes = Uint8Array.from(atob(b64!), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], name!, { type: 'image/png' }));
      document.querySelector('[data-testid="dropzone"]')?.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, [png.toString('base64'), name]);
  }
  return `${how} ${name}`;
}

/** The models the sequence may use; the link and menu actions pick among them. */
function actions(models: string[], layersOf: (id: string) => string[]): Weighted[] {
  const page = (app: Live) => app.page;
  const onExplore = async (app: Live) => (await page(app).locator('section.explore select[aria-label="Model"]').count()) > 0;
  const slider = (aria: string, values: readonly string[]): Action => async (app, r) => {
    if (!(await onExplore(app))) return 'skip (not on Explore)';
    const v = pickOf(r, values);
    await page(app).getByRole('slider', { name: aria }).fill(v);
    return `${aria} = ${v}`;
  };
  return [
    { name: 'model menu', weight: 6, act: async (app, r) => {
      if (!(await onExplore(app))) return 'skip (not on Explore)';
      const id = pickOf(r, models);
      await page(app).getByLabel('Model', { exact: true }).selectOption(id);
      return `choose model ${id}`;
    } },
    { name: 'link', weight: 6, act: async (app, r) => {
      const id = pickOf(r, models);
      const p = new URLSearchParams({ model: id, backend: pickOf(r, ['wasm', 'wasm', 'cpu']) });
      if (r() < 0.7) p.set('layer', pickOf(r, [...layersOf(id), 'no_such_layer']));
      if (r() < 0.5) p.set('mode', pickOf(r, ['feature', 'image']));
      p.set('steps', pickOf(r, ['0', '1', '2', '3', '12', 'NaN', '-4', '99']));
      if (r() < 0.3) p.set('eps', pickOf(r, ['0.5', '2', 'NaN', '1e9', '']));
      if (r() < 0.3) p.set('tau', pickOf(r, ['0.05', '0.5', 'abc']));
      if (r() < 0.3) p.set('label', pickOf(r, ['-1', '3', '9', '42', '2.5', 'NaN']));
      if (r() < 0.2) p.set('targeted', pickOf(r, ['1', '0', 'maybe']));
      const hash = `#/explore?${p}`;
      await page(app).evaluate((h) => { location.hash = h; }, hash);
      return `open link ${hash}`;
    } },
    { name: 'layer', weight: 4, act: async (app, r) => {
      if (!(await onExplore(app))) return 'skip (not on Explore)';
      const opts = await page(app).locator('select[aria-label="Split layer"] option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
      if (!opts.length) return 'skip (no layers yet)';
      const l = pickOf(r, opts);
      await page(app).getByLabel('Split layer').selectOption(l);
      return `layer ${l}`;
    } },
    { name: 'mode', weight: 4, act: async (app, r) => {
      if (!(await onExplore(app))) return 'skip (not on Explore)';
      const which = pickOf(r, [/features/, /decoded image/]);
      const radio = page(app).getByRole('radio', { name: which });
      if (await radio.isDisabled()) return `skip (${which} disabled)`;
      await radio.check();
      return `loss on ${which.source}`;
    } },
    { name: 'eps', weight: 3, act: slider('ε (epsilon)', ['0', '0.3', '1.1', '2']) },
    { name: 'tau', weight: 3, act: slider('τ (tau, step size)', ['0.01', '0.2', '0.6', '1']) },
    { name: 'steps', weight: 5, act: slider('m (steps)', ['0', '1', '2', '3', '4', '12']) },
    { name: 'label', weight: 3, act: async (app, r) => {
      if (!(await onExplore(app))) return 'skip (not on Explore)';
      const v = pickOf(r, ['', 'seven', 'two', 'circle', 'zzz', '#3', '77', 'tabby']);
      await page(app).getByLabel('Class to attack').fill(v);
      return `class to attack "${v}"`;
    } },
    { name: 'checkbox', weight: 3, act: async (app, r) => {
      if (!(await onExplore(app))) return 'skip (not on Explore)';
      const which = pickOf(r, [/targeted/, /ablation/]);
      await page(app).getByRole('checkbox', { name: which }).click();
      return `toggle ${which.source}`;
    } },
    { name: 'paper defaults', weight: 1, act: async (app) => {
      if (!(await onExplore(app))) return 'skip (not on Explore)';
      await page(app).getByRole('button', { name: 'Paper defaults' }).click();
      return 'paper defaults';
    } },
    { name: 'run again', weight: 3, act: async (app) => {
      const b = page(app).getByRole('button', { name: 'Run again' });
      if (!(await b.count()) || (await b.isDisabled())) return 'skip (Run again not available)';
      await b.click();
      return 'run again';
    } },
    { name: 'stop', weight: 3, act: async (app) => {
      const b = page(app).getByRole('button', { name: 'Stop', exact: true });
      if (!(await b.count()) || (await b.isDisabled())) return 'skip (nothing running)';
      await b.click();
      return 'stop';
    } },
    { name: 'backend', weight: 2, act: async (app, r) => {
      const b = pickOf(r, ['wasm', 'cpu']);
      await page(app).getByLabel('Backend').selectOption(b);
      return `backend ${b}`;
    } },
    { name: 'image', weight: 4, act: async (app, r) => {
      if (!(await onExplore(app))) return 'skip (not on Explore)';
      const how = pickOf(r, ['file', 'drop', 'sample', 'not an image'] as const);
      if (how === 'sample') { await page(app).getByRole('button', { name: 'Sample' }).click(); return 'sample image'; }
      if (how === 'not an image') {
        await page(app).getByLabel('Image file').setInputFiles({ name: 'photo.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('this is text, not a JPEG') });
        return 'file photo.jpg that is not an image';
      }
      return giveImage(app, r, how);
    } },
    { name: 'model + image at once', weight: 2, act: async (app, r) => {
      if (!(await onExplore(app))) return 'skip (not on Explore)';
      const id = pickOf(r, models);
      await page(app).getByLabel('Model', { exact: true }).selectOption(id);
      return `choose model ${id}, then at once ${await giveImage(app, r, 'drop')}`;
    } },
    { name: 'page', weight: 2, act: async (app, r) => {
      const to = pickOf(r, ['Train', 'Explore']);
      await page(app).getByRole('link', { name: to, exact: true }).click();
      return `go to ${to}`;
    } },
    { name: 'wait', weight: 6, act: async (_app, r) => {
      const ms = pickOf(r, [0, 50, 150, 400, 1000]);
      await sleep(ms);
      return `wait ${ms} ms`;
    } },
  ];
}

/** Draws actions by weight. */
function drawAction(r: Rng, list: Weighted[]): Weighted {
  const total = list.reduce((n, a) => n + a.weight, 0);
  let x = r() * total;
  for (const a of list) {
    x -= a.weight;
    if (x < 0) return a;
  }
  return list[list.length - 1]!;
}

/**
 * Plays `count` random actions; after each, the page must be alive and sane. On failure the error
 * names the seed and the whole sequence so far (replay with ADVBN_INTERACTION_SEED).
 */
async function playSequence(app: Live, seed: number, count: number, list: Weighted[], log: string[]): Promise<void> {
  const r = mulberry32(seed);
  let lastCount: string | null = null;
  for (let i = 0; i < count; i++) {
    const a = drawAction(r, list);
    let did: string;
    try {
      did = await a.act(app, r);
    } catch (e) {
      // The control went away or got disabled between looking and clicking (a run ended, a model
      // loaded): a person's click would have missed too. Anything else is a failure.
      if ((e as Error).name !== 'TimeoutError') throw new SequenceError(seed, log, `action ${i + 1} (${a.name}) threw: ${(e as Error).message.split('\n')[0]}`);
      did = `${a.name}: not possible just now (${(e as Error).message.split('\n')[0]})`;
    }
    // The worker's tensor count as last reported (after each finished run), to find a leak's action.
    const count = await app.page.evaluate(() => document.querySelector('[data-testid="tensors"]')?.getAttribute('data-count') ?? null);
    log.push(`${i + 1}. ${did}${count && count !== lastCount ? `  [worker tensors: ${count}]` : ''}`);
    if (count) lastCount = count;
    if (app.errors.length) throw new SequenceError(seed, log, `page error: ${app.errors.join(' | ')}`);
    const problem = await checkPage(app.page);
    if (problem) throw new SequenceError(seed, log, problem);
  }
}

class SequenceError extends Error {
  constructor(seed: number, log: string[], why: string) {
    super(`${why}\nseed ${seed} (replay: ADVBN_INTERACTION_SEED=${seed}); actions:\n${log.join('\n')}`);
  }
}

/** Brings the page back to Explore on `hash` with the sample image, and waits for a finished run. */
async function settle(app: Live, hash: string, model: string, runs: number): Promise<number> {
  await app.page.evaluate((h) => { location.hash = h; }, hash);
  await waitModel(app, model);
  await app.page.getByRole('button', { name: 'Sample' }).click();
  return waitRunDone(app, runs);
}

const tensorCount = async (app: Live) => Number(await app.page.getByTestId('tensors').getAttribute('data-count'));

/** Seeds played one after another in one tab (ADVBN_INTERACTION_SEED replays one). */
const SEEDS = process.env.ADVBN_INTERACTION_SEED ? [Number(process.env.ADVBN_INTERACTION_SEED)] : [20211206, 8, 1234567];
const ACTIONS = Number(process.env.ADVBN_INTERACTION_ACTIONS ?? 150);

test(`random sequences of ${ACTIONS} actions on the tiny models (seeds ${SEEDS.join(', ')})`, { skip: skip ?? false, timeout: 420_000 }, async (t) => {
  const app = await openApp('#/explore?backend=wasm&steps=2');
  const log: string[] = [];
  let seed = SEEDS[0]!;
  try {
    await app.page.getByTestId('backend').filter({ hasText: 'tfjs backend: wasm' }).waitFor();
    await pickFolder(app);
    // Actions give up after 3 s (see playSequence); the waits below have their own limits.
    app.page.setDefaultTimeout(3000);
    const start = '#/explore?model=tiny&backend=wasm&steps=2';
    let runs = await settle(app, start, 'tiny', 0);
    const first = await tensorCount(app);
    assert.ok(first > 0, 'the worker reports its tensor count');

    const models = TINY_SIZES.map((m) => m.id).concat(STYLE_WORLD ? ['style-world'] : []);
    const layersOf = (id: string) => (id === 'style-world' ? ['block2_relu1', 'block1_conv1'] : ['c1', 'c2']);
    const t0 = Date.now();
    for (seed of SEEDS) {
      log.length = 0;
      await playSequence(app, seed, ACTIONS, actions(models, layersOf), log);
    }
    const playMs = Date.now() - t0;

    // Back to the first run's view, through another model so that the first one loads afresh (its
    // decoder cache then holds what it held after the first run): the same tensors, none leaked.
    const other = models.find((m) => m !== 'tiny')!;
    await app.page.evaluate((h) => { location.hash = h; }, `#/explore?model=${other}&backend=wasm&steps=1`);
    await waitModel(app, other);
    runs = Number(await app.page.getByTestId('run-status').getAttribute('data-runs'));
    await settle(app, start, 'tiny', runs);
    assert.equal(await tensorCount(app), first, `worker tensors after the sequences (seeds ${SEEDS.join(', ')}) equal those after the first run`);
    t.diagnostic(`seeds ${SEEDS.join(', ')}: ${SEEDS.length} × ${ACTIONS} actions in ${(playMs / 1000).toFixed(1)} s; worker tensors ${first} after the first run and at the end`);
  } catch (e) {
    t.diagnostic(`seed ${seed}; actions played:\n${log.join('\n')}`);
    throw e;
  } finally {
    await app.close();
  }
});

// ---- VGG-19 (when present): the switch of the issue, and a short random sequence ----

const ROOT = resolve(new URL('..', import.meta.url).pathname);
const VGG_DIR = resolve(ROOT, process.env.ADVBN_VGG19_DIR ?? '../shared/models/vgg19-imagenet-tfjs');
const VGG_LINK = resolve(ROOT, 'models/vgg19-imagenet-tfjs');

/** Why the VGG-19 part cannot run, or null; links models/vgg19-imagenet-tfjs when the weights exist (git-ignored). */
function vggSkip(): string | null {
  if (skip) return skip;
  if (!STYLE_WORLD) return 'models/style-world is not there';
  if (!existsSync(`${VGG_LINK}/model.json`)) {
    if (!existsSync(`${VGG_DIR}/model.json`)) return `VGG-19 weights not found at ${VGG_DIR} (set ADVBN_VGG19_DIR)`;
    let present = false;
    try { lstatSync(VGG_LINK); present = true; } catch { /* absent */ }
    if (present) return `${VGG_LINK} exists but has no model.json`;
    symlinkSync(VGG_DIR, VGG_LINK, 'dir');
  }
  return null;
}

const VGG_ACTIONS = Number(process.env.ADVBN_INTERACTION_VGG_ACTIONS ?? 8);

test('VGG-19: chosen in the Model menu after the style-world run, opened by a link in the same tab, a short random sequence', { skip: vggSkip() ?? false, timeout: 600_000 }, async (t) => {
  // As a new user: the app opens on style-world (here with m = 1 to keep VGG-19 runs short).
  const app = await openApp('#/explore?backend=wasm&steps=1', { timeoutMs: 300_000 });
  const { page } = app;
  const log: string[] = [];
  const seed = SEEDS[0]!;
  const slow = 300_000;
  try {
    const t0 = Date.now();
    await waitModel(app, 'style-world', slow);
    let runs = await waitRunDone(app, 0, slow);
    const first = await tensorCount(app);

    await page.getByLabel('Model', { exact: true }).selectOption({ label: 'VGG-19 (ImageNet)' });
    await waitModel(app, 'vgg19', slow);
    runs = await waitRunDone(app, runs, slow);
    await assertAlive(app, 'choosing VGG-19 in the Model menu after a style-world run');
    assert.deepEqual(await page.getByTestId('img-original').evaluate((c: HTMLCanvasElement) => [c.width, c.height]), [224, 224]);
    t.diagnostic(`style-world → VGG-19 by the menu: ${((Date.now() - t0) / 1000).toFixed(0)} s, ${await page.getByTestId('timing').textContent()}`);

    // Back by a link, then a link to VGG-19 at block3_conv1 while style-world runs (hash changes, same tab).
    await page.evaluate(() => { location.hash = '#/explore?model=style-world&backend=wasm&steps=12'; });
    await waitModel(app, 'style-world', slow);
    await waitUntil(app, 'a style-world run', () => page.evaluate(() => document.querySelector('[data-testid="run-status"]')?.getAttribute('data-state') === 'running'), slow);
    await page.evaluate(() => { location.hash = '#/explore?model=vgg19&layer=block3_conv1&backend=wasm&steps=1'; });
    await waitModel(app, 'vgg19', slow);
    runs = await waitRunDone(app, runs, slow);
    await assertAlive(app, 'a link to VGG-19 at block3_conv1 during a style-world run');

    // A short random sequence over both models (feature loss, m ≤ 1).
    const list = actions(['style-world', 'vgg19'], (id) => (id === 'vgg19' ? ['block3_conv1', 'block4_conv1'] : ['block2_relu1']))
      .filter((a) => !['mode', 'paper defaults', 'page', 'backend'].includes(a.name))
      .map((a) => (a.name === 'steps' ? { ...a, act: async (app: Live, r: Rng) => { const v = pickOf(r, ['0', '1']); await app.page.getByRole('slider', { name: 'm (steps)' }).fill(v); return `m (steps) = ${v}`; } } : a))
      .map((a) => (a.name === 'link' ? { ...a, act: async (app: Live, r: Rng) => {
        const hash = pickOf(r, ['#/explore?model=vgg19&layer=block3_conv1&backend=wasm&steps=1', '#/explore?model=style-world&backend=wasm&steps=1', '#/explore?model=vgg19&layer=block4_conv1&backend=wasm&steps=0']);
        await app.page.evaluate((h) => { location.hash = h; }, hash);
        return `open link ${hash}`;
      } } : a));
    page.setDefaultTimeout(3000);
    await playSequence(app, seed, VGG_ACTIONS, list, log);

    // Back to the first view (style-world, sample image): the worker holds what it held after the first run.
    await page.evaluate(() => { location.hash = '#/explore?model=vgg19&layer=block3_conv1&backend=wasm&steps=0'; });
    await waitModel(app, 'vgg19', slow);
    runs = Number(await page.getByTestId('run-status').getAttribute('data-runs'));
    await page.evaluate(() => { location.hash = '#/explore?backend=wasm&steps=1&model=style-world'; });
    await waitModel(app, 'style-world', slow);
    await page.getByRole('button', { name: 'Sample' }).click();
    await waitRunDone(app, runs, slow);
    assert.equal(await tensorCount(app), first, 'worker tensors after the VGG-19 sequence equal those after the first run');
    t.diagnostic(`VGG-19 part (seed ${seed}, ${VGG_ACTIONS} actions): ${((Date.now() - t0) / 1000).toFixed(0)} s in all`);
  } catch (e) {
    t.diagnostic(`seed ${seed}; VGG-19 actions played:\n${log.join('\n')}`);
    throw e;
  } finally {
    await app.close();
  }
});
