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

/** Every axis but the last. */
function leadingAxes(x: tf.Tensor): number[] {
  return x.shape.slice(0, -1).map((_, i) => i);
}

/** The gradient of BN_TRAINING_KERNEL from tfjs ops (where the fused gradient kernel is missing). */
function composedGradient(dy: tf.Tensor, x: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, gamma: tf.Tensor,
  dmean: tf.Tensor, dvariance: tf.Tensor, epsilon: number): tf.Tensor[] {
  return tf.tidy(() => {
    const axes = leadingAxes(x);
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

/** dy where y > 0, else 0: the gradient of a ReLU whose output is y (tfjs's passes where its input is > 0: the same). */
function reluMasked(dy: tf.Tensor, y: tf.Tensor): tf.Tensor {
  return tf.mul(dy, tf.step(y));
}

tf.registerGradient({
  kernelName: BN_TRAINING_KERNEL,
  inputsToSave: ['x', 'gamma'],
  outputsToSave: [true, true, true],
  gradFunc: (dys, saved, attrs) => {
    const [dy, dmean, dvariance] = dys as tf.Tensor[];
    const [x, gamma, y, mean, variance] = saved as tf.Tensor[];
    const { epsilon, relu } = attrs as unknown as { epsilon: number; relu?: boolean };
    // Computed here, once for all three inputs: the engine disposes what no input asks for with the backward pass.
    const [dx, dgamma, dbeta] = tf.getKernel(BN_TRAINING_GRAD_KERNEL, tf.getBackend())
      ? tf.engine().runKernel(BN_TRAINING_GRAD_KERNEL, { dy: dy!, x: x!, mean: mean!, variance: variance!, gamma: gamma!, dmean: dmean!, dvariance: dvariance!, ...(relu ? { y: y! } : {}) }, { epsilon }) as tf.Tensor[]
      : tf.tidy(() => composedGradient(relu ? reluMasked(dy!, y!) : dy!, x!, mean!, variance!, gamma!, dmean!, dvariance!, epsilon));
    return { x: () => dx!, gamma: () => dgamma!, beta: () => dbeta! };
  },
});

/** Whether the active backend runs the fused kernel (else the composed ops). */
export function fusedBatchNormTraining(): boolean {
  return tf.getKernel(BN_TRAINING_KERNEL, tf.getBackend()) !== undefined;
}

/**
 * BatchNorm with batch statistics over every axis but the last of x; gamma, beta: [C]. relu: y = max(BN(x), 0), the
 * ReLU that follows (in the same pass where fused; tf.relu after it otherwise).
 */
export function batchNormTraining(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number, relu = false): { y: tf.Tensor; mean: tf.Tensor; variance: tf.Tensor } {
  if (fusedBatchNormTraining()) {
    const [y, mean, variance] = tf.engine().runKernel(BN_TRAINING_KERNEL, { x, gamma, beta }, { epsilon, relu }) as tf.Tensor[];
    return { y: y!, mean: mean!, variance: variance! };
  }
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, leadingAxes(x));
    const y = tf.batchNorm(x, mean, variance, beta, gamma, epsilon);
    return { y: relu ? tf.relu(y) : y, mean, variance };
  });
}

tf.registerGradient({
  kernelName: CHANNEL_AFFINE_KERNEL,
  inputsToSave: ['x', 'a'],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [x, a, y] = saved as tf.Tensor[];
    const { relu } = attrs as unknown as { relu?: boolean };
    const g = dy as tf.Tensor;
    const masked = () => (relu ? reluMasked(g, y!) : g);
    return {
      // (dy where y > 0)·a in one pass: the kernel with y as its mask.
      x: () => (relu ? runAffine(g, a!, undefined, y!, false) : channelAffine(g, a!)),
      a: () => tf.sum(tf.mul(masked(), x!), leadingAxes(x!)),
      b: () => tf.sum(masked(), leadingAxes(x!)),
    };
  },
});

function runAffine(x: tf.Tensor, a: tf.Tensor, b: tf.Tensor | undefined, mask: tf.Tensor | undefined, relu: boolean): tf.Tensor {
  if (tf.getKernel(CHANNEL_AFFINE_KERNEL, tf.getBackend())) {
    return tf.engine().runKernel(CHANNEL_AFFINE_KERNEL, { x, a, ...(b ? { b } : {}), ...(mask ? { mask } : {}) }, { relu }) as tf.Tensor;
  }
  return tf.tidy(() => {
    const xm = mask ? reluMasked(x, mask) : x;
    const v = b ? tf.add(tf.mul(xm, a), b) : tf.mul(xm, a);
    return relu ? tf.relu(v) : v;
  });
}

/**
 * x·a + b per channel (a, b: [C] for x [..., C]; b optional), then max(·, 0) if relu: one kernel where the backend
 * has CHANNEL_AFFINE_KERNEL.
 */
export function channelAffine(x: tf.Tensor, a: tf.Tensor, b?: tf.Tensor, relu = false): tf.Tensor {
  return runAffine(x, a, b, undefined, relu);
}

/**
 * BatchNorm with running statistics (inference mode, and the eval-mode passes of PGD):
 *
 *     y = γ (x − μ_run) / √(σ²_run + ε) + β  =  x·a + b,   a = γ / √(σ²_run + ε),  b = β − μ_run·a,
 *
 * the per-channel affine map in one pass where the backend has CHANNEL_AFFINE_KERNEL (its ∂L/∂x, dy·a, is one
 * pass too; tfjs's FusedBatchNorm gradient makes four over the activation: x − μ, a tiled 1/√(σ² + ε), two
 * products); tf.batchNorm elsewhere. The two differ by rounding only (≈ 1e-7 of |μ_run·a|). relu: max(y, 0), the
 * ReLU that follows, in the same pass (its gradient in the ∂L/∂x pass).
 */
export function batchNormInference(x: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number, relu = false): tf.Tensor {
  if (!tf.getKernel(CHANNEL_AFFINE_KERNEL, tf.getBackend())) {
    return tf.tidy(() => {
      const y = tf.batchNorm(x, mean, variance, beta, gamma, epsilon);
      return relu ? tf.relu(y) : y;
    });
  }
  return tf.tidy(() => {
    const a = tf.mul(gamma, tf.rsqrt(tf.add(variance, epsilon)));
    return channelAffine(x, a, tf.sub(beta, tf.mul(mean, a)), relu);
  });
}
