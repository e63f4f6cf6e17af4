/**
 * A newcomer's first command is `npm ci`, and it should be quiet: npm 11 blocks dependencies' install
 * scripts and warns about each one that package.json's allowScripts does not decide. Every package the
 * lock file marks with an install script must be decided there (approved or denied), with a reason
 * kept here:
 *   esbuild (approved) — install.js checks the platform binary from @esbuild/<platform> and links it as
 *     the `esbuild` bin (tsx and vite run esbuild);
 *   webgpu (approved) — on macOS removes the quarantine attribute from dawn.node (the Node WebGPU
 *     backend, `--backend webgpu`); elsewhere it does nothing;
 *   core-js (denied) — prints a donation banner; tfjs works the same without it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const root = new URL('../../', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { allowScripts?: Record<string, boolean> };
const lock = JSON.parse(readFileSync(new URL('package-lock.json', root), 'utf8')) as { packages: Record<string, { hasInstallScript?: boolean }> };

test('every dependency with an install script is decided in package.json\'s allowScripts (npm ci stays quiet)', () => {
  const withScripts = Object.entries(lock.packages)
    .filter(([path, p]) => path && p.hasInstallScript)
    .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
  assert.ok(withScripts.length > 0, 'the lock file marks install scripts (hasInstallScript)');
  const decided = Object.keys(pkg.allowScripts ?? {}).map((k) => k.replace(/(?<=.)@.*$/, ''));
  assert.deepEqual(withScripts.filter((n) => !decided.includes(n)), [], 'undecided: add them to allowScripts (npm install-scripts approve|deny NAME)');
  assert.deepEqual(Object.fromEntries(withScripts.map((n) => [n, pkg.allowScripts![n]])), { 'core-js': false, esbuild: true, webgpu: true });
});
