/**
 * The Explore page's strength sweep on the embedded style-world model (a fresh clone has it): from a
 * link, cells appear one by one, a curve of p against ε, a PNG export; Cancel stops a long sweep. Then
 * the shifts side by side (AdvBN, random δ, AdaIN to a dropped image, a corruption) and their sentence.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { browserSkipReason, openApp, stopServer } from './harness';

const skip = browserSkipReason();
after(stopServer);

const sweepState = (state: string) => `document.querySelector('[data-testid="sweep"]')?.getAttribute('data-state') === '${state}'`;

test('strength sweep: from a link, progressive cells with p under each, a curve, a PNG; Cancel stops it; then shifts side by side', { skip: skip ?? false, timeout: 420_000 }, async () => {
  const app = await openApp('#/explore?backend=wasm&steps=2&draws=2&sweep=grid&sweepEps=0,0.5,1.1');
  try {
    const { page } = app;
    await page.waitForFunction(sweepState('done'));
    const cells = page.getByTestId('sweep-cell');
    assert.equal(await cells.count(), 3);
    const ps = await cells.evaluateAll((els) => els.map((e) => [Number(e.getAttribute('data-p')), Number(e.getAttribute('data-random-p'))]));
    for (const [p, r] of ps) assert.ok(p! >= 0 && p! <= 1 && r! >= 0 && r! <= 1, `p ${p}, random ${r}`);
    assert.match((await cells.first().textContent()) ?? '', /ε 0 · m 2.*top-1 .*p\(.+\) \d+%.*random δ: \d+%/);
    assert.equal(await page.getByTestId('sweep-curve').locator('[data-testid="sweep-dot"]').count(), 3);
    assert.match(page.url(), /sweep=grid/);
    assert.match(page.url(), /sweepEps=0%2C0\.5%2C1\.1/);

    // One PNG: the row of images with their numbers and the curve.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download sweep PNG' }).click()]);
    const png = readFileSync((await download.path())!);
    assert.deepEqual([...png.subarray(1, 4)].map((b) => String.fromCharCode(b)).join(''), 'PNG');
    const width = png.readUInt32BE(16), height = png.readUInt32BE(20);
    assert.ok(width >= 3 * 96 && height > 96 + 180, `${width}×${height}`);
    assert.match(download.suggestedFilename(), /^advbn-sweep-grid-.*\.png$/);

    // A long sweep (12 strengths at m = 20): cells arrive one by one; Cancel stops it part way.
    await page.evaluate(`window.__cells = []; new MutationObserver(() => window.__cells.push(Number(document.querySelector('[data-testid="sweep"]').getAttribute('data-cells')))).observe(document.querySelector('[data-testid="sweep"]'), { attributes: true, attributeFilter: ['data-cells'] })`);
    await page.getByRole('slider', { name: 'm (steps)' }).fill('20');
    const list = page.getByLabel('Sweep ε list');
    await list.fill(Array.from({ length: 12 }, (_, i) => (0.1 * (i + 1)).toFixed(1)).join(','));
    await list.blur();
    await page.waitForFunction(`${sweepState('running')} && Number(document.querySelector('[data-testid="sweep"]').getAttribute('data-cells')) >= 2`);
    await page.getByRole('button', { name: 'Cancel sweep' }).click();
    await page.waitForFunction(sweepState('stopped'));
    const shown = await cells.count();
    assert.ok(shown >= 2 && shown < 12, `cancelled with ${shown} of 12 cells`);
    const seen = (await page.evaluate('window.__cells')) as number[];
    assert.ok(seen.includes(1) && seen.includes(2), `cells appeared one at a time: ${seen}`);
    assert.match((await page.getByTestId('sweep-status').textContent()) ?? '', new RegExp(`cancelled after ${shown} of 12 strengths`));

    // Shifts side by side: AdvBN, random δ, AdaIN to a dropped style image, a corruption; a sentence from the numbers.
    await page.getByRole('slider', { name: 'm (steps)' }).fill('3');
    await page.getByRole('button', { name: 'Compare shifts' }).click();
    await page.getByLabel('Style image').setInputFiles({ name: 'paint.png', mimeType: 'image/png', buffer: png });
    await page.getByTestId('shift-adain').waitFor();
    await page.waitForFunction(`document.querySelector('[data-testid="shifts"]')?.getAttribute('data-state') === 'done'`);
    const pOf = async (id: string) => Number(await page.getByTestId(id).getAttribute('data-p'));
    const [adv, rnd, adain, corr] = [await pOf('shift-adv'), await pOf('shift-random'), await pOf('shift-adain'), await pOf('shift-corrupted')];
    for (const p of [adv, rnd, adain, corr]) assert.ok(p >= 0 && p <= 1, String(p));
    const sentence = (await page.getByTestId('shifts-summary').textContent()) ?? '';
    assert.ok(sentence.includes(`to ${Math.round(100 * adv)} %`), `${sentence} (adversarial p ${adv})`);
    assert.ok(sentence.includes(`gives ${Math.round(100 * rnd)} ±`), `${sentence} (random p ${rnd})`);
    assert.ok(sentence.includes(`(α 1) gives ${Math.round(100 * adain)} %`), sentence);
    assert.ok(sentence.includes(`noise at severity 3 gives ${Math.round(100 * corr)} %`), sentence);
    await page.getByLabel('Severity').fill('5');
    await page.waitForFunction(`(document.querySelector('[data-testid="shifts-summary"]')?.textContent ?? '').includes('severity 5')`);
    // The shifts' settings are in the link, and a link restores them.
    assert.match(page.url(), /shifts=1/);
    assert.match(page.url(), /severity=5/);
    const link = page.url().replace(/&severity=5/, '&corruption=blur&severity=2&alpha=0.5');
    await page.goto(link);
    await page.waitForFunction(`(document.querySelector('[data-testid="shifts-summary"]')?.textContent ?? '').includes('blur at severity 2')`);
    assert.equal(await page.getByLabel('Corruption').inputValue(), 'blur');
    assert.equal(await page.getByLabel('Style strength α').inputValue(), '0.5');
    assert.deepEqual(app.errors, []);
  } finally {
    await app.close();
  }
});
