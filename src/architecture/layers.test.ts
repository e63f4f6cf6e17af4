/** The import rules hold on the whole source tree, and the check fails when a rule is broken. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { checkLayers, findCycles, importGraph, type ImportGraph } from './layers';

const ROOT = new URL('../..', import.meta.url).pathname;

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const f of readdirSync(join(ROOT, dir))) {
    const p = join(dir, f);
    if (statSync(join(ROOT, p)).isDirectory()) out.push(...sources(p));
    else if (/\.tsx?$/.test(f)) out.push(p);
  }
  return out;
}

const isFile = (p: string) => statSync(join(ROOT, p), { throwIfNoEntry: false })?.isFile() ?? false;

test('the source tree follows the layer rules: one-way imports, no tfjs on the UI thread, no cycles', () => {
  const files = sources('src');
  const graph = importGraph(files, (p) => readFileSync(join(ROOT, p), 'utf8'), isFile);
  assert.ok(Object.keys(graph).length > 50, 'the tree was read');
  const problems = checkLayers(graph);
  assert.deepEqual(problems.map((v) => `[${v.rule}] ${v.message}`), []);
});

/** A small tree that follows the rules, and one broken edge added at a time. */
const good: ImportGraph = {
  'src/main.tsx': { files: ['src/ui/App.tsx'], packages: ['react'] },
  'src/ui/App.tsx': { files: ['src/worker/client.ts', 'src/common/pgd-settings.ts'], packages: ['react'] },
  'src/worker/client.ts': { files: ['src/worker/protocol.ts'], packages: [] },
  'src/worker/protocol.ts': { files: [], packages: [] },
  'src/worker/engine.worker.ts': { files: ['src/core/pgd.ts', 'src/worker/protocol.ts'], packages: ['@tensorflow/tfjs'] },
  'src/core/pgd.ts': { files: ['src/models/network.ts', 'src/common/pgd-settings.ts'], packages: ['@tensorflow/tfjs'] },
  'src/data/style-world.ts': { files: ['src/common/random.ts'], packages: [] },
  'src/models/network.ts': { files: [], packages: ['@tensorflow/tfjs'] },
  'src/common/pgd-settings.ts': { files: [], packages: [] },
  'src/common/random.ts': { files: [], packages: [] },
  'src/cli/main.ts': { files: ['src/core/pgd.ts', 'src/backend/start.ts'], packages: [] },
  'src/backend/start.ts': { files: ['src/models/network.ts'], packages: ['@tensorflow/tfjs'] },
};
const withEdge = (from: string, to: string): ImportGraph => ({ ...good, [from]: { ...good[from]!, files: [...good[from]!.files, to] } });

test('the check passes the small tree and names the rule for each broken one', () => {
  assert.deepEqual(checkLayers(good), []);
  const cases: Array<[string, string, string, RegExp]> = [
    ['src/ui/App.tsx', 'src/core/pgd.ts', 'layers', /ui\) imports src\/core\/pgd\.ts \(core\): ui may import only ui, worker-api, common/],
    ['src/core/pgd.ts', 'src/worker/client.ts', 'layers', /core\) imports .* \(worker-api\)/],
    ['src/data/style-world.ts', 'src/core/pgd.ts', 'layers', /data\) imports src\/core\/pgd\.ts/],
    ['src/models/network.ts', 'src/data/style-world.ts', 'layers', /models\) imports src\/data/],
    ['src/common/random.ts', 'src/models/network.ts', 'layers', /common\) imports src\/models/],
    ['src/cli/main.ts', 'src/ui/App.tsx', 'layers', /cli\) imports src\/ui\/App\.tsx/],
    ['src/core/pgd.ts', 'src/backend/start.ts', 'layers', /core\) imports src\/backend\/start\.ts \(backend\): core may import only core, data, models, common/],
    ['src/backend/start.ts', 'src/core/pgd.ts', 'layers', /backend\) imports src\/core\/pgd\.ts/],
    ['src/ui/App.tsx', 'src/backend/start.ts', 'layers', /ui\) imports src\/backend/],
  ];
  for (const [from, to, rule, message] of cases) {
    const v = checkLayers(withEdge(from, to));
    assert.ok(v.some((x) => x.rule === rule && message.test(x.message)), `${from} → ${to}: ${JSON.stringify(v)}`);
  }
});

test('tfjs reached from the UI through an allowed-looking module is caught, with the chain', () => {
  const g: ImportGraph = { ...good, 'src/common/pgd-settings.ts': { files: [], packages: ['@tensorflow/tfjs'] } };
  const v = checkLayers(g).filter((x) => x.rule === 'tfjs-free');
  assert.ok(v.some((x) => x.file === 'src/ui/App.tsx' && /App\.tsx → src\/common\/pgd-settings\.ts → @tensorflow\/tfjs/.test(x.message)), JSON.stringify(v));
});

test('cycles are found once each, whatever file the search starts from', () => {
  const g: ImportGraph = {
    ...withEdge('src/models/network.ts', 'src/core/pgd.ts'),
  };
  const cycles = findCycles(g);
  assert.deepEqual(cycles, [['src/core/pgd.ts', 'src/models/network.ts', 'src/core/pgd.ts']]);
  assert.ok(checkLayers(g).some((x) => x.rule === 'no-cycles'));
});

test('imports are read from real source text (multi-line, type-only, side-effect, re-exports; not comments)', () => {
  const text = `// import { x } from '../core/fake';\nimport {\n  a,\n  b,\n} from '../common/random';\nimport type { T } from './protocol';\nimport '../ui/styles.css';\nexport { c } from '../common/pgd-settings';\nconst s = "from '../core/pgd'";\n`;
  const g = importGraph(['src/worker/client.ts'], () => text, (p) => ['src/common/random.ts', 'src/worker/protocol.ts', 'src/common/pgd-settings.ts', 'src/core/fake.ts', 'src/core/pgd.ts'].includes(p));
  assert.deepEqual(g['src/worker/client.ts']!.files.sort(), ['src/common/pgd-settings.ts', 'src/common/random.ts', 'src/worker/protocol.ts']);
});
