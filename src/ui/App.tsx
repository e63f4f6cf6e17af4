import { lazy, Suspense, useEffect } from 'react';
import { useApp, type Page } from './app-store';
import { engine } from '../worker/client';
import { BACKEND_ORDER, type BackendName } from '../common/backend-names';
import { readHash } from './url-state';
import { ExplorePage } from './explore/ExplorePage';
// The Train page is its own chunk: the first view (Explore) paints without it (the main chunk's budget
// is 120 kB gzip, e2e/bundle.test.ts).
const TrainPage = lazy(() => import('./train/TrainPage').then((m) => ({ default: m.TrainPage })));
import { ErrorBoundary } from './ErrorBoundary';

const PAGES: Array<{ id: Page; label: string }> = [
  { id: 'explore', label: 'Explore' },
  { id: 'train', label: 'Train' },
];

/** Starts (or restarts) the engine's backend when the requested one changes. */
function useBackend() {
  const requested = useApp((s) => s.requestedBackend);
  const setBackend = useApp((s) => s.setBackend);
  useEffect(() => {
    let live = true;
    setBackend(null);
    engine()
      .request('init', { backend: requested === 'auto' ? undefined : requested })
      .then((r) => live && setBackend(r.backend as BackendName, r.failed as BackendName[], null, r.why, r.skipped))
      .catch((e: Error) => live && setBackend(null, [], e.message));
    return () => { live = false; };
  }, [requested, setBackend]);
}

function BackendBadge() {
  const { backend, requestedBackend, backendFailed, backendError, backendWhy, backendSkipped, setRequestedBackend } = useApp();
  return (
    <div className="backend">
      <span className="backend-status" data-testid="backend" data-backend={backend ?? ''}
        title={backendSkipped.length ? `left out: ${backendSkipped.join('; ')}` : undefined}>
        {backendError ? `engine error: ${backendError}` : backend ? `tfjs backend: ${backend}` : 'starting engine…'}
      </span>
      {backend && backendWhy && <span className="muted" data-testid="backend-why"> · {backendWhy}</span>}
      {backendFailed.length > 0 && backend && (
        <span className="muted" title="backends that could not start in this browser"> (unavailable: {backendFailed.join(', ')})</span>
      )}
      <label>
        <span className="sr-only">Backend</span>
        <select aria-label="Backend" value={requestedBackend} onChange={(e) => setRequestedBackend(e.target.value as BackendName | 'auto')}>
          <option value="auto">auto</option>
          {BACKEND_ORDER.map((b) => <option key={b} value={b}>{b}</option>)}
        </select>
      </label>
    </div>
  );
}

export function App() {
  const page = useApp((s) => s.page);
  const setPage = useApp((s) => s.setPage);
  useBackend();
  useEffect(() => {
    const sync = () => {
      const p = readHash().page;
      setPage(p === 'train' ? 'train' : 'explore');
    };
    sync();
    window.addEventListener('hashchange', sync);
    return () => window.removeEventListener('hashchange', sync);
  }, [setPage]);
  return (
    <div className="app">
      <header className="topbar">
        <h1>AdvBN Studio</h1>
        <nav>
          {PAGES.map((p) => (
            <a key={p.id} href={`#/${p.id}`} className={p.id === page ? 'active' : ''} aria-current={p.id === page ? 'page' : undefined}>{p.label}</a>
          ))}
        </nav>
        <ErrorBoundary name="Backend menu"><BackendBadge /></ErrorBoundary>
      </header>
      <main>
        {page === 'explore'
          ? <ErrorBoundary key="explore" name="Explore page"><ExplorePage /></ErrorBoundary>
          : <ErrorBoundary key="train" name="Train page"><Suspense fallback={<section className="train"><div className="panel muted">loading the Train page…</div></section>}><TrainPage /></Suspense></ErrorBoundary>}
      </main>
    </div>
  );
}
