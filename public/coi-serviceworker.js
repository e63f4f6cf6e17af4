/*
 * Cross-origin isolation where the host sets no headers (GitHub Pages and most static hosts): this
 * service worker re-serves every same-origin response with COOP/COEP, so the page gets
 * SharedArrayBuffer and tfjs's multi-threaded WASM build. Registered by src/ui/cross-origin-isolation.ts
 * only when the page is not isolated already (the dev and preview servers send the headers).
 * Written here rather than taken from npm: it is a dozen lines and must be served from the site root.
 */
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.cache === 'only-if-cached' && request.mode !== 'same-origin') return;
  if (new URL(request.url).origin !== self.location.origin) return;
  event.respondWith(
    fetch(request).then((response) => {
      if (response.status === 0) return response;
      const headers = new Headers(response.headers);
      headers.set('Cross-Origin-Opener-Policy', 'same-origin');
      headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
      return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
    }),
  );
});
