/**
 * Our Winograd F(4×4, 3×3) WASM kernels (wasm-winograd-conv.ts) against tfjs's own WASM kernels (XNNPACK
 * forward; ∂L/∂x composed from it), the direct convolution: random shapes with ragged tiles and both
 * paddings, the fallbacks, the filter cache, and real VGG-19 activations (the documented 7e-6 relative).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { useNodeBackend } from '../node/backend-node';
import { loadVgg } from '../../cli/vgg';
import { applyLayer } from '../../models/network';
import { preprocess } from '../../models/preprocess';
import { listImages, loadCenterCrop } from '../../data/image-folder';
import { IMAGENET_DIR, VGG19_DIR, vggSkipReason } from '../../testing/shared-data';
import { clearWinogradFilters, setWinogradFilterBudget, winogradFilterCacheBytes, setWasmConvKernels, wasmConvKernels, winogradCallCount, type WasmConvKernels } from './wasm-winograd-conv';
import { matVecCallCount } from './wasm-matvec';
import { setWinogradConvSplit } from './winograd-loader';

/** y = conv(x, w) and dx = ∂Σ(y·r)/∂x with one kernel set; returned as arrays, every tensor freed. */
function convAndGrad(kernels: WasmConvKernels, x: tf.Tensor4D, w: tf.Tensor4D, r: tf.Tensor, pad: 'same' | 'valid'): [Float32Array, Float32Array] {
  const before = wasmConvKernels();
  setWasmConvKernels(kernels);
  try {
    const y = tf.conv2d(x, w, 1, pad);
    const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, w, 1, pad), r)))(x);
    const out: [Float32Array, Float32Array] = [y.dataSync() as Float32Array, dx.dataSync() as Float32Array];
    tf.dispose([y, dx]);
    return out;
  } finally {
    setWasmConvKernels(before);
  }
}

/** max |a − b| / max |b|. */
function relErr(a: Float32Array, b: Float32Array): number {
  let err = 0, scale = 0;
  for (let i = 0; i < a.length; i++) { err = Math.max(err, Math.abs(a[i]! - b[i]!)); scale = Math.max(scale, Math.abs(b[i]!)); }
  return err / Math.max(scale, 1e-30);
}

for (const [n, h, w, ci, co, pad] of [
  [1, 8, 8, 8, 8, 'same'], [2, 7, 9, 16, 8, 'same'], [1, 13, 6, 8, 24, 'valid'], [3, 5, 5, 32, 16, 'same'], [1, 4, 11, 8, 8, 'valid'],
  [2, 30, 30, 8, 16, 'same'], [3, 17, 13, 8, 8, 'valid'],
] as const) {
  test(`Winograd conv and ∂L/∂x equal tfjs's WASM kernels: ${n}×${h}×${w}×${ci}→${co}, ${pad}`, async () => {
    await useNodeBackend('wasm');
    const x = tf.randomNormal([n, h, w, ci], 0, 1, 'float32', 3) as tf.Tensor4D;
    const k = tf.randomNormal([3, 3, ci, co], 0, 0.2, 'float32', 4) as tf.Tensor4D;
    const ho = pad === 'same' ? h : h - 2, wo = pad === 'same' ? w : w - 2;
    const r = tf.randomNormal([n, ho, wo, co], 0, 1, 'float32', 5);
    const c0 = winogradCallCount();
    const [y0, dx0] = convAndGrad('tfjs', x, k, r, pad);
    assert.equal(winogradCallCount(), c0, 'tfjs\'s kernels ran, not ours');
    const [y1, dx1] = convAndGrad('ours', x, k, r, pad);
    assert.equal(winogradCallCount(), c0 + 3, 'ours ran: y, the forward inside tf.grad, and ∂L/∂x');
    assert.ok(relErr(y1, y0) < 1e-5, `y: ${relErr(y1, y0)}`);
    assert.ok(relErr(dx1, dx0) < 1e-5, `dx: ${relErr(dx1, dx0)}`);
    // Threads splitting the tiles or the output channels compute every output the same way: identical bits.
    for (const split of ['tiles', 'channels'] as const) {
      setWinogradConvSplit(split);
      try {
        const [y2, dx2] = convAndGrad('ours', x, k, r, pad);
        assert.deepEqual([y2, dx2], [y1, dx1], `threads splitting the ${split}`);
      } finally {
        setWinogradConvSplit('auto');
      }
    }
    tf.dispose([x, k, r]);
  });
}

