/**
 * An import the worker stored in IndexedDB, listed in the picked-folders record that every page reads
 * (the Explore menu, the Train page's models and its domains mode), so it is kept across reloads and
 * pages. Importing the same model again replaces the earlier copy.
 */
import { idbDeletePrefix, metaGet, metaPut } from '../../common/idb-cache';
import type { RegistryEntry } from '../../common/registry';
import type { ImportResult } from '../../worker/import-protocol';

/** The IndexedDB meta key of picked / imported / trained model folders (same as saved-models' PICKED_FOLDERS_KEY). */
export const FOLDERS_KEY = 'picked-folders';

export interface PickedFolder { root: string; prefix: string; entries: RegistryEntry[]; decoders: Record<string, string[]>; at: number }

/** Records `r` as a kept folder; returns it and the folders it replaced. */
export async function keepImport(r: ImportResult): Promise<{ folder: PickedFolder; replaced: PickedFolder[] }> {
  const folder: PickedFolder = { root: `imported ${r.entry.id}`, prefix: r.prefix, entries: [r.entry], decoders: { [r.entry.id]: r.decoders }, at: Date.now() };
  const old = (await metaGet<PickedFolder[]>(FOLDERS_KEY)) ?? [];
  const replaced = old.filter((o) => o.root === folder.root);
  for (const f of replaced) await idbDeletePrefix(f.prefix).catch(() => undefined);
  await metaPut(FOLDERS_KEY, [...old.filter((o) => o.root !== folder.root), folder]).catch(() => undefined);
  return { folder, replaced };
}
