/**
 * Telling a hardware GPU from a software one, and choosing the backend "auto" starts — pure functions
 * without tfjs, shared by the engine worker (browser) and the CLI (Dawn in Node), and tested with
 * stubbed adapters.
 *
 * Why: a browser without GPU drivers still offers WebGPU and WebGL, rendered on the CPU by SwiftShader
 * (Chromium) or llvmpipe/lavapipe (Mesa). Measured on a 2-core machine, headless Chromium: VGG-19 on
 * SwiftShader WebGPU is ~60× slower than on WASM, so "auto" must not land there.
 */
import type { BackendName } from './backend-names';

/** What WebGPU's GPUAdapterInfo (adapter.info, or requestAdapterInfo() in older browsers) says. */
export interface AdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  /** Newer browsers put it here; older ones on the adapter itself (passed separately). */
  isFallbackAdapter?: boolean;
}

/** Renderers that run on the CPU: SwiftShader (Chromium), llvmpipe/lavapipe/softpipe (Mesa), WARP. */
const SOFTWARE = /swiftshader|llvmpipe|lavapipe|softpipe|software|basic render driver|microsoft basic|warp/i;

/**
 * Why this WebGPU adapter is a software one (e.g. "fallback adapter", "SwiftShader"), or null when it
 * looks like real hardware. No info at all counts as hardware: browsers may hide it, and a real GPU
 * behind a privacy screen should not be ruled out.
 */
export function softwareAdapterReason(info: AdapterInfoLike | null | undefined, adapterIsFallback?: boolean): string | null {
  if (adapterIsFallback || info?.isFallbackAdapter) return 'fallback adapter';
  for (const field of [info?.architecture, info?.vendor, info?.device, info?.description]) {
    const m = field?.match(SOFTWARE);
    if (m) return field!.trim();
  }
  return null;
}

/** Why this WebGL renderer string (UNMASKED_RENDERER_WEBGL) is software, or null for hardware. */
export function softwareRendererReason(renderer: string | null | undefined): string | null {
  const m = renderer?.match(SOFTWARE);
  return m ? m[0] : null;
}

/** A short name for an adapter for the top bar: "nvidia ampere", "apple metal-3", else "GPU". */
export function describeAdapter(info: AdapterInfoLike | null | undefined): string {
  const parts = [info?.vendor, info?.architecture].filter((s): s is string => !!s && s.trim() !== '');
  if (parts.length) return parts.join(' ');
  return info?.description?.trim() || info?.device?.trim() || 'GPU';
}

/** What the worker found out about the GPUs before starting any tfjs backend. */
export interface GpuProbe {
  /** null: no navigator.gpu or requestAdapter() gave none. */
  webgpu: { info: AdapterInfoLike | null; isFallbackAdapter?: boolean } | null;
  /** null: no WebGL2 context could be made. `renderer` null when the debug extension is hidden. */
  webgl: { renderer: string | null } | null;
}

export interface Candidate { backend: BackendName; why: string }

/**
 * The backends "auto" tries, best first, each with the reason shown in the top bar:
 * hardware WebGPU, then hardware WebGL, then WASM, then CPU. Software GPUs are left out, with the
 * reason kept in `skipped` (shown as "no hardware GPU: …").
 */
export function autoCandidates(probe: GpuProbe): { candidates: Candidate[]; skipped: string[] } {
  const candidates: Candidate[] = [];
  const skipped: string[] = [];
  if (probe.webgpu) {
    const soft = softwareAdapterReason(probe.webgpu.info, probe.webgpu.isFallbackAdapter);
    if (soft) skipped.push(`WebGPU is ${soft}`);
    else candidates.push({ backend: 'webgpu', why: `WebGPU · ${describeAdapter(probe.webgpu.info)}` });
  }
  if (probe.webgl) {
    const soft = softwareRendererReason(probe.webgl.renderer);
    if (soft) skipped.push(`WebGL is ${soft}`);
    else candidates.push({ backend: 'webgl', why: `WebGL · ${probe.webgl.renderer ?? 'GPU'}` });
  }
  const noGpu = candidates.length === 0 ? 'no hardware GPU: ' : '';
  candidates.push({ backend: 'wasm', why: `${noGpu}WASM` });
  candidates.push({ backend: 'cpu', why: `${noGpu}CPU (plain JavaScript)` });
  return { candidates, skipped };
}
