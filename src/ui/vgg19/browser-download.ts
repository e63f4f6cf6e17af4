/**
 * VGG-19's published file, downloaded by the browser: fetch with progress, then the check its publisher
 * makes where a browser can make it (torchvision: the SHA-256 starts with the hex in the file name, via
 * WebCrypto; Keras publishes an md5, which WebCrypto does not compute, so that file is not checked here —
 * `npx advbn get vgg19` checks it). The hosts decide whether a page may download from them (CORS): when
 * they do not, or the computer is offline, the error says so and what to do instead.
 */
import { checkProblem, VGG19_SOURCES, type VggSourceId } from '../../common/vgg19-sources';

export interface DownloadProgress { bytes: number; total: number | null }

const cli = (id: VggSourceId) => `npx advbn get vgg19${id === 'keras' ? '' : ` --from ${id}`}`;

/** What a browser can check of the file from `id`, in words ('' when it checks the publisher's hash). */
export function browserCheckNote(id: VggSourceId): string {
  return VGG19_SOURCES[id].check.kind === 'md5'
    ? `Keras publishes an md5 for this file, which a browser cannot compute: the download is not checked here (${cli(id)} checks it).`
    : '';
}

export async function downloadVgg19(id: VggSourceId, onProgress: (p: DownloadProgress) => void, signal?: AbortSignal): Promise<File> {
  const src = VGG19_SOURCES[id];
  const host = new URL(src.url).host;
  let r: Response;
  try {
    r = await fetch(src.url, { mode: 'cors', signal });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new Error(`The browser could not download ${src.file} from ${host}: that host does not allow downloads from other pages (CORS), or this computer is offline. Download it with the link above and drop it on Import weights…, or run ${cli(id)}.`);
  }
  if (!r.ok) throw new Error(`${host} answered HTTP ${r.status} for ${src.file}. Try the link above, or run ${cli(id)}.`);
  const len = Number(r.headers.get('content-length'));
  const total = Number.isFinite(len) && len > 0 ? len : null;
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  onProgress({ bytes, total });
  const reader = r.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    bytes += value.byteLength;
    onProgress({ bytes, total });
  }
  if (total !== null && bytes !== total) throw new Error(`The download of ${src.file} stopped after ${bytes} of ${total} bytes. Try again, or run ${cli(id)} (it resumes).`);
  const blob = new Blob(chunks as BlobPart[]);
  if (src.check.kind !== 'md5') {
    const sha256 = [...new Uint8Array(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer()))].map((b) => b.toString(16).padStart(2, '0')).join('');
    const problem = checkProblem({ sha256 }, src.check, src.file);
    if (problem) throw new Error(`${problem}; nothing imported.`);
  }
  return new File([blob], src.file);
}
