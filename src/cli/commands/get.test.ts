/**
 * advbn get vgg19: a small torchvision-format VGG (the fixture) served from a local HTTP server on
 * 127.0.0.1 — nothing here touches the internet. The server can cut a response short, ignore Range,
 * or answer 404, so resume, restart, truncation, wrong hashes and a missing server are all exercised.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AddressInfo } from 'node:net';
import { download, DownloadError } from './get';
import { parseRegistry } from '../../common/registry';

const BIN = new URL('../../../bin/advbn.mjs', import.meta.url).pathname;
const FIXTURE = readFileSync(new URL('../../testing/import-fixtures/tiny-torchvision-vgg5.pth', import.meta.url));
const SHA = createHash('sha256').update(FIXTURE).digest('hex');

/** How the server answers the next requests: cut the body after N bytes, ignore Range, or 404. */
const mode = { cutAt: 0, ignoreRange: false, notFound: false };
const ranges: Array<string | undefined> = [];
let server: Server;
let base = '';

before(async () => {
  server = createServer((req, res) => {
    ranges.push(req.headers.range);
    if (mode.notFound) { res.writeHead(404); res.end('no'); return; }
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = m && !mode.ignoreRange ? Number(m[1]) : 0;
    const body = FIXTURE.subarray(start);
    res.writeHead(start ? 206 : 200, {
      'Content-Length': String(body.byteLength),
      ...(start ? { 'Content-Range': `bytes ${start}-${FIXTURE.byteLength - 1}/${FIXTURE.byteLength}` } : {}),
    });
    if (mode.cutAt) { res.write(body.subarray(0, mode.cutAt)); setTimeout(() => res.destroy(), 20); return; }
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

const reset = () => { mode.cutAt = 0; mode.ignoreRange = false; mode.notFound = false; ranges.length = 0; };

/** Runs the CLI without blocking this process (the server answers from here). */
function advbn(cwd: string, ...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env } });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => { stdout += d; });
    p.stderr.on('data', (d) => { stderr += d; });
    p.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** A fresh-clone-like folder: models/ with the shipped index only. */
function freshClone(): { dir: string; index: string } {
  const dir = mkdtempSync(join(tmpdir(), 'advbn-get-'));
  mkdirSync(join(dir, 'models'));
  const index = JSON.stringify({ models: [{ id: 'style-world', path: 'style-world', preprocessing: 'unit', inputSize: 64, defaultLayer: 'block1_relu1' }] });
  writeFileSync(join(dir, 'models', 'index.json'), index);
  return { dir, index };
}

test('download resumes a .part with Range after the server cut the body short (the .part is kept)', async () => {
  reset();
  const dir = mkdtempSync(join(tmpdir(), 'advbn-dl-'));
  const dest = join(dir, 'w.pth');
  mode.cutAt = 9000;
  await assert.rejects(download(`${base}/w.pth`, dest), (e: Error) => e instanceof DownloadError && /broke off|truncated/.test(e.message) && /resume/.test(e.message));
  assert.ok(!existsSync(dest), 'nothing at the final name');
  const partSize = statSync(`${dest}.part`).size;
  assert.ok(partSize > 0 && partSize < FIXTURE.byteLength, `a partial .part is kept (${partSize} bytes)`);
  mode.cutAt = 0;
  const d = await download(`${base}/w.pth`, dest);
  assert.equal(ranges.at(-1), `bytes=${partSize}-`, 'the second request asks for the rest');
  assert.equal(d.resumedFrom, partSize);
  assert.ok(readFileSync(dest).equals(FIXTURE), 'the resumed file is the whole file, byte for byte');
  assert.ok(!existsSync(`${dest}.part`));
});

test('download starts over when the server ignores Range (200 instead of 206)', async () => {
  reset();
  const dir = mkdtempSync(join(tmpdir(), 'advbn-dl-'));
  const dest = join(dir, 'w.pth');
  writeFileSync(`${dest}.part`, Buffer.alloc(5000, 7)); // stale bytes that must not survive
  mode.ignoreRange = true;
  const d = await download(`${base}/w.pth`, dest);
  assert.equal(ranges[0], 'bytes=5000-');
  assert.equal(d.resumedFrom, 0);
  assert.ok(readFileSync(dest).equals(FIXTURE));
});

test('download: HTTP 404 and a server that is not there are one clear error each', async () => {
  reset();
  const dir = mkdtempSync(join(tmpdir(), 'advbn-dl-'));
  mode.notFound = true;
  await assert.rejects(download(`${base}/nope.pth`, join(dir, 'a')), /answered HTTP 404/);
  // A port that was just free: nothing listens there.
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  await assert.rejects(download(`http://127.0.0.1:${port}/w.pth`, join(dir, 'b')), /cannot reach 127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
  assert.deepEqual(readdirSync(dir), [], 'nothing written');
});

test('advbn get vgg19 --from torchvision --url … --sha256 …: downloads, checks, imports into models/ and registers it', async () => {
  reset();
  const { dir } = freshClone();
  const r = await advbn(dir, 'get', 'vgg19', '--from', 'torchvision', '--url', `${base}/vgg19.pth`, '--sha256', SHA);
  assert.equal(r.status, 0, r.stderr);
  const entries = parseRegistry(readFileSync(join(dir, 'models', 'index.json'), 'utf8'), 'index.json');
  assert.deepEqual(entries.map((e) => e.id), ['style-world', 'vgg19-torchvision']);
  const e = entries[1]!;
  assert.equal(e.name, 'VGG-19 (ImageNet, torchvision weights)');
  assert.equal(e.preprocessing, 'torch');
  assert.equal(e.inputSize, 224);
  assert.ok(existsSync(join(dir, 'models', 'vgg19-torchvision', 'model.json')));
  assert.deepEqual(readdirSync(join(dir, 'models')).sort(), ['index.json', 'vgg19-torchvision'], 'no staging folder left');
  assert.deepEqual(readdirSync(join(dir, 'downloads')), [], 'the checked download is removed after the import (no --keep)');
  assert.match(r.stderr, /Checked: SHA-256 [0-9a-f]{64}/);
});

test('advbn get vgg19: a wrong hash (given, or the publisher\'s) and no server are one line each, exit 1, models/ untouched', async () => {
  reset();
  const { dir, index } = freshClone();
  const untouched = () => {
    assert.deepEqual(readdirSync(join(dir, 'models')), ['index.json']);
    assert.equal(readFileSync(join(dir, 'models', 'index.json'), 'utf8'), index);
  };
  const wrong = await advbn(dir, 'get', 'vgg19', '--from', 'torchvision', '--url', `${base}/vgg19.pth`, '--sha256', '0'.repeat(64));
  assert.equal(wrong.status, 1);
  const line = wrong.stderr.trim().split('\n').at(-1)!;
  assert.match(line, /^advbn get: vgg19-dcbb9e9d\.pth has SHA-256 [0-9a-f]{64}, expected 0{64} \(--sha256\): not the file you meant; deleted it, nothing imported\.$/);
  untouched();
  assert.deepEqual(readdirSync(join(dir, 'downloads')), [], 'the bad file is deleted, not kept for a resume');
  // Without --sha256: the check torch.hub makes (the SHA-256 starts with the hex in the file name).
  const prefix = await advbn(dir, 'get', 'vgg19', '--from', 'torchvision', '--url', `${base}/vgg19.pth`);
  assert.equal(prefix.status, 1);
  assert.match(prefix.stderr, /does not start with dcbb9e9d \(what torch\.hub checks\)/);
  untouched();
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  const offline = await advbn(dir, 'get', 'vgg19', '--url', `http://127.0.0.1:${port}/x.h5`);
  assert.equal(offline.status, 1);
  assert.match(offline.stderr.trim().split('\n').at(-1)!, /^advbn get: cannot reach 127\.0\.0\.1:\d+ \(ECONNREFUSED\): the connection was refused/);
  untouched();
});
