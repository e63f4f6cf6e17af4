/**
 * advbn bench --train: the median time of one Algorithm-1 training step of the domains head (what
 * `advbn train` on a domains folder runs per batch) on WASM, per kernel set:
 *
 *   train-plain  CE(clean) with the clean BNs in training mode, backward, Adam
 *   train-advbn  m PGD steps on δ (head in eval mode on the auxiliary BNs), then CE(clean) + CE(adv)
 *                (both twins in training mode), backward, Adam
 *
 * The network is the real one (core/domains-model.ts: VGG-19's pretrained layers after --layer, a BN with
 * an auxiliary twin after each convolution, GAP, a linear layer of 7 classes; Adam lr 1e-4, PGD ε 0.5,
 * τ 0.2) on random images of --size px through the frozen encoder (their values do not change the work).
 * Kernel sets (--kernels ours,ours-strict,tfjs: ours as training runs them, i.e. the relaxed-SIMD build where the engine has it; the strict build; tfjs's) are interleaved step by step, and with `--pytorch PYTHON` so is
 * scripts/bench_pytorch_train_step.py (PyTorch's same step, same threads, in a child process that waits
 * on its stdin while ours run), so other load on the machine hits all of them alike.
 * `--profile` adds, per kernel set and mode, where one step goes (tfjs's profiler, per kernel) and the
 * time spent transforming changed filters (our Winograd kernels).
 */
import * as tf from '@tensorflow/tfjs';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { Options, UsageError } from '../args';
import { useNodeBackend } from '../../backend/node/backend-node';
import { DEFAULT_MODEL_DIR, loadVgg, log } from '../vgg';
import { forwardRange, layerIndex, disposeNetwork } from '../../models/network';
import { preprocess } from '../../models/preprocess';
import { buildDomainNetwork, disposeDomainNetwork, headMoments, pretrainedHead } from '../../core/domains-model';
import { createTrainer, disposeTrainer, trainStepOnFeatures, DEFAULT_TRAIN_SETTINGS, type AdvbnTrainSettings, type Trainer } from '../../core/advbn-training';
import { setWasmConvKernels, wasmConvKernels, WASM_CONV_KERNELS, type WasmConvKernels } from '../../backend/kernels/wasm-winograd-conv';
import { relaxedSimdAvailable, setWinogradSimd, winogradSimd } from '../../backend/kernels/winograd-loader';
import { filterTransformStats } from '../../backend/kernels/wasm-winograd-conv';
import { profileKernels, type KernelTime } from './kernel-profile';
import { DOMAIN_DEFAULTS } from './train-domains';

