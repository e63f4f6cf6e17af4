/** The Explore page's settings ⇄ its URL hash. */
import { useEffect, useState } from 'react';
import { useApp } from '../app-store';
import { readHash, writeHash } from '../url-state';
import { BACKEND_ORDER, type BackendName } from '../../common/backend-names';
import { linkProblems, pick, settingsFromParams, settingsToParams, useExplore } from './explore-store';

/**
 * Settings ⇄ URL hash (and the requested backend, as `backend=`). Returns what the last link asked for
 * that could not be used as it was (NaN, out of range, unknown words), for the settings panel.
 */
export function useUrlSync(): [string[], (notes: string[]) => void] {
  const [notes, setNotes] = useState<string[]>([]);
  useEffect(() => {
    const apply = () => {
      const { page, params } = readHash();
      if (page !== 'explore' && page !== '') return;
      // A bare "#/explore" (the page tab, coming back from Train) keeps the current settings and
      // backend; only a link that names settings changes them.
      if (![...params.keys()].length) { write(); return; }
      setNotes(linkProblems(params));
      const s = settingsFromParams(params);
      if (JSON.stringify(s) !== JSON.stringify(pick(useExplore.getState()))) useExplore.getState().replace(s);
      const b = params.get('backend');
      const app = useApp.getState();
      const want = b && (BACKEND_ORDER as string[]).includes(b) ? (b as BackendName) : 'auto';
      if (want !== app.requestedBackend) app.setRequestedBackend(want);
    };
    const write = () => {
      if (useApp.getState().page !== 'explore') return;
      const { page } = readHash();
      if (page !== 'explore' && page !== '') return;
      const p = settingsToParams(pick(useExplore.getState()));
      const b = useApp.getState().requestedBackend;
      if (b !== 'auto') p.set('backend', b);
      writeHash('explore', p);
    };
    apply();
    write();
    const un1 = useExplore.subscribe(write);
    const un2 = useApp.subscribe((s, prev) => { if (s.requestedBackend !== prev.requestedBackend) write(); });
    window.addEventListener('hashchange', apply);
    return () => { un1(); un2(); window.removeEventListener('hashchange', apply); };
  }, []);
  return [notes, setNotes];
}
