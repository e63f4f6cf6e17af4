/**
 * Makes the page cross-origin isolated where the server sends no COOP/COEP headers, by registering
 * public/coi-serviceworker.js and reloading once through it. Isolation lets the engine's WASM backend
 * use every core (see src/worker/backends.ts). Does nothing when the page is isolated already, in an
 * insecure context, or without service workers; never reloads twice in a tab (no loop if it fails).
 */
const RELOADED = 'advbn-coi-reloaded';

export async function ensureCrossOriginIsolated(): Promise<'isolated' | 'reloading' | 'unavailable'> {
  if (globalThis.crossOriginIsolated) return 'isolated';
  if (!window.isSecureContext || !('serviceWorker' in navigator)) return 'unavailable';
  try {
    const url = new URL('coi-serviceworker.js', document.baseURI);
    const reg = await navigator.serviceWorker.register(url);
    if (sessionStorage.getItem(RELOADED)) return 'unavailable';
    sessionStorage.setItem(RELOADED, '1');
    if (!navigator.serviceWorker.controller) {
      await new Promise<void>((resolve) => {
        if (reg.active) resolve();
        navigator.serviceWorker.addEventListener('controllerchange', () => resolve(), { once: true });
        setTimeout(resolve, 3000);
      });
    }
    location.reload();
    return 'reloading';
  } catch {
    return 'unavailable';
  }
}
