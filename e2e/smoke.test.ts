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
