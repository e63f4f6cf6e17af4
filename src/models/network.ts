/**
 * A network as a flat list of layers, executed by small pure functions.
 *
 * AdvBN splits a classifier g at a layer l into an encoder g^{1,l} and a head g^{l+1,L}. Keeping the
 * network as a plain list (instead of a tf.LayersModel) makes that split a pair of index ranges over
 * the same layer objects: encoder and head share the loaded weights, nothing is copied.
 *
 * Every function here returns logits where the stored model ends in a softmax: the softmax is applied
 * by the caller (`probabilities`) so that losses can use the numerically stable log-softmax.
 */
import * as tf from '@tensorflow/tfjs';
import { batchNormInference, batchNormTraining } from './batchnorm-ops';

export type Activation = 'linear' | 'relu' | 'softmax';

export interface ConvLayer {
  kind: 'conv2d';
  name: string;
  kernel: tf.Tensor4D; // [kh, kw, cin, cout]
  bias: tf.Tensor1D | null;
  activation: Activation;
  /** 'reflect' pads by kernel/2 with mirrored borders (decoders, AdaIN style), then runs 'valid'. */
  padding: 'same' | 'valid' | 'reflect';
  strides: number;
}
export interface DenseLayer {
  kind: 'dense';
  name: string;
  kernel: tf.Tensor2D;
  bias: tf.Tensor1D | null;
  activation: Activation;
  /**
   * The kernel's row blocks, when it is larger than a GPU storage binding may be (see
   * core/binding-limits.ts): x·W is then Σ x[:, rows_i]·W_i, and `kernel` is never read by a kernel.
   */
  parts?: tf.Tensor2D[];
}
/**
 * Max pooling without padding. `ceil` (PyTorch's ceil_mode, AdaIN's encoder): an odd border row/column
 * gets its own partial window instead of being dropped, i.e. output ⌈(H − size)/strides⌉ + 1 — what
 * tfjs's 'same' padding gives when size equals strides (padding only at the end, never counted in the max).
 */
export interface MaxPoolLayer { kind: 'maxpool'; name: string; size: number; strides: number; ceil?: boolean; }
export interface FlattenLayer { kind: 'flatten'; name: string; }
export interface GlobalAvgPoolLayer { kind: 'gap'; name: string; }
export interface UpsampleLayer { kind: 'upsample'; name: string; factor: number; }
export interface ReluLayer { kind: 'relu'; name: string; }
/** Multiplies by a constant; decoders use it to bring large VGG features (std ≈ 270) near unit scale. */
export interface ScaleLayer { kind: 'scale'; name: string; factor: number; }

/** Running statistics of one BatchNorm "twin". */
export interface BatchNormStats { movingMean: tf.Variable; movingVariance: tf.Variable; }
/**
 * BatchNorm with an optional auxiliary twin (AdvProp / Algorithm 1): the clean path uses `clean`,
 * the adversarial path uses `adv`. Both twins own their affine parameters and running statistics.
 */
export interface BatchNormTwin extends BatchNormStats { gamma: tf.Variable; beta: tf.Variable; }
export interface BatchNormLayer {
  kind: 'batchnorm';
  name: string;
  epsilon: number;
  momentum: number;
  clean: BatchNormTwin;
  adv: BatchNormTwin | null;
}

export type Layer =
  | ConvLayer | DenseLayer | MaxPoolLayer | FlattenLayer | GlobalAvgPoolLayer | UpsampleLayer | ReluLayer
  | ScaleLayer | BatchNormLayer;

export interface Network {
  name: string;
  /** [H, W, C] of the input the network expects. */
  inputShape: [number, number, number];
  layers: Layer[];
}

/** How a forward pass treats BatchNorm layers. */
export interface ForwardOptions {
  /** Which BN twin to use: 'clean' (default, and always at test time) or 'adv'. */
  bn?: 'clean' | 'adv';
  /** Batch statistics instead of running statistics (training mode). */
  training?: boolean;
  /**
   * In training mode, batch statistics observed per BN layer are pushed here so the caller can update
   * the running statistics outside the gradient computation.
   */
  observedStats?: Array<{ layer: BatchNormLayer; twin: 'clean' | 'adv'; mean: tf.Tensor; variance: tf.Tensor }>;
}

export function layerIndex(net: Network, name: string): number {
  const i = net.layers.findIndex((l) => l.name === name);
  if (i < 0) {
    throw new Error(`Layer "${name}" is not in ${net.name}. Layers: ${net.layers.map((l) => l.name).join(', ')}`);
  }
  return i;
}

