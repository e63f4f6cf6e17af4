/**
 * Running code on WebGPU in CI without a GPU: a child process with SwiftShader's Vulkan driver (see
 * src/cli/software-vulkan.ts: LD_LIBRARY_PATH must be set before a process starts) and software
 * adapters allowed. Tests skip with `softwareGpuSkipReason()` where the driver or Dawn is missing.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { ALLOW_SOFTWARE_GPU_ENV } from '../backend/node/backend-node';
import { findSoftwareVulkan, softwareVulkanEnv } from '../backend/node/software-vulkan';
import type { AgreementOutput } from './webgpu-agreement';

/** Why WebGPU cannot run here on SwiftShader, or false when it can. */
export function softwareGpuSkipReason(): string | false {
  try {
    createRequire(import.meta.url).resolve('webgpu');
  } catch {
    return 'the optional npm package "webgpu" (Dawn for Node) is not installed';
  }
  if (!findSoftwareVulkan()) return 'no SwiftShader Vulkan driver (Debian\'s chromium-common package) here';
  return false;
}

/** The environment of a child that runs WebGPU on SwiftShader. */
export function softwareGpuEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const vk = findSoftwareVulkan();
  if (!vk) throw new Error('no SwiftShader Vulkan driver here');
  return { ...softwareVulkanEnv(vk), [ALLOW_SOFTWARE_GPU_ENV]: '1', ...extra };
}

const AGREEMENT = fileURLToPath(new URL('./webgpu-agreement.ts', import.meta.url));

/** Runs cases (`CASE[:LAYER]`) of webgpu-agreement.ts on WASM and WebGPU (SwiftShader) in one child. */
export function runAgreementOnSoftwareGpu(cases: string[], timeoutMs = 300_000, env: NodeJS.ProcessEnv = {}): AgreementOutput[] {
  const r = spawnSync(process.execPath, ['--import', 'tsx', AGREEMENT, ...cases], {
    env: softwareGpuEnv(env), encoding: 'utf8', timeout: timeoutMs, maxBuffer: 256 << 20,
  });
  if (r.status !== 0) throw new Error(`agreement cases ${cases.join(' ')} failed (exit ${r.status}${r.signal ? ', ' + r.signal : ''}):\n${r.stderr.slice(-3000)}`);
  return r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as AgreementOutput);
}
