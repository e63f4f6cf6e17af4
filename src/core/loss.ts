import * as tf from '@tensorflow/tfjs';

/** Mean cross-entropy of logits [N, K] against integer labels (length N). Log-softmax keeps it stable. */
export function crossEntropy(logits: tf.Tensor, labels: tf.Tensor1D | number[]): tf.Scalar {
  return tf.tidy(() => {
    const k = logits.shape[logits.rank - 1]!;
    const y = Array.isArray(labels) ? tf.tensor1d(labels, 'int32') : labels.toInt();
    const oneHot = tf.oneHot(y, k);
    const logp = tf.logSoftmax(logits as tf.Tensor2D);
    return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, logp), -1))) as tf.Scalar;
  });
}

export interface Prediction { index: number; name: string; prob: number; }

/** Top-k of probabilities [K] (one image) with class names. */
export function topK(probs: Float32Array | number[], k: number, labels: readonly string[]): Prediction[] {
  const idx = Array.from(probs.keys()).sort((a, b) => probs[b]! - probs[a]!);
  return idx.slice(0, k).map((i) => ({ index: i, name: labels[i] ?? `class ${i}`, prob: probs[i]! }));
}
