/**
 * Pictures of a domains comparison (advbn train --data DIR --pictures OUT): for each target domain a grid
 * of its first test images, each with a bar above (plain fine-tuning) and a bar below (AdvBN, by the
 * paper's rule: auxiliary BNs on targets) — green where the prediction is right, red where it is wrong —
 * and predictions.json naming every tile's class and both predictions (seed 1 of the run). When a decoder
 * for the split layer exists: advbn-batch.png, AdvBN applied to 8 source training images (spread over the classes) by the trained
 * AdvBN network (seed 1) as Algorithm 1 does, decoded — rows: the images, decoded m = 0, decoded AdvBN.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDomainImage } from '../data/domains-folder';
import { writePng } from '../data/image-file';
import type { DomainItem } from '../common/domains';
import type { BatchPreview } from '../core/batch-preview';

export interface PictureSet { name: string; root: string; items: DomainItem[]; plain: Int32Array; advbn: Int32Array }
export interface PictureBatch { root: string; items: DomainItem[]; preview: BatchPreview }

const BAR = 5, GAP = 2;
const GREEN = [40, 170, 70], RED = [210, 50, 50];

/** A white RGBA canvas of `count` tiles of `size` px (8 per row, or `cols`), each with room for a bar above and below. */
function tileGrid(count: number, size: number, cols = Math.min(8, count)) {
  const rows = Math.ceil(count / cols);
  const tileW = size + GAP, tileH = size + 2 * BAR + GAP;
  const W = cols * tileW + GAP, H = rows * tileH + GAP;
  const data = new Uint8Array(W * H * 4).fill(255);
  const put = (x: number, y: number, rgb: number[]) => { const o = (y * W + x) * 4; data[o] = rgb[0]!; data[o + 1] = rgb[1]!; data[o + 2] = rgb[2]!; data[o + 3] = 255; };
  const origin = (i: number) => [GAP + (i % cols) * tileW, GAP + Math.floor(i / cols) * tileH] as const;
  return {
    /** Tile i: an HWC image in [0, 1] of side `side` (nearest-neighbour to `size`), bars above/below (true right, false wrong, null none). */
    tile(i: number, px: ArrayLike<number>, side: number, above: boolean | null, below: boolean | null) {
      const [x0, y0] = origin(i);
      for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
        const q = (Math.floor((y * side) / size) * side + Math.floor((x * side) / size)) * 3;
        put(x0 + x, y0 + BAR + y, [px[q]! * 255, px[q + 1]! * 255, px[q + 2]! * 255]);
      }
      const bar = (y: number, ok: boolean | null) => { if (ok !== null) for (let b = 0; b < BAR; b++) for (let x = 0; x < size; x++) put(x0 + x, y + b, ok ? GREEN : RED); };
      bar(y0, above);
      bar(y0 + BAR + size, below);
    },
    save(file: string) { writePng(file, { data, width: W, height: H }); },
  };
}

function loadPixels(root: string, item: DomainItem, size: number): Float32Array {
  const img = loadDomainImage(root, item, size);
  const px = img.dataSync() as Float32Array;
  img.dispose();
  return px;
}

/** Writes OUT/<set>.png (a grid of at most `count` tiles, 8 per row), OUT/advbn-batch.png when `batch`, and OUT/predictions.json. */
export function writeDomainPictures(out: string, sets: PictureSet[], classes: string[], size: number, count = 24, batch?: PictureBatch): string[] {
  mkdirSync(out, { recursive: true });
  const written: string[] = [];
  const listing: Record<string, Array<{ path: string; label: string; plain: string; advbn: string }>> = {};
  for (const s of sets) {
    const n = Math.min(count, s.items.length);
    const grid = tileGrid(n, size);
    listing[s.name] = [];
    for (let i = 0; i < n; i++) {
      const item = s.items[i]!;
      grid.tile(i, loadPixels(s.root, item, size), size, s.plain[i] === item.label, s.advbn[i] === item.label);
      listing[s.name]!.push({ path: item.path, label: classes[item.label]!, plain: classes[s.plain[i]!]!, advbn: classes[s.advbn[i]!]! });
    }
    const file = join(out, `${s.name.replace(/[^A-Za-z0-9_.-]/g, '_')}.png`);
    grid.save(file);
    written.push(file);
  }
  let batchListing: unknown;
  if (batch?.preview.recon && batch.preview.adv) {
    const { items, preview: pv } = batch;
    const n = items.length;
    const grid = tileGrid(3 * n, size, n);
    items.forEach((item, i) => {
      grid.tile(i, loadPixels(batch.root, item, size), size, null, null);
      grid.tile(n + i, pv.recon![i]!, pv.decodedSize, null, pv.cleanPred[i] === item.label);
      grid.tile(2 * n + i, pv.adv![i]!, pv.decodedSize, null, pv.advPred[i] === item.label);
    });
    const file = join(out, 'advbn-batch.png');
    grid.save(file);
    written.push(file);
    batchListing = {
      legend: 'rows: source training images; decoded features (m = 0) with the AdvBN network\'s prediction (bar: green right, red wrong); decoded AdvBN features (PGD on δ for the batch, auxiliary BNs) with its prediction',
      pgdLoss: pv.loss,
      images: items.map((item, i) => ({ path: item.path, label: classes[item.label]!, clean: classes[pv.cleanPred[i]!]!, advbn: classes[pv.advPred[i]!]! })),
    };
  }
  const json = join(out, 'predictions.json');
  writeFileSync(json, JSON.stringify({
    legend: 'bar above: plain fine-tuning; bar below: AdvBN (auxiliary BNs); green right, red wrong', sets: listing,
    ...(batchListing ? { advbnBatch: batchListing } : {}),
  }, null, 1));
  written.push(json);
  return written;
}
