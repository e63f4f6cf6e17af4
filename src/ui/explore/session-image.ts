/**
 * The user's own image, kept for the session: in memory while the app runs (Explore → Train → Explore,
 * back/forward), and in IndexedDB under a key this tab remembers in sessionStorage, so a reload of the
 * same tab brings it back too. A link cannot carry it (the page then says so): a link opens on the
 * model's sample.
 */
import { idbGet, idbPut, metaGet, metaPut } from '../../common/idb-cache';
import type { SourceImage } from './images';

const KEY = 'session-image';
let kept: SourceImage | null = null;

/** The image kept in memory (null: none, or only in IndexedDB: see restoreImage). */
export function keptImage(): SourceImage | null {
  return kept;
}

/** Keeps `img` for this session (null forgets it). Storage failures only lose the reload copy. */
export function keepImage(img: SourceImage | null): void {
  kept = img;
  try {
    if (!img) { sessionStorage.removeItem(KEY); return; }
    sessionStorage.setItem(KEY, img.key);
    const { rgba, ...meta } = img;
    void idbPut(KEY, rgba.slice().buffer).then(() => metaPut(KEY, meta)).catch(() => undefined);
  } catch { /* no sessionStorage: kept in memory only */ }
}

/** The image this tab kept before a reload, if IndexedDB still has it. */
export async function restoreImage(): Promise<SourceImage | null> {
  if (kept) return kept;
  try {
    const key = sessionStorage.getItem(KEY);
    if (!key) return null;
    const meta = await metaGet<Omit<SourceImage, 'rgba'>>(KEY);
    const buf = await idbGet(KEY);
    if (!meta || meta.key !== key || !buf) return null; // another tab kept another image since
    kept = { ...meta, rgba: new Uint8ClampedArray(buf) };
    return kept;
  } catch {
    return null;
  }
}
