import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './ui/App';
import './ui/styles.css';
import { ensureCrossOriginIsolated } from './ui/cross-origin-isolation';

// Where the host sends no COOP/COEP headers, a service worker adds them (one reload) so WASM gets threads.
if ((await ensureCrossOriginIsolated()) !== 'reloading') createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
