/**
 * What "WebGPU agrees with WASM" means for each case of webgpu-agreement.ts, as a list of
 * disagreements (empty: they agree). Shared by the agreement tests (src/cli/webgpu-agreement.test.ts)
 * and `npm run gpu-check` (scripts/gpu-check.ts), which prints them instead of failing.
 */
import type { AgreementOutput, BackendResult } from './webgpu-agreement';

/** max |a − b| over max |a| (the WASM values are the reference). */
export function relErr(a: number[], b: number[]): number {
  if (a.length !== b.length) return Infinity;
  let scale = 0, err = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(a[i]!));
    err = Math.max(err, Math.abs(a[i]! - b[i]!));
  }
  return err / Math.max(scale, 1e-12);
}

/** The WASM and the WebGPU result of a case, or the reason they cannot be compared. */
export function pair(out: AgreementOutput): [BackendResult, BackendResult] | string {
  const wasm = out.results.find((r) => r.backend === 'wasm'), gpu = out.results.find((r) => r.backend === 'webgpu');
  if (!wasm || !gpu) return `${out.case}: not both backends ran`;
  if (gpu.ranOn !== 'webgpu') return `${out.case}: the WebGPU half ran on ${gpu.ranOn}`;
  if (wasm.ranOn !== 'wasm') return `${out.case}: the WASM half ran on ${wasm.ranOn}`;
  return [wasm, gpu];
}

/**
 * δ after a sign step is 1 ± τ (or 1 where ∂L/∂δ is exactly 0), so it is compared exactly, channel by
 * channel. A channel whose gradient is at rounding level (measured: VGG-19 block5_conv2, channel 222,
 * ∂L/∂δσ = 6.3e-8 against a largest 0.0175) may take either sign on either backend, so up to 1 % of the
 * channels (at least one) may differ; the loss after the update must still agree. A wrong kernel moves
 * many: WASM's old MaxPoolGrad flipped 7 of 16 on the style world.
 */
function deltaProblems(w: number[], g: number[], what: string): string[] {
  if (w.length !== g.length) return [`${what}: ${w.length} channels on WASM, ${g.length} on WebGPU`];
  const differ = w.flatMap((v, i) => (v === g[i] ? [] : [i]));
  return differ.length <= Math.max(1, Math.floor(w.length / 100)) ? []
    : [`${what}: ${differ.length} of ${w.length} channels differ: ${differ.slice(0, 8).map((i) => `[${i}] ${w[i]} on WASM, ${g[i]} on WebGPU`).join('; ')}`];
}

/** Clean top-5, the loss before and after the update within 1e-4 relative, δ equal. */
export function pgdStepProblems(wasm: BackendResult, gpu: BackendResult): string[] {
  const p: string[] = [];
  if (JSON.stringify(gpu.top5) !== JSON.stringify(wasm.top5)) p.push(`clean top-5: ${wasm.top5} on WASM, ${gpu.top5} on WebGPU`);
  const cp = relErr(wasm.values.cleanProbs!, gpu.values.cleanProbs!);
  if (!(cp < 1e-4)) p.push(`clean probabilities: relative difference ${cp}`);
  // The loss after the update within 1e-4 relative. The clean loss (step 0) can be tiny (0.0105 on the
  // VGG-19 photo), where float32 logits of magnitude ≈ 30 carry ≈ 2e-6 absolute rounding (measured:
  // 1.6e-6), so it gets 1e-5 absolute on top.
  wasm.values.loss!.forEach((l, i) => {
    const d = Math.abs(l - gpu.values.loss![i]!);
    if (!(d <= 1e-4 * Math.abs(l) + (i === 0 ? 1e-5 : 0))) p.push(`loss at step ${i}: ${l} on WASM, ${gpu.values.loss![i]} on WebGPU (relative ${d / Math.abs(l)})`);
  });
  return [...p, ...deltaProblems(wasm.values.deltaMu!, gpu.values.deltaMu!, 'δμ'), ...deltaProblems(wasm.values.deltaSigma!, gpu.values.deltaSigma!, 'δσ')];
}

function closeTo(what: string, a: number[], b: number[], tol: number): string[] {
  const e = relErr(a, b);
  return e < tol ? [] : [`${what}: relative difference ${e}`];
}

/** Every disagreement of one case's WebGPU result with its WASM result (empty: they agree). */
export function agreementProblems(out: AgreementOutput): string[] {
  const both = pair(out);
  if (typeof both === 'string') return [both];
  const [wasm, gpu] = both;
  switch (out.case) {
    case 'vgg-feature': return pgdStepProblems(wasm, gpu);
    case 'vgg-encoder': return closeTo('features', wasm.values.features!, gpu.values.features!, 1e-4);
    case 'style-image': return [...pgdStepProblems(wasm, gpu), ...closeTo('decoded image', wasm.values.decoded!, gpu.values.decoded!, 1e-4)];
    case 'style-train': {
      const grads = Object.keys(wasm.values).filter((k) => k.startsWith('grad'));
      const p = grads.length >= 6 ? [] : [`gradients of the head's kernels, biases and BN parameters: only ${grads.length}`];
      for (const k of grads) p.push(...closeTo(`${k} (${wasm.values[k]!.length} values)`, wasm.values[k]!, gpu.values[k]!, 1e-3));
      return [...p, ...closeTo(`losses (clean, AdvBN, PGD before/after) ${wasm.values.losses} vs ${gpu.values.losses}`, wasm.values.losses!, gpu.values.losses!, 1e-4)];
    }
    case 'binding-limit': {
      // Bound whole, the product is only wrong where the kernel is over the device's limit (the test
      // asks for a small one); split into blocks it must equal WASM's everywhere.
      return closeTo('split into blocks, the product', wasm.values.whole!, gpu.values.fitted!, 1e-4);
    }
  }
}
