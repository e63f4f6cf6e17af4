/**
 * A folder of the user's images, one sub-folder per class (`<input webkitdirectory>`), decoded on the
 * UI thread with createImageBitmap and centre-cropped to the model's input size as RGB bytes.
 */
import { IMAGE_EXTENSIONS } from '../../common/image-extensions';

export interface FolderData { root: string; classes: string[]; size: number; pixels: Uint8Array; labels: number[]; skipped: string[] }

/**
 * The image files of a picked folder by class (`root/class/image`, classes and files sorted), each with its
 * label; an Error when it holds fewer than 2 classes.
 */
export function classFiles<F extends { name: string; webkitRelativePath: string }>(list: ArrayLike<F>): { root: string; classes: string[]; files: Array<{ f: F; label: number }> } {
  const byClass = new Map<string, F[]>();
  let root = '';
  for (const f of Array.from(list)) {
    const parts = (f.webkitRelativePath || f.name).split('/');
    if (parts.length < 3 || !IMAGE_EXTENSIONS.test(f.name)) continue; // root/class/image
    root = parts[0]!;
    const cls = parts[parts.length - 2]!;
    (byClass.get(cls) ?? byClass.set(cls, []).get(cls)!).push(f);
  }
  const classes = [...byClass.keys()].sort();
  if (classes.length < 2) throw new Error('Pick a folder with one sub-folder per class (at least 2 classes), each holding .jpg/.png images.');
  const files = classes.flatMap((c, label) => byClass.get(c)!.sort((a, b) => a.name.localeCompare(b.name)).map((f) => ({ f, label })));
  return { root, classes, files };
}

export async function readClassFolder(list: FileList, size: number, maxImages = 3000, onProgress?: (done: number, total: number) => void): Promise<FolderData> {
  const { root, classes, files } = classFiles(list);
  const used = files.slice(0, maxImages);
  const canvas = new OffscreenCanvas(size, size);
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  const per = size * size * 3;
  const pixels = new Uint8Array(used.length * per);
  const labels: number[] = [];
  const skipped: string[] = [];
  let k = 0;
  for (const [i, { f, label }] of used.entries()) {
    try {
      const bmp = await createImageBitmap(f);
      const s = Math.min(bmp.width, bmp.height);
      ctx.drawImage(bmp, (bmp.width - s) / 2, (bmp.height - s) / 2, s, s, 0, 0, size, size);
      bmp.close();
      const rgba = ctx.getImageData(0, 0, size, size).data;
      for (let p = 0, q = k * per; p < rgba.length; p += 4, q += 3) { pixels[q] = rgba[p]!; pixels[q + 1] = rgba[p + 1]!; pixels[q + 2] = rgba[p + 2]!; }
      labels.push(label);
      k++;
    } catch {
      skipped.push(f.webkitRelativePath || f.name);
    }
    if (i % 20 === 0) onProgress?.(i, used.length);
  }
  return { root, classes, size, pixels: pixels.slice(0, k * per), labels, skipped };
}
