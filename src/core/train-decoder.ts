/**
 * Decoder training (§5): a frozen encoder g^{1,l}, a decoder trained with Adam on pixel MSE plus a
 * small total-variation term. Also the staged variant for deep layers: a decoder "top" learns to map
 * features at l to features at an earlier layer v (cheap: it runs at feature resolution), and is then
 * stacked on a decoder for v.
 *
 * Framework-free: the caller supplies batches (RGB [0, 1] crops) and receives progress callbacks;
 * Node's CLI and a browser page can both drive it.
 */
import * as tf from '@tensorflow/tfjs';
import { forwardRange, layerIndex, type Network, forward } from '../models/network';
import { preprocess, type Preprocessing } from '../models/preprocess';

/** Mean squared error plus tvWeight × mean absolute difference between neighbouring pixels. */
export function reconstructionLoss(pred: tf.Tensor4D, target: tf.Tensor4D, tvWeight: number): tf.Scalar {
  return tf.tidy(() => {
    const mse = tf.mean(tf.squaredDifference(pred, target));
    if (!tvWeight) return mse as tf.Scalar;
    const [, h, w] = pred.shape;
    const dy = tf.abs(tf.sub(tf.slice(pred, [0, 1, 0, 0], [-1, h - 1, -1, -1]), tf.slice(pred, [0, 0, 0, 0], [-1, h - 1, -1, -1])));
    const dx = tf.abs(tf.sub(tf.slice(pred, [0, 0, 1, 0], [-1, -1, w - 1, -1]), tf.slice(pred, [0, 0, 0, 0], [-1, -1, w - 1, -1])));
    return tf.add(mse, tf.mul(tvWeight, tf.add(tf.mean(dy), tf.mean(dx)))) as tf.Scalar;
  });
}

/** PSNR in dB of RGB images in [0, 1] measured on the 0–255 scale (after clamping the prediction). */
export function psnr(pred: tf.Tensor4D, target: tf.Tensor4D): Promise<number> {
  const mse = tf.tidy(() => tf.mean(tf.squaredDifference(tf.mul(tf.clipByValue(pred, 0, 1), 255), tf.mul(target, 255))));
  return mse.data().then((d) => { mse.dispose(); return 10 * Math.log10((255 * 255) / Math.max(d[0]!, 1e-10)); });
}

/**
 * Mean SSIM (Gaussian window σ = 1.5, 11×11, on luma, 0–255), as in Wang et al. 2004.
 */
export function ssim(pred: tf.Tensor4D, target: tf.Tensor4D): Promise<number> {
  const s = tf.tidy(() => {
    const luma = (x: tf.Tensor4D) => tf.sum(tf.mul(tf.mul(tf.clipByValue(x, 0, 1), 255), tf.tensor1d([0.299, 0.587, 0.114])), -1, true) as tf.Tensor4D;
    const a = luma(pred), b = luma(target);
    const g = Array.from({ length: 11 }, (_, i) => Math.exp(-((i - 5) ** 2) / (2 * 1.5 * 1.5)));
    const sum = g.reduce((p, q) => p + q, 0);
    const k1 = tf.tensor4d(g.map((v) => v / sum), [11, 1, 1, 1]);
    const k2 = tf.tensor4d(g.map((v) => v / sum), [1, 11, 1, 1]);
    const blur = (x: tf.Tensor4D) => tf.conv2d(tf.conv2d(x, k1, 1, 'valid'), k2, 1, 'valid');
    const mu1 = blur(a), mu2 = blur(b);
    const s11 = tf.sub(blur(tf.mul(a, a)), tf.mul(mu1, mu1));
    const s22 = tf.sub(blur(tf.mul(b, b)), tf.mul(mu2, mu2));
    const s12 = tf.sub(blur(tf.mul(a, b)), tf.mul(mu1, mu2));
    const c1 = (0.01 * 255) ** 2, c2 = (0.03 * 255) ** 2;
    const num = tf.mul(tf.add(tf.mul(2, tf.mul(mu1, mu2)), c1), tf.add(tf.mul(2, s12), c2));
    const den = tf.mul(tf.add(tf.add(tf.mul(mu1, mu1), tf.mul(mu2, mu2)), c1), tf.add(tf.add(s11, s22), c2));
    return tf.mean(tf.div(num, den));
  });
  return s.data().then((d) => { s.dispose(); return d[0]!; });
}

