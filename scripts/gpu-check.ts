/**
 * `npm run gpu-check [-- --allow-software-gpu]`: what a machine with a real GPU should run once (≤ 5 min):
 *
 *  1. `advbn bench --backends webgpu,wasm`: ms per PGD step on WebGPU and WASM, VGG-19 at block4_conv1,
 *     224 px, feature and image mode, with reads and uploads per step;
 *  2. the agreement cases of src/testing/webgpu-agreement.ts, WebGPU against WASM, at the app's own
 *     sizes (VGG-19 feature mode at block4_conv1 224 px, the encoder, the style world's image mode and
 *     Algorithm 1, fc1's whole 25088 × 4096 kernel under WebGPU's default 128 MiB binding limit), judged
 *     by src/testing/agreement-checks.ts (what CI judges on SwiftShader at smaller sizes);
 *  3. the PyTorch decoder trainer's throughput with --device cuda (scripts/train_decoder.py, 60 steps
 *     at 96 px, batch 8, feature loss 0.5); skipped with the reason where PyTorch sees no CUDA.
 *
 * Then one short table. A software adapter (SwiftShader, lavapipe) is refused unless
 * --allow-software-gpu is given: then it is a smoke test of this script on a small configuration (bench's
 * software defaults: block5_conv3, feature mode, one step; the style-world agreement cases), and the
 * table says so. Exit status: 0 all ran and agree, 1 a disagreement or a failed part, 2 refused.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { registerNodeWebGpu, WebGpuUnavailable } from '../src/backend/node/webgpu-node';
import { findSoftwareVulkan } from '../src/backend/node/software-vulkan';
import { ALLOW_SOFTWARE_GPU_ENV } from '../src/backend/node/backend-node';
import { softwareGpuEnv } from '../src/testing/software-gpu';
import { agreementProblems } from '../src/testing/agreement-checks';
import type { AgreementOutput } from '../src/testing/webgpu-agreement';
import type { BenchRow } from '../src/cli/commands/bench';
import { IMAGENET_DIR, VGG19_DIR } from '../src/testing/shared-data';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
const PYTHON = process.env.ADVBN_PYTHON ?? '/usr/bin/python3';
const allowSoftware = process.argv.includes('--allow-software-gpu') || process.env[ALLOW_SOFTWARE_GPU_ENV] === '1';
const unknown = process.argv.slice(2).filter((a) => a !== '--allow-software-gpu');
if (unknown.length) {
  process.stderr.write(`gpu-check: unknown argument(s) ${unknown.join(' ')} (it takes --allow-software-gpu only)\n`);
  process.exit(2);
}

const t0 = performance.now();
const log = (s: string) => process.stderr.write(s + '\n');
const secs = (since: number) => Math.round((performance.now() - since) / 1000);

/** The adapter the children will run on and their environment, or why the check is refused. */
async function pickAdapter(): Promise<{ adapter: string; software: boolean; env: NodeJS.ProcessEnv } | { refused: string }> {
  try {
    const gpu = await registerNodeWebGpu(undefined, { allowSoftware: true });
    if (!gpu.software) return { adapter: gpu.adapter, software: false, env: process.env };
    if (!allowSoftware) return { refused: `only a software adapter is here (${gpu.adapter}: ${gpu.software}); gpu-check measures a GPU. --allow-software-gpu runs it anyway as a smoke test` };
    return { adapter: gpu.adapter, software: true, env: { ...process.env, [ALLOW_SOFTWARE_GPU_ENV]: '1' } };
  } catch (e) {
    if (!(e instanceof WebGpuUnavailable)) throw e;
    if (!allowSoftware) return { refused: `${e.message}; --allow-software-gpu runs on SwiftShader as a smoke test` };
    if (!findSoftwareVulkan()) return { refused: `${e.message}, and no SwiftShader Vulkan driver (Debian's chromium-common) for a smoke test` };
    return { adapter: 'SwiftShader (Vulkan driver of chromium-common)', software: true, env: softwareGpuEnv() };
  }
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutS: number): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd: ROOT, env, encoding: 'utf8', timeout: timeoutS * 1000, maxBuffer: 256 << 20 });
}

