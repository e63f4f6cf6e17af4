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
 * convolution, so Winograd's GFLOP/s (and peak) are effective rates, not multiply-adds done. WebGPU's
 * conv-transpose kernels (below) are interleaved the same way.
 *
 * Each row also counts what a step moves between device and CPU (core/transfer-counter.ts): reads
 * (PGD reads once per step: what the page shows) and, on WebGPU, uploads (the weights go up once, in
 * the warm-up step; a step uploads only a few scalars). On WebGPU, `--conv-transpose naive,matmul`
 * times both kernels of the convolution's input gradient (core/webgpu-flags.ts).
 *
 * On a software adapter (SwiftShader, lavapipe: --allow-software-gpu) one step at the app's default
 * split takes minutes (≈ 6 min at block4_conv1 on the 2-core dev machine), so unless --layer, --modes or
 * --runs are given bench runs every backend at block5_conv3, feature mode, one timed step, and says
 * "software adapter: ratios only": its times compare the backends and kernels, not what a GPU does.
 */
import * as tf from '@tensorflow/tfjs';
import { Options, UsageError } from '../args';
import { nodeWebGpu, useNodeBackend, NODE_BACKENDS, type NodeBackend, type NodeBackendInfo } from '../../backend/node/backend-node';
import { WebGpuUnavailable } from '../../backend/node/webgpu-node';
import { DEFAULT_MODEL_DIR, loadDecoderFolder, loadVgg, log } from '../vgg';
import { disposeNetwork, forwardFlops, layerIndex, split, type Network } from '../../models/network';
import { makeObjective, type LossMode } from '../../core/attack';
import { runPgd } from '../../core/pgd';
import { PAPER_DEFAULTS } from '../../common/pgd-settings';
import { preprocess } from '../../models/preprocess';
import { fitCurrentBackend } from '../../backend/binding-limits';
import { countTransfers, type TransferCounts } from '../../backend/transfer-counter';
import { CONV_TRANSPOSE_FLAG, DEFAULT_CONV_TRANSPOSE, setConvTranspose, type ConvTranspose } from '../../backend/webgpu-flags';
import { profileKernels, type KernelTime } from './kernel-profile';
import { setWasmConvKernels, wasmConvKernels, WASM_CONV_KERNELS, type WasmConvKernels } from '../../backend/kernels/wasm-winograd-conv';

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
  /** WebGPU: the kernel of the convolution's input gradient (WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE). */
  conv_transpose?: ConvTranspose;
  /** Device → CPU reads and CPU → device uploads per timed step (the most of any timed step). */
  reads_per_step: number;
  uploads_per_step: number;
  upload_bytes_per_step: number;
  /** Uploads of the warm-up step (the weights' first use, on WebGPU). */
  warmup_upload_mb: number;
}

export interface BenchPeak { backend: string; kernels?: WasmConvKernels; threads: number; detail: string; gflops: number; what: string }

/** The backend's practical peak: best GFLOP/s of one large 3×3 convolution (see the module comment). */
async function measurePeak(small: boolean): Promise<{ gflops: number; what: string }> {
  // small (software adapters): block5's shape, 1/4 of the work, best of 2.
  const [h, c, reps] = small ? [14, 512, 3] : [28, 512, 6];
  const x = tf.randomNormal([1, h, h, c], 0, 1, 'float32', 1) as tf.Tensor4D;
  const w = tf.randomNormal([3, 3, c, c], 0, 0.05, 'float32', 2) as tf.Tensor4D;
  const flop = 2 * h * h * 9 * c * c;
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const y = tf.conv2d(x, w, 1, 'same');
    await y.data();
    y.dispose();
    if (i > 0) best = Math.min(best, performance.now() - t0);
  }
  tf.dispose([x, w]);
  return { gflops: Math.round((flop / 1e9 / (best / 1000)) * 10) / 10, what: `3×3 conv ${h}×${h}×${c}→${c}, best of ${reps - 1}` };
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

