/**
 * advbn bench: the time of one PGD step (forward + backward + δ update) at 224 px on VGG-19, in
 * feature mode (head only) and image mode (decoder + whole classifier), per Node backend.
 * FLOPs are counted from the layer shapes: a step is one forward and one backward pass to the input
 * (≈ 2× the forward FLOPs; no weight gradients are needed for δ).
 *
 * Each backend gets its own table: threads, ms per step, GFLOP/s, and the fraction of that backend's
 * peak on this machine. The peak is measured, not taken from a data sheet: the best GFLOP/s of a
 * 3×3 convolution 28×28×512 → 512 (VGG-19's block4 shape, a large GEMM for XNNPACK / the shaders) on
 * the same backend and threads in the same run, best of 5 after a warm-up. `--profile` adds where one
 * feature-mode step spends its time, per kernel and shape.
 *
 * On WASM, `--kernels tfjs,ours` (the default) times both kernel sets in one run, interleaved step by
 * step so that other load on the machine hits both alike: tfjs's own (XNNPACK) and ours (Winograd
 * F(4×4, 3×3) for the 3×3 convolutions, wasm-winograd-conv.ts, and matrix–vector products for the fc
 * layers, wasm-matvec.ts). Each set gets its own peak and rows; FLOPs are always those of the direct
 * convolution, so Winograd's GFLOP/s (and peak) are effective rates, not multiply-adds done.
 */
import * as tf from '@tensorflow/tfjs';
import { Options, UsageError } from '../args';
import { useNodeBackend, NODE_BACKENDS, type NodeBackend, type NodeBackendInfo } from '../backend-node';
import { WebGpuUnavailable } from '../webgpu-node';
import { DEFAULT_MODEL_DIR, loadDecoderFolder, loadVgg, log } from '../vgg';
import { forwardFlops, layerIndex, split, type Network } from '../../models/network';
import { makeObjective, type LossMode } from '../../core/attack';
import { runPgd } from '../../core/pgd';
import { preprocess } from '../../models/preprocess';
import { setWasmConvKernels, wasmConvKernels, WASM_CONV_KERNELS, type WasmConvKernels } from '../../core/kernels/wasm-winograd-conv';

export interface BenchRow {
  backend: string;
  /** The convolution kernels (WASM only): tfjs's (XNNPACK) or ours (Winograd). */
  kernels?: WasmConvKernels;
  threads: number;
  mode: LossMode;
  layer: string;
  size: number;
  runs: number;
  median_ms: number;
  min_ms: number;
  gflop_per_step: number;
  gflops: number;
  /** gflops ÷ the backend's measured peak (see the module comment). */
  peak_fraction: number;
  /** Median CPU time per step, all threads of the process (load-independent, unlike median_ms). */
  cpu_ms: number;
}

export interface BenchPeak { backend: string; kernels?: WasmConvKernels; threads: number; detail: string; gflops: number; what: string }
export interface KernelTime { kernel: string; shape: string; calls: number; ms: number; share: number }

/** The backend's practical peak: best GFLOP/s of one large 3×3 convolution (see the module comment). */
async function measurePeak(): Promise<{ gflops: number; what: string }> {
  const [h, c] = [28, 512];
  const x = tf.randomNormal([1, h, h, c], 0, 1, 'float32', 1) as tf.Tensor4D;
  const w = tf.randomNormal([3, 3, c, c], 0, 0.05, 'float32', 2) as tf.Tensor4D;
  const flop = 2 * h * h * 9 * c * c;
  let best = Infinity;
  for (let i = 0; i < 6; i++) {
    const t0 = performance.now();
    const y = tf.conv2d(x, w, 1, 'same');
    await y.data();
    y.dispose();
    if (i > 0) best = Math.min(best, performance.now() - t0);
  }
  tf.dispose([x, w]);
  return { gflops: Math.round((flop / 1e9 / (best / 1000)) * 10) / 10, what: `3×3 conv ${h}×${h}×${c}→${c}, best of 5` };
}

/**
 * Where one call of `f` spends its time: tfjs's profiler, summed per kernel and output shape, most
 * expensive first. Kernels that compose others (the project's WASM conv gradients) count as one.
 */
export async function profileKernels(f: () => Promise<void>, top = 15): Promise<KernelTime[]> {
  const info = await tf.profile(async () => { await f(); return []; });
  const sums = new Map<string, KernelTime>();
  let total = 0;
  for (const k of info.kernels) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    total += ms;
    const shape = k.outputShapes.map((s) => (s ? s.join('×') : '?')).join(',');
    const key = `${k.name} ${shape}`;
    const e = sums.get(key) ?? { kernel: k.name, shape, calls: 0, ms: 0, share: 0 };
    e.calls++;
    e.ms += ms;
    sums.set(key, e);
  }
  return [...sums.values()]
    .sort((a, b) => b.ms - a.ms)
    .slice(0, top)
    .map((e) => ({ ...e, ms: Math.round(e.ms), share: Math.round((e.ms / Math.max(total, 1e-9)) * 1000) / 10 }));
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Copies a network's weights onto the current backend (tensors live on the backend that made them). */
function onCurrentBackend(net: Network, data: Map<tf.Tensor, { values: Float32Array; shape: number[] }>): Network {
  const move = <T extends tf.Tensor>(t: T): T => {
    const d = data.get(t)!;
    return tf.tensor(d.values, d.shape) as T;
  };
  return {
    ...net,
    layers: net.layers.map((l) => {
      if (l.kind === 'conv2d') return { ...l, kernel: move(l.kernel), bias: l.bias ? move(l.bias) : null };
      if (l.kind === 'dense') return { ...l, kernel: move(l.kernel), bias: l.bias ? move(l.bias) : null, parts: undefined };
      return l;
    }),
  };
}

