/**
 * advbn bench: the time of one PGD step (forward + backward + δ update) at 224 px on VGG-19, in
 * feature mode (head only) and image mode (decoder + whole classifier), per Node backend.
 * FLOPs are counted from the layer shapes: a step is one forward and one backward pass to the input
 * (≈ 2× the forward FLOPs; no weight gradients are needed for δ).
 */
import * as tf from '@tensorflow/tfjs';
import { Options, UsageError } from '../args';
import { useNodeBackend, NODE_BACKENDS, type NodeBackend } from '../backend-node';
import { DEFAULT_MODEL_DIR, loadDecoderFolder, loadVgg, log } from '../vgg';
import { forwardFlops, layerIndex, split, type Network } from '../../models/network';
import { makeObjective, type LossMode } from '../../core/attack';
import { runPgd } from '../../core/pgd';
import { preprocess } from '../../models/preprocess';

export interface BenchRow {
  backend: string;
  mode: LossMode;
  layer: string;
  size: number;
  runs: number;
  median_ms: number;
  min_ms: number;
  gflop_per_step: number;
  gflops: number;
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
      if (l.kind === 'dense') return { ...l, kernel: move(l.kernel), bias: l.bias ? move(l.bias) : null };
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
  for (const backend of backends) {
    await useNodeBackend(backend);
    const vgg = onCurrentBackend(vgg0, weights);
    const decoder = decoder0 ? onCurrentBackend(decoder0, weights) : null;
    const c = { split: split(vgg, layer), preprocessing: 'caffe' as const };
    const x = tf.randomUniform([1, size, size, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
    const f = tf.tidy(() => c.split.encode(preprocess('caffe', x)));
    for (const mode of ['feature', 'image'] as const) {
      if (mode === 'image' && !decoder) continue;
      const objective = makeObjective(c, mode, decoder);
      const times: number[] = [];
      // runs + 1 steps: the first (warm-up: kernel setup, weight packing) is not counted.
      const { reports, delta } = await runPgd(f, c.split.relu, objective, { labels: [0], targeted: false }, { eps: 1.1, tau: 0.2, steps: runs + 1 }, { images: false });
      tf.dispose([delta.mu, delta.sigma]);
      for (const r of reports.slice(1, -1)) times.push(r.ms);
      const flop = 2 * (mode === 'feature' ? headFlops : decFlops + vggFlops);
      const med = median(times);
      const row: BenchRow = {
        backend, mode, layer, size, runs: times.length, median_ms: Math.round(med), min_ms: Math.round(Math.min(...times)),
        gflop_per_step: Math.round(flop / 1e8) / 10, gflops: Math.round((flop / 1e9 / (med / 1000)) * 10) / 10,
      };
      rows.push(row);
      if (!json) log(`${backend.padEnd(5)} ${mode.padEnd(8)} ${String(row.median_ms).padStart(7)} ms/step (median of ${row.runs})  ${row.gflop_per_step} GFLOP  ${row.gflops} GFLOP/s`);
    }
    tf.dispose([x, f]);
    for (const net of decoder ? [vgg, decoder] : [vgg]) for (const l of net.layers) {
      if (l.kind === 'conv2d' || l.kind === 'dense') tf.dispose([l.kernel, l.bias ?? []]);
    }
  }
  const result = { model: modelDir, layer, size, runs, rows, note: 'one PGD step = forward + backward to δ + update; FLOPs ≈ 2 × forward' };
  if (json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}
