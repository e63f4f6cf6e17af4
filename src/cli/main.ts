/** The `advbn` command line: the same core as the app, on tfjs's WASM backend in Node. */
import { parseArgs, Options, UsageError } from './args';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { withWinogradSimd } from '../backend/kernels/winograd-loader';
import { NODE_BACKENDS, setAllowSoftwareGpu, setWasmThreads, softwareGpuAllowed, useNodeBackend, type NodeBackend } from '../backend/node/backend-node';
import { MAX_WASM_THREADS } from '../backend/node/wasm-threads-node';
import { findSoftwareVulkan, inSoftwareVulkanChild, softwareVulkanEnv } from '../backend/node/software-vulkan';
import { dawnHasAdapter } from '../backend/node/webgpu-node';

const USAGE = `advbn — Adversarial Batch Normalization (Shu et al., NeurIPS 2021) on real models

Commands:
  perturb        AdvBN PGD on one image or a folder of images (feature or image mode)
  sweep          top-1 accuracy of a folder under AdvBN at a series of strengths, beside random δ of the same ε
  merge          join the manifests of a sharded perturb or sweep run into one table
  bench          time one PGD step per backend (feature and image mode), FLOPs and GFLOP/s
  train-decoder  train a decoder that turns features at a layer back into an image
  eval-decoder   PSNR/SSIM of a decoder on held-out images, and a comparison grid PNG
  train          Algorithm 1 (AdvBN fine-tuning) on the style world
  import         Keras/torchvision VGG-19 or the AdvBN authors' autoencoder files → a model folder + index entry
  get            download VGG-19's published weights (Keras or torchvision), check them, import them into models/

Common options: --backend wasm|webgpu|cpu (default wasm), --threads N (WASM threads; default every core),
  --allow-software-gpu (webgpu may run on a software adapter, SwiftShader or lavapipe: for checks, not speed;
  without a Vulkan driver the command starts again on the SwiftShader that Debian's chromium ships)
Run 'advbn <command> --help' for a command's options.`;

type Command = (o: Options) => Promise<void>;

/**
 * With software GPUs allowed and no adapter for Dawn in this process, runs the same command again in a
 * child process with SwiftShader's Vulkan driver (LD_LIBRARY_PATH must be set before a process starts,
 * see software-vulkan.ts). Returns its exit code, or null when this process should go on by itself.
 */
async function relaunchOnSoftwareVulkan(argv: string[]): Promise<number | null> {
  if (inSoftwareVulkanChild() || (await dawnHasAdapter())) return null;
  const vk = findSoftwareVulkan();
  if (!vk) return null; // goes on, and says "no WebGPU adapter" with the reason
  process.stderr.write(`advbn: no Vulkan driver for Dawn here; running on SwiftShader's (${vk.icd})\n`);
  const bin = fileURLToPath(new URL('../../bin/advbn.mjs', import.meta.url));
  const r = spawnSync(process.execPath, [bin, ...argv], { env: softwareVulkanEnv(vk), stdio: 'inherit' });
  return r.status ?? 1;
}

async function command(name: string): Promise<Command | null> {
  switch (name) {
    case 'perturb': return (await import('./commands/perturb')).perturbCommand;
    case 'sweep': return (await import('./commands/sweep')).sweepCommand;
    case 'merge': return (await import('./commands/merge')).mergeCommand;
    case 'bench': return (await import('./commands/bench')).benchCommand;
    case 'train-decoder': return (await import('./commands/train-decoder')).trainDecoderCommand;
    case 'eval-decoder': return (await import('./commands/eval-decoder')).evalDecoderCommand;
    case 'train': return (await import('./commands/train')).trainCommand;
    case 'import': return (await import('./commands/import')).importCommand;
    case 'get': return (await import('./commands/get')).getCommand;
    default: return null;
  }
}

export async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const name = args.positional[0];
  if (!name || name === 'help' || (args.options.has('help') && !name)) {
    process.stdout.write(USAGE + '\n');
    return name ? 0 : 1;
  }
  const cmd = await command(name);
  if (!cmd) {
    process.stderr.write(`Unknown command "${name}".\n\n${USAGE}\n`);
    return 2;
  }
  if (args.options.has('help')) {
    const { HELP } = await import('./help');
    process.stdout.write((HELP[name] ?? USAGE) + '\n');
    return 0;
  }
  const o = new Options({ positional: args.positional.slice(1), options: args.options });
  try {
    const backend = o.string('backend', 'wasm');
    if (!(NODE_BACKENDS as string[]).includes(backend)) throw new UsageError(`--backend must be one of ${NODE_BACKENDS.join(', ')}, got "${backend}".`);
    if (o.flag('allow-software-gpu')) setAllowSoftwareGpu(true);
    const wantsWebGpu = name === 'bench' ? String(args.options.get('backends') ?? NODE_BACKENDS.join(',')).split(',').includes('webgpu') : backend === 'webgpu';
    if (wantsWebGpu && softwareGpuAllowed()) {
      const code = await relaunchOnSoftwareVulkan(argv);
      if (code !== null) return code;
    }
    const threads = o.optionalInteger('threads');
    if (threads !== undefined) {
      if (threads < 1 || threads > MAX_WASM_THREADS) throw new UsageError(`--threads must be from 1 to ${MAX_WASM_THREADS}, got ${threads}.`);
      setWasmThreads(threads);
    }
    if (name !== 'bench' && name !== 'merge') await useNodeBackend(backend as NodeBackend); // bench picks its own backends; merge computes none
    // Training runs our kernels' relaxed-SIMD build (fused multiply-adds); everything else the strict one,
    // which keeps PGD on the authors' path (winograd-loader.ts).
    if (name === 'train') await withWinogradSimd('relaxed', () => cmd(o));
    else await cmd(o);
    return 0;
  } catch (e) {
    const err = e as Error;
    process.stderr.write(`advbn ${name}: ${err.message}\n`);
    if (process.env.ADVBN_DEBUG) process.stderr.write(String(err.stack) + '\n');
    return err instanceof UsageError ? 2 : 1;
  }
}
