// The field app's service worker, served at /field-sw.js with scope
// /field. build.mjs fills in SHELL (the page and the assets it names,
// content-hashed) and VERSION. The app shell and MapLibre come from the
// cache first; the worker's data (whoami, grids, categories, cases) from
// the network first, the cache when there is no signal, so the app starts
// offline after one visit. Writes are never cached or answered here: the
// page queues them (IndexedDB) and sends them when the signal returns.
const VERSION = '__VERSION__';
const SHELL = __SHELL__;
const CACHE = 'gridmap-field-' + VERSION;
const DATA = 'gridmap-field-data';

self.addEventListener('install', (e) => {
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (e) => {
  e.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('gridmap-field-') && k !== CACHE && k !== DATA).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

// The data kept for offline: the worker's grids and what the app reads.
const DATA_PATHS = /^\/api\/v1\/(whoami|grids(\/[^/]+)?|categories|incidents|roster)$/;

self.addEventListener('fetch', (e) => {
  const req = e.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== location.origin) return;
  if (url.pathname === '/field' || req.mode === 'navigate') {
    e.respondWith(fetch(req).catch(() => caches.match('/field', { ignoreSearch: true })));
  } else if (url.pathname.startsWith('/assets/')) {
    e.respondWith(caches.match(req).then((hit) => hit ?? fetch(req)));
  } else if (DATA_PATHS.test(url.pathname)) {
    e.respondWith(
      fetch(req)
        .then((resp) => {
          if (resp.ok) {
            const copy = resp.clone();
            caches.open(DATA).then((c) => c.put(req, copy));
          }
          return resp;
        })
        .catch(() => caches.open(DATA).then((c) => c.match(req)).then((hit) => hit ?? Response.error())),
    );
  }
});
