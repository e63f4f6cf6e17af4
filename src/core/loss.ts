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

export { topK, type Prediction } from '../common/predictions';
