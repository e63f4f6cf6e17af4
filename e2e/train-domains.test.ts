/**
 * The Train page's domains comparison end to end, on a domains folder drawn by code (the style world's
 * shapes in training styles as "photo", held-out style families as other domains; never PACS) and the
 * real VGG-19 (skipped without it): pick the folder, run plain / AdvBN / random δ over 2 seeds, read the
 * table (every set, the BN branch of every column), the verdicts and the timing; a strength sweep draws
 * its curves from cached features; a bad folder then shows what was wrong while the results stay.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdtempSync, renameSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openApp, stopServer, VGG19_DIR, vggBrowserSkipReason } from './harness';
import { writeDomainsFixture } from '../src/testing/domains-fixture';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
const VGG_DIR = VGG19_DIR;
const LINK = resolve(ROOT, 'models/vgg19-imagenet-tfjs');

const skip = vggBrowserSkipReason();

after(stopServer);

test('Train page: a domains folder — plain vs AdvBN vs the controls on VGG-19 over 2 seeds, table with branches and bootstrap intervals, verdicts; a bad folder keeps the results', { skip: skip ?? false, timeout: 900_000 }, async () => {
  let linked = true;
  try { lstatSync(LINK); } catch { linked = false; }
  if (!linked) symlinkSync(VGG_DIR, LINK, 'dir');
  const dir = mkdtempSync(join(tmpdir(), 'advbn-domains-e2e-'));
  const good = join(dir, 'shapes');
  const bad = join(dir, 'broken');
  writeDomainsFixture(good, 3);
  writeDomainsFixture(bad, 1, { photo: ['flat'], sketch: ['sketch'] });
  const cls = readdirSync(join(bad, 'sketch'))[0]!;
  renameSync(join(bad, 'sketch', cls), join(bad, 'sketch', 'zebra'));
  const app = await openApp('#/train?data=domains&dSize=32&dTestSize=0&dEpochs=1&batchSize=8&seeds=2&dM=1&dEps=0.3&dLayer=block5_conv1', { timeoutMs: 400_000 });
  try {
    const page = app.page;
    await page.getByLabel('Backend').selectOption('wasm');
    await page.getByTestId('backend').filter({ hasText: 'tfjs backend: wasm' }).waitFor();
    await page.getByLabel('Domains split layer').filter({ has: page.locator('option[value="block4_conv1"]') }).waitFor({ timeout: 300_000 });
    await page.getByLabel('Domains folder').setInputFiles(good);
    await page.getByTestId('domains-summary').filter({ hasText: 'shapes: neon (30), photo (30), sketch (30); 10 classes' }).waitFor();
    assert.equal(await page.getByLabel('Source domain').inputValue(), 'photo');
    await page.getByTestId('domains-start').click();
    await page.locator('[data-testid="domains-state"][data-state="done"]').waitFor({ timeout: 600_000 });
    const table = page.getByTestId('domains-table');
    for (const set of ['source-val', 'neon', 'sketch', 'mean target']) assert.equal(await table.locator(`tr[data-set="${set}"]`).count(), 1, set);
    const head = await table.locator('thead').innerText();
    assert.match(head, /plain[\s\S]*advbn[\s\S]*rule: clean BNs on source-val, auxiliary BNs on targets[\s\S]*random-uniform[\s\S]*random-matched[\s\S]*mixstyle[\s\S]*dsu/);
    assert.match(head, /Δ advbn[\s\S]*Δ random-uniform[\s\S]*Δ random-matched[\s\S]*Δ mixstyle[\s\S]*Δ dsu/);
    const cells = await table.locator('tr[data-set="sketch"] td').allInnerTexts();
    assert.equal(cells.length, 11);
    for (const c of cells.slice(0, 6)) assert.match(c, /^\d+(\.\d)? ± \d+(\.\d)?$/, `mean ± std over 2 seeds: "${c}"`);
    for (const c of cells.slice(6)) assert.match(c, /^[+−]\d+\.\d \[[+−]\d+\.\d, [+−]\d+\.\d\]$/, `Δ [95 % interval]: "${c}"`);
    assert.equal(await page.getByTestId('domains-verdict').count(), 10);
    assert.match(await page.getByTestId('domains-verdict').first().innerText(), /AdvBN vs plain, mean target accuracy: [+−]\d+\.\d \[[+−]\d+\.\d, [+−]\d+\.\d\] points/);
    assert.equal(await page.getByTestId('domains-branches').locator('tr[data-set="neon"] td').count(), 13);
    assert.match(await page.getByTestId('domains-timing').innerText(), /features computed for 90 images/);
    await page.getByTestId('domains-divergence').waitFor();
    // No VGG-19 decoder at block5_conv1: the page says where the decoded training batch can be seen.
    assert.match(await page.getByTestId('domains-batch-none').innerText(), /split at a layer with one \(.*block4_conv1.*\) to see it/);
    if (process.env.ADVBN_SCREENSHOT_DOMAINS) await page.screenshot({ path: process.env.ADVBN_SCREENSHOT_DOMAINS, fullPage: true });

    // The strength sweep (Figure 4) on the same folder: features now come from this browser's cache.
    await page.getByLabel('Strength sweep').check();
    await page.getByLabel('Sweep m values').fill('0,1,2');
    await page.getByLabel('Domains seeds').fill('1');
    await page.getByTestId('domains-start').click();
    await page.locator('[data-testid="domains-state"][data-state="done"]').waitFor({ timeout: 600_000 });
    const chart = page.getByTestId('domains-sweep-chart');
    for (const set of ['source-val', 'neon', 'sketch', 'mean target']) assert.equal(await chart.locator(`g[data-set="${set}"] polyline`).count(), 1, set);
    assert.deepEqual((await page.getByTestId('domains-table').locator('thead th').allInnerTexts()).map((t) => t.split('\n')[0]), ['test set', 'plain', 'm1', 'm2', 'Δ m1', 'Δ m2']);
    assert.match(await page.getByTestId('domains-timing').innerText(), /features all from this browser's cache/);
    assert.match(await page.evaluate(() => location.hash), /dSweep=0%2C1%2C2/);

    await page.getByLabel('Domains folder').setInputFiles(bad);
    await page.getByTestId('domains-error').filter({ hasText: 'the domains do not share their classes (photo lacks zebra' }).waitFor();
    assert.equal(await page.getByTestId('domains-table').count(), 1, 'the earlier results stay');
    assert.deepEqual(app.errors, []);
  } finally {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
    if (!linked) rmSync(LINK);
  }
});
