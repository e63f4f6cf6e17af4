/** Where a step spends its time, per kernel (advbn bench --profile and bench --train --profile). */
import * as tf from '@tensorflow/tfjs';

export interface KernelTime { kernel: string; shape: string; calls: number; ms: number; share: number }

/**
 * Where one call of `f` spends its time: tfjs's profiler, summed per kernel and output shape, most
 * expensive first (`byName`: per kernel only). Kernels that compose others (the project's WASM conv
 * gradients) count as one.
 */
export async function profileKernels(f: () => Promise<void>, top = 15, byName = false): Promise<KernelTime[]> {
  const info = await tf.profile(async () => { await f(); return []; });
  const sums = new Map<string, KernelTime>();
  let total = 0;
  for (const k of info.kernels) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    total += ms;
    const shape = k.outputShapes.map((s) => (s ? s.join('×') : '?')).join(',');
    const key = byName ? k.name : `${k.name} ${shape}`;
    const e = sums.get(key) ?? { kernel: k.name, shape: byName ? '*' : shape, calls: 0, ms: 0, share: 0 };
    e.calls++;
    e.ms += ms;
    sums.set(key, e);
  }
  return [...sums.values()]
    .sort((a, b) => b.ms - a.ms)
    .slice(0, top)
    .map((e) => ({ ...e, ms: Math.round(e.ms), share: Math.round((e.ms / Math.max(total, 1e-9)) * 1000) / 10 }));
}