export type TrainMode = 'train-plain' | 'train-advbn';
export interface TrainBenchRow {
  backend: 'wasm' | 'pytorch';
  kernels: WasmConvKernels | 'ours-strict' | 'pytorch';
  mode: TrainMode;
  threads: number;
  layer: string;
  size: number;
  batch: number;
  m: number;
  runs: number;
  median_ms: number;
  min_ms: number;
  /** Median CPU ms per step, all threads of the process. */
  cpu_ms: number;
  ms: number[];
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** PyTorch's step in a child process (scripts/bench_pytorch_train_step.py --serve): one step per request. */
async function startPytorch(python: string, args: string[]): Promise<{ step(mode: 'plain' | 'advbn'): Promise<{ ms: number; cpu_ms: number }>; stop(): void; threads: number }> {
  const script = path.join(process.cwd(), 'scripts', 'bench_pytorch_train_step.py');
  const child = spawn(python, [script, '--serve', ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async () => {
    const r = await lines.next();
    if (r.done) throw new Error(`${script} ended early (exit code ${child.exitCode})`);
    return JSON.parse(r.value) as Record<string, unknown>;
  };
  const ready = await next();
  if (!ready.ready) throw new Error(`${script}: ${JSON.stringify(ready)}`);
  return {
    threads: ready.threads as number,
    async step(mode) {
      child.stdin!.write(mode + '\n');
      const r = await next();
      if (typeof r.ms !== 'number') throw new Error(`${script}: ${JSON.stringify(r)}`);
      return { ms: r.ms, cpu_ms: r.cpu_ms as number };
    },
    stop() { child.stdin!.end(); },
  };
}

type BenchKernels = WasmConvKernels | 'ours-strict';
const BENCH_KERNELS: BenchKernels[] = [...WASM_CONV_KERNELS, 'ours-strict'];

export async function benchTrainCommand(o: Options): Promise<void> {
  const modelDir = o.string('model', DEFAULT_MODEL_DIR);
  const layer = o.string('layer', 'block4_conv1');
  const size = o.integer('size', DOMAIN_DEFAULTS.size);
  const batch = o.integer('batch', DOMAIN_DEFAULTS.batch);
  const m = o.integer('m', DOMAIN_DEFAULTS.pgd.steps);
  const runs = o.integer('runs', 3);
  const json = o.flag('json');
  const profile = o.flag('profile');
  const python = o.optionalString('pytorch');
  const modes = o.string('modes', 'plain,advbn').split(',').map((s) => `train-${s.trim()}` as TrainMode);
  // 'ours' runs our kernels as training does (the relaxed-SIMD build where the engine has it), 'ours-strict' the strict build.
  const kernelSets = o.string('kernels', 'ours,tfjs').split(',') as BenchKernels[];
  o.string('backends', 'wasm'); // training is timed on WASM only
  o.done();
  for (const k of kernelSets) if (!BENCH_KERNELS.includes(k)) throw new UsageError(`--kernels takes ${BENCH_KERNELS.join(', ')}, got "${k}".`);
  for (const md of modes) if (md !== 'train-plain' && md !== 'train-advbn') throw new UsageError(`--modes takes plain and/or advbn, got "${String(md).slice(6)}".`);
  if (runs < 1) throw new UsageError('--runs must be at least 1.');
  if (batch < 2) throw new UsageError('--batch must be at least 2 (BatchNorm in training mode).');
  if (m < 1) throw new UsageError('--m must be at least 1.');

  const info = await useNodeBackend('wasm');
  const kernelsBefore = wasmConvKernels(), simdBefore = winogradSimd();
  const vgg = await loadVgg(modelDir);
  const li = layerIndex(vgg, layer);
  const x = tf.randomUniform([batch, size, size, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
  const f = tf.tidy(() => forwardRange(vgg, preprocess('caffe', x), 0, li + 1));
  x.dispose();
  const moments = await headMoments(pretrainedHead(vgg, layer), [tf.clone(f) as tf.Tensor4D]);
  const net = buildDomainNetwork(vgg, layer, moments, 7, 1);
  const labels = Array.from({ length: batch }, (_, i) => i % 7);
  const settings: AdvbnTrainSettings = {
    ...DEFAULT_TRAIN_SETTINGS, lr: DOMAIN_DEFAULTS.lr, optimizer: 'adam', weightDecay: 0, pgd: { ...DOMAIN_DEFAULTS.pgd, steps: m },
  };
  const trainers = new Map<TrainMode, Trainer>(modes.map((md) => [md, createTrainer(net, layer, 'caffe', { ...settings, advbn: md === 'train-advbn' })]));
  const torch = python
    ? await startPytorch(python, ['--vgg', modelDir, '--layer', layer, '--size', String(size), '--batch', String(batch), '--m', String(m), '--threads', String(info.threads), '--modes', modes.map((md) => md.slice(6)).join(',')])
    : null;
  const cpuNow = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
  let stepNo = 0;
  const step = async (md: TrainMode) => {
    const c0 = cpuNow();
    const r = await trainStepOnFeatures(trainers.get(md)!, f, labels, stepNo++, 1e9);
    return { ms: r.ms, cpu_ms: cpuNow() - c0 };
  };
  const variants: Array<BenchKernels | 'pytorch'> = [...kernelSets, ...(torch ? ['pytorch' as const] : [])];
  const use = (v: BenchKernels) => {
    setWasmConvKernels(v === 'ours-strict' ? 'ours' : v);
    setWinogradSimd(v === 'ours' ? 'relaxed' : 'strict');
  };
  const times = new Map<string, Array<{ ms: number; cpu_ms: number }>>();
  const run = async (v: BenchKernels | 'pytorch', md: TrainMode) => {
    if (v === 'pytorch') return torch!.step(md === 'train-plain' ? 'plain' : 'advbn');
    use(v);
    return step(md);
  };
  if (!json) log(`${info.detail}; VGG-19 head after ${layer}, ${size} px, batch ${batch}, m ${m}; variants ${variants.join(', ')} interleaved, ${runs} timed steps each after a warm-up; ours: ${relaxedSimdAvailable() ? 'relaxed-SIMD build (fused multiply-add)' : 'strict-SIMD build (relaxed SIMD not available here)'}`);
  try {
    for (const md of modes) for (const v of kernelSets) await run(v, md); // warm-up (PyTorch warmed up on start)
    for (let r = 0; r < runs; r++) {
      for (const md of modes) for (const v of variants) {
        const t = await run(v, md);
        const key = `${v} ${md}`;
        times.set(key, [...(times.get(key) ?? []), t]);
        if (!json) log(`  ${md.padEnd(12)} ${v.padEnd(8)} ${Math.round(t.ms)} ms`);
      }
    }
    const rows: TrainBenchRow[] = [];
    for (const md of modes) for (const v of variants) {
      const t = times.get(`${v} ${md}`)!;
      rows.push({
        backend: v === 'pytorch' ? 'pytorch' : 'wasm', kernels: v, mode: md, threads: v === 'pytorch' ? torch!.threads : info.threads,
        layer, size, batch, m, runs: t.length, median_ms: Math.round(median(t.map((s) => s.ms))), min_ms: Math.round(Math.min(...t.map((s) => s.ms))),
        cpu_ms: Math.round(median(t.map((s) => s.cpu_ms))), ms: t.map((s) => Math.round(s.ms)),
      });
    }
    const ratios = rows.filter((r) => r.backend === 'wasm').flatMap((r) => {
      const p = rows.find((q) => q.backend === 'pytorch' && q.mode === r.mode);
      return p ? [`${r.mode}: ${r.kernels} ${r.median_ms} ms ÷ PyTorch ${p.median_ms} ms = ${(r.median_ms / p.median_ms).toFixed(2)}`] : [];
    });
    const profiles: Array<{ kernels: BenchKernels; mode: TrainMode; byKernel: KernelTime[]; top: KernelTime[]; filterTransforms: { calls: number; ms: number } }> = [];
    if (profile) {
      for (const v of kernelSets) for (const md of modes) {
        use(v);
        const before = { ...filterTransformStats };
        const top = await profileKernels(async () => { await step(md); }, 25, false);
        const byKernel = await profileKernels(async () => { await step(md); }, 40, true);
        const ft = { calls: (filterTransformStats.calls - before.calls) / 2, ms: Math.round((filterTransformStats.ms - before.ms) / 2) };
        profiles.push({ kernels: v, mode: md, byKernel, top, filterTransforms: ft });
      }
    }
    if (json) {
      process.stdout.write(JSON.stringify({ model: modelDir, layer, size, batch, m, runs, threads: info.threads, rows, ratios, ...(profile ? { profiles } : {}) }, null, 2) + '\n');
    } else {
      log(`\n  mode          kernels   threads  ms/step (median)  min  CPU ms/step`);
      for (const r of rows) log(`  ${r.mode.padEnd(13)} ${r.kernels.padEnd(9)} ${String(r.threads).padStart(7)} ${String(r.median_ms).padStart(17)} ${String(r.min_ms).padStart(5)} ${String(r.cpu_ms).padStart(12)}`);
      for (const line of ratios) log(line);
      for (const p of profiles) {
        log(`\n  where one ${p.mode} step goes (kernels ${p.kernels}; tfjs profiler, per kernel; filter transforms ${p.filterTransforms.calls} calls, ${p.filterTransforms.ms} ms, inside Conv2D/Conv2DBackpropInput):`);
        for (const k of p.byKernel) log(`    ${k.kernel.padEnd(24)} ×${String(k.calls).padEnd(4)} ${String(k.ms).padStart(7)} ms ${String(k.share).padStart(5)} %`);
        log(`   by kernel and shape, top ${p.top.length}:`);
        for (const k of p.top) log(`    ${k.kernel.padEnd(24)} ${k.shape.padEnd(18)} ×${String(k.calls).padEnd(4)} ${String(k.ms).padStart(7)} ms ${String(k.share).padStart(5)} %`);
      }
    }
  } finally {
    torch?.stop();
    setWasmConvKernels(kernelsBefore);
    setWinogradSimd(simdBefore);
    for (const t of trainers.values()) disposeTrainer(t);
    disposeDomainNetwork(net);
    disposeNetwork(vgg);
    f.dispose();
  }
}