test('shapes ours does not take go to tfjs (3 input channels, 5×5, stride 2) and still agree', async () => {
  await useNodeBackend('wasm');
  for (const [ci, kh, stride] of [[3, 3, 1], [8, 5, 1], [8, 3, 2]] as const) {
    const x = tf.randomNormal([1, 9, 9, ci], 0, 1, 'float32', 6) as tf.Tensor4D;
    const k = tf.randomNormal([kh, kh, ci, 8], 0, 1, 'float32', 7) as tf.Tensor4D;
    const f = () => tf.tidy(() => tf.conv2d(x, k, stride, 'same').dataSync() as Float32Array);
    setWasmConvKernels('tfjs');
    const a = f();
    setWasmConvKernels('ours');
    assert.deepEqual(f(), a);
    tf.dispose([x, k]);
  }
});

test("one-row matrix products (fc layers at batch 1) and their ∂L/∂x equal tfjs's WASM BatchMatMul; other shapes go to tfjs", async () => {
  await useNodeBackend('wasm');
  // The last number: how many of the three products (y = x·W, x·W again inside tf.grad, ∂L/∂x = dy·Wᵀ)
  // ours takes; its forward is bit-identical to XNNPACK's, so only the call count proves that ours ran.
  for (const [m, k, n, ours] of [[1, 40, 16, 3], [1, 1024, 40, 3], [1, 64, 520, 3], [1, 24, 4, 2], [2, 16, 8, 0], [1, 13, 7, 0]] as const) {
    const x = tf.randomNormal([m, k], 0, 1, 'float32', 8) as tf.Tensor2D;
    const w = tf.randomNormal([k, n], 0, 1, 'float32', 9) as tf.Tensor2D;
    const r = tf.randomNormal([m, n], 0, 1, 'float32', 10);
    const run = (set: WasmConvKernels) => {
      setWasmConvKernels(set);
      return tf.tidy(() => {
        const y = tf.matMul(x, w);
        const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.matMul(a as tf.Tensor2D, w), r)))(x);
        return [y.dataSync() as Float32Array, dx.dataSync() as Float32Array];
      });
    };
    const c0 = matVecCallCount();
    const [y0, dx0] = run('tfjs');
    assert.equal(matVecCallCount(), c0, `${m}×${k}·${k}×${n}: tfjs's kernel ran, not ours`);
    const [y1, dx1] = run('ours');
    assert.equal(matVecCallCount(), c0 + ours, `${m}×${k}·${k}×${n}: ours computed ${ours} of the 3 products`);
    setWasmConvKernels('ours');
    assert.ok(relErr(y1!, y0!) < 1e-5, `${m}×${k}·${k}×${n} y: ${relErr(y1!, y0!)}`);
    assert.ok(relErr(dx1!, dx0!) < 1e-5, `${m}×${k}·${k}×${n} dx: ${relErr(dx1!, dx0!)}`);
    tf.dispose([x, w, r]);
  }
});

test('the transformed filters are kept while their filter lives, then freed; no tensor is left behind', async () => {
  await useNodeBackend('wasm');
  const backend = tf.engine().backend as unknown as { numDataIds(): number };
  clearWinogradFilters(tf.engine().backend);
  const x = tf.randomNormal([1, 6, 6, 8]) as tf.Tensor4D;
  const step = (k: tf.Tensor4D) => tf.dispose(tf.grad((a: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, k, 1, 'same')))(x));
  const ids = backend.numDataIds(), tensors = tf.memory().numTensors;
  const k1 = tf.randomNormal([3, 3, 8, 8]) as tf.Tensor4D;
  step(k1);
  assert.equal(backend.numDataIds(), ids + 3, 'k1 and its two transforms (forward, ∂L/∂x)');
  for (let i = 0; i < 3; i++) step(k1);
  assert.equal(backend.numDataIds(), ids + 3, 'made once per filter');
  const k2 = tf.randomNormal([3, 3, 8, 8]) as tf.Tensor4D;
  k1.dispose();
  step(k2);
  assert.equal(backend.numDataIds(), ids + 3, 'k1 and its transforms are gone, k2 and its transforms remain');
  k2.dispose();
  clearWinogradFilters(tf.engine().backend);
  assert.equal(backend.numDataIds(), ids);
  assert.equal(tf.memory().numTensors, tensors);
  x.dispose();
});

