/**
 * The project's import rules (see ARCHITECTURE.md), checked over the source tree by layers.test.ts.
 *
 *     ui ──messages──▶ worker ──▶ core ──▶ data ──▶ models ──▶ common
 *     cli ───────────────────────▶ core
 *     worker, cli ──▶ backend ──▶ models, common
 *
 * `backend` is how tfjs runs here (start-up, our WASM kernels, WebGPU flags, binding limits): the
 * front ends start it, and the method in `core` never imports it, so `core` is the method and only that.
 * A module may import its own layer and the layers below it, never one above; `common` holds the
 * tfjs-free settings, constants and types that both sides need. The UI thread reaches the worker only
 * through its message modules (client, protocol, backend names, *-protocol), which are tfjs-free, so
 * the main bundle never carries tfjs. Test files and test helpers may import anything but the UI.
 *
 * Why our own check and not dependency-cruiser: the rules are twelve lines of data here, and the test
 * must also prove that it fails on a broken rule, which is simplest with a pure function over a graph.
 * Imports are read with TypeScript's own pre-processor (comments and strings are not mistaken for them).
 */
import ts from 'typescript';

export type Layer = 'ui' | 'worker-api' | 'worker' | 'cli' | 'backend' | 'core' | 'data' | 'models' | 'common' | 'testing' | 'entry';

/** Which layers each layer may import (besides itself). */
export const ALLOWED: Record<Layer, readonly Layer[]> = {
  entry: ['ui'],
  ui: ['worker-api', 'common'],
  'worker-api': ['common'],
  worker: ['worker-api', 'backend', 'core', 'data', 'models', 'common'],
  cli: ['backend', 'core', 'data', 'models', 'common'],
  backend: ['models', 'common'],
  core: ['data', 'models', 'common'],
  data: ['models', 'common'],
  models: ['common'],
  common: [],
  testing: ['cli', 'worker', 'worker-api', 'backend', 'core', 'data', 'models', 'common'],
};

/** Layers whose modules must not import tfjs (directly or through anything they import). */
export const TFJS_FREE: readonly Layer[] = ['ui', 'worker-api', 'common', 'entry'];

const WORKER_API = /^src\/worker\/(client|protocol|[\w-]+-protocol)\.ts$/;

/** The layer of a repository-relative path, or null for files outside the rules. */
export function layerOf(path: string): Layer | null {
  if (path === 'src/main.tsx') return 'entry';
  if (WORKER_API.test(path)) return 'worker-api';
  const m = /^src\/(ui|worker|cli|backend|core|data|models|common|testing)\//.exec(path);
  return m ? (m[1] as Layer) : null;
}

export const isTest = (path: string) => /\.test\.tsx?$/.test(path);

/** The import graph: for each file, the repository-relative files it imports and the packages it names. */
export interface ImportGraph { [file: string]: { files: string[]; packages: string[] } }

export interface Violation { rule: string; file: string; imports: string; message: string }

/** Checks the layer rules, tfjs-freedom (transitively) and cycles. Returns every violation found. */
export function checkLayers(graph: ImportGraph): Violation[] {
  const out: Violation[] = [];
  for (const [file, deps] of Object.entries(graph)) {
    const from = layerOf(file);
    if (!from) continue;
    for (const target of deps.files) {
      const to = layerOf(target);
      if (isTest(target)) {
        out.push({ rule: 'no-test-imports', file, imports: target, message: `${file} imports the test file ${target}.` });
        continue;
      }
      if (!to || isTest(file)) {
        if (isTest(file) && to === 'ui' && from !== 'ui') out.push({ rule: 'layers', file, imports: target, message: `${file} (a ${from} test) imports the UI module ${target}.` });
        continue;
      }
      if (to !== from && !ALLOWED[from].includes(to)) {
        out.push({ rule: 'layers', file, imports: target, message: `${file} (${from}) imports ${target} (${to}): ${from} may import only ${[from, ...ALLOWED[from]].join(', ')}.` });
      }
    }
    if (TFJS_FREE.includes(from) && !isTest(file)) {
      const chain = tfjsChain(graph, file);
      if (chain) out.push({ rule: 'tfjs-free', file, imports: chain[chain.length - 1]!, message: `${file} (${from}) must not load tfjs, but does through ${chain.join(' → ')}.` });
    }
  }
  for (const cycle of findCycles(graph)) {
    out.push({ rule: 'no-cycles', file: cycle[0]!, imports: cycle[1]!, message: `import cycle: ${cycle.join(' → ')}.` });
  }
  return out;
}

/** The import chain from `file` to a module that names a @tensorflow package, or null. */
function tfjsChain(graph: ImportGraph, file: string): string[] | null {
  const seen = new Set<string>([file]);
  const queue: string[][] = [[file]];
  while (queue.length) {
    const path = queue.shift()!;
    const node = graph[path[path.length - 1]!];
    if (!node) continue;
    const pkg = node.packages.find((p) => p.startsWith('@tensorflow/'));
    if (pkg) return [...path, pkg];
    for (const f of node.files) if (!seen.has(f)) { seen.add(f); queue.push([...path, f]); }
  }
  return null;
}

/** Elementary cycles found by depth-first search (each reported once, from its smallest file). */
export function findCycles(graph: ImportGraph): string[][] {
  const cycles = new Map<string, string[]>();
  const state = new Map<string, 'active' | 'done'>();
  const stack: string[] = [];
  const visit = (f: string) => {
    state.set(f, 'active');
    stack.push(f);
    for (const g of graph[f]?.files ?? []) {
      if (!(g in graph)) continue;
      if (state.get(g) === 'active') {
        const cyc = stack.slice(stack.indexOf(g));
        const start = cyc.indexOf([...cyc].sort()[0]!);
        const norm = [...cyc.slice(start), ...cyc.slice(0, start)];
        cycles.set(norm.join('>'), [...norm, norm[0]!]);
      } else if (!state.has(g)) visit(g);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of Object.keys(graph).sort()) if (!state.has(f)) visit(f);
  return [...cycles.values()];
}

/**
 * Reads the imports of TypeScript sources. `read(path)` gives a file's text; `exists(path)` says
 * whether a repository-relative path is a file. Type-only imports count: a layer rule is about
 * what a module knows of, and type imports are how the upward knowledge creeps in.
 */
export function importGraph(files: string[], read: (path: string) => string, exists: (path: string) => boolean): ImportGraph {
  const graph: ImportGraph = {};
  for (const file of files) {
    const info = ts.preProcessFile(read(file), true, true);
    const deps = { files: [] as string[], packages: [] as string[] };
    for (const { fileName } of info.importedFiles) {
      if (!fileName.startsWith('.')) { deps.packages.push(fileName); continue; }
      const resolved = resolve(file, fileName, exists);
      if (resolved) deps.files.push(resolved);
    }
    graph[file] = deps;
  }
  return graph;
}

function resolve(from: string, spec: string, exists: (p: string) => boolean): string | null {
  const dir = from.split('/').slice(0, -1);
  for (const part of spec.split('/')) {
    if (part === '..') dir.pop();
    else if (part !== '.') dir.push(part);
  }
  const base = dir.join('/');
  for (const cand of [base, `${base}.ts`, `${base}.tsx`, `${base}/index.ts`]) if (exists(cand)) return cand;
  return null;
}
