import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { browserSkipReason, openApp, stopServer } from './harness';

const skip = browserSkipReason();
after(stopServer);

test('the app loads and reports the tfjs backend it runs', { skip: skip ?? false, timeout: 180_000 }, async () => {
  const app = await openApp('#/explore');
  try {
    const badge = app.page.getByTestId('backend');
    await badge.filter({ hasText: /tfjs backend: (webgpu|webgl|wasm|cpu)/ }).waitFor();
    const backend = await badge.getAttribute('data-backend');
    assert.ok(['webgpu', 'webgl', 'wasm', 'cpu'].includes(backend!), `backend reported: ${backend}`);
    assert.equal(await app.page.getByRole('heading', { name: 'AdvBN Studio' }).count(), 1);
    assert.deepEqual(app.errors, []);
  } finally {
    await app.close();
  }
});

test('the user can switch the backend to WASM', { skip: skip ?? false, timeout: 180_000 }, async () => {
  const app = await openApp('#/explore');
  try {
    await app.page.getByLabel('Backend').selectOption('wasm');
    await app.page.getByTestId('backend').filter({ hasText: 'tfjs backend: wasm' }).waitFor();
  } finally {
    await app.close();
  }
});

test('auto leaves a software GPU out and runs WASM on every core (cross-origin isolated)', { skip: skip ?? false, timeout: 180_000 }, async (t) => {
  const app = await openApp('#/explore');
  try {
    const { page } = app;
    assert.equal(await page.evaluate(() => globalThis.crossOriginIsolated), true, 'the dev server sends COOP/COEP');
    const why = page.getByTestId('backend-why');
    await why.waitFor();
    const text = (await why.textContent()) ?? '';
    const backend = await page.getByTestId('backend').getAttribute('data-backend');
    const gpu = await page.evaluate(async () => {
      const nav = navigator as unknown as { gpu?: { requestAdapter(): Promise<{ info?: { architecture?: string; vendor?: string } } | null> } };
      const a = await nav.gpu?.requestAdapter();
      return a ? `${a.info?.vendor ?? ''} ${a.info?.architecture ?? ''}` : null;
    });
    if (gpu && !/swiftshader|llvmpipe|lavapipe/i.test(gpu)) {
      t.skip(`this browser has a hardware WebGPU adapter (${gpu}); auto ran ${backend}: ${text}`);
      return;
    }
    assert.equal(backend, 'wasm', `auto ran ${backend}: ${text}`);
    const cores = await page.evaluate(() => Math.min(8, navigator.hardwareConcurrency));
    assert.match(text, new RegExp(`no hardware GPU: WASM, ${cores} threads?, Winograd convolutions on ${cores} threads?$`), text);
  } finally {
    await app.close();
  }
});

test('first view: the style-world model on its own sample — correct clean top-1, a recognisable reconstruction, AdvBN flips the prediction', { skip: skip ?? false, timeout: 300_000 }, async () => {
  const app = await openApp('#/explore?backend=wasm', { timeoutMs: 240_000 });
  try {
    const page = app.page;
    await page.locator('[data-testid="run-status"][data-state="done"]').waitFor();
    const name = (await page.getByTestId('source-name').textContent())!;
    const shape = /a (\w+) in the "\w+" style/.exec(name)?.[1];
    assert.ok(shape, `the sample is a style-world shape: ${name}`);
    const clean = await page.getByTestId('clean-preds').locator('li').first().textContent();
    assert.ok(clean!.startsWith(shape!), `clean top-1 is the drawn shape (${shape}): ${clean}`);
    const psnr = Number(await page.getByTestId('recon-psnr').getAttribute('data-psnr'));
    assert.ok(psnr >= 20, `reconstruction PSNR ${psnr} dB`);
    const adv = await page.getByTestId('adv-preds').locator('li').first().textContent();
    assert.ok(!adv!.startsWith(shape!), `AdvBN changes the prediction: ${adv}`);
    // "Next sample" shows another of the model's samples.
    await page.getByTestId('sample-button').click();
    await page.getByTestId('source-name').filter({ hasNotText: name }).waitFor();
    assert.deepEqual(app.errors, []);
  } finally {
    await app.close();
  }
});
