// The service worker: the page works offline once visited, and a new build replaces the
// old one whole.
//
// Not loaded from here: scripts/site writes it to the site's root as sw.js, with this
// build's VERSION (the name of its content-hashed directory, v-HASH) and FILES (every file
// of the site, relative to sw.js; './' is index.html) filled in. www/hosting.js registers
// it; its scope is the directory it is served from, so the site works from a sub-path.
//
//   install   fetch every file into this version's cache. All or nothing: if one file
//             fails, or index.html is not this build's (the site changed during the
//             install), the install fails and the previous version stays in charge.
//   activate  delete this site's caches of other versions; take control of open pages.
//   fetch     a page load (navigation) asks the network first, so a reload after a new
//             build gets the new index.html, and falls back to the cached one offline;
//             every other file comes from the cache first: its URL names its build, so a
//             cached copy is never stale.
//
// Cached responses keep the headers they were served with. That matters: where the
// server sends Cross-Origin-Opener-Policy and -Embedder-Policy, the page offline is
// cross-origin isolated as it was online, and still trains on two workers.

const VERSION = 'dev';
const FILES = [];

/** This site's caches: one per version, named after the scope (two copies of the page
 * on one origin, at different paths, keep their own). */
const PREFIX = `grokking ${self.registration.scope} `;
const CACHE = PREFIX + VERSION;

/** Fetches one file of this build, bypassing the HTTP cache (which may hold another build's). */
async function fetchFile(file) {
  const response = await fetch(new Request(file, { cache: 'no-cache' }));
  if (!response.ok) throw new Error(`${file}: HTTP ${response.status}`);
  if (file === './' && !(await response.clone().text()).includes(VERSION)) {
    throw new Error(`index.html is not from build ${VERSION}: the site changed during the install`);
  }
  if (!response.redirected) return response;
  // A browser refuses a redirected response as a page load: keep the content and headers only.
  return new Response(response.body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      try {
        const responses = await Promise.all(FILES.map(fetchFile));
        await Promise.all(responses.map((response, i) => cache.put(FILES[i], response)));
      } catch (err) {
        await caches.delete(CACHE);
        throw err;
      }
      // A new build takes over at once rather than when every old tab has closed, so a
      // reload shows it and it works offline from then on.
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith(PREFIX) && name !== CACHE) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET' || !request.url.startsWith(self.registration.scope)) return;
  if (request.mode === 'navigate') {
    event.respondWith(
      fetch(request).catch(async () => {
        const cached = await (await caches.open(CACHE)).match('./');
        return cached ?? Response.error();
      }),
    );
    return;
  }
  event.respondWith(
    (async () => {
      const cached = await (await caches.open(CACHE)).match(request);
      return cached ?? fetch(request);
    })(),
  );
});
