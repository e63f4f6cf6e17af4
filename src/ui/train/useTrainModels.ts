/**
 * The models a Train mode can fine-tune: those served with the app (models/index.json) and those kept
 * in this browser (trained here before, or imported), filtered by what the mode needs.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { probeServedModels, type KnownModel, type RegistryEntry } from '../../common/registry';
import { metaGet } from '../../common/idb-cache';
import { PICKED_FOLDERS_KEY } from './saved-models';

/** `models` is null while looking; `error` says why the served list could not be read (or the search failed). */
/** `refresh()` looks again (after an import on this page). */
export function useTrainModels(keep: (m: KnownModel) => boolean): { models: KnownModel[] | null; error: string | null; refresh(): void } {
  const [models, setModels] = useState<KnownModel[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const refresh = useCallback(() => setVersion((v) => v + 1), []);
  const keepRef = useRef(keep);
  useEffect(() => {
    let live = true;
    (async () => {
      const served = await probeServedModels(new URL(`${import.meta.env.BASE_URL}models/`, location.href).href);
      // Models trained or imported here before (kept in IndexedDB) can be fine-tuned again.
      const folders = (await metaGet<Array<{ prefix: string; entries: RegistryEntry[]; root: string }>>(PICKED_FOLDERS_KEY)) ?? [];
      const kept: KnownModel[] = folders.flatMap((f) => f.entries.map((entry) => ({ entry, source: { kind: 'idb' as const, prefix: f.prefix }, origin: f.root, present: true, decoders: [] })));
      if (!live) return;
      setModels([...served.models, ...kept].filter(keepRef.current));
      setError(served.error);
    })().catch((e: Error) => live && setError(e.message));
    return () => { live = false; };
  }, [version]);
  return { models, error, refresh };
}
