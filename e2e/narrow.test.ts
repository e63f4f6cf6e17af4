/**
 * A phone (390 × 844): neither page scrolls sideways — the header's backend text and menu, the long
 * published file names — and on Explore the picture and the prediction come first: the first result
 * is within one screen of scrolling after the image.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { browserSkipReason, openApp, stopServer } from './harness';

const skip = browserSkipReason();
const PHONE = { width: 390, height: 844 };
after(stopServer);

/** The page's scroll width and the elements wider than the viewport (for the message). */
async function sideways(page: Page): Promise<{ scrollWidth: number; culprits: string[] }> {
  return page.evaluate(() => {
    const w = document.documentElement.clientWidth;
    const culprits = [...document.querySelectorAll('body *')]
      .filter((el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.right > w + 1; })
      .slice(0, 5).map((el) => `${el.tagName.toLowerCase()}.${(el as HTMLElement).className || ''}[${(el as HTMLElement).dataset.testid ?? ''}] right=${Math.round(el.getBoundingClientRect().right)}`);
    return { scrollWidth: document.documentElement.scrollWidth, culprits };
  });
}

test('390 px wide: no sideways scroll on Explore or Train; the picture and the first result within one screen', { skip: skip ?? false, timeout: 300_000 }, async () => {
  const app = await openApp('#/explore?backend=wasm&steps=2', { viewport: PHONE, timeoutMs: 200_000 });
  const { page } = app;
  try {
    await page.locator('[data-testid="run-status"][data-state="done"]').waitFor();
    const ex = await sideways(page);
    assert.ok(ex.scrollWidth <= PHONE.width, `Explore scrolls sideways: scroll width ${ex.scrollWidth} px; ${ex.culprits.join('; ')}`);
    // (No named functions inside evaluate: tsx would wrap them in a helper the page does not have.)
    const top = await page.evaluate(() => {
      const image = document.querySelector('[data-testid="source-preview"]')!.getBoundingClientRect();
      const result = document.querySelector('[data-testid="clean-preds"]')!.getBoundingClientRect();
      return { image: image.top + scrollY, imageBottom: image.bottom + scrollY, result: result.top + scrollY };
    });
    assert.ok(top.image < PHONE.height, `the picture starts on the first screen (at ${Math.round(top.image)} px)`);
    assert.ok(top.result - top.imageBottom < PHONE.height, `the first result is ${Math.round(top.result - top.imageBottom)} px below the picture (one screen: ${PHONE.height})`);

    await page.locator('a[href="#/train"]').first().click();
    await page.getByTestId('start').waitFor();
    const tr = await sideways(page);
    assert.ok(tr.scrollWidth <= PHONE.width, `Train scrolls sideways: scroll width ${tr.scrollWidth} px; ${tr.culprits.join('; ')}`);
    assert.deepEqual(app.errors, []);
  } finally {
    await app.close();
  }
});
