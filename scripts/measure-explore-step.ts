// The Explore page's own ms per PGD step (its "ms per step" readout) on VGG-19 with WASM in headless Chromium,
// to compare with `advbn bench --modes feature` on the same machine (issue 25). Not a test: prints JSON.
//   node --import tsx scripts/measure-explore-step.ts --photo PATH [--layer block4_conv1] [--mode feature] [--steps 6] [--again 2]
// The first run is cold (filter transforms, first kernel calls); then "Run again" is pressed --again times.
// bench times a warm step with its backward pass and update, so the figure to compare is warm_median_ms: the
// median over the warm runs' steps 0 … m − 1 (the last report, the state after the m-th update, is a forward
// pass only).
// Needs VGG-19 served from models/vgg19-imagenet-tfjs (a git-ignored link to ../shared).
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { openApp, stopServer } from '../e2e/harness';

const arg = (name: string, def = '') => { const i = process.argv.indexOf(`--${name}`); return i >= 0 ? process.argv[i + 1]! : def; };
const photo = arg('photo');
const layer = arg('layer', 'block4_conv1');
const mode = arg('mode', 'feature');
const steps = arg('steps', '6');
const again = Number(arg('again', '2'));
if (!photo || !existsSync(photo)) throw new Error(`--photo: give an image file (got "${photo}")`);
if (!existsSync('models/vgg19-imagenet-tfjs/model.json')) throw new Error('models/vgg19-imagenet-tfjs/model.json is missing: link ../shared/models/vgg19-imagenet-tfjs there');

const app = await openApp(`#/explore?model=vgg19&backend=wasm&layer=${layer}&mode=${mode}&steps=${steps}`, { timeoutMs: 1_800_000 });
const { page } = app;
try {
  await page.locator('[data-testid="model-status"][data-loaded="1"]').waitFor();
  await page.getByLabel('Image file').setInputFiles(photo);
  await page.getByText(basename(photo).slice(-20)).first().waitFor();
  const done = `document.querySelector('[data-testid="run-status"]')?.getAttribute('data-state') === 'done'`;
  const readMs = async () => [...((await page.getByTestId('step-ms').textContent()) ?? '').matchAll(/\d+/g)].map((m) => Number(m[0]));
  await page.waitForFunction(done, undefined, { timeout: 1_800_000 });
  const runs = [await readMs()];
  // The page's own main-thread work during the warm runs (React, charts, canvases): CPU the step cannot have on a small machine.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const metric = async () => Object.fromEntries(((await cdp.send('Performance.getMetrics')) as { metrics: Array<{ name: string; value: number }> }).metrics.map((m) => [m.name, m.value]));
  const m0 = await metric();
  const w0 = performance.now();
  for (let i = 0; i < again; i++) {
    await page.getByRole('button', { name: 'Run again' }).click();
    await page.waitForFunction(`!(${done})`, undefined, { timeout: 60_000 }).catch(() => undefined); // may already be done
    await page.waitForFunction(done, undefined, { timeout: 1_800_000 });
    runs.push(await readMs());
  }
  const m1 = await metric();
  const mainThread = { wall_ms: Math.round(performance.now() - w0), task_ms: Math.round(1000 * (m1.TaskDuration! - m0.TaskDuration!)), script_ms: Math.round(1000 * (m1.ScriptDuration! - m0.ScriptDuration!)), layout_ms: Math.round(1000 * (m1.LayoutDuration! - m0.LayoutDuration! + m1.RecalcStyleDuration! - m0.RecalcStyleDuration!)) };
  const median = (xs: number[]) => { const s = xs.slice().sort((a, b) => a - b); return s.length ? s[Math.floor(s.length / 2)]! : null; };
  const warmSteps = runs.slice(1).flatMap((r) => r.slice(0, -1));
  const threads = await page.evaluate(() => navigator.hardwareConcurrency);
  process.stdout.write(JSON.stringify({ layer, mode, steps: Number(steps), hardwareConcurrency: threads, runs_step_ms: runs, cold_median_ms: median(runs[0]!), warm_median_ms: median(warmSteps), main_thread_during_warm_runs: mainThread }) + '\n');
} finally {
  await app.close();
  await stopServer();
}
