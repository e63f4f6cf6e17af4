/**
 * Microbenchmark: one VGG-19 3×3 conv layer, batch 1, tfjs-wasm's Conv2D (XNNPACK) vs our Winograd
 * F(4×4,3×3) kernel, on the same backend and threads. Usage:
 *   node --import tsx scripts/bench-winograd-layer.ts [reps]     (ADVBN_THREADS=1 for one thread)
 */
import * as tf from '@tensorflow/tfjs';
import { useNodeBackend } from '../src/backend/node/backend-node';
import { offsetOf, transformedFilterSize, winogradConv, winogradFor, winogradThreads, type WasmBackendLike } from '../src/backend/kernels/winograd-loader';
import { setWasmConvKernels } from '../src/backend/kernels/wasm-winograd-conv';

const reps = Number(process.argv[2] ?? 7);
const info = await useNodeBackend('wasm');
const backend = tf.backend() as unknown as WasmBackendLike & tf.KernelBackend;
const layers: [number, number, number][] = [[56, 256, 256], [28, 256, 512], [28, 512, 512], [14, 512, 512]];
console.log(`${info.detail}; ours on ${winogradThreads(backend)} thread(s); interleaved, median of ${reps}`);
setWasmConvKernels('tfjs'); // tf.conv2d below is tfjs's XNNPACK; ours is called directly
for (const [hw, ci, co] of layers) {
  const x = tf.randomNormal([1, hw, hw, ci], 0, 1, 'float32', 1) as tf.Tensor4D;
  const w = tf.randomNormal([3, 3, ci, co], 0, 0.05, 'float32', 2) as tf.Tensor4D;
  const U = tf.zeros([transformedFilterSize(ci, co)]);
  const ex = winogradFor(backend);
  let t0 = performance.now();
  ex.wino4_filter(offsetOf(backend, w), offsetOf(backend, U), ci, co, 0);
  const filterMs = performance.now() - t0;
  const ours = tf.zeros([1, hw, hw, co]);
  const tfjsTimes: number[] = [], ourTimes: number[] = [];
  const tfjsCpu: number[] = [], ourCpu: number[] = [];
  const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
  const time = (f: () => void, into: number[]) => {
    const s = performance.now(), c = cpu();
    f();
    into.push(performance.now() - s);
    (into === tfjsTimes ? tfjsCpu : ourCpu).push(cpu() - c);
  };
  for (let i = 0; i <= reps; i++) { // interleaved; the first round is a warm-up
    time(() => { const y = tf.conv2d(x, w, 1, 'same'); y.dataSync(); y.dispose(); }, tfjsTimes);
    time(() => winogradConv(backend, offsetOf(backend, x), offsetOf(backend, U), offsetOf(backend, ours), 1, hw, hw, ci, co, 1, 1, hw, hw), ourTimes);
  }
  const med = (ts: number[]) => ts.slice(1).sort((a, b) => a - b)[Math.floor((ts.length - 1) / 2)]!;
  const tfjsMs = med(tfjsTimes), oursMs = med(ourTimes);
  const ref = tf.conv2d(x, w, 1, 'same');
  const err = tf.tidy(() => tf.max(tf.abs(tf.sub(ref, ours))).dataSync()[0] / tf.max(tf.abs(ref)).dataSync()[0]);
  const gflop = (2 * hw * hw * 9 * ci * co) / 1e9;
  console.log(`${hw}×${hw}×${ci}→${co}: tfjs ${tfjsMs.toFixed(1)} ms (${(gflop / tfjsMs * 1e3).toFixed(1)} GFLOP/s, CPU ${med(tfjsCpu).toFixed(1)} ms)  ours ${oursMs.toFixed(1)} ms (${(gflop / oursMs * 1e3).toFixed(1)} eff. GFLOP/s, CPU ${med(ourCpu).toFixed(1)} ms)  ×${(tfjsMs / oursMs).toFixed(2)}  filter transform ${filterMs.toFixed(0)} ms  max err/max ${err.toExponential(2)}`);
  tf.dispose([x, w, U, ours, ref]);
}