export interface DecoderTrainingSetup {
  encoder: Network;
  preprocessing: Preprocessing;
  /** The split layer whose features are decoded. */
  layer: string;
  decoder: Network;
  /**
   * Staged training: the decoder maps features at `layer` to features at `via` divided by
   * `viaScale` (the via decoder's feature scale), instead of to pixels.
   */
  via?: { layer: string; scale: number };
  tvWeight: number;
  /**
   * A feature (perceptual) term: weight × mean squared difference between the encoder's features of
   * the decoded image and the input features at `layer`, divided by scale² (the feature scale). It keeps
   * what the classifier sees, and so its class, where pixel MSE alone blurs it away.
   */
  featureLoss?: { weight: number; scale: number };
  optimizer: tf.Optimizer;
}

/** Trainable variables of a network (conv/dense kernels and biases that are tf.Variables). */
export function trainableVariables(net: Network): tf.Variable[] {
  const out: tf.Variable[] = [];
  for (const l of net.layers) {
    if (l.kind === 'conv2d' || l.kind === 'dense') {
      for (const t of [l.kernel, l.bias]) if (t instanceof tf.Variable && t.trainable) out.push(t);
    }
  }
  return out;
}

/** Encoder features (and, for staged training, the target features) of a batch. No gradient. */
function targets(s: DecoderTrainingSetup, rgb: tf.Tensor4D): { input: tf.Tensor; target: tf.Tensor4D } {
  return tf.tidy(() => {
    const x = preprocess(s.preprocessing, rgb);
    const li = layerIndex(s.encoder, s.layer);
    if (!s.via) return { input: forwardRange(s.encoder, x, 0, li + 1), target: rgb.clone() };
    const vi = layerIndex(s.encoder, s.via.layer);
    const fv = forwardRange(s.encoder, x, 0, vi + 1);
    const f = forwardRange(s.encoder, fv, vi + 1, li + 1);
    return { input: f, target: tf.div(fv, s.via.scale) as tf.Tensor4D };
  });
}

/** One Adam step on a batch of RGB crops; returns the loss before the update. */
export async function decoderTrainStep(s: DecoderTrainingSetup, rgb: tf.Tensor4D): Promise<number> {
  const { input, target } = targets(s, rgb);
  const vars = trainableVariables(s.decoder);
  const loss = s.optimizer.minimize(() => {
    const pred = forward(s.decoder, input) as tf.Tensor4D;
    if (s.via) return tf.mean(tf.squaredDifference(pred, target)) as tf.Scalar;
    const pixel = reconstructionLoss(pred, target, s.tvWeight);
    if (!s.featureLoss) return pixel;
    const fPred = forwardRange(s.encoder, preprocess(s.preprocessing, tf.clipByValue(pred, 0, 1)), 0, layerIndex(s.encoder, s.layer) + 1);
    const feature = tf.div(tf.mean(tf.squaredDifference(fPred, input)), s.featureLoss.scale ** 2);
    return tf.add(pixel, tf.mul(s.featureLoss.weight, feature)) as tf.Scalar;
  }, true, vars)!;
  const v = (await loss.data())[0]!;
  tf.dispose([loss, input, target]);
  if (!Number.isFinite(v)) throw new Error('Decoder training diverged (loss is not finite); lower the learning rate.');
  return v;
}

/** Decodes the features of `rgb` at `layer` back to RGB in [0, 1] (m = 0 reconstruction). */
export function reconstruct(encoder: Network, preprocessing: Preprocessing, layer: string, decoder: Network, rgb: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const f = forwardRange(encoder, preprocess(preprocessing, rgb), 0, layerIndex(encoder, layer) + 1);
    return forward(decoder, f) as tf.Tensor4D;
  });
}

/** Typical scale of a layer's features (std over a batch), used to normalise decoder inputs. */
export function featureStd(encoder: Network, preprocessing: Preprocessing, layer: string, rgb: tf.Tensor4D): Promise<number> {
  const s = tf.tidy(() => tf.moments(forwardRange(encoder, preprocess(preprocessing, rgb), 0, layerIndex(encoder, layer) + 1)).variance.sqrt());
  return s.data().then((d) => { s.dispose(); return d[0]!; });
}
