/**
 * Adam (Kingma & Ba, ICLR 2015) as tfjs's AdamOptimizer computes it, at step t = 1, 2, …:
 *
 *     m ← β1·m + (1 − β1)·g,    v ← β2·v + (1 − β2)·g²,
 *     w ← w − lr · (m / c1) / (√(v / c2) + ε),    c1 = 1 − β1^t,  c2 = 1 − β2^t   (β1^t in float32, as tfjs)
 *
 * One fused kernel per variable where the active backend has FUSED_ADAM_KERNEL (our WASM kernels), else
 * the tfjs ops above, in tfjs's order. Both read and write the same state, so a backend may switch between
 * steps. The learning rate is given per step (the schedules of advbn-training.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { FUSED_ADAM_KERNEL } from '../common/kernel-names';

export class Adam {
  private readonly moments = new Map<tf.Variable, { m: tf.Variable; v: tf.Variable }>();
  private acc1 = 1;
  private acc2 = 1;

  constructor(readonly beta1 = 0.9, readonly beta2 = 0.999, private epsilon?: number) {}

  /** One step on every variable with a gradient in `grads` (by name); disposes nothing of `grads`. */
  apply(vars: tf.Variable[], grads: tf.NamedTensorMap, lr: number): void {
    const { beta1, beta2 } = this;
    const eps = (this.epsilon ??= tf.backend().epsilon());
    this.acc1 = Math.fround(this.acc1 * Math.fround(beta1));
    this.acc2 = Math.fround(this.acc2 * Math.fround(beta2));
    const c1 = Math.fround(1 - this.acc1), c2 = Math.fround(1 - this.acc2);
    const fused = tf.getKernel(FUSED_ADAM_KERNEL, tf.getBackend()) !== undefined;
    for (const w of vars) {
      const g = grads[w.name];
      if (!g) continue;
      let s = this.moments.get(w);
      if (!s) {
        s = tf.tidy(() => ({ m: tf.variable(tf.zerosLike(w), false), v: tf.variable(tf.zerosLike(w), false) }));
        this.moments.set(w, s);
      }
      const { m, v } = s;
      if (fused) {
        const out = tf.engine().runKernel(FUSED_ADAM_KERNEL, { w, g, m, v }, { lr, beta1, beta2, epsilon: eps, c1, c2 }) as tf.Tensor[];
        w.assign(out[0]!);
        m.assign(out[1]!);
        v.assign(out[2]!);
        tf.dispose(out);
      } else {
        tf.tidy(() => {
          const m2 = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
          const v2 = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
          const step = tf.div(tf.div(m2, c1), tf.add(tf.sqrt(tf.div(v2, c2)), eps));
          m.assign(m2);
          v.assign(v2);
          w.assign(tf.add(tf.mul(step, -lr), w));
        });
      }
    }
  }

  dispose(): void {
    for (const { m, v } of this.moments.values()) tf.dispose([m, v]);
    this.moments.clear();
  }
}
