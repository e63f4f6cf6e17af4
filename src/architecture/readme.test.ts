/**
 * README stays true: its two set-up commands are the ones package.json can run, the CI marker names a
 * script, and every relative link in README.md, ARCHITECTURE.md and docs/*.md reaches a file or folder
 * that exists (with `#anchor`, a heading of that file). The checks are also run on small broken inputs,
 * so each is seen to fail.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';

const ROOT = new URL('../..', import.meta.url).pathname;
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');

/** Markdown without fenced code blocks (a `# comment` there is no heading). */
const withoutFences = (md: string) => md.replace(/^```[^\n]*\n[\s\S]*?^```[ \t]*$/gm, '');
/** …and without inline code, where a `](…)` is text, not a link. */
const withoutCode = (md: string) => withoutFences(md).replace(/`[^`\n]*`/g, '');

/**
 * GitHub's heading anchors: lower case, characters other than letters, digits, spaces, '-' and '_'
 * dropped, spaces to '-', a repeated slug gets -1, -2…. Written here rather than taking github-slugger:
 * the project's dependencies are shared by every worktree and this is the whole rule its headings need.
 */
export function headingAnchors(md: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of withoutFences(md).matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const base = m[1].replace(/`/g, '').toLowerCase().replace(/[^\p{L}\p{N}\p{M} _-]/gu, '').replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n ? `${base}-${n}` : base);
  }
  return out;
}

/** Relative links of one markdown file that do not resolve, as "target (why)"; `exists` and `readMd` see the tree. */
export function brokenLinks(
  file: string,
  md: string,
  exists: (p: string) => boolean,
  readMd: (p: string) => string,
): string[] {
  const bad: string[] = [];
  for (const m of withoutCode(md).matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    const url = m[1];
    if (/^[a-z][a-z0-9+.-]*:/i.test(url)) continue; // http:, https:, mailto:
    const [path, anchor] = url.split('#', 2);
    const target = path ? normalize(join(dirname(file), decodeURIComponent(path))) : file;
    if (target.startsWith('..')) { bad.push(`${url} (outside the repository)`); continue; }
    if (!exists(target)) { bad.push(`${url} (no file ${target})`); continue; }
    if (anchor !== undefined && target.endsWith('.md') && !headingAnchors(target === file ? md : readMd(target)).has(anchor)) {
      bad.push(`${url} (no heading #${anchor} in ${target})`);
    }
  }
  return bad;
}

/** What the README must say about running the project, checked against package.json's scripts. */
export function commandProblems(readme: string, scripts: Record<string, string>): string[] {
  const problems: string[] = [];
  const marker = readme.match(/^<!-- ci-test-command: (.+?) -->$/m);
  if (!marker) problems.push('no "<!-- ci-test-command: … -->" line (.ci/run reads the test command from it)');
  else {
    const script = marker[1].match(/^npm (?:run )?([\w:-]+)$/)?.[1];
    if (!script || !(script in scripts)) problems.push(`ci-test-command "${marker[1]}" is not an npm script in package.json`);
  }
  const fenced = [...readme.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1].trim());
  const expected = ['npm ci && npm start', 'npm ci && npm test'];
  if (JSON.stringify(fenced.slice(0, 2)) !== JSON.stringify(expected)) {
    problems.push(`the first two sh blocks are ${JSON.stringify(fenced.slice(0, 2))}, expected ${JSON.stringify(expected)}`);
  }
  for (const s of ['start', 'test']) if (!(s in scripts)) problems.push(`package.json has no "${s}" script`);
  return problems;
}

const docs = readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`);
const onDisk = (p: string) => existsSync(join(ROOT, p)) && (statSync(join(ROOT, p)).isFile() || statSync(join(ROOT, p)).isDirectory());

test("README's set-up commands and CI marker match package.json", () => {
  const scripts = JSON.parse(read('package.json')).scripts as Record<string, string>;
  assert.deepEqual(commandProblems(read('README.md'), scripts), []);
});

for (const file of ['README.md', 'ARCHITECTURE.md', ...docs]) {
  test(`every relative link in ${file} resolves`, () => {
    assert.deepEqual(brokenLinks(file, read(file), onDisk, read), []);
  });
}

test('the checks fail on a broken link, a missing heading, a wrong command or a missing marker', () => {
  const files: Record<string, string> = { 'README.md': '', 'docs/a.md': '# Speed of one step: ε × 2\n## Two\n## Two\n### `advbn sweep`\n```\n# not a heading\n```\n' };
  const exists = (p: string) => p in files || p === 'docs';
  const readMd = (p: string) => files[p];
  const links = (md: string) => brokenLinks('README.md', md, exists, readMd);
  assert.deepEqual(links('[a](docs/a.md) [b](docs/a.md#speed-of-one-step-ε--2) [c](docs/a.md#two-1) [f](docs/a.md#advbn-sweep) [d](docs) [e](https://x.org/y)'), []);
  assert.deepEqual(links('`[x](nowhere.md)`\n```\n[y](nowhere.md)\n```\n'), [], 'links in code are text');
  assert.deepEqual(links('[a](docs/b.md)'), ['docs/b.md (no file docs/b.md)']);
  assert.deepEqual(links('[a](docs/a.md#three)'), ['docs/a.md#three (no heading #three in docs/a.md)']);
  assert.deepEqual(links('[a](docs/a.md#not-a-heading)'), ['docs/a.md#not-a-heading (no heading #not-a-heading in docs/a.md)']);
  assert.deepEqual(links('[a](../outside.md)'), ['../outside.md (outside the repository)']);
  const readme = '<!-- ci-test-command: npm test -->\n```sh\nnpm ci && npm start\n```\n```sh\nnpm ci && npm test\n```\n';
  const scripts = { start: 'vite', test: 'node --test' };
  assert.deepEqual(commandProblems(readme, scripts), []);
  assert.equal(commandProblems(readme.replace('npm start', 'npm run dev'), scripts).length, 1);
  assert.equal(commandProblems(readme.replace('<!-- ci-test-command: npm test -->\n', ''), scripts).length, 1);
  assert.equal(commandProblems(readme, { start: 'vite' }).length, 2, 'no test script: the marker and the command are both wrong');
});