/** The most reads and uploads of any timed step, and the warm-up step's upload (the weights' first use). */
function moved(timed: TransferCounts[], warmup: TransferCounts): { reads: number; uploads: number; bytes: number; warmupMb: number } {
  return {
    reads: Math.max(...timed.map((t) => t.reads)),
    uploads: Math.max(...timed.map((t) => t.uploads)),
    bytes: Math.max(...timed.map((t) => t.uploadBytes)),
    warmupMb: Math.round(warmup.uploadBytes / 1e5) / 10,
  };
}

/** The first usable webgpu adapter's software reason (null: hardware), or the reason it cannot start. */
async function probeWebGpu(): Promise<{ software: string | null } | { unavailable: string }> {
  try {
    await useNodeBackend('webgpu');
    return { software: nodeWebGpu()?.software ?? null };
  } catch (e) {
    if (!(e instanceof WebGpuUnavailable)) throw e;
    return { unavailable: e.message };
  }
}

/** What one row times besides the backend: WASM's kernel set or WebGPU's conv-transpose kernel. */
interface Variant { kernels?: WasmConvKernels; transpose?: ConvTranspose }
const variantName = (v: Variant) => (v.kernels ? `kernels ${v.kernels}` : v.transpose ? `transpose ${v.transpose}` : '—');

