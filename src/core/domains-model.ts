/**
 * The paper's model for a domains folder: VGG-19 (ImageNet) split at a layer l,
 *
 *     g^{1,l}   frozen (its features are computed once per image: domains-features.ts)
 *     g^{l+1,L} = VGG-19's own pretrained layers after l through block5, each convolution followed by an
 *                 inserted BatchNorm and its ReLU, then global average pooling and a new linear layer.
 *
 * VGG-19 has no BatchNorm, but Algorithm 1 relies on them (the auxiliary BNs of the adversarial path),
 * so one is inserted after every fine-tuned convolution, initialised to the identity on the source
 * statistics: running mean/variance = the convolution's output moments over the source training set,
 * γ = sqrt(var + eps), β = mean, so in inference mode BN(z) = z and the network starts as VGG-19.
 */
import * as tf from '@tensorflow/tfjs';
import { layerIndex, type BatchNormLayer, type Layer, type Network } from '../models/network';
import { mulberry32 } from '../common/random';

export const BN_EPSILON = 1e-3;
/** running ← m·running + (1 − m)·batch (PyTorch's default 0.1 for the batch, for short fine-tuning). */
export const BN_MOMENTUM = 0.9;
/** Where the head ends: the last pretrained layer kept (then global average pooling and a new linear layer). */
export const HEAD_END = 'block5_pool';

/** Layers of VGG-19 after `layer` through block5_pool (convolutions and poolings). */
export function pretrainedHead(vgg: Network, layer: string): Layer[] {
  const from = layerIndex(vgg, layer);
  const to = layerIndex(vgg, HEAD_END);
  if (from >= to) throw new Error(`The split layer must come before ${HEAD_END}; got ${layer}.`);
  return vgg.layers.slice(from + 1, to + 1);
}

/**
 * Per-channel mean and (biased) variance of every convolution output in the head over a feature set,
 * and the root mean square of the pooled features that the new linear layer reads.
 */
export interface HeadMoments { convs: Array<{ mean: Float32Array; variance: Float32Array }>; pooledRms: number }

/**
 * Runs the pretrained head (no BN) over `batches` of features at l and accumulates, per convolution,
 * the moments of its pre-activation output: what the inserted BNs are initialised to.
 */
export async function headMoments(head: Layer[], batches: Iterable<tf.Tensor4D>): Promise<HeadMoments> {
  const convs = head.filter((l) => l.kind === 'conv2d');
  const sum = convs.map((c) => new Float64Array(c.kernel.shape[3]));
  const sq = sum.map((s) => new Float64Array(s.length));
  const count = convs.map(() => 0);
  let pooledSq = 0, pooledCount = 0;
  for (const f of batches) {
    const parts = tf.tidy(() => {
      const out: tf.Tensor[] = [];
      let h: tf.Tensor = f;
      let k = 0;
      for (const l of head) {
        if (l.kind === 'conv2d') {
          let z: tf.Tensor = tf.conv2d(h as tf.Tensor4D, l.kernel, l.strides, l.padding === 'reflect' ? 'valid' : l.padding);
          if (l.bias) z = tf.add(z, l.bias);
          out.push(tf.sum(z, [0, 1, 2]), tf.sum(tf.square(z), [0, 1, 2]));
          count[k++]! += z.shape[0]! * z.shape[1]! * z.shape[2]!;
          h = l.activation === 'relu' ? tf.relu(z) : z;
        } else if (l.kind === 'maxpool') {
          h = tf.maxPool(h as tf.Tensor4D, l.size, l.strides, 'valid');
        } else {
          throw new Error(`Unexpected layer ${l.name} (${l.kind}) in the VGG head.`);
        }
      }
      out.push(tf.sum(tf.square(tf.mean(h, [1, 2]))));
      pooledCount += h.shape[0]! * h.shape[3]!;
      return out;
    });
    const values = await Promise.all(parts.map((p) => p.data()));
    tf.dispose(parts);
    f.dispose();
    for (let k = 0; k < convs.length; k++) {
      const s = values[2 * k]!, q = values[2 * k + 1]!;
      for (let c = 0; c < s.length; c++) { sum[k]![c]! += s[c]!; sq[k]![c]! += q[c]!; }
    }
    pooledSq += values[values.length - 1]![0]!;
  }
  const stats = convs.map((_, k) => {
    const n = count[k]!;
    if (!n) throw new Error('No source features to initialise the inserted BatchNorms with.');
    const mean = new Float32Array(sum[k]!.length), variance = new Float32Array(sum[k]!.length);
    for (let j = 0; j < mean.length; j++) {
      const m = sum[k]![j]! / n;
      mean[j] = m;
      variance[j] = Math.max(0, sq[k]![j]! / n - m * m);
    }
    return { mean, variance };
  });
  return { convs: stats, pooledRms: Math.sqrt(pooledSq / Math.max(1, pooledCount)) };
}