// Regression: without a bound, every live filter kept its two transforms; six trained heads at block4_conv1
// (528 MiB of transforms each) filled the 4 GiB wasm32 heap.
test('transformed filters stay within the budget (least recently used freed first, redone when needed), results unchanged', async () => {
  await useNodeBackend('wasm');
  const engine = tf.engine().backend;
  clearWinogradFilters(engine);
  const per = 2 * 4 * 36 * 16 * 16; // forward and ∂L/∂x transforms of one 3×3×16×16 filter, bytes
  const x = tf.randomNormal([2, 6, 6, 16], 0, 1, 'float32', 41) as tf.Tensor4D;
  const ks = [42, 43, 44].map((s) => tf.randomNormal([3, 3, 16, 16], 0, 0.2, 'float32', s) as tf.Tensor4D);
  const step = (k: tf.Tensor4D) => tf.tidy(() => tf.grad((a: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, k, 1, 'same'))))(x));
  const tensors = tf.memory().numTensors;
  const unbounded = ks.map(step);
  assert.equal(winogradFilterCacheBytes(engine), 3 * per, 'no bound: three filters, two transforms each');
  clearWinogradFilters(engine);
  setWinogradFilterBudget(2 * per);
  try {
    const bounded = [...ks, ks[0]!].map(step);
    assert.ok(winogradFilterCacheBytes(engine) <= 2 * per, `${winogradFilterCacheBytes(engine)} bytes kept, budget ${2 * per}`);
    for (let i = 0; i < 4; i++) assert.deepEqual(await bounded[i]!.data(), await unbounded[i % 3]!.data(), `filter ${i % 3}: same gradient after eviction`);
    tf.dispose(bounded);
  } finally {
    setWinogradFilterBudget(2 ** 30);
  }
  tf.dispose([...unbounded, ...ks, x]);
  clearWinogradFilters(engine);
  assert.equal(tf.memory().numTensors, tensors - 4);
});

// Regression: the caches were keyed by the filter's data id alone, and a reshape keeps the data id, so
// a [3,3,16,16] filter read as [3,3,32,8] got the first shape's transform (relative error 1.28, silently).
test('a filter reshaped on the same data gets its own transforms (both kernel sets, forward and ∂L/∂x)', async () => {
  await useNodeBackend('wasm');
  const k = tf.randomNormal([3, 3, 16, 16], 0, 0.2, 'float32', 11) as tf.Tensor4D;
  const x16 = tf.randomNormal([1, 6, 7, 16], 0, 1, 'float32', 12) as tf.Tensor4D;
  const x32 = tf.randomNormal([1, 6, 7, 32], 0, 1, 'float32', 13) as tf.Tensor4D;
  const r16 = tf.randomNormal([1, 6, 7, 16], 0, 1, 'float32', 14), r8 = tf.randomNormal([1, 6, 7, 8], 0, 1, 'float32', 15);
  for (const kernels of ['ours', 'tfjs'] as const) {
    const reshaped = tf.reshape(k, [3, 3, 32, 8]) as tf.Tensor4D;
    const copy = tf.tensor4d(k.dataSync(), [3, 3, 32, 8]); // the same values under a data id of its own
    convAndGrad(kernels, x16, k, r16, 'same'); // fills the caches for k's data id
    const [y1, dx1] = convAndGrad(kernels, x32, reshaped, r8, 'same');
    const [y0, dx0] = convAndGrad(kernels, x32, copy, r8, 'same');
    assert.ok(relErr(y1, y0) < 1e-6, `${kernels}: y: ${relErr(y1, y0)}`);
    assert.ok(relErr(dx1, dx0) < 1e-6, `${kernels}: dx: ${relErr(dx1, dx0)}`);
    tf.dispose([reshaped, copy]);
  }
  tf.dispose([k, x16, x32, r16, r8]);
});