export async function benchCommand(o: Options): Promise<void> {
  if (o.flag('train')) return (await import('./bench-train')).benchTrainCommand(o);
  const modelDir = o.string('model', DEFAULT_MODEL_DIR);
  const layerOpt = o.optionalString('layer');
  const decoderOpt = o.optionalString('decoder');
  const runsOpt = o.optionalInteger('runs');
  const backends = o.string('backends', NODE_BACKENDS.join(',')).split(',') as NodeBackend[];
  const json = o.flag('json');
  const profile = o.flag('profile');
  const modesOpt = o.optionalString('modes');
  const transposes = o.string('conv-transpose', DEFAULT_CONV_TRANSPOSE).split(',') as ConvTranspose[];
  const kernelSets = o.string('kernels', WASM_CONV_KERNELS.join(',')).split(',') as WasmConvKernels[];
  o.done();
  for (const k of kernelSets) if (!WASM_CONV_KERNELS.includes(k)) throw new UsageError(`--kernels takes ${WASM_CONV_KERNELS.join(' and/or ')}, got "${k}".`);
  for (const b of backends) if (!NODE_BACKENDS.includes(b)) throw new UsageError(`Unknown backend "${b}" (Node has ${NODE_BACKENDS.join(', ')}).`);
  for (const t of transposes) if (t !== 'naive' && t !== 'matmul') throw new UsageError(`--conv-transpose takes naive and/or matmul, got "${t}".`);
  if (runsOpt !== undefined && runsOpt < 1) throw new UsageError('--runs must be at least 1.');
  const modes = (modesOpt ?? 'feature,image').split(',');
  for (const m of modes) if (m !== 'feature' && m !== 'image') throw new UsageError(`--modes takes feature and/or image, got "${m}".`);

  const unavailable: Array<{ backend: string; reason: string }> = [];
  // WebGPU first: whether its adapter is a software one decides the configuration of every row.
  let software: string | null = null;
  if (backends.includes('webgpu')) {
    const p = await probeWebGpu();
    if ('unavailable' in p) unavailable.push({ backend: 'webgpu', reason: p.unavailable });
    else software = p.software;
  }
  const small = software !== null;
  const layer = layerOpt ?? (small ? 'block5_conv3' : 'block4_conv1');
  const runs = runsOpt ?? (small ? 1 : 3);
  if (small && !modesOpt) modes.splice(modes.indexOf('image'), 1);
  const decoderDir = decoderOpt ?? `models/decoder-${layer}`;
  const note = small
    ? `software adapter: ratios only — ${nodeWebGpu()?.adapter} (${software}) runs the shaders on the CPU, so its times compare backends and kernels, not what a GPU does${layerOpt || modesOpt || runsOpt ? '' : '; defaults here: --layer block5_conv3 --modes feature --runs 1 (one step at block4_conv1 takes ≈ 6 min)'}`
    : null;
  if (note && !json) log(note);

  await useNodeBackend('wasm');
  const wasmDefault = wasmConvKernels(); // ours unless ADVBN_WASM_KERNELS says otherwise (backend-node.ts)
  const vgg0 = await loadVgg(modelDir);
  let decoder0: Network | null = null;
  if (modes.includes('image')) {
    try {
      const d = await loadDecoderFolder(decoderDir);
      if (d.manifest.layer === layer) decoder0 = d.net;
    } catch {
      log(`no decoder for ${layer} at ${decoderDir}: image mode is skipped`);
    }
  }
  const weights = await snapshot(decoder0 ? [vgg0, decoder0] : [vgg0]);
  const size = vgg0.inputShape[0];
  const li = layerIndex(vgg0, layer);
  // The features every backend starts from, computed once here (on WASM): the encoder is not timed,
  // and on a software adapter it would take longer than the steps.
  const x = tf.randomUniform([1, size, size, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
  const fWasm = tf.tidy(() => split(vgg0, layer).encode(preprocess('caffe', x)));
  const features = { values: (await fWasm.data()) as Float32Array, shape: fWasm.shape };
  tf.dispose([x, fWasm]);
  const featShape = features.shape.slice(1);
  const headFlops = forwardFlops(vgg0, li + 1, vgg0.layers.length, featShape);
  const vggFlops = forwardFlops(vgg0, 0, vgg0.layers.length);
  const decFlops = decoder0 ? forwardFlops(decoder0, 0, decoder0.layers.length, featShape) : 0;
  const rows: BenchRow[] = [];
  const peaks: BenchPeak[] = [];
  const profiles: Array<{ backend: string; variant?: string; mode: LossMode; kernels: KernelTime[] }> = [];
  for (const backend of backends) {
    if (unavailable.some((u) => u.backend === backend)) {
      if (!json) log(`\n${backend}: ${unavailable.find((u) => u.backend === backend)!.reason}`);
      continue;
    }
    let info: NodeBackendInfo;
    try {
      info = await useNodeBackend(backend);
    } catch (e) {
      if (!(e instanceof WebGpuUnavailable)) throw e;
      unavailable.push({ backend, reason: e.message });
      if (!json) log(`\n${backend}: ${e.message}`);
      continue;
    }
    // Variants timed in one run, interleaved step by step: WASM's kernel sets, WebGPU's conv-transpose kernels.
    const variants: Variant[] = backend === 'wasm' ? kernelSets.map((k) => ({ kernels: k })) : backend === 'webgpu' ? transposes.map((t) => ({ transpose: t })) : [{}];
    const use = (v: Variant) => {
      if (v.kernels) setWasmConvKernels(v.kernels);
      if (v.transpose) setConvTranspose(v.transpose);
    };
    const kernelsBefore = wasmConvKernels();
    const peakOf = new Map<Variant, BenchPeak>();
    for (const v of variants) {
      // The conv peak depends on WASM's kernel set, not on WebGPU's transpose kernel: measured once there.
      const same = !v.kernels && peakOf.size ? [...peakOf.values()][0] : undefined;
      if (same) { peakOf.set(v, same); continue; }
      use(v);
      const peak = await measurePeak(small);
      const p: BenchPeak = { backend, ...(v.kernels ? { kernels: v.kernels } : {}), threads: info.threads, detail: info.detail, ...peak };
      peaks.push(p);
      peakOf.set(v, p);
      if (!json) log(`\n${backend}${v.kernels ? ` — ${v.kernels === 'ours' ? 'our kernels (Winograd)' : "tfjs's kernels (XNNPACK)"}` : ''} — ${info.detail} — peak ${peak.gflops} GFLOP/s (${peak.what})`);
    }
    if (!json) log(`  mode      variant          threads  ms/step  GFLOP/step  GFLOP/s  of peak  CPU ms/step  reads/step  uploads/step  warm-up upload`);
    const vgg = onCurrentBackend(vgg0, weights);
    const decoder = decoder0 ? onCurrentBackend(decoder0, weights) : null;
    // On WebGPU, dense kernels over the device's storage-binding limit are split (as the CLI's loaders do).
    for (const net of decoder ? [vgg, decoder] : [vgg]) await fitCurrentBackend(net);
    const c = { split: split(vgg, layer), preprocessing: 'caffe' as const };
    for (const mode of ['feature', 'image'] as const) {
      if (!modes.includes(mode) || (mode === 'image' && !decoder)) continue;
      // A fresh copy of the features: its upload is counted in the warm-up step, not a timed one.
      const f = tf.tensor(features.values, features.shape);
      const objective = makeObjective(c, mode, decoder);
      // CPU time of the whole process (all threads): unlike wall time, it does not grow when other
      // programs share the cores, so it compares code on a loaded machine.
      const cpuNow = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
      /** One PGD step from δ = 1 (forward + backward + update, up to its report): wall and CPU ms, and what it moved. */
      const step = async () => {
        const counter = countTransfers();
        const cpu0 = cpuNow();
        let cpu = 0;
        let io: TransferCounts | null = null;
        try {
          const r = await runPgd(f, c.split.relu, objective, { labels: [0], targeted: false }, { ...PAPER_DEFAULTS, steps: 1 }, { images: false }, () => {
            if (!io) { cpu = cpuNow() - cpu0; io = counter.counts(); }
          });
          tf.dispose([r.delta.mu, r.delta.sigma]);
          return { ms: r.reports[0]!.ms, cpu, io: io! };
        } finally {
          counter.stop();
        }
      };
      const times = new Map<Variant, { ms: number[]; cpu: number[]; io: TransferCounts[]; warmup: TransferCounts }>();
      for (const v of variants) { use(v); times.set(v, { ms: [], cpu: [], io: [], warmup: (await step()).io }); } // warm-up: kernel setup, weight packing, transforms and upload
      for (let r = 0; r < runs; r++) {
        for (const v of variants) {
          use(v);
          const t = await step();
          const m = times.get(v)!;
          m.ms.push(t.ms); m.cpu.push(t.cpu); m.io.push(t.io);
        }
      }
      for (const v of variants) {
        const m = times.get(v)!;
        const io = moved(m.io, m.warmup);
        const flop = 2 * (mode === 'feature' ? headFlops : decFlops + vggFlops);
        const med = median(m.ms);
        const gflops = flop / 1e9 / (med / 1000);
        const row: BenchRow = {
          backend, ...(v.kernels ? { kernels: v.kernels } : {}), threads: info.threads, mode, layer, size, runs: m.ms.length, median_ms: Math.round(med), min_ms: Math.round(Math.min(...m.ms)),
          gflop_per_step: Math.round(flop / 1e8) / 10, gflops: Number(gflops.toPrecision(2)),
          peak_fraction: Math.round((gflops / peakOf.get(v)!.gflops) * 100) / 100,
          cpu_ms: Math.round(median(m.cpu)),
          ...(v.transpose ? { conv_transpose: v.transpose } : {}),
          reads_per_step: io.reads, uploads_per_step: io.uploads, upload_bytes_per_step: io.bytes, warmup_upload_mb: io.warmupMb,
        };
        rows.push(row);
        if (!json) {
          const up = backend === 'webgpu' ? `${io.uploads} (${io.bytes} B)` : '—';
          const warm = backend === 'webgpu' ? `${io.warmupMb} MB` : '—';
          log(`  ${mode.padEnd(8)}  ${variantName(v).padEnd(16)} ${String(row.threads).padStart(7)} ${String(row.median_ms).padStart(8)} ${String(row.gflop_per_step).padStart(11)} ${String(row.gflops).padStart(8)} ${(Math.round(row.peak_fraction * 100) + ' %').padStart(8)} ${String(row.cpu_ms).padStart(12)} ${String(io.reads).padStart(11)} ${up.padStart(13)} ${warm.padStart(15)}   (median of ${row.runs})`);
        }
      }
      if (profile) {
        for (const v of variants) {
          use(v);
          const kernels = await profileKernels(async () => {
            const p = await runPgd(f, c.split.relu, objective, { labels: [0], targeted: false }, { ...PAPER_DEFAULTS, steps: 1 }, { images: false });
            tf.dispose([p.delta.mu, p.delta.sigma]);
          });
          profiles.push({ backend, ...(v.kernels || v.transpose ? { variant: variantName(v) } : {}), mode, kernels });
          if (!json) {
            log(`  where one ${mode}-mode step goes${v.kernels || v.transpose ? ` (${variantName(v)})` : ''} (tfjs profiler, top ${kernels.length}):`);
            for (const k of kernels) log(`    ${k.kernel.padEnd(22)} ${k.shape.padEnd(18)} ×${String(k.calls).padEnd(3)} ${String(k.ms).padStart(7)} ms ${String(k.share).padStart(5)} %`);
          }
        }
      }
      f.dispose();
    }
    if (backend === 'wasm') setWasmConvKernels(kernelsBefore);
    if (backend === 'webgpu') setConvTranspose(DEFAULT_CONV_TRANSPOSE);
    for (const net of decoder ? [vgg, decoder] : [vgg]) disposeNetwork(net);
  }
  const ratios = ratioLines(rows, wasmDefault);
  if (!json) for (const line of ratios) log(line);
  const result = {
    model: modelDir, layer, size, runs, rows, peaks, unavailable, ratios, ...(note ? { note_software: note } : {}), ...(profile ? { profiles } : {}),
    note: `one PGD step = forward + backward to δ + update; FLOPs ≈ 2 × forward; peak = best GFLOP/s of a 3×3 conv on the same backend and threads; webgpu variants: ${CONV_TRANSPOSE_FLAG}`,
  };
  if (json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}

/**
 * "webgpu ÷ wasm" per mode (WebGPU with the default conv transpose, WASM with the default kernel set, when
 * they ran), ours ÷ tfjs's kernels on WASM, and matmul ÷ naive on WebGPU.
 */
function ratioLines(rows: BenchRow[], wasmDefault: WasmConvKernels): string[] {
  const out: string[] = [];
  const first = (b: string, m: string, pick: (r: BenchRow) => boolean = () => true) => rows.find((r) => r.backend === b && r.mode === m && pick(r));
  for (const mode of ['feature', 'image']) {
    const g = first('webgpu', mode, (r) => r.conv_transpose === DEFAULT_CONV_TRANSPOSE) ?? first('webgpu', mode);
    const w = first('wasm', mode, (r) => r.kernels === wasmDefault) ?? first('wasm', mode);
    if (g && w) out.push(`${mode}: webgpu ${g.median_ms} ms ÷ wasm ${w.median_ms} ms = ${(g.median_ms / w.median_ms).toFixed(2)}`);
    const ours = first('wasm', mode, (r) => r.kernels === 'ours'), theirs = first('wasm', mode, (r) => r.kernels === 'tfjs');
    if (ours && theirs) out.push(`${mode}: wasm our kernels ${ours.median_ms} ms ÷ tfjs's ${theirs.median_ms} ms = ${(ours.median_ms / theirs.median_ms).toFixed(2)}`);
    const n = first('webgpu', mode, (r) => r.conv_transpose === 'naive'), mm = first('webgpu', mode, (r) => r.conv_transpose === 'matmul');
    if (n && mm) out.push(`${mode}: webgpu conv transpose matmul ${mm.median_ms} ms ÷ naive ${n.median_ms} ms = ${(mm.median_ms / n.median_ms).toFixed(2)}`);
  }
  return out;
}