/** A variable holding `values` (the intermediate tensor is disposed: the variable keeps its own reference). */
function variableOf(values: Float32Array, trainable: boolean): tf.Variable {
  const t = tf.tensor1d(values);
  const v = tf.variable(t, trainable);
  t.dispose();
  return v;
}

/**
 * The network Algorithm 1 fine-tunes: [the split layer l (frozen; its output is what the feature cache
 * holds), the head with inserted BNs, global average pooling, a fixed scale to unit root mean square on
 * the source (VGG-19's caffe-scale features reach the hundreds: a Glorot-initialised layer on them starts
 * with logits in the tens), a new linear layer of `classes` outputs].
 * The split layer sits at index 0, so trainers use it with `layer` = its name and feed features.
 * The linear layer is Glorot-uniform from `seed`. The network shares the VGG-19 kernels (no copies).
 */
export function buildDomainNetwork(vgg: Network, layer: string, moments: HeadMoments, classes: number, seed: number): Network {
  const split = vgg.layers[layerIndex(vgg, layer)]!;
  const head = pretrainedHead(vgg, layer);
  const layers: Layer[] = [split];
  let k = 0;
  let channels = 0;
  for (const l of head) {
    if (l.kind !== 'conv2d') { layers.push(l); continue; }
    const m = moments.convs[k++];
    if (!m) throw new Error('Moments are missing for a head convolution.');
    channels = l.kernel.shape[3];
    const bn: BatchNormLayer = {
      kind: 'batchnorm', name: `${l.name}_bn`, epsilon: BN_EPSILON, momentum: BN_MOMENTUM, adv: null,
      clean: {
        gamma: variableOf(m.variance.map((v) => Math.sqrt(v + BN_EPSILON)), true),
        beta: variableOf(m.mean, true),
        movingMean: variableOf(m.mean, false),
        movingVariance: variableOf(m.variance, false),
      },
    };
    layers.push({ ...l, activation: 'linear' }, bn, { kind: 'relu', name: `${l.name}_relu` });
  }
  if (!channels) throw new Error(`No convolution after ${layer}: split earlier to fine-tune VGG-19's own layers.`);
  const rng = mulberry32(seed * 7919 + 17);
  const limit = Math.sqrt(6 / (channels + classes));
  const w = new Float32Array(channels * classes).map(() => (2 * rng() - 1) * limit);
  layers.push(
    { kind: 'gap', name: 'gap' },
    { kind: 'scale', name: 'unit_rms', factor: 1 / Math.max(1e-6, moments.pooledRms) },
    { kind: 'dense', name: 'classes', kernel: tf.tensor2d(w, [channels, classes]), bias: tf.zeros([classes]) as tf.Tensor1D, activation: 'linear' },
  );
  return { name: `${vgg.name}-${layer}-domains`, inputShape: vgg.inputShape, layers };
}

/** Disposes what buildDomainNetwork made (the inserted BNs and the linear layer), not VGG-19's kernels. */
export function disposeDomainNetwork(net: Network): void {
  for (const l of net.layers) {
    if (l.kind === 'batchnorm') for (const t of [l.clean, l.adv]) if (t) tf.dispose([t.gamma, t.beta, t.movingMean, t.movingVariance]);
    if (l.kind === 'dense' && l.name === 'classes') { l.kernel.dispose(); l.bias?.dispose(); }
  }
}
