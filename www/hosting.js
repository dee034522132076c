// How the page fits where it is served: offline support, and a word when the server
// does not enable cross-origin isolation. A module of its own (index.html loads it beside
// main.js), since the page's Content-Security-Policy allows no inline script.
//
// Offline: registers the service worker (sw.js at the site's root, written by
// scripts/site; see www/sw.js), which keeps every file of this build. Browsers allow
// service workers on https: and on localhost only; elsewhere the page simply needs the
// network, as any page does.
//
// Isolation: two training workers share each step through a SharedArrayBuffer, which a
// browser offers only to a cross-origin isolated page, i.e. one served with the headers
// Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp.
// Without them the worker (worker.js) trains alone, and #isolation-note says why; so it
// does in a browser that offers no SharedArrayBuffer even then (WebKitGTK 2.50).

if (!self.crossOriginIsolated || typeof SharedArrayBuffer !== 'function') {
  const note = document.getElementById('isolation-note');
  if (note && self.crossOriginIsolated) {
    note.textContent = 'Each run trains on one worker here: this browser does not offer '
      + 'SharedArrayBuffer, which two workers need to share a step.';
  }
  if (note) note.hidden = false;
}

if ('serviceWorker' in navigator) {
  // Relative to the page, so the site works from any path. After the page has loaded,
  // so fetching the files for offline use does not compete with the page's own.
  const register = () =>
    navigator.serviceWorker
      .register('sw.js', { updateViaCache: 'none' })
      .catch((err) => console.warn(`offline use unavailable: ${err?.message ?? err}`));
  if (document.readyState === 'complete') register();
  else addEventListener('load', register, { once: true });
}
