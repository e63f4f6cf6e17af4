/**
 * Names of kernels a backend may add to tfjs (src/backend registers them; src/core runs them by name when
 * the active backend has them, else composes tfjs ops to the same result).
 */

/**
 * One fused Adam update. Inputs: w, g, m, v (same shape). Attributes: lr, beta1, beta2, epsilon, c1 = 1 − β1^t,
 * c2 = 1 − β2^t. Outputs: w', m', v' (src/core/adam.ts has the equations).
 */
export const FUSED_ADAM_KERNEL = 'AdvbnFusedAdam';
/**
 * BatchNorm in training mode, fused. Inputs: x [..., C], gamma [C], beta [C]. Attribute: epsilon. Outputs: y (x's
 * shape), mean [C], variance [C] (biased, as tf.moments over every axis but the last). src/models/batchnorm-ops.ts
 * has the equations and the composed path.
 */
export const BN_TRAINING_KERNEL = 'AdvbnBatchNormTraining';
/**
 * Its gradient. Inputs: dy, x, mean, variance, gamma, dmean, dvariance. Attribute: epsilon. Outputs: dx, dgamma, dbeta.
 */
export const BN_TRAINING_GRAD_KERNEL = 'AdvbnBatchNormTrainingGrad';
/**
 * A per-channel affine map. Inputs: x [..., C], a [C], optionally b [C]. Output: x·a + b (src/models/batchnorm-ops.ts:
 * BatchNorm with running statistics, and its ∂L/∂x).
 */
export const CHANNEL_AFFINE_KERNEL = 'AdvbnChannelAffine';
