/**
 * advbn get vgg19 [--from keras|torchvision] [--url URL] [--sha256 HEX] [--out DIR]: the paper's network
 * from a fresh clone in one step. Downloads the publisher's file (resumable: a `.part` file and an HTTP
 * Range request), checks it (what the publisher checks, or a full SHA-256 given with --sha256), then
 * imports it with `advbn import` into a model folder under models/ and registers it in models/index.json,
 * so the app lists it. A failed download keeps only its `.part` (in downloads/, outside models/) for the
 * next run to resume; a file that fails its check is deleted.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Options, UsageError } from '../args';
import { log } from '../vgg';
import { importToFolder, reportImport } from './import';
import { checkProblem, describeCheck, VGG19_SOURCES, type VggSourceId } from '../../common/vgg19-sources';

const MB = 1024 * 1024;

/** A failed download: one line for people. */
export class DownloadError extends Error {}

/** Why fetch threw, in words: the network error's code (ECONNREFUSED, ENOTFOUND, …) and what it means. */
function networkProblem(url: string, e: Error): string {
  const cause = (e as Error & { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code ?? '';
  const host = (() => { try { return new URL(url).host; } catch { return url; } })();
  const why = code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'the host name does not resolve: no network, or a wrong --url'
    : code === 'ECONNREFUSED' ? 'the connection was refused: the server is down, or a wrong --url'
      : code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' ? 'the connection timed out: no network'
        : 'no network, or the server is unreachable';
  return `cannot reach ${host} (${code || cause?.message || e.message}): ${why}.`;
}

/** Progress for people: a bar on a terminal, otherwise one line per 10 %. */
function progressReporter(file: string): (got: number, total: number | null) => void {
  const tty = !!process.stderr.isTTY;
  let lastTenth = -1, lastDraw = 0;
  const t0 = performance.now();
  return (got, total) => {
    const frac = total ? got / total : null;
    if (tty) {
      const now = performance.now();
      if (now - lastDraw < 100 && got !== total) return;
      lastDraw = now;
      const rate = got / MB / Math.max(1e-3, (now - t0) / 1000);
      const bar = frac === null ? '' : `[${'#'.repeat(Math.round(frac * 30)).padEnd(30, '.')}] ${(frac * 100).toFixed(0).padStart(3)} % `;
      process.stderr.write(`\r${file}: ${bar}${(got / MB).toFixed(1)}${total ? ` / ${(total / MB).toFixed(1)}` : ''} MB, ${rate.toFixed(1)} MB/s   ${got === total ? '\n' : ''}`);
    } else if (frac !== null) {
      const tenth = Math.floor(frac * 10);
      if (tenth > lastTenth) { lastTenth = tenth; log(`${file}: ${tenth * 10} % (${(got / MB).toFixed(1)} / ${(total! / MB).toFixed(1)} MB)`); }
    }
  };
}

/** Total size from a response: Content-Range's "/N" (206) or Content-Length plus what was asked to skip. */
function totalSize(r: Response, offset: number): number | null {
  const range = r.headers.get('content-range');
  const m = range && /\/(\d+)\s*$/.exec(range);
  if (m) return Number(m[1]);
  const len = r.headers.get('content-length');
  return len !== null && /^\d+$/.test(len) ? Number(len) + offset : null;
}

/**
 * Downloads `url` to `dest`, through `dest.part`: resumes a `.part` left by an earlier run (Range:
 * bytes=N-), starts it over when the server answers the whole file (200) instead. Throws a DownloadError
 * on a network error, an HTTP error, or a body that ends before its announced size (the `.part` stays).
 */
export async function download(url: string, dest: string, onProgress?: (got: number, total: number | null) => void): Promise<{ bytes: number; resumedFrom: number }> {
  const part = `${dest}.part`;
  let offset = existsSync(part) ? statSync(part).size : 0;
  let r: Response;
  try {
    r = await fetch(url, { headers: offset ? { Range: `bytes=${offset}-` } : {}, redirect: 'follow' });
  } catch (e) {
    throw new DownloadError(networkProblem(url, e as Error));
  }
  if (r.status === 416 && offset) {
    // Nothing left to send: the .part is whole when the server's size is its size; otherwise start over.
    const total = totalSize(r, 0);
    await r.body?.cancel();
    if (total === offset) { renameSync(part, dest); return { bytes: offset, resumedFrom: offset }; }
    rmSync(part, { force: true });
    return download(url, dest, onProgress);
  }
  if (!r.ok) {
    await r.body?.cancel();
    throw new DownloadError(`${url} answered HTTP ${r.status}${r.statusText ? ` ${r.statusText}` : ''}${r.status === 404 ? ': no such file there (check --url)' : ''}.`);
  }
  if (r.status !== 206) offset = 0; // the server ignored the Range: it sends the whole file, written from the start
  const resumedFrom = offset;
  const total = totalSize(r, offset);
  const out = createWriteStream(part, { flags: offset ? 'a' : 'w' });
  const closed = new Promise<void>((res, rej) => { out.on('close', res); out.on('error', rej); });
  let got = offset;
  try {
    if (r.body) {
      for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) {
        got += chunk.byteLength;
        if (!out.write(chunk)) await new Promise<void>((res) => out.once('drain', () => res()));
        onProgress?.(got, total);
      }
    }
  } catch (e) {
    out.end();
    await closed.catch(() => undefined);
    throw new DownloadError(`the download of ${url} broke off after ${(got / MB).toFixed(1)}${total ? ` of ${(total / MB).toFixed(1)}` : ''} MB (${(e as Error).message}); ${part} is kept: run the same command again to resume.`);
  }
  out.end();
  await closed;
  if (total !== null && got !== total) {
    throw new DownloadError(`${url} ended after ${got} of ${total} bytes (truncated); ${part} is kept: run the same command again to resume.`);
  }
  renameSync(part, dest);
  return { bytes: got, resumedFrom };
}

/** md5 and SHA-256 of a file, read once. */
export async function fileHashes(path: string): Promise<{ md5: string; sha256: string }> {
  const md5 = createHash('md5'), sha = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 * MB })) { md5.update(chunk as Buffer); sha.update(chunk as Buffer); }
  return { md5: md5.digest('hex'), sha256: sha.digest('hex') };
}