/** A few Adam steps on a small conv stack with one kernel set, from the same seeded start: losses and final weights. */
function adamRun(kernels: WasmConvKernels, steps: number): { losses: number[]; weights: Float32Array[] } {
  const before = wasmConvKernels();
  setWasmConvKernels(kernels);
  try {
    const shapes = [[3, 3, 8, 16], [3, 3, 16, 16], [3, 3, 16, 8], [8, 5]];
    // Variables outlive the tidy; their initial values do not.
    const vars = tf.tidy(() => shapes.map((s, i) => tf.variable(tf.randomNormal(s, 0, Math.sqrt(2 / (s.slice(0, -1).reduce((a, b) => a * b, 1))), 'float32', 20 + i))));
    const x = tf.randomNormal([4, 10, 10, 8], 0, 1, 'float32', 30) as tf.Tensor4D;
    const labels = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 3, 1, 4], 'int32'), 5));
    const opt = tf.train.adam(1e-2);
    const losses: number[] = [];
    for (let step = 0; step < steps; step++) {
      const loss = opt.minimize(() => {
        const [w1, w2, w3, wd] = vars as [tf.Variable<tf.Rank.R4>, tf.Variable<tf.Rank.R4>, tf.Variable<tf.Rank.R4>, tf.Variable<tf.Rank.R2>];
        let h: tf.Tensor4D = tf.relu(tf.conv2d(x, w1, 1, 'same'));
        h = tf.maxPool(tf.relu(tf.conv2d(h, w2, 1, 'same')), 2, 2, 'valid');
        h = tf.relu(tf.conv2d(h, w3, 1, 'same'));
        return tf.losses.softmaxCrossEntropy(labels, tf.matMul(tf.mean(h, [1, 2]) as tf.Tensor2D, wd)) as tf.Scalar;
      }, true)!;
      losses.push(loss.dataSync()[0]!);
      loss.dispose();
    }
    const weights = vars.map((v) => v.dataSync() as Float32Array);
    opt.dispose();
    tf.dispose([...vars, x, labels]);
    return { losses, weights };
  } finally {
    setWasmConvKernels(before);
  }
}

// The filter caches during training: every Adam step replaces each filter's data, so a stale transform
// would show as a diverging loss. Tolerance: 1e-3 relative on the losses and 5e-3 of the largest weight
// (measured: 2.5e-4 and 1.9e-3, see the log line). The filter gradient is ours too since issue 25 (Winograd
// domain, winograd-train.c): float sums in another order, and Adam's first steps (≈ lr·sign(g)) turn a
// different sign on a near-zero gradient component into a weight difference of up to 2·lr. With tfjs's
// filter gradient (before) this was below 1e-5.
test('a few Adam steps on a conv stack: our kernels and tfjs\'s give the same losses and weights', async () => {
  await useNodeBackend('wasm');
  const tensors = tf.memory().numTensors;
  const steps = 6;
  const ref = adamRun('tfjs', steps);
  const c0 = winogradCallCount();
  const ours = adamRun('ours', steps);
  assert.ok(winogradCallCount() - c0 >= steps * 5, `ours ran (${winogradCallCount() - c0} convolutions)`);
  let lossErr = 0, weightErr = 0;
  for (let i = 0; i < steps; i++) lossErr = Math.max(lossErr, Math.abs(ours.losses[i]! - ref.losses[i]!) / ref.losses[i]!);
  for (let i = 0; i < ref.weights.length; i++) weightErr = Math.max(weightErr, relErr(ours.weights[i]!, ref.weights[i]!));
  console.log(`Adam, ${steps} steps: losses ${ref.losses.map((v) => v.toFixed(5)).join(' ')}; largest loss difference ${lossErr.toExponential(2)} relative, weights ${weightErr.toExponential(2)} of the largest`);
  assert.ok(ref.losses[steps - 1]! < ref.losses[0]!, 'the loss falls');
  assert.ok(lossErr < 1e-3, `losses differ by ${lossErr} relative`);
  assert.ok(weightErr < 5e-3, `weights differ by ${weightErr} of the largest`);
  clearWinogradFilters(tf.engine().backend);
  assert.equal(tf.memory().numTensors, tensors);
});