/** True when the layer's output went through a ReLU, so AdvBN clamps the perturbed feature at 0 (§2). */
export function outputIsRelu(layer: Layer): boolean {
  if (layer.kind === 'relu') return true;
  if (layer.kind === 'conv2d' || layer.kind === 'dense') return layer.activation === 'relu';
  return false;
}

function activate(x: tf.Tensor, a: Activation): tf.Tensor {
  // softmax is left to the caller: forward() returns logits (see the module comment).
  return a === 'relu' ? tf.relu(x) : x;
}

/** relu: the ReLU layer that follows, applied in the same op (forwardRange fuses the pair). */
function applyBatchNorm(layer: BatchNormLayer, x: tf.Tensor, opts: ForwardOptions, relu = false): tf.Tensor {
  const twinName = opts.bn === 'adv' && layer.adv ? 'adv' : 'clean';
  const twin = twinName === 'adv' ? layer.adv! : layer.clean;
  if (opts.training) {
    const { y, mean, variance } = batchNormTraining(x, twin.gamma, twin.beta, layer.epsilon, relu);
    if (opts.observedStats) opts.observedStats.push({ layer, twin: twinName, mean, variance });
    else tf.dispose([mean, variance]); // nobody asked for them (a tape keeps its own copies)
    return y;
  }
  return batchNormInference(x, twin.movingMean, twin.movingVariance, twin.gamma, twin.beta, layer.epsilon, relu);
}

/** x·W with W given as row blocks W_0 … W_k: Σ x[:, rows_i]·W_i (every binding stays as small as a block). */
function matMulByRowBlocks(x: tf.Tensor2D, parts: tf.Tensor2D[]): tf.Tensor {
  return tf.tidy(() => {
    let offset = 0;
    const terms = parts.map((p) => {
      const rows = p.shape[0];
      const t = tf.matMul(tf.slice(x, [0, offset], [-1, rows]), p);
      offset += rows;
      return t;
    });
    return terms.length === 1 ? terms[0]! : tf.addN(terms);
  });
}

/** Applies one layer. Pure: no state changes (BN running statistics are updated by the trainer). */
export function applyLayer(layer: Layer, x: tf.Tensor, opts: ForwardOptions = {}): tf.Tensor {
  switch (layer.kind) {
    case 'conv2d': {
      let input = x as tf.Tensor4D;
      let padding: 'same' | 'valid' = layer.padding === 'reflect' ? 'valid' : layer.padding;
      if (layer.padding === 'reflect') {
        const p = Math.floor(layer.kernel.shape[0] / 2);
        input = tf.mirrorPad(input, [[0, 0], [p, p], [p, p], [0, 0]], 'reflect');
      }
      let y: tf.Tensor = tf.conv2d(input, layer.kernel, layer.strides, padding);
      if (layer.bias) y = tf.add(y, layer.bias);
      return activate(y, layer.activation);
    }
    case 'dense': {
      let y: tf.Tensor = layer.parts ? matMulByRowBlocks(x as tf.Tensor2D, layer.parts) : tf.matMul(x as tf.Tensor2D, layer.kernel);
      if (layer.bias) y = tf.add(y, layer.bias);
      return activate(y, layer.activation);
    }
    case 'maxpool':
      if (layer.ceil && layer.size !== layer.strides) throw new Error(`Layer ${layer.name}: ceil-mode pooling needs size = strides.`);
      return tf.maxPool(x as tf.Tensor4D, layer.size, layer.strides, layer.ceil ? 'same' : 'valid');
    case 'flatten':
      return tf.reshape(x, [x.shape[0], -1]);
    case 'gap':
      return tf.mean(x, [1, 2]);
    case 'upsample': {
      const [, h, w] = x.shape;
      return tf.image.resizeNearestNeighbor(x as tf.Tensor4D, [h! * layer.factor, w! * layer.factor]);
    }
    case 'relu':
      return tf.relu(x);
    case 'scale':
      return tf.mul(x, layer.factor);
    case 'batchnorm':
      return applyBatchNorm(layer, x, opts);
  }
}

/**
 * Runs layers [from, to) of `net` on x. Intermediate tensors are disposed as soon as the next layer
 * has consumed them, so a deep forward pass holds at most two activations at a time (outside a
 * gradient tape). x itself is never disposed.
 */
export function forwardRange(net: Network, x: tf.Tensor, from: number, to: number, opts: ForwardOptions = {}): tf.Tensor {
  let h = x;
  for (let i = from; i < to; i++) {
    const layer = net.layers[i]!;
    // A BatchNorm followed by a ReLU (the domains head's pattern) runs as one op: one pass fewer each way.
    const fused = layer.kind === 'batchnorm' && i + 1 < to && net.layers[i + 1]!.kind === 'relu';
    const next = fused ? applyBatchNorm(layer, h, opts, true) : applyLayer(layer, h, opts);
    if (fused) i++;
    if (h !== x && !isTaped()) h.dispose();
    h = next;
  }
  return h === x ? tf.clone(x) : h;
}

