/**
 * Issue 28's "Done means", on a fresh-clone-like setup (the repository's models/ without any VGG-19 and
 * without ../shared): `advbn get vgg19 --from torchvision --url <local file server> --sha256 <its hash>`
 * imports a small VGG-shaped fixture (5 blocks, 224 px: scripts/make-get-fixture.py); the dev server then
 * lists it, Explore runs a photo on it, and the Train page's domains mode starts with it (it computes features at the split layer, then Cancel: a
 * full run is the domains e2e's job). Nothing here
 * touches the internet: the "download" comes from http.createServer on 127.0.0.1.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { browserSkipReason, openApp, setPublicDir, stopServer } from './harness';
import { freshClonePublic, makePng, tempFile } from './fixtures';
import { writeDomainsFixture } from '../src/testing/domains-fixture';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
const FIXTURE = readFileSync(join(ROOT, 'src/testing/import-fixtures/tiny-torchvision-vgg5.pth'));
const skip = browserSkipReason();

after(async () => { await setPublicDir(undefined); await stopServer(); });

function advbn(cwd: string, args: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [join(ROOT, 'bin/advbn.mjs'), ...args], { cwd });
    let stderr = '';
    p.stderr.on('data', (d) => { stderr += d; });
    p.on('close', (status) => res({ status, stderr }));
  });
}

test('fresh clone: advbn get vgg19 from a local server → the page lists it, Explore runs a photo on it, the domains mode starts', { skip: skip ?? false, timeout: 400_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'advbn-fresh-'));
  const { models, pub } = freshClonePublic(dir);
  const files = createServer((_req, res) => { res.writeHead(200, { 'Content-Length': String(FIXTURE.byteLength) }); res.end(FIXTURE); });
  await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(files.address() as AddressInfo).port}/vgg19-dcbb9e9d.pth`;
  const sha = createHash('sha256').update(FIXTURE).digest('hex');
  let got: { status: number | null; stderr: string };
  try {
    got = await advbn(dir, ['get', 'vgg19', '--from', 'torchvision', '--url', url, '--sha256', sha, '--out', join(models, 'vgg19-torchvision')]);
  } finally {
    files.close();
  }
  assert.equal(got.status, 0, got.stderr);

  await setPublicDir(pub);
  const app = await openApp('#/explore?backend=wasm&steps=2', { timeoutMs: 200_000 });
  const { page } = app;
  try {
    const menu = page.getByLabel('Model', { exact: true });
    await page.locator('[data-testid="model-status"][data-loaded="1"]').waitFor();
    const option = menu.locator('option[value="vgg19-torchvision"]');
    assert.match(await option.textContent() ?? '', /VGG-19 \(ImageNet, torchvision weights\)/);
    assert.equal(await option.isDisabled(), false);
    await menu.selectOption('vgg19-torchvision');
    await page.locator('[data-testid="model-status"][data-loaded="1"][data-model="vgg19-torchvision"]').waitFor();
    await page.getByLabel('Image file').setInputFiles(tempFile('my-photo.png', makePng(300, 200, 7)));
    await page.getByTestId('source-name').filter({ hasText: 'my-photo.png' }).waitFor();
    // A run on it (the timing line names the model), finished, with its predictions.
    await page.getByTestId('timing').filter({ hasText: 'vgg19-torchvision' }).waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid="run-status"]')?.getAttribute('data-state') === 'done');
    assert.equal(await page.getByTestId('adv-preds').locator('li').count(), 5);

    // The Train page's domains mode offers it and starts.
    const domains = mkdtempSync(join(tmpdir(), 'advbn-fresh-domains-'));
    writeDomainsFixture(join(domains, 'shapes'), 3);
    await page.goto(`${app.url}#/train?data=domains&backend=wasm&dSize=32&dTestSize=0&dEpochs=1&batchSize=8&seeds=1&dM=1&dEps=0.3&dLayer=block4_conv1`);
    await page.getByLabel('VGG model').locator('option[value="vgg19-torchvision"]').waitFor({ state: 'attached' });
    await page.getByLabel('Domains split layer').filter({ has: page.locator('option[value="block4_conv1"]') }).waitFor();
    assert.equal(await page.getByTestId('no-vgg19-train').count(), 0, 'no "missing VGG-19" note once one is there');
    await page.getByLabel('Domains folder').setInputFiles(join(domains, 'shapes'));
    await page.getByTestId('domains-summary').waitFor();
    await page.getByTestId('domains-start').click();
    // Started: the worker took the model and computes features at the split layer, or trains (an error fails).
    const state = page.getByTestId('domains-state');
    await page.waitForFunction(() => /features at the split layer|initialising|training|evaluating/.test(document.querySelector('[data-testid="domains-state"]')?.textContent ?? '')
      || !!document.querySelector('[data-testid="domains-error"]'), undefined, { timeout: 200_000 })
      .catch(async (e: Error) => assert.fail(`${e.message}; domains state: ${await state.innerText()}`));
    if (await page.getByTestId('domains-error').count()) assert.fail(await page.getByTestId('domains-error').innerText());
    assert.equal(await state.getAttribute('data-state'), 'running');
    await page.getByTestId('domains-cancel').click();
    await page.locator('[data-testid="domains-state"][data-state="cancelled"]').waitFor();
    assert.deepEqual(app.errors, []);
  } finally {
    await app.close();
  }
});