test('the committed WASM bytes equal a fresh build of winograd.c (when the same clang-19 and wasm-ld are here)', (t) => {
  const committed = readFileSync(new URL('./winograd/winograd-module.generated.ts', import.meta.url), 'utf8');
  let version: string;
  try {
    version = execFileSync('clang-19', ['--version'], { encoding: 'utf8' }).split('\n')[0]!;
    execFileSync('/usr/lib/llvm-19/bin/wasm-ld', ['--version']);
  } catch {
    t.skip('clang-19 or its wasm-ld not installed (apt-get install clang-19 lld-19)');
    return;
  }
  if (!committed.includes(`// ${version}\n`)) {
    t.skip(`built with another clang than ${version} (see winograd/winograd-module.generated.ts); rebuild with scripts/build-winograd-wasm.sh to compare`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'advbn-winograd-'));
  try {
    const root = new URL('../../..', import.meta.url).pathname;
    execFileSync(join(root, 'scripts/build-winograd-wasm.sh'), [join(dir, 'out.ts')]);
    const fresh = readFileSync(join(dir, 'out.ts'), 'utf8');
    const body = (s: string) => s.split('\n').filter((l) => l.startsWith('export')).join('\n');
    assert.equal(body(fresh), body(committed), 'rebuild with scripts/build-winograd-wasm.sh and commit winograd/winograd-module.generated.ts');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const skip = vggSkipReason();
// What the docs state (README, "Kernels of our own"): on VGG-19's 15 convolutions with ≥ 8 input channels,
// on a real ImageNet image at 224 px, ours differ from tfjs's by at most 7e-6 of the largest value
// (6.89e-6 at block4_conv3 with the GEMM reading four tiles per 16 bytes, 7 Dec 2026; 6.44e-6 before it,
// 6.0e-6 with the scalar filter transform).
const DOCUMENTED_VGG_ERROR = 7e-6;

test(`on real VGG-19 activations (224 px) every 3×3 conv and its ∂L/∂x agree with tfjs within the documented ${DOCUMENTED_VGG_ERROR.toExponential(1)} of the largest value`, { skip, timeout: 300_000 }, async () => {
  await useNodeBackend('wasm');
  const vgg = await loadVgg(VGG19_DIR);
  const img = loadCenterCrop(listImages(IMAGENET_DIR)[0]!, 224);
  let a = preprocess('caffe', img);
  img.dispose();
  let worst = 0, checked = 0;
  for (const layer of vgg.layers) {
    if (layer.kind === 'flatten' || layer.kind === 'dense') break;
    if (layer.kind === 'conv2d' && layer.kernel.shape[2] % 8 === 0) {
      // dy: the layer's own (real) output, as a stand-in for the gradient from above.
      const r = tf.tidy(() => tf.conv2d(a as tf.Tensor4D, layer.kernel, 1, 'same'));
      const [y0, dx0] = convAndGrad('tfjs', a as tf.Tensor4D, layer.kernel, r, 'same');
      const c0 = winogradCallCount();
      const [y1, dx1] = convAndGrad('ours', a as tf.Tensor4D, layer.kernel, r, 'same');
      assert.equal(winogradCallCount(), c0 + 3, `${layer.name}: ours ran`);
      const e = Math.max(relErr(y1, y0), relErr(dx1, dx0));
      // A 5 % margin over the documented figure (float sums in another order; the figure has 2 digits).
      assert.ok(e <= DOCUMENTED_VGG_ERROR * 1.05, `${layer.name}: ${e} (the docs say ≤ ${DOCUMENTED_VGG_ERROR.toExponential(1)})`);
      worst = Math.max(worst, e);
      checked++;
      r.dispose();
    }
    const next = applyLayer(layer, a);
    a.dispose();
    a = next;
  }
  a.dispose();
  assert.equal(checked, 15, 'every conv but block1_conv1 (3 input channels)');
  console.log(`largest relative error over VGG-19's 15 convs, forward and ∂L/∂x: ${worst.toExponential(2)}`);
  clearWinogradFilters(tf.engine().backend);
  for (const l of vgg.layers) if (l.kind === 'conv2d' || l.kind === 'dense') tf.dispose([l.kernel, l.bias ?? []]);
});
