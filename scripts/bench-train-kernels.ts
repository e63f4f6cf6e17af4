/**
 * Microbenchmark of the training kernels at the domains head's shapes (80 px, batch 32: 10×10 and 5×5 maps of 512
 * channels) and one Explore shape, WASM with our kernels (relaxed build, as training runs them), interleaved,
 * medians (docs/training-speed.md, items 13–19):
 *   - Conv2D with threads splitting the tiles and splitting the output channels (the transformed filter cached);
 *   - Conv2DBackpropFilter;
 *   - the fused training BatchNorm (+ ReLU), forward and backward, against tf.moments + tf.batchNorm + tf.relu on
 *     tfjs's kernel set (its Sum, Mean and Tile too, so not what a training step with our set saved).
 * Usage: node --import tsx scripts/bench-train-kernels.ts [runs]     (ADVBN_THREADS=1 for one thread)
 */
import * as tf from '@tensorflow/tfjs';
import { useNodeBackend } from '../src/backend/node/backend-node';
import { setWinogradConvSplit, setWinogradSimd, winogradThreads, type WasmBackendLike } from '../src/backend/kernels/winograd-loader';
import { setWasmConvKernels } from '../src/backend/kernels/wasm-winograd-conv';
import { batchNormTraining } from '../src/models/batchnorm-ops';

const runs = Number(process.argv[2] ?? 15);
const info = await useNodeBackend('wasm');
setWinogradSimd('relaxed');
console.log(`${info.detail}; ours on ${winogradThreads(tf.backend() as unknown as WasmBackendLike)} thread(s), relaxed build; interleaved, median of ${runs} after one warm-up`);

/** Median ms of each variant, run in turn `runs` + 1 times (the first round dropped). */
function time(variants: Record<string, () => tf.Tensor | tf.Tensor[]>): Record<string, number> {
  const ms: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let r = 0; r <= runs; r++) {
    for (const [k, f] of Object.entries(variants)) {
      const t0 = performance.now();
      const out = f();
      for (const t of Array.isArray(out) ? out : [out]) t.dataSync();
      if (r > 0) ms[k]!.push(performance.now() - t0);
      tf.dispose(out);
    }
  }
  return Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, v.sort((a, b) => a - b)[v.length >> 1]!]));
}
const fmt = (r: Record<string, number>) => Object.entries(r).map(([k, v]) => `${k} ${v.toFixed(1)} ms`).join(', ');

for (const [b, hw, c] of [[32, 10, 512], [32, 5, 512], [1, 224, 64]] as const) {
  const x = tf.randomNormal([b, hw, hw, c], 0, 1, 'float32', 1) as tf.Tensor4D;
  const w = tf.randomNormal([3, 3, c, c], 0, 0.02, 'float32', 2) as tf.Tensor4D;
  const dy = tf.randomNormal([b, hw, hw, c], 0, 1, 'float32', 3) as tf.Tensor4D;
  const split = (s: 'tiles' | 'channels') => () => { setWinogradConvSplit(s); const y = tf.conv2d(x, w, 1, 'same'); setWinogradConvSplit('auto'); return y; };
  console.log(`${b}×${hw}×${hw}×${c}→${c} Conv2D: ${fmt(time({ 'tiles split': split('tiles'), 'channels split': split('channels') }))}`);
  if (b > 1) {
    const dW = () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1, filterShape: [3, 3, c, c] }) as tf.Tensor;
    console.log(`${b}×${hw}×${hw}×${c}→${c} Conv2DBackpropFilter: ${fmt(time({ ours: dW }))}`);
    const gamma = tf.ones([c]), beta = tf.zeros([c]);
    const bn = () => tf.grads((a: tf.Tensor, g: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(batchNormTraining(a, g, bb, 1e-5, true).y, dy)))([x, gamma, beta]);
    const composed = () => { setWasmConvKernels('tfjs'); try { return bn(); } finally { setWasmConvKernels('ours'); } };
    console.log(`${b}×${hw}×${hw}×${c} training BN + ReLU, forward and backward: ${fmt(time({ fused: bn, 'composed (tfjs\'s kernel set)': composed }))}`);
    tf.dispose([gamma, beta]);
  }
  tf.dispose([x, w, dy]);
}