function failure(r: SpawnSyncReturns<string>): string {
  return `exit ${r.status}${r.signal ? ` (${r.signal}${r.signal === 'SIGTERM' ? ', timed out' : ''})` : ''}: ${(r.stderr || r.error?.message || '').trim().split('\n').slice(-3).join(' | ')}`;
}

interface Line { what: string; webgpu: string; wasm: string; verdict: string }
const table: Line[] = [];
let failed = false;

function bench(env: NodeJS.ProcessEnv, software: boolean): void {
  const t = performance.now();
  log('1/3 advbn bench --backends webgpu,wasm …');
  // A GPU machine: the app's default split, feature and image mode, 2 timed steps each (WASM's image
  // mode is the longest part), both kernels of the conv transpose on WebGPU (core/webgpu-flags.ts);
  // a software adapter: bench's own small defaults.
  const args = ['bin/advbn.mjs', 'bench', '--backends', 'webgpu,wasm', '--json', ...(software ? [] : ['--runs', '2', '--conv-transpose', 'naive,matmul'])];
  const r = run(process.execPath, args, env, 240);
  if (r.status !== 0) {
    failed = true;
    table.push({ what: 'bench', webgpu: '', wasm: '', verdict: `failed, ${failure(r)}` });
    return;
  }
  const out = JSON.parse(r.stdout) as { rows: BenchRow[]; unavailable: Array<{ backend: string; reason: string }>; layer: string };
  for (const u of out.unavailable) {
    failed = true;
    table.push({ what: `bench ${u.backend}`, webgpu: '', wasm: '', verdict: u.reason });
  }
  for (const mode of ['feature', 'image']) {
    const w = out.rows.find((x) => x.backend === 'wasm' && x.mode === mode);
    for (const g of out.rows.filter((x) => x.backend === 'webgpu' && x.mode === mode)) {
      table.push({
        what: `PGD step, ${mode} @ ${out.layer}, transpose ${g.conv_transpose}`, webgpu: `${g.median_ms} ms`, wasm: w ? `${w.median_ms} ms` : '—',
        verdict: `${w ? `webgpu ÷ wasm ${(g.median_ms / w.median_ms).toFixed(2)}; ` : ''}webgpu reads ${g.reads_per_step}, uploads ${g.uploads_per_step} (${g.upload_bytes_per_step} B) a step, ${g.warmup_upload_mb} MB in the warm-up step (weights)`,
      });
    }
  }
  log(`    ${secs(t)} s`);
}

function agreement(env: NodeJS.ProcessEnv, software: boolean): void {
  const t = performance.now();
  // Each group runs in one child (shaders and weights shared); binding-limit must be its process's first case.
  const groups: Array<{ cases: string[]; env?: NodeJS.ProcessEnv }> = software
    ? [{ cases: ['style-image', 'style-train'] }]
    : [
      { cases: ['vgg-feature:block4_conv1', 'vgg-encoder', 'style-image', 'style-train'] },
      { cases: ['binding-limit:25088'], env: { ADVBN_TEST_MAX_BINDING: String(128 * 2 ** 20) } },
    ];
  log(`2/3 agreement WebGPU vs WASM: ${groups.flatMap((g) => g.cases).join(', ')} …`);
  for (const g of groups) {
    const r = run(process.execPath, ['--import', 'tsx', 'src/testing/webgpu-agreement.ts', ...g.cases], { ...env, ...g.env }, 180);
    const outs = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as AgreementOutput);
    for (const name of g.cases) {
      const o = outs.find((x) => x.case === name.split(':')[0]);
      if (!o) {
        failed = true;
        table.push({ what: `agreement ${name}`, webgpu: '', wasm: '', verdict: `did not run, ${failure(r)}` });
        continue;
      }
      const problems = agreementProblems(o);
      if (problems.length) failed = true;
      const s = (b: string) => `${o.results.find((x) => x.backend === b)?.seconds ?? '?'} s`;
      table.push({ what: `agreement ${name}`, webgpu: s('webgpu'), wasm: s('wasm'), verdict: problems.length ? `DIFFERS: ${problems.join('; ')}` : 'agrees' });
    }
  }
  if (software) table.push({ what: 'agreement, VGG-19 cases', webgpu: '', wasm: '', verdict: 'not run on a software adapter (minutes a step; CI runs them at block5_conv3)' });
  log(`    ${secs(t)} s`);
}

