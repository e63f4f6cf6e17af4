/**
 * Pictures of a domains comparison (advbn train --data DIR --pictures OUT): for each target domain a grid
 * of its first test images, each with a bar above (plain fine-tuning) and a bar below (AdvBN, by the
 * paper's rule: auxiliary BNs on targets) — green where the prediction is right, red where it is wrong —
 * and predictions.json naming every tile's class and both predictions (seed 1 of the run).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDomainImage } from '../data/domains-folder';
import { writePng } from '../data/image-file';
import type { DomainItem } from '../common/domains';

export interface PictureSet { name: string; root: string; items: DomainItem[]; plain: Int32Array; advbn: Int32Array }

const BAR = 5, GAP = 2;
const GREEN = [40, 170, 70], RED = [210, 50, 50];

/** Writes OUT/<set>.png (a grid of at most `count` tiles, 8 per row) and OUT/predictions.json. */
export function writeDomainPictures(out: string, sets: PictureSet[], classes: string[], size: number, count = 24): string[] {
  mkdirSync(out, { recursive: true });
  const written: string[] = [];
  const listing: Record<string, Array<{ path: string; label: string; plain: string; advbn: string }>> = {};
  for (const s of sets) {
    const n = Math.min(count, s.items.length);
    const cols = Math.min(8, n), rows = Math.ceil(n / cols);
    const tileW = size + GAP, tileH = size + 2 * BAR + GAP;
    const W = cols * tileW + GAP, H = rows * tileH + GAP;
    const data = new Uint8Array(W * H * 4).fill(255);
    const put = (x: number, y: number, rgb: number[]) => { const o = (y * W + x) * 4; data[o] = rgb[0]!; data[o + 1] = rgb[1]!; data[o + 2] = rgb[2]!; data[o + 3] = 255; };
    listing[s.name] = [];
    for (let i = 0; i < n; i++) {
      const item = s.items[i]!;
      const x0 = GAP + (i % cols) * tileW, y0 = GAP + Math.floor(i / cols) * tileH;
      const img = loadDomainImage(s.root, item, size);
      const px = img.dataSync();
      img.dispose();
      for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
        const q = (y * size + x) * 3;
        put(x0 + x, y0 + BAR + y, [px[q]! * 255, px[q + 1]! * 255, px[q + 2]! * 255]);
      }
      const bar = (y: number, ok: boolean) => { for (let b = 0; b < BAR; b++) for (let x = 0; x < size; x++) put(x0 + x, y + b, ok ? GREEN : RED); };
      bar(y0, s.plain[i] === item.label);
      bar(y0 + BAR + size, s.advbn[i] === item.label);
      listing[s.name]!.push({ path: item.path, label: classes[item.label]!, plain: classes[s.plain[i]!]!, advbn: classes[s.advbn[i]!]! });
    }
    const file = join(out, `${s.name.replace(/[^A-Za-z0-9_.-]/g, '_')}.png`);
    writePng(file, { data, width: W, height: H });
    written.push(file);
  }
  const json = join(out, 'predictions.json');
  writeFileSync(json, JSON.stringify({ legend: 'bar above: plain fine-tuning; bar below: AdvBN (auxiliary BNs); green right, red wrong', sets: listing }, null, 1));
  written.push(json);
  return written;
}