/**
 * While a gradient tape records (tf.grad, tf.variableGrads, ...), intermediates are needed by the
 * backward pass and must not be disposed by hand; tfjs frees them when the tape ends.
 */
function isTaped(): boolean {
  // The engine's gradientDepth is not public API; tf.ENV has no flag for it. We read it defensively.
  const engine = tf.engine() as unknown as { state?: { gradientDepth?: number } };
  return (engine.state?.gradientDepth ?? 0) > 0;
}

/** Full network: logits. */
export function forward(net: Network, x: tf.Tensor, opts: ForwardOptions = {}): tf.Tensor {
  return forwardRange(net, x, 0, net.layers.length, opts);
}

export interface Split {
  net: Network;
  /** Name of the split layer l: the encoder ends with it. */
  layer: string;
  /** Index of l in net.layers. */
  index: number;
  /** Whether the feature at l is a ReLU output (then AdvBN clamps f_adv at 0). */
  relu: boolean;
  /** g^{1,l}: input → features at l. */
  encode(x: tf.Tensor, opts?: ForwardOptions): tf.Tensor;
  /** g^{l+1,L}: features at l → logits. */
  head(f: tf.Tensor, opts?: ForwardOptions): tf.Tensor;
}

/** Splits a network at layer `name`. Encoder and head are views on the same layer objects. */
export function split(net: Network, name: string): Split {
  const index = layerIndex(net, name);
  return {
    net,
    layer: name,
    index,
    relu: outputIsRelu(net.layers[index]!),
    encode: (x, opts) => forwardRange(net, x, 0, index + 1, opts),
    head: (f, opts) => forwardRange(net, f, index + 1, net.layers.length, opts),
  };
}

/** All tensors a network owns (for disposal). */
export function networkTensors(net: Network): tf.Tensor[] {
  const out: tf.Tensor[] = [];
  for (const l of net.layers) {
    if (l.kind === 'conv2d' || l.kind === 'dense') {
      out.push(l.kernel);
      if (l.bias) out.push(l.bias);
      if (l.kind === 'dense' && l.parts) out.push(...l.parts);
    } else if (l.kind === 'batchnorm') {
      for (const t of [l.clean, l.adv]) {
        if (t) out.push(t.gamma, t.beta, t.movingMean, t.movingVariance);
      }
    }
  }
  return out;
}

export function disposeNetwork(net: Network): void {
  for (const t of networkTensors(net)) t.dispose();
}

/** Each layer's output shape (one input, no batch axis) and forward FLOPs, over layers [from, to). */
export function layerShapes(net: Network, from = 0, to = net.layers.length, inputShape: number[] = net.inputShape): Array<{ name: string; shape: number[]; flops: number }> {
  let shape = [...inputShape];
  const out: Array<{ name: string; shape: number[]; flops: number }> = [];
  for (let i = from; i < to; i++) {
    const l = net.layers[i]!;
    let flops = 0;
    if (l.kind === 'conv2d') {
      const [kh, kw, cin, cout] = l.kernel.shape;
      const pad = l.padding === 'valid' ? 0 : Math.floor(kh / 2);
      const h = Math.floor((shape[0]! + 2 * pad - kh) / l.strides) + 1;
      const w = Math.floor((shape[1]! + 2 * pad - kw) / l.strides) + 1;
      flops = 2 * h * w * kh * kw * cin * cout;
      shape = [h, w, cout];
    } else if (l.kind === 'dense') {
      const [cin, cout] = l.kernel.shape;
      flops = 2 * cin * cout;
      shape = [cout];
    } else if (l.kind === 'maxpool') {
      const round = l.ceil ? Math.ceil : Math.floor;
      shape = [round((shape[0]! - l.size) / l.strides) + 1, round((shape[1]! - l.size) / l.strides) + 1, shape[2]!];
    } else if (l.kind === 'flatten') {
      shape = [shape.reduce((a, b) => a * b, 1)];
    } else if (l.kind === 'gap') {
      shape = [shape[2]!];
    } else if (l.kind === 'upsample') {
      shape = [shape[0]! * l.factor, shape[1]! * l.factor, shape[2]!];
    }
    out.push({ name: l.name, shape, flops });
  }
  return out;
}

/** Multiply-accumulate count ×2 (FLOPs) of a forward pass over layers [from, to) for one input. */
export function forwardFlops(net: Network, from: number, to: number, inputShape: number[] = net.inputShape): number {
  return layerShapes(net, from, to, inputShape).reduce((s, l) => s + l.flops, 0);
}