function trainer(): void {
  const t = performance.now();
  log('3/3 scripts/train_decoder.py --device cuda …');
  const what = 'decoder trainer (PyTorch, cuda)';
  const probe = run(PYTHON, ['-c', 'import torch; print(torch.cuda.is_available() and torch.cuda.get_device_name(0) or "")'], process.env, 120);
  if (probe.status !== 0) {
    table.push({ what, webgpu: '', wasm: '', verdict: `skipped: PyTorch not importable by ${PYTHON}` });
    return;
  }
  const device = probe.stdout.trim();
  if (!device) {
    table.push({ what, webgpu: '', wasm: '', verdict: 'skipped: PyTorch sees no CUDA device here' });
    return;
  }
  const out = mkdtempSync(join(tmpdir(), 'advbn-gpu-check-'));
  try {
    const r = run(PYTHON, ['scripts/train_decoder.py', '--vgg', VGG19_DIR, '--images', IMAGENET_DIR, '--resume', 'models/decoder-block4_conv1',
      '--out', out, '--device', 'cuda', '--size', '96', '--batch', '8', '--feature-loss', '0.5', '--steps', '60', '--minutes', '2',
      '--checkpoint-every', '1000000', '--eval-images', '2'], process.env, 180);
    const rates = [...r.stdout.matchAll(/([\d.]+) crops\/s/g)].map((m) => m[1]);
    if (r.status !== 0 || !rates.length) {
      failed = true;
      table.push({ what, webgpu: '', wasm: '', verdict: `failed, ${failure(r)}` });
    } else {
      table.push({ what, webgpu: '', wasm: '', verdict: `${rates[rates.length - 1]} crops/s on ${device} (block4_conv1, 96 px, batch 8, feature loss 0.5, 60 steps)` });
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  log(`    ${secs(t)} s`);
}

async function main(): Promise<number> {
  const picked = await pickAdapter();
  if ('refused' in picked) {
    log(`gpu-check refused: ${picked.refused}`);
    return 2;
  }
  log(`gpu-check on ${picked.adapter}${picked.software ? ' — software adapter: a smoke test on a small configuration, ratios only' : ''}`);
  bench(picked.env, picked.software);
  agreement(picked.env, picked.software);
  trainer();
  const w = [0, 0, 0].map((_, i) => Math.max(...[['what', 'webgpu', 'wasm'][i]!.length, ...table.map((l) => [l.what, l.webgpu, l.wasm][i]!.length)]));
  const row = (a: string, b: string, c: string, d: string) => `${a.padEnd(w[0]!)}  ${b.padStart(w[1]!)}  ${c.padStart(w[2]!)}  ${d}`;
  const lines = [row('what', 'webgpu', 'wasm', 'result'), ...table.map((l) => row(l.what, l.webgpu, l.wasm, l.verdict))];
  process.stdout.write(`\ngpu-check on ${picked.adapter}${picked.software ? ' (software adapter: smoke test, ratios only)' : ''}\n${lines.join('\n')}\n${failed ? 'NOT OK' : 'ok'} in ${secs(t0)} s\n`);
  return failed ? 1 : 0;
}

main().then((code) => process.exit(code), (e: Error) => {
  process.stderr.write(`gpu-check: ${e.stack ?? e.message}\n`);
  process.exit(1);
});
