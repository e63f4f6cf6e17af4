/**
 * BatchNorm's two modes as ops with their own gradients, fused where the backend has kernels for them.
 *
 * Training mode (batch statistics), one op:
 *
 *     μ = mean of x over every axis but the last,   σ² = mean of (x − μ)² (biased, as tf.moments),
 *     y = γ (x − μ) / √(σ² + ε) + β,
 *
 * returning y, μ and σ² (the trainer updates the running statistics from μ and σ²). With r = 1/√(σ² + ε),
 * x̂ = (x − μ)·r, R positions per channel and upstream gradients dy, dμ, dσ²:
 *
 *     ∂β = Σ dy,   ∂γ = Σ dy·x̂,   ∂x = γr·dy − γr/R·(Σ dy + x̂·Σ dy·x̂) + dμ/R + 2·dσ²·(x − μ)/R.
 *
 * Where the active backend has BN_TRAINING_KERNEL (our WASM kernels: src/backend/kernels/wasm-batchnorm.ts)
 * the forward pass and, through the gradient registered here, the backward pass are one kernel each;
 * elsewhere the op is tf.moments then tf.batchNorm, and tfjs differentiates those. Both give the same values
 * (src/backend/kernels/wasm-batchnorm.test.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { BN_TRAINING_GRAD_KERNEL, BN_TRAINING_KERNEL, CHANNEL_AFFINE_KERNEL } from '../common/kernel-names';

/** The gradient of BN_TRAINING_KERNEL from tfjs ops (where the fused gradient kernel is missing). */
function composedGradient(dy: tf.Tensor, x: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, gamma: tf.Tensor,
  dmean: tf.Tensor, dvariance: tf.Tensor, epsilon: number): tf.Tensor[] {
  return tf.tidy(() => {
    const axes = x.shape.slice(0, -1).map((_, i) => i);
    const rows = x.size / x.shape[x.shape.length - 1]!;
    const r = tf.rsqrt(tf.add(variance, epsilon));
    const gr = tf.mul(gamma, r);
    const xc = tf.sub(x, mean);
    const sdy = tf.sum(dy, axes);
    const sdyx = tf.sum(tf.mul(dy, xc), axes);
    const b = tf.div(tf.sub(tf.mul(dvariance, 2), tf.mul(tf.mul(gr, tf.square(r)), sdyx)), rows);
    const d = tf.div(tf.sub(dmean, tf.mul(gr, sdy)), rows);
    const dx = tf.add(tf.add(tf.mul(dy, gr), tf.mul(xc, b)), d);
    return [dx, tf.mul(sdyx, r), sdy];
  });
}

tf.registerGradient({
  kernelName: BN_TRAINING_KERNEL,
  inputsToSave: ['x', 'gamma'],
  outputsToSave: [false, true, true],
  gradFunc: (dys, saved, attrs) => {
    const [dy, dmean, dvariance] = dys as tf.Tensor[];
    const [x, gamma, mean, variance] = saved as tf.Tensor[];
    const { epsilon } = attrs as unknown as { epsilon: number };
    // Computed here, once for all three inputs: the engine disposes what no input asks for with the backward pass.
    const [dx, dgamma, dbeta] = tf.getKernel(BN_TRAINING_GRAD_KERNEL, tf.getBackend())
      ? tf.engine().runKernel(BN_TRAINING_GRAD_KERNEL, { dy: dy!, x: x!, mean: mean!, variance: variance!, gamma: gamma!, dmean: dmean!, dvariance: dvariance! }, { epsilon }) as tf.Tensor[]
      : composedGradient(dy!, x!, mean!, variance!, gamma!, dmean!, dvariance!, epsilon);
    return { x: () => dx!, gamma: () => dgamma!, beta: () => dbeta! };
  },
});

/** Whether the active backend runs the fused kernel (else the composed ops). */
export function fusedBatchNormTraining(): boolean {
  return tf.getKernel(BN_TRAINING_KERNEL, tf.getBackend()) !== undefined;
}

/** BatchNorm with batch statistics over every axis but the last of x; gamma, beta: [C]. */
export function batchNormTraining(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): { y: tf.Tensor; mean: tf.Tensor; variance: tf.Tensor } {
  if (fusedBatchNormTraining()) {
    const [y, mean, variance] = tf.engine().runKernel(BN_TRAINING_KERNEL, { x, gamma, beta }, { epsilon }) as tf.Tensor[];
    return { y: y!, mean: mean!, variance: variance! };
  }
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  const { mean, variance } = tf.moments(x, axes);
  return { y: tf.batchNorm(x, mean, variance, beta, gamma, epsilon), mean, variance };
}

/** Every axis but the last. */
function leadingAxes(x: tf.Tensor): number[] {
  return x.shape.slice(0, -1).map((_, i) => i);
}

tf.registerGradient({
  kernelName: CHANNEL_AFFINE_KERNEL,
  inputsToSave: ['x', 'a'],
  gradFunc: (dy, saved) => {
    const [x, a] = saved as tf.Tensor[];
    const g = dy as tf.Tensor;
    return { x: () => channelAffine(g, a!), a: () => tf.sum(tf.mul(g, x!), leadingAxes(x!)), b: () => tf.sum(g, leadingAxes(x!)) };
  },
});

/** x·a + b per channel (a, b: [C] for x [..., C]; b optional): one kernel where the backend has CHANNEL_AFFINE_KERNEL. */
export function channelAffine(x: tf.Tensor, a: tf.Tensor, b?: tf.Tensor): tf.Tensor {
  if (tf.getKernel(CHANNEL_AFFINE_KERNEL, tf.getBackend())) return tf.engine().runKernel(CHANNEL_AFFINE_KERNEL, b ? { x, a, b } : { x, a }) as tf.Tensor;
  return b ? tf.add(tf.mul(x, a), b) : tf.mul(x, a);
}

/**
 * BatchNorm with running statistics (inference mode, and the eval-mode passes of PGD):
 *
 *     y = γ (x − μ_run) / √(σ²_run + ε) + β  =  x·a + b,   a = γ / √(σ²_run + ε),  b = β − μ_run·a,
 *
 * the per-channel affine map in one pass where the backend has CHANNEL_AFFINE_KERNEL (its ∂L/∂x, dy·a, is one
 * pass too; tfjs's FusedBatchNorm gradient makes four over the activation: x − μ, a tiled 1/√(σ² + ε), two
 * products); tf.batchNorm elsewhere. The two differ by rounding only (≈ 1e-7 of |μ_run·a|).
 */
export function batchNormInference(x: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): tf.Tensor {
  if (!tf.getKernel(CHANNEL_AFFINE_KERNEL, tf.getBackend())) return tf.batchNorm(x, mean, variance, beta, gamma, epsilon);
  return tf.tidy(() => {
    const a = tf.mul(gamma, tf.rsqrt(tf.add(variance, epsilon)));
    return channelAffine(x, a, tf.sub(beta, tf.mul(mean, a)));
  });
}
