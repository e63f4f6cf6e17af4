/**
 * A software Vulkan driver for Dawn in Node, found at run time: Debian's `chromium-common` package ships
 * Google's SwiftShader Vulkan driver (`libvk_swiftshader.so`, described by `vk_swiftshader_icd.json`) and
 * a Vulkan loader (`libvulkan.so.1`) in its library folder. Dawn dlopens "libvulkan.so.1", so the
 * loader's folder must be on LD_LIBRARY_PATH — which the dynamic linker reads only when a process
 * starts. That is why callers run a child process with `softwareVulkanEnv()` instead of setting it here.
 *
 * Only Debian's standard package locations are looked at: what `dpkg -L` lists for chromium-common /
 * chromium, else /usr/lib/chromium*.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface SoftwareVulkan {
  /** The folder holding libvulkan.so.1 (the Vulkan loader). */
  libDir: string;
  /** The ICD manifest of SwiftShader's Vulkan driver. */
  icd: string;
}

const ICD = 'vk_swiftshader_icd.json';
/** Set in a child started with softwareVulkanEnv(), so it never starts another. */
export const SOFTWARE_VULKAN_CHILD = 'ADVBN_SOFTWARE_VULKAN_CHILD';

function usable(icd: string): SoftwareVulkan | null {
  const libDir = dirname(icd);
  return existsSync(icd) && existsSync(join(libDir, 'libvulkan.so.1')) ? { libDir, icd } : null;
}

function fromDpkg(pkg: string): string[] {
  try {
    return execFileSync('dpkg', ['-L', pkg], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 })
      .split('\n').filter((l) => l.endsWith('/' + ICD));
  } catch {
    return []; // no dpkg (not Debian) or the package is not installed
  }
}

function fromUsrLib(): string[] {
  try {
    return readdirSync('/usr/lib').filter((d) => d.startsWith('chromium')).map((d) => join('/usr/lib', d, ICD));
  } catch {
    return [];
  }
}

let cached: SoftwareVulkan | null | undefined;

/** SwiftShader's Vulkan driver and a loader beside it, or null when neither package ships them here. */
export function findSoftwareVulkan(): SoftwareVulkan | null {
  if (cached !== undefined) return cached;
  cached = null;
  for (const icd of [...fromDpkg('chromium-common'), ...fromDpkg('chromium'), ...fromUsrLib()]) {
    cached = usable(icd);
    if (cached) break;
  }
  return cached;
}

/** `env` with the loader's folder first on LD_LIBRARY_PATH and Vulkan limited to SwiftShader. */
export function softwareVulkanEnv(vk: SoftwareVulkan, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const ld = env.LD_LIBRARY_PATH ? `${vk.libDir}:${env.LD_LIBRARY_PATH}` : vk.libDir;
  return { ...env, LD_LIBRARY_PATH: ld, VK_ICD_FILENAMES: vk.icd, [SOFTWARE_VULKAN_CHILD]: '1' };
}

/** Whether this process already runs with a software Vulkan environment (or was started for one). */
export function inSoftwareVulkanChild(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[SOFTWARE_VULKAN_CHILD] === '1';
}
