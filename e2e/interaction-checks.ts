/**
 * Checks shared by the interaction tests: is the page alive and sane, and waits that fail at once
 * (with the page error) instead of timing out when the page broke while waiting.
 */
import type { Page } from 'playwright-core';

export interface Live { page: Page; errors: string[] }

const STATES = ['idle', 'running', 'done', 'stopped', 'error'];

/**
 * What is wrong with the page now, or null: blank page, a panel showing a render error, a run or
 * model error, an unknown run state, or an image canvas whose size is not the loaded model's input.
 */
export function checkPage(page: Page): Promise<string | null> {
  return page.evaluate((states) => {
    // (No helper functions in here: tsx's __name wrappers do not exist in the page.)
    if (!document.querySelector('.app header')) return `the page is blank (${document.getElementById('root')?.innerHTML.length ?? 0} characters in #root)`;
    const boundary = document.querySelector('[data-testid="view-error"]');
    if (boundary) return `a view failed: ${boundary.textContent?.trim()}`;
    if (document.querySelector('[data-testid="run-error"]')) return `PGD failed: ${document.querySelector('[data-testid="run-error"]')?.textContent}`;
    if (document.querySelector('[data-testid="model-error"]')) return `the model failed to load: ${document.querySelector('[data-testid="model-error"]')?.textContent}`;
    if (document.querySelector('[data-testid="image-worker-error"]')) return `the image failed in the worker: ${document.querySelector('[data-testid="image-worker-error"]')?.textContent}`;
    const status = document.querySelector('[data-testid="run-status"]');
    if (status && !states.includes(status.getAttribute('data-state') ?? '')) return `unknown run state ${status.getAttribute('data-state')}`;
    const ms = document.querySelector('[data-testid="model-status"]');
    const size = Number(ms?.getAttribute('data-input-size'));
    if (ms?.getAttribute('data-loaded') === '1' && size > 0) {
      for (const c of Array.from(document.querySelectorAll<HTMLCanvasElement>('.explore canvas.rgba'))) {
        if (c.width !== size || c.height !== size) return `${c.getAttribute('data-testid')} is ${c.width}×${c.height}, the model's input is ${size}×${size}`;
      }
    }
    return null;
  }, STATES);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `ready` until it holds; throws as soon as the page has an error or fails checkPage. */
export async function waitUntil(app: Live, what: string, ready: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    if (app.errors.length) throw new Error(`page error while waiting for ${what}: ${app.errors.join(' | ')}`);
    const problem = await checkPage(app.page);
    if (problem) throw new Error(`while waiting for ${what}: ${problem}`);
    if (await ready()) return;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

/** Waits until the Model menu shows `id` and that model is loaded. */
export function waitModel(app: Live, id: string, timeoutMs?: number): Promise<void> {
  return waitUntil(app, `model ${id} to load`, () => app.page.evaluate((id) => {
    const sel = document.querySelector<HTMLSelectElement>('select[aria-label="Model"]');
    return sel?.value === id && document.querySelector('[data-testid="model-status"]')?.getAttribute('data-loaded') === '1';
  }, id), timeoutMs);
}

/** Waits until more than `afterRuns` runs finished and the last one is done; returns the count. */
export async function waitRunDone(app: Live, afterRuns: number, timeoutMs?: number): Promise<number> {
  let runs = 0;
  await waitUntil(app, `run ${afterRuns + 1} to finish`, async () => {
    const [state, n] = await app.page.evaluate(() => {
      const el = document.querySelector('[data-testid="run-status"]');
      return [el?.getAttribute('data-state') ?? '', Number(el?.getAttribute('data-runs') ?? 0)] as const;
    });
    runs = n;
    return state === 'done' && n > afterRuns;
  }, timeoutMs);
  return runs;
}