export async function getCommand(o: Options): Promise<void> {
  const from = o.string('from', 'keras');
  if (from !== 'keras' && from !== 'torchvision') throw new UsageError(`--from must be keras or torchvision (got "${from}").`);
  const src = VGG19_SOURCES[from as VggSourceId];
  const url = o.string('url', src.url);
  const sha256 = o.optionalString('sha256')?.toLowerCase();
  if (sha256 !== undefined && !/^[0-9a-f]{64}$/.test(sha256)) throw new UsageError(`--sha256 must be 64 hex digits (got "${sha256}").`);
  const out = o.string('out', join('models', src.folder));
  const cache = o.string('downloads', 'downloads');
  const keep = o.flag('keep');
  const json = o.flag('json');
  o.done();
  const what = o.positional();
  if (what.length !== 1 || what[0] !== 'vgg19') throw new UsageError(`Say what to get: advbn get vgg19 (got ${what.length ? `"${what.join(' ')}"` : 'nothing'}).`);
  let parsed: URL;
  try { parsed = new URL(url); } catch { throw new UsageError(`--url must be an http(s) URL (got "${url}").`); }
  if (!/^https?:$/.test(parsed.protocol)) throw new UsageError(`--url must be an http(s) URL (got "${url}").`);

  mkdirSync(cache, { recursive: true });
  // The publisher's file name: the importer and people recognise it; a mirror's name may differ.
  const file = join(cache, src.file);
  const check = sha256 ? { kind: 'sha256' as const, hex: sha256 } : src.check;
  if (!existsSync(file)) {
    log(`Downloading ${src.what} from ${url}${existsSync(`${file}.part`) ? ` (resuming ${file}.part)` : ''}`);
    const d = await download(url, file, progressReporter(src.file));
    log(`Downloaded ${(d.bytes / MB).toFixed(1)} MB${d.resumedFrom ? ` (resumed at ${(d.resumedFrom / MB).toFixed(1)} MB)` : ''}.`);
  } else log(`Using ${file} (downloaded before).`);
  const problem = checkProblem(await fileHashes(file), check, basename(file));
  if (problem) {
    rmSync(file, { force: true });
    throw new DownloadError(`${problem}; deleted it, nothing imported.`);
  }
  log(`Checked: ${check.kind === 'sha256' ? `SHA-256 ${check.hex}` : describeCheck(check)}.`);
  const result = await importToFolder([file], out, { name: src.name });
  if (!keep) rmSync(file, { force: true });
  reportImport(result, json);
  if (!json) log(`${keep ? `Kept ${file}. ` : ''}Run npm start: the model menu lists "${src.name}".`);
}
