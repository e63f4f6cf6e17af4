/**
 * A picked domains folder (`<input webkitdirectory>`: root/<domain>/<class>/<image>): its layout checked
 * with the same rules as the CLI (common/domains.ts), and the images of each set decoded on the UI thread
 * (createImageBitmap), centre-cropped to the encoder's size as RGB bytes for the worker.
 */
import { domainsFromPaths, domainSetSpecs, MIN_IMAGE_SIDE, type DomainsLayout } from '../../../common/domains';
import type { DomainsSetData } from '../../../worker/domains-protocol';

export interface PickedDomains {
  root: string;
  layout: DomainsLayout;
  /** Relative path (domain/class/file) → the file. */
  files: Map<string, File>;
}

/** Reads the layout of a picked folder; throws (DomainsLayoutError) with what was found and what was expected. */
export function readDomainsFolder(list: FileList | File[]): PickedDomains {
  const files = new Map<string, File>();
  let root = '';
  for (const f of Array.from(list)) {
    const parts = (f.webkitRelativePath || f.name).split('/');
    if (parts.length > 1) { root = parts[0]!; parts.shift(); }
    files.set(parts.join('/'), f);
  }
  const layout = domainsFromPaths([...files.keys()], root ? `The folder "${root}"` : 'The picked files');
  return { root, layout, files };
}

/** Decodes the sets of a comparison (source split, target samples) at `size` px. */
export async function decodeDomainSets(
  picked: PickedDomains, source: string, testSize: number, size: number, onProgress?: (done: number, total: number) => void,
): Promise<DomainsSetData[]> {
  const specs = domainSetSpecs(picked.layout, source, testSize);
  const total = specs.reduce((n, s) => n + s.items.length, 0);
  const canvas = new OffscreenCanvas(size, size);
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  const per = size * size * 3;
  let done = 0;
  const out: DomainsSetData[] = [];
  for (const spec of specs) {
    const pixels = new Uint8Array(spec.items.length * per);
    const fingerprint: string[] = [];
    for (const [k, item] of spec.items.entries()) {
      const f = picked.files.get(item.path)!;
      let bmp: ImageBitmap;
      try {
        bmp = await createImageBitmap(f);
      } catch {
        throw new Error(`${picked.root}/${item.path} could not be decoded as an image: remove it or replace it with a JPEG or PNG.`);
      }
      if (bmp.width < MIN_IMAGE_SIDE || bmp.height < MIN_IMAGE_SIDE) {
        bmp.close();
        throw new Error(`${picked.root}/${item.path} is ${bmp.width}×${bmp.height} px; images must be at least ${MIN_IMAGE_SIDE} px on each side.`);
      }
      const s = Math.min(bmp.width, bmp.height);
      ctx.drawImage(bmp, (bmp.width - s) / 2, (bmp.height - s) / 2, s, s, 0, 0, size, size);
      bmp.close();
      const rgba = ctx.getImageData(0, 0, size, size).data;
      for (let p = 0, q = k * per; p < rgba.length; p += 4, q += 3) { pixels[q] = rgba[p]!; pixels[q + 1] = rgba[p + 1]!; pixels[q + 2] = rgba[p + 2]!; }
      fingerprint.push(`${item.path}:${f.size}:${f.lastModified}`);
      if (++done % 25 === 0) onProgress?.(done, total);
    }
    out.push({ name: spec.name, kind: spec.kind, pixels, labels: spec.items.map((i) => i.label), paths: spec.items.map((i) => i.path), fingerprint: `${picked.root}\n${fingerprint.join('\n')}` });
  }
  onProgress?.(total, total);
  return out;
}
