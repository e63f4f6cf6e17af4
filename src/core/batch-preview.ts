/**
 * AdvBN applied to one training batch, as Algorithm 1 does it, for people to look at: PGD on δ for the
 * whole batch (true labels, feature-mode loss through the given head), then — when a decoder for the split
 * layer exists — the clean features (m = 0) and the perturbed ones decoded back to images, with the head's
 * predictions on both (the clean one through the main BNs, the AdvBN one through the auxiliary BNs). Shared by the Train page (style world, domains folders) and `advbn train --pictures`.
 */
import * as tf from '@tensorflow/tfjs';
import { forward, type Network } from '../models/network';
import { runPgd, type PgdSettings } from './pgd';
import { perturbFeatures, disposeDelta } from './advbn';
import { channelMean } from './stats';

export interface BatchPreview {
  /** Decoded m = 0 and decoded AdvBN features, HWC in [0, 1] per image (null without a decoder). */
  recon: Float32Array[] | null;
  adv: Float32Array[] | null;
  /** Decoded image side (the decoder's output size). */
  decodedSize: number;
  /** The head's top-1 on the clean and on the AdvBN features. */
  cleanPred: number[];
  advPred: number[];
  /** PGD loss at δ = 1 and after the last step. */
  loss: [number, number];
}

/** `k` indices spread evenly over a set of `n` (sorted by class, so the batch shows several classes). */
export function spreadIndices(n: number, k = 8): number[] {
  const m = Math.min(k, n);
  return Array.from({ length: m }, (_, i) => Math.floor((i * n) / m));
}

/**
 * `f`: a batch of features at the split [n, h, w, c] (not disposed here); `relu`: whether the split is
 * after a ReLU. The two heads map features to logits in inference mode, as training uses them:
 * `advHead` through the auxiliary BNs (PGD and the AdvBN prediction; advbn-training.ts's pgdHead),
 * `cleanHead` through the main BNs (the clean prediction; cleanHead there). A network without auxiliary
 * BNs passes the same head twice.
 */
export async function previewAdvbnBatch(
  f: tf.Tensor4D, relu: boolean, advHead: (fa: tf.Tensor) => tf.Tensor, labels: number[], pgd: PgdSettings, decoder: Network | null,
  cleanHead: (f: tf.Tensor) => tf.Tensor,
): Promise<BatchPreview> {
  const n = f.shape[0];
  const owned: tf.Tensor[] = [];
  try {
    const { reports, delta } = await runPgd(f, relu, (fa) => ({ logits: advHead(fa) }), { labels, targeted: false }, pgd, { images: false });
    const mean = channelMean(f);
    const fAdv = perturbFeatures(f, delta.mu, delta.sigma, relu, mean);
    owned.push(mean, fAdv);
    disposeDelta(delta);
    // Made inside tidies: logits made as arguments would outlive them.
    const cp = tf.tidy(() => tf.argMax(cleanHead(f), -1));
    const ap = tf.tidy(() => tf.argMax(advHead(fAdv), -1));
    owned.push(cp, ap);
    let recon: Float32Array[] | null = null, adv: Float32Array[] | null = null, decodedSize = 0;
    if (decoder) {
      const r = tf.tidy(() => tf.clipByValue(forward(decoder, f), 0, 1));
      const a = tf.tidy(() => tf.clipByValue(forward(decoder, fAdv), 0, 1));
      owned.push(r, a);
      decodedSize = r.shape[1]!;
      const per = decodedSize * r.shape[2]! * 3;
      const images = async (t: tf.Tensor) => {
        const px = (await t.data()) as Float32Array;
        return Array.from({ length: n }, (_, i) => px.slice(i * per, (i + 1) * per));
      };
      [recon, adv] = await Promise.all([images(r), images(a)]);
    }
    return {
      recon, adv, decodedSize, cleanPred: Array.from(await cp.data()), advPred: Array.from(await ap.data()),
      loss: [reports[0]?.loss ?? NaN, reports[reports.length - 1]?.loss ?? NaN],
    };
  } finally {
    tf.dispose(owned);
  }
}