async function snapshot(nets: Network[]): Promise<Map<tf.Tensor, { values: Float32Array; shape: number[] }>> {
  const m = new Map<tf.Tensor, { values: Float32Array; shape: number[] }>();
  for (const net of nets) for (const l of net.layers) {
    if (l.kind === 'conv2d' || l.kind === 'dense') {
      for (const t of [l.kernel, l.bias]) if (t) m.set(t, { values: (await t.data()) as Float32Array, shape: t.shape });
    }
  }
  return m;
}

export async function benchCommand(o: Options): Promise<void> {
  const modelDir = o.string('model', DEFAULT_MODEL_DIR);
  const layer = o.string('layer', 'block4_conv1');
  const decoderDir = o.optionalString('decoder') ?? `models/decoder-${layer}`;
  const runs = o.integer('runs', 3);
  const backends = o.string('backends', NODE_BACKENDS.join(',')).split(',') as NodeBackend[];
  const json = o.flag('json');
  const profile = o.flag('profile');
  const modes = o.string('modes', 'feature,image').split(',');
  const kernelSets = o.string('kernels', WASM_CONV_KERNELS.join(',')).split(',') as WasmConvKernels[];
  for (const k of kernelSets) if (!WASM_CONV_KERNELS.includes(k)) throw new UsageError(`--kernels takes ${WASM_CONV_KERNELS.join(' and/or ')}, got "${k}".`);
  for (const m of modes) if (m !== 'feature' && m !== 'image') throw new UsageError(`--modes takes feature and/or image, got "${m}".`);
  o.done();
  for (const b of backends) if (!NODE_BACKENDS.includes(b)) throw new UsageError(`Unknown backend "${b}" (Node has ${NODE_BACKENDS.join(', ')}).`);
  if (runs < 1) throw new UsageError('--runs must be at least 1.');

  await useNodeBackend('wasm');
  const vgg0 = await loadVgg(modelDir);
  let decoder0: Network | null = null;
  try {
    const d = await loadDecoderFolder(decoderDir);
    if (d.manifest.layer === layer) decoder0 = d.net;
  } catch {
    log(`no decoder for ${layer} at ${decoderDir}: image mode is skipped`);
  }
  const weights = await snapshot(decoder0 ? [vgg0, decoder0] : [vgg0]);
  const size = vgg0.inputShape[0];
  const li = layerIndex(vgg0, layer);
  const featShape = (() => {
    const t = tf.tidy(() => split(vgg0, layer).encode(tf.zeros([1, size, size, 3])));
    const s = t.shape.slice(1);
    t.dispose();
    return s;
  })();
  const headFlops = forwardFlops(vgg0, li + 1, vgg0.layers.length, featShape);
  const vggFlops = forwardFlops(vgg0, 0, vgg0.layers.length);
  const decFlops = decoder0 ? forwardFlops(decoder0, 0, decoder0.layers.length, featShape) : 0;
  const rows: BenchRow[] = [];
  const peaks: BenchPeak[] = [];
  const unavailable: Array<{ backend: string; reason: string }> = [];
  const profiles: Array<{ backend: string; kernel_set?: WasmConvKernels; mode: LossMode; kernels: KernelTime[] }> = [];
  for (const backend of backends) {
    let info: NodeBackendInfo;
    try {
      info = await useNodeBackend(backend);
    } catch (e) {
      if (!(e instanceof WebGpuUnavailable)) throw e;
      unavailable.push({ backend, reason: e.message });
      if (!json) log(`\n${backend}: ${e.message}`);
      continue;
    }
    // WASM: one entry per kernel set; other backends have one set of their own.
    const sets: Array<WasmConvKernels | undefined> = backend === 'wasm' ? kernelSets : [undefined];
    const useSet = (k: WasmConvKernels | undefined) => { if (k) setWasmConvKernels(k); };
    const label = (k: WasmConvKernels | undefined) => (k ? ` — ${k === 'ours' ? 'our kernels (Winograd)' : "tfjs's kernels (XNNPACK)"}` : '');
    const setBefore = wasmConvKernels();
    for (const k of sets) {
      useSet(k);
      const peak = await measurePeak();
      peaks.push({ backend, ...(k ? { kernels: k } : {}), threads: info.threads, detail: info.detail, ...peak });
      if (!json) log(`\n${backend}${label(k)} — ${info.detail} — peak ${peak.gflops} GFLOP/s (${peak.what})`);
    }
    if (!json) log(`  mode     kernels threads  ms/step  GFLOP/step  GFLOP/s  of peak  CPU ms/step`);
    const vgg = onCurrentBackend(vgg0, weights);
    const decoder = decoder0 ? onCurrentBackend(decoder0, weights) : null;
    const c = { split: split(vgg, layer), preprocessing: 'caffe' as const };
    const x = tf.randomUniform([1, size, size, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
    const f = tf.tidy(() => c.split.encode(preprocess('caffe', x)));
    for (const mode of ['feature', 'image'] as const) {
      if (!modes.includes(mode) || (mode === 'image' && !decoder)) continue;
      const objective = makeObjective(c, mode, decoder);
      // CPU time of the whole process (all threads) per step: unlike wall time, it does not grow when
      // other programs share the cores, so it compares code on a loaded machine.
      const cpuNow = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
      /** One PGD step (forward + backward + update) from δ = 1: wall and CPU ms. */
      const step = async () => {
        const cpu0 = cpuNow();
        let cpu = 0;
        const { reports, delta } = await runPgd(f, c.split.relu, objective, { labels: [0], targeted: false }, { eps: 1.1, tau: 0.2, steps: 1 }, { images: false }, () => { if (!cpu) cpu = cpuNow() - cpu0; });
        tf.dispose([delta.mu, delta.sigma]);
        return { ms: reports[0]!.ms, cpu };
      };
      const times = new Map<WasmConvKernels | undefined, { ms: number[]; cpu: number[] }>(sets.map((k) => [k, { ms: [], cpu: [] }]));
      for (const k of sets) { useSet(k); await step(); } // warm-up: kernel setup, weight packing / transforms
      for (let r = 0; r < runs; r++) {
        for (const k of sets) { // interleaved: step by step, set by set
          useSet(k);
          const t = await step();
          times.get(k)!.ms.push(t.ms);
          times.get(k)!.cpu.push(t.cpu);
        }
      }
      for (const k of sets) {
        const { ms, cpu } = times.get(k)!;
        const peak = peaks.find((p) => p.backend === backend && p.kernels === k)!;
        const flop = 2 * (mode === 'feature' ? headFlops : decFlops + vggFlops);
        const med = median(ms);
        const gflops = flop / 1e9 / (med / 1000);
        const row: BenchRow = {
          backend, ...(k ? { kernels: k } : {}), threads: info.threads, mode, layer, size, runs: ms.length, median_ms: Math.round(med), min_ms: Math.round(Math.min(...ms)),
          gflop_per_step: Math.round(flop / 1e8) / 10, gflops: Math.round(gflops * 10) / 10,
          peak_fraction: Math.round((gflops / peak.gflops) * 100) / 100,
          cpu_ms: Math.round(median(cpu)),
        };
        rows.push(row);
        if (!json) {
          log(`  ${mode.padEnd(8)} ${(k ?? '-').padStart(7)} ${String(row.threads).padStart(7)} ${String(row.median_ms).padStart(8)} ${String(row.gflop_per_step).padStart(11)} ${String(row.gflops).padStart(8)} ${(Math.round(row.peak_fraction * 100) + ' %').padStart(8)} ${String(row.cpu_ms).padStart(12)}   (median of ${row.runs})`);
        }
      }
      if (profile) {
        for (const k of sets) {
          useSet(k);
          const kernels = await profileKernels(async () => {
            const r = await runPgd(f, c.split.relu, objective, { labels: [0], targeted: false }, { eps: 1.1, tau: 0.2, steps: 1 }, { images: false });
            tf.dispose([r.delta.mu, r.delta.sigma]);
          });
          profiles.push({ backend, ...(k ? { kernel_set: k } : {}), mode, kernels });
          if (!json) {
            log(`  where one ${mode}-mode step goes${k ? ` with ${k}` : ''} (tfjs profiler, top ${kernels.length}):`);
            for (const e of kernels) log(`    ${e.kernel.padEnd(22)} ${e.shape.padEnd(18)} ×${String(e.calls).padEnd(3)} ${String(e.ms).padStart(7)} ms ${String(e.share).padStart(5)} %`);
          }
        }
      }
    }
    if (backend === 'wasm') setWasmConvKernels(setBefore);
    tf.dispose([x, f]);
    for (const net of decoder ? [vgg, decoder] : [vgg]) for (const l of net.layers) {
      if (l.kind === 'conv2d' || l.kind === 'dense') tf.dispose([l.kernel, l.bias ?? []]);
    }
  }
  const result = {
    model: modelDir, layer, size, runs, rows, peaks, unavailable, ...(profile ? { profiles } : {}),
    note: 'one PGD step = forward + backward to δ + update; FLOPs ≈ 2 × forward; peak = best GFLOP/s of a 3×3 conv 28×28×512→512 on the same backend and threads',
  };
  if (json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}
