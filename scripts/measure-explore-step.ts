// The Explore page's own ms per PGD step (its "ms per step" readout) on VGG-19 with WASM in headless Chromium,
// to compare with `advbn bench --modes feature` on the same machine (issue 25). Not a test: prints JSON.
//   node --import tsx scripts/measure-explore-step.ts --photo PATH [--layer block4_conv1] [--mode feature] [--steps 6]
// Needs VGG-19 served from models/vgg19-imagenet-tfjs (a git-ignored link to ../shared).
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { openApp, stopServer } from '../e2e/harness';

const arg = (name: string, def = '') => { const i = process.argv.indexOf(`--${name}`); return i >= 0 ? process.argv[i + 1]! : def; };
const photo = arg('photo');
const layer = arg('layer', 'block4_conv1');
const mode = arg('mode', 'feature');
const steps = arg('steps', '6');
if (!photo || !existsSync(photo)) throw new Error(`--photo: give an image file (got "${photo}")`);
if (!existsSync('models/vgg19-imagenet-tfjs/model.json')) throw new Error('models/vgg19-imagenet-tfjs/model.json is missing: link ../shared/models/vgg19-imagenet-tfjs there');

const app = await openApp(`#/explore?model=vgg19&backend=wasm&layer=${layer}&mode=${mode}&steps=${steps}`, { timeoutMs: 1_800_000 });
const { page } = app;
try {
  await page.locator('[data-testid="model-status"][data-loaded="1"]').waitFor();
  await page.getByLabel('Image file').setInputFiles(photo);
  await page.getByText(basename(photo).slice(-20)).first().waitFor();
  await page.waitForFunction(`document.querySelector('[data-testid="run-status"]')?.getAttribute('data-state') === 'done'`, undefined, { timeout: 1_800_000 });
  const text = (await page.getByTestId('step-ms').textContent()) ?? '';
  const ms = [...text.matchAll(/\d+/g)].map((m) => Number(m[0]));
  const sorted = ms.slice().sort((a, b) => a - b);
  const threads = await page.evaluate(() => navigator.hardwareConcurrency);
  process.stdout.write(JSON.stringify({ layer, mode, steps: Number(steps), hardwareConcurrency: threads, step_ms: ms, median_ms: sorted[Math.floor(sorted.length / 2)] ?? null }) + '\n');
} finally {
  await app.close();
  await stopServer();
}
